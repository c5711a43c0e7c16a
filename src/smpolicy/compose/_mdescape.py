"""Markdown escaping for values inserted into templates.

Template text is Markdown written by us; every value that comes from a profile
or a pack is data and is escaped on output, the way HTML templates autoescape.
Helpers that build Markdown on purpose return :class:`MdSafe`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import Markup

# Characters that are markup anywhere in a line. Brackets are escaped, so parentheses and
# '!' can never form a link or an image.
_INLINE = set("\\`*_{}[]|")
# Characters written as character references, because a backslash does not escape them in
# every Markdown dialect: '<' and '>' would open raw HTML (live in MkDocs or on a Git host),
# '&' an entity, '~' strikethrough and '$' maths on GitHub. smpolicy's own parser turns
# exactly these references back into the characters (see _mdtree). '&' is written as a
# reference only where it could start one ("AT&amp;T"), and '$' only where it could close
# maths (not before a digit), so "Smith & Jones" and "$50,000" stay readable in the file.
REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;", "$": "&#36;"}
_REFERENCE_START = re.compile(r"#?[A-Za-z0-9]+;")
# Only markup at the start of a line: lists, headings, setext underlines.
_LINE_START = set("-+#")
_LINE_START_REFERENCES = {"=": "&#61;"}


class MdSafe(str):
    """A string that is already Markdown and must not be escaped again."""

    __slots__ = ()


_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")
# Any character the loop below could change, anywhere in the text: without one (and with a
# first character that is neither a line-start mark nor a digit) the text is its own escape.
_SPECIAL = re.compile(r"[\\`*_{}\[\]|&<>~$\r\n\t\v\f\u2028\u2029]")
_PLAIN_START = frozenset(_LINE_START | set(_LINE_START_REFERENCES) | set("0123456789"))


def md_escape(value: object) -> MdSafe:
    """Escape ``value`` so Markdown shows it literally (no markup, no line breaks)."""
    if isinstance(value, MdSafe):
        return value
    text = str(value)
    if not _SPECIAL.search(text) and text[:1] not in _PLAIN_START:
        return MdSafe(text)  # nothing to escape (what the loop below would give)
    return _escape(text)


def _escape(text: str) -> MdSafe:
    text = _BREAKS.sub(" ", text)
    out = []
    for index, char in enumerate(text):
        if char in REFERENCES and _needs_reference(text, index):
            out.append(REFERENCES[char])
        elif char in _INLINE or (index == 0 and char in _LINE_START):
            out.append("\\" + char)
        elif index == 0 and char in _LINE_START_REFERENCES:
            out.append(_LINE_START_REFERENCES[char])
        else:
            out.append(char)
    escaped = "".join(out)
    # "1986. Founded" or "1986) Founded" at the start of a line would become a numbered list.
    head = escaped[: len(escaped) - len(escaped.lstrip("0123456789"))]
    if head and escaped[len(head) : len(head) + 1] in (".", ")"):
        escaped = head + "\\" + escaped[len(head) :]
    return MdSafe(escaped)


def _needs_reference(text: str, index: int) -> bool:
    char, following = text[index], text[index + 1 : index + 2]
    if char == "&":
        return _REFERENCE_START.match(text, index + 1) is not None
    if char == "$":
        return not following.isdigit()
    return True


def finalize(value: Any) -> Any:
    """Jinja ``finalize`` hook: escape data, leave Markdown built by helpers alone."""
    if value is None:
        return ""
    if isinstance(value, MdSafe | Markup):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return md_escape(value)
