"""The wizard's questions: what is asked, in which order, when, and how each answer is checked and stored.

The terminal code that asks them is in ``_wizard``."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import TypeAdapter, ValidationError

from smpolicy._types import (
    ORG_TYPE_LABELS,
    ORG_TYPES,
    PLATFORM_NAMES,
    PLATFORMS,
    RISK_APPETITES,
)
from smpolicy.profile._fileformat import (
    field_info,
    to_plain,
)

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
    **PLATFORM_NAMES,
    "x": "X (formerly Twitter)",
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
            f"{org}.products",
            "special",
            "What does the company make?",
            "select",
            "Reports of side effects go to pharmacovigilance; problems with a device go to "
            "complaint handling and device vigilance.",
            label="Products",
            choices=(
                Option("", "Not sure (the policy assumes medicines)"),
                Option("medicines", "Medicines"),
                Option("devices", "Medical devices"),
                Option("both", "Both"),
            ),
            when=lambda v: _is(v, f"{org}.type", "manufacturer"),
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
    from smpolicy.law._packs import available_jurisdictions  # noqa: PLC0415

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
    from smpolicy._build import default_template_dir  # noqa: PLC0415
    from smpolicy.compose._templates import TemplatePack  # noqa: PLC0415

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
    from smpolicy._build import default_pack_dir  # noqa: PLC0415
    from smpolicy.workspace._config import find_workspace  # noqa: PLC0415

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
