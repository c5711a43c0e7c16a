"""Write a standalone, printable HTML page from the Markdown element tree."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from html import escape

from smpolicy.render._mdtree import toc_entries

_CSS = """
:root { --ink: #1b1b1b; --accent: #1f3864; --rule: #8eaadb; --fill: #eaf1fb; }
* { box-sizing: border-box; }
body { font: 16px/1.55 Arial, "Liberation Sans", Helvetica, sans-serif; color: var(--ink);
  margin: 0; background: #f4f5f7; }
main { max-width: 52rem; margin: 2rem auto; background: #fff; padding: 2.5rem 3rem;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); counter-reset: h1; }
header.running { max-width: 52rem; margin: 1rem auto 0; color: #595959; font-size: .85rem;
  display: flex; justify-content: space-between; }
h1, h2, h3 { color: var(--accent); line-height: 1.25; break-after: avoid; }
h1.title { font-size: 2.2rem; margin-top: 0; }
h1.subtitle { font-size: 1.2rem; color: #595959; font-weight: normal; }
main > h1:not(.title):not(.subtitle):not(.appendix) { counter-increment: h1; counter-reset: h2; }
main > h1:not(.title):not(.subtitle):not(.appendix)::before { content: counter(h1) ". "; }
main > h2 { counter-increment: h2; counter-reset: h3; }
main > h1.appendix ~ h2 { counter-increment: none; }
main > h2::before { content: counter(h1) "." counter(h2) " "; }
main > h1.appendix ~ h2::before { content: none; }
main > h3 { counter-increment: h3; }
main > h3::before { content: counter(h1) "." counter(h2) "." counter(h3) " "; }
main > h1.appendix ~ h3::before { content: none; }
h1.appendix { border-top: 2px solid var(--rule); padding-top: 1rem; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1.25rem; font-size: .92rem; }
th, td { border: 1px solid var(--rule); padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--accent); color: #fff; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; background: var(--fill);
  border-left: 6px solid #2e74b5; break-inside: avoid; }
blockquote p { margin: .3rem 0; }
nav.toc { border: 1px solid var(--rule); padding: .75rem 1.25rem; margin: 1.5rem 0; }
nav.toc h2 { margin-top: 0; }
nav.toc h2::before { content: none; }
nav.toc ol { list-style: none; padding-left: 0; margin: 0; }
nav.toc ol ol { padding-left: 1.5rem; }
nav.toc a { text-decoration: none; }
img { max-width: 100%; height: auto; }
figure { margin: 1rem 0; text-align: center; }
figcaption { font-style: italic; color: #44546a; font-size: .9rem; }
a { color: #0563c1; }
footer.running { max-width: 52rem; margin: 0 auto 2rem; color: #595959; font-size: .85rem; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  header.running, footer.running { display: none; }
  h1.appendix { break-before: page; }
  nav.toc { break-after: page; }
  a { color: inherit; text-decoration: none; }
  tr, blockquote { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _toc(root: ET.Element) -> ET.Element:
    nav = ET.Element("nav", {"class": "toc", "aria-label": "Contents"})
    title = ET.SubElement(nav, "h2")
    title.text = "Contents"
    top = ET.SubElement(nav, "ol")
    current: ET.Element | None = None
    for entry in toc_entries(root):
        parent = top if entry.level == 1 else current
        if parent is None:  # pragma: no cover - a subsection always follows a section
            continue
        item = ET.SubElement(parent, "li")
        link = ET.SubElement(item, "a", {"href": f"#{entry.ident}"})
        link.text = f"{entry.number} {entry.text}" if entry.number else entry.text
        if entry.level == 1:
            current = ET.SubElement(item, "ol") if entry.number else None
    for ol in nav.iter("ol"):
        if len(ol) == 0:
            ol.text = ""
    return nav


def _figures(root: ET.Element) -> None:
    """Turn paragraphs that hold a single image into figures with captions."""
    for index, elem in enumerate(list(root)):
        if (
            elem.tag == "p"
            and len(elem) == 1
            and elem[0].tag == "img"
            and not (elem.text or "").strip()
        ):
            figure = ET.Element("figure")
            img = elem[0]
            figure.append(img)
            caption = ET.SubElement(figure, "figcaption")
            caption.text = img.get("title") or img.get("alt", "")
            root[index] = figure


def render_html(
    root: ET.Element,
    *,
    title: str,
    language: str,
    header: str,
    footer: str,
    images: dict[str, str] | None = None,
    toc: bool = True,
) -> str:
    """A complete HTML document. ``images`` maps a Markdown image name to a data: URI."""
    body = copy.deepcopy(root)
    body.tag = "main"
    body.attrib.clear()
    _figures(body)
    for thead in body.iter("thead"):
        if not "".join(thead.itertext()).strip():
            thead.clear()
    for img in body.iter("img"):
        src = img.get("src", "")
        if images and src in images:
            img.set("src", images[src])
    for link in body.iter("a"):
        if not link.get("href", "").startswith("#"):
            link.set("rel", "noopener")
    first = next(
        (
            i
            for i, e in enumerate(body)
            if e.tag == "h1" and not {"title", "subtitle"} & set((e.get("class") or "").split())
        ),
        None,
    )
    if toc and first is not None:
        body.insert(first, _toc(body))
    content = ET.tostring(body, encoding="unicode", method="html")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header class="running"><span>{escape(header)}</span></header>\n'
        f"{content}\n"
        f'<footer class="running">{escape(footer)}</footer>\n</body>\n</html>\n'
    )
