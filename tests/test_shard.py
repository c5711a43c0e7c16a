"""--shard K/N splits a fleet deterministically; the shards cover every policy exactly once."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from smpolicy.workspace._shard import in_shard, parse_shard, shard_of

from .conftest import run_smpolicy

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.slow
def test_sharded_builds_and_checks_cover_the_fleet_and_merge(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "profiles").mkdir(parents=True)
    (root / "smpolicy.yaml").write_text("output_dir: policies\nformats: [md]\n")
    examples = sorted((ROOT / "profiles" / "examples").glob("*.yaml"))[:8]
    for index, source in enumerate(examples):
        shutil.copy(source, root / "profiles" / f"p{index}-{source.name}")
    names = sorted(p.stem for p in (root / "profiles").glob("*.yaml"))
    built: list[str] = []
    for k in (1, 2, 3):
        run = run_smpolicy("build", "--shard", f"{k}/3", *sorted(_glob(root)), cwd=root)
        assert run.returncode == 0, run.stderr
        built += [Path(line).name.split(".")[0] for line in run.stdout.split() if line]
    assert sorted(set(built)) == names
    assert all(built.count(n) == len(built) // len(names) for n in names)  # each built once
    # one policy goes stale; the shards' JSON reports merge into the whole-fleet report
    victim = root / "profiles" / f"{names[0]}.yaml"
    bumped = re.sub(
        r"workforce_size: (\d+)", lambda m: f"workforce_size: {int(m[1]) + 1}", victim.read_text()
    )
    victim.write_text(bumped)
    whole = json.loads(run_smpolicy("check", "--json", cwd=root).stdout)
    parts = [
        json.loads(run_smpolicy("check", "--json", "--shard", f"{k}/3", cwd=root).stdout)
        for k in (1, 2, 3)
    ]
    merged = sorted((p for part in parts for p in part["policies"]), key=lambda p: p["name"])
    assert merged == sorted(whole["policies"], key=lambda p: p["name"])
    assert sum(part["stale"] for part in parts) == whole["stale"] == 1


def _glob(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in (root / "profiles").glob("*.yaml")]
