"""A small on-disk cache (validated packs, compiled templates) in the user's cache directory.

Entries are keyed by content hashes and the smpolicy version, so a stale entry is never used;
the cache can be deleted at any time. SMPOLICY_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from smpolicy import __version__


def cache_dir() -> Path | None:
    """$XDG_CACHE_HOME/smpolicy/<version> (or ~/.cache/...), or None when disabled."""
    if os.environ.get("SMPOLICY_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "smpolicy" / __version__


def cache_path(kind: str, name: str) -> Path | None:
    """Where a cache entry lives (its directory may not exist yet)."""
    root = cache_dir()
    return None if root is None else root / kind / name


def write_cache(path: Path, data: bytes) -> None:
    """Best effort, atomic: a failure to cache never fails a build."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)


def cached_bytes(kind: str, name: str, make: Callable[[], bytes]) -> bytes:
    """The bytes cached under ``kind/name``, or ``make()``'s, cached for next time.

    ``name`` must be derived from every input of ``make`` (a content hash), so an entry is
    never stale.
    """
    path = cache_path(kind, name)
    if path is not None and path.is_file():
        with contextlib.suppress(OSError):
            return path.read_bytes()
    data = make()
    if path is not None:
        write_cache(path, data)
    return data
