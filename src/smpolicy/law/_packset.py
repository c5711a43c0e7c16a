"""Which regulation packs a build uses: built-in, the smpolicy-packs distribution, overlays.

Packs ship on their own schedule, the way time-zone data ships apart from the code that reads
it: smpolicy carries the packs it was released with, and uses a newer installed
``smpolicy-packs`` distribution when one is present (as ``zoneinfo`` falls back to ``tzdata``).
A folder of packs may carry ``packset.json`` (format, version, release date); the format is
checked both ways so that old code never misreads new packs, nor new code old ones.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smpolicy._paths import builtin_dir
from smpolicy.errors import PackError

PACK_FORMAT = 1
"""The newest pack format this smpolicy reads."""
MIN_PACK_FORMAT = 1
"""The oldest pack format this smpolicy still reads."""
PACKSET_FILE = "packset.json"
DISTRIBUTION = "smpolicy-packs"


@dataclass(frozen=True)
class PackSet:
    """A folder of pack files and where it came from."""

    path: Path
    origin: str  # "built-in", "smpolicy-packs", "workspace packs", "folder"
    version: str
    released: str
    format: int

    @property
    def key(self) -> tuple[int, ...]:
        """Version as a tuple, for comparing releases (2026.12.1 < 2027.1.0)."""
        return _version_key(self.version)


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        parts.append(int(part) if part.isdigit() else -1)
    return tuple(parts)


def read_packset(path: Path, origin: str) -> PackSet:
    """The pack set in ``path``; a folder without packset.json is format 1, version unknown."""
    meta_path = path / PACKSET_FILE
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            loaded = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PackError(f"{meta_path}: not a valid pack set description ({exc})") from None
        if not isinstance(loaded, dict):
            raise PackError(f"{meta_path}: not a valid pack set description")
        meta = loaded
    fmt = meta.get("format", 1)
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise PackError(f"{meta_path}: format: must be a whole number from 1")
    packset = PackSet(
        path=path,
        origin=origin,
        version=str(meta.get("version", "unversioned")),
        released=str(meta.get("released", "")),
        format=fmt,
    )
    check_format(packset)
    return packset


def check_format(packset: PackSet) -> None:
    """Refuse a pack set this smpolicy cannot read, naming what to upgrade."""
    where = f"{packset.path / PACKSET_FILE}"
    if packset.format > PACK_FORMAT:
        raise PackError(
            f"{where}: format: {packset.format} is newer than this smpolicy reads "
            f"({PACK_FORMAT}); upgrade smpolicy (pip install -U smpolicy)"
        )
    if packset.format < MIN_PACK_FORMAT:
        raise PackError(
            f"{where}: format: {packset.format} is older than this smpolicy reads "
            f"({MIN_PACK_FORMAT} or newer); upgrade the packs (pip install -U {DISTRIBUTION})"
        )


def builtin_packset() -> PackSet:
    """The packs this smpolicy was released with."""
    return read_packset(builtin_dir("regulations"), "built-in")


def distribution_packset() -> PackSet | None:
    """The installed smpolicy-packs distribution, if any."""
    try:
        import smpolicy_packs  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        return None
    path = Path(smpolicy_packs.pack_dir())
    if not path.is_dir():  # pragma: no cover - a broken installation
        return None
    return read_packset(path, DISTRIBUTION)


def current_packset() -> PackSet:
    """The newest readable pack set installed: the distribution when newer, else built-in."""
    builtin = builtin_packset()
    dist = distribution_packset()
    if dist is not None and dist.key > builtin.key:
        return dist
    return builtin


def current_pack_dir() -> Path:
    """Folder of the packs a build uses when nothing else is configured."""
    return current_packset().path


# --- overlays -------------------------------------------------------------------------------

OVERLAY_KEYS = ("jurisdiction", "entries", "name", "parent", "version", "released", "terms")


def _load_yaml_file(path: Path) -> Any:
    from smpolicy._yaml import load_yaml  # noqa: PLC0415

    return load_yaml(path)


def _overlay_files(overlay: Path) -> list[Path]:
    if not overlay.is_dir():
        raise PackError(f"{overlay}: pack overlay folder not found; check pack_overlays")
    return sorted(p for p in overlay.glob("*.yaml") if p.is_file())


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` over ``base``: mappings merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class Shadow:
    """An overlay entry that replaces (part of) a built-in entry."""

    overlay: Path
    entry_id: str
    upstream_sha256: str  # of the built-in entry now
    recorded: str | None  # the upstream_sha256 the overlay says it was written against


def apply_overlays(
    base_dir: Path, overlays: list[Path]
) -> tuple[dict[str, dict[str, Any]], list[Shadow]]:
    """The pack files of ``base_dir`` with every overlay applied, as plain data by code.

    An overlay file names its ``jurisdiction`` and lists ``entries``: an entry whose id the
    pack has merges over every version of it (a partial entry changes only what it names);
    a new id is added whole. A jurisdiction the base lacks needs a whole pack.
    """
    from smpolicy.law._model import PackEntry  # noqa: PLC0415
    from smpolicy.workspace._lock import entry_sha  # noqa: PLC0415

    packs: dict[str, dict[str, Any]] = {}
    for path in sorted(base_dir.glob("*.yaml")):
        data = _load_yaml_file(path)
        if isinstance(data, dict):
            packs[path.stem] = data
    shadows: list[Shadow] = []
    for overlay in overlays:
        for path in _overlay_files(overlay):
            data = _load_yaml_file(path)
            if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
                raise PackError(f"{path}: entries: an overlay lists the entries it adds or changes")
            unknown = sorted(set(data) - set(OVERLAY_KEYS))
            if unknown:
                raise PackError(
                    f"{path}: {unknown[0]}: unknown field; allowed: {', '.join(OVERLAY_KEYS)}"
                )
            code = data.get("jurisdiction")
            if not isinstance(code, str) or path.stem != code:
                raise PackError(
                    f"{path}: jurisdiction: must be given and match the file name ({path.stem})"
                )
            if code not in packs:
                packs[code] = dict(data)
                continue
            pack = packs[code]
            entries: list[dict[str, Any]] = list(pack.get("entries", []))
            for index, item in enumerate(data["entries"]):
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise PackError(f"{path}: entries.{index}.id: every overlay entry needs an id")
                patch = dict(item)
                recorded = patch.pop("upstream_sha256", None)
                matches = [i for i, e in enumerate(entries) if e.get("id") == patch["id"]]
                if not matches:
                    entries.append(patch)
                    continue
                for i in matches:
                    try:
                        upstream = PackEntry.model_validate(entries[i])
                        sha = entry_sha(upstream)
                    except ValueError:
                        sha = ""
                    shadows.append(
                        Shadow(path, patch["id"], sha, str(recorded) if recorded else None)
                    )
                    entries[i] = _merge(entries[i], patch)
            pack["entries"] = entries
            for key in ("version", "released"):
                if key in data:
                    pack[key] = data[key]
    return packs, shadows


def merged_pack_dir(base_dir: Path, overlays: list[Path]) -> tuple[Path, list[Shadow]]:
    """A folder holding the packs of ``base_dir`` with ``overlays`` applied (content-addressed).

    The folder lives in the cache (or a temporary folder when the cache is off), so the same
    inputs always give the same folder and the built-in packs keep updating underneath.
    """
    from smpolicy._cache import cache_path  # noqa: PLC0415

    packs, shadows = apply_overlays(base_dir, overlays)
    blobs = {
        code: json.dumps(data, default=_json_default).encode()  # key order kept: it is hashed
        for code, data in sorted(packs.items())
    }
    meta_src = base_dir / PACKSET_FILE
    meta = meta_src.read_bytes() if meta_src.is_file() else b""
    digest = hashlib.sha256(meta)
    for code, blob in blobs.items():
        digest.update(code.encode() + b"\0" + blob)
    name = digest.hexdigest()[:20]
    target = cache_path("overlays", name)
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="smpolicy-overlay-")) / name
    if not (target / ".complete").is_file():
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=_ensure(target.parent)))
        for code, blob in blobs.items():
            (staging / f"{code}.yaml").write_bytes(blob)  # JSON is YAML
        if meta:
            (staging / PACKSET_FILE).write_bytes(meta)
        (staging / ".complete").write_bytes(b"")
        try:
            staging.replace(target)
        except OSError:  # another process finished first: use theirs
            import shutil  # noqa: PLC0415

            shutil.rmtree(staging, ignore_errors=True)
    return target, shadows


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a pack")


def shadow_warnings(shadows: list[Shadow]) -> list[str]:
    """One line per overlay entry whose built-in entry changed since the overlay was written."""
    lines = []
    for shadow in shadows:
        if shadow.recorded is None:
            lines.append(
                f"{shadow.overlay}: {shadow.entry_id} shadows the built-in entry; add "
                f"'upstream_sha256: {shadow.upstream_sha256}' to be told when it changes upstream"
            )
        elif shadow.recorded != shadow.upstream_sha256:
            lines.append(
                f"{shadow.overlay}: {shadow.entry_id} shadows a built-in entry that changed "
                f"upstream (was {shadow.recorded}, now {shadow.upstream_sha256}); review the "
                "overlay, then update its upstream_sha256"
            )
    return lines


def workspace_packs(
    root: Path, packs: str | None, overlays: list[str]
) -> tuple[Path | None, list[str]]:
    """The pack folder a workspace's builds use, and warnings for ``check``.

    ``packs`` (the old setting) freezes every pack at a copy; ``overlays`` change single
    entries while the built-in packs keep updating underneath.
    """
    warnings: list[str] = []
    base = (root / packs).resolve() if packs else None
    if base is not None:
        warnings.append(
            f"smpolicy.yaml: packs: {packs} replaces every built-in pack, so later regulation "
            "updates never reach these policies; use pack_overlays to change single entries"
        )
    if not overlays:
        return base, warnings
    folders = []
    for item in overlays:
        folder = (root / item).resolve()
        if not folder.is_relative_to(root.resolve()):
            raise PackError(
                f"smpolicy.yaml: pack_overlays: {item} is outside the workspace; keep overlays "
                "inside it"
            )
        folders.append(folder)
    merged, shadows = merged_pack_dir(base or current_pack_dir(), folders)
    warnings.extend(shadow_warnings(shadows))
    return merged, warnings
