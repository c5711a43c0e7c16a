"""Pack entry fields for evidence, unverified obligations, date kinds, figures and applicability."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from smpolicy.law._model import PackEntry
from smpolicy.law._packs import applicant_from, select_facts

from .conftest import write_yaml

SOURCE = {"title": "Act", "url": "https://example.gov/act", "publisher": "Legislature"}
ENTRY: dict[str, Any] = {
    "id": "us.test.breach",
    "jurisdiction": "US",
    "kind": "statute",
    "topics": ["breach"],
    "title": "Test breach statute",
    "citation": "Test Code 1",
    "source": SOURCE,
    "checked": "2026-12-01",
    "evidence": "official",
    "effective_from": "2020-01-01",
    "summary": "Notify affected people within {notice_days} of discovery.",
    "values": {"notice_days": 45},
}


def _entry(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ENTRY)
    data.update(changes)
    return data


def _pack(tmp_path: Path, *entries: dict[str, Any], code: str = "US") -> Path:
    pack: dict[str, Any] = {
        "jurisdiction": code,
        "name": "Test",
        "version": "2026.12.1",
        "released": "2026-12-01",
        "changelog": [{"version": "2026.12.1", "date": "2026-12-01", "changes": ["First."]}],
        "entries": list(entries),
    }
    if "-" in code:
        pack["parent"] = code.split("-", maxsplit=1)[0]
    else:
        pack["terms"] = {
            "health_info": "protected health information",
            "health_info_short": "PHI",
            "consent": "authorization",
            "privacy_regulator": "OCR",
            "advertising_regulator": "FTC",
        }
    write_yaml(tmp_path / f"{code}.yaml", pack)
    return tmp_path


def _select(pack_dir: Path, codes: list[str], **values: object) -> Any:
    org = {"organization.type": "clinic", "organization.public_sector": False, **values}
    return select_facts(
        pack_dir,
        codes,
        as_of=dt.date(2026, 12, 1),
        org_type="clinic",
        public_sector=False,
        applicant=applicant_from(org),
    )


def test_summary_figures_come_from_values(tmp_path: Path) -> None:
    facts = _select(_pack(tmp_path, _entry()), ["US"])
    assert facts.entries["us.test.breach"].summary == (
        "Notify affected people within 45 days of discovery."
    )
    changed = tmp_path / "changed"
    changed.mkdir()
    facts = _select(_pack(changed, _entry(values={"notice_days": 30})), ["US"])
    assert "within 30 days" in facts.entries["us.test.breach"].summary


def test_placeholder_without_a_value_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"placeholder \{notice_hours\}"):
        PackEntry.model_validate(_entry(summary="Notify within {notice_hours} of discovery."))


def test_obligation_takes_its_figure_from_values() -> None:
    entry = PackEntry.model_validate(
        _entry(obligations={"breach_notice_individuals_days": "{notice_days}"})
    )
    assert entry.obligations["breach_notice_individuals_days"] == 45
    with pytest.raises(ValidationError, match="no value named 'late_days'"):
        PackEntry.model_validate(
            _entry(obligations={"breach_notice_individuals_days": "{late_days}"})
        )


def test_quoted_evidence_needs_two_sources() -> None:
    with pytest.raises(ValidationError, match="at least two sources"):
        PackEntry.model_validate(_entry(evidence="quoted", quoted_in=[SOURCE]))
    entry = PackEntry.model_validate(_entry(evidence="quoted", quoted_in=[SOURCE, SOURCE]))
    assert entry.evidence == "quoted"
    with pytest.raises(ValidationError, match="only for evidence 'quoted'"):
        PackEntry.model_validate(_entry(quoted_in=[SOURCE, SOURCE]))


def test_unverified_entries_are_never_stated(tmp_path: Path) -> None:
    facts = _select(_pack(tmp_path, _entry(status="unverified")), ["US"])
    assert "us.test.breach" not in facts.entries


def test_applicability_follows_the_profile(tmp_path: Path) -> None:
    pack_dir = _pack(tmp_path, _entry(applies_if={"hipaa_status": ["covered_entity"]}))
    assert "us.test.breach" in _select(pack_dir, ["US"]).entries
    neither = _select(pack_dir, ["US"], **{"organization.hipaa_status": "neither"})
    assert "us.test.breach" not in neither.entries
    maker = applicant_from({"organization.type": "manufacturer"})
    assert maker["hipaa_status"] == "neither"


def test_dates_say_what_they_are() -> None:
    adopted = PackEntry.model_validate(
        _entry(effective_from="2010-11-01", effective_from_kind="adopted", date_precision="month")
    )
    assert adopted.shown_date == "adopted November 2010"
    assumed = PackEntry.model_validate(_entry(effective_from_kind="assumed"))
    assert assumed.shown_date is None


def test_subdivision_without_a_pack_builds_with_its_country(tmp_path: Path) -> None:
    facts = _select(_pack(tmp_path, _entry()), ["US-ZZ"])
    assert list(facts.packs) == ["US"]
    assert facts.uncovered == ["US-ZZ"]
    with pytest.raises(Exception, match="no regulation pack for ZZ"):
        _select(tmp_path, ["ZZ"])
