"""The shipped regulation packs: valid, sourced, dated, and selected correctly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from smpolicy._build import default_pack_dir
from smpolicy.errors import PackError
from smpolicy.law._packs import (
    available_jurisdictions,
    expand_jurisdictions,
    load_pack,
    select_facts,
)

from .conftest import write_yaml

PACKS = available_jurisdictions(default_pack_dir())


def test_expected_jurisdictions_ship() -> None:
    assert {"US", "US-CA", "US-NY", "US-WA", "EU", "GB", "CA", "CA-ON", "AU"} <= set(PACKS)


@pytest.mark.parametrize("code", PACKS)
def test_pack_is_valid_sourced_and_dated(code: str) -> None:
    pack = load_pack(default_pack_dir() / f"{code}.yaml")
    assert pack.entries
    today = dt.date.today()
    for entry in pack.entries:
        assert entry.source.url.startswith("https://"), entry.id
        assert entry.checked <= today, entry.id
        assert entry.summary.endswith((".", ")")), entry.id
        if entry.status == "pending":
            assert entry.effective_from > entry.checked, entry.id
    if pack.parent:
        assert pack.parent in PACKS and pack.terms is None


def test_subdivision_implies_country() -> None:
    assert expand_jurisdictions(["US-CA", "GB"]) == ["US", "US-CA", "GB"]


def test_as_of_selects_the_version_in_force() -> None:
    def cmp_on(day: dt.date):
        facts = select_facts(
            default_pack_dir(), ["US"], as_of=day, org_type="hospital", public_sector=False
        )
        return facts.entries["us.hipaa.cmp"]

    before, after = cmp_on(dt.date(2025, 6, 1)), cmp_on(dt.date(2026, 6, 1))
    assert before.effective_from < after.effective_from == dt.date(2026, 1, 28)
    assert before.values != after.values


def test_stricter_rule_wins() -> None:
    facts = select_facts(
        default_pack_dir(),
        ["US", "AU"],
        as_of=dt.date(2026, 12, 1),
        org_type="clinic",
        public_sector=False,
    )
    testimonials = facts.obligation("testimonials")
    assert testimonials is not None and testimonials.value == "prohibited"
    assert testimonials.entry.jurisdiction == "AU"
    assert ("US", "allowed_with_authorization") in testimonials.others


def test_org_type_and_sector_filter_entries() -> None:
    private = select_facts(
        default_pack_dir(),
        ["US"],
        as_of=dt.date(2026, 12, 1),
        org_type="dental",
        public_sector=False,
    )
    public = select_facts(
        default_pack_dir(),
        ["US"],
        as_of=dt.date(2026, 12, 1),
        org_type="public_health",
        public_sector=True,
    )
    assert not any(e.public_sector is True for e in private.entries.values())
    assert not any(e.public_sector is False for e in public.entries.values())
    assert all(not e.applies_to or "dental" in e.applies_to for e in private.entries.values())


def test_invalid_pack_is_reported_by_field(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "US.yaml",
        {
            "jurisdiction": "US",
            "name": "x",
            "version": "bad",
            "released": "2026-01-01",
            "changelog": [],
            "entries": [],
        },
    )
    with pytest.raises(PackError) as info:
        select_facts(
            tmp_path, ["US"], as_of=dt.date(2026, 1, 1), org_type="clinic", public_sector=False
        )
    assert f"{tmp_path / 'US.yaml'}: version: String should match pattern" in info.value.message


def test_date_values_survive_the_pack_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date in `values` is still a date when the pack is read back from the JSON cache."""
    from smpolicy.law import _packs as _regpack

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = default_pack_dir() / "US.yaml"
    stat = path.stat()
    fresh = _regpack._load_pack_file.__wrapped__(path, stat.st_mtime_ns)
    again = _regpack._load_pack_file.__wrapped__(path, stat.st_mtime_ns)
    assert list((tmp_path / "cache").rglob("*.json")), "the first load writes the cache"
    dated = [
        (e.id, k) for e in fresh.entries for k, v in e.values.items() if isinstance(v, dt.date)
    ]
    assert dated
    by_id = {(e.id, e.effective_from): e for e in again.entries}
    for entry in fresh.entries:
        assert by_id[(entry.id, entry.effective_from)].values == entry.values
