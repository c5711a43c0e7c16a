"""End-to-end runs of the CLI: outputs, determinism, one-line errors with documented codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smpolicy.errors import ExitCode

from .conftest import EXAMPLES, profile_data, write_yaml


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smpolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


FORMATS = ("docx", "html", "md")


def test_build_prints_the_path_of_every_document(tmp_path: Path) -> None:
    result = run("build", str(EXAMPLES / "community-hospital.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    names = sorted(p.name for p in paths)
    documents = ("", ".account-manual", ".quiz", ".staff-guide")
    assert names == sorted(f"community-hospital{d}.{f}" for d in documents for f in FORMATS)
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    profile = EXAMPLES / "novamed-pharma.yaml"
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("build", str(profile), "--out", str(first)).returncode == 0
    assert run("build", str(profile), "--out", str(second)).returncode == 0
    for fmt in ("docx", "html", "md"):
        a = (first / f"novamed-pharma.{fmt}").read_bytes()
        b = (second / f"novamed-pharma.{fmt}").read_bytes()
        assert a == b, fmt


@pytest.mark.parametrize(
    ("changes", "code", "needle"),
    [
        (
            {"organization__colour": "x"},
            ExitCode.INVALID_PROFILE,
            "organization.colour: unknown field",
        ),
        (
            {"organization__type": "spa"},
            ExitCode.INVALID_PROFILE,
            "organization.type: Input should be",
        ),
        (
            {"organization__workforce_size": "lots"},
            ExitCode.INVALID_PROFILE,
            "organization.workforce_size",
        ),
        (
            {"organization__jurisdictions": ["US", "FR"]},
            ExitCode.INVALID_PACK,
            "organization.jurisdictions: no regulation pack for FR; available: AU, CA",
        ),
        ({"schema_version": 9}, ExitCode.INVALID_PROFILE, "schema_version: 9 is newer"),
    ],
)
def test_bad_profiles_give_one_line_errors(tmp_path: Path, changes, code, needle) -> None:
    path = write_yaml(tmp_path / "bad.yaml", profile_data(**changes))
    result = run("build", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == code
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {path}: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "bad.docx").exists()


def test_missing_profile_file(tmp_path: Path) -> None:
    result = run("build", str(tmp_path / "none.yaml"))
    assert result.returncode == ExitCode.INPUT_FILE
    assert result.stderr.strip() == f"error: {tmp_path / 'none.yaml'}: file not found"


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("organization: [\n")
    result = run("build", str(path))
    assert result.returncode == ExitCode.INPUT_FILE
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unwritable_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = run("build", str(EXAMPLES / "smile-dental.yaml"), "--out", str(out))
    finally:
        out.chmod(0o700)
    if result.returncode == 0:  # running as root: permissions are not enforced
        pytest.skip("permissions are not enforced for this user")
    assert result.returncode == ExitCode.OUTPUT
    assert "permission denied" in result.stderr
    assert list(out.iterdir()) == []


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "smile-dental.md").write_text("my own notes\n")
    result = run("build", str(EXAMPLES / "smile-dental.yaml"), "--out", str(out))
    assert result.returncode == ExitCode.OUTPUT
    assert "was not written by smpolicy" in result.stderr
    assert (out / "smile-dental.md").read_text() == "my own notes\n"
    assert (
        run("build", str(EXAMPLES / "smile-dental.yaml"), "--out", str(out), "--force").returncode
        == 0
    )


def test_edited_output_is_protected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", str(EXAMPLES / "smile-dental.yaml"), "--out", str(out)).returncode == 0
    (out / "smile-dental.html").write_text("edited by hand")
    result = run("build", str(EXAMPLES / "smile-dental.yaml"), "--out", str(out))
    assert result.returncode == ExitCode.OUTPUT
    assert "edited after smpolicy wrote it" in result.stderr


def test_unknown_format_is_usage_error(tmp_path: Path) -> None:
    result = run("build", str(EXAMPLES / "smile-dental.yaml"), "--format", "docx,rtf")
    assert result.returncode == ExitCode.USAGE
    assert "unknown format rtf" in result.stderr


def test_schema_command(tmp_path: Path) -> None:
    result = run("schema")
    assert result.returncode == 0
    assert '"title": "smpolicy profile"' in result.stdout
    assert '"additionalProperties": false' in result.stdout


def test_version_lists_packs() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("smpolicy ")
    assert "regulation pack US " in result.stdout


def test_every_exit_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "exit-codes.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}` |" in doc, code
