"""Parse Markdown into the element tree both the DOCX and the HTML writers read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from ._mdescape import REFERENCES

_DECODED = {reference: char for char, reference in REFERENCES.items()} | {"&#61;": "="}


class _Reference(InlineProcessor):
    """The character references md_escape writes (&lt; &amp; ...), read back as plain text."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int]:
        return _DECODED[m.group(0)], m.start(0), m.end(0)


class _Capture(Treeprocessor):
    """Keeps the finished tree (after inline parsing and unescaping)."""

    root: ET.Element | None = None

    def run(self, root: ET.Element) -> None:
        self.root = root


def _slugify(value: str, separator: str) -> str:
    out = []
    for char in value.lower():
        if char.isalnum() and char.isascii():
            out.append(char)
        elif out and out[-1] != separator:
            out.append(separator)
    return "".join(out).strip(separator) or "section"


def _parser() -> tuple[markdown.Markdown, _Capture]:
    md = markdown.Markdown(
        extensions=["tables", "attr_list", "sane_lists", "toc"],
        extension_configs={"toc": {"slugify": _slugify, "permalink": False}},
        output_format="html",
    )
    # Templates are pure Markdown: raw HTML, entities and autolinks are data, never markup.
    md.preprocessors.deregister("html_block")
    for name in ("html", "entity", "autolink", "automail"):
        md.inlinePatterns.deregister(name)
    pattern = "|".join(re.escape(reference) for reference in _DECODED)
    md.inlinePatterns.register(_Reference(pattern, md), "smpolicy-reference", 80)
    capture = _Capture(md)
    md.treeprocessors.register(capture, "smpolicy-capture", -100)
    return md, capture


@dataclass(frozen=True)
class TocEntry:
    """A heading listed in the contents: level 1 or 2, its number ("" for appendices)."""

    level: int
    number: str
    text: str
    ident: str


def toc_entries(root: ET.Element) -> list[TocEntry]:
    """Sections (numbered 1, 1.1) and appendices (unnumbered, subheadings not listed)."""
    entries: list[TocEntry] = []
    section, subsection, in_appendix = 0, 0, False
    for elem in root:
        classes = (elem.get("class") or "").split()
        if elem.tag not in ("h1", "h2") or "title" in classes or "subtitle" in classes:
            continue
        text, ident = "".join(elem.itertext()), elem.get("id", "")
        if "appendix" in classes:
            in_appendix = True
            entries.append(TocEntry(1, "", text, ident))
        elif elem.tag == "h1":
            section, subsection, in_appendix = section + 1, 0, False
            entries.append(TocEntry(1, f"{section}.", text, ident))
        elif not in_appendix:
            subsection += 1
            entries.append(TocEntry(2, f"{section}.{subsection}", text, ident))
    return entries


def parse_markdown(text: str) -> tuple[ET.Element, str]:
    """Return the element tree of ``text`` and its HTML body."""
    md, capture = _parser()
    html = md.convert(text)
    if capture.root is None:  # pragma: no cover - markdown always runs treeprocessors
        raise RuntimeError("markdown produced no tree")
    return capture.root, html
