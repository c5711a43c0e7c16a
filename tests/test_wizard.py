"""The wizard: questions driven through a prompt_toolkit pipe, --answers, and a real terminal."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smpolicy._build import default_pack_dir
from smpolicy._types import ORG_TYPES, PLATFORMS
from smpolicy._yaml import dump_yaml
from smpolicy.errors import ExitCode, InputFileError, ProfileError, UserAbort
from smpolicy.law._packs import available_jurisdictions
from smpolicy.profile._fileformat import apply_updates
from smpolicy.profile._model import SCHEMA_URL, load_profile
from smpolicy.profile._wizard import Question, QuestionaryTerminal, draft_path, run_wizard

from .conftest import EXAMPLES, profile_data, write_yaml

ENTER, DOWN, CLEAR, CTRL_C = "\r", "\x1b[B", "\x15", "\x03"
HEADER = f"# yaml-language-server: $schema={SCHEMA_URL}"

Keys = str | Callable[[Question, Any], str]


def typed(text: str) -> str:
    """Replace whatever the prompt holds with ``text`` and press Enter."""
    return CLEAR + text + ENTER


def choose(value: str) -> Keys:
    """Move a select prompt's pointer from its default to ``value``, then Enter."""

    def keys(question: Question, default: Any) -> str:
        values = [o.value for o in question.choices]
        start = values.index(default) if default in values else 0
        return DOWN * ((values.index(value) - start) % len(values)) + ENTER

    return keys


def check(*wanted: str) -> Keys:
    """Toggle a checkbox prompt so exactly ``wanted`` is selected, then Enter."""

    def keys(question: Question, default: Any) -> str:
        current = set(default or [])
        out = ""
        for option in question.choices:
            if (option.value in wanted) != (option.value in current):
                out += " "
            out += DOWN
        return out + ENTER

    return keys


def seq(*parts: Keys) -> Keys:
    """Several key groups for one prompt, e.g. a refused answer and then its correction."""

    def keys(question: Question, default: Any) -> str:
        return "".join(p if isinstance(p, str) else p(question, default) for p in parts)

    return keys


class Scripted(QuestionaryTerminal):
    """Types each question's keys into the pipe just before questionary reads them."""

    def __init__(self, pipe: Any, script: dict[str, Keys | list[Keys]]) -> None:
        super().__init__(input=pipe, output=DummyOutput())
        self.pipe = pipe
        self.script = {k: list(v) if isinstance(v, list) else [v] for k, v in script.items()}
        self.groups: list[tuple[str, str]] = []

    def ask(self, question: Question, default: Any) -> Any:
        self.groups.append((question.key, question.group))
        queue = self.script.get(question.key)
        keys = queue.pop(0) if queue else ENTER
        self.pipe.send_text(keys if isinstance(keys, str) else keys(question, default))
        return super().ask(question, default)


@pytest.fixture
def drive() -> Iterator[Callable[..., tuple[Path, Scripted]]]:
    """Run the wizard with a script of keys per question key (Enter when not listed)."""
    with create_pipe_input() as pipe:

        def run(
            profile: Path | None, script: dict[str, Keys | list[Keys]], **options: Any
        ) -> tuple[Path, Scripted]:
            terminal = Scripted(pipe, script)
            run.terminal = terminal  # type: ignore[attr-defined]
            return run_wizard(profile, terminal=terminal, **options), terminal

        yield run


NEW_MANUFACTURER: dict[str, Keys | list[Keys]] = {
    "organization.name": typed("Acme Devices"),
    "organization.type": choose("manufacturer"),
    "organization.jurisdictions": check("US", "US-CA"),
    "organization.workforce_size": typed("800"),
    "platforms": check("linkedin", "youtube"),
    "risk_appetite": choose("conservative"),
    "official_accounts.works_with_influencers": "y" + ENTER,
    "official_accounts.uses_paid_advertising": "n" + ENTER,
    "contacts.policy_owner.title": typed("Head of Communications"),
    "contacts.policy_owner.email": typed("comms@acme.example"),
    "contacts.privacy_officer.email": typed("privacy@acme.example"),
    "contacts.communications_lead.title": typed("Digital Lead"),
    "contacts.communications_lead.name": typed("Sam Rivera"),
    "contacts.communications_lead.email": typed("digital@acme.example"),
    "contacts.hr_contact": "y" + ENTER,
    "contacts.hr_contact.email": typed("hr@acme.example"),
    "policy.number": typed("COM-012"),
    "policy.effective_date": typed("2027-01-15"),
    "policy.review_cycle_months": typed("24"),
    "policy.approved_by.name": typed("Jo Park"),
    "policy.approved_by.title": typed("Chief Executive Officer"),
    "_build": "n" + ENTER,
}


def test_new_profile_from_first_question_to_file(drive, tmp_path: Path) -> None:
    target = tmp_path / "profiles" / "acme.yaml"
    written, terminal = drive(target, NEW_MANUFACTURER)
    assert written == target
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    profile = load_profile(target)
    assert profile.organization.type == "manufacturer"
    assert profile.organization.jurisdictions == ["US", "US-CA"]
    assert profile.platforms == ["linkedin", "youtube"]
    assert profile.risk_appetite == "conservative"
    assert profile.official_accounts.works_with_influencers is True
    assert profile.official_accounts.uses_paid_advertising is False
    assert profile.contacts.communications_lead.name == "Sam Rivera"
    assert profile.contacts.hr_contact is not None
    assert profile.contacts.hr_contact.title == "Human Resources Manager"
    assert profile.contacts.security_contact is None
    assert str(profile.policy.effective_date) == "2027-01-15"
    assert profile.policy.review_cycle_months == 24
    # A manufacturer gets the promotion questions in their own wording, each asked once.
    assert ("official_accounts.works_with_influencers", "special") in terminal.groups
    assert [k for k, _ in terminal.groups].count("official_accounts.uses_paid_advertising") == 1
    assert "organization.students" not in text
    assert not terminal.rejected
    assert "agency_name" not in text
    assert not draft_path(target).exists()


def test_public_body_and_academic_center_get_their_own_questions(drive, tmp_path: Path) -> None:
    script = dict(NEW_MANUFACTURER)
    script["organization.type"] = choose("academic_medical_center")
    script["organization.public_sector"] = "y" + ENTER
    written, terminal = drive(tmp_path / "uni.yaml", script)
    asked = dict(terminal.groups)
    assert asked["official_accounts.moderates_comments"] == "special"
    assert any("viewpoint-neutral" in line for line in terminal.said)
    assert any("Students, residents" in line for line in terminal.said)
    assert load_profile(written).organization.public_sector is True


def test_invalid_answers_are_refused_at_the_prompt_and_corrected(drive, tmp_path: Path) -> None:
    script = dict(NEW_MANUFACTURER)
    script.update(
        {
            "organization.jurisdictions": seq(ENTER, check("GB")),
            "organization.workforce_size": typed("about 80") + typed("0") + typed("1,250"),
            "contacts.policy_owner.email": typed("comms at acme") + typed("comms@acme.example"),
            "policy.number": typed("COM 012") + typed("COM-012"),
            "policy.effective_date": typed("15/01/2027")
            + typed("2027-02-30")
            + typed("2027-01-15"),
        }
    )
    written, terminal = drive(tmp_path / "acme.yaml", script)
    reasons = {(key, str(raw)): reason for key, raw, reason in terminal.rejected}
    assert reasons[("organization.jurisdictions", "[]")].startswith("choose at least one")
    assert reasons[("organization.workforce_size", "about 80")] == "enter a whole number, e.g. 250"
    assert reasons[("organization.workforce_size", "0")] == "must be 1 or more"
    assert "not an email address" in reasons[("contacts.policy_owner.email", "comms at acme")]
    assert reasons[("policy.number", "COM 012")].startswith("use letters, digits")
    assert "YYYY-MM-DD" in reasons[("policy.effective_date", "15/01/2027")]
    assert "not a date on the calendar" in reasons[("policy.effective_date", "2027-02-30")]
    profile = load_profile(written)
    assert profile.organization.workforce_size == 1250
    assert profile.organization.jurisdictions == ["GB"]
    assert profile.policy.number == "COM-012"


COMMENTED = f"""{HEADER}
# Riverside's profile; owned by the compliance office.
schema_version: 1
organization:
  name: Riverside Community Hospital   # legal name
  type: hospital
  jurisdictions: [US, US-CA]
  public_sector: false
  workforce_size: 2400  # HR figure, January
# Where we post.
platforms: [facebook, instagram]
risk_appetite: balanced
official_accounts:
  managed_by: communications_team
  after_hours_monitoring: true
  moderates_comments: true
  uses_paid_advertising: true
  features_patient_stories: true
  works_with_influencers: false
contacts:
  policy_owner:
    title: "Vice President, Communications"
    email: communications@riverside.example
  privacy_officer:
    title: Chief Privacy Officer
    name: Marcus Lee
    email: privacy@riverside.example
  communications_lead:
    title: Director of Digital Communications
    email: digital@riverside.example
# Document control.
policy:
  number: MKT-114
  effective_date: 2026-12-01
  review_cycle_months: 12
  approved_by:
    name: Dr. Alan Osei
    title: Chief Executive Officer
"""


def _changed(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_existing_profile_prefills_every_answer_and_keeps_the_file(drive, tmp_path: Path) -> None:
    target = tmp_path / "riverside.yaml"
    target.write_text(COMMENTED, encoding="utf-8")
    _, terminal = drive(target, {"_build": "n" + ENTER})
    assert target.read_text(encoding="utf-8") == COMMENTED
    assert not terminal.rejected
    assert "organization.name" in terminal.asked  # asked, with the file's answer as default


def test_changed_answers_change_only_their_lines(drive, tmp_path: Path) -> None:
    target = tmp_path / "riverside.yaml"
    target.write_text(COMMENTED, encoding="utf-8")
    drive(
        target,
        {
            "organization.workforce_size": typed("2600"),
            "organization.unionized": "y" + ENTER,
            "contacts.policy_owner.title": typed("Vice President, Marketing"),
            "contacts.privacy_officer.name": typed(""),
            "_build": "n" + ENTER,
        },
    )
    after = target.read_text(encoding="utf-8")
    assert sorted(_changed(COMMENTED, after)) == sorted(
        [
            "-  workforce_size: 2400  # HR figure, January",
            '-    title: "Vice President, Communications"',
            "-    name: Marcus Lee",
            "+  workforce_size: 2600  # HR figure, January",
            "+  unionized: true",
            '+    title: "Vice President, Marketing"',
        ]
    )
    # The comment that introduced `platforms` still sits right above it.
    assert "  unionized: true\n# Where we post.\nplatforms:" in after
    load_profile(target)


def test_review_screen_goes_back_to_a_group(drive, tmp_path: Path) -> None:
    script = dict(NEW_MANUFACTURER)
    script["_review"] = [choose("organization"), ENTER]
    script["organization.name"] = [typed("Acme Devices"), typed("Acme Medical Devices")]
    written, terminal = drive(tmp_path / "acme.yaml", script)
    assert terminal.asked.count("organization.name") == 2
    assert terminal.asked.count("policy.number") == 1
    assert load_profile(written).organization.name == "Acme Medical Devices"
    review = terminal.said.index("Review your answers")
    assert any("Acme Devices" in line for line in terminal.said[review:])


def test_a_problem_no_question_covers_blocks_saving_but_keeps_answers(
    drive, tmp_path: Path
) -> None:
    target = tmp_path / "riverside.yaml"
    target.write_text(COMMENTED.replace("  type: hospital\n", "  type: hospital\n  colour: blue\n"))
    with pytest.raises(UserAbort) as caught:
        drive(target, {"_review": choose("stop")})
    assert f"smpolicy wizard {target} --resume" in caught.value.message
    assert draft_path(target).is_file()
    terminal = drive.terminal  # type: ignore[attr-defined]
    assert any("organization.colour: unknown field" in line for line in terminal.said)
    assert any("fix them in the file" in line for line in terminal.said)
    assert "colour: blue" in target.read_text(encoding="utf-8")

    # Fixed by hand while the wizard waits at the review: check again, then save.
    def fix_then_check(question: Question, default: Any) -> str:
        target.write_text(COMMENTED, encoding="utf-8")
        return choose("check")(question, default)

    drive(target, {"_review": [fix_then_check, ENTER], "_build": "n" + ENTER}, resume=True)
    assert target.read_text(encoding="utf-8") == COMMENTED
    assert not draft_path(target).exists()


def test_update_asks_only_what_the_profile_lacks(drive, tmp_path: Path) -> None:
    data = profile_data(contacts__privacy_officer__email="not-an-address")
    target = tmp_path / "partial.yaml"
    target.write_text(dump_yaml(data), encoding="utf-8")
    before = target.read_text(encoding="utf-8")
    _, terminal = drive(
        target,
        {
            "organization.unionized": "y" + ENTER,
            "official_accounts.after_hours_monitoring": "y" + ENTER,
            "contacts.privacy_officer.email": typed("privacy@test.example"),
        },
        update=True,
    )
    assert terminal.asked == [
        "organization.unionized",
        "official_accounts.managed_by",
        "official_accounts.after_hours_monitoring",
        "official_accounts.features_patient_stories",
        "official_accounts.uses_paid_advertising",
        "official_accounts.works_with_influencers",
        "official_accounts.moderates_comments",
        "contacts.privacy_officer.email",
        "policy.title",
    ]
    profile = load_profile(target)
    assert profile.organization.unionized is True
    assert profile.official_accounts.after_hours_monitoring is True
    assert profile.contacts.privacy_officer.email == "privacy@test.example"
    changed = _changed(before, target.read_text(encoding="utf-8"))
    assert [line for line in changed if line.startswith("-")] == ["-    email: not-an-address"]

    _, again = drive(target, {}, update=True)
    assert again.asked == []
    assert any(line.startswith("Nothing to ask") for line in again.said)


def test_ctrl_c_keeps_a_draft_and_resume_continues(drive, tmp_path: Path) -> None:
    target = tmp_path / "acme.yaml"
    script = dict(NEW_MANUFACTURER)
    script["contacts.policy_owner.email"] = CTRL_C
    with pytest.raises(UserAbort) as caught:
        drive(target, script)
    assert caught.value.exit_code == ExitCode.ABORTED == 130
    assert f"smpolicy wizard {target} --resume" in caught.value.message
    draft = draft_path(target)
    assert draft.is_file()
    assert not target.exists()
    assert not list(tmp_path.glob("*.tmp"))
    assert "Head of Communications" in draft.read_text(encoding="utf-8")

    _, terminal = drive(target, NEW_MANUFACTURER, resume=True)
    assert terminal.asked[0] == "contacts.policy_owner.email"
    assert "organization.name" not in terminal.asked
    assert load_profile(target).contacts.policy_owner.title == "Head of Communications"
    assert not draft.exists()


def test_ctrl_c_without_a_profile_path_drafts_in_the_working_directory(drive) -> None:
    with pytest.raises(UserAbort) as caught:
        drive(None, {"organization.type": CTRL_C, "organization.name": typed("Acme")})
    assert Path(".smpolicy-wizard-draft.yaml").is_file()
    assert "smpolicy wizard --resume" in caught.value.message
    script = dict(NEW_MANUFACTURER)
    script["_target"] = typed("profiles/acme.yaml")
    written, _ = drive(None, script, resume=True)
    assert written == Path("profiles/acme.yaml")
    assert load_profile(written).organization.name == "Acme"
    assert not Path(".smpolicy-wizard-draft.yaml").exists()


def test_resume_without_a_draft_says_how_to_start(drive, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no draft to resume"):
        drive(tmp_path / "x.yaml", {}, resume=True)


def test_without_a_terminal_the_wizard_points_to_answers(monkeypatch, tmp_path: Path) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(InputFileError, match=r"smpolicy wizard PROFILE --answers FILE"):
        run_wizard(tmp_path / "p.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy", "wizard", "p.yaml"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == ExitCode.INPUT_FILE
    assert result.stderr.count("\n") == 1
    assert "--answers FILE" in result.stderr
    assert not Path("p.yaml").exists()


def test_answers_file_writes_the_profile(tmp_path: Path) -> None:
    answers = write_yaml(tmp_path / "answers.yaml", profile_data())
    target = tmp_path / "out" / "test.yaml"
    assert run_wizard(target, answers_file=answers) == target
    assert target.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert load_profile(target).organization.name == "Test Hospital"


def test_answers_file_updates_an_existing_profile_keeping_comments(tmp_path: Path) -> None:
    target = tmp_path / "riverside.yaml"
    target.write_text(COMMENTED, encoding="utf-8")
    answers = write_yaml(tmp_path / "answers.yaml", {"organization": {"workforce_size": 2500}})
    run_wizard(target, answers_file=answers)
    assert _changed(COMMENTED, target.read_text(encoding="utf-8")) == [
        "-  workforce_size: 2400  # HR figure, January",
        "+  workforce_size: 2500  # HR figure, January",
    ]


def test_answers_file_is_checked_like_the_prompts(tmp_path: Path) -> None:
    data = profile_data(
        organization__jurisdictions=["US", "DE"],
        organization__workforce_size="many",
        organization__colour="blue",
        contacts__policy_owner__email="owner at test",
        policy__number="TST 001",
    )
    del data["policy"]["effective_date"]
    answers = write_yaml(tmp_path / "answers.yaml", data)
    target = tmp_path / "test.yaml"
    with pytest.raises(ProfileError) as caught:
        run_wizard(target, answers_file=answers)
    lines = caught.value.message.splitlines()
    src = str(answers)
    assert f"{src}: organization.jurisdictions: DE: not available; choose from AU" in lines[0]
    assert f"{src}: organization.workforce_size: enter a whole number, e.g. 250" in lines
    assert any(line.startswith(f"{src}: contacts.policy_owner.email: ") for line in lines)
    assert any(line.startswith(f"{src}: policy.number: use letters, digits") for line in lines)
    assert any(
        line.startswith(
            f"{src}: organization.colour: unknown field; remove it or check the spelling"
        )
        and "(allowed: name, type," in line
        for line in lines
    )
    assert f"{src}: policy.effective_date: required field is missing" in lines
    assert len(lines) == 6
    assert not target.exists()


def test_answers_mode_needs_a_profile_path(tmp_path: Path) -> None:
    answers = write_yaml(tmp_path / "answers.yaml", profile_data())
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy", "wizard", "--answers", str(answers)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == ExitCode.USAGE
    assert "smpolicy wizard PROFILE --answers FILE" in result.stderr


def test_update_needs_an_existing_profile(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="--update completes an existing profile"):
        run_wizard(tmp_path / "missing.yaml", update=True, terminal=QuestionaryTerminal())


@pytest.mark.parametrize(
    "name", ["county-public-health.yaml", "novamed-pharma.yaml", "lakeshore-academic.yaml"]
)
def test_accepting_every_answer_leaves_an_example_unchanged(drive, tmp_path: Path, name) -> None:
    target = tmp_path / name
    target.write_text((EXAMPLES / name).read_text(encoding="utf-8"), encoding="utf-8")
    _, terminal = drive(target, {"_build": "n" + ENTER})
    assert target.read_text(encoding="utf-8") == (EXAMPLES / name).read_text(encoding="utf-8")
    assert not terminal.rejected


def test_every_example_survives_the_writer(tmp_path: Path) -> None:
    """What Enter at every prompt does, without the prompts: every answer given as it was."""
    from smpolicy.profile._fileformat import load_document, render, to_plain
    from smpolicy.profile._wizard import Answers, clean, default_questions, flatten

    questions = default_questions()
    for example in sorted(EXAMPLES.glob("*.yaml")):
        doc = load_document(example)
        base = flatten(to_plain(doc), questions)
        answers = Answers(questions, base=base)
        for q in questions:
            if q.key in base and q.kind != "note" and answers.applies(q):
                answers.given[q.key] = clean(q, base[q.key])
        apply_updates(doc, answers.updates(clear_hidden=True, skip_defaults=True))
        assert render(doc) == example.read_text(encoding="utf-8"), example


# --------------------------------------------------------------------------- real terminal


def _spawn(tmp_path: Path, *args: str) -> Any:
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="120", LINES="50")
    return pexpect.spawn(
        sys.executable,
        ["-m", "smpolicy", "wizard", *args],
        cwd=str(tmp_path),
        env=env,
        dimensions=(50, 120),
        encoding="utf-8",
        timeout=30,
    )


def _answer(child: Any, steps: list[tuple[str, str]]) -> None:
    for prompt, keys in steps:
        child.expect_exact(prompt)
        child.send(keys)


def _down_to(options: list[str] | tuple[str, ...], value: str) -> str:
    return DOWN * list(options).index(value)


_PACKS = available_jurisdictions(default_pack_dir())
FIRST_HALF = [
    ("Organization name", "Lakeview Hospital" + ENTER),
    ("What kind of organization is it?", _down_to(ORG_TYPES, "hospital") + ENTER),
    ("Where does it operate?", _down_to(_PACKS, "US") + " " + ENTER),
    ("government body", ENTER),
    ("how many people work there?", "2400" + ENTER),
    ("represented by a union?", "y" + ENTER),
    (
        "Which platforms",
        _down_to(PLATFORMS, "facebook") + " " + DOWN + " " + ENTER,  # and the next one
    ),
    ("Risk appetite", ENTER),
    ("Who runs the official accounts?", ENTER),
    ("watched outside business hours?", ENTER),
    ("patient stories", ENTER),
    ("paid or boosted posts", ENTER),
    ("creators or influencers", ENTER),
    ("moderate comments", ENTER),
    ("How does HIPAA bind the organization?", ENTER),
    ("Policy owner: job title", "Chief Communications Officer" + ENTER),
    ("Policy owner: person's name", ENTER),
]
SECOND_HALF = [
    ("Privacy officer: job title", ENTER),
    ("Privacy officer: person's name", ENTER),
    ("Privacy officer: email", "privacy@lakeview.example" + ENTER),
    ("Communications lead: job title", "Digital Lead" + ENTER),
    ("Communications lead: person's name", ENTER),
    ("Communications lead: email", "digital@lakeview.example" + ENTER),
    ("compromised accounts?", ENTER),
    ("separate HR contact", ENTER),
    ("Policy number", "COM-7" + ENTER),
    ("Document title", ENTER),
    ("Effective date", CLEAR + "2026-12-01" + ENTER),
    ("Review it every", ENTER),
    ("Approved by: name", "Dr. Ann Smith" + ENTER),
    ("Approved by: job title", "Chief Executive Officer" + ENTER),
    ("replaces (optional)", ENTER),
    ("Is everything right?", ENTER),
]


@pytest.mark.slow
def test_real_terminal_from_first_question_to_docx(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "lakeview.yaml")
    _answer(child, FIRST_HALF)
    child.expect_exact("Policy owner: email")
    child.send("comms.lakeview.example" + ENTER)
    child.expect_exact("is not an email address")
    child.send(CLEAR + "comms@lakeview.example" + ENTER)
    _answer(child, SECOND_HALF)
    child.expect_exact("Build the policy now?")
    child.send(ENTER)
    child.expect_exact("lakeview.docx", timeout=60)
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    profile = load_profile(tmp_path / "lakeview.yaml")
    assert profile.contacts.policy_owner.email == "comms@lakeview.example"
    assert profile.platforms[0] == "facebook"
    assert len(profile.platforms) == 2
    assert (tmp_path / "out" / "lakeview.docx").stat().st_size > 10_000


@pytest.mark.slow
def test_real_terminal_ctrl_c_then_resume(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "lakeview.yaml")
    _answer(child, FIRST_HALF)
    child.expect_exact("Policy owner: email")
    child.sendcontrol("c")
    child.expect_exact("smpolicy wizard lakeview.yaml --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert (tmp_path / ".lakeview.draft.yaml").is_file()
    assert not (tmp_path / "lakeview.yaml").exists()

    child = _spawn(tmp_path, "lakeview.yaml", "--resume")
    _answer(child, [("Policy owner: email", "comms@lakeview.example" + ENTER), *SECOND_HALF])
    child.expect_exact("Build the policy now?")
    child.send("n" + ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    profile = load_profile(tmp_path / "lakeview.yaml")
    assert profile.organization.name == "Lakeview Hospital"
    assert profile.contacts.policy_owner.title == "Chief Communications Officer"
    assert not (tmp_path / ".lakeview.draft.yaml").exists()


def test_removing_a_key_keeps_the_comment_that_introduced_the_next_one(tmp_path: Path) -> None:
    from smpolicy.profile._fileformat import load_document, render

    path = tmp_path / "p.yaml"
    path.write_text(
        "official_accounts:\n"
        "  managed_by: agency  # since 2025\n"
        "  agency_name: Brightside Digital\n"
        "# Who staff write to.\n"
        "contacts:\n"
        "  policy_owner: {title: Owner, email: o@x.example}\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    apply_updates(
        doc,
        {
            "official_accounts": {"managed_by": "distributed", "agency_name": None},
            "contacts": {"security_contact": {"title": None}, "hr_contact": None},
        },
    )
    assert render(doc).split("\n", 1)[1] == (
        "official_accounts:\n"
        "  managed_by: distributed  # since 2025\n"
        "# Who staff write to.\n"
        "contacts:\n"
        "  policy_owner: {title: Owner, email: o@x.example}\n"
    )


def test_answers_the_law_turns_on_are_asked_only_where_they_matter(drive, tmp_path: Path) -> None:
    maker = dict(NEW_MANUFACTURER)
    maker["organization.hipaa_status"] = choose("neither")
    maker["organization.products"] = choose("devices")
    target = tmp_path / "maker.yaml"
    _, terminal = drive(target, maker)
    assert load_profile(target).organization.hipaa_status == "neither"
    assert load_profile(target).organization.products == "devices"
    assert "organization.care_setting" not in terminal.asked
    assert "organization.practice_type" not in terminal.asked

    home = dict(NEW_MANUFACTURER)
    home["organization.type"] = choose("long_term_care")
    home["organization.jurisdictions"] = check("GB")
    home["organization.care_setting"] = choose("nursing_facility")
    target = tmp_path / "home.yaml"
    _, terminal = drive(target, home)
    profile = load_profile(target)
    assert profile.organization.care_setting == "nursing_facility"
    assert "organization.hipaa_status" not in terminal.asked  # HIPAA binds only in the US
    assert profile.organization.hipaa_status is None

    clinic = dict(NEW_MANUFACTURER)
    clinic["organization.type"] = choose("clinic")
    clinic["organization.practice_type"] = choose("primary_care")
    target = tmp_path / "clinic.yaml"
    _, terminal = drive(target, clinic)
    assert load_profile(target).organization.practice_type == "primary_care"
    assert "organization.products" not in terminal.asked  # only manufacturers are asked
    assert "organization.hipaa_status" in terminal.asked  # US: left at the usual answer
    assert load_profile(target).organization.hipaa_status is None
