"""Reading files a user or a profile names, without trusting them.

Every input is read as a stream with a size cap (``stat`` is not trusted: ``/dev/zero``
and ``/proc`` files report size 0), only regular files are read (a FIFO or a device is
refused before it can block or stream forever), and a path a profile names must stay
in the profile's folder, symlinks included.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from smpolicy.errors import InputFileError

__all__ = ["confined", "read_capped"]

_CHUNK = 64 * 1024


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def read_capped(path: Path, limit: int, *, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, refused past ``limit`` bytes while reading.

    The file is opened without blocking (a FIFO would otherwise wait for a writer), then
    checked to be a regular file on the open descriptor, so a swap between the check and
    the read cannot slip a device in.
    """
    if "\0" in str(path):
        raise InputFileError(f"{path!r}: a file name cannot contain a NUL character")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputFileError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, expected a {what}") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError(f"{path}: is a directory, expected a {what}")
        if not stat.S_ISREG(mode):
            raise InputFileError(
                f"{path}: not a regular file (a device, pipe or socket); give a {what} saved on disk"
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise InputFileError(
                    f"{path}: {what} is larger than the {_size(limit)} limit; use a smaller file"
                )
            chunks.append(chunk)
        return b"".join(chunks)
    except BlockingIOError:  # pragma: no cover - regular files never block
        raise InputFileError(f"{path}: cannot read {what}: it would block") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {what}: {exc.strerror}") from None
    finally:
        os.close(fd)


def confined(path: Path, root: Path, *, field: str) -> Path:
    """``path`` (already joined to ``root``, or absolute) if it resolves inside ``root``.

    Symlinks are followed before the check, so a link that leads out of ``root`` is
    refused like a ``../`` path. ``field`` names the setting in the error message.
    """
    text = str(path)
    if "\0" in text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputFileError(f"{field}: {text!r}: a path cannot hold control characters")
    candidate = path
    try:
        real_root = root.resolve()
        real = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise InputFileError(f"{candidate}: {field}: cannot resolve the path ({exc})") from None
    if not real.is_relative_to(real_root):
        via = " through a symbolic link" if _has_symlink(candidate, root) else ""
        raise InputFileError(
            f"{candidate}: {field}: leads outside the profile's folder {root}{via}; "
            "copy the file next to the profile and name it there"
        )
    return candidate


def _has_symlink(path: Path, root: Path) -> bool:
    current = path
    while current not in (root, current.parent):
        if current.is_symlink():
            return True
        current = current.parent
    return False
