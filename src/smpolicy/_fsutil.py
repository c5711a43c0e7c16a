"""Atomic file writes and the output manifest that guards hand-made files."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from smpolicy.errors import InputFileError, OutputError

MANIFEST = ".smpolicy-outputs.json"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def describe(exc: OSError) -> str:
    """An OSError in words a user can act on."""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is the directory read-only?)"
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or str(exc)


def ensure_dir(path: Path) -> None:
    """Create ``path`` (and parents) as a user error when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path}: exists and is not a directory; choose another --out") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot create directory: {describe(exc)}") from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    ensure_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {describe(exc)}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{path}: cannot write: {describe(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def replace(source: Path, target: Path) -> None:
    """Move ``source`` over ``target`` in one step (both in the workspace)."""
    try:
        source.replace(target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        atomic_write(target, source.read_bytes())  # another file system: copy, then drop
        source.unlink()


def remove(path: Path) -> None:
    """Delete ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def fsync_dir(path: Path) -> None:
    """Make renames and deletions inside ``path`` durable (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def relative_path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a path inside a workspace, or None when it can."""
    if not value:
        return "is empty"
    if _CONTROL.search(value):
        return "contains a control character"
    if value.startswith("/") or "\\" in value or (len(value) > 1 and value[1] == ":"):
        return "must be a relative path (with /), not an absolute one"
    if ".." in value.split("/"):
        return "must not contain '..'"
    return None


@functools.lru_cache(maxsize=64)
def _resolved(root: str) -> str:
    return str(Path(root).resolve())


def confined(root: Path, value: str, source: str) -> Path:
    """``root / value`` after checking it stays inside ``root``, symlinks resolved.

    ``source`` names where the path was read (``smpolicy.lock.d/x.json: outputs.md.path``).
    """
    problem = relative_path_problem(value)
    if problem is None:
        base = _resolved(str(root))
        # plain strings, not pathlib: this runs for every file check reads (thousands)
        target = os.path.normpath(os.path.join(base, value))  # noqa: PTH118
        probe = base
        for part in value.split("/"):  # a symbolic link on the way: resolve, then compare
            probe = os.path.join(probe, part)  # noqa: PTH118
            if os.path.islink(probe):  # noqa: PTH114
                target = os.path.realpath(target)
                break
        if target == base or target.startswith(base.rstrip("/") + "/"):
            return Path(target)
        problem = "leads outside the workspace (through a symbolic link)"
    raise InputFileError(
        f"{source}: {value!r} {problem}; smpolicy reads and writes only inside {root}"
    )


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive advisory lock on ``path`` (created if needed) for the block.

    With ``wait=False`` the block runs at once and receives False when another process holds
    the lock (and True when this one got it). The lock ends with the process, however it ends.
    """
    import fcntl  # noqa: PLC0415 - POSIX only, imported where used

    ensure_dir(path.parent)
    try:
        handle = path.open("a+")
    except OSError as exc:
        raise OutputError(f"{path}: cannot open lock: {describe(exc)}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


MANIFEST_DIR = ".smpolicy-outputs"


class Manifest:
    """Which files of one policy (``stem``) smpolicy wrote in an output directory, with hashes.

    One small file per policy (``.smpolicy-outputs/STEM.json``), so a build rewrites only its
    own. The single ``.smpolicy-outputs.json`` of earlier versions is still read.
    """

    def __init__(self, directory: Path, stem: str) -> None:
        self.directory = directory
        self.stem = stem
        self.path = directory / MANIFEST_DIR / f"{stem}.json"
        self.files: dict[str, str] = {}
        self.changed: dict[str, str] = {}
        source = self.path if self.path.is_file() else directory / MANIFEST
        if source.is_file():
            try:
                loaded = json.loads(source.read_text(encoding="utf-8"))
                self.files = {
                    str(k): str(v)
                    for k, v in loaded.get("files", {}).items()
                    if "/" not in str(k) and (source == self.path or str(k).startswith(f"{stem}."))
                }
            except (OSError, ValueError, AttributeError):
                self.files = {}

    def check_writable(self, target: Path, *, force: bool) -> None:
        """Refuse to replace a file smpolicy did not write (or that was edited since)."""
        if force or not target.exists():
            return
        if target.is_dir():
            raise OutputError(f"{target}: is a directory; remove it or choose another --out")
        recorded = self.files.get(target.name)
        try:
            current = sha256(target.read_bytes())
        except OSError as exc:
            raise OutputError(f"{target}: cannot read: {describe(exc)}") from None
        if recorded is None:
            raise OutputError(
                f"{target}: exists and was not written by smpolicy; move it away or pass --force"
            )
        if recorded != current:
            raise OutputError(
                f"{target}: was edited after smpolicy wrote it; outputs are generated, so move "
                "your edits into the profile or a template override, or pass --force"
            )

    def record(self, target: Path, data: bytes) -> None:
        """Note that ``target`` now holds ``data``."""
        self.files[target.name] = self.changed[target.name] = sha256(data)

    def forget(self, target: Path) -> None:
        """Note that ``target`` was removed."""
        self.files.pop(target.name, None)
        self.changed[target.name] = ""

    def save(self) -> None:
        """Merge only the entries this run changed into the file on disk, atomically.

        The caller holds the policy's lock, so no other build writes this file meanwhile; the
        file is re-read all the same, so an entry this run did not touch is never reverted.
        """
        fresh = Manifest(self.directory, self.stem).files
        for name, digest in self.changed.items():
            if digest:
                fresh[name] = digest
            else:
                fresh.pop(name, None)
        payload = {"files": dict(sorted(fresh.items()))}
        atomic_write(self.path, (json.dumps(payload, indent=2) + "\n").encode())
        self.files, self.changed = fresh, {}
