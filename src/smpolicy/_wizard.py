"""The wizard: questions that write a profile, asked in a terminal or read from a file.

The questions are plain data (:class:`Question`: key path, prompt, kind, choices,
help, condition) checked with the profile schema's own field constraints
(:func:`clean`). :class:`Answers` keeps what is known; :class:`Wizard` walks the
questions, shows the review screen and writes the profile; a :class:`Terminal`
asks one question at a time. :class:`QuestionaryTerminal` takes prompt_toolkit
``input`` and ``output`` objects, so tests can drive it through a pipe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import TypeAdapter, ValidationError

from ._profile_io import (
    apply_updates,
    field_info,
    load_document,
    to_plain,
    validate_document,
    write_document,
)
from ._types import ORG_TYPE_LABELS, ORG_TYPES, PLATFORMS, RISK_APPETITES
from .errors import InputFileError, ProfileError, UserAbort

Kind = Literal["text", "int", "date", "select", "checkbox", "confirm", "presence", "note"]
Values = Mapping[str, Any]
CWD_DRAFT = Path(".smpolicy-wizard-draft.yaml")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[+-]?\d+$")


def _always(_values: Values) -> bool:
    return True


@dataclass(frozen=True)
class Option:
    """One choice of a select or checkbox question."""

    value: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class Question:
    """One question: where its answer goes, how it is asked, and when.

    ``kind`` ``presence`` asks whether an optional section (a mapping) is filled in;
    ``note`` only explains something and has no answer. ``optional`` answers may be
    left blank, and their absence from a profile counts as an answer for ``--update``.
    """

    key: str
    group: str
    prompt: str
    kind: Kind
    help: str
    label: str = ""
    choices: tuple[Option, ...] = ()
    when: Callable[[Values], bool] = _always
    optional: bool = False
    hint: str | None = None
    suggest: Any = None
    validate: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Group:
    """A titled group of questions, the unit the review screen lets you go back to."""

    id: str
    title: str
    intro: str


GROUPS: tuple[Group, ...] = (
    Group("organization", "Organization", "Who the policy is for."),
    Group("platforms", "Platforms", "Where the organization and its staff are active."),
    Group("risk", "Risk appetite", "How strict the policy's concrete controls are."),
    Group("accounts", "Official accounts", "The organization's own accounts and who runs them."),
    Group("special", "For your kind of organization", "Questions only some organizations need."),
    Group("contacts", "Contacts", "The roles the policy names; staff write to these addresses."),
    Group("policy", "Policy details", "The document's own metadata."),
)

# --------------------------------------------------------------------------- validation


@functools.cache
def _adapter(key: str) -> TypeAdapter[Any] | None:
    try:
        info = field_info(key)
    except KeyError:
        return None
    annotated: Any = info.annotation
    if info.metadata:
        annotated = Annotated[(annotated, *info.metadata)]
    return TypeAdapter(annotated)


def _reason(exc: ValidationError, hint: str | None) -> str:
    err = exc.errors()[0]
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "string_pattern_mismatch" and hint:
        return hint
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind.startswith("int_"):
        return "enter a whole number, e.g. 250"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less"
    if kind.startswith("date_"):
        return "enter a date as YYYY-MM-DD, e.g. 2026-12-01"
    if kind == "too_short":
        return "choose at least one"
    return str(err["msg"]).removeprefix("Value error, ")


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"answer yes or no (true or false in a file), got {value!r}")


def _choice_list(question: Question, value: Any) -> list[str]:
    allowed = [o.value for o in question.choices]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list such as [{', '.join(allowed[:2])}]")
    if not value:
        raise ValueError("choose at least one (space selects, enter confirms)")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not available; choose from {', '.join(allowed)}")
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        raise ValueError(f"listed more than once: {', '.join(dupes)}")
    return list(value)


def clean(question: Question, value: Any) -> Any:
    """The answer to store for ``value`` (typed, or text from the prompt).

    Raises ValueError with the reason, in words a user can act on. The profile
    schema's own field constraints do the checking wherever they exist.
    """
    kind = question.kind
    if question.optional and value is None and kind not in ("confirm", "presence"):
        return None  # an optional answer left blank (in a draft or a profile)
    if kind in ("confirm", "presence"):
        return _yes_no(value)
    if kind == "select":
        allowed = [o.value for o in question.choices]
        if value not in allowed:
            raise ValueError(f"choose one of {', '.join(allowed)} (got {value!r})")
    elif kind == "checkbox":
        value = _choice_list(question, value)
    elif isinstance(value, str):
        value = value.strip()
        if kind == "int":
            value = value.replace(",", "").replace("_", "")
            if not _WHOLE.match(value) and not (question.optional and not value):
                raise ValueError("enter a whole number, e.g. 250")
            if len(value) > 12:
                raise ValueError(
                    f"enter a whole number, e.g. 250 (this one has {len(value)} digits)"
                )
            if value:
                value = int(value)
        if kind == "date" and value:
            if not _DATE.match(value):
                raise ValueError("enter a date as YYYY-MM-DD, e.g. 2026-12-01")
            try:
                dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{value} is not a date on the calendar ({exc})") from None
    if question.optional and (value is None or value == ""):
        return None
    adapter = _adapter(question.key)
    if adapter is not None:
        try:
            value = adapter.validate_python(value)
        except ValidationError as exc:
            raise ValueError(_reason(exc, question.hint)) from None
    if question.validate is not None:
        value = question.validate(value)
    return value


# --------------------------------------------------------------------------- the questions

_PLATFORM_LABELS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "x": "X (formerly Twitter)",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "reddit": "Reddit",
    "snapchat": "Snapchat",
    "pinterest": "Pinterest",
    "whatsapp": "WhatsApp",
    "doximity": "Doximity (network for clinicians)",
    "review_sites": "Review sites (Google, Yelp, Healthgrades and similar)",
}
_MANAGED_BY = (
    Option("communications_team", "one central communications team"),
    Option("agency", "an outside agency posts for the organization"),
    Option("distributed", "departments run their own accounts under central rules"),
)


_SUGGESTED_TITLES = {
    "privacy_officer": "Privacy Officer",
    "security_contact": "Information Security Officer",
    "hr_contact": "Human Resources Manager",
}


def _is(values: Values, key: str, *wanted: Any) -> bool:
    return values.get(key) in wanted


def _manufacturer(values: Values) -> bool:
    return _is(values, "organization.type", "manufacturer")


def _public(values: Values) -> bool:
    return values.get("organization.public_sector") is True or _is(
        values, "organization.type", "public_health"
    )


def _in_us(values: Values) -> bool:
    """The organization works in the United States (or one of its states)."""
    return any(str(j).split("-")[0] == "US" for j in values.get("organization.jurisdictions") or [])


def _trains_learners(values: Values) -> bool:
    return _is(values, "organization.type", "hospital", "academic_medical_center")


def _contact_questions(
    role: str, who: str, why: str, when: Callable[[Values], bool]
) -> list[Question]:
    key = f"contacts.{role}"
    return [
        Question(
            f"{key}.title",
            "contacts",
            f"{who}: job title",
            "text",
            f"{why} The title, not the person, appears throughout the policy.".strip(),
            label=f"{who}, title",
            when=when,
            suggest=_SUGGESTED_TITLES.get(role),
        ),
        Question(
            f"{key}.name",
            "contacts",
            f"{who}: person's name (optional)",
            "text",
            "Leave blank to name only the role, so the policy outlives staff changes.",
            label=f"{who}, name",
            when=when,
            optional=True,
        ),
        Question(
            f"{key}.email",
            "contacts",
            f"{who}: email",
            "text",
            "Staff write to this address; a role mailbox works best.",
            label=f"{who}, email",
            when=when,
        ),
    ]


def _present(key: str) -> Callable[[Values], bool]:
    def check(values: Values) -> bool:
        return values.get(key) is True

    return check


def build_questions(jurisdictions: Iterable[Option], appetites: Iterable[Option]) -> list[Question]:
    """Every question, in the order asked. Choices that depend on installed packs are passed in."""
    org = "organization"
    acc = "official_accounts"
    questions = [
        Question(
            f"{org}.name",
            "organization",
            "Organization name",
            "text",
            "Printed on the title page and used throughout the policy.",
            label="Name",
        ),
        Question(
            f"{org}.type",
            "organization",
            "What kind of organization is it?",
            "select",
            "Much of the policy depends on it: who it covers, which rules apply, its examples.",
            label="Type",
            choices=tuple(Option(t, ORG_TYPE_LABELS.get(t, t)) for t in ORG_TYPES),
        ),
        Question(
            f"{org}.jurisdictions",
            "organization",
            "Where does it operate?",
            "checkbox",
            "Each place adds its laws from a regulation pack; a state or province brings in "
            "its country too.",
            label="Jurisdictions",
            choices=tuple(jurisdictions),
        ),
        Question(
            f"{org}.public_sector",
            "organization",
            "Is it a government body or publicly owned?",
            "confirm",
            "Public bodies keep public records and must moderate without favouring viewpoints.",
            label="Public sector",
        ),
        Question(
            f"{org}.workforce_size",
            "organization",
            "About how many people work there?",
            "int",
            "Decides, for example, whether the policy names an on-call manager and a reporting "
            "hotline (50 people or more).",
            label="Workforce size",
        ),
        Question(
            f"{org}.unionized",
            "organization",
            "Are any staff represented by a union?",
            "confirm",
            "The policy then defers to collective agreements on investigations and discipline.",
            label="Unionized",
        ),
        Question(
            "platforms",
            "platforms",
            "Which platforms do the organization or its staff use for work?",
            "checkbox",
            "The policy gives rules and examples for each platform you pick.",
            label="Platforms",
            choices=tuple(Option(p, _PLATFORM_LABELS.get(p, p)) for p in PLATFORMS),
        ),
        Question(
            "risk_appetite",
            "risk",
            "Risk appetite",
            "select",
            "Sets concrete controls: approvals, response times, sign-in protection, training "
            "(Appendix F lists them all).",
            label="Risk appetite",
            choices=tuple(appetites),
            suggest="balanced",
        ),
        Question(
            f"{acc}.managed_by",
            "accounts",
            "Who runs the official accounts?",
            "select",
            "Decides who approves, posts and replies, and what an agency contract must cover.",
            label="Managed by",
            choices=_MANAGED_BY,
        ),
        Question(
            f"{acc}.agency_name",
            "accounts",
            "Name of the agency",
            "text",
            "The policy names the agency where it sets out what the agency may do.",
            label="Agency",
            when=lambda v: _is(v, f"{acc}.managed_by", "agency"),
        ),
        Question(
            f"{acc}.after_hours_monitoring",
            "accounts",
            "Are the accounts watched outside business hours?",
            "confirm",
            "If not, the policy tells staff whom to call in a crisis after hours.",
            label="Watched after hours",
        ),
        Question(
            f"{acc}.features_patient_stories",
            "accounts",
            "Do you publish patient stories, photos or testimonials?",
            "confirm",
            "Adds the consent steps and a checklist for featuring patients.",
            label="Patient stories",
        ),
        Question(
            f"{acc}.uses_paid_advertising",
            "accounts",
            "Do you run paid or boosted posts, or target ads?",
            "confirm",
            "Adds review of paid posts and limits on tracking pixels and audiences built from "
            "personal data.",
            label="Paid advertising",
            when=lambda v: not _manufacturer(v),
        ),
        Question(
            f"{acc}.works_with_influencers",
            "accounts",
            "Do you pay creators or influencers, or give them products, to post?",
            "confirm",
            "Adds disclosure rules for paid endorsements.",
            label="Influencers",
            when=lambda v: not _manufacturer(v),
        ),
        Question(
            f"{acc}.moderates_comments",
            "accounts",
            "Do you moderate comments on your accounts?",
            "confirm",
            "Adds community guidelines and how to hide, remove and report comments.",
            label="Moderates comments",
            when=lambda v: not _public(v),
        ),
        Question(
            f"{org}.hipaa_status",
            "special",
            "How does HIPAA bind the organization?",
            "select",
            "Covered entities (providers that bill electronically, health plans) and their "
            "business associates have HIPAA's duties; a manufacturer is usually neither, and its "
            "policy then leaves those duties out.",
            label="HIPAA status",
            choices=(
                Option("", "The usual for this kind of organization"),
                Option("covered_entity", "Covered entity"),
                Option("business_associate", "Business associate"),
                Option("neither", "Neither"),
            ),
            when=_in_us,
            optional=True,
        ),
        Question(
            f"{org}.care_setting",
            "special",
            "What kind of care setting is it?",
            "select",
            "Nursing facilities have their own rules on photos and recordings of residents; home "
            "health agencies serve clients in their homes.",
            label="Care setting",
            choices=(
                Option("", "Not one of these, or not sure"),
                Option("nursing_facility", "Nursing facility (nursing home)"),
                Option("assisted_living", "Assisted living"),
                Option("home_health", "Home health agency"),
                Option("residential_care", "Other residential care"),
            ),
            when=lambda v: _is(v, f"{org}.type", "long_term_care"),
            optional=True,
        ),
        Question(
            f"{org}.practice_type",
            "special",
            "Is it a primary-care (general) practice or a specialty practice?",
            "select",
            "A primary-care practice gets examples and roles of general practice (a lead GP "
            "where the policy is for the United Kingdom).",
            label="Practice type",
            choices=(
                Option("", "Not sure, or neither"),
                Option("primary_care", "Primary care / general practice"),
                Option("specialty", "Specialty practice"),
            ),
            when=lambda v: _is(v, f"{org}.type", "clinic"),
            optional=True,
        ),
        Question(
            "notes.learners",
            "special",
            "",
            "note",
            "Students, residents, fellows and other trainees: nothing to answer. The policy "
            "covers them as members of the workforce, with rules for posting about rotations "
            "and for supervisors who connect with trainees.",
            when=_trains_learners,
        ),
        Question(
            f"{acc}.uses_paid_advertising",
            "special",
            "Do you promote your products to the public (ads, paid or boosted posts)?",
            "confirm",
            "Promoting medicines and devices to the public is tightly regulated, and banned for "
            "prescription medicines in many countries; the policy adds the review it needs.",
            label="Promotes products to the public",
            when=_manufacturer,
        ),
        Question(
            f"{acc}.works_with_influencers",
            "special",
            "Do you work with influencers, patient ambassadors or paid creators?",
            "confirm",
            "Their posts about your products are your promotion: disclosure and the same review "
            "apply.",
            label="Influencers",
            when=_manufacturer,
        ),
        Question(
            f"{acc}.moderates_comments",
            "special",
            "Do you moderate comments on your official accounts?",
            "confirm",
            "A public body's accounts can be a public forum: moderation must follow published, "
            "viewpoint-neutral rules (hide threats or spam, never criticism). The policy sets "
            "out the limits.",
            label="Moderates comments",
            when=_public,
        ),
    ]
    questions += _contact_questions(
        "policy_owner", "Policy owner", "Owns and reviews this policy.", _always
    )
    questions += _contact_questions(
        "privacy_officer",
        "Privacy officer",
        "Staff report possible privacy breaches here.",
        _always,
    )
    questions += _contact_questions(
        "communications_lead",
        "Communications lead",
        "Approves official posts and runs the accounts.",
        _always,
    )
    for role, who, prompt, why in (
        (
            "security_contact",
            "Security contact",
            "Name a separate contact for hacked or compromised accounts?",
            "If not, the privacy officer handles account compromise.",
        ),
        (
            "hr_contact",
            "HR contact",
            "Name a separate HR contact for staff conduct matters?",
            "If not, the policy owner handles them.",
        ),
    ):
        key = f"contacts.{role}"
        questions.append(
            Question(key, "contacts", prompt, "presence", why, label=who, optional=True)
        )
        questions += _contact_questions(role, who, "", _present(key))
    pol = "policy"
    questions += [
        Question(
            f"{pol}.number",
            "policy",
            "Policy number",
            "text",
            "Your document control number, printed on every page.",
            label="Number",
            hint="use letters, digits and . _ / - (up to 32, starting with a letter or digit), "
            "e.g. COM-012",
        ),
        Question(
            f"{pol}.title",
            "policy",
            "Document title",
            "text",
            "Shown on the title page.",
            label="Title",
        ),
        Question(
            f"{pol}.effective_date",
            "policy",
            "Effective date (YYYY-MM-DD)",
            "date",
            "The policy applies from this date and cites the law in force on it.",
            label="Effective date",
            suggest=_first_of_next_month(),
        ),
        Question(
            f"{pol}.review_cycle_months",
            "policy",
            "Review it every how many months?",
            "int",
            "Sets the next scheduled review printed in the policy (1 to 60).",
            label="Review cycle (months)",
        ),
        Question(
            f"{pol}.approved_by.name",
            "policy",
            "Approved by: name",
            "text",
            "Printed in the approval block.",
            label="Approved by, name",
        ),
        Question(
            f"{pol}.approved_by.title",
            "policy",
            "Approved by: job title",
            "text",
            "Printed next to the approver's name.",
            label="Approved by, title",
        ),
        Question(
            f"{pol}.supersedes",
            "policy",
            "Number of the policy this one replaces (optional)",
            "text",
            "Printed on the title page and in the revision history; leave blank if none.",
            label="Supersedes",
            optional=True,
        ),
    ]
    return questions


def _first_of_next_month(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    return dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)


def jurisdiction_options(pack_dirs: Iterable[Path]) -> tuple[Option, ...]:
    """One choice per regulation pack found, titled with the pack's name."""
    from ._regpack import available_jurisdictions  # noqa: PLC0415

    found: dict[str, str] = {}
    for directory in pack_dirs:
        if not directory.is_dir():
            continue
        for code in available_jurisdictions(directory):
            name = ""
            with contextlib.suppress(OSError, UnicodeDecodeError):
                head = (directory / f"{code}.yaml").read_text(encoding="utf-8")[:4000]
                match = re.search(r"^name:\s*(.+?)\s*$", head, re.MULTILINE)
                name = match.group(1).strip("'\"") if match else ""
            found.setdefault(code, f"{code:<6} {name}".rstrip())
    return tuple(Option(code, title) for code, title in sorted(found.items()))


def appetite_options() -> tuple[Option, ...]:
    """One choice per risk appetite, explained in one line from the template pack's controls."""
    from ._build import default_template_dir  # noqa: PLC0415
    from ._templates import TemplatePack  # noqa: PLC0415

    pack = TemplatePack.load(default_template_dir())
    options = []
    for name in RISK_APPETITES:
        controls = pack.controls_for(name)
        parts = []
        if "tier1_hours" in controls:
            parts.append(f"crisis reply in {controls['tier1_hours']} h")
        if "comment_review_hours" in controls:
            parts.append(f"comments reviewed in {controls['comment_review_hours']} h")
        approval = str(controls.get("routine_post_approval", ""))
        approval = re.sub(r"\s*\([^)]*\)", "", approval).split(";")[0].strip()
        options.append(
            Option(
                name, f"{name:<13}{', '.join(parts)}", f"Approval: {approval}" if approval else None
            )
        )
    return tuple(options)


def default_questions() -> list[Question]:
    """The questions with the built-in (and the workspace's) regulation packs as choices."""
    from ._build import default_pack_dir  # noqa: PLC0415
    from ._workspace import find_workspace  # noqa: PLC0415

    dirs = [default_pack_dir()]
    workspace = find_workspace()
    if workspace is not None and workspace.config.packs:
        dirs.insert(0, workspace.input_path(workspace.config.packs))
    return build_questions(jurisdiction_options(dirs), appetite_options())


# --------------------------------------------------------------------------- answers


def _lookup(data: Any, key: str) -> tuple[bool, Any]:
    node = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def flatten(data: Any, questions: Iterable[Question]) -> dict[str, Any]:
    """The answers found in profile-shaped ``data``, by question key (plain values)."""
    found: dict[str, Any] = {}
    for q in questions:
        if q.kind == "note" or q.key in found:
            continue
        present, value = _lookup(data, q.key)
        if not present:
            continue
        if q.kind == "presence" and (value is None or isinstance(value, Mapping)):
            found[q.key] = value is not None
        else:
            found[q.key] = to_plain(value)
    return found


def _schema_default(key: str) -> Any:
    try:
        info = field_info(key)
    except KeyError:
        return None
    if info.is_required():
        return None
    return info.get_default(call_default_factory=True)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    cleared = [k for k, v in flat.items() if v is None]
    for key, value in flat.items():
        if any(key.startswith(f"{c}.") for c in cleared):
            continue
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            continue
        node[last] = value
    return nested


@dataclass
class Answers:
    """What is known: ``base`` from the existing profile, ``given`` in this run (or its draft)."""

    questions: list[Question]
    base: dict[str, Any] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        """The current answer for ``key``: given, else the profile's, else the schema default."""
        if key in self.given:
            return self.given[key]
        if key in self.base:
            return self.base[key]
        question = next((q for q in self.questions if q.key == key), None)
        if question is not None and question.kind == "presence":
            return False
        return _schema_default(key)

    def view(self) -> dict[str, Any]:
        """Every question's current answer, for conditions."""
        return {q.key: self.value(q.key) for q in self.questions if q.kind != "note"}

    def applies(self, question: Question) -> bool:
        """Whether ``question`` is asked given the answers so far."""
        return question.when(self.view())

    def default(self, question: Question) -> Any:
        """What to offer at the prompt."""
        value = self.value(question.key)
        return question.suggest if value is None and not question.optional else value

    def in_base(self, question: Question) -> bool:
        """The existing profile answers ``question`` validly (absence answers optional ones)."""
        if question.key not in self.base:
            return question.optional
        try:
            clean(question, self.base[question.key])
        except ValueError:
            return False
        return True

    def updates(self, *, clear_hidden: bool, skip_defaults: bool = False) -> dict[str, Any]:
        """Changes to make to a profile, nested; ``None`` removes a key.

        ``skip_defaults`` leaves out answers the profile did not spell out and that equal
        the schema's default, so accepting a suggestion does not add lines to the file.
        """
        view = self.view()
        live = [q for q in self.questions if q.kind != "note" and q.when(view)]
        live_keys = {q.key for q in live}
        flat: dict[str, Any] = {}
        for q in live:
            if q.key not in self.given:
                continue
            value = self.given[q.key]
            if skip_defaults and q.key not in self.base and value == _schema_default(q.key):
                continue
            if q.kind == "presence":
                value = {} if value else None
            flat[q.key] = value
        if clear_hidden:
            for q in self.questions:
                if q.kind != "note" and q.key not in live_keys and q.key not in flat:
                    flat[q.key] = None
        return _nest(flat)


# --------------------------------------------------------------------------- terminal


class Terminal(Protocol):
    """Asks questions and shows text; raises KeyboardInterrupt or EOFError when interrupted."""

    def say(self, text: str, style: str = "") -> None:
        """Show a line of text."""

    def ask(self, question: Question, default: Any) -> Any:
        """Ask ``question`` until the answer passes :func:`clean`; return the cleaned answer."""


class QuestionaryTerminal:
    """A :class:`Terminal` on questionary; ``input``/``output`` default to the real terminal."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self.input = input
        self.output = output
        self.said: list[str] = []
        self.asked: list[str] = []
        self.rejected: list[tuple[str, Any, str]] = []

    def say(self, text: str, style: str = "") -> None:
        """Print ``text`` in a prompt_toolkit style such as ``bold``."""
        from prompt_toolkit import print_formatted_text  # noqa: PLC0415
        from prompt_toolkit.formatted_text import FormattedText  # noqa: PLC0415

        self.said.append(text)
        print_formatted_text(FormattedText([(style, text)]), output=self.output)

    def _check(self, question: Question, raw: Any) -> bool | str:
        try:
            clean(question, raw)
        except ValueError as exc:
            self.rejected.append((question.key, raw, str(exc)))
            return str(exc)
        return True

    def ask(self, question: Question, default: Any) -> Any:
        """Ask one question with questionary; invalid answers are refused at the prompt."""
        import questionary  # noqa: PLC0415

        self.asked.append(question.key)
        if question.help:
            for line in _wrap(question.help, "  "):
                self.say(line, "fg:ansibrightblack")
        io = {"input": self.input, "output": self.output}
        kind = question.kind
        if kind in ("confirm", "presence"):
            prompt = questionary.confirm(
                question.prompt, default=bool(default), auto_enter=False, **io
            )
        elif kind == "select":
            values = [o.value for o in question.choices]
            prompt = questionary.select(
                question.prompt,
                choices=[
                    questionary.Choice(o.title, value=o.value, description=o.description)
                    for o in question.choices
                ],
                default=default if default in values else None,
                **io,
            )
        elif kind == "checkbox":
            chosen = default if isinstance(default, list) else []
            prompt = questionary.checkbox(
                question.prompt,
                choices=[
                    questionary.Choice(o.title, value=o.value, checked=o.value in chosen)
                    for o in question.choices
                ],
                validate=lambda selected: self._check(question, selected),
                instruction="(arrows move, space selects, enter confirms)",
                **io,
            )
        else:
            prompt = questionary.text(
                question.prompt,
                default=_as_text(default),
                validate=lambda raw: self._check(question, raw),
                validate_while_typing=False,
                **io,
            )
        answer = clean(question, prompt.unsafe_ask())
        if kind == "checkbox" and isinstance(default, list):
            # Keep the order already in the profile; questionary returns the choices' order.
            answer = [v for v in default if v in answer] + [v for v in answer if v not in default]
        if kind == "checkbox" and len(answer) > 1:  # questionary shows only "done (n selections)"
            for line in _wrap(", ".join(answer), "  = "):
                self.say(line, "fg:ansicyan")
        return answer


def _wrap(text: str, indent: str) -> list[str]:
    import shutil  # noqa: PLC0415
    import textwrap  # noqa: PLC0415

    width = max(40, min(shutil.get_terminal_size().columns, 100) - 1)
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=" " * len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent]


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _as_text(value)


def _row(members: list[Question], view: Values) -> str:
    """One review line for questions sharing a label: a contact, an approver, a toggle."""
    presence = next((q for q in members if q.kind == "presence"), None)
    if presence is not None and not view[presence.key]:
        return "no"
    parts = [
        _show(view[q.key])
        for q in members
        if q.kind != "presence" and not (q.optional and view[q.key] is None)
    ]
    return ", ".join(parts) or "(none)"


def _review_lines(label: str, text: str) -> list[str]:
    column = 32
    lines = _wrap(text, " " * column)
    head = f"    {label} "
    if len(head) <= column:
        lines[0] = head.ljust(column) + lines[0][column:]
    else:
        lines.insert(0, head.rstrip())
    return lines


# --------------------------------------------------------------------------- drafts


def draft_path(profile: Path | None) -> Path:
    """Where an interrupted run keeps its answers: hidden, next to the profile."""
    if profile is None:
        return CWD_DRAFT
    return profile.with_name(f".{profile.stem}.draft.yaml")


def _command(profile: Path | None, *flags: str) -> str:
    parts = ["smpolicy", "wizard"]
    if profile is not None:
        parts.append(shlex.quote(str(profile)))
    return " ".join([*parts, *flags])


def save_draft(path: Path, answers: Answers, resume: str) -> None:
    """Write the answers given so far, atomically, with a note on how to resume."""
    from ._fsutil import atomic_write  # noqa: PLC0415
    from ._yaml import dump_yaml  # noqa: PLC0415

    body = dump_yaml(answers.updates(clear_hidden=False))
    header = (
        "# Answers from an interrupted `smpolicy wizard` run; not a profile yet.\n"
        f"# Continue with: {resume}\n"
    )
    atomic_write(path, (header + body).encode("utf-8"))


def load_draft(path: Path, questions: list[Question]) -> dict[str, Any]:
    """The valid answers in a draft (anything invalid is asked again)."""
    from ._yaml import load_yaml  # noqa: PLC0415

    data = load_yaml(path) or {}
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: not a wizard draft (expected a mapping)")
    given: dict[str, Any] = {}
    for key, value in flatten(data, questions).items():
        question = next(q for q in questions if q.key == key)
        with contextlib.suppress(ValueError):
            given[key] = clean(question, value)
    return given


# --------------------------------------------------------------------------- the wizard


def _slug(name: Any) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", str(name or "").lower()).strip("-")
    return text[:60] or "profile"


def _target_question(default_dir: Path) -> Question:
    def check(value: Any) -> Path:
        path = Path(str(value))
        if path.suffix not in (".yaml", ".yml"):
            raise ValueError("end the file name with .yaml")
        if path.exists():
            raise ValueError(f"{path} exists; to edit it, run: {_command(path)}")
        if path.parent.exists() and not path.parent.is_dir():
            raise ValueError(f"{path.parent} is not a directory")
        return path

    where = f" ({default_dir}/ holds your profiles)" if str(default_dir) != "." else ""
    return Question(
        "_target",
        "save",
        "Save the profile as",
        "text",
        f"A YAML file you can keep in git and edit later{where}.",
        validate=check,
    )


class Wizard:
    """One interactive run: ask, review, write, offer to build."""

    def __init__(
        self,
        terminal: Terminal,
        answers: Answers,
        *,
        target: Path | None,
        update: bool,
    ) -> None:
        self.terminal = terminal
        self.answers = answers
        self.target = target
        self.update = update
        self.draft = draft_path(target)
        self.asked = 0
        self.written: Path | None = None
        self._header_shown: str | None = None
        self._notes_shown: set[str] = set()

    @property
    def questions(self) -> list[Question]:
        """All questions, in order."""
        return self.answers.questions

    def run(self) -> Path:
        """Run the wizard; Ctrl-C keeps a draft and raises UserAbort."""
        try:
            return self._run()
        except (KeyboardInterrupt, EOFError):
            raise self._interrupted() from None
        except ProfileError as exc:
            if self.written or not self.answers.given:
                raise
            resume = self._resume_command()
            save_draft(self.draft, self.answers, resume)
            raise ProfileError(
                f"{exc.message}\nyour answers are kept in {self.draft}; fix the problem above, "
                f"then run: {resume}"
            ) from None

    def _resume_command(self) -> str:
        return _command(self.target, *(["--update"] if self.update else []), "--resume")

    def _run(self) -> Path:
        say = self.terminal.say
        if self.update:
            assert self.target is not None  # noqa: S101 - checked by run_wizard
            say(f"Completing {self.target}: only questions it has no answer for.", "bold")
            self._ask_pending()
            if not self.asked:
                say(f"Nothing to ask: {self.target} answers every question.")
                self.draft.unlink(missing_ok=True)
                return self.target
            return self._write(self.target)
        if self.answers.given:
            intro = "Continuing where you stopped; the answers kept appear in the review."
        elif self.target and self.target.exists():
            intro = f"Editing {self.target}: each answer in the file is offered as the default."
        else:
            intro = f"New profile: about {self._count()} questions in {len(GROUPS)} groups."
        say(intro, "bold")
        say("Enter accepts a suggestion. Review comes before saving. Ctrl-C keeps a draft.")
        target = self._review()
        self._offer_build(target)
        return target

    def _count(self) -> int:
        view = self.answers.view()
        return sum(1 for q in self.questions if q.kind != "note" and q.when(view))

    # asking --------------------------------------------------------------

    def _header(self, group_id: str) -> None:
        if self._header_shown == group_id:
            return
        self._header_shown = group_id
        group = next(g for g in GROUPS if g.id == group_id)
        number = [g.id for g in GROUPS].index(group_id) + 1
        self.terminal.say("")
        self.terminal.say(f"{group.title} ({number}/{len(GROUPS)}): {group.intro}", "bold")

    def _note(self, question: Question) -> None:
        self._header(question.group)
        self._notes_shown.add(question.key)
        self.terminal.say(f"  Note: {question.help}", "italic")

    def _ask(self, question: Question) -> None:
        self._header(question.group)
        answer = self.terminal.ask(question, self.answers.default(question))
        self.answers.given[question.key] = answer
        self.asked += 1

    def _ask_pending(self) -> None:
        """Ask every applicable question without an answer yet, in order."""
        for q in self.questions:
            if not self.answers.applies(q):
                continue
            if q.kind == "note":
                if not self.update and q.key not in self._notes_shown:
                    self._note(q)
                continue
            if q.key in self.answers.given:
                continue
            if self.update and self.answers.in_base(q):
                continue
            self._ask(q)

    def _ask_group(self, group_id: str) -> None:
        self._header_shown = None
        for q in self.questions:
            if q.group != group_id or not self.answers.applies(q):
                continue
            if q.kind == "note":
                self._note(q)
            else:
                self._ask(q)

    # review and writing --------------------------------------------------

    def _document(self, target: Path | None) -> Any:
        from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

        doc = load_document(target) if target is not None and target.exists() else CommentedMap()
        if "schema_version" not in doc:
            apply_updates(doc, {"schema_version": 1})
        editing = target is not None and target.exists() and not self.update
        apply_updates(doc, self.answers.updates(clear_hidden=True, skip_defaults=editing))
        return doc

    def _problems(self) -> list[str]:
        try:
            validate_document(self._document(self.target), str(self.target or "profile"))
        except ProfileError as exc:
            return exc.message.splitlines()
        return []

    def _live_groups(self) -> list[Group]:
        view = self.answers.view()
        return [
            g
            for g in GROUPS
            if any(q.group == g.id and q.kind != "note" and q.when(view) for q in self.questions)
        ]

    def _show_review(self, problems: list[str]) -> None:
        say = self.terminal.say
        view = self.answers.view()
        say("")
        say("Review your answers", "bold")
        for group in self._live_groups():
            say(f"  {group.title}", "bold")
            rows: dict[str, list[Question]] = {}
            for q in self.questions:
                if q.group == group.id and q.kind != "note" and q.when(view):
                    rows.setdefault((q.label or q.prompt).split(", ")[0], []).append(q)
            for label, members in rows.items():
                for line in _review_lines(label, _row(members, view)):
                    say(line)
        for line in problems:
            say(f"  ! {line}", "fg:ansired")

    def _review(self) -> Path:
        while True:
            self._ask_pending()
            problems = self._problems()
            self._show_review(problems)
            where = str(self.target) if self.target else "a new file"
            options = [] if problems else [Option("save", f"Save the profile to {where}")]
            if problems and not self._all_asked(problems):
                options.append(Option("check", f"Check again, after fixing {where} by hand"))
                self.terminal.say(
                    "  The wizard does not ask about some of these fields: fix them in the file, "
                    "then choose Check again.",
                    "fg:ansired",
                )
            options += [Option(g.id, f"Change: {g.title}") for g in self._live_groups()]
            options.append(Option("stop", "Stop here and keep the answers as a draft"))
            pick = self.terminal.ask(
                Question(
                    "_review",
                    "review",
                    "Is everything right?" if not problems else "Fix the problems above:",
                    "select",
                    "",
                    choices=tuple(options),
                ),
                options[0].value,
            )
            if pick == "save":
                target = self.target or self._choose_target()
                return self._write(target)
            if pick == "stop":
                raise self._interrupted("stopped")
            if pick != "check":
                self._ask_group(pick)

    def _all_asked(self, problems: list[str]) -> bool:
        """Whether every problem is about a field some question asks for."""
        keys = {q.key for q in self.questions if q.kind != "note"}
        for line in problems:
            parts = line.split(": ", 2)
            field = parts[1] if len(parts) == 3 else ""
            if not any(
                field == k or field.startswith(f"{k}.") or k.startswith(f"{field}.") for k in keys
            ):
                return False
        return True

    def _choose_target(self) -> Path:
        folder = Path("profiles") if Path("profiles").is_dir() else Path()
        default = folder / f"{_slug(self.answers.value('organization.name'))}.yaml"
        path: Path = self.terminal.ask(_target_question(folder), str(default))
        return path

    def _write(self, target: Path) -> Path:
        doc = self._document(target)
        write_document(target, doc, new=not target.exists())
        self.written = target
        self.draft.unlink(missing_ok=True)
        self.terminal.say(f"Saved {target}", "bold")
        return target

    def _offer_build(self, target: Path) -> None:
        build = self.terminal.ask(
            Question(
                "_build",
                "save",
                "Build the policy now?",
                "confirm",
                "Writes the policy as DOCX, HTML and Markdown; you can also run "
                f"`smpolicy build {target}` later.",
            ),
            True,
        )
        if not build:
            self.terminal.say(f"Build it later with: smpolicy build {shlex.quote(str(target))}")
            return
        from ._build import build_policy  # noqa: PLC0415
        from ._workspace import find_workspace  # noqa: PLC0415

        result = build_policy(target, workspace=find_workspace())
        self.terminal.say("Built:", "bold")
        for path in result.outputs.values():
            self.terminal.say(f"  {_relative(path)}")

    def _interrupted(self, what: str = "interrupted") -> UserAbort:
        if self.written is not None:
            return UserAbort(
                f"{what} after saving {self.written}; build it with: "
                f"smpolicy build {shlex.quote(str(self.written))}"
            )
        if not self.answers.given:
            return UserAbort(f"{what} before any answer; nothing was saved")
        resume = self._resume_command()
        save_draft(self.draft, self.answers, resume)
        return UserAbort(
            f"{what}: {len(self.answers.given)} answers kept in {self.draft}\nto continue: {resume}"
        )


# --------------------------------------------------------------------------- --answers


def answer_from_file(target: Path, answers_file: Path, questions: list[Question]) -> Path:
    """Write ``target`` from an answers file, checked exactly like interactive answers."""
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    from ._yaml import load_yaml  # noqa: PLC0415

    source = str(answers_file)
    data = load_yaml(answers_file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: (top level): expected a mapping of profile fields")
    exists = target.exists()
    doc = load_document(target) if exists else CommentedMap()
    if "schema_version" not in doc and "schema_version" not in data:
        apply_updates(doc, {"schema_version": 1})
    apply_updates(doc, data)
    answers = Answers(questions, base=flatten(to_plain(doc), questions))
    errors: list[str] = []
    reported: list[str] = []
    for q in questions:
        if q.kind == "note" or q.key in answers.given or q.key not in answers.base:
            continue
        if not answers.applies(q):
            continue
        try:
            answers.given[q.key] = clean(q, answers.base[q.key])
        except ValueError as exc:
            errors.append(f"{source}: {q.key}: {exc}")
            reported.append(q.key)
    apply_updates(doc, answers.updates(clear_hidden=True))
    try:
        validate_document(doc, source)
    except ProfileError as exc:
        for line in exc.message.splitlines():
            where = line.removeprefix(f"{source}: ").split(":")[0]
            if not any(where == k or where.startswith(f"{k}.") for k in reported):
                errors.append(line)
    if errors:
        raise ProfileError("\n".join(errors))
    write_document(target, doc, new=not exists)
    return target


# --------------------------------------------------------------------------- entry point


def run_wizard(
    profile: Path | None,
    *,
    update: bool = False,
    resume: bool = False,
    answers_file: Path | None = None,
    terminal: Terminal | None = None,
) -> Path:
    """Ask for (or read) the answers and write ``profile``; return the path written."""
    import click  # noqa: PLC0415

    if profile is not None and profile.is_dir():
        raise InputFileError(f"{profile}: is a directory; give the profile's file name")
    if answers_file is not None:
        if profile is None:
            raise click.UsageError(
                "--answers needs the profile to write: smpolicy wizard PROFILE --answers FILE"
            )
        if update or resume:
            raise click.UsageError("--answers cannot be combined with --update or --resume")
        return answer_from_file(profile, answers_file, default_questions())
    if update:
        if profile is None:
            raise click.UsageError(
                "--update needs the profile to complete: smpolicy wizard --update PROFILE"
            )
        if not profile.exists():
            raise InputFileError(
                f"{profile}: file not found; --update completes an existing profile "
                f"(to start a new one, run: {_command(profile)})"
            )
    if terminal is None:
        if not sys.stdin.isatty():
            raise InputFileError(
                "standard input is not a terminal, so the wizard cannot ask questions; "
                "answer from a file instead: smpolicy wizard PROFILE --answers FILE"
            )
        terminal = QuestionaryTerminal()
    questions = default_questions()
    answers = Answers(questions)
    if profile is not None and profile.exists():
        answers.base = flatten(to_plain(load_document(profile)), questions)
    draft = draft_path(profile)
    if resume:
        if not draft.is_file():
            raise InputFileError(
                f"{draft}: no draft to resume; start a new run with: {_command(profile)}"
            )
        answers.given = load_draft(draft, questions)
        terminal.say(f"Resuming from {draft} ({len(answers.given)} answers kept).", "bold")
    elif draft.is_file():
        terminal.say(
            f"Note: {draft} holds answers from an interrupted run; to use them, press Ctrl-C "
            f"and run: {_command(profile, '--resume')}",
            "fg:ansiyellow",
        )
    return Wizard(terminal, answers, target=profile, update=update).run()
