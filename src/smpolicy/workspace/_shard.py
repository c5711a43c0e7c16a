"""Split a fleet of policies across CI jobs: ``--shard K/N``.

A policy belongs to shard K of N by a hash of its name (the profile's file stem), so the split
is deterministic, needs no coordination between jobs, and adding or removing a profile never
moves the others to another shard.
"""

from __future__ import annotations

import hashlib
import re

_SPEC = re.compile(r"^(\d{1,6})/(\d{1,6})$")


def parse_shard(spec: str) -> tuple[int, int]:
    """'2/8' -> (2, 8); shards are numbered from 1."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise ValueError(f"{spec!r} is not K/N (for example 2/8)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ValueError(f"{spec}: K must be between 1 and N")
    return index, count


def shard_of(name: str, count: int) -> int:
    """The shard (1..count) that the policy ``name`` belongs to."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``name`` is built or checked by ``shard`` (every name when there is none)."""
    return shard is None or shard_of(name, shard[1]) == shard[0]
