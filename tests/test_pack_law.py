"""The law in every shipped pack: figures come from values, dates are sourced, unverified
obligations are listed but never stated, and uncovered sub-jurisdictions still build."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smpolicy._build import default_pack_dir, render_policy
from smpolicy._yaml import load_yaml
from smpolicy.cli import cli
from smpolicy.errors import PackError
from smpolicy.law._model import PackEntry
from smpolicy.law._packs import (
    _filled,
    applicant_from,
    available_jurisdictions,
    load_pack,
    select_facts,
)
from smpolicy.profile._model import load_profile

PACK_DIR = default_pack_dir()
PACKS = available_jurisdictions(PACK_DIR)
ORG_TYPES = [
    "hospital",
    "clinic",
    "dental",
    "manufacturer",
    "nonprofit",
    "public_health",
    "long_term_care",
]


def _raw_entries() -> list[tuple[str, int, dict[str, Any]]]:
    """(pack code, position, raw YAML entry) for every entry of every shipped pack."""
    found = []
    for code in PACKS:
        data = load_yaml(PACK_DIR / f"{code}.yaml")
        for position, raw in enumerate(data["entries"]):
            found.append((code, position, raw))
    return found


RAW = _raw_entries()
WITH_VALUES = [(c, p, r) for c, p, r in RAW if r.get("values")]


def _id(item: tuple[str, int, dict[str, Any]]) -> str:
    return f"{item[0]}:{item[2]['id']}#{item[1]}"


def _changed(value: Any) -> Any:
    """A different value of the same kind, so the rendered text must change."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value * 2 + 7
    if isinstance(value, float):
        return value + 1.5
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=40)
    text = str(value)
    try:
        return dt.date.fromisoformat(text) + dt.timedelta(days=40)
    except ValueError:
        return text + " (changed)"


def _render(raw: dict[str, Any]) -> PackEntry:
    """The entry as a build states it: validated, with its summary filled from its values."""
    return _filled(PackEntry.model_validate(raw))


# ---------------------------------------------------------------- figures are data


@pytest.mark.parametrize("item", WITH_VALUES, ids=_id)
def test_every_value_changes_the_text(item: tuple[str, int, dict[str, Any]]) -> None:
    """Change each value in turn: the filled summary (and any obligation it feeds) changes."""
    _code, _position, raw = item
    before = _render(raw)
    unread = []
    for key, value in raw["values"].items():
        mutated = copy.deepcopy(raw)
        mutated["values"][key] = _changed(value)
        after = _render(mutated)
        if after.summary == before.summary:
            unread.append(key)
        for name, setting in raw.get("obligations", {}).items():
            if setting == f"{{{key}}}":
                assert after.obligations[name] != before.obligations[name], (key, name)
    assert not unread, f"values no summary reads: {', '.join(unread)}"


def test_changed_deadline_changes_the_policy(tmp_path: Path, make_profile: Any) -> None:
    """The issue's scenario: HHS breach-notice deadline 60 -> 30 days changes the policy text."""
    packs = tmp_path / "packs"
    shutil.copytree(PACK_DIR, packs, ignore=shutil.ignore_patterns("notes"))
    us = packs / "US.yaml"
    text = us.read_text(encoding="utf-8")
    assert text.count("hhs_notice_500_plus_max_days: 60") == 1
    us.write_text(
        text.replace("hhs_notice_500_plus_max_days: 60", "hhs_notice_500_plus_max_days: 30")
    )
    profile = load_profile(make_profile())
    original = render_policy(profile).markdown
    changed = render_policy(profile, pack_dir=packs).markdown
    assert original != changed
    assert "no later than 30 days after discovery" in changed
    assert "no later than 30 days after discovery" not in original


# ---------------------------------------------------------------- dates are sourced


@pytest.mark.parametrize("item", RAW, ids=_id)
def test_every_date_is_in_the_note(item: tuple[str, int, dict[str, Any]]) -> None:
    """Each date of an entry appears in ISO form in its note (``checked`` is exempt)."""
    entry = PackEntry.model_validate(item[2])
    dates = [entry.effective_from, entry.effective_to, entry.published]
    dates += [v for v in entry.values.values() if isinstance(v, dt.date)]
    note = entry.note or ""
    missing = sorted({d.isoformat() for d in dates if d is not None} - set(_iso_in(note)))
    assert not missing, f"dates not in the note: {', '.join(missing)}"


def _iso_in(text: str) -> list[str]:
    return re.findall(r"\d{4}-\d{2}-\d{2}", text)


# ---------------------------------------------------------------- unverified obligations

UNVERIFIED = [(c, p, r) for c, p, r in RAW if r.get("status") == "unverified"]

# The unverified entries of the packs this repository's US federal and CA/NY/WA work covers;
# a change to this list must be deliberate (verify an entry, or keep a new gap visible).
EXPECTED_UNVERIFIED = {
    "US": {
        "us.hipaa.cmp_amounts",
        "us.case.aha_v_becerra_appeal",
        "us.fda.adverse_event_reporting",
        "us.code.phrma",
    },
    "US-CA": {"us-ca.ccpa.medical_exemption"},
    "US-NY": {
        "us-ny.gbl.breach_notice",
        "us-ny.stl.208",
        "us-ny.foil.records",
    },
    "US-WA": {"us-wa.mhmda.hipaa_exemption"},
}


@pytest.mark.parametrize("code", sorted(EXPECTED_UNVERIFIED))
def test_unverified_entries_are_listed(code: str) -> None:
    pack = load_pack(PACK_DIR / f"{code}.yaml")
    assert {e.id for e in pack.entries if e.status == "unverified"} == EXPECTED_UNVERIFIED[code]


@pytest.mark.parametrize("item", UNVERIFIED, ids=_id)
def test_unverified_entry_says_what_is_missing(item: tuple[str, int, dict[str, Any]]) -> None:
    entry = PackEntry.model_validate(item[2])
    assert entry.note and len(entry.note) >= 40, entry.id


@pytest.mark.parametrize("code", PACKS)
def test_unverified_entries_are_never_selected(code: str) -> None:
    unverified = {
        e.id for e in load_pack(PACK_DIR / f"{code}.yaml").entries if e.status == "unverified"
    }
    for org_type in ORG_TYPES:
        for public in (False, True):
            values = {"organization.type": org_type, "organization.public_sector": public}
            facts = select_facts(
                PACK_DIR,
                [code],
                as_of=dt.date(2026, 12, 4),
                org_type=org_type,
                public_sector=public,
                applicant=applicant_from(values),
            )
            assert not unverified & set(facts.entries), (org_type, public)


def test_unverified_entries_are_not_in_a_built_policy(make_profile: Any) -> None:
    profile = load_profile(make_profile(organization__jurisdictions=["US-NY", "US-CA", "US-WA"]))
    markdown = render_policy(profile).markdown
    for code in ("US", "US-CA", "US-NY", "US-WA"):
        for entry in load_pack(PACK_DIR / f"{code}.yaml").entries:
            if entry.status == "unverified":
                assert f"[{entry.citation}](" not in markdown, entry.id
                assert _filled(entry).summary not in markdown, entry.id


# ---------------------------------------------------------------- applicability


def _us_facts(org_type: str, **answers: object) -> set[str]:
    values = {"organization.type": org_type, "organization.public_sector": False, **answers}
    facts = select_facts(
        PACK_DIR,
        ["US-CA", "US-WA"],
        as_of=dt.date(2026, 12, 4),
        org_type=org_type,
        public_sector=False,
        applicant=applicant_from(values),
    )
    return set(facts.entries)


def test_hipaa_duties_do_not_bind_a_manufacturer() -> None:
    maker = _us_facts("manufacturer")
    clinic = _us_facts("clinic")
    for entry_id in (
        "us.hipaa.training",
        "us.hipaa.sanctions",
        "us.hipaa.breach_notification",
        "us.hipaa.documentation",
    ):
        assert entry_id in clinic and entry_id not in maker, entry_id
    assert "us.ftc.health_breach_notification_rule" in maker
    assert "us.ftc.health_breach_notification_rule" not in clinic


def test_ccpa_binds_for_profit_businesses_only() -> None:
    assert "us-ca.ccpa.sensitive_health" in _us_facts("clinic")
    assert "us-ca.ccpa.sensitive_health" not in _us_facts("nonprofit")
    assert "us-ca.ccpa.sensitive_health" not in _us_facts(
        "clinic", **{"organization.for_profit": False}
    )


def test_section_504_web_rule_binds_hhs_funded_organizations_only() -> None:
    assert "us.hhs.section504_web" in _us_facts("hospital")
    assert "us.hhs.section504_web" not in _us_facts("clinic")
    assert "us.hhs.section504_web" in _us_facts("clinic", **{"organization.hhs_funding": True})


# ---------------------------------------------------------------- uncovered sub-jurisdictions


@pytest.mark.parametrize("code", ["US-PR", "CA-BC"])
def test_uncovered_subjurisdiction_builds_with_a_warning(
    code: str, tmp_path: Path, make_profile: Any
) -> None:
    path = make_profile(organization__jurisdictions=[code])
    result = CliRunner().invoke(
        cli, ["build", str(path), "--out", str(tmp_path / "out"), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any(code in line and "not covered" in line for line in warnings), result.stderr
    assert (tmp_path / "out" / "test.md").is_file()


def test_unknown_country_stays_an_error(tmp_path: Path, make_profile: Any) -> None:
    path = make_profile(organization__jurisdictions=["ZZ"])
    result = CliRunner().invoke(
        cli, ["build", str(path), "--out", str(tmp_path / "out"), "--format", "md"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, PackError)
    assert "no regulation pack for ZZ" in str(result.exception)
