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


def test_yaml_cache_gives_the_same_data_and_keeps_every_check(tmp_path, monkeypatch) -> None:
    import datetime as dt

    from smpolicy._yaml import load_yaml
    from smpolicy.errors import InputFileError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMPOLICY_NO_CACHE", raising=False)
    good = tmp_path / "good.yaml"
    good.write_text(
        "a: 1\nb: [x, 2.5, null, true, 2024-02-29, 2024-02-29 10:00:00]\n"
        "3: {nested: {deep: ok}}\nno: no\nanchor: &x {k: v}\nref: *x\n"
    )
    first = load_yaml(good)
    assert list((tmp_path / "cache").rglob("*.json")), "a parsed file is cached"
    second = load_yaml(good)
    assert second == first
    assert [type(v) for v in second["b"]] == [type(v) for v in first["b"]]
    assert second["b"][4] == dt.date(2024, 2, 29)
    assert list(second) == list(first)  # key order kept
    assert second["no"] == "no"  # YAML 1.2: "no" is a string
    # An edited file is a different entry: never the stale data, never a skipped check.
    good.write_text("a: 1\na: 2\n")
    with pytest.raises(InputFileError, match="duplicate key"):
        load_yaml(good)
    good.write_text("when: 2023-02-30\n")
    with pytest.raises(InputFileError, match="not a date"):
        load_yaml(good)


def test_profiles_are_not_cached(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    from smpolicy.profile._model import load_profile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMPOLICY_NO_CACHE", raising=False)
    example = Path(__file__).parents[1] / "profiles" / "examples" / "community-hospital.yaml"
    load_profile(example)
    assert not list((tmp_path / "cache").rglob("yaml-1/*.json"))
