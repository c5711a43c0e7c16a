"""Redlines: the new version's own DOCX with tracked changes from the old one, and text diffs.

Both versions' Markdown is parsed into element trees (the ones the DOCX writer reads). The
trees are aligned block by block (difflib over block signatures); paired blocks are aligned
further (list items, table rows, cells), and paired paragraphs are diffed word by word. The
result is one merged tree: unchanged and new elements from the new version, deleted ones
from the old version marked as deleted, inserted ones marked as inserted, changed paragraphs
linked to their old text. The ordinary DOCX writer renders it, with a few hooks that emit
``w:ins`` / ``w:del`` runs, paragraph-mark revisions and row revisions, so the redline has
the policy's styles, tables, numbering, pictures, header, footer and contents.

The same walk counts the changed paragraphs and lists them, so the summary of changes uses
the diff the redline shows (one diff, computed once).
"""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING

from smpolicy.compose._mdescape import md_escape
from smpolicy.render._docx import (
    DocxMeta,
    DocxWriter,
    Image,
    _Runs,
    _text_run,
    heading_style,
    split_item,
)
from smpolicy.render._docxstyles import HEADING_INDENTS
from smpolicy.render._mdtree import TocEntry, parse_markdown, toc_entries
from smpolicy.render._ooxml import attr

if TYPE_CHECKING:
    from smpolicy.render._reference import HouseStyle

REV = "data-smpolicy-rev"  # "ins" or "del" on every element of an inserted or deleted block
INS, DEL = "ins", "del"
_WORD = re.compile(r"\w+(?:['\u2019.,:/-]\w+)*|\s+|[^\w\s]")
_CONTAINERS = ("ul", "ol", "blockquote", "div", "table", "thead", "tbody")
_BLOCKS = ("p", "ul", "ol", "table", "blockquote", "div", "hr", "h1", "h2", "h3", "h4", "h5", "h6")
_SIMILAR = 0.3  # paragraphs sharing less than this share of their words are replaced whole


@dataclass(frozen=True)
class ParagraphChange:
    """One changed paragraph: its text before and after ("" when inserted or deleted), the
    section it is in (number and heading, as in the new version) and the change in Markdown
    (deleted words struck through, inserted words in bold, a few words of context)."""

    old: str
    new: str
    section: str = ""
    excerpt: str = ""


@dataclass(frozen=True)
class Redline:
    """A redline DOCX and the changes it shows."""

    docx: bytes
    changes: tuple[ParagraphChange, ...]

    @property
    def changed_paragraphs(self) -> int:
        """How many paragraphs were inserted, deleted or changed (a table row counts once)."""
        return len(self.changes)


# -- aligning two trees -------------------------------------------------------------------


def _words(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def _signature(elem: ET.Element) -> tuple[str, str, str, tuple[str, ...]]:
    images = tuple(img.get("src", "") for img in elem.iter("img"))
    return (elem.tag, elem.get("class") or "", _words(elem), images)


def _kind(elem: ET.Element) -> tuple[str, str]:
    return (elem.tag, elem.get("class") or "")


def _similarity(old: ET.Element, new: ET.Element) -> float:
    a, b = _words(old).split(), _words(new).split()
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _mark(elem: ET.Element, kind: str) -> ET.Element:
    for node in elem.iter():
        node.set(REV, kind)
        if kind == DEL:
            node.attrib.pop("id", None)  # a deleted heading keeps no bookmark
    return elem


def _is_picture(elem: ET.Element) -> bool:
    return elem.tag == "p" and any(child.tag == "img" for child in elem)


class _Merger:
    """Builds the merged tree and remembers which old element each changed one replaces."""

    def __init__(self) -> None:
        self.partners: dict[int, ET.Element] = {}
        self._keep: list[ET.Element] = []  # keeps partners alive so their ids stay unique

    def children(self, old: Sequence[ET.Element], new: Sequence[ET.Element]) -> list[ET.Element]:
        out: list[ET.Element] = []
        matcher = difflib.SequenceMatcher(
            None, [_signature(e) for e in old], [_signature(e) for e in new], autojunk=False
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                out.extend(new[j1:j2])
            else:
                out.extend(self._replace(old[i1:i2], new[j1:j2]))
        return out

    def _replace(self, old: Sequence[ET.Element], new: Sequence[ET.Element]) -> list[ET.Element]:
        out: list[ET.Element] = []
        for before, after in _align(old, new):
            if before is not None and after is not None:
                out.append(self._pair(before, after))
            elif before is not None:
                out.append(_mark(before, DEL))
            elif after is not None:
                out.append(_mark(after, INS))
        return out

    def _link(self, old: ET.Element, new: ET.Element) -> None:
        self.partners[id(new)] = old
        self._keep.append(old)

    def _pair(self, old: ET.Element, new: ET.Element) -> ET.Element:
        if new.tag in _CONTAINERS:
            new[:] = self.children(list(old), list(new))
        elif new.tag == "tr":
            self._pair_cells(old, new)
        elif new.tag == "li":
            self._pair_item(old, new)
        else:
            self._link(old, new)
        return new

    def _pair_cells(self, old: ET.Element, new: ET.Element) -> None:
        # Cells keep their columns: paired by position, never inserted or deleted alone.
        olds = list(old)
        for index, cell in enumerate(new):
            if index < len(olds):
                self._link(olds[index], cell)
            else:
                _mark(cell, INS)

    def _pair_item(self, old: ET.Element, new: ET.Element) -> None:
        loose = any(child.tag == "p" for child in new) or any(child.tag == "p" for child in old)
        if loose:
            new[:] = self.children(list(old), list(new))
            return
        self._link(old, new)
        old_blocks = [c for c in old if c.tag in _BLOCKS]
        new_inline = [c for c in new if c.tag not in _BLOCKS]
        new_blocks = [c for c in new if c.tag in _BLOCKS]
        new[:] = new_inline + self.children(old_blocks, new_blocks)


def _affinity(old: ET.Element, new: ET.Element) -> float:
    """How well ``old`` pairs with ``new``: 0 when they are better replaced whole."""
    if _kind(old) != _kind(new) or _is_picture(old) or _is_picture(new):
        return 0.0
    if old.tag == "table" and _columns(old) != _columns(new):
        similarity = _similarity(old, new)
        return similarity if similarity >= _SIMILAR else 0.0
    if old.tag in _CONTAINERS:
        return 0.5 + _similarity(old, new)  # a list or a table is changed, rarely replaced
    similarity = _similarity(old, new)
    return similarity if similarity >= _SIMILAR else 0.0


_ALIGN_LIMIT = 400  # pairs scored at most; past it, blocks are paired in order


def _align(
    old: Sequence[ET.Element], new: Sequence[ET.Element]
) -> list[tuple[ET.Element | None, ET.Element | None]]:
    """Pair blocks in order, the most alike (of one kind): the deleted and inserted blocks
    around the pairs come unpaired (deletions before insertions)."""
    n, m = len(old), len(new)
    if n * m > _ALIGN_LIMIT:
        score = [
            [_affinity(o, w) if i == j else 0.0 for j, w in enumerate(new)]
            for i, o in enumerate(old)
        ]
    else:
        score = [[_affinity(o, w) for w in new] for o in old]
    # best[i][j]: the best total over old[i:] and new[j:] (a monotone matching).
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pair = best[i + 1][j + 1] + score[i][j] if score[i][j] > 0 else -1.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], pair)
    out: list[tuple[ET.Element | None, ET.Element | None]] = []
    pending_old: list[ET.Element] = []
    pending_new: list[ET.Element] = []
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == best[i + 1][j + 1] + score[i][j]:
            out.extend((o, None) for o in pending_old)
            out.extend((None, w) for w in pending_new)
            pending_old, pending_new = [], []
            out.append((old[i], new[j]))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pending_old.append(old[i])
            i += 1
        else:
            pending_new.append(new[j])
            j += 1
    out.extend((o, None) for o in [*pending_old, *old[i:]])
    out.extend((None, w) for w in [*pending_new, *new[j:]])
    return out


def _columns(table: ET.Element) -> int:
    return max((len(row) for row in table.iter("tr")), default=0)


# -- diffing paragraphs word by word --------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """A word, a space or a punctuation mark (or a picture or line break) with its format."""

    text: str
    bold: bool
    italic: bool
    code: bool
    href: str | None
    obj: ET.Element | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, bool, bool, bool, str | None, str]:
        obj = "" if self.obj is None else f"{self.obj.tag}:{self.obj.get('src', '')}"
        return (self.text, self.bold, self.italic, self.code, self.href, obj)


def _tokens(elem: ET.Element, fmt: _Runs, href: str | None = None) -> list[_Token]:
    """``elem``'s inline content as tokens, formats resolved the way the writer does."""
    out: list[_Token] = []

    def text(value: str | None, fmt: _Runs) -> None:
        out.extend(
            _Token(word, fmt.bold, fmt.italic, fmt.code, href)
            for word in _WORD.findall(value or "")
        )

    text(elem.text, fmt)
    for child in elem:
        tag = child.tag
        if tag in ("strong", "b"):
            out.extend(_tokens(child, _Runs(True, fmt.italic, fmt.code), href))
        elif tag in ("em", "i"):
            out.extend(_tokens(child, _Runs(fmt.bold, True, fmt.code), href))
        elif tag == "code":
            out.extend(_tokens(child, _Runs(fmt.bold, fmt.italic, True), href))
        elif tag == "a":
            out.extend(_tokens(child, fmt, child.get("href", "")))
        elif tag in ("br", "img"):
            out.append(_Token("", fmt.bold, fmt.italic, fmt.code, href, child))
        else:
            out.extend(_tokens(child, fmt, href))
        text(child.tail, fmt)
    return out


def _plain(tokens: Sequence[_Token]) -> str:
    return " ".join("".join(t.text for t in tokens).split())


def _word_diff(old: Sequence[_Token], new: Sequence[_Token]) -> list[tuple[_Token, str]]:
    """Tokens of both versions in reading order, each "", INS or DEL.

    Changes separated only by spaces are joined, so a changed phrase reads as one deletion
    followed by one insertion rather than alternating words.
    """
    matcher = difflib.SequenceMatcher(
        None, [t.key for t in old], [t.key for t in new], autojunk=False
    )
    ops = matcher.get_opcodes()
    out: list[tuple[_Token, str]] = []
    deleted: list[_Token] = []
    inserted: list[_Token] = []

    def flush() -> None:
        out.extend((t, DEL) for t in deleted)
        out.extend((t, INS) for t in inserted)
        deleted.clear()
        inserted.clear()

    for index, (op, i1, i2, j1, j2) in enumerate(ops):
        if op == "equal":
            between = 0 < index < len(ops) - 1
            if (
                between
                and (deleted or inserted)
                and not "".join(t.text for t in new[j1:j2]).strip()
            ):
                deleted.extend(old[i1:i2])
                inserted.extend(new[j1:j2])
                continue
            flush()
            out.extend((t, "") for t in new[j1:j2])
        else:
            deleted.extend(old[i1:i2])
            inserted.extend(new[j1:j2])
    flush()
    return out


# -- writing ---------------------------------------------------------------------------------


class _RedlineWriter(DocxWriter):
    """The DOCX writer, rendering a merged tree with tracked changes."""

    def __init__(
        self,
        meta: DocxMeta,
        images: dict[str, Image] | None,
        style: HouseStyle | None,
        *,
        author: str,
        date: str,
        partners: dict[int, ET.Element],
        toc: tuple[list[TocEntry], list[TocEntry]],
    ) -> None:
        super().__init__(
            meta,
            images,
            style.styles if style else None,
            theme=style.theme if style else None,
            logo=style.logo if style else None,
        )
        self.author = author
        self.date = f"{date}T00:00:00Z"
        self.partners = partners
        self.toc_pair = toc
        self.next_rev = 0
        self.changes: list[ParagraphChange] = []
        self.numbered_levels = _numbered_heading_levels(self.styles)
        self.counters = [0, 0, 0]
        self.number = ""  # the number of the heading or list item being written, for _para
        self.list_counts: dict[int, int] = {}
        self.tracked: dict[int, bool] = {}
        self.section = ""  # the heading the paragraphs being written are under
        # The table row being written: its first cell's text and its change so far.
        self.row_label: str | None = None
        self.row_change: ParagraphChange | None = None

    def _rev(self, kind: str, body: str | None = None) -> str:
        """A w:ins or w:del element (empty, for a paragraph mark or a row, when no body)."""
        self.next_rev += 1
        attrs = f'w:id="{self.next_rev}" w:author={attr(self.author)} w:date="{self.date}"'
        if body is None:
            return f"<w:{kind} {attrs}/>"
        return f"<w:{kind} {attrs}>{body}</w:{kind}>"

    def document_xml(self, root: ET.Element) -> str:
        self._collect_bookmarks(root)
        # Revision ids follow the bookmark ids: Word wants annotation ids unique.
        self.next_rev = len(self.state.bookmarks) + 1
        return super().document_xml(root)

    # -- runs ------------------------------------------------------------------------------
    def _runs(self, items: Sequence[tuple[_Token, str]]) -> str:
        out: list[str] = []
        for href, linked in groupby(items, key=lambda item: item[0].href):
            style = None if href is None else "Hyperlink"
            inner = "".join(
                self._revision_runs(list(group), kind, style)
                for kind, group in groupby(linked, key=lambda item: item[1])
            )
            out.append(inner if href is None else self._link(href, inner))
        return "".join(out)

    def _revision_runs(self, items: list[tuple[_Token, str]], kind: str, style: str | None) -> str:
        runs: list[str] = []
        deleted = kind == DEL
        for fmt_key, group in groupby(
            (token for token, _ in items), key=lambda t: (t.bold, t.italic, t.code, t.obj is None)
        ):
            bold, italic, code, is_text = fmt_key
            tokens = list(group)
            fmt = _Runs(bold, italic, code)
            if is_text:
                runs.append(_text_run("".join(t.text for t in tokens), fmt, style, deleted=deleted))
                continue
            for obj in (token.obj for token in tokens if token.obj is not None):
                run = "<w:r><w:br/></w:r>" if obj.tag == "br" else self._drawing(obj)
                runs.append(_as_deleted(run) if deleted else run)
        body = "".join(runs)
        if not kind or not body:
            return body
        return self._rev(kind, body)

    # -- paragraphs --------------------------------------------------------------------------
    def _para(
        self,
        elem: ET.Element,
        style: str | None,
        *,
        extra_ppr: str = "",
        fmt: _Runs | None = None,
        source: ET.Element | None = None,
    ) -> str:
        origin = elem if source is None else source
        mark = origin.get(REV)
        partner = self.partners.get(id(origin))
        number, self.number = self.number, ""
        if mark is None and partner is None and not number:
            return super()._para(elem, style, extra_ppr=extra_ppr, fmt=fmt)
        fmt = fmt or _Runs()
        new = _tokens(elem, fmt)
        if partner is not None:
            old_elem = split_item(partner)[0] if partner.tag == "li" else partner
            old = _tokens(old_elem, fmt)
            items = _word_diff(old, new)
        elif mark is None:
            old, items = new, [(token, "") for token in new]
        elif mark == INS:
            old, items = [], [(token, INS) for token in new]
        else:
            old, new, items = new, [], [(token, DEL) for token in new]
        if in_cell := origin.tag in ("td", "th"):
            self._note_cell(items, old, new)
        elif any(kind for _, kind in items):
            self.changes.append(
                ParagraphChange(_plain(old), _plain(new), self.section, _excerpt(items))
            )
        if number:
            items.insert(0, (_Token(number, False, False, False, None), mark or ""))
        # A cell's only paragraph cannot be inserted or deleted: its row carries the change.
        para_mark = self._rev(mark) if mark and not in_cell else ""
        ppr = (f'<w:pStyle w:val="{style}"/>' if style else "") + extra_ppr + _para_rpr(para_mark)
        start, end = self._bookmark(elem)
        ppr_xml = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
        return f"<w:p>{ppr_xml}{start}{self._runs(items)}{end}</w:p>"

    def _note_cell(
        self, items: list[tuple[_Token, str]], old: list[_Token], new: list[_Token]
    ) -> None:
        """One change per table row: its changed cells, after the row's first cell."""
        changed = any(kind for _, kind in items)
        if self.row_label is None:
            self.row_label = _plain(new) or _plain(old)
            if not changed:
                return
        if not changed:
            return
        cell = ParagraphChange(_plain(old), _plain(new), self.section, _excerpt(items))
        if self.row_change is None:
            lead = self.row_label if self.row_label != cell.new and cell.excerpt else ""
            cell = ParagraphChange(
                cell.old,
                cell.new,
                cell.section,
                f"{md_escape(lead)}: {cell.excerpt}" if lead else cell.excerpt,
            )
            self.changes.append(cell)
        else:
            last = self.changes.pop()
            cell = ParagraphChange(
                f"{last.old} | {cell.old}".strip(" |"),
                f"{last.new} | {cell.new}".strip(" |"),
                cell.section,
                f"{last.excerpt} | {cell.excerpt}",
            )
            self.changes.append(cell)
        self.row_change = cell

    def _plain_para(self, ppr: str, runs: str, source: ET.Element) -> str:
        mark = source.get(REV)
        if mark is None:
            return super()._plain_para(ppr, runs, source)
        if _is_picture(source):
            change = "removed" if mark == DEL else "added"
            self.changes.append(
                ParagraphChange(
                    "[picture]" if mark == DEL else "",
                    "" if mark == DEL else "[picture]",
                    self.section,
                    f"picture {change}",
                )
            )
        if runs:
            runs = self._rev(mark, _as_deleted(runs) if mark == DEL else runs)
        return f"<w:p><w:pPr>{ppr}{_para_rpr(self._rev(mark))}</w:pPr>{runs}</w:p>"

    def _heading(self, elem: ET.Element) -> str:
        """A heading, its number written out: the new version's numbers, nothing else.

        Automatic numbering would count deleted and inserted headings differently in each
        viewer (LibreOffice shows "3.1[2.1]"); so the style's numbering is switched off
        (numId 0) and the number is a run, laid out as the numbering would (tab, indent).
        """
        mark = elem.get(REV)
        style, in_appendix = heading_style(elem, self.in_appendix)
        if mark != DEL:
            self.in_appendix = in_appendix
        level = self.numbered_levels.get(style, 0)
        if not level:
            if mark != DEL and style not in ("Title", "Subtitle"):
                self.section = _words(elem)
            return self._para(elem, style)
        indent = HEADING_INDENTS[level - 1]
        layout = _number_layout(level - 1, indent, 0 if mark == DEL else indent)
        if mark != DEL:  # a deleted heading takes no number
            self.counters[level - 1] += 1
            self.counters[level:] = [0] * (3 - level)
            number = ".".join(str(n) for n in self.counters[:level]) + ("." if level == 1 else "")
            self.number = f"{number}\t"
            self.section = f"{number} {_words(elem)}"
        return self._para(elem, style, extra_ppr=layout)

    def _item_numbering(self, elem: ET.Element, item: ET.Element, depth: int, numpr: str) -> str:
        """Numbers written out, as for headings, in an ordered list with tracked changes.

        LibreOffice shows such a list's items as "6.[2.]" (a number of its own, then the
        old one), even when only words inside an item changed.
        """
        if elem.tag != "ol" or not self._tracked(elem):
            return numpr
        level = min(depth, 4)
        indent = 360 * (level + 1) + 360
        if item.get(REV) != DEL:  # a deleted item takes no number
            count = self.list_counts.get(id(elem), 0) + 1
            self.list_counts[id(elem)] = count
            self.number = f"{_list_number(count, level)}\t"
        return _number_layout(level, indent, 0 if item.get(REV) == DEL else 360)

    def _tracked(self, elem: ET.Element) -> bool:
        """Whether anything in ``elem`` is inserted, deleted or changed."""
        key = id(elem)
        if key not in self.tracked:
            self.tracked[key] = any(
                node.get(REV) is not None or id(node) in self.partners for node in elem.iter()
            )
        return self.tracked[key]

    # -- tables ------------------------------------------------------------------------------
    def _layout_rows(self, rows: list[tuple[bool, ET.Element]]) -> list[tuple[bool, ET.Element]]:
        kept = [(head, row) for head, row in rows if row.get(REV) != DEL]
        return kept or rows

    def _row_props(self, row: ET.Element, is_head: bool) -> str:
        self.row_label, self.row_change = None, None
        mark = row.get(REV)
        base = super()._row_props(row, is_head)
        return base + self._rev(mark) if mark else base

    # -- contents ----------------------------------------------------------------------------
    def _toc(self, root: ET.Element) -> str:
        old, new = self.toc_pair
        if not old:
            return super()._toc(root)
        matcher = difflib.SequenceMatcher(
            None, [(e.level, e.text) for e in old], [(e.level, e.text) for e in new], autojunk=False
        )
        lines: list[tuple[str, str, str]] = []  # (style, paragraph mark, runs)

        def words(text: str) -> list[_Token]:
            return [_Token(w, False, False, False, None) for w in _WORD.findall(text)]

        def number(entry: TocEntry, kind: str) -> list[tuple[_Token, str]]:
            # Only the new numbers are shown, as in the headings.
            return (
                [(_Token(f"{entry.number}\t", False, False, False, None), kind)]
                if entry.number
                else []
            )

        def linked(entry: TocEntry, runs: str) -> str:
            name = self.state.bookmarks.get(entry.ident)
            if not name:
                return runs
            return f'<w:hyperlink w:anchor={attr(name)} w:history="1">{runs}</w:hyperlink>'

        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            befores, afters = old[i1:i2], new[j1:j2]
            if op == "equal":
                for before, after in zip(befores, afters, strict=True):
                    items = number(after, "") + _word_diff(words(before.text), words(after.text))
                    lines.append((f"TOC{after.level}", "", linked(after, self._runs(items))))
                continue
            for entry in befores:
                runs = self._runs([(t, DEL) for t in words(entry.text)])
                lines.append((f"TOC{entry.level}", self._rev(DEL), runs))
            for entry in afters:
                runs = self._runs(number(entry, INS) + [(t, INS) for t in words(entry.text)])
                lines.append((f"TOC{entry.level}", self._rev(INS), linked(entry, runs)))
        paras = [
            '<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr>'
            + _text_run("Contents", _Runs())
            + "</w:p>"
        ]
        for index, (style, mark, runs) in enumerate(lines):
            begin = ""
            if index == 0:
                begin = (
                    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                    '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText></w:r>'
                    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                )
            end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if index == len(lines) - 1 else ""
            paras.append(
                f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{_para_rpr(mark)}</w:pPr>'
                f"{begin}{runs}{end}</w:p>"
            )
        paras.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        return "".join(paras)


_CONTEXT = 8  # words of unchanged text kept either side of a change in an excerpt
_LONGEST = 40  # words of an inserted or deleted passage shown in an excerpt


def _excerpt(items: Sequence[tuple[_Token, str]]) -> str:
    """The changed words of a paragraph in Markdown, with a little context."""
    groups = [
        (kind, "".join(t.text for t, _ in group))
        for kind, group in groupby(items, key=lambda i: i[1])
    ]
    out: list[str] = []
    for index, (kind, text) in enumerate(groups):
        if kind:
            changed = text.split()
            if changed:
                if len(changed) > _LONGEST:
                    changed = [*changed[:_LONGEST], "…"]
                mark = "~~" if kind == DEL else "**"
                lead = " " if text[:1].isspace() else ""
                tail = " " if text[-1:].isspace() else ""
                out.append(f"{lead}{mark}{md_escape(' '.join(changed))}{mark}{tail}")
            continue
        words = text.split(" ")
        if index > 0 and index < len(groups) - 1 and len(words) > 2 * _CONTEXT:
            words = [*words[:_CONTEXT], "…", *words[-_CONTEXT:]]
        elif index == 0 and len(groups) > 1 and len(words) > _CONTEXT:
            words = ["…", *words[-_CONTEXT:]]
        elif index == len(groups) - 1 and index > 0 and len(words) > _CONTEXT:
            words = [*words[:_CONTEXT], "…"]
        out.append(" ".join(md_escape(w) if w != "…" else w for w in words))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def changes_markdown(changes: Sequence[ParagraphChange], limit: int = 60) -> str:
    """A Markdown list of ``changes``, grouped under the sections they are in."""
    lines: list[str] = []
    section = None
    for change in changes[:limit]:
        if change.section != section:
            section = change.section
            lines.append(f"- **{md_escape(section or 'Front matter')}**")
        lines.append(f"    - {change.excerpt}")
    if len(changes) > limit:
        lines.append(f"- … and {len(changes) - limit} more changes: see the redline.")
    return "\n".join(lines) + "\n" if lines else ""


def _para_rpr(mark: str) -> str:
    # CT_PPr: rPr comes after every other paragraph property; in CT_ParaRPr ins/del come first.
    return f"<w:rPr>{mark}</w:rPr>" if mark else ""


def _as_deleted(runs: str) -> str:
    """Runs the writer made, with their text as deleted text."""
    return (
        runs.replace('<w:t xml:space="preserve">', '<w:delText xml:space="preserve">')
        .replace("<w:t>", "<w:delText>")
        .replace("</w:t>", "</w:delText>")
    )


def _number_layout(level: int, indent: int, hanging: int) -> str:
    """Paragraph properties of a number written out: automatic numbering off (numId 0),
    a tab stop and indents where the numbering would put them (none for a deleted, unnumbered
    paragraph: its text lines up with the others')."""
    # CT_PPr order: numPr, tabs, ind; CT_NumPr: ilvl, numId.
    return (
        f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="0"/></w:numPr>'
        f'<w:tabs><w:tab w:val="left" w:pos="{indent}"/></w:tabs>'
        f'<w:ind w:left="{indent}" w:hanging="{hanging}"/>'
    )


def _list_number(count: int, level: int) -> str:
    """The label of item ``count`` at ``level`` of an ordered list (as numbering.xml has it)."""
    kind = ("decimal", "letter", "roman", "decimal", "letter")[level]
    if kind == "letter":
        label = ""
        while count:
            count, rest = divmod(count - 1, 26)
            label = chr(ord("a") + rest) + label
    elif kind == "roman":
        label = ""
        for value, numeral in (
            (1000, "m"),
            (900, "cm"),
            (500, "d"),
            (400, "cd"),
            (100, "c"),
            (90, "xc"),
            (50, "l"),
            (40, "xl"),
            (10, "x"),
            (9, "ix"),
            (5, "v"),
            (4, "iv"),
            (1, "i"),
        ):
            while count >= value:
                label, count = label + numeral, count - value
    else:
        label = str(count)
    return f"{label}."


def _numbered_heading_levels(styles: str) -> dict[str, int]:
    """Heading1 to Heading3, where the styles number them (as ours do), and their levels."""
    levels: dict[str, int] = {}
    for level in (1, 2, 3):
        match = re.search(
            rf'<w:style\b[^>]*w:styleId="Heading{level}"[^>]*>(.*?)</w:style>', styles, re.S
        )
        if match and "<w:numPr>" in match.group(1) and 'w:numId w:val="0"' not in match.group(1):
            levels[f"Heading{level}"] = level
    return levels


def redline(
    old_markdown: str,
    new_markdown: str,
    meta: DocxMeta,
    *,
    author: str,
    date: str,
    images: dict[str, Image] | None = None,
    style: HouseStyle | None = None,
    old_images: dict[str, Image] | None = None,
) -> Redline:
    """The new version's DOCX with tracked changes from the old one, and the changes it shows.

    ``meta``, ``images`` and ``style`` are the new version's, as for its own DOCX; ``date``
    (ISO) and ``author`` are recorded on every revision. A picture of ``old_images`` that
    differs from the new version's (the flowchart, when its inputs changed) is shown
    replaced. Same inputs, same bytes.
    """
    old_root = parse_markdown(old_markdown)
    new_root = parse_markdown(new_markdown)
    images = dict(images or {})
    for img in old_root.iter("img"):
        name = img.get("src", "")
        before = (old_images or {}).get(name)
        if before is not None and (name not in images or images[name].data != before.data):
            img.set("src", f"previous-{name}")  # a different picture: deleted, then inserted
            images[f"previous-{name}"] = before
    toc = (toc_entries(old_root), toc_entries(new_root))
    merger = _Merger()
    merged = ET.Element("div")
    merged[:] = merger.children(list(old_root), list(new_root))
    writer = _RedlineWriter(
        meta,
        images,
        style,
        author=author,
        date=date,
        partners=merger.partners,
        toc=toc,
    )
    docx = writer.write(merged)
    return Redline(docx, tuple(writer.changes))


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of a policy: its style and plain text."""

    style: str
    text: str


def blocks(markdown: str) -> list[Block]:
    """Flatten a policy's Markdown into styled paragraphs, in reading order."""
    root = parse_markdown(markdown)
    out: list[Block] = []

    def walk_list(elem: ET.Element) -> None:
        for item in elem:
            inline, nested, _ = split_item(item)
            out.append(Block("ListParagraph", _words(inline)))
            for child in nested:
                if child.tag == "p":
                    out.append(Block("ListParagraph", _words(child)))
                else:
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
            out.append(Block(style, _words(elem)))
        elif tag in ("ul", "ol"):
            walk_list(elem)
        elif tag == "table":
            out.extend(
                Block("TableText", " | ".join(_words(c) for c in row)) for row in elem.iter("tr")
            )
        elif tag == "blockquote":
            out.extend(Block("Callout", _words(p)) for p in elem)
        else:
            out.append(Block("Normal", _words(elem)))
    return [b for b in out if b.text]


def text_diff(old_markdown: str, new_markdown: str, old_label: str, new_label: str) -> str:
    """A unified diff of the two versions' text, one paragraph per line."""
    a = [f"{b.text}\n" for b in blocks(old_markdown)]
    b = [f"{b.text}\n" for b in blocks(new_markdown)]
    return "".join(difflib.unified_diff(a, b, old_label, new_label, n=1))
