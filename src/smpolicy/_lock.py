"""The lock file: what produced each issued policy, and why a policy is stale."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._fsutil import atomic_write
from ._packmodel import PackEntry
from ._profile import Profile, format_validation_error
from ._regpack import FactSet
from ._yaml import load_yaml
from .errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ._templates import TemplatePack

LOCK_VERSION = 1
_HEADER = (
    "# smpolicy.lock: written by `smpolicy build`; do not edit. Commit it with the profiles.\n"
)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LockedEntry(_M):
    """A pack entry as it was when the policy was issued."""

    title: str
    jurisdiction: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    sha256: str


class Revision(_M):
    """One row of the revision history."""

    version: int
    date: dt.date
    reasons: list[str]


class LockedOutput(_M):
    """A file the build wrote."""

    path: str
    sha256: str


class LockedPolicy(_M):
    """Everything that produced one issued policy."""

    profile: str
    profile_sha256: str
    profile_file_sha256: str = ""
    profile_values: dict[str, Any]
    tool_version: str
    template_version: str
    template_sha256: str
    template_sections: dict[str, str]
    as_of: dt.date
    next_review: dt.date
    pack_versions: dict[str, str]
    entries: dict[str, LockedEntry]
    in_force: list[str]
    upcoming: dict[str, dt.date] = Field(default_factory=dict)
    version: int
    history: list[Revision]
    outputs: dict[str, LockedOutput] = Field(default_factory=dict)


class LockFile(_M):
    """smpolicy.lock."""

    lock_version: int = LOCK_VERSION
    policies: dict[str, LockedPolicy] = Field(default_factory=dict)


def read_lock_data(path: Path) -> dict[str, Any]:
    """The lock file as plain data (not validated), or an empty lock if there is none."""
    if not path.exists():
        return {"lock_version": LOCK_VERSION, "policies": {}}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        data = load_yaml(path) or {}  # a hand-merged lock may be plain YAML
    if not isinstance(data, dict) or not isinstance(data.get("policies", {}), dict):
        raise InputFileError(f"{path}: not a smpolicy lock file; restore it from git")
    data.setdefault("lock_version", LOCK_VERSION)
    data.setdefault("policies", {})
    return data


def _invalid(path: Path, exc: ValidationError) -> InputFileError:
    return InputFileError(
        format_validation_error(str(path), exc).splitlines()[0]
        + " (the lock file is written by smpolicy; restore it from git)"
    )


def read_lock(path: Path) -> LockFile:
    """Read and validate the whole lock file."""
    try:
        return LockFile.model_validate(read_lock_data(path))
    except ValidationError as exc:
        raise _invalid(path, exc) from None


def locked_policy(path: Path, data: dict[str, Any], name: str) -> LockedPolicy | None:
    """Validate only one policy's record (fast with hundreds of policies)."""
    raw = data["policies"].get(name)
    if raw is None:
        return None
    try:
        return LockedPolicy.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(path, exc) from None


def store_policy(path: Path, name: str, policy: LockedPolicy) -> None:
    """Replace one policy's record: re-read the file, so records other builds wrote survive."""
    data = read_lock_data(path)
    data["policies"][name] = json.loads(policy.model_dump_json())
    _write(path, data)


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomically, as indented JSON (valid YAML), policies sorted for small diffs."""
    data["policies"] = {k: data["policies"][k] for k in sorted(data["policies"])}
    atomic_write(path, (_HEADER + json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


_ENTRY_SHA: dict[int, tuple[PackEntry, str]] = {}


def entry_sha(entry: PackEntry) -> str:
    """Hash of everything in an entry that can change the policy (memoized per entry object)."""
    known = _ENTRY_SHA.get(id(entry))
    if known is not None and known[0] is entry:
        return known[1]
    payload = entry.model_dump_json(exclude={"checked", "note"}).encode()
    digest = hashlib.sha256(payload).hexdigest()[:16]
    _ENTRY_SHA[id(entry)] = (entry, digest)
    return digest


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}; lists stay lists."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def profile_values(profile: Profile) -> dict[str, Any]:
    """The profile as flat, JSON-compatible key -> value pairs."""
    return dict(sorted(flatten(json.loads(profile.model_dump_json())).items()))


def section_name(template: str) -> str:
    """'sections/05-misinformation.md.j2' -> 'misinformation'."""
    stem = template.rsplit("/", 1)[-1].split(".", 1)[0]
    head, _, rest = stem.partition("-")
    return rest if rest and (head.isdigit() or len(head) == 1) else stem


def describe_profile_change(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Plain-words reasons such as 'profile changed: platforms +tiktok'."""
    reasons = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, list) or isinstance(after, list):
            added = [str(x) for x in (after or []) if x not in (before or [])]
            removed = [str(x) for x in (before or []) if x not in (after or [])]
            parts = [f"+{x}" for x in added] + [f"-{x}" for x in removed]
            reasons.append(f"profile changed: {key} {' '.join(parts) or '(reordered)'}")
        else:
            reasons.append(f"profile changed: {key} {before!r} -> {after!r}")
    return reasons


def stale_reasons(
    locked: LockedPolicy,
    *,
    profile: Profile | None,
    facts: FactSet,
    pack: TemplatePack,
    tool_version: str,
    today: dt.date,
    outputs_root: Path,
) -> list[str]:
    """Why ``locked`` no longer matches its inputs; empty when the policy is current."""
    """``profile`` is None when its file is byte-identical to the one recorded."""
    reasons = (
        describe_profile_change(locked.profile_values, profile_values(profile))
        if profile is not None
        else []
    )
    if locked.template_sha256 != pack.fingerprint():
        sections = pack.section_fingerprints()
        for name in sorted(set(sections) | set(locked.template_sections)):
            if sections.get(name) != locked.template_sections.get(name):
                reasons.append(f"template section '{section_name(name)}' changed")
        if not any(r.startswith("template section") for r in reasons):
            reasons.append(
                f"template pack changed ({locked.template_version} -> {pack.info.version})"
            )
    if tool_version != locked.tool_version:
        reasons.append(f"smpolicy upgraded ({locked.tool_version} -> {tool_version})")
    for entry_id, old in sorted(locked.entries.items()):
        new = facts.entries.get(entry_id)
        if new is None:
            reasons.append(f"{old.title}: no longer in force on {locked.as_of.isoformat()}")
        elif entry_sha(new) != old.sha256:
            if new.effective_from != old.effective_from:
                reasons.append(
                    f"{new.title} (effective {new.effective_from.isoformat()}) replaces the "
                    f"version effective {old.effective_from.isoformat()}"
                )
            else:
                figures = [
                    f"{k} {old.values.get(k)} -> {new.values.get(k)}"
                    for k in sorted(set(old.values) | set(new.values))
                    if str(old.values.get(k)) != str(new.values.get(k))
                ]
                detail = f": {'; '.join(figures)}" if figures else ""
                reasons.append(
                    f"{new.title} changed (effective {new.effective_from.isoformat()}){detail}"
                )
    for entry_id in sorted(set(facts.entries) - set(locked.in_force)):
        entry = facts.entries[entry_id]
        reasons.append(
            f"new in the regulation pack: {entry.title} (effective {entry.effective_from.isoformat()})"
        )
    for entry in facts.upcoming:
        if entry.effective_from > locked.next_review:
            continue
        known = locked.upcoming.get(entry.id)
        if known is None and entry.effective_from <= today:
            reasons.append(f"{entry.title} took effect on {entry.effective_from.isoformat()}")
        elif known is None:
            reasons.append(
                f"{entry.title} takes effect on {entry.effective_from.isoformat()}, "
                f"before the next review date ({locked.next_review.isoformat()})"
            )
        elif entry.effective_from <= today:
            reasons.append(f"{entry.title} took effect on {entry.effective_from.isoformat()}")
    if locked.next_review <= today:
        reasons.append(f"scheduled review was due on {locked.next_review.isoformat()}")
    for fmt, output in sorted(locked.outputs.items()):
        path = outputs_root / output.path
        if not path.is_file():
            reasons.append(f"{fmt} output missing: {output.path}")
    return reasons


def staleness(
    locked: LockedPolicy,
    profile: Profile | None,
    *,
    pack_dir: Path,
    template_pack: TemplatePack,
    today: dt.date,
    outputs_root: Path,
    source: str,
) -> list[str]:
    """Select the facts as of the policy's legal date and list why it is stale.

    ``profile`` is None when its file is unchanged; the recorded values are used instead.
    """
    from . import __version__  # noqa: PLC0415
    from ._regpack import applicant_from, select_facts  # noqa: PLC0415

    values = profile_values(profile) if profile is not None else locked.profile_values
    facts = select_facts(
        pack_dir,
        list(values["organization.jurisdictions"]),
        as_of=locked.as_of,
        org_type=str(values["organization.type"]),
        public_sector=bool(values["organization.public_sector"]),
        source=source,
        applicant=applicant_from(values),
    )
    return stale_reasons(
        locked,
        profile=profile,
        facts=facts,
        pack=template_pack,
        tool_version=__version__,
        today=today,
        outputs_root=outputs_root,
    )
