"""``smpolicy packs``: list, show, compare and lint regulation packs."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smpolicy.errors import PackError
from smpolicy.law._model import PLACEHOLDER, PackEntry, RegulationPack
from smpolicy.law._packs import load_pack
from smpolicy.law._packset import PackSet, current_packset, read_packset

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class PackRow:
    """One line of ``packs list``."""

    jurisdiction: str
    name: str
    version: str
    released: str
    origin: str
    entries: int
    unverified: int


def _packs_in(folder: Path) -> list[RegulationPack]:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise PackError(f"{folder}: no regulation packs (*.yaml) in this folder")
    return [load_pack(path) for path in files]


def list_packs(packset: PackSet | None = None) -> list[PackRow]:
    """Every pack of ``packset`` (default: the one builds use)."""
    packset = packset or current_packset()
    origin = (
        packset.origin
        if packset.version == "unversioned"
        else (f"{packset.origin} {packset.version}")
    )
    return [
        PackRow(
            pack.jurisdiction,
            pack.name,
            pack.version,
            pack.released.isoformat(),
            origin,
            len(pack.entries),
            sum(1 for e in pack.entries if e.status == "unverified"),
        )
        for pack in _packs_in(packset.path)
    ]


def list_text(rows: list[PackRow]) -> str:
    """``packs list`` as aligned text."""
    header = ("PACK", "VERSION", "RELEASED", "ENTRIES", "UNVERIFIED", "ORIGIN", "NAME")
    table = [header] + [
        (
            r.jurisdiction,
            r.version,
            r.released,
            str(r.entries),
            str(r.unverified),
            r.origin,
            r.name,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1]
        for row in table
    ]
    return "\n".join(lines) + "\n"


def find_entry(entry_id: str, folder: Path | None = None) -> list[PackEntry]:
    """Every version of ``entry_id`` in the packs builds use (or in ``folder``)."""
    folder = folder or current_packset().path
    code = entry_id.split(".", 1)[0].upper()
    path = folder / f"{code}.yaml"
    if "." not in entry_id or not path.is_file():
        raise PackError(
            f"{entry_id}: no such pack entry; ids start with the pack code, e.g. us.hipaa.marketing "
            "(see 'smpolicy packs list')"
        )
    found = [e for e in load_pack(path).entries if e.id == entry_id]
    if not found:
        raise PackError(
            f"{path}: {entry_id}: no such entry in this pack; 'smpolicy packs show' takes an id "
            "from the pack's entries"
        )
    return sorted(found, key=lambda e: e.effective_from)


def show_text(entries: list[PackEntry]) -> str:
    """An entry for people: its text, sources, dates and evidence."""
    out: list[str] = []
    for entry in entries:
        out.append(f"{entry.id}  ({entry.jurisdiction}, {entry.kind}, {entry.status})")
        out.append(f"  {entry.title}")
        out.append(f"  citation: {entry.citation}")
        out.append(f"  summary: {entry.fill(entry.summary)}")
        for key, value in entry.values.items():
            out.append(f"  value {key}: {value}")
        out.append(f"  source: {entry.source.title}, {entry.source.publisher}")
        out.append(f"          {entry.source.url}")
        for quote in entry.quoted_in:
            out.append(f"  quoted in: {quote.title}, {quote.publisher} {quote.url}")
        out.append(f"  evidence: {entry.evidence}; checked {entry.checked.isoformat()}")
        shown = entry.shown_date or "no date shown (assumed for selection)"
        span = entry.effective_from.isoformat() + (
            f" to {entry.effective_to.isoformat()}" if entry.effective_to else ""
        )
        out.append(f"  dates: {span} ({shown})")
        if entry.published:
            out.append(f"  published: {entry.published.isoformat()}")
        if entry.applies_to:
            out.append(f"  applies to: {', '.join(entry.applies_to)}")
        if entry.public_sector is not None:
            out.append(f"  public sector only: {entry.public_sector}")
        if entry.applies_if is not None:
            conditions = entry.applies_if.model_dump(exclude_none=True)
            out.append(f"  applies if: {json.dumps(conditions)}")
        if entry.note:
            out.append(f"  note: {entry.note}")
        out.append("")
    return "\n".join(out)


# --- diff -----------------------------------------------------------------------------------


@dataclass
class EntryChange:
    """An entry added, removed or changed between two pack folders."""

    entry_id: str
    jurisdiction: str
    change: str  # "added", "removed", "changed"
    fields: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)


def _by_id(folder: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for pack in _packs_in(folder):
        for entry in pack.entries:
            found.setdefault(entry.id, []).append(entry.model_dump(mode="json"))
    return found


def resolve_packs_arg(value: str) -> Path:
    """A ``packs diff`` side: a folder, 'built-in' or 'installed' (the distribution)."""
    from smpolicy.law._packset import builtin_packset, distribution_packset  # noqa: PLC0415

    if value == "built-in":
        return builtin_packset().path
    if value == "installed":
        dist = distribution_packset()
        if dist is None:
            raise PackError("installed: no smpolicy-packs distribution is installed")
        return dist.path
    path = Path(value)
    if not path.is_dir():
        raise PackError(f"{value}: not a folder of packs (or 'built-in' / 'installed')")
    read_packset(path, "folder")
    return path


def diff_packs(
    old: Path, new: Path, *, lock_policies: dict[str, Any] | None = None
) -> list[EntryChange]:
    """Entries added, removed and changed (with the fields that changed) from ``old`` to ``new``.

    ``lock_policies`` (name -> record with ``in_force`` and ``entries``) names the policies of a
    workspace each change touches.
    """
    before, after = _by_id(old), _by_id(new)
    changes: list[EntryChange] = []
    for entry_id in sorted(set(before) | set(after)):
        was, now = before.get(entry_id), after.get(entry_id)
        code = (now or was or [{}])[0].get("jurisdiction", "")
        if was is None:
            changes.append(EntryChange(entry_id, code, "added"))
        elif now is None:
            changes.append(EntryChange(entry_id, code, "removed"))
        elif was != now:
            keys: set[str] = set()
            for a, b in zip(was, now, strict=False):
                keys |= {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
            if len(was) != len(now):
                keys.add("versions")
            changes.append(EntryChange(entry_id, code, "changed", sorted(keys)))
    for change in changes:
        for name, record in sorted((lock_policies or {}).items()):
            cited = set(record.get("entries", {})) | set(record.get("in_force", []))
            if change.entry_id in cited:
                change.policies.append(name)
    return changes


def diff_text(changes: list[EntryChange]) -> str:
    """``packs diff`` as lines a maintainer reads."""
    if not changes:
        return "no differences\n"
    lines = []
    for c in changes:
        what = f"{c.change} {c.entry_id}"
        if c.fields:
            what += f": {', '.join(c.fields)}"
        if c.policies:
            what += f" (touches {', '.join(c.policies)})"
        lines.append(what)
    return "\n".join(lines) + "\n"


# --- lint -----------------------------------------------------------------------------------


@dataclass
class LintReport:
    """What ``packs lint`` found in a folder."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _dates_of(entry: PackEntry) -> list[dt.date]:
    dates = [entry.effective_from]
    if entry.effective_to:
        dates.append(entry.effective_to)
    if entry.published:
        dates.append(entry.published)
    dates.extend(v for v in entry.values.values() if isinstance(v, dt.date))
    return dates


def lint_folder(folder: Path) -> LintReport:
    """Validate every pack in ``folder`` and the rules tests enforce on shipped packs."""
    report = LintReport()
    if not folder.is_dir():
        raise PackError(f"{folder}: not a folder of packs")
    try:
        read_packset(folder, "folder")
    except PackError as exc:
        report.errors.append(exc.message)
        return report
    files = sorted(folder.glob("*.yaml"))
    if not files:
        report.errors.append(f"{folder}: no regulation packs (*.yaml) in this folder")
    for path in files:
        try:
            pack = load_pack(path)
        except PackError as exc:
            report.errors.extend(exc.message.splitlines())
            continue
        counts: dict[str, int] = {}
        for entry in pack.entries:
            level = "unverified" if entry.status == "unverified" else entry.evidence
            counts[level] = counts.get(level, 0) + 1
            where = f"{path}: {entry.id}"
            if entry.status == "unverified":
                report.unverified.append(f"{where}: {entry.title}")
            note = entry.note or ""
            for date in _dates_of(entry):
                if date.isoformat() not in note:
                    report.warnings.append(
                        f"{where}: date {date.isoformat()} is not named in the note (say where "
                        "it was read)"
                    )
            used = set(PLACEHOLDER.findall(entry.summary))
            for key in sorted(set(entry.values) - used):
                report.warnings.append(
                    f"{where}: value {key} is not a {{placeholder}} in the summary"
                )
        report.counts[pack.jurisdiction] = counts
    return report


def lint_text(report: LintReport) -> str:
    """``packs lint`` output: errors, warnings, unverified entries, counts."""
    lines = [f"error: {e}" for e in report.errors]
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [f"unverified: {u}" for u in report.unverified]
    for code, counts in sorted(report.counts.items()):
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"{code}: {parts}")
    return "\n".join(lines) + "\n"
