"""Shared fixtures: an isolated environment and small fixture trees built in tmp_path."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "profiles" / "examples"

BASE_PROFILE: dict[str, Any] = {
    "schema_version": 1,
    "organization": {
        "name": "Test Hospital",
        "type": "hospital",
        "jurisdictions": ["US"],
        "public_sector": False,
        "workforce_size": 100,
    },
    "platforms": ["facebook", "instagram"],
    "risk_appetite": "balanced",
    "contacts": {
        "policy_owner": {"title": "Compliance Director", "email": "owner@test.example"},
        "privacy_officer": {"title": "Privacy Officer", "email": "privacy@test.example"},
        "communications_lead": {"title": "Communications Lead", "email": "comms@test.example"},
    },
    "policy": {
        "number": "TST-001",
        "effective_date": "2026-12-01",
        "review_cycle_months": 12,
        "approved_by": {"name": "Pat Example", "title": "Chief Executive Officer"},
    },
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests away from the user's home, config and current directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("SMPOLICY_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def profile_data(**changes: Any) -> dict[str, Any]:
    """A valid profile as a dict; dotted keys in ``changes`` replace nested values."""
    data = copy.deepcopy(BASE_PROFILE)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data


def write_yaml(path: Path, data: Any) -> Path:
    """Write ``data`` as YAML to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return path


@pytest.fixture
def make_profile(tmp_path: Path):
    """Write a profile built from BASE_PROFILE with changes; returns its path."""

    def make(name: str = "test.yaml", **changes: Any) -> Path:
        return write_yaml(tmp_path / "profiles" / name, profile_data(**changes))

    return make


def run_smpolicy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI of this checkout (not an installed copy), as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "smpolicy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
