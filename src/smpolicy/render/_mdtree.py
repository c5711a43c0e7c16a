"""Parse Markdown into the element tree both the DOCX and the HTML writers read.

The parser is markdown-it-py: CommonMark with GFM tables. Templates are pure Markdown, so
raw HTML, HTML entities and autolinks are data, never markup: those rules are off, and only
the character references md_escape writes (``&lt;``, ``&amp;`` ...) are read back as the
characters they stand for.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smpolicy.compose._mdescape import REFERENCES

if TYPE_CHECKING:  # pragma: no cover
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

_DECODED = {reference: char for char, reference in REFERENCES.items()} | {"&#61;": "="}
_REFERENCE = re.compile("|".join(re.escape(reference) for reference in _DECODED))

_NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s+")
_APPENDIX = re.compile(r"^Appendix [A-Z]\b")


def _classify(root: ET.Element) -> None:
    """Marks the title and the appendices, and takes the section numbers off headings.

    The Markdown is plain CommonMark: the first level-1 heading is the title, a level-1
    heading that starts with "Appendix X" opens an appendix, and section headings carry their
    numbers ("3.2 Consent"). The DOCX and HTML writers number headings themselves (in the
    same order), so the number is removed from the tree they read.
    """
    headings = [e for e in root if e.tag in ("h1", "h2", "h3", "h4")]
    # A document that numbers its sections has an unnumbered title.
    numbered = any(e.tag == "h1" and _NUMBER.match(e.text or "") for e in headings)
    in_appendix = False
    for elem in headings:
        text = elem.text or ""
        if elem.tag == "h1":
            in_appendix = bool(_APPENDIX.match(text))
            if in_appendix:
                elem.set("class", "appendix")
            elif numbered and not _NUMBER.match(text):
                elem.set("class", "title")
                continue
        if not in_appendix and elem.tag != "h4":
            elem.text = _NUMBER.sub("", text, count=1)


def number_headings(markdown: str) -> str:
    """Put section numbers into the headings of the policy body ("# 3. Privacy", "## 3.2 ...").

    The first level-1 heading (the title) and appendices stay unnumbered, and level 4 and
    below are never numbered, so every "section 3.2" in the text names a visible heading.
    """
    out: list[str] = []
    counters = [0, 0, 0]
    titled = in_appendix = False
    for line in markdown.split("\n"):
        match = re.match(r"^(#{1,3}) (.*)$", line)
        if match:
            level, text = len(match.group(1)), match.group(2)
            if level == 1 and not titled:
                titled = True
            elif level == 1 and _APPENDIX.match(text):
                in_appendix = True
            elif level == 1 or not in_appendix:
                in_appendix = False
                counters[level - 1] += 1
                counters[level:] = [0] * (3 - level)
                number = ".".join(str(n) for n in counters[:level])
                out.append(f"{match.group(1)} {number}{'.' if level == 1 else ''} {text}")
                continue
        out.append(line)
    return "\n".join(out)


def tidy_markdown(markdown: str) -> str:
    """Small typographic repairs: a name ending in a full stop at the end of a sentence."""
    return re.sub(r"(?<=\w\.)\.(?![.\w])", "", markdown)


def _slugify(value: str, separator: str) -> str:
    out = []
    for char in value.lower():
        if char.isalnum() and char.isascii():
            out.append(char)
        elif out and out[-1] != separator:
            out.append(separator)
    return "".join(out).strip(separator) or "section"


def _unique(ident: str, used: set[str]) -> str:
    """``ident``, or ``ident_1``, ``ident_2`` ... when taken (as heading anchors always were)."""
    if ident in used:
        match = re.match(r"^(.*)_([0-9]+)$", ident)
        base, count = (match.group(1), int(match.group(2))) if match else (ident, 0)
        count += 1
        while f"{base}_{count}" in used:
            count += 1
        ident = f"{base}_{count}"
    used.add(ident)
    return ident


def _reference(state: StateInline, silent: bool) -> bool:
    """The character references md_escape writes (&lt; &amp; ...), read back as plain text."""
    if state.src[state.pos] != "&":
        return False
    match = _REFERENCE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        state.pending += _DECODED[match.group(0)]
    state.pos = match.end()
    return True


_PARSER: list[MarkdownIt] = []


def _parser() -> MarkdownIt:
    """CommonMark with GFM tables; raw HTML, entities and autolinks off (built once)."""
    if not _PARSER:
        from markdown_it import MarkdownIt  # noqa: PLC0415 - only builds that render need it

        md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        md.enable("table")
        md.disable(["html_block", "html_inline", "entity", "autolink"])
        md.inline.ruler.before("entity", "smpolicy_reference", _reference)
        _PARSER.append(md)
    return _PARSER[0]


def _append_text(elem: ET.Element, text: str) -> None:
    if len(elem):
        elem[-1].tail = (elem[-1].tail or "") + text
    else:
        elem.text = (elem.text or "") + text


def _plain(tokens: list[Token]) -> str:
    """The text of inline tokens (an image's alt text)."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.children:
            parts.append(_plain(token.children))
    return "".join(parts)


def _inline(parent: ET.Element, tokens: list[Token]) -> None:
    stack = [parent]
    for token in tokens:
        kind = token.type
        if kind in ("text", "text_special"):
            _append_text(stack[-1], token.content)
        elif kind == "softbreak":
            _append_text(stack[-1], "\n")
        elif kind == "hardbreak":
            ET.SubElement(stack[-1], "br")
        elif kind == "code_inline":
            ET.SubElement(stack[-1], "code").text = token.content
        elif kind == "image":
            img = ET.SubElement(stack[-1], "img", {"src": str(token.attrs.get("src", ""))})
            if "title" in token.attrs:
                img.set("title", str(token.attrs["title"]))
            img.set("alt", _plain(token.children or []))
        elif token.nesting == 1:
            attrs = {key: str(value) for key, value in token.attrs.items()}
            stack.append(ET.SubElement(stack[-1], token.tag, attrs))
        elif token.nesting == -1:
            stack.pop()


_BLOCKS = frozenset(
    [
        "blockquote",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


def _prettify(elem: ET.Element) -> None:
    """A line break after each block and before a block's first block child.

    The HTML writer serializes the tree as it is, so this keeps its source one block a line.
    """
    if elem.tag in _BLOCKS and elem.tag != "pre":
        if not (elem.text or "").strip() and len(elem) and elem[0].tag in _BLOCKS:
            elem.text = "\n"
        for child in elem:
            if child.tag in _BLOCKS:
                _prettify(child)
    if not (elem.tail or "").strip():
        elem.tail = "\n"


def _tree(tokens: list[Token]) -> ET.Element:
    root = ET.Element("div")
    stack = [root]
    for token in tokens:
        if token.hidden:  # the paragraphs of a tight list's items
            continue
        if token.nesting == 1:
            attrs = {key: str(value) for key, value in token.attrs.items()}
            stack.append(ET.SubElement(stack[-1], token.tag, attrs))
        elif token.nesting == -1:
            stack.pop()
        elif token.type == "inline":
            _inline(stack[-1], token.children or [])
        elif token.type in ("code_block", "fence"):
            ET.SubElement(ET.SubElement(stack[-1], "pre"), "code").text = token.content
        elif token.type == "hr":
            ET.SubElement(stack[-1], "hr")
    _prettify(root)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "").lstrip("\n") if (br.tail or "").strip() else "\n"
    return root


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


def parse_markdown(text: str) -> ET.Element:
    """The element tree of ``text``: headings classified, numbers taken off, anchors set."""
    root = _tree(_parser().parse(text))
    _classify(root)
    used: set[str] = set()
    for elem in root.iter():
        if elem.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            elem.set("id", _unique(_slugify("".join(elem.itertext()).strip(), "-"), used))
    return root
