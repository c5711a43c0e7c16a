"""Regulation changes: lock file, check, re-issue with history, archive, redline, diff."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from ruamel.yaml import YAML

from .conftest import EXAMPLES, ROOT


def smpolicy(
    *args: str, cwd: Path, env_date: str = "1796083200"
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": env_date, "HOME": str(cwd)}
    if "PYTHONPATH" in os.environ:  # a checkout run with PYTHONPATH=src tests that checkout
        parts = os.environ["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in parts if p)
    return subprocess.run(
        [sys.executable, "-m", "smpolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=180,
    )


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert smpolicy("init", str(ws), cwd=tmp_path).returncode == 0
    shutil.copy(EXAMPLES / "community-hospital.yaml", ws / "profiles" / "hospital.yaml")
    shutil.copytree(ROOT / "regulations", ws / "packs")
    config = ws / "smpolicy.yaml"
    config.write_text(config.read_text() + "packs: packs\n")
    return ws


def record(ws: Path, name: str = "hospital") -> dict:
    """A policy's lock record (smpolicy.lock.d/NAME.json)."""
    return json.loads((ws / "smpolicy.lock.d" / f"{name}.json").read_text())


def edit_pack(path: Path, entry_id: str, change) -> None:
    yaml = YAML()
    data = yaml.load(path.read_text())
    versions = [e for e in data["entries"] if e["id"] == entry_id]
    change(versions[-1])
    with path.open("w") as handle:
        yaml.dump(data, handle)


def test_regulation_change_scenario(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    first = smpolicy("build", "profiles/hospital.yaml", cwd=ws)
    assert first.returncode == 0, first.stderr
    assert smpolicy("check", cwd=ws).returncode == 0

    lock = record(ws)
    assert lock["version"] == 1
    penalty_id, guidance_id = "us-ca.cmia.penalties", "us.ocr.tracking_bulletin"
    assert {penalty_id, guidance_id} <= set(lock["entries"])
    penalty_key = "knowing_willful_max_per_violation_usd"
    old_amount = int(lock["entries"][penalty_id]["values"][penalty_key])
    new_amount = old_amount + 1234

    edit_pack(
        ws / "packs" / "US-CA.yaml",
        penalty_id,
        lambda e: e["values"].__setitem__(penalty_key, new_amount),
    )
    edit_pack(
        ws / "packs" / "US.yaml",
        guidance_id,
        lambda e: e.__setitem__("summary", e["summary"] + " Revised guidance adds a new duty."),
    )

    stale = smpolicy("check", cwd=ws)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    title_penalty = lock["entries"][penalty_id]["title"]
    title_guidance = lock["entries"][guidance_id]["title"]
    assert f"{title_penalty}: Knowing willful max per violation changed from" in stale.stdout
    assert f"US${old_amount:,} to US${new_amount:,}" in stale.stdout
    assert penalty_key not in stale.stdout and "(effective " not in stale.stdout
    assert f"{title_guidance}: its text changed in the regulation pack" in stale.stdout
    as_json = json.loads(smpolicy("check", "--json", cwd=ws).stdout)
    assert as_json["stale"] == 1 and len(as_json["policies"][0]["reasons"]) == 2

    second = smpolicy("build", "profiles/hospital.yaml", cwd=ws)
    assert second.returncode == 0, second.stderr
    assert "issued version 2" in second.stderr
    lock2 = record(ws)
    assert lock2["version"] == 2
    assert [h["version"] for h in lock2["history"]] == [1, 2]
    assert len(lock2["history"][1]["reasons"]) == 2

    markdown = (ws / "policies" / "hospital.md").read_text()
    history_rows = [line for line in markdown.splitlines() if re.match(r"^\| [12] \|", line)]
    assert len(history_rows) == 2 and title_penalty.split(" (")[0] in history_rows[1]

    archived = ws / "policies" / "archive" / "hospital" / "v1"
    documents = ("", ".account-manual", ".quiz", ".staff-guide")
    expected = [f"hospital{d}.{f}" for d in documents for f in ("docx", "html", "md")]
    assert sorted(p.name for p in archived.iterdir()) == sorted(
        [*expected, "hospital.flowchart.png"]
    )
    assert {p.name for p in archived.iterdir()} == {
        Path(o["path"]).name for o in lock["outputs"].values()
    }  # exactly version 1's files
    assert [a["version"] for a in lock2["archived"]] == [1]

    with zipfile.ZipFile(ws / "policies" / "hospital.redline.docx") as docx:
        document = docx.read("word/document.xml").decode()
    deleted = "".join(re.findall(r"<w:delText[^>]*>([^<]*)</w:delText>", document))
    inserted = "".join(re.findall(r"<w:ins [^>]*><w:r><w:t[^>]*>([^<]*)</w:t>", document))
    assert f"{old_amount:,}" in deleted
    assert f"{new_amount:,}" in inserted
    assert "Revised guidance adds a new duty." in inserted
    summary = (ws / "policies" / "hospital.changes.md").read_text()
    assert "version 2" in summary and title_guidance in summary

    diff = smpolicy("diff", "profiles/hospital.yaml", "--from", "1", cwd=ws)
    assert diff.returncode == 0
    assert "-" in diff.stdout and f"{new_amount:,}" in diff.stdout

    assert smpolicy("check", cwd=ws).returncode == 0
    again = smpolicy("build", "profiles/hospital.yaml", cwd=ws)
    assert again.returncode == 0 and "issued version" not in again.stderr


def test_profile_change_is_named(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    assert smpolicy("build", "profiles/hospital.yaml", cwd=ws).returncode == 0
    profile = ws / "profiles" / "hospital.yaml"
    profile.write_text(profile.read_text().replace("tiktok, review_sites", "review_sites, threads"))
    result = smpolicy("check", "profiles/hospital.yaml", cwd=ws)
    assert result.returncode == 1
    assert "profile changed: platforms +threads -tiktok" in result.stdout


def test_pending_rule_before_next_review(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    assert smpolicy("build", "profiles/hospital.yaml", cwd=ws).returncode == 0
    lock = record(ws)
    entry_id = next(iter(lock["entries"]))
    yaml = YAML()
    pack_path = ws / "packs" / f"{lock['entries'][entry_id]['jurisdiction']}.yaml"
    data = yaml.load(pack_path.read_text())
    current = [e for e in data["entries"] if e["id"] == entry_id][-1]
    future = dict(current)
    future["effective_from"] = "2027-06-01"
    future["status"] = "pending"
    current["effective_to"] = "2027-05-31"
    data["entries"].append(future)
    with pack_path.open("w") as handle:
        yaml.dump(data, handle)
    result = smpolicy("check", cwd=ws)
    assert result.returncode == 1
    assert "takes effect on 2027-06-01, before the next review date (2027-12-01)" in result.stdout


def test_check_outside_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = smpolicy("check", cwd=tmp_path)
    assert result.returncode == 3
    assert "not inside a smpolicy workspace" in result.stderr
