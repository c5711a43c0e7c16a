"""Loading regulation packs and selecting the facts in force for a profile."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from smpolicy._cache import cache_path, write_cache
from smpolicy._types import OBLIGATION_NUMERIC, OBLIGATION_ORDERS
from smpolicy._yaml import load_yaml
from smpolicy.errors import PackError
from smpolicy.law._model import PackEntry, RegulationPack
from smpolicy.profile._model import format_validation_error


@cache
def _load_pack_file(path: Path, mtime_ns: int) -> RegulationPack:
    del mtime_ns  # part of the cache key only
    raw = _read_bytes(path)
    cached = cache_path("packs", hashlib.sha256(raw).hexdigest() + ".json")
    if cached is not None and cached.is_file():
        try:
            return RegulationPack.model_validate_json(cached.read_bytes())
        except (ValidationError, OSError):
            pass  # a stale or damaged cache entry: parse the YAML again
    data = load_yaml(path)
    try:
        pack = RegulationPack.model_validate(data)
    except ValidationError as exc:
        raise PackError(format_validation_error(str(path), exc)) from None
    if cached is not None:
        write_cache(cached, pack.model_dump_json().encode())
    return pack


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PackError(f"{path}: cannot read regulation pack: {exc.strerror}") from None


def load_pack(path: Path) -> RegulationPack:
    """Load and validate one pack file (cached by path and modification time)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise PackError(f"{path}: regulation pack not found") from None
    pack = _load_pack_file(path, mtime)
    if path.stem != pack.jurisdiction:
        raise PackError(
            f"{path}: jurisdiction: {pack.jurisdiction} does not match the file name; "
            f"name the file {pack.jurisdiction}.yaml"
        )
    return pack


_AVAILABLE: dict[tuple[Path, int], list[str]] = {}


def available_jurisdictions(pack_dir: Path) -> list[str]:
    """Jurisdiction codes that have a pack file in ``pack_dir`` (memoized per folder state)."""
    try:
        key = (pack_dir, pack_dir.stat().st_mtime_ns)
    except OSError:
        return []
    if key not in _AVAILABLE:
        _AVAILABLE[key] = sorted(p.stem for p in pack_dir.glob("*.yaml"))
    return list(_AVAILABLE[key])


_FACTSETS: dict[tuple[object, ...], tuple[tuple[RegulationPack, ...], FactSet]] = {}


def _factset(
    packs: dict[str, RegulationPack],
    as_of: dt.date,
    org_type: str,
    public_sector: bool,
    applicant: dict[str, object],
    uncovered: list[str],
) -> FactSet:
    """The facts for these packs and answers; the same selection is made once per process.

    Policies of a fleet share jurisdictions and answers, so ``check`` over a thousand of them
    selects each combination once. The key holds the pack objects themselves (a changed pack
    file is a new object), so a stale selection is never returned.
    """
    key = (
        tuple((code, id(pack)) for code, pack in packs.items()),
        as_of,
        org_type,
        public_sector,
        tuple(sorted((k, repr(v)) for k, v in applicant.items())),
        tuple(uncovered),
    )
    known = _FACTSETS.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], packs.values(), strict=True)):
        return known[1]
    facts = FactSet(
        packs=packs,
        as_of=as_of,
        org_type=org_type,
        public_sector=public_sector,
        applicant=applicant,
        uncovered=uncovered,
    )
    _FACTSETS[key] = (tuple(packs.values()), facts)
    return facts


def expand_jurisdictions(codes: list[str]) -> list[str]:
    """Add the country of every subdivision (US-CA implies US), parents first, profile order."""
    result: list[str] = []
    for code in codes:
        parent = code.split("-")[0] if "-" in code else None
        for item in (parent, code):
            if item and item not in result:
                result.append(item)
    return result


@dataclass(frozen=True)
class Obligation:
    """The strictest value of one obligation across the selected jurisdictions."""

    key: str
    value: str | int
    entry: PackEntry
    others: tuple[tuple[str, str | int], ...] = ()  # (jurisdiction, value) that lost


def unverified_entries(pack: RegulationPack) -> list[PackEntry]:
    """Entries kept so an obligation is not dropped silently, though no official text was read."""
    return [e for e in pack.entries if e.status == "unverified"]


def applicant_from(values: dict[str, object]) -> dict[str, object]:
    """The answers pack applicability reads, from flat profile values ('organization.type', ...).

    Unset answers take the usual value for the organization type: a manufacturer is neither a
    HIPAA covered entity nor a business associate; a public body or a health nonprofit is not
    for profit; hospitals, academic medical centers, long-term care and public health agencies
    are taken to receive HHS funding (Medicare/Medicaid or grants).
    """
    org_type = str(values.get("organization.type"))
    public = bool(values.get("organization.public_sector"))
    hipaa = values.get("organization.hipaa_status")
    if hipaa is None:
        hipaa = "neither" if org_type == "manufacturer" else "covered_entity"
    for_profit = values.get("organization.for_profit")
    if for_profit is None:
        for_profit = not (public or org_type in ("nonprofit", "public_health"))
    funding = values.get("organization.hhs_funding")
    if funding is None:
        funding = org_type in (
            "hospital",
            "academic_medical_center",
            "long_term_care",
            "public_health",
        )
    return {
        "hipaa_status": hipaa,
        "for_profit": for_profit,
        "hhs_funding": funding,
        "min_workforce": values.get("organization.workforce_size"),
        "care_setting": values.get("organization.care_setting"),
        "practice_type": values.get("organization.practice_type"),
    }


@dataclass
class FactSet:
    """The pack entries that apply to one build: selected jurisdictions, as-of date, org type."""

    packs: dict[str, RegulationPack]
    as_of: dt.date
    org_type: str
    public_sector: bool
    applicant: dict[str, object] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)  # sub-jurisdictions with no pack
    entries: dict[str, PackEntry] = field(default_factory=dict)
    upcoming: list[PackEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        for pack in self.packs.values():
            for entry in pack.entries:
                if not self._relevant(entry):
                    continue
                filled = _filled(entry)
                if entry.in_force(self.as_of):
                    self.entries[entry.id] = filled
                elif entry.effective_from > self.as_of:
                    self.upcoming.append(filled)
        self.upcoming.sort(key=lambda e: (e.effective_from, e.id))

    def _relevant(self, entry: PackEntry) -> bool:
        if entry.status == "unverified":
            return False
        if entry.applies_to and self.org_type not in entry.applies_to:
            return False
        if (
            entry.applies_if is not None
            and self.applicant
            and not entry.applies_if.met_by(self.applicant)
        ):
            return False
        return entry.public_sector is None or entry.public_sector == self.public_sector

    def topic(self, name: str, jurisdiction: str | None = None) -> list[PackEntry]:
        """Entries on a topic, in jurisdiction then pack order."""
        order = list(self.packs)
        found = [
            e
            for e in self.entries.values()
            if name in e.topics and (jurisdiction is None or e.jurisdiction == jurisdiction)
        ]
        return sorted(found, key=lambda e: order.index(e.jurisdiction))

    def obligation(self, key: str) -> Obligation | None:
        """The strictest value set for ``key`` by any selected jurisdiction."""
        setters = [(e, e.obligations[key]) for e in self.entries.values() if key in e.obligations]
        if not setters:
            return None
        if key in OBLIGATION_ORDERS:
            order = OBLIGATION_ORDERS[key]
            ranked = sorted(setters, key=lambda s: (-order.index(str(s[1])), s[0].id))
        else:
            direction = OBLIGATION_NUMERIC[key]
            ranked = sorted(
                setters,
                key=lambda s: (int(s[1]) if direction == "min" else -int(s[1]), s[0].id),
            )
        best_entry, best_value = ranked[0]
        others = tuple((e.jurisdiction, v) for e, v in ranked[1:] if v != best_value)
        return Obligation(key, best_value, best_entry, others)


_FILLED: dict[int, tuple[PackEntry, PackEntry]] = {}


def _filled(entry: PackEntry) -> PackEntry:
    """``entry`` with the figures of its summary written in (memoized per entry object)."""
    if "{" not in entry.summary:
        return entry
    known = _FILLED.get(id(entry))
    if known is not None and known[0] is entry:
        return known[1]
    filled = entry.model_copy(update={"summary": entry.fill(entry.summary)})
    _FILLED[id(entry)] = (entry, filled)
    return filled


def uncovered_warning(codes: list[str]) -> str:
    """The one-line warning for sub-jurisdictions built with their country's pack only."""
    names = ", ".join(codes)
    countries = ", ".join(dict.fromkeys(code.split("-")[0] for code in codes))
    return (
        f"warning: no regulation pack for {names}; built with the {countries} pack only, "
        f"so the law of {names} itself is not covered"
    )


def select_facts(
    pack_dir: Path,
    jurisdictions: list[str],
    *,
    as_of: dt.date,
    org_type: str,
    public_sector: bool,
    source: str = "profile",
    applicant: dict[str, object] | None = None,
) -> FactSet:
    """Load the packs for ``jurisdictions`` (with parents) and select what applies.

    A sub-jurisdiction (a state or province) without a pack of its own is built with its
    country's pack and listed in ``FactSet.uncovered``; an unknown country is an error.
    """
    available = available_jurisdictions(pack_dir)
    packs: dict[str, RegulationPack] = {}
    uncovered: list[str] = []
    for code in expand_jurisdictions(jurisdictions):
        if code not in available:
            if "-" in code and code.split("-")[0] in available:
                uncovered.append(code)
                continue
            raise PackError(
                f"{source}: organization.jurisdictions: no regulation pack for {code}; "
                f"available: {', '.join(available)}"
            )
        packs[code] = load_pack(pack_dir / f"{code}.yaml")
    if uncovered:
        print(uncovered_warning(uncovered), file=sys.stderr)
    return _factset(packs, as_of, org_type, public_sector, applicant or {}, uncovered)
