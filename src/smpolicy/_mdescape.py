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
# '!' can never form a link or an image; raw HTML is switched off in the parser.
_INLINE = set("\\`*_{}[]|")
# Only markup at the start of a line: lists, headings, block quotes.
_LINE_START = set("-+#>")


class MdSafe(str):
    """A string that is already Markdown and must not be escaped again."""

    __slots__ = ()


def md_escape(value: object) -> MdSafe:
    """Escape ``value`` so Markdown shows it literally (no markup, no line breaks)."""
    if isinstance(value, MdSafe):
        return value
    text = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(value))
    out = []
    for index, char in enumerate(text):
        if char in _INLINE or (index == 0 and char in _LINE_START):
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    # "1986. Founded" at the start of a line would become a numbered list.
    head, dot, _rest = escaped.partition(".")
    if dot and head.isdigit():
        escaped = head + "\\." + escaped[len(head) + 1 :]
    return MdSafe(escaped)


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
