"""Policy content across every organization type, jurisdiction and risk appetite."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from functools import cache

import pytest

from smpolicy._build import default_pack_dir, render_policy
from smpolicy._types import ORG_TYPES, RISK_APPETITES
from smpolicy.law._packs import available_jurisdictions, expand_jurisdictions, load_pack
from smpolicy.profile._model import parse_profile
from smpolicy.render._mdtree import parse_markdown

from .conftest import profile_data

JURISDICTION_SETS = [
    ["US"],
    ["US", "US-CA"],
    ["US", "US-NY"],
    ["US", "US-WA"],
    ["EU"],
    ["GB"],
    ["CA"],
    ["CA", "CA-ON"],
    ["AU"],
]
MULTI = ["US", "US-CA", "EU", "GB", "CA-ON", "AU"]
SECTIONS = [
    "Purpose and scope",
    "Definitions",
    "Privacy and confidentiality",
    "Professional boundaries",
    "Misinformation response",
    "Staff training",
    "Official accounts and governance",
    "Personal use of social media by staff",
    "Advertising, endorsements and reviews",
    "Crisis and incident response",
    "Enforcement",
    "Legal references, review and document control",
]
APPENDICES = ["Appendix A", "Appendix B", "Appendix C", "Appendix D", "Appendix E", "Appendix F"]


@cache
def keywords_by_jurisdiction() -> dict[str, set[str]]:
    pack_dir = default_pack_dir()
    return {
        code: {k for e in load_pack(pack_dir / f"{code}.yaml").entries for k in e.keywords}
        for code in available_jurisdictions(pack_dir)
    }


def render(org_type: str, jurisdictions: list[str], risk: str, public: bool = False) -> str:
    data = profile_data(
        organization__type=org_type,
        organization__jurisdictions=jurisdictions,
        organization__public_sector=public,
        risk_appetite=risk,
        platforms=["facebook", "instagram", "tiktok", "review_sites"],
    )
    data["policy"]["effective_date"] = dt.date(2026, 12, 1)
    profile = parse_profile(data, "matrix")
    return render_policy(profile).markdown


def check_policy(markdown: str, jurisdictions: list[str]) -> None:
    root = parse_markdown(markdown)
    h1 = ["".join(e.itertext()) for e in root if e.tag == "h1"]
    for section in SECTIONS:
        assert section in h1, f"missing section {section!r}"
    for appendix in APPENDICES:
        assert any(h.startswith(appendix) for h in h1), f"missing {appendix}"
    # No unrendered template syntax anywhere.
    assert "{{" not in markdown and "{%" not in markdown and "{#" not in markdown
    # No empty sections: every heading is followed by content before the next same-or-higher heading.
    blocks = list(root)
    for index, elem in enumerate(blocks):
        if elem.tag in ("h1", "h2", "h3") and "title" not in (elem.get("class") or ""):
            level = int(elem.tag[1])
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            assert following is not None, f"section {''.join(elem.itertext())!r} is empty"
            if following.tag in ("h1", "h2", "h3"):
                assert int(following.tag[1]) > level, (
                    f"section {''.join(elem.itertext())!r} is empty"
                )
    # No law of an unselected jurisdiction.
    selected = set(expand_jurisdictions(jurisdictions))
    allowed = set().union(*(keywords_by_jurisdiction()[c] for c in selected))
    for code, words in keywords_by_jurisdiction().items():
        if code in selected:
            continue
        for word in words - allowed:
            assert not re.search(rf"\b{re.escape(word)}\b", markdown), f"{word!r} of {code} leaked"
    # Every internal link resolves, and section 12 lists sources of selected jurisdictions only.
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    links = {a.get("href", "")[1:] for a in root.iter("a") if a.get("href", "").startswith("#")}
    assert links <= ids, f"links to nothing: {sorted(links - ids)}"
    references = re.split(r"^## [\d.]+ Legal references", markdown, flags=re.M)[-1]
    references = references.partition("Not legal advice")[0]
    assert re.search(r"^- \*\*", references, re.M), "no legal references at all"
    names = {load_pack(default_pack_dir() / f"{c}.yaml").name for c in selected}
    listed = set(re.findall(r"^### [\d.]+ (.+)$", references, re.M))
    assert listed and listed <= names, listed - names
    # Every "section N.N" reference names a numbered heading of the Markdown.
    numbers = set(re.findall(r"^#{1,3} (\d+(?:\.\d+)*)\.? ", markdown, re.M))
    own = re.split(r"^## [\d.]+ Legal references", markdown, flags=re.M)[0]
    own += markdown.partition("\n# Appendix A")[2]
    for ref in re.findall(r"\bsections? (\d{1,2}(?:\.\d+)?)\b(?! of)", own):
        assert ref in numbers, f"section {ref} does not exist"


@pytest.mark.parametrize(
    ("org_type", "jurisdictions", "risk"),
    list(itertools.product(ORG_TYPES, JURISDICTION_SETS, RISK_APPETITES)),
)
def test_matrix(org_type: str, jurisdictions: list[str], risk: str) -> None:
    check_policy(render(org_type, jurisdictions, risk), jurisdictions)


@pytest.mark.parametrize("org_type", ORG_TYPES)
def test_multi_jurisdiction_and_public_sector(org_type: str) -> None:
    markdown = render(org_type, MULTI, "balanced", public=True)
    check_policy(markdown, MULTI)
    assert "stricter rule" in markdown


def _sentences(markdown: str) -> set[str]:
    root = parse_markdown(markdown)
    text = " ".join(" ".join(e.itertext()) for e in root)
    return {s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20}


def test_org_types_differ_materially() -> None:
    dental = _sentences(render("dental", ["US"], "balanced"))
    maker = _sentences(render("manufacturer", ["US"], "balanced"))
    assert len(dental ^ maker) > 60


def test_risk_appetites_differ_materially() -> None:
    low = _sentences(render("hospital", ["US"], "conservative"))
    high = _sentences(render("hospital", ["US"], "permissive"))
    assert len(low ^ high) > 15


def test_unselected_platforms_are_not_discussed() -> None:
    markdown = render("hospital", ["US"], "balanced")
    for name in ("LinkedIn", "Reddit", "Snapchat", "Doximity", "Pinterest", "Mastodon", "Bluesky"):
        assert name not in markdown, name


def test_committed_examples_are_current() -> None:
    from smpolicy._build import output_stem
    from smpolicy.profile._model import load_profile

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    for path in sorted((root / "profiles" / "examples").glob("*.yaml")):
        committed = root / "docs" / "examples" / f"{path.stem}.md"
        rendered = render_policy(
            load_profile(path), flowchart_name=f"{output_stem(path)}.flowchart.png"
        ).markdown
        assert committed.read_text(encoding="utf-8") == rendered, (
            f"{committed.name} is out of date: run make examples"
        )
