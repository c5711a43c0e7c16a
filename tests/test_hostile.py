"""Hostile profile values and template packs: data stays data, templates stay in the sandbox."""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import pytest

from smpolicy._build import build_policy, output_stem
from smpolicy.errors import ExitCode, TemplateError

from .conftest import profile_data, write_yaml

HOSTILE_NAMES = [
    "{{ 7*7 }} Clinic",
    "{% include '/etc/passwd' %}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)> &amp; ~~x~~",
    "**bold** | pipe # heading [link](http://x) _u_ `c`",
    "- list start",
    "1986. Founded",
    "\u05de\u05e8\u05e4\u05d0\u05d4 \u05d4\u05e2\u05d9\u05e8 \U0001f3e5",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_appear_literally_everywhere(tmp_path: Path, name: str) -> None:
    profile = write_yaml(tmp_path / "p.yaml", profile_data(organization__name=name))
    result = build_policy(profile, tmp_path / "out")
    markdown_html = result.outputs["html"].read_text()
    assert html.escape(name, quote=False) in markdown_html
    assert "<script>alert" not in markdown_html
    assert "49 Clinic" not in markdown_html and "root:" not in markdown_html
    markdown = result.outputs["md"].read_text()
    assert "<script" not in markdown and "<img" not in markdown  # literal Markdown (issue 14)
    with zipfile.ZipFile(result.outputs["docx"]) as archive:
        document = archive.read("word/document.xml").decode()
    assert html.escape(name, quote=False) in document
    title_line = next(
        line
        for line in result.outputs["md"].read_text().splitlines()
        if line.startswith("| Approved by") or name[:3] in line
    )
    assert title_line


def test_file_names_are_sanitized() -> None:
    assert output_stem(Path("../../etc/passwd.yaml")) == "passwd"
    assert output_stem(Path("my clinic (2026)!.yaml")) == "my-clinic-2026"
    assert output_stem(Path("....yaml")) == "policy"


def _overlay(tmp_path: Path, name: str, text: str) -> Path:
    overlay = tmp_path / "overlay"
    (overlay / "sections").mkdir(parents=True, exist_ok=True)
    (overlay / name).write_text(text)
    return overlay


def test_sandbox_blocks_unsafe_attributes(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path,
        "sections/01-purpose-scope.md.j2",
        "# Purpose and scope\n\n{{ profile.__class__.__mro__[1].__subclasses__() }}\n",
    )
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    with pytest.raises(TemplateError) as info:
        build_policy(profile, tmp_path / "out", template_dir=overlay)
    assert info.value.exit_code == ExitCode.TEMPLATE
    assert "unsafe" in info.value.message or "undefined" in info.value.message
    assert not (tmp_path / "out" / "p.docx").exists()


def test_includes_are_confined_to_the_pack(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path, "sections/01-purpose-scope.md.j2", "{% include '../../../../etc/passwd' %}\n"
    )
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    with pytest.raises(TemplateError, match="template not found"):
        build_policy(profile, tmp_path / "out", template_dir=overlay)


def test_unknown_variable_names_the_template(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path, "sections/01-purpose-scope.md.j2", "# Purpose\n\n{{ no_such_thing }}\n"
    )
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    with pytest.raises(TemplateError) as info:
        build_policy(profile, tmp_path / "out", template_dir=overlay)
    assert "01-purpose-scope.md.j2" in info.value.message
    assert "no_such_thing" in info.value.message
    assert "\n" not in info.value.message


def test_output_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    from smpolicy.errors import OutputError

    with pytest.raises(OutputError, match=r"(?i)not a directory"):
        build_policy(profile, blocker / "out")


def test_read_only_output_directory_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """Root ignores permissions, so the refusal a read-only directory gives is simulated."""
    import errno
    import tempfile

    from smpolicy.cli import main

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SystemExit) as info:
        main(["build", str(profile), "--out", str(tmp_path / "ro")])
    err = capsys.readouterr().err
    assert info.value.code == ExitCode.OUTPUT
    assert err.count("\n") == 1 and "permission denied (is the directory read-only?)" in err
    assert not list((tmp_path / "ro").glob("*.docx"))
