"""``smpolicy check`` and ``smpolicy diff``: staleness and history without rendering."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ._fsutil import sha256
from ._lock import LockedPolicy, read_lock, staleness
from ._packset import current_pack_dir
from ._paths import builtin_dir, output_stem
from ._profile import load_profile
from ._safeio import read_capped
from ._templates import TemplatePack
from ._workspace import Workspace, find_workspace, issue_date
from ._yaml import MAX_BYTES
from .errors import InputFileError


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


def check_policies(
    profiles: list[Path], *, pack_dir: Path | None = None, warnings: list[str] | None = None
) -> list[CheckResult]:
    """Compare each policy's lock entry with its current inputs.

    Warnings about the workspace's pack settings (frozen packs, overlays shadowing entries that
    changed upstream) are appended to ``warnings``.
    """
    workspace = _workspace()
    cfg = workspace.config
    lock = read_lock(workspace.lock_path)
    configured, found = workspace.pack_dir()
    if warnings is not None:
        warnings.extend(found)
    packs = pack_dir or configured or current_pack_dir()
    overlay = workspace.path(cfg.templates) if cfg.templates else None
    template_pack = TemplatePack.load(builtin_dir("templates"), overlay=overlay)
    today = issue_date()
    targets: list[tuple[str, Path]]
    if profiles:
        targets = [(output_stem(p), p) for p in profiles]
    else:
        targets = [
            (name, workspace.root / item.profile) for name, item in sorted(lock.policies.items())
        ]
    results = []
    for name, path in targets:
        locked: LockedPolicy | None = lock.policies.get(name)
        shown = workspace.relative(path)
        if locked is None:
            results.append(CheckResult(name, shown, None, ["never built: run 'smpolicy build'"]))
            continue
        if not path.is_file():
            results.append(CheckResult(name, shown, locked.version, ["profile file is missing"]))
            continue
        unchanged = bool(locked.profile_file_sha256) and (
            sha256(read_capped(path, MAX_BYTES, what="profile"))[:16] == locked.profile_file_sha256
        )
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
        results.append(CheckResult(name, shown, locked.version, reasons))
    return results


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


def version_diff(profile: Path, from_version: int, to_version: int | None) -> str:
    """Unified text diff between two issued versions of ``profile``'s policy."""
    from ._redline import text_diff  # noqa: PLC0415

    workspace = _workspace()
    lock = read_lock(workspace.lock_path)
    name = output_stem(profile)
    locked = lock.policies.get(name)
    if locked is None:
        raise InputFileError(
            f"{profile}: no issued policy in {workspace.lock_path.name}; build it first"
        )
    current = locked.version
    to_version = to_version or current

    def markdown(version: int) -> str:
        if version == current:
            output = locked.outputs.get("md")
            path = workspace.root / output.path if output else None
        else:
            path = (
                workspace.path(workspace.config.archive_dir) / name / f"v{version}" / f"{name}.md"
            )
        if path is None or not path.is_file():
            raise InputFileError(
                f"{profile}: version {version} is not available (issued versions: 1 to {current}; "
                "only versions built with Markdown output can be compared)"
            )
        return path.read_text(encoding="utf-8")

    return text_diff(
        markdown(from_version),
        markdown(to_version),
        f"version {from_version}",
        f"version {to_version}",
    )
