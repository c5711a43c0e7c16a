"""Redlines: a DOCX with real tracked changes between two issued versions, and text diffs."""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import _ooxml as ox
from ._docx import DocxMeta, DocxWriter
from ._mdtree import parse_markdown
from ._ooxml import attr, esc

_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of a policy: its style and plain text."""

    style: str
    text: str


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def blocks(markdown: str) -> list[Block]:
    """Flatten a policy's Markdown into styled paragraphs, in reading order."""
    root, _ = parse_markdown(markdown)
    out: list[Block] = []

    def walk_list(elem: ET.Element) -> None:
        for item in elem:
            inner = [c for c in item if c.tag in ("ul", "ol")]
            for child in inner:
                item.remove(child)
            out.append(Block("ListParagraph", _text(item)))
            for child in inner:
                walk_list(child)

    for elem in root:
        tag = elem.tag
        classes = (elem.get("class") or "").split()
        if tag in ("h1", "h2", "h3", "h4"):
            style = (
                "Title"
                if "title" in classes
                else (
                    "AppendixHeading" if "appendix" in classes else f"Heading{min(int(tag[1]), 3)}"
                )
            )
            out.append(Block(style, _text(elem)))
        elif tag in ("ul", "ol"):
            walk_list(elem)
        elif tag == "table":
            out.extend(
                Block("TableText", " | ".join(_text(c) for c in row)) for row in elem.iter("tr")
            )
        elif tag == "blockquote":
            out.extend(Block("Callout", _text(p)) for p in elem)
        else:
            out.append(Block("Normal", _text(elem)))
    return [b for b in out if b.text]


class _Marks:
    def __init__(self, author: str, date: str) -> None:
        self.author = author
        self.date = f"{date}T00:00:00Z"
        self.next_id = 1

    def attrs(self) -> str:
        value = f'w:id="{self.next_id}" w:author={attr(self.author)} w:date="{self.date}"'
        self.next_id += 1
        return value


def _run(text: str, kind: str, marks: _Marks) -> str:
    if not text:
        return ""
    if kind == "del":
        return f'<w:del {marks.attrs()}><w:r><w:delText xml:space="preserve">{esc(text)}</w:delText></w:r></w:del>'
    run = f'<w:r><w:t xml:space="preserve">{esc(text)}</w:t></w:r>'
    return f"<w:ins {marks.attrs()}>{run}</w:ins>" if kind == "ins" else run


def _para(style: str, body: str, mark: str | None, marks: _Marks) -> str:
    # CT_PPr: pStyle first, rPr (the paragraph mark's properties) last; in CT_ParaRPr ins/del first.
    rpr = f"<w:rPr><w:{mark} {marks.attrs()}/></w:rPr>" if mark else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{rpr}</w:pPr>{body}</w:p>'


def _word_diff(old: str, new: str, marks: _Marks) -> str:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(_run("".join(a[i1:i2]), "same", marks))
        else:
            out.append(_run("".join(a[i1:i2]), "del", marks))
            out.append(_run("".join(b[j1:j2]), "ins", marks))
    return "".join(out)


def redline_document(old: list[Block], new: list[Block], marks: _Marks) -> str:
    """Body paragraphs with w:ins / w:del revisions turning ``old`` into ``new``."""
    paras: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            paras.extend(
                _para(b.style, _run(b.text, "same", marks), None, marks) for b in new[j1:j2]
            )
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for index in range(max(len(olds), len(news))):
            before = olds[index] if index < len(olds) else None
            after = news[index] if index < len(news) else None
            if before and after:
                paras.append(
                    _para(after.style, _word_diff(before.text, after.text, marks), None, marks)
                )
            elif before:
                paras.append(_para(before.style, _run(before.text, "del", marks), "del", marks))
            elif after:
                paras.append(_para(after.style, _run(after.text, "ins", marks), "ins", marks))
    return "".join(paras)


def redline_docx(
    old_markdown: str, new_markdown: str, meta: DocxMeta, *, author: str, date: str
) -> bytes:
    """A DOCX whose tracked changes turn the old version into the new one."""
    marks = _Marks(author, date)
    body = redline_document(blocks(old_markdown), blocks(new_markdown), marks)
    writer = DocxWriter(meta)
    document = (
        ox.XML_HEAD
        + f"<w:document {ox.NS_DECL}><w:body>"
        + body
        + writer.section_properties()
        + "</w:body></w:document>"
    )
    return writer.package(document)


def text_diff(old_markdown: str, new_markdown: str, old_label: str, new_label: str) -> str:
    """A unified diff of the two versions' text, one paragraph per line."""
    a = [f"{b.text}\n" for b in blocks(old_markdown)]
    b = [f"{b.text}\n" for b in blocks(new_markdown)]
    return "".join(difflib.unified_diff(a, b, old_label, new_label, n=1))
