"""The lock file: what produced each issued policy, and why a policy is stale."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from smpolicy import _fsutil
from smpolicy._fsutil import confined, ensure_dir, locked, relative_path_problem
from smpolicy.errors import InputFileError
from smpolicy.law._model import PackEntry
from smpolicy.law._packs import FactSet
from smpolicy.profile._model import Profile

if TYPE_CHECKING:  # pragma: no cover
    from smpolicy.compose._templates import TemplatePack

LOCK_VERSION = 2
"""Version 2: ``smpolicy.lock`` is a small index; each policy's record is its own file."""
RECORDS_DIR = "smpolicy.lock.d"
_HEADER = (
    "# smpolicy.lock: written by smpolicy; do not edit. Commit it, and smpolicy.lock.d/, with\n"
    "# the profiles. Each policy's record is smpolicy.lock.d/NAME.json.\n"
)
_MAX_VERSION = 1_000_000
Version = Annotated[int, Field(ge=1, le=_MAX_VERSION)]
Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{16,64}$")]


def _relative(value: str) -> str:
    problem = relative_path_problem(value)
    if problem:
        raise ValueError(f"{problem} (paths in the lock are relative to the workspace)")
    return value


RelPath = Annotated[str, AfterValidator(_relative)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LockedEntry(_M):
    """A pack entry as it was when the policy was issued."""

    title: str
    jurisdiction: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    sha256: Hash


class Revision(_M):
    """One row of the revision history: the version, the day it was issued, and why."""

    version: Version
    date: dt.date
    reasons: list[str]


class LockedOutput(_M):
    """A file the build wrote, relative to the workspace root."""

    path: RelPath
    sha256: Hash


class ArchivedVersion(_M):
    """The files of a superseded version, as copied (and verified) into the archive."""

    version: Version
    outputs: dict[str, LockedOutput]


class LockedPolicy(_M):
    """Everything that produced one issued policy."""

    profile: RelPath
    profile_sha256: Hash
    profile_file_sha256: Hash | Literal[""] = ""
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
    version: Version
    history: list[Revision]
    outputs: dict[str, LockedOutput] = Field(default_factory=dict)
    archived: list[ArchivedVersion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _versions_agree(self) -> LockedPolicy:
        numbers = [row.version for row in self.history]
        if numbers != list(range(1, self.version + 1)):
            raise ValueError(
                f"history lists versions {numbers} but version is {self.version}; "
                "they must run 1, 2, ... up to version"
            )
        if any(a.version >= self.version for a in self.archived):
            raise ValueError("archived lists a version that is not older than version")
        return self


class LockIndex(_M):
    """smpolicy.lock itself: only the format version."""

    lock_version: Annotated[int, Field(ge=1, le=_MAX_VERSION)]


class _LegacyLock(BaseModel):
    """smpolicy.lock of version 1: every record in one file (read only to migrate it)."""

    model_config = ConfigDict(extra="forbid")
    lock_version: Literal[1] = 1
    policies: dict[str, dict[str, Any]] = Field(default_factory=dict)


def _damaged(path: Path, problem: str) -> InputFileError:
    return InputFileError(
        f"{path}: {problem}; it is written by smpolicy, so restore it from git "
        "(git checkout -- smpolicy.lock smpolicy.lock.d)"
    )


def _read_raw(path: Path) -> bytes:
    """A record's bytes, refused in one line when empty, huge or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    if not raw.strip():
        raise _damaged(path, "is empty")
    if len(raw) > 64 * 1024 * 1024:
        raise _damaged(path, "larger than 64 MB")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"not UTF-8 text (byte {exc.start})") from None
    return raw


def _read_json(path: Path) -> Any:
    """Parse a JSON file written by smpolicy, leading ``#`` comment lines allowed."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > 64 * 1024 * 1024:
        raise _damaged(path, "larger than 64 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"not UTF-8 text (byte {exc.start})") from None
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    if not body.strip():
        raise _damaged(path, "is empty")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _damaged(path, f"not valid JSON ({str(exc).splitlines()[0][:80]})") from None


def _first_problem(source: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    line = f"{source}: {where}: {error['msg']}"
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in line)  # one line


def validate_record(data: Any, source: str) -> LockedPolicy:
    """A policy record from JSON text (bytes) or plain data, strictly; the only way to read one."""
    try:
        text = data if isinstance(data, bytes) else json.dumps(data)
        return LockedPolicy.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise InputFileError(
            _first_problem(source, exc) + " (the lock is written by smpolicy; restore it from git)"
        ) from None


def record_json(policy: LockedPolicy) -> bytes:
    """A record as written to disk: indented JSON, stable key order."""
    return (
        json.dumps(json.loads(policy.model_dump_json()), indent=2, ensure_ascii=False) + "\n"
    ).encode()


class LockStore:
    """The lock of one workspace: ``smpolicy.lock`` (index) and ``smpolicy.lock.d/NAME.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index = root / "smpolicy.lock"
        self.records = root / RECORDS_DIR
        self.notes: list[str] = []
        """One line for each thing done on the way (a migration), for the command to print."""

    def record_path(self, name: str) -> Path:
        return self.records / f"{name}.json"

    def _workspace_lock(self) -> Any:
        return locked(self.root / ".smpolicy" / "workspace.lock")

    def open(self, *, create: bool = False) -> bool:
        """Check the index (migrating a version-1 lock); False when there is no lock yet.

        With ``create``, a missing index is written (the first build in a workspace).
        """
        if self.index.is_file() and self._index_version() == LOCK_VERSION:
            self._check_records_dir()
            return True
        with self._workspace_lock():
            if not self.index.exists():
                if self.records.is_dir() and any(self.records.glob("*.json")):
                    raise _damaged(
                        self.index, f"is missing, but {RECORDS_DIR}/ holds policy records"
                    )
                if not create:
                    return False
                _fsutil.atomic_write(self.index, self._index_text())
                return True
            if self._index_version() == 1:
                self._migrate()
            self._check_records_dir()
            return True

    def _index_text(self) -> bytes:
        return (_HEADER + json.dumps({"lock_version": LOCK_VERSION}, indent=2) + "\n").encode()

    def _index_version(self) -> int:
        if self.index.is_dir():
            raise _damaged(self.index, "is a directory")
        data = _read_json(self.index)
        if not isinstance(data, dict):
            raise _damaged(self.index, "not a smpolicy lock file")
        version = data.get("lock_version", 1 if "policies" in data else None)
        if type(version) is int and version > LOCK_VERSION:
            raise InputFileError(
                f"{self.index}: lock_version {version} was written by a newer smpolicy; this "
                f"one reads versions 1 to {LOCK_VERSION}. Upgrade smpolicy "
                "(pip install --upgrade smpolicy) and run the command again"
            )
        if version == 1:
            return 1
        try:
            LockIndex.model_validate_json(json.dumps(data), strict=True)
        except ValidationError as exc:
            raise _damaged(self.index, _first_problem("", exc).lstrip(": ")) from None
        return LOCK_VERSION

    def _check_records_dir(self) -> None:
        if self.records.exists() or self.records.is_symlink():
            confined(self.root, RECORDS_DIR, str(self.index))

    def _migrate(self) -> None:
        """Version 1 (one file) -> version 2 (an index and one file per policy)."""
        data = _read_json(self.index)
        try:
            legacy = _LegacyLock.model_validate(data)
        except ValidationError as exc:
            raise _damaged(self.index, _first_problem("", exc).lstrip(": ")) from None
        records = {
            name: validate_record(raw, f"{self.index}: policies.{name}")
            for name, raw in legacy.policies.items()
        }
        ensure_dir(self.records)
        self._check_records_dir()
        for name, record in records.items():
            if relative_path_problem(name) or "/" in name:
                raise _damaged(self.index, f"policy name {name!r} is not a file name")
            _fsutil.atomic_write(self.record_path(name), record_json(record))
        _fsutil.atomic_write(self.index, self._index_text())
        self.notes.append(
            f"{self.index.name}: moved {len(records)} policy record(s) from lock version 1 to "
            f"version {LOCK_VERSION} (one file each in {RECORDS_DIR}/); commit both"
        )

    def read(self, name: str) -> LockedPolicy | None:
        """One policy's record, validated strictly, or None when it was never issued."""
        path = self.record_path(name)
        if not path.exists() and not path.is_symlink():
            return None
        if path.is_symlink():
            raise _damaged(path, "is a symbolic link; records are plain files")
        return validate_record(_read_raw(path), str(path.relative_to(self.root)))

    def names(self) -> list[str]:
        """Every policy with a record, sorted."""
        if not self.records.is_dir():
            return []
        return sorted(p.name[: -len(".json")] for p in self.records.glob("*.json"))

    def read_all(self) -> dict[str, LockedPolicy]:
        """Every record, validated."""
        found = {}
        for name in self.names():
            record = self.read(name)
            if record is not None:
                found[name] = record
        return found

    def write(self, name: str, policy: LockedPolicy) -> None:
        """Replace one policy's record (the caller holds that policy's lock)."""
        self._check_records_dir()
        _fsutil.atomic_write(self.record_path(name), record_json(policy))


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
    """'sections/05-misinformation.md.j2' -> 'misinformation';
    'clauses/03-privacy/02-consent.yaml' -> 'privacy: consent'."""
    parts = template.split("/")
    if len(parts) == 3 and parts[0] == "clauses":
        return f"{section_name(parts[1])}: {section_name(parts[2])}"
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


_ACRONYMS = {"hhs", "ocr", "phi", "ftc", "cmp", "gdpr", "ico", "hipaa", "eu", "uk", "us", "ny"}


def humanize_key(key: str) -> str:
    """'hhs_notice_500_plus_max_days' -> 'HHS notice 500 plus max' (unit words dropped)."""
    from smpolicy.compose._context import value_label  # noqa: PLC0415

    words = value_label(key).split(" ")
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w for w in words)


def _number(text: object) -> object:
    """A figure recorded as text ('60') back as a number, for formatting."""
    if isinstance(text, str):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
    return text


def describe_entry_change(old: LockedEntry, new: PackEntry) -> str:
    """A changed fact in the reader's words: its title and figures, never pack keys."""
    from smpolicy.compose._context import format_value  # noqa: PLC0415

    if new.effective_from != old.effective_from:
        return (
            f"{new.title}: a new version, in force since {new.effective_from.isoformat()}, "
            f"replaces the one in force since {old.effective_from.isoformat()}"
        )

    def shown(key: str, value: object) -> str:
        return "not set" if value is None else format_value(key, _number(value))

    # By label, so a figure whose key was renamed (a unit added, say) reads as one change.
    pairs: dict[str, list[str]] = {}
    for key in sorted(set(old.values) | set(new.values)):
        if str(old.values.get(key)) == str(new.values.get(key)):
            continue
        pair = pairs.setdefault(humanize_key(key), ["not set", "not set"])
        if key in old.values:
            pair[0] = shown(key, old.values[key])
        if key in new.values:
            pair[1] = shown(key, new.values[key])
    figures = [
        f"{label} changed from {before} to {after}"
        for label, (before, after) in pairs.items()
        if before != after
    ]
    if not figures:
        return f"{new.title}: its text changed in the regulation pack"
    return f"{new.title}: " + "; ".join(figures)


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
            reasons.append(describe_entry_change(old, new))
    for entry_id in sorted(set(facts.entries) - set(locked.in_force)):
        reasons.append(f"new in the regulation pack: {facts.entries[entry_id].title}")
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
    from smpolicy import __version__  # noqa: PLC0415
    from smpolicy.law._packs import applicant_from, select_facts  # noqa: PLC0415

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
