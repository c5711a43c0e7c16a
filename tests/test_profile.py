"""Profile loading and validation: every bad input is a one-line `file: field: message` error."""

from __future__ import annotations

from pathlib import Path

import pytest

from smpolicy import load_profile
from smpolicy.errors import ExitCode, InputFileError, ProfileError

from .conftest import EXAMPLES


def test_every_example_profile_is_valid() -> None:
    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) >= 8
    types = {load_profile(p).organization.type for p in paths}
    assert len(types) >= 8


def test_valid_profile_loads(make_profile) -> None:
    profile = load_profile(make_profile())
    assert profile.organization.name == "Test Hospital"
    assert profile.next_review().isoformat() == "2027-12-01"


def _error(path: Path) -> str:
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert info.value.exit_code == ExitCode.INVALID_PROFILE
    return info.value.message


def test_unknown_key_names_the_field_and_what_is_allowed(make_profile) -> None:
    message = _error(make_profile(organization__colour="blue"))
    assert message.endswith(
        "organization.colour: unknown field; remove it or check the spelling (allowed: name, "
        "type, jurisdictions, public_sector, workforce_size, unionized, hipaa_status, for_profit, "
        "hhs_funding, care_setting, practice_type, products)"
    )
    assert "\n" not in message


def test_wrong_type(make_profile) -> None:
    message = _error(make_profile(organization__workforce_size="many"))
    assert "organization.workforce_size:" in message
    assert "whole number" in message and "many" in message


def test_unknown_enum_value_lists_choices(make_profile) -> None:
    message = _error(make_profile(organization__type="spa"))
    assert "organization.type:" in message
    assert "'hospital'" in message and "'dental'" in message and "'spa'" in message


def test_bad_platform_and_risk(make_profile) -> None:
    message = _error(make_profile(platforms=["facebook", "myspace"], risk_appetite="yolo"))
    lines = message.splitlines()
    assert any(line.split(": ")[1] == "platforms.1" for line in lines)
    assert any(line.split(": ")[1] == "risk_appetite" for line in lines)


def test_bad_email_and_date(make_profile) -> None:
    message = _error(
        make_profile(
            contacts__privacy_officer={"title": "PO", "email": "not-an-email"},
            policy__effective_date="first of May",
        )
    )
    assert "contacts.privacy_officer.email: 'not-an-email' is not an email address" in message
    assert "policy.effective_date:" in message


def test_missing_required_field(make_profile) -> None:
    data_path = make_profile()
    text = data_path.read_text().replace("risk_appetite: balanced\n", "")
    data_path.write_text(text)
    assert "risk_appetite: required field is missing" in _error(data_path)


def test_newer_schema_version_is_refused(make_profile) -> None:
    message = _error(make_profile(schema_version=2))
    assert "schema_version: 2 is newer than this smpolicy supports (1); upgrade smpolicy" in message


def test_control_characters_are_named(make_profile) -> None:
    message = _error(make_profile(organization__name="Bad\x07Name"))
    assert "organization.name: contains control character U+0007" in message


def test_duplicate_jurisdiction(make_profile) -> None:
    assert "listed more than once: US" in _error(
        make_profile(organization__jurisdictions=["US", "US"])
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="file not found"):
        load_profile(tmp_path / "nope.yaml")


def test_duplicate_keys_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("schema_version: 1\nschema_version: 1\n")
    with pytest.raises(InputFileError, match="duplicate key"):
        load_profile(path)


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match="aliases"):
        load_profile(path)


def test_python_object_tags_are_not_constructed(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("schema_version: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(InputFileError):
        load_profile(path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (1024 * 1024 + 10) + "\n")
    with pytest.raises(InputFileError, match="larger than"):
        load_profile(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ProfileError, match=r"\(top level\): expected a mapping"):
        load_profile(path)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("schema_version: 1\norganization: [unclosed\n")
    with pytest.raises(InputFileError, match=r"line \d+, column \d+"):
        load_profile(path)
