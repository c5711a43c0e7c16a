"""Regulation updates reach users: the packs distribution, packs commands, overlays, CI job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from smpolicy._build import default_pack_dir
from smpolicy._paths import builtin_dir
from smpolicy.cli import cli, main
from smpolicy.errors import ExitCode, PackError
from smpolicy.law import _packset

from .conftest import EXAMPLES, run_smpolicy

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "us.hipaa.marketing"
EXTRA = " Added in the newer pack release for this test."


def _edit_entry(pack_file: Path, entry_id: str, extra: str) -> None:
    """Append ``extra`` to one entry's summary in a pack file (a newer release)."""
    yaml = YAML()
    data = yaml.load(pack_file.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        if entry["id"] == entry_id:
            entry["summary"] = str(entry["summary"]) + extra
    with pack_file.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _copy_packs(target: Path) -> Path:
    shutil.copytree(builtin_dir("regulations"), target)
    return target


# --- the pack set and its format ------------------------------------------------------------


def test_builtin_pack_set_is_versioned() -> None:
    packset = _packset.builtin_packset()
    assert packset.format == _packset.PACK_FORMAT
    assert packset.version.count(".") == 2
    assert default_pack_dir() == packset.path  # no distribution installed in the test env


def test_newer_pack_format_names_what_to_upgrade(tmp_path: Path) -> None:
    folder = _copy_packs(tmp_path / "packs")
    (folder / "packset.json").write_text(json.dumps({"format": 99, "version": "2030.1.1"}))
    with pytest.raises(PackError, match=r"format: 99 is newer .* upgrade smpolicy"):
        _packset.read_packset(folder, "folder")


def test_older_pack_format_names_what_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_packset, "MIN_PACK_FORMAT", 2)
    monkeypatch.setattr(_packset, "PACK_FORMAT", 2)
    folder = _copy_packs(tmp_path / "packs")
    with pytest.raises(PackError, match=r"upgrade the packs \(pip install -U smpolicy-packs"):
        _packset.read_packset(folder, "folder")


def test_newer_distribution_wins_over_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_packs(tmp_path / "dist")
    (folder / "packset.json").write_text(json.dumps({"format": 1, "version": "2099.1.1"}))
    newer = _packset.PackSet(folder, "smpolicy-packs", "2099.1.1", "", 1)
    monkeypatch.setattr(_packset, "distribution_packset", lambda: newer)
    assert _packset.current_pack_dir() == folder
    older = _packset.PackSet(folder, "smpolicy-packs", "2000.1.1", "", 1)
    monkeypatch.setattr(_packset, "distribution_packset", lambda: older)
    assert _packset.current_pack_dir() == builtin_dir("regulations")


# --- packs list / show / diff / lint --------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=True)
    code = result.exit_code
    if isinstance(result.exception, PackError):
        code = int(result.exception.exit_code)
        return code, result.stdout, result.exception.message
    return code, result.stdout, result.stderr


def test_packs_list_names_every_pack_with_version_and_origin() -> None:
    code, out, _ = _cli("packs", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    codes = {row["jurisdiction"] for row in rows}
    assert {"US", "GB", "AU"} <= codes
    assert all(row["origin"].startswith("built-in") and row["version"] for row in rows)


def test_packs_show_gives_sources_dates_and_evidence() -> None:
    code, out, _ = _cli("packs", "show", ENTRY)
    assert code == 0
    assert out.startswith(ENTRY)
    assert "source:" in out and "https://" in out
    assert "evidence: official" in out and "dates:" in out


def test_packs_show_unknown_entry_is_one_line_and_exit_5(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["packs", "show", "us.no.such_entry"])
    assert info.value.code == ExitCode.INVALID_PACK
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "us.no.such_entry: no such entry" in err[0]


def test_packs_diff_names_changes_and_fields(tmp_path: Path) -> None:
    new = _copy_packs(tmp_path / "new")
    _edit_entry(new / "US.yaml", ENTRY, EXTRA)
    code, out, _ = _cli("packs", "diff", "built-in", str(new))
    assert code == 0
    assert out.strip() == f"changed {ENTRY}: summary"
    code, out, _ = _cli("packs", "diff", str(new), str(new))
    assert out == "no differences\n"


def test_packs_lint_good_bad_and_newer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli("packs", "lint", str(builtin_dir("regulations")))
    assert code == 0 and "US:" in out
    bad = _copy_packs(tmp_path / "bad")
    (bad / "GB.yaml").write_text("jurisdiction: GB\nname: x\nversion: nope\n")
    with pytest.raises(SystemExit) as info:
        main(["packs", "lint", str(bad)])
    assert info.value.code == ExitCode.INVALID_PACK
    out = capsys.readouterr().out
    assert "error:" in out and "GB.yaml" in out and "version" in out
    newer = _copy_packs(tmp_path / "newer")
    (newer / "packset.json").write_text(json.dumps({"format": 7, "version": "2040.1.1"}))
    with pytest.raises(SystemExit) as info:
        main(["packs", "lint", str(newer)])
    assert info.value.code == ExitCode.INVALID_PACK
    assert "upgrade smpolicy" in capsys.readouterr().out


# --- overlays -------------------------------------------------------------------------------


def _workspace(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "ws"
    (root / "profiles").mkdir(parents=True)
    (root / "smpolicy.yaml").write_text(config)
    shutil.copy(EXAMPLES / "community-hospital.yaml", root / "profiles" / "hospital.yaml")
    return root


def _overlay(root: Path, upstream: str | None = None) -> None:
    entry = {"id": ENTRY, "summary": "Our counsel's reading of the marketing rule applies here."}
    if upstream:
        entry["upstream_sha256"] = upstream
    folder = root / "overlays"
    folder.mkdir(exist_ok=True)
    (folder / "US.yaml").write_text(json.dumps({"jurisdiction": "US", "entries": [entry]}))


def test_overlay_replaces_one_entry_and_keeps_every_other(tmp_path: Path) -> None:
    from smpolicy.law._packs import select_facts

    root = _workspace(tmp_path, "pack_overlays: [overlays]\nformats: [md]\n")
    _overlay(root)
    merged, shadows = _packset.merged_pack_dir(builtin_dir("regulations"), [root / "overlays"])
    assert [s.entry_id for s in shadows] == [ENTRY]
    warnings = _packset.shadow_warnings(shadows)
    assert len(warnings) == 1 and "add 'upstream_sha256: " in warnings[0]
    import datetime as dt

    def facts(folder: Path) -> dict[str, str]:
        chosen = select_facts(
            folder,
            ["US", "CA"],
            as_of=dt.date(2026, 12, 1),
            org_type="hospital",
            public_sector=False,
        )
        return {k: e.summary for k, e in chosen.entries.items()}

    base, over = facts(builtin_dir("regulations")), facts(merged)
    assert set(base) == set(over)
    assert [k for k in base if base[k] != over[k]] == [ENTRY]
    os.chdir(root)
    result = run_smpolicy("build", "profiles/hospital.yaml")
    assert result.returncode == 0, result.stderr
    text = (root / "policies" / "hospital.md").read_text()
    assert "Our counsel's reading of the marketing rule applies here." in text


def test_overlay_shadowing_an_entry_changed_upstream_is_reported(tmp_path: Path) -> None:
    from smpolicy.law._packs import load_pack
    from smpolicy.workspace._lock import entry_sha

    upstream = _copy_packs(tmp_path / "upstream")
    pack = load_pack(upstream / "US.yaml")
    sha = entry_sha(next(e for e in pack.entries if e.id == ENTRY))
    root = _workspace(tmp_path, "packs: ../upstream\npack_overlays: [overlays]\nformats: [md]\n")
    _overlay(root, upstream=sha)
    os.chdir(root)
    assert run_smpolicy("build", "profiles/hospital.yaml").returncode == 0
    quiet = run_smpolicy("check")
    assert "changed upstream" not in quiet.stderr
    assert "replaces every built-in pack" in quiet.stderr  # the old setting freezes every pack
    _edit_entry(upstream / "US.yaml", ENTRY, EXTRA)
    loud = run_smpolicy("check", "--json")
    assert f"{ENTRY} shadows a built-in entry that changed upstream" in loud.stderr
    assert any("changed upstream" in w for w in json.loads(loud.stdout)["warnings"])


# --- the distribution, installed for real, and the scheduled job ------------------------------


def _wheel(source: Path, dist: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    return max(dist.glob("*.whl"), key=lambda p: p.stat().st_mtime)


def _packs_release(tmp_path: Path, name: str, version: str, edit: bool) -> Path:
    """A copy of the repository's packs/ project and regulations/ folder, as a given release."""
    repo = tmp_path / name
    shutil.copytree(ROOT / "packs", repo / "packs")
    _copy_packs(repo / "regulations")
    (repo / "regulations" / "packset.json").write_text(
        json.dumps({"format": 1, "version": version, "released": "2030-01-01"}, indent=2)
    )
    if edit:
        _edit_entry(repo / "regulations" / "US.yaml", ENTRY, EXTRA)
    return repo / "packs"


@pytest.mark.slow
def test_new_packs_release_reaches_an_installed_smpolicy(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    tool = _wheel(ROOT, dist / "tool")
    old = _wheel(_packs_release(tmp_path, "old", "2030.1.1", edit=False), dist / "old")
    new = _wheel(_packs_release(tmp_path, "new", "2030.1.2", edit=True), dist / "new")
    # A fresh virtual environment with its own smpolicy and packs; the libraries smpolicy needs
    # come from this test's environment through a .pth line (this machine has no network).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    def install(*wheels: Path) -> None:
        subprocess.run(
            [
                *(str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"),
                *("--upgrade", *map(str, wheels)),
            ],
            check=True,
            timeout=300,
        )

    install(tool, old)
    root = _workspace(tmp_path, "formats: [docx, md]\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def smpolicy(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "smpolicy"), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=300,
            check=False,
        )

    version = smpolicy("--version")
    assert "regulation packs 2030.1.1 (smpolicy-packs" in version.stdout, version.stdout
    assert smpolicy("build", "profiles/hospital.yaml").returncode == 0
    assert smpolicy("check").returncode == 0
    install(new)
    assert "regulation packs 2030.1.2" in smpolicy("--version").stdout
    stale = smpolicy("check")
    assert stale.returncode == 1
    assert "HIPAA authorization required for marketing" in stale.stdout
    rebuilt = smpolicy("build", "profiles/hospital.yaml")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (root / "policies" / "hospital.redline.docx").is_file()
    assert EXTRA.strip() in (root / "policies" / "hospital.md").read_text()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow
def test_scheduled_update_script_commits_rebuilds_and_describes_them(tmp_path: Path) -> None:
    upstream = _copy_packs(tmp_path / "ws" / "packs")
    root = tmp_path / "ws"
    os.chdir(tmp_path)
    assert run_smpolicy("init", "ws", "--ci", "github").returncode == 0
    assert (root / ".github" / "workflows" / "smpolicy-update.yml").is_file()
    script = root / "ci" / "smpolicy-update.sh"
    assert os.access(script, os.X_OK)
    (root / "smpolicy.yaml").write_text("packs: packs\nformats: [docx, md]\n")
    shutil.copy(EXAMPLES / "community-hospital.yaml", root / "profiles" / "hospital.yaml")
    os.chdir(root)
    assert run_smpolicy("build", "profiles/hospital.yaml").returncode == 0
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "v1")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, line in (
        ("smpolicy", f'exec "{sys.executable}" -m smpolicy "$@"'),
        ("python", f'exec "{sys.executable}" "$@"'),
    ):
        (bin_dir / name).write_text(f"#!/bin/sh\n{line}\n")
        (bin_dir / name).chmod(0o755)
    newer = _copy_packs(tmp_path / "newer")
    _edit_entry(newer / "US.yaml", ENTRY, EXTRA)
    body = tmp_path / "pr.md"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "src"),
        "SMPOLICY_UPGRADE": f"cp {newer / 'US.yaml'} {upstream / 'US.yaml'}",
        "SMPOLICY_OPEN_PR": "none",
        "SMPOLICY_PR_BODY": str(body),
        "GIT_AUTHOR_NAME": "bot",
        "GIT_AUTHOR_EMAIL": "bot@example.org",
        "GIT_COMMITTER_NAME": "bot",
        "GIT_COMMITTER_EMAIL": "bot@example.org",
    }
    run = subprocess.run(
        ["bash", str(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    assert _git(root, "branch", "--show-current").strip() == "smpolicy/regulation-update"
    changed = _git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert "policies/hospital.docx" in changed and "policies/hospital.redline.docx" in changed
    description = body.read_text()
    assert "### profiles/hospital.yaml (was version 1)" in description
    assert "HIPAA authorization required for marketing" in description
    assert "hospital.redline.docx" in description
    assert EXTRA.strip() in (root / "policies" / "hospital.md").read_text()
    # A second run finds nothing to do and leaves the branch alone.
    again = subprocess.run(
        ["bash", str(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_adding_an_overlay_makes_only_its_entry_a_reason(tmp_path: Path) -> None:
    root = _workspace(tmp_path, "formats: [md]\n")
    os.chdir(root)
    assert run_smpolicy("build", "profiles/hospital.yaml").returncode == 0
    folder = root / "overlays"
    folder.mkdir()
    patch = {"id": "us.hipaa.breach_notification", "values": {"hhs_notice_500_plus_max_days": 30}}
    (folder / "US.yaml").write_text(json.dumps({"jurisdiction": "US", "entries": [patch]}))
    (root / "smpolicy.yaml").write_text("formats: [md]\npack_overlays: [overlays]\n")
    stale = run_smpolicy("check", "--json")
    reasons = json.loads(stale.stdout)["policies"][0]["reasons"]
    assert reasons == [
        "HIPAA Breach Notification Rule: HHS notice 500 plus max changed from 60 days to 30 days"
        " (touches section 3.7 Reporting a privacy incident)"
    ]  # every other entry merged through the overlay folder keeps its hash
