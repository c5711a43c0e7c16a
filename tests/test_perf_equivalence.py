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


def _same(a: object, b: object) -> bool:
    """Equal, with the same types and key order all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return _same(list(a), list(b)) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_the_shipped_yaml_seed_is_up_to_date() -> None:
    from smpolicy._yaml import SEED_FILE, make_seed, seed_sources

    assert seed_sources(), "the built-in YAML files are found"
    assert SEED_FILE.read_bytes() == make_seed(seed_sources()), (
        "src/smpolicy/_yaml_seed.json is out of date: run `make yaml-seed`"
    )


def test_every_builtin_yaml_file_loads_from_the_seed_exactly_as_parsed(
    tmp_path, monkeypatch
) -> None:
    from smpolicy._yaml import _parse, load_yaml, read_text, seed_sources

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMPOLICY_NO_CACHE", raising=False)
    for path in seed_sources():
        parsed = _parse(read_text(path), path, round_trip=False)
        assert _same(load_yaml(path), parsed), path
    assert not list((tmp_path / "cache").rglob("*.json")), "built-in files come from the seed"


def test_an_edited_builtin_file_is_parsed_not_taken_from_the_seed(tmp_path, monkeypatch) -> None:
    from smpolicy._yaml import _seed, load_yaml, seed_sources
    from smpolicy.errors import InputFileError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = next(p for p in seed_sources() if p.name == "US.yaml")
    assert _seed(), "the seed is shipped"
    copy = tmp_path / "US.yaml"
    copy.write_text(source.read_text() + "\nextra_key_added_by_the_test: 1\n")
    assert load_yaml(copy)["extra_key_added_by_the_test"] == 1
    copy.write_text(source.read_text() + "\nextra_key_added_by_the_test: [\n")
    with pytest.raises(InputFileError, match=r"US\.yaml"):
        load_yaml(copy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: no", "no"),
        ("v: on", "on"),
        ("v: yes", "yes"),
        ("v: 010", 10),
        ("v: 0o10", 8),
        ("v: 1:20", "1:20"),
        ("v: 1_000", 1000),
        ("v: .inf", float("inf")),
        ("v: ~", None),
        ("v: 2024-02-29", __import__("datetime").date(2024, 2, 29)),
    ],
)
def test_tricky_scalars_load_the_same_from_a_fresh_parse_and_the_cache(
    tmp_path, monkeypatch, text: str, expected: object
) -> None:
    from smpolicy._yaml import load_yaml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMPOLICY_NO_CACHE", raising=False)
    path = tmp_path / "t.yaml"
    path.write_text(text + "\n")
    first = load_yaml(path)["v"]
    second = load_yaml(path)["v"]  # from the user cache
    assert _same(first, expected) and _same(second, expected)


def test_the_quiz_is_the_same_compiled_fresh_from_the_cache_or_with_from_string(
    tmp_path, monkeypatch
) -> None:
    from pathlib import Path

    from smpolicy._build import render_policy
    from smpolicy.compose import _audience
    from smpolicy.profile._model import load_profile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SMPOLICY_NO_CACHE", raising=False)
    profile = load_profile(
        Path(__file__).parents[1] / "profiles" / "examples" / "community-hospital.yaml"
    )

    def quiz() -> str:
        return render_policy(profile).documents["quiz"]

    monkeypatch.setattr(_audience, "_CODE", {})
    cold = quiz()
    entries = list((tmp_path / "cache").rglob("quiz-code-1/*.marshal"))
    assert len(entries) == 1, "the compiled bank is cached"
    monkeypatch.setattr(_audience, "_CODE", {})
    assert quiz() == cold  # from the user cache
    assert quiz() == cold  # from the process
    entries[0].write_bytes(b"not marshal data")
    monkeypatch.setattr(_audience, "_CODE", {})
    assert quiz() == cold  # a damaged entry is compiled again

    # As before the cache: every text through from_string.
    def plain(env, bank):
        return env.from_string

    monkeypatch.setattr(_audience, "_templates", plain)
    assert quiz() == cold


def test_a_broken_quiz_text_fails_only_when_a_question_uses_it(monkeypatch) -> None:
    import jinja2

    from smpolicy.compose import _audience
    from smpolicy.compose._sandbox import GuardedSandbox

    monkeypatch.setattr(_audience, "_CODE", {})
    env = GuardedSandbox(undefined=jinja2.StrictUndefined)
    bank = {"questions": [{"scenario": "fine {{ 1 }}", "why": "{% if %}", "choices": ["a"]}]}
    compiled = _audience._templates(env, bank)
    assert compiled("fine {{ 1 }}").render() == "fine 1"
    with pytest.raises(jinja2.TemplateSyntaxError):
        compiled("{% if %}")


def test_check_names_sections_from_packs_loaded_once_and_sees_an_edited_pack(tmp_path) -> None:
    import os
    import shutil
    from pathlib import Path

    from smpolicy.workspace import _check

    packs = tmp_path / "packs"
    packs.mkdir()
    source = Path(__file__).parents[1] / "regulations" / "US.yaml"
    shutil.copy(source, packs / "US.yaml")
    first = _check._entries_by_title(packs, ["US"])
    assert first and _check._entries_by_title(packs, ["US"]) is first
    title = next(iter(first))
    text = (packs / "US.yaml").read_text()
    (packs / "US.yaml").write_text(text.replace(f"title: {title}", f"title: {title} (edited)", 1))
    stamp = (packs / "US.yaml").stat().st_mtime_ns + 10**9
    os.utime(packs / "US.yaml", ns=(stamp, stamp))
    second = _check._entries_by_title(packs, ["US"])
    assert f"{title} (edited)" in second and title not in second
    assert _check._entries_by_title(packs, ["US"]) is second


@pytest.mark.parametrize("round_trip", [False, True])
def test_nesting_and_alias_limits_hold_in_the_single_pass(tmp_path, round_trip: bool) -> None:
    from smpolicy._yaml import MAX_ALIASES, MAX_DEPTH, load_yaml
    from smpolicy.errors import InputFileError

    path = tmp_path / "t.yaml"

    def load(text: str) -> object:
        path.write_text(text)
        return load_yaml(path, round_trip=round_trip, cache=False)

    assert load("v: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n")
    with pytest.raises(InputFileError, match=r"line 1, column 53: nested more than 50 levels"):
        load("v: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "\n")
    anchors = "a: &x 1\nl:\n" + "  - *x\n" * MAX_ALIASES
    assert len(load(anchors)["l"]) == MAX_ALIASES  # type: ignore[index]
    with pytest.raises(InputFileError, match="more than 50 YAML aliases"):
        load(anchors + "  - *x\n")
    laughs = "a: &a [1, 1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    with pytest.raises(InputFileError, match="aliases"):
        load(laughs)


def _md_escape_before(value: object) -> str:
    """md_escape without its fast path: every character through the escaping loop."""
    import re

    from smpolicy.compose._mdescape import _escape

    return str(_escape(re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(value))))


MD_SAMPLES = [
    "",
    "plain words",
    "Smith & Jones",
    "AT&amp;T",
    "$50,000",
    "costs $ x",
    "1986. Founded",
    "1986) Founded",
    "1986 Founded",
    "- list",
    "+ list",
    "# heading",
    "= underline",
    "a = b",
    "x - y # z",
    "under_score *star* `code` [link](x) {a} |pipe| \\",
    "<b>~strike~</b>",
    "line\nbreak\ttab\u2028sep",
    "\n- after a break",
    "  7. indented",
    "é ü 中文",
    "42",
]


@pytest.mark.parametrize("text", MD_SAMPLES)
def test_md_escape_is_unchanged_by_its_fast_path(text: str) -> None:
    from smpolicy.compose._mdescape import md_escape

    assert md_escape(text) == _md_escape_before(text)


def test_md_escape_is_unchanged_on_random_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from smpolicy.compose._mdescape import md_escape

    alphabet = st.sampled_from(list("ab 19.)-+#=&$<>~\\`*_{}[]|;\n\t\u2028é")) | st.characters()

    @settings(max_examples=2000, deadline=None, database=None)
    @given(st.text(alphabet=alphabet, max_size=12) | st.integers() | st.floats())
    def check(value: object) -> None:
        assert md_escape(value) == _md_escape_before(value)

    check()
