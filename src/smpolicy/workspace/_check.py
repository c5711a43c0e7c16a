"""``smpolicy check`` and ``smpolicy diff``: staleness and history without rendering."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smpolicy._fsutil import atomic_write, confined, sha256
from smpolicy._paths import builtin_dir, output_stem
from smpolicy._safeio import read_capped
from smpolicy._yaml import MAX_BYTES
from smpolicy.compose._templates import TemplatePack
from smpolicy.errors import InputFileError, SmpolicyError
from smpolicy.law._packset import current_pack_dir
from smpolicy.profile._model import load_profile
from smpolicy.workspace._config import Workspace, find_workspace, issue_date
from smpolicy.workspace._lock import LockedOutput, LockedPolicy, LockStore, staleness
from smpolicy.workspace._shard import in_shard

if TYPE_CHECKING:  # pragma: no cover
    from smpolicy.compose._clauses import ClausePlan
    from smpolicy.profile._model import Profile


@dataclass
class CheckResult:
    """One policy's state."""

    name: str
    profile: str
    version: int | None
    reasons: list[str] = field(default_factory=list)


def _workspace() -> Workspace:
    workspace = find_workspace()
    if workspace is None:
        raise InputFileError(
            f"{Path.cwd()}: not inside a smpolicy workspace (no smpolicy.yaml here or above); "
            "run 'smpolicy init' first"
        )
    return workspace


def open_workspace(notes: list[str]) -> tuple[Workspace, LockStore]:
    """The workspace and its lock, after finishing or undoing any interrupted build.

    ``notes`` receives one line for each thing done (a recovery, a lock migration).
    """
    from smpolicy.workspace._txn import recover_all  # noqa: PLC0415

    workspace = _workspace()
    store = LockStore(workspace.root)
    store.open()
    notes.extend(store.notes)
    notes.extend(recover_all(workspace.root, store))
    return workspace, store


class HashCache:
    """Hashes of the policy files, kept with their size and times (like git's index).

    ``check`` hashes every current and archived file of every policy; a file whose size,
    modification and change times and inode are those recorded in ``.smpolicy/hashes.json``
    is not read again. Any write to a file changes its change time, so an edit is always seen.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / ".smpolicy" / "hashes.json"
        self.entries: dict[str, list[int | str]] = {}
        self.dirty = False
        with contextlib.suppress(OSError, ValueError, AttributeError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.entries = {str(k): list(v) for k, v in loaded.items() if isinstance(v, list)}

    def digest(self, path: Path, key: str) -> tuple[str, int]:
        """(sha256 hex, size) of ``path``; OSError when it cannot be read."""
        info = path.stat()
        stamp: list[int | str] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        known = self.entries.get(key)
        if known is not None and known[:4] == stamp and isinstance(known[4], str):
            return known[4], info.st_size
        data = path.read_bytes()
        digest = sha256(data)
        self.entries[key] = [*stamp, digest]
        self.dirty = True
        return digest, len(data)

    def save(self) -> None:
        """Write the cache (best effort: it only saves time)."""
        if self.dirty:
            with contextlib.suppress(SmpolicyError, OSError):
                text = json.dumps(self.entries, sort_keys=True)
                atomic_write(self.path, text.encode())


def _hash_problem(
    root: Path, output: LockedOutput, source: str, what: str, cache: HashCache | None = None
) -> str | None:
    """Why a recorded file is not what was recorded, in one line; None when it is."""
    path = confined(root, output.path, source)
    try:
        if cache is not None:
            digest, size = cache.digest(path, output.path)
        else:
            data = path.read_bytes()
            digest, size = sha256(data), len(data)
    except FileNotFoundError:
        return f"{what} missing: {output.path}"
    except OSError as exc:
        return f"{what} unreadable: {output.path} ({exc.strerror})"
    if not digest.startswith(output.sha256):
        state = "empty" if not size else "damaged or edited"
        return f"{what} {state}: {output.path} differs from what was issued; restore it from git"
    return None


def output_problems(
    root: Path, locked: LockedPolicy, source: str, cache: HashCache | None = None
) -> list[str]:
    """Each current or archived file of a policy that is missing or not as issued."""
    problems = [
        _hash_problem(root, output, f"{source}: outputs.{fmt}.path", f"{fmt} output", cache)
        for fmt, output in sorted(locked.outputs.items())
    ]
    for old in locked.archived:
        problems.extend(
            _hash_problem(
                root, output, f"{source}: archived", f"archived version {old.version} {fmt}", cache
            )
            for fmt, output in sorted(old.outputs.items())
        )
    return [p for p in problems if p]


_TITLES: dict[tuple[Path, tuple[str, ...]], tuple[list[Any], dict[str, Any]]] = {}
"""The entries of each set of packs by title, with the packs they came from (a check of many
policies names sections for each stale one against the same few packs)."""


def _entries_by_title(pack_dir: Path, codes: list[str]) -> dict[str, Any]:
    """Every entry of the packs ``codes`` in ``pack_dir`` by title (a later pack wins)."""
    from smpolicy.law._packs import load_pack  # noqa: PLC0415

    packs = []
    for code in codes:
        path = pack_dir / f"{code}.yaml"
        if path.is_file():
            with contextlib.suppress(SmpolicyError):
                packs.append(load_pack(path))  # cached by path and modification time
    key = (pack_dir, tuple(codes))
    known = _TITLES.get(key)
    if (
        known is not None
        and len(known[0]) == len(packs)
        and all(a is b for a, b in zip(known[0], packs, strict=True))
    ):
        return known[1]
    entries = {}
    for pack in packs:
        entries.update({e.title: e for e in pack.entries})
    _TITLES[key] = (packs, entries)
    return entries


def name_sections(
    reasons: list[str], pack_dir: Path, codes: list[str], plan: ClausePlan | None
) -> list[str]:
    """Each reason about a pack entry, followed by the rules (clauses) that rest on it.

    ``plan`` holds the policy's clauses with their numbers; each clause lists the pack topics
    and obligations it rests on (templates/clauses), the same data the revision history uses.
    """
    from smpolicy.compose._context import touched_clauses  # noqa: PLC0415

    if plan is None:
        return reasons
    entries = _entries_by_title(pack_dir, codes)
    named = []
    for reason in reasons:
        titles = [t for t in entries if t in reason]
        where = touched_clauses(plan, entries[max(titles, key=len)]) if titles else ""
        named.append(
            reason + f" (touches {where})" if where and "(section" not in reason else reason
        )
    return named


def check_policies(
    profiles: list[Path],
    *,
    pack_dir: Path | None = None,
    warnings: list[str] | None = None,
    notes: list[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> list[CheckResult]:
    """Compare each policy's lock entry with its current inputs and its files.

    ``shard`` (K, N) checks only the policies of shard K of N (see ``_shard``).

    Warnings about the workspace's pack settings (frozen packs, overlays shadowing entries that
    changed upstream) are appended to ``warnings``; what was done on the way (a recovery, a lock
    migration) to ``notes``.
    """
    workspace, store = open_workspace(notes if notes is not None else [])
    cfg = workspace.config
    configured, found = workspace.pack_dir()
    if warnings is not None:
        warnings.extend(found)
    packs = pack_dir or configured or current_pack_dir()
    overlay = workspace.input_path(cfg.templates) if cfg.templates else None
    template_pack = TemplatePack.load(builtin_dir("templates"), overlay=overlay)
    today = issue_date()
    records: dict[str, LockedPolicy | None]
    targets: list[tuple[str, Path, str]]
    if profiles:
        targets = [(output_stem(p), p, workspace.relative(p)) for p in profiles]
        targets = [t for t in targets if in_shard(t[0], shard)]
        records = {name: store.read(name) for name, _, _ in targets}
    elif shard is not None:
        records = {name: store.read(name) for name in store.names() if in_shard(name, shard)}
        targets = [
            (name, workspace.root / item.profile, item.profile)
            for name, item in records.items()
            if item is not None
        ]
    else:
        everything = store.read_all()
        targets = [
            (name, workspace.root / item.profile, item.profile) for name, item in everything.items()
        ]
        records = dict(everything)
    results = []
    cache = HashCache(workspace.root)
    for name, path, shown in targets:
        locked = records.get(name)
        if locked is None:
            results.append(CheckResult(name, shown, None, ["never built: run 'smpolicy build'"]))
            continue
        if not path.is_file():
            results.append(CheckResult(name, shown, locked.version, ["profile file is missing"]))
            continue
        try:
            unchanged = bool(locked.profile_file_sha256) and (
                sha256(read_capped(path, MAX_BYTES, what="profile")).startswith(
                    locked.profile_file_sha256
                )
            )
        except InputFileError:
            unchanged = False  # load_profile says why in one line
        profile = None if unchanged else load_profile(path)
        reasons = staleness(
            locked,
            profile,
            pack_dir=packs,
            template_pack=template_pack,
            today=today,
            outputs_root=workspace.root,
            source=str(path),
        )
        reasons = [r for r in reasons if " output missing: " not in r]
        if reasons:
            reasons = name_sections(
                reasons,
                packs,
                list(locked.pack_versions),
                _plan(locked, profile, path, packs, template_pack),
            )
        reasons.extend(output_problems(workspace.root, locked, str(store.record_path(name)), cache))
        results.append(CheckResult(name, shown, locked.version, reasons))
    cache.save()
    return results


def _plan(
    locked: LockedPolicy,
    profile: Profile | None,
    path: Path,
    packs: Path,
    template_pack: TemplatePack | None,
) -> ClausePlan | None:
    """The clauses of the policy as issued (its profile, the law as of its issue)."""
    from smpolicy._build import clause_plan  # noqa: PLC0415

    try:
        profile = profile or load_profile(path)
        return clause_plan(
            profile,
            as_of=locked.as_of,
            pack_dir=packs,
            template_pack=template_pack,
            source=str(path),
        )
    except SmpolicyError:
        return None


def report_text(results: list[CheckResult]) -> str:
    """Plain-words report, one block per stale policy."""
    lines = []
    for result in results:
        if not result.reasons:
            lines.append(f"current  {result.profile} (version {result.version})")
            continue
        lines.append(f"STALE    {result.profile} (version {result.version or '-'})")
        lines.extend(f"           - {reason}" for reason in result.reasons)
    stale = sum(1 for r in results if r.reasons)
    lines.append(f"{len(results)} policies checked, {stale} stale")
    return "\n".join(lines) + "\n"


def report_json(results: list[CheckResult], warnings: list[str] | None = None) -> str:
    """The same report for machines."""
    payload = {
        "stale": sum(1 for r in results if r.reasons),
        "warnings": list(warnings or []),
        "policies": [
            {
                "name": r.name,
                "profile": r.profile,
                "version": r.version,
                "current": not r.reasons,
                "reasons": r.reasons,
            }
            for r in results
        ],
    }
    return json.dumps(payload, indent=2) + "\n"


def version_diff(
    profile: Path, from_version: int, to_version: int | None, notes: list[str] | None = None
) -> str:
    """Unified text diff between two issued versions of ``profile``'s policy."""
    from smpolicy.render._redline import text_diff  # noqa: PLC0415

    workspace, store = open_workspace(notes if notes is not None else [])
    name = output_stem(profile)
    locked = store.read(name)
    if locked is None:
        raise InputFileError(
            f"{profile}: no issued policy in {workspace.lock_path.name}; build it first"
        )
    current = locked.version
    to_version = to_version or current
    source = str(store.record_path(name))

    def markdown(version: int) -> str:
        unavailable = InputFileError(
            f"{profile}: version {version} is not available (issued versions: 1 to {current}; "
            "only versions built with Markdown output can be compared)"
        )
        if version == current:
            output = locked.outputs.get("md")
        else:
            found = [a.outputs.get("md") for a in locked.archived if a.version == version]
            output = found[0] if found else None
        if output is None and version != current and 1 <= version < current:
            # a record from lock version 1 did not list the archived files
            path = (
                workspace.path(workspace.config.archive_dir, "archive_dir")
                / name
                / f"v{version}"
                / f"{name}.md"
            )
            if not path.is_file():
                raise unavailable
            return _text(path, f"version {version}")
        if output is None:
            raise unavailable
        problem = _hash_problem(workspace.root, output, source, f"version {version} Markdown")
        if problem:
            raise InputFileError(f"{profile}: {problem}")
        return _text(confined(workspace.root, output.path, source), f"version {version}")

    return text_diff(
        markdown(from_version),
        markdown(to_version),
        f"version {from_version}",
        f"version {to_version}",
    )


def _text(path: Path, what: str) -> str:
    """A Markdown file as text, or a one-line error when it is not."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: {what} is damaged (not UTF-8 text at byte {exc.start}); restore it from git"
        ) from None
    if not text.strip():
        raise InputFileError(f"{path}: {what} is empty; restore it from git")
    return text
