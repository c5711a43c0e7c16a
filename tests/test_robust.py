"""Robustness: generated profiles, interrupted builds, concurrent builds."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smpolicy._txn import recover_all
from smpolicy.cli import main
from smpolicy.errors import ExitCode

from .conftest import EXAMPLES, profile_data, write_yaml

DOCUMENTED = {int(code) for code in ExitCode}

text = (
    st.text(st.characters(codec="utf-8"), max_size=300)
    | st.text(max_size=5)
    | st.just("x" * 100_000)
)
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
value = st.recursive(
    scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
PATHS = [
    "organization__name",
    "organization__type",
    "organization__jurisdictions",
    "organization__workforce_size",
    "organization__public_sector",
    "platforms",
    "risk_appetite",
    "policy__number",
    "policy__effective_date",
    "policy__title",
    "contacts__privacy_officer__email",
    "contacts__policy_owner__title",
    "schema_version",
    "organization__extra_key",
    "official_accounts__agency_name",
    "policy__review_cycle_months",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.dictionaries(st.sampled_from(PATHS), value, min_size=1, max_size=3),
    drop=st.sampled_from([None, "platforms", "contacts", "policy", "organization"]),
)
def test_generated_profiles_never_crash(tmp_path: Path, capsys, changes, drop) -> None:
    data = profile_data(**changes)
    if drop:
        data.pop(drop, None)
    profile = tmp_path / "gen.yaml"
    try:
        write_yaml(profile, data)
    except Exception:  # the YAML library cannot write this value; nothing to test
        return
    with pytest.raises(SystemExit) as info:
        main(
            [
                "build",
                str(profile),
                "--out",
                str(tmp_path / "out"),
                "--format",
                "md,html,docx",
                "--force",
            ]
        )
    code = info.value.code
    err = capsys.readouterr().err
    assert code in DOCUMENTED, (code, err)
    if code == 0:
        assert (tmp_path / "out" / "gen.docx").stat().st_size > 0
    else:
        lines = err.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), err
        assert all(len(line) < 2000 for line in lines)


def test_yaml_with_raw_control_characters(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "ctl.yaml"
    profile.write_bytes(b'schema_version: 1\norganization:\n  name: "a\x07b"\n')
    with pytest.raises(SystemExit) as info:
        main(["build", str(profile)])
    assert info.value.code in (ExitCode.INPUT_FILE, ExitCode.INVALID_PROFILE)
    assert "Traceback" not in capsys.readouterr().err


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "profiles").mkdir(parents=True)
    (ws / "smpolicy.yaml").write_text("output_dir: policies\n")
    for name in ("community-hospital", "smile-dental", "northside-clinic"):
        (ws / "profiles" / f"{name}.yaml").write_text((EXAMPLES / f"{name}.yaml").read_text())
    return ws


def _run(ws: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "smpolicy", *args],
        cwd=ws,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_killed_builds_leave_outputs_and_lock_intact(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert _run(ws, "build", "profiles/community-hospital.yaml").wait(timeout=120) == 0
    policies = ws / "policies"
    before = {p.name: p.read_bytes() for p in policies.iterdir() if p.is_file()}
    record_path = ws / "smpolicy.lock.d" / "community-hospital.json"
    lock_before = record_path.read_bytes()
    profile = ws / "profiles" / "community-hospital.yaml"
    profile.write_text(profile.read_text().replace("tiktok, review_sites", "review_sites"))
    rng = random.Random(7)  # noqa: S311 - reproducible kill times, not security
    for _ in range(8):
        proc = _run(ws, "build", "profiles/community-hospital.yaml")
        time.sleep(rng.uniform(0.05, 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        recover_all(ws)  # what the next command does first: finish or undo the killed build
        version = json.loads(record_path.read_text())["version"]
        assert version in (1, 2)
        if version == 1:
            assert record_path.read_bytes() == lock_before
        for name, data in before.items():
            current = (policies / name).read_bytes()
            assert current == data or version == 2 or name.endswith(".json"), name
        leftovers = [p.name for p in policies.rglob(".*.tmp")]
        assert leftovers == [] or all(p.startswith(".") for p in leftovers)
        if version == 2:
            break
    final = _run(ws, "build", "profiles/community-hospital.yaml")
    assert final.wait(timeout=120) == 0


@pytest.mark.slow
def test_concurrent_builds_keep_the_lock_whole(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    procs = [
        _run(ws, "build", f"profiles/{name}.yaml")
        for name in ("community-hospital", "smile-dental", "northside-clinic")
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0]
    records = sorted(p.stem for p in (ws / "smpolicy.lock.d").glob("*.json"))
    assert records == ["community-hospital", "northside-clinic", "smile-dental"]
    check = subprocess.run(
        [sys.executable, "-m", "smpolicy", "check"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout
    assert (ws / "policies" / "smile-dental.docx").exists()
