"""--shard K/N splits a fleet deterministically; the shards cover every policy exactly once."""

from __future__ import annotations

import pytest

from smpolicy._shard import in_shard, parse_shard, shard_of


def test_shards_cover_every_policy_exactly_once() -> None:
    names = [f"p{i:04d}-clinic" for i in range(1000)]
    for count in (1, 2, 3, 7, 16):
        seen: dict[str, int] = {}
        for index in range(1, count + 1):
            for name in names:
                if in_shard(name, (index, count)):
                    seen[name] = seen.get(name, 0) + 1
        assert sorted(seen) == sorted(names)
        assert set(seen.values()) == {1}
    sizes = [sum(1 for n in names if shard_of(n, 4) == k) for k in range(1, 5)]
    assert min(sizes) > 200  # balanced enough to be worth splitting


def test_adding_a_profile_moves_no_other() -> None:
    before = {f"p{i}": shard_of(f"p{i}", 5) for i in range(100)}
    after = {f"p{i}": shard_of(f"p{i}", 5) for i in range(101)}
    assert all(after[name] == shard for name, shard in before.items())


@pytest.mark.parametrize("spec", ["0/4", "5/4", "a/b", "1", "1/0", "-1/2"])
def test_bad_shard_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="K"):
        parse_shard(spec)
