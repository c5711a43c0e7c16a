"""Parse Markdown into the element tree both the DOCX and the HTML writers read."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown
from markdown.treeprocessors import Treeprocessor


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
    capture = _Capture(md)
    md.treeprocessors.register(capture, "smpolicy-capture", -100)
    return md, capture


def parse_markdown(text: str) -> tuple[ET.Element, str]:
    """Return the element tree of ``text`` and its HTML body."""
    md, capture = _parser()
    html = md.convert(text)
    if capture.root is None:  # pragma: no cover - markdown always runs treeprocessors
        raise RuntimeError("markdown produced no tree")
    return capture.root, html
