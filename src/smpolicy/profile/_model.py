"""The profile: an organization's answers, as a versioned YAML format."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from smpolicy._types import OrgType, Platform, RiskAppetite
from smpolicy._yaml import load_yaml
from smpolicy.errors import ProfileError

CURRENT_SCHEMA_VERSION = 1
SCHEMA_URL = "https://smpolicy.dev/schema/profile-v1.json"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def _refuse_control(pattern: re.Pattern[str], value: str, advice: str) -> None:
    """Raise the one-line error for the first character of ``pattern`` found in ``value``."""
    match = pattern.search(value)
    if match:
        raise ValueError(f"contains control character U+{ord(match.group()):04X}{advice}")


def _no_control(value: str) -> str:
    _refuse_control(_CONTROL, value, ", which documents cannot hold; remove it")
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _one_line(value: str) -> str:
    """A name or title: one line, so no line break, tab or other control character at all."""
    _refuse_control(
        _ANY_CONTROL,
        value.strip(),
        " (a line break, tab or invisible character); write it on one line",
    )
    return _no_control(value)


Text = Annotated[str, AfterValidator(_no_control)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _strict_date(value: Any) -> Any:
    """A date, or text written YYYY-MM-DD; never a number, a time or a boolean."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"must be a date as YYYY-MM-DD without a time (got {value.isoformat()})")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a date on the calendar ({exc})") from None
    raise ValueError(f"must be a date as YYYY-MM-DD, e.g. 2026-12-01 (got {_shown(value)})")


def _date_in_range(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"{value.isoformat()} is outside the years {EARLIEST_DATE.year} to "
            f"{LATEST_DATE.year}; check the year"
        )
    return value


StrictDate = Annotated[dt.date, BeforeValidator(_strict_date), AfterValidator(_date_in_range)]


def _path_text(value: str) -> str:
    _refuse_control(_ANY_CONTROL, value, ", which a file name cannot hold; remove it")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


PathText = Annotated[str, Field(max_length=1024), AfterValidator(_path_text)]


def _email(value: str) -> str:
    _refuse_control(_ANY_CONTROL, value, "; remove it")
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address like name@example.org")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class Contact(_Model):
    """A role named in the policy. The title appears in the text; the email where staff report."""

    title: ShortText = Field(description="Job title shown in the policy, e.g. 'Privacy Officer'.")
    name: ShortText | None = Field(default=None, description="Person's name (optional).")
    email: Email = Field(description="Address staff use to reach this role.")


class Approver(_Model):
    """Who approved the policy."""

    name: ShortText = Field(description="Approver's name.")
    title: ShortText = Field(description="Approver's title, e.g. 'Chief Executive Officer'.")


class Organization(_Model):
    """Who the policy is for."""

    name: ShortText = Field(description="Organization name as it appears on the policy.")
    type: OrgType = Field(description="Kind of organization; changes much of the policy.")
    jurisdictions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]] = Field(
        min_length=1,
        description="Where it operates: ISO 3166-1 or 3166-2 codes (US, US-CA, GB, CA-ON, AU) "
        "or EU. A subdivision implies its country.",
    )
    public_sector: StrictBool = Field(
        default=False, description="A government body or publicly owned organization."
    )
    workforce_size: StrictInt = Field(ge=1, le=10_000_000, description="Approximate headcount.")
    unionized: StrictBool = Field(
        default=False, description="Some staff are represented by a union."
    )
    hipaa_status: Literal["covered_entity", "business_associate", "neither"] | None = Field(
        default=None,
        description="United States only: whether HIPAA binds the organization as a covered "
        "entity or a business associate. Unset: a manufacturer is 'neither', others are "
        "'covered_entity'.",
    )
    for_profit: StrictBool | None = Field(
        default=None,
        description="Run for profit. Unset: public bodies and health nonprofits are not.",
    )
    hhs_funding: StrictBool | None = Field(
        default=None,
        description="United States only: receives federal financial assistance from HHS "
        "(Medicaid, grants). Unset: yes for hospitals, academic medical centers, long-term care "
        "and public health agencies.",
    )
    care_setting: (
        Literal["nursing_facility", "assisted_living", "home_health", "residential_care"] | None
    ) = Field(
        default=None,
        description="Long-term and home care: the kind of setting (changes which rules bind).",
    )
    practice_type: Literal["primary_care", "specialty"] | None = Field(
        default=None,
        description="Clinics: a primary-care / general practice, or a specialty practice.",
    )
    products: Literal["medicines", "devices", "both"] | None = Field(
        default=None,
        description="Manufacturers: what the company makes (changes who receives reports of "
        "side effects and product problems). Unset: medicines.",
    )

    @field_validator("jurisdictions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        dupes = sorted({j for j in value if value.count(j) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return value


class OfficialAccounts(_Model):
    """How the organization runs its own accounts."""

    managed_by: Literal["communications_team", "agency", "distributed"] = Field(
        default="communications_team",
        description="communications_team: one central team; agency: an outside agency posts "
        "for the organization; distributed: departments run their own accounts under central rules.",
    )
    agency_name: ShortText | None = Field(
        default=None, description="Name of the outside agency, when one posts for you."
    )
    after_hours_monitoring: StrictBool = Field(
        default=False, description="Accounts are watched outside business hours."
    )
    moderates_comments: StrictBool = Field(
        default=True, description="Comments on official accounts are moderated."
    )
    uses_paid_advertising: StrictBool = Field(
        default=True, description="Paid or boosted posts and ad targeting are used."
    )
    features_patient_stories: StrictBool = Field(
        default=True, description="Patient stories, photos or testimonials are published."
    )
    works_with_influencers: StrictBool = Field(
        default=False, description="Creators or influencers are paid or given products to post."
    )

    @model_validator(mode="after")
    def _agency_named(self) -> OfficialAccounts:
        if self.managed_by == "agency" and not self.agency_name:
            raise ValueError("agency_name is required when managed_by is agency")
        return self


class Contacts(_Model):
    """Roles named in the policy."""

    policy_owner: Contact = Field(description="Owns the policy and its reviews.")
    privacy_officer: Contact = Field(
        description="Receives privacy incident reports and approves patient content."
    )
    communications_lead: Contact = Field(
        description="Runs the official accounts and approves posts and responses."
    )
    security_contact: Contact | None = Field(
        default=None, description="Who handles account compromise; defaults to the privacy officer."
    )
    hr_contact: Contact | None = Field(
        default=None, description="Who handles staff conduct matters; defaults to the policy owner."
    )


class Branding(_Model):
    """House style for the DOCX."""

    reference_doc: PathText | None = Field(
        default=None,
        description="Path (relative to the profile, inside its folder) of a .docx whose styles "
        "to use.",
    )
    logo: PathText | None = Field(
        default=None,
        description="Path (relative to the profile, inside its folder) of a PNG logo for the "
        "DOCX header.",
    )


class PolicyMeta(_Model):
    """The policy document's own metadata."""

    number: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$",
        description="Policy number, e.g. COM-012 (letters, digits, . _ / -).",
    )
    title: ShortText = Field(default="Social Media Policy", description="Document title.")
    effective_date: StrictDate = Field(description="Date the policy takes effect (YYYY-MM-DD).")
    review_cycle_months: StrictInt = Field(
        default=12, ge=1, le=60, description="Months between scheduled reviews."
    )
    approved_by: Approver = Field(description="Who approved this policy (name and title).")
    supersedes: ShortText | None = Field(
        default=None, description="Number of the policy this one replaces, if any."
    )


class Profile(_Model):
    """An organization's profile: everything the policy depends on besides the law."""

    schema_version: Literal[1] = Field(description="Format version of this file.")
    organization: Organization = Field(
        description="The organization: name, type, jurisdictions, sector and size."
    )
    platforms: list[Platform] = Field(
        min_length=1, description="Platforms the organization or its staff use for work."
    )
    risk_appetite: RiskAppetite = Field(
        description="conservative, balanced or permissive: sets concrete controls."
    )
    official_accounts: OfficialAccounts = Field(
        default_factory=OfficialAccounts,
        description="Who runs the official accounts and which practices they use.",
    )
    contacts: Contacts = Field(description="Roles named in the policy, with their emails.")
    policy: PolicyMeta = Field(description="The policy document's number, dates and approver.")
    branding: Branding = Field(
        default_factory=Branding, description="House style for the DOCX: reference document, logo."
    )

    @field_validator("platforms")
    @classmethod
    def _unique_platforms(cls, value: list[str]) -> list[str]:
        dupes = sorted({p for p in value if value.count(p) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return value

    def next_review(self, issued: dt.date | None = None) -> dt.date:
        """The review cycle counted from the effective date, or from a later issue date."""
        start = max(self.policy.effective_date, issued or self.policy.effective_date)
        month = start.month - 1 + self.policy.review_cycle_months
        year, month = start.year + month // 12, month % 12 + 1
        day = min(start.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
        if year > dt.MAXYEAR:
            raise ProfileError(
                f"policy.review_cycle_months: the next review after {start.isoformat()} would "
                f"fall after the year {dt.MAXYEAR}; check the dates"
            )
        return dt.date(year, month, day)


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        for arg in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
        else:
            return []
    fields = getattr(current, "model_fields", {})
    return list(fields)


def format_validation_error(
    source: str, exc: ValidationError, model: type[BaseModel] | None = None
) -> str:
    """One ``file: field.path: message`` line per problem."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            allowed = _allowed_fields(model, err["loc"][:-1]) if model else []
            hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
            msg = f"unknown field; remove it or check the spelling{hint}"
        elif err["type"] == "literal_error":
            got = repr(err["input"])
            got = got if len(got) <= 60 else got[:57] + "..."
            msg = f"{msg} (got {got})"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "int_type":
            msg = f"must be a whole number such as 250 (got {_shown(err['input'])})"
        elif err["type"] == "bool_type":
            msg = f"must be true or false (got {_shown(err['input'])})"
        msg = msg.removeprefix("Value error, ")
        lines.append(_printable(f"{source}: {loc}: {msg}"))
    return "\n".join(lines)


def _printable(line: str) -> str:
    """``line`` with control characters shown as escapes, so one problem stays one line."""
    return _ANY_CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


def migrate(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Bring an older profile up to the current schema version (in place)."""
    version = data.get("schema_version")
    if version is None:
        raise ProfileError(
            f"{source}: schema_version: required field is missing; add 'schema_version: 1'"
        )
    if not isinstance(version, int) or isinstance(version, bool):
        shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
        raise ProfileError(f"{source}: schema_version: must be a whole number, got {shown}")
    if version > CURRENT_SCHEMA_VERSION:
        raise ProfileError(
            f"{source}: schema_version: {version} is newer than this smpolicy supports "
            f"({CURRENT_SCHEMA_VERSION}); upgrade smpolicy"
        )
    if version < 1:
        raise ProfileError(f"{source}: schema_version: must be 1 or more, got {version}")
    # Version 1 is the first format; later versions add steps here, oldest first.
    return data


def parse_profile(data: Any, source: str) -> Profile:
    """Validate already-parsed YAML data as a profile."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: (top level): expected a mapping of profile fields")
    data = migrate(dict(data), source)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(format_validation_error(source, exc, Profile)) from None


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file."""
    path = Path(path)
    return parse_profile(load_yaml(path, cache=False), str(path))
