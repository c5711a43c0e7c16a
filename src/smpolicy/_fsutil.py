"""Atomic file writes and the output manifest that guards hand-made files."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

MANIFEST = ".smpolicy-outputs.json"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _describe(exc: OSError) -> str:
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
        raise OutputError(f"{path}: cannot create directory: {_describe(exc)}") from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    ensure_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {_describe(exc)}") from None
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
        raise OutputError(f"{path}: cannot write: {_describe(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created if needed) for the block."""
    import fcntl  # noqa: PLC0415 - POSIX only, imported where used

    ensure_dir(path.parent)
    try:
        handle = path.open("a+")
    except OSError as exc:
        raise OutputError(f"{path}: cannot open lock: {_describe(exc)}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Manifest:
    """Which files in an output directory smpolicy wrote, with their hashes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / MANIFEST
        self.files: dict[str, str] = {}
        if self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                self.files = {str(k): str(v) for k, v in loaded.get("files", {}).items()}
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
            raise OutputError(f"{target}: cannot read: {_describe(exc)}") from None
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
        self.files[target.name] = sha256(data)

    def save(self) -> None:
        """Merge what this run recorded into the manifest on disk, under a lock, atomically."""
        mine = dict(self.files)
        with locked(self.directory / ".smpolicy-outputs.lock"):
            current = Manifest(self.directory).files
            current.update(mine)
            payload = {"files": dict(sorted(current.items()))}
            atomic_write(self.path, (json.dumps(payload, indent=2) + "\n").encode())
