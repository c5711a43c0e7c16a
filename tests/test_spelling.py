"""Policies for GB, AU and CA are spelled as their readers spell; names keep their own spelling."""

from __future__ import annotations

import re

import pytest

from smpolicy._build import render_policy
from smpolicy.compose._spelling import respell, respell_word
from smpolicy.profile._model import parse_profile

from .conftest import profile_data

US_FORMS = re.compile(
    r"\b(organiz\w*|authoriz\w*|behavior\w*|color\b|rumors?|acknowledgments?)", re.I
)


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("organization", "en-GB", "organisation"),
        ("Organizations", "en-AU", "Organisations"),
        ("AUTHORIZED", "en-GB", "AUTHORISED"),
        ("organization", "en-CA", "organization"),
        ("behavior", "en-CA", "behaviour"),
        ("center", "en-AU", "centre"),
        ("program", "en-GB", "programme"),
        ("program", "en-AU", "program"),
        ("prize", "en-GB", "prize"),
        ("downsized", "en-GB", "downsized"),
        ("seize", "en-GB", "seize"),
        ("organization", "en-US", "organization"),
    ],
)
def test_respell_word(word: str, language: str, expected: str) -> None:
    assert respell_word(word, language) == expected


def test_protected_text_keeps_its_spelling() -> None:
    text = (
        "Ask the World Health Organization and our organization; see "
        "https://example.org/organization, [Behavior](#behavior-rules) and `color`."
    )
    assert respell(text, "en-GB", ["World Health Organization"]) == (
        "Ask the World Health Organization and our organisation; see "
        "https://example.org/organization, [Behaviour](#behavior-rules) and `color`."
    )
    assert respell(text, "en-US", []) == text


def _render(jurisdictions: list[str], name: str) -> str:
    data = profile_data(organization__jurisdictions=jurisdictions, organization__name=name)
    return render_policy(parse_profile(data, "test.yaml")).markdown


def test_british_policy_has_no_us_spelling_outside_names() -> None:
    name = "Riverside Behavioral Health Organization"
    markdown = _render(["GB"], name)
    assert markdown.count(name) >= 3, "the organization's own name is never respelled"
    leftover = US_FORMS.findall(markdown.replace(name, ""))
    assert leftover == [], leftover
    assert "organisation" in markdown and "behaviour" in markdown


def test_us_policy_is_not_respelled() -> None:
    markdown = _render(["US"], "Test Hospital")
    assert "organization" in markdown and "organisation" not in markdown
