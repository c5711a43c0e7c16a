"""Write a DOCX from the Markdown element tree.

WordprocessingML is generated directly (no per-paragraph style look-ups), child
elements in schema order, and zipped with fixed timestamps and entry order so
the same input always gives the same bytes.
"""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

from smpolicy.render import _ooxml as ox
from smpolicy.render._docxstyles import HEADING_NUM_ID, numbering_xml, styles_xml
from smpolicy.render._mdtree import toc_entries
from smpolicy.render._ooxml import attr, esc

EMU_PER_PX = 9525
MAX_IMAGE_WIDTH_EMU = 6 * 914400
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DocxMeta:
    """Everything the DOCX needs besides the body."""

    title: str
    subject: str
    author: str
    keywords: str
    description: str
    language: str
    date: str
    organization: str
    header_text: str
    footer_text: str
    version: int
    generator: str


@dataclass(frozen=True)
class Image:
    """A picture the document may embed, referenced from Markdown by file name."""

    data: bytes
    alt: str = ""


@dataclass
class _Runs:
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass
class _State:
    bookmarks: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    lists: list[str] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)
    next_bookmark: int = 0
    next_drawing: int = 1


def heading_style(elem: ET.Element, in_appendix: bool) -> tuple[str, bool]:
    """The paragraph style of heading ``elem``, and whether the appendices have begun after it."""
    classes = (elem.get("class") or "").split()
    if "title" in classes:
        return "Title", in_appendix
    if "subtitle" in classes:
        return "Subtitle", in_appendix
    if "appendix" in classes:
        return "AppendixHeading", True
    level = min(int(elem.tag[1]), 3)
    if level == 1:
        return "Heading1", False
    if in_appendix:
        return f"AppendixHeading{level}", True
    return f"Heading{level}", in_appendix


def split_item(item: ET.Element) -> tuple[ET.Element, list[ET.Element], ET.Element]:
    """A list item's own text, its nested blocks, and the element that text comes from.

    The text is directly in the item (a tight list) or in its first paragraph (a loose list).
    """
    inline = ET.Element("span")
    inline.text = item.text
    nested: list[ET.Element] = []
    origin = item
    for child in item:
        if child.tag in ("ul", "ol"):
            nested.append(child)
        elif (
            child.tag == "p"
            and origin is item
            and not (inline.text or "").strip()
            and len(inline) == 0
        ):
            inline.text = child.text
            inline.extend(list(child))
            origin = child
        elif child.tag == "p":
            nested.append(child)
        else:
            inline.append(child)
    return inline, nested, origin


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _text_run(text: str, fmt: _Runs, style: str | None = None, *, deleted: bool = False) -> str:
    """One run of ``text``; a deleted run (inside ``w:del``) holds ``w:delText``."""
    if not text:
        return ""
    # CT_RPr order: rStyle, rFonts, b, bCs, i, iCs, ...
    props = ""
    if style:
        props += f'<w:rStyle w:val="{style}"/>'
    if fmt.code:
        props += '<w:rFonts w:ascii="Courier New" w:hAnsi="Courier New" w:cs="Courier New"/>'
    if fmt.bold:
        props += "<w:b/><w:bCs/>"
    if fmt.italic:
        props += "<w:i/><w:iCs/>"
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    tag = "w:delText" if deleted else "w:t"
    pieces = text.split("\t")
    body = "<w:tab/>".join(f'<{tag} xml:space="preserve">{esc(p)}</{tag}>' for p in pieces)
    return f"<w:r>{rpr}{body}</w:r>"


_CHAR_TWIPS = 125  # the width of an average character of 10.5 pt body text, in twips
_CELL_MARGINS = 230  # left and right cell margins and a little air


def _column_widths(rows: list[tuple[bool, ET.Element]], ncols: int, total: int = 9360) -> list[int]:
    """Column widths (twentieths of a point) in proportion to how much text each column holds."""
    weights = [0.0] * ncols
    for _, row in rows:
        for index, cell in enumerate(row):
            if index < ncols:
                weights[index] = max(weights[index], float(len("".join(cell.itertext()))))
    weights = [min(max(w, 16.0), 80.0) for w in weights]
    scale = total / sum(weights)
    widths = [int(w * scale) for w in weights]
    # No column narrower than its longest word, so Word never breaks a word across lines.
    floors = [0] * ncols
    for _, row in rows:
        for index, cell in enumerate(row):
            if index < ncols:
                longest = max((len(w) for w in "".join(cell.itertext()).split()), default=0)
                floors[index] = max(floors[index], min(longest, 30) * _CHAR_TWIPS + _CELL_MARGINS)
    if sum(floors) <= total:
        short = sum(max(f - w, 0) for w, f in zip(widths, floors, strict=True))
        slack = sum(max(w - f, 0) for w, f in zip(widths, floors, strict=True))
        if short and slack:
            widths = [
                f if w < f else w - int((w - f) * short / slack)
                for w, f in zip(widths, floors, strict=True)
            ]
    widths[-1] += total - sum(widths)
    return widths


def _picture(rid: str, pid: int, name: str, alt: str, cx: int, cy: int) -> str:
    """An inline picture run (DrawingML), with alt text in docPr/@descr."""
    return (
        "<w:r><w:drawing>"
        f'<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
        f'<wp:docPr id="{pid}" name="Picture {pid}" descr={attr(alt)}/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{pid}" name={attr(name)} descr={attr(alt)}/>'
        "<pic:cNvPicPr/></pic:nvPicPr>"
        f'<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


class DocxWriter:
    """Turns one Markdown element tree into a DOCX package."""

    def __init__(
        self,
        meta: DocxMeta,
        images: dict[str, Image] | None = None,
        styles: str | None = None,
        *,
        theme: bytes | None = None,
        logo: bytes | None = None,
        toc: bool = True,
    ) -> None:
        self.meta = meta
        self.toc = toc
        self.images = images or {}
        self.styles = styles or styles_xml()
        self.theme = theme
        self.logo = logo
        self.state = _State()
        self.in_appendix = False

    # -- inline ---------------------------------------------------------------------------
    def _inline(self, elem: ET.Element, fmt: _Runs, style: str | None = None) -> str:
        out = [_text_run(elem.text or "", fmt, style)]
        for child in elem:
            tag = child.tag
            if tag in ("strong", "b"):
                out.append(self._inline(child, _Runs(True, fmt.italic, fmt.code), style))
            elif tag in ("em", "i"):
                out.append(self._inline(child, _Runs(fmt.bold, True, fmt.code), style))
            elif tag == "code":
                out.append(self._inline(child, _Runs(fmt.bold, fmt.italic, True), style))
            elif tag == "a":
                out.append(self._hyperlink(child, fmt))
            elif tag == "br":
                out.append("<w:r><w:br/></w:r>")
            elif tag == "img":
                out.append(self._drawing(child))
            else:
                out.append(self._inline(child, fmt, style))
            out.append(_text_run(child.tail or "", fmt, style))
        return "".join(out)

    def _hyperlink(self, elem: ET.Element, fmt: _Runs) -> str:
        return self._link(elem.get("href", ""), self._inline(elem, fmt, "Hyperlink"))

    def _link(self, href: str, inner: str) -> str:
        """``inner`` runs as a hyperlink to ``href`` (a bookmark when it starts with #)."""
        if href.startswith("#"):
            name = self.state.bookmarks.get(href[1:])
            if name is None:
                return inner
            return f'<w:hyperlink w:anchor={attr(name)} w:history="1">{inner}</w:hyperlink>'
        rid = self.state.links.setdefault(href, f"rIdL{len(self.state.links) + 1}")
        return f'<w:hyperlink r:id="{rid}" w:history="1">{inner}</w:hyperlink>'

    def _drawing(self, elem: ET.Element) -> str:
        name = elem.get("src", "")
        image = self.images.get(name)
        if image is None:
            return _text_run(f"[image: {elem.get('alt', name)}]", _Runs(italic=True))
        width, height = png_size(image.data)
        cx, cy = width * EMU_PER_PX, height * EMU_PER_PX
        if cx > MAX_IMAGE_WIDTH_EMU:
            cx, cy = MAX_IMAGE_WIDTH_EMU, cy * MAX_IMAGE_WIDTH_EMU // cx
        rid = self.state.media.setdefault(name, f"rIdM{len(self.state.media) + 1}")
        pid = self.state.next_drawing
        self.state.next_drawing += 1
        return _picture(rid, pid, name, elem.get("alt", "") or image.alt, cx, cy)

    # -- blocks ---------------------------------------------------------------------------
    def _bookmark(self, elem: ET.Element) -> tuple[str, str]:
        ident = elem.get("id")
        if not ident or ident not in self.state.bookmarks:
            return "", ""
        name = self.state.bookmarks[ident]
        bid = int(name.removeprefix("_s"))  # names are _sNNNN, numbered in document order
        return (
            f'<w:bookmarkStart w:id="{bid}" w:name={attr(name)}/>',
            f'<w:bookmarkEnd w:id="{bid}"/>',
        )

    def _para(
        self,
        elem: ET.Element,
        style: str | None,
        *,
        extra_ppr: str = "",
        fmt: _Runs | None = None,
        source: ET.Element | None = None,
    ) -> str:
        """A paragraph of ``elem``'s inline content (``source``: the element it stands for)."""
        del source  # used by the redline writer
        start, end = self._bookmark(elem)
        ppr = (f'<w:pStyle w:val="{style}"/>' if style else "") + extra_ppr
        ppr_xml = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
        return f"<w:p>{ppr_xml}{start}{self._inline(elem, fmt or _Runs())}{end}</w:p>"

    def _heading(self, elem: ET.Element) -> str:
        style, self.in_appendix = heading_style(elem, self.in_appendix)
        return self._para(elem, style)

    def _item_numbering(self, elem: ET.Element, item: ET.Element, depth: int, numpr: str) -> str:
        """The numbering properties of list item ``item`` of list ``elem``."""
        del elem, item, depth  # used by the redline writer
        return numpr

    def _plain_para(self, ppr: str, runs: str, source: ET.Element) -> str:
        """A paragraph of ready-made runs (a picture, a page break, a spacer)."""
        del source  # used by the redline writer
        return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{runs}</w:p>"

    def _list(self, elem: ET.Element, depth: int, num_id: int | None = None) -> str:
        if num_id is None:
            self.state.lists.append("ordered" if elem.tag == "ol" else "bullet")
            num_id = HEADING_NUM_ID + len(self.state.lists)
        out = []
        numpr = f'<w:numPr><w:ilvl w:val="{min(depth, 4)}"/><w:numId w:val="{num_id}"/></w:numPr>'
        for item in elem:
            if item.tag != "li":
                continue
            inline, nested, origin = split_item(item)
            ppr = self._item_numbering(elem, item, depth, numpr)
            out.append(self._para(inline, "ListParagraph", extra_ppr=ppr, source=origin))
            for child in nested:
                if child.tag == "p":
                    out.append(self._para(child, "ListParagraph"))
                else:
                    out.append(
                        self._list(child, depth + 1, num_id if child.tag == elem.tag else None)
                    )
        return "".join(out)

    def _table(self, elem: ET.Element) -> str:
        rows: list[tuple[bool, ET.Element]] = []
        for section in elem:
            for row in section:
                if row.tag == "tr":
                    rows.append((section.tag == "thead", row))
        # A header row with no text (a form laid out as a table) is left out.
        rows = [(h, r) for h, r in rows if not h or "".join(r.itertext()).strip()]
        has_head = any(h for h, _ in rows)
        ncols = max((len(list(r)) for _, r in rows), default=1)
        widths = _column_widths(self._layout_rows(rows), ncols)
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        # CT_TblPr order: tblStyle, ..., tblW, jc, ..., tblLayout, ..., tblLook
        out = [
            "<w:tbl><w:tblPr>"
            '<w:tblStyle w:val="PolicyTable"/><w:tblW w:w="5000" w:type="pct"/>'
            f'<w:tblLook w:val="{"04A0" if has_head else "0480"}" w:firstRow="{int(has_head)}" w:lastRow="0" w:firstColumn="0" '
            'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
        ]
        for is_head, row in rows:
            trpr = f"<w:trPr>{self._row_props(row, is_head)}</w:trPr>"
            cells = []
            for cell, width in zip(row, widths, strict=False):
                fmt = _Runs(bold=is_head)
                cells.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                    f"{self._para(cell, 'TableText', fmt=fmt)}</w:tc>"
                )
            out.append(f"<w:tr>{trpr}{''.join(cells)}</w:tr>")
        out.append("</w:tbl>")
        # Word needs a paragraph between two adjacent tables and after a final one.
        out.append(self._plain_para('<w:spacing w:after="0"/>', "", elem))
        return "".join(out)

    def _layout_rows(self, rows: list[tuple[bool, ET.Element]]) -> list[tuple[bool, ET.Element]]:
        """The rows whose text sizes the columns."""
        return rows

    def _row_props(self, row: ET.Element, is_head: bool) -> str:
        """The children of a row's w:trPr."""
        del row  # used by the redline writer
        # CT_TrPr: cantSplit before tblHeader (tracked changes, w:ins / w:del, come last)
        return "<w:cantSplit/><w:tblHeader/>" if is_head else "<w:cantSplit/>"

    def _block(self, elem: ET.Element) -> str:
        tag = elem.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return self._heading(elem)
        if tag == "p":
            if len(elem) == 1 and elem[0].tag == "img" and not (elem.text or "").strip():
                img = elem[0]
                picture = self._plain_para(
                    '<w:keepNext/><w:jc w:val="center"/>', self._drawing(img), elem
                )
                caption = ET.Element("p")
                caption.text = img.get("title") or img.get("alt", "")
                return picture + self._para(
                    caption, "Caption", extra_ppr='<w:jc w:val="center"/>', source=elem
                )
            return self._para(elem, None)
        if tag in ("ul", "ol"):
            return self._list(elem, 0)
        if tag == "table":
            return self._table(elem)
        if tag == "blockquote":
            return "".join(
                self._para(child, "Callout") if child.tag == "p" else self._block(child)
                for child in elem
            )
        if tag == "hr":
            return self._plain_para("", '<w:r><w:br w:type="page"/></w:r>', elem)
        if tag == "div":
            return "".join(self._block(child) for child in elem)
        return self._para(elem, None)

    # -- table of contents ------------------------------------------------------------------
    def _toc(self, root: ET.Element) -> str:
        entries = []
        for entry in toc_entries(root):
            label = f"{entry.number}\t{entry.text}" if entry.number else entry.text
            name = self.state.bookmarks.get(entry.ident)
            run = _text_run(label, _Runs())
            link = (
                f'<w:hyperlink w:anchor={attr(name)} w:history="1">{run}</w:hyperlink>'
                if name
                else run
            )
            entries.append((f"TOC{entry.level}", link))
        if not entries:
            return ""
        paras = [
            '<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr>'
            + _text_run("Contents", _Runs())
            + "</w:p>"
        ]
        for index, (style, link) in enumerate(entries):
            begin = ""
            if index == 0:
                begin = (
                    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                    '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText></w:r>'
                    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                )
            end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if index == len(entries) - 1 else ""
            paras.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{begin}{link}{end}</w:p>')
        paras.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        return "".join(paras)

    # -- package ----------------------------------------------------------------------------
    def _collect_bookmarks(self, root: ET.Element) -> None:
        for elem in root.iter():
            ident = elem.get("id")
            if ident and ident not in self.state.bookmarks:
                self.state.bookmarks[ident] = f"_s{len(self.state.bookmarks):04d}"

    def document_xml(self, root: ET.Element) -> str:
        """word/document.xml for ``root``; the contents are placed before the first section."""
        self._collect_bookmarks(root)
        body: list[str] = []
        toc_done = False
        for elem in root:
            classes = (elem.get("class") or "").split()
            if (
                self.toc
                and not toc_done
                and elem.tag == "h1"
                and "title" not in classes
                and "subtitle" not in classes
            ):
                body.append(self._toc(root))
                toc_done = True
            body.append(self._block(elem))
        sect = self.section_properties()
        return (
            ox.XML_HEAD
            + f"<w:document {ox.NS_DECL}><w:body>"
            + "".join(body)
            + sect
            + "</w:body></w:document>"
        )

    def _header(self) -> str:
        text = _text_run(self.meta.header_text, _Runs())
        if self.logo is not None:
            width, height = png_size(self.logo)
            cy = 365760  # 0.4 inch tall
            cx = max(1, width * cy // max(1, height))
            text = _picture(
                "rIdLogo", 9000, "logo.png", f"{self.meta.organization} logo", cx, cy
            ) + (_text_run("  ", _Runs()) + text)
        return (
            ox.XML_HEAD + f"<w:hdr {ox.NS_DECL}>"
            f'<w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>{text}</w:p></w:hdr>'
        )

    def _footer(self) -> str:
        left = _text_run(self.meta.footer_text + "\t", _Runs())
        page = (
            _text_run("Page ", _Runs())
            + '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
            + _text_run(" of ", _Runs())
            + '<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        )
        return (
            ox.XML_HEAD + f"<w:ftr {ox.NS_DECL}>"
            f'<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>{left}{page}</w:p></w:ftr>'
        )

    def _document_rels(self) -> str:
        rels = [
            ("rIdS1", "styles", "styles.xml", False),
            ("rIdS2", "numbering", "numbering.xml", False),
            ("rIdS3", "settings", "settings.xml", False),
            ("rIdH1", "header", "header1.xml", False),
            ("rIdF1", "footer", "footer1.xml", False),
        ]
        if self.theme is not None:
            rels.append(("rIdT1", "theme", "theme/theme1.xml", False))
        rels += [(rid, "hyperlink", href, True) for href, rid in self.state.links.items()]
        rels += [(rid, "image", f"media/{name}", False) for name, rid in self.state.media.items()]
        body = "".join(
            f'<Relationship Id="{rid}" Type="{ox.DOC_REL}/{kind}" Target={attr(target)}'
            + (' TargetMode="External"' if external else "")
            + "/>"
            for rid, kind, target, external in rels
        )
        return ox.XML_HEAD + f'<Relationships xmlns="{ox.REL_NS}">{body}</Relationships>'

    def write(self, root: ET.Element) -> bytes:
        """The DOCX package as bytes."""
        return self.package(self.document_xml(root))

    def section_properties(self) -> str:
        """The body's final w:sectPr: page size by language, header and footer."""
        letter = self.meta.language in ("en-US", "en-CA")
        width, height = (12240, 15840) if letter else (11906, 16838)
        # CT_SectPr order: headerReference, footerReference, ..., pgSz, pgMar, ..., cols, ..., docGrid
        return (
            '<w:sectPr><w:headerReference w:type="default" r:id="rIdH1"/>'
            '<w:footerReference w:type="default" r:id="rIdF1"/>'
            f'<w:pgSz w:w="{width}" w:h="{height}"/>'
            '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" '
            'w:header="708" w:footer="708" w:gutter="0"/>'
            '<w:cols w:space="708"/><w:docGrid w:linePitch="360"/></w:sectPr>'
        )

    def package(self, document: str) -> bytes:
        """Zip ``document`` (word/document.xml) with every other part, deterministically."""
        meta = self.meta
        parts: list[tuple[str, str | bytes]] = [
            (
                "[Content_Types].xml",
                ox.content_types(
                    [*self.state.media, *(["logo.png"] if self.logo else [])],
                    theme=self.theme is not None,
                ),
            ),
            ("_rels/.rels", ox.package_rels()),
            ("docProps/app.xml", ox.app_properties(meta.organization, meta.generator)),
            (
                "docProps/core.xml",
                ox.core_properties(
                    title=meta.title,
                    subject=meta.subject,
                    creator=meta.author,
                    keywords=meta.keywords,
                    description=meta.description,
                    language=meta.language,
                    date=meta.date,
                    revision=meta.version,
                ),
            ),
            ("word/document.xml", document),
            ("word/_rels/document.xml.rels", self._document_rels()),
            (
                "word/styles.xml",
                self.styles.replace(
                    'w:val="en-US" w:eastAsia', f'w:val="{meta.language}" w:eastAsia'
                ),
            ),
            ("word/numbering.xml", numbering_xml(self.state.lists)),
            ("word/settings.xml", ox.settings(meta.language)),
            ("word/header1.xml", self._header()),
            ("word/footer1.xml", self._footer()),
        ]
        if self.logo is not None:
            parts.append(
                (
                    "word/_rels/header1.xml.rels",
                    ox.XML_HEAD + f'<Relationships xmlns="{ox.REL_NS}"><Relationship Id="rIdLogo" '
                    f'Type="{ox.DOC_REL}/image" Target="media/logo.png"/></Relationships>',
                )
            )
            parts.append(("word/media/logo.png", self.logo))
        if self.theme is not None:
            parts.append(("word/theme/theme1.xml", self.theme))
        parts += [(f"word/media/{name}", self.images[name].data) for name in self.state.media]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in parts:
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 0
                archive.writestr(
                    info, content.encode("utf-8") if isinstance(content, str) else content
                )
        return buffer.getvalue()
