"""Replacements made for speed behave exactly like what they replaced."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import pytest

from smpolicy.render._ooxml import attr, esc

SAMPLES = [
    "",
    "plain",
    "a & b",
    "<w:t>",
    'say "hi"',
    "it's",
    "both \" and '",
    "tab\tnl\ncr\r",
    "&amp;",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_xml_escaping_matches_saxutils(text: str) -> None:
    assert esc(text) == escape(text)
    assert attr(text) == quoteattr(text)
