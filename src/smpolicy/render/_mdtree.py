"""Parse Markdown into the element tree both the DOCX and the HTML writers read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from smpolicy.compose._mdescape import REFERENCES

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


_NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s+")
_APPENDIX = re.compile(r"^Appendix [A-Z]\b")


class _Classify(Treeprocessor):
    """Marks the title and the appendices, and takes the section numbers off headings.

    The Markdown is plain CommonMark: the first level-1 heading is the title, a level-1
    heading that starts with "Appendix X" opens an appendix, and section headings carry their
    numbers ("3.2 Consent"). The DOCX and HTML writers number headings themselves (in the
    same order), so the number is removed from the tree they read.
    """

    def run(self, root: ET.Element) -> None:
        headings = [e for e in root if e.tag in ("h1", "h2", "h3", "h4")]
        # A document that numbers its sections has an unnumbered title; one that does not
        # (a fragment, a legacy template) marks its title with an attribute list, if at all.
        numbered = any(e.tag == "h1" and _NUMBER.match(e.text or "") for e in headings)
        in_appendix = False
        for elem in headings:
            text = elem.text or ""
            if elem.tag == "h1":
                in_appendix = bool(_APPENDIX.match(text))
                if in_appendix:
                    elem.set("class", "appendix")
                elif numbered and not _NUMBER.match(text) and not elem.get("class"):
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
    md.treeprocessors.register(_Classify(md), "smpolicy-classify", 30)
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
