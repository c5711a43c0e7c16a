"""Issue 14, findings 6, 7 and 8: hostile template packs, hostile inputs, literal Markdown.

Each test names the finding it guards. Every refusal must be one line, with a documented
exit code and no traceback, and must come fast and without a large allocation.
"""

from __future__ import annotations

import errno
import html
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from smpolicy._build import build_policy
from smpolicy._yaml import load_yaml
from smpolicy.cli import main
from smpolicy.errors import ExitCode, InputFileError, ProfileError, TemplateError
from smpolicy.profile._model import load_profile

from .conftest import profile_data, write_yaml

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    code = info.value.code
    assert isinstance(code, int)
    return code, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _raw_profile(path: Path, **replace: str) -> Path:
    """The base profile as YAML text, with ``key: value`` lines replaced verbatim."""
    lines = [
        "schema_version: 1",
        "organization:",
        "  name: Test Hospital",
        "  type: hospital",
        "  jurisdictions: [US]",
        "  workforce_size: {workforce_size}",
        "platforms: [facebook]",
        "risk_appetite: balanced",
        "contacts:",
        "  policy_owner: {{title: Owner, email: owner@test.example}}",
        "  privacy_officer: {{title: Privacy Officer, email: privacy@test.example}}",
        "  communications_lead: {{title: Comms Lead, email: comms@test.example}}",
        "policy:",
        "  number: TST-001",
        "  effective_date: {effective_date}",
        "  approved_by: {{name: Pat Example, title: Chief Executive Officer}}",
    ]
    values = {"workforce_size": "100", "effective_date": "2026-12-01", **replace}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).format(**values) + "\n" + values.get("extra", ""))
    return path


# --------------------------------------------------------------------------- finding 6


def _overlay(tmp_path: Path, text: str | None = None) -> Path:
    overlay = tmp_path / "overlay"
    (overlay / "sections").mkdir(parents=True, exist_ok=True)
    if text is not None:
        (overlay / "sections" / "01-purpose-scope.md.j2").write_text(text)
    return overlay


def _render_error(tmp_path: Path, overlay: Path) -> str:
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    with pytest.raises(TemplateError) as info:
        build_policy(profile, tmp_path / "out", template_dir=overlay)
    message = info.value.message
    assert "\n" not in message
    assert not (tmp_path / "out" / "p.md").exists()
    return message


def test_f6_symlink_to_a_file_outside_the_pack_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    overlay = _overlay(tmp_path)
    (overlay / "sections" / "01-purpose-scope.md.j2").symlink_to(secret)
    message = _render_error(tmp_path, overlay)
    assert "symbolic link leads outside the template pack" in message
    assert "TOP-SECRET-VALUE" not in message


def test_f6_symlink_to_a_folder_outside_the_pack_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "01-purpose-scope.md.j2").write_text("# Purpose\n\nTOP-SECRET-VALUE\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "sections").symlink_to(outside, target_is_directory=True)
    message = _render_error(tmp_path, overlay)
    assert "symbolic link leads outside the template pack" in message


def test_f6_symlink_inside_the_pack_is_allowed(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path)
    (overlay / "parts").mkdir()
    (overlay / "parts" / "purpose.md.j2").write_text("# Purpose and scope\n\nLinked-in text.\n")
    (overlay / "sections" / "01-purpose-scope.md.j2").symlink_to(
        Path("..") / "parts" / "purpose.md.j2"
    )
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    result = build_policy(profile, tmp_path / "out", template_dir=overlay, formats=("md",))
    assert "Linked-in text." in result.outputs["md"].read_text()


def test_f6_a_pipe_in_the_pack_is_refused_without_blocking(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path)
    os.mkfifo(overlay / "sections" / "01-purpose-scope.md.j2")
    message = _render_error(tmp_path, overlay)
    assert "not a regular file" in message


def test_f6_self_include_is_one_line_not_a_recursion_traceback(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, "{% include 'sections/01-purpose-scope.md.j2' %}\n")
    message = _render_error(tmp_path, overlay)
    assert "includes itself" in message or "nested" in message


def test_f6_recursive_macro_is_stopped(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n")
    assert "calls nested more than" in _render_error(tmp_path, overlay)


@pytest.mark.parametrize(
    "expression",
    [
        "{{ 'a' * 30000000 }}",
        "{{ ['a'] * 30000000 }}",
        "{{ 'a'|center(30000000) }}",
        "{{ 'a'.ljust(30000000) }}",
        "{{ '{:>30000000}'.format(1) }}",
        "{{ '%030000000d'|format(1) }}",
        "{{ '%030000000d' % 1 }}",
        "{{ 10 ** 30000000 }}",
        "{% set x = 'a' * 1500000 %}{{ x ~ x }}",
        "{% set x = 'a' * 1500000 %}{{ x + x }}",
        "{{ (['aaaaaaaaaa'] * 1000000)|join('bbbbbbbbbb') }}",
        "{{ ('a' * 1000000)|replace('a', 'aaaaaaaaaa') }}",
        "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}",
        # Shared references: small in memory, enormous once printed or serialized.
        "{% set x = ['a' * 500000] * 2 %}{% set y = [x, x, x, x, x, x, x, x] %}{{ y }}",
        "{% set x = ['a' * 500000] * 2 %}{{ [x, x, x, x, x, x, x, x] | tojson }}",
        "{% set x = ['a' * 500000] * 2 %}{{ 'v' ~ [x, x, x, x, x, x, x, x] }}",
        # Generators that grow only when listed or joined.
        "{{ (['a'] * 1000000) | map('center', 1900000) | list | length }}",
        "{{ ''.join((['a'] * 1000000) | map('center', 1900000)) }}",
        "{{ ([[1]] * 300000) | sum(start=[]) }}",
        "{% set x = 'a' * 1000000 %}{{ '%s%s%s' % (x, x, x) }}",
    ],
)
def test_f6_huge_values_fail_fast_without_allocating(tmp_path: Path, expression: str) -> None:
    overlay = _overlay(tmp_path, "# Purpose\n\n" + expression + "\n")
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = _render_error(tmp_path, overlay)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "template stopped" in message
    assert peak < 25_000_000, f"peak {peak:,} bytes"
    assert time.monotonic() - started < 20


def test_f6_large_numbers_as_values_are_fine(tmp_path: Path) -> None:
    """Limits bound sizes, not figures: a penalty of 2,134,831 is formatted as usual."""
    overlay = _overlay(
        tmp_path,
        "# Purpose and scope\n\n{{ '{:,}'.format(2134831) }} {{ 5000000 | string }} "
        "{{ none | default(3000000, true) }} {{ '%d' | format(7000000) }} {{ 2 ** 40 }}\n",
    )
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    result = build_policy(profile, tmp_path / "out", template_dir=overlay, formats=("md",))
    assert "2,134,831 5000000 3000000 7000000 1099511627776" in result.outputs["md"].read_text()


def test_f6_nested_loops_are_capped(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path,
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    started = time.monotonic()
    assert "loop iterations" in _render_error(tmp_path, overlay)
    assert time.monotonic() - started < 20


def test_f6_loops_over_lists_are_counted_too(tmp_path: Path) -> None:
    overlay = _overlay(
        tmp_path,
        "{% set xs = [1] * 1000000 %}{% for i in xs %}{% for j in xs %}{% endfor %}{% endfor %}\n",
    )
    assert "loop iterations" in _render_error(tmp_path, overlay)


def test_f6_wall_time_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smpolicy.compose import _sandbox

    monkeypatch.setattr(_sandbox, "MAX_SECONDS", 0.0)
    overlay = _overlay(tmp_path, "{% for i in range(5000) %}{{ i }}{% endfor %}\n")
    assert "longer than" in _render_error(tmp_path, overlay)


def test_f6_output_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smpolicy.compose import _sandbox

    monkeypatch.setattr(_sandbox, "MAX_OUTPUT_CHARS", 50_000)
    overlay = _overlay(tmp_path, "{% for i in range(20000) %}{{ 'xxxxxxxxx' }}{% endfor %}\n")
    assert "would exceed 50,000 characters" in _render_error(tmp_path, overlay)


def test_f6_lipsum_is_not_offered(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, "{{ lipsum(100000) }}\n")
    assert "lipsum" in _render_error(tmp_path, overlay)


def test_f6_cli_exit_code_and_one_line(tmp_path: Path, capsys) -> None:
    overlay = _overlay(tmp_path, "{{ 'a' * 300000000 }}\n")
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    code, err = _cli(capsys, "build", str(profile), "--out", "out", "--templates", str(overlay))
    assert code == ExitCode.TEMPLATE
    assert "01-purpose-scope.md.j2:1: template stopped" in _one_line(err)


def test_f6_builtin_policy_renders_unchanged_under_the_limits(tmp_path: Path) -> None:
    """The limits leave room: the longest built-in policy renders with budget to spare."""
    from smpolicy.compose import _sandbox

    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    result = build_policy(profile, tmp_path / "out", formats=("md",))
    text = result.outputs["md"].read_text()
    assert len(text) < _sandbox.MAX_OUTPUT_CHARS // 10


# --------------------------------------------------------------------------- finding 7


def test_f7_impossible_date_is_one_line(tmp_path: Path, capsys) -> None:
    profile = _raw_profile(tmp_path / "p.yaml", effective_date="2026-02-30")
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert code == ExitCode.INPUT_FILE
    line = _one_line(err)
    assert "line 15" in line and "2026-02-30 is not a date on the calendar" in line


def test_f7_year_9999_is_one_line(tmp_path: Path, capsys) -> None:
    profile = _raw_profile(tmp_path / "p.yaml", effective_date="9999-12-31")
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert code == ExitCode.INVALID_PROFILE
    assert "policy.effective_date: 9999-12-31 is outside the years" in _one_line(err)


def test_f7_review_date_past_year_9999_is_a_profile_error() -> None:
    profile = load_profile(write_yaml(Path("p.yaml"), profile_data()))
    import datetime as dt

    with pytest.raises(ProfileError, match="after the year 9999"):
        profile.next_review(dt.date(9999, 6, 1))


def test_f7_five_thousand_digit_integer_is_one_line(tmp_path: Path, capsys) -> None:
    profile = _raw_profile(tmp_path / "p.yaml", workforce_size="9" * 5000)
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert code == ExitCode.INPUT_FILE
    assert "a number with 5000 digits is too large" in _one_line(err)


def test_f7_huge_hex_integer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("risk_appetite: 0x" + "f" * 90 + "\n")
    with pytest.raises(InputFileError, match="too large"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("effective_date: 2026-02-30", "not a date on the calendar"),
        ("effective_date: 9999-12-31", "outside the years"),
        ("review_cycle_months: " + "7" * 5000, "too large"),
    ],
)
def test_f7_wizard_answers_file_gives_one_line(
    tmp_path: Path, capsys, answer: str, expected: str
) -> None:
    answers = tmp_path / "answers.yaml"
    base = _raw_profile(tmp_path / "base.yaml").read_text()
    if answer.startswith("effective_date"):
        answers.write_text(base.replace("effective_date: 2026-12-01", answer))
    else:  # the policy mapping is last: add the answer to it
        answers.write_text(base + "  " + answer + "\n")
    code, err = _cli(capsys, "wizard", str(tmp_path / "new.yaml"), "--answers", str(answers))
    assert code in (ExitCode.INPUT_FILE, ExitCode.INVALID_PROFILE)
    assert expected in _one_line(err)
    assert not (tmp_path / "new.yaml").exists()


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "a:\n  " + "- " * 100_000 + "x\n",
        "a: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",
    ],
    ids=["flow-lists", "block-lists", "flow-maps"],
)
def test_f7_deep_yaml_is_refused_fast(tmp_path: Path, capsys, text: str) -> None:
    profile = tmp_path / "deep.yaml"
    profile.write_text(text)
    started = time.monotonic()
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert time.monotonic() - started < 10
    assert code == ExitCode.INPUT_FILE
    assert "nested more than 50 levels deep" in _one_line(err)


def test_f7_dev_zero_and_a_fifo_as_the_profile(tmp_path: Path, capsys) -> None:
    code, err = _cli(capsys, "build", "/dev/zero", "--out", "out")
    assert code == ExitCode.INPUT_FILE
    assert "not a regular file" in _one_line(err)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    code, err = _cli(capsys, "build", str(fifo), "--out", "out")
    assert code == ExitCode.INPUT_FILE
    assert "not a regular file" in _one_line(err)


def test_f7_size_cap_is_enforced_while_reading_not_from_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smpolicy import _safeio

    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 5000 + "\n")
    real_fstat = os.fstat

    def lying_fstat(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        values = list(result)
        values[6] = 0  # st_size: 0, as /proc files and devices report
        return os.stat_result(values)

    monkeypatch.setattr(_safeio.os, "fstat", lying_fstat)
    with pytest.raises(InputFileError, match="larger than the 1 KiB limit"):
        _safeio.read_capped(big, 1024)


def test_f7_fifo_and_device_as_logo_and_reference(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "profiles"
    profile = _raw_profile(folder / "p.yaml", extra="branding:\n  logo: logo.png\n")
    os.mkfifo(folder / "logo.png")
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert code == ExitCode.INPUT_FILE
    assert "logo.png: not a regular file" in _one_line(err)
    (folder / "logo.png").unlink()
    (folder / "logo.png").write_bytes(PNG)
    code, err = _cli(capsys, "build", str(profile), "--out", "out", "--reference-doc", "/dev/zero")
    assert code == ExitCode.INPUT_FILE
    assert "/dev/zero: not a regular file" in _one_line(err)


def _docx(path: Path, styles: bytes, theme: bytes | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", styles)
        if theme is not None:
            archive.writestr("word/theme/theme1.xml", theme)
    return path


STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b'<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    b"</w:styles>"
)


def test_f7_zip_bomb_reference_is_refused_by_unpacked_size(tmp_path: Path) -> None:
    bomb = STYLES.replace(b"</w:styles>", b" " * 40_000_000 + b"</w:styles>")
    reference = _docx(tmp_path / "bomb.docx", bomb)
    assert reference.stat().st_size < 200_000
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError, match="unpacks to more than 8 MiB") as info:
            build_policy(profile, tmp_path / "out", reference_doc=reference)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in info.value.message
    assert peak < 40_000_000


def test_f7_doctype_in_a_reference_document_is_refused(tmp_path: Path) -> None:
    doctype = STYLES.replace(
        b"<w:styles", b'<!DOCTYPE w:styles [<!ENTITY x "boom">]><w:styles', 1
    ).replace(b"?>", b"?>", 1)
    reference = _docx(tmp_path / "dt.docx", doctype)
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    with pytest.raises(InputFileError, match="declares a document type"):
        build_policy(profile, tmp_path / "out", reference_doc=reference)
    theme = b'<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'
    reference = _docx(tmp_path / "theme.docx", STYLES, theme)
    with pytest.raises(InputFileError, match=r"theme1\.xml declares a document type"):
        build_policy(profile, tmp_path / "out", reference_doc=reference)


def test_f7_clean_reference_document_still_works(tmp_path: Path) -> None:
    reference = _docx(tmp_path / "ok.docx", STYLES, b"<a:theme xmlns:a='urn:x'/>")
    profile = write_yaml(tmp_path / "p.yaml", profile_data())
    result = build_policy(profile, tmp_path / "out", reference_doc=reference, formats=("docx",))
    with zipfile.ZipFile(result.outputs["docx"]) as archive:
        styles = archive.read("word/styles.xml")
    assert b'w:styleId="Normal"' in styles and b"DOCTYPE" not in styles


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("branding__logo", "lo\0go.png"),
        ("branding__reference_doc", "ref\x07.docx"),
        ("contacts__privacy_officer__email", "pri\0vacy@test.example"),
        ("organization__name", "Test\x00Hospital"),
        ("contacts__privacy_officer__title", "Officer\x1b[31m"),
        ("organization__name", "Test\nHospital"),
        ("policy__approved_by__name", "Pat\u2028Example"),
        ("official_accounts__agency_name", "Agency\x9b31mName"),
    ],
)
def test_f7_control_characters_are_refused_in_every_field(
    tmp_path: Path, capsys, field: str, value: str
) -> None:
    profile = write_yaml(tmp_path / "p.yaml", profile_data(**{field: value}))
    code, err = _cli(capsys, "build", str(profile), "--out", "out")
    assert code == ExitCode.INVALID_PROFILE
    line = _one_line(err)
    assert field.replace("__", ".") in line and "control character" in line
    assert "\0" not in err and "\x1b" not in err


def _refuse_reading(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Root reads any file, so an unreadable profile is simulated at os.open."""
    from smpolicy import _safeio

    real_open = os.open
    resolved = target.resolve()

    def refusing_open(path: object, flags: int, *args: object) -> int:
        if Path(str(path)).resolve() == resolved:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_safeio.os, "open", refusing_open)


def test_f7_unreadable_profile_is_exit_3_in_build_and_check(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    (ws / "profiles").mkdir(parents=True)
    (ws / "smpolicy.yaml").write_text("output_dir: policies\n")
    profile = write_yaml(ws / "profiles" / "p.yaml", profile_data())
    monkeypatch.chdir(ws)
    code, _err = _cli(capsys, "build", "profiles/p.yaml")
    assert code == 0
    _refuse_reading(monkeypatch, profile)
    code, err = _cli(capsys, "build", "profiles/p.yaml")
    assert code == ExitCode.INPUT_FILE
    assert "cannot read file: Permission denied" in _one_line(err)
    code, err = _cli(capsys, "check")
    assert code == ExitCode.INPUT_FILE
    assert "p.yaml: cannot read file: Permission denied" in _one_line(err)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("organization__workforce_size", True, "must be a whole number such as 250 (got True)"),
        ("organization__workforce_size", "100", "must be a whole number"),
        ("organization__workforce_size", 100.0, "must be a whole number"),
        ("organization__public_sector", 1, "must be true or false (got 1)"),
        ("organization__public_sector", "yes", "must be true or false"),
        ("official_accounts__moderates_comments", "false", "must be true or false"),
        ("policy__review_cycle_months", False, "must be a whole number"),
        ("policy__effective_date", 20261201, "must be a date as YYYY-MM-DD"),
        ("policy__effective_date", "2026-2-3", "must be a date as YYYY-MM-DD"),
        ("policy__effective_date", True, "must be a date as YYYY-MM-DD"),
    ],
)
def test_f7_types_are_strict(tmp_path: Path, field: str, value: object, expected: str) -> None:
    profile = write_yaml(tmp_path / "p.yaml", profile_data(**{field: value}))
    with pytest.raises(ProfileError) as info:
        load_profile(profile)
    assert field.replace("__", ".") in info.value.message
    assert expected in info.value.message


def test_f7_a_datetime_is_not_a_date(tmp_path: Path) -> None:
    profile = _raw_profile(tmp_path / "p.yaml", effective_date="2026-12-01 10:00:00")
    with pytest.raises(ProfileError, match="without a time"):
        load_profile(profile)


def test_f7_wizard_prompt_answers_still_convert(tmp_path: Path) -> None:
    """The prompt gives text; the strict schema must still take '2,500' and '2026-12-01'."""
    from smpolicy.profile._wizard import clean, default_questions

    questions = {q.key: q for q in default_questions()}
    assert clean(questions["organization.workforce_size"], "2,500") == 2500
    import datetime as dt

    assert clean(questions["policy.effective_date"], "2026-12-01") == dt.date(2026, 12, 1)
    with pytest.raises(ValueError, match="digits"):
        clean(questions["organization.workforce_size"], "9" * 5000)


# --------------------------------------------------------------------------- confinement


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("logo", "../outside.png"),
        ("logo", "/etc/hostname"),
        ("reference_doc", "../outside.docx"),
        ("logo", "link.png"),
        ("reference_doc", "linked/ok.docx"),
    ],
)
def test_profile_named_files_stay_in_the_profile_folder(
    tmp_path: Path, capsys, field: str, value: str
) -> None:
    folder = tmp_path / "profiles"
    (tmp_path / "outside.png").write_bytes(PNG)
    _docx(tmp_path / "outside.docx", STYLES)
    profile = _raw_profile(folder / "p.yaml", extra=f"branding:\n  {field}: {value}\n")
    (folder / "link.png").symlink_to(tmp_path / "outside.png")
    (folder / "linked").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "ok.docx").write_bytes((tmp_path / "outside.docx").read_bytes())
    code, err = _cli(capsys, "build", str(profile), "--out", str(tmp_path / "out"))
    assert code == ExitCode.INPUT_FILE
    line = _one_line(err)
    assert f"branding.{field}: leads outside the profile's folder" in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_files_inside_the_profile_folder_and_on_the_command_line_are_used(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "profiles"
    (folder / "brand").mkdir(parents=True)
    (folder / "brand" / "logo.png").write_bytes(PNG)
    _docx(folder / "brand" / "house.docx", STYLES)
    (folder / "alias.png").symlink_to(Path("brand") / "logo.png")
    profile = _raw_profile(
        folder / "p.yaml",
        extra="branding:\n  logo: alias.png\n  reference_doc: brand/house.docx\n",
    )
    result = build_policy(profile, tmp_path / "out", formats=("docx",))
    assert result.outputs["docx"].stat().st_size > 0
    named = _docx(tmp_path / "elsewhere.docx", STYLES)  # named by the user: not confined
    result = build_policy(profile, tmp_path / "out2", formats=("docx",), reference_doc=named)
    assert result.outputs["docx"].stat().st_size > 0


# --------------------------------------------------------------------------- finding 8

XSS = "<img src=x onerror=alert(2)>"


def test_f8_markdown_never_holds_raw_html_from_a_value(tmp_path: Path) -> None:
    profile = write_yaml(
        tmp_path / "p.yaml",
        profile_data(
            organization__name=XSS,
            contacts__policy_owner__title="Owner <script>alert(1)</script>",
        ),
    )
    result = build_policy(profile, tmp_path / "out")
    markdown_files = sorted((tmp_path / "out").glob("*.md"))
    assert result.outputs["md"] in markdown_files
    for path in markdown_files:  # the policy and every document built beside it
        markdown = path.read_text()
        assert "<img" not in markdown and "<script" not in markdown, path.name
    markdown = result.outputs["md"].read_text()
    assert markdown.count("&lt;img src=x onerror=alert(2)&gt;") > 20
    page = result.outputs["html"].read_text()
    assert "<img src=x" not in page and "<script>alert" not in page
    shown = html.escape(XSS, quote=False)
    assert page.count(shown) >= markdown.count(
        "&lt;img src=x onerror=alert(2)&gt;"
    )  # + title, meta
    with zipfile.ZipFile(result.outputs["docx"]) as archive:
        document = archive.read("word/document.xml").decode()
        header = archive.read("word/header1.xml").decode()
        core = archive.read("docProps/core.xml").decode()
    assert document.count(shown) > 20 and "&amp;lt;" not in document
    assert shown in header and shown in core


@pytest.mark.parametrize(
    "name",
    ["AT&amp;T Health", "Smith & Jones Clinic", "~~struck~~ Care", "$5$ Dental", "1986) Founded"],
)
def test_f8_markup_characters_read_back_unchanged(tmp_path: Path, name: str) -> None:
    profile = write_yaml(tmp_path / "p.yaml", profile_data(organization__name=name))
    result = build_policy(profile, tmp_path / "out", formats=("md", "html", "docx"))
    page = result.outputs["html"].read_text()
    assert html.escape(name, quote=False) in page
    assert "<del>" not in page and "<s>" not in page
    with zipfile.ZipFile(result.outputs["docx"]) as archive:
        document = archive.read("word/document.xml").decode()
    assert html.escape(name, quote=False) in document


def test_f8_readable_markdown_for_ordinary_punctuation() -> None:
    from smpolicy.compose._mdescape import md_escape

    assert md_escape("Smith & Jones") == "Smith & Jones"
    assert md_escape("fines up to $50,000") == "fines up to $50,000"
    assert md_escape("AT&amp;T") == "AT&amp;amp;T"
    assert md_escape("<b>") == "&lt;b&gt;"
