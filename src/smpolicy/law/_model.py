"""Pydantic models of a regulation pack (one YAML file per jurisdiction)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from smpolicy._types import OBLIGATION_NUMERIC, OBLIGATION_ORDERS, OrgType, Topic

ENTRY_ID = r"^[a-z]{2}(-[a-z0-9]{1,3})?(\.[a-z0-9_]+)+$"
JURISDICTION = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

EntryKind = Literal["statute", "regulation", "guidance", "case", "enforcement", "standard", "code"]
EntryStatus = Literal["in_force", "pending", "vacated", "draft", "repealed", "unverified"]
Evidence = Literal["official", "official_copy", "quoted"]
DateKind = Literal["effective", "adopted", "published", "compliance", "assumed"]
DatePrecision = Literal["day", "month", "year"]
HipaaStatus = Literal["covered_entity", "business_associate", "neither"]
CareSetting = Literal["nursing_facility", "assisted_living", "home_health", "residential_care"]
PracticeType = Literal["primary_care", "specialty"]
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
Value = int | float | str | dt.date


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a fact was read: an official source wherever one exists."""

    title: str = Field(description="Title of the source document or page.")
    url: str = Field(pattern=r"^https://", description="Address of the source (https).")
    publisher: str = Field(description="Who publishes the source (regulator, court, gazette).")


class Applicability(_Strict):
    """Whom an entry binds, beyond organization type and sector; every condition given must hold."""

    hipaa_status: list[HipaaStatus] | None = Field(
        default=None, description="Binds only organizations with one of these HIPAA statuses."
    )
    for_profit: bool | None = Field(
        default=None, description="True: for-profit organizations only; False: non-profits only."
    )
    hhs_funding: bool | None = Field(
        default=None,
        description="True: only recipients of federal financial assistance from HHS.",
    )
    min_workforce: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Binds only from this headcount up."
    )
    care_setting: list[CareSetting] | None = Field(
        default=None, description="Binds only these care settings (nursing facility, ...)."
    )
    practice_type: list[PracticeType] | None = Field(
        default=None, description="Binds only these practice types (primary care, ...)."
    )

    def met_by(self, applicant: dict[str, object]) -> bool:
        """Whether an organization with these answers is bound (see ``Applicant``)."""
        for name in type(self).model_fields:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            have = applicant.get(name)
            if name == "min_workforce":
                if not isinstance(have, int) or have < wanted:
                    return False
            elif isinstance(wanted, list):
                if have not in wanted:
                    return False
            elif have != wanted:
                return False
        return True


class PackEntry(_Strict):
    """One dated legal fact: a law, rule, guidance document, case or penalty table.

    The same ``id`` may appear more than once with non-overlapping effective
    ranges; the one in force on the build's as-of date is used.
    """

    id: str = Field(pattern=ENTRY_ID, description="Stable id, e.g. 'us.hipaa.cmp'.")
    jurisdiction: str = Field(pattern=JURISDICTION, description="ISO code, e.g. US, US-CA, EU.")
    kind: EntryKind
    topics: list[Topic] = Field(min_length=1)
    title: str = Field(description="Short name of the law, rule or document.")
    citation: str = Field(description="Formal citation, e.g. '45 CFR 164.508'.")
    source: Source
    checked: dt.date = Field(description="Date the source was last read.")
    evidence: Evidence = Field(
        description="How every statement and figure was verified: 'official' = read on the "
        "issuing body's own site (legislature, gazette, regulator, court, professional body); "
        "'official_copy' = the official text read word for word on a legal publisher (such as "
        "Cornell LII, Justia, CanLII, AustLII or BAILII); 'quoted' = the official text quoted "
        "word for word in at least two independent sources, both listed in quoted_in. "
        "Summaries by law firms or the press never suffice alone: an obligation that cannot be "
        "verified is kept with status 'unverified' and is never stated in a policy.",
    )
    quoted_in: list[Source] = Field(
        default_factory=list,
        description="For evidence 'quoted': the independent sources that quote the official "
        "text word for word (at least two).",
    )
    published: dt.date | None = Field(default=None, description="Publication date, if known.")
    effective_from: dt.date = Field(description="First day this version applies.")
    effective_to: dt.date | None = Field(
        default=None, description="Last day this version applies (superseded, vacated, repealed)."
    )
    effective_from_kind: DateKind = Field(
        default="effective",
        description="What effective_from is, as the source gives it: 'effective' (in force from), "
        "'adopted', 'published', 'compliance' (compliance required from); 'assumed' when no "
        "source gives a date (used to select the entry, never shown in a policy).",
    )
    date_precision: DatePrecision = Field(
        default="day",
        description="How precisely the source gives effective_from: a day, a month or a year "
        "(then the first day of that month or year is written, and only the month or year is "
        "shown).",
    )
    status: EntryStatus = Field(
        default="in_force",
        description="'unverified': an obligation a policy needs whose text could not be read "
        "in an official source; kept so it is listed, never stated in a policy.",
    )
    applies_if: Applicability | None = Field(
        default=None, description="Whom the entry binds, beyond applies_to and public_sector."
    )
    applies_to: list[OrgType] = Field(
        default_factory=list, description="Organization types it concerns; empty means all."
    )
    public_sector: bool | None = Field(
        default=None, description="True: public bodies only; False: private only; null: both."
    )
    summary: str = Field(
        min_length=20,
        description="What it requires, in our own words, one to three sentences. Every figure "
        "is a placeholder {key} naming one of the entry's values, so it is written in one place.",
    )
    values: dict[str, Value] = Field(
        default_factory=dict, description="Named figures (amounts, days, dates)."
    )
    obligations: dict[str, str | int] = Field(
        default_factory=dict,
        description="Controls this entry sets; stricter rule wins. A numeric obligation may be "
        "written as '{key}' to take the figure from the entry's values.",
    )
    keywords: list[str] = Field(
        default_factory=list,
        description="Distinctive terms (e.g. 'HIPAA') that must not appear in a policy "
        "for which this jurisdiction is not selected.",
    )
    note: str | None = Field(default=None, description="Maintainer note; never rendered.")

    @field_validator("values")
    @classmethod
    def _iso_dates(cls, value: dict[str, Value]) -> dict[str, Value]:
        """A value written as YYYY-MM-DD is a date, whether it came from YAML or the JSON cache."""
        return {
            key: dt.date.fromisoformat(item)
            if isinstance(item, str) and _ISO_DATE.fullmatch(item)
            else item
            for key, item in value.items()
        }

    @field_validator("obligations", mode="after")
    @classmethod
    def _known_obligations(
        cls, value: dict[str, str | int], info: ValidationInfo
    ) -> dict[str, str | int]:
        values = info.data.get("values", {})
        resolved: dict[str, str | int] = {}
        for key, raw in value.items():
            item = raw
            ref = PLACEHOLDER.fullmatch(raw) if isinstance(raw, str) else None
            if ref is not None:
                if ref.group(1) not in values:
                    raise ValueError(f"{key}: no value named {ref.group(1)!r} in values")
                found = values[ref.group(1)]
                item = found if isinstance(found, int) else str(found)
            resolved[key] = item
            if key in OBLIGATION_ORDERS:
                allowed = OBLIGATION_ORDERS[key]
                if item not in allowed:
                    raise ValueError(f"{key} must be one of {', '.join(allowed)}")
            elif key in OBLIGATION_NUMERIC:
                if not isinstance(item, int) or item <= 0:
                    raise ValueError(f"{key} must be a positive whole number")
            else:
                known = sorted([*OBLIGATION_ORDERS, *OBLIGATION_NUMERIC])
                raise ValueError(f"unknown obligation {key!r}; known: {', '.join(known)}")
        return resolved

    @model_validator(mode="after")
    def _dates_in_order(self) -> PackEntry:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        prefix = self.jurisdiction.lower().split("-")[0]
        if not self.id.startswith(prefix):
            raise ValueError(f"id must start with the jurisdiction code {prefix!r}")
        if self.evidence == "quoted" and len(self.quoted_in) < 2:
            raise ValueError("evidence 'quoted' needs at least two sources in quoted_in")
        if self.evidence != "quoted" and self.quoted_in:
            raise ValueError("quoted_in is only for evidence 'quoted'")
        unknown = sorted(set(PLACEHOLDER.findall(self.summary)) - set(self.values))
        if unknown:
            raise ValueError(f"summary: placeholder {{{unknown[0]}}} names no value in values")
        return self

    def fill(self, summary: str) -> str:
        """The summary with each {key} replaced by its value in words ('60 days', 'US$1,000')."""
        from smpolicy.compose._context import format_value  # noqa: PLC0415 - formatting lives with the context

        return PLACEHOLDER.sub(lambda m: format_value(m.group(1), self.values[m.group(1)]), summary)

    @property
    def shown_date(self) -> str | None:
        """effective_from as a policy may show it ('adopted November 2010'), or None."""
        if self.effective_from_kind == "assumed":
            return None
        from smpolicy.compose._context import long_date  # noqa: PLC0415

        if self.date_precision == "year":
            when = str(self.effective_from.year)
        elif self.date_precision == "month":
            when = self.effective_from.strftime("%B %Y")
        else:
            when = long_date(self.effective_from)
        words = {
            "effective": "in force from",
            "adopted": "adopted",
            "published": "published",
            "compliance": "compliance required from",
        }
        return f"{words[self.effective_from_kind]} {when}"

    def in_force(self, on: dt.date) -> bool:
        """Whether this version applies on ``on``."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class Terms(_Strict):
    """The jurisdiction's own vocabulary, used in definitions and throughout the text."""

    health_info: str = Field(description="e.g. 'protected health information'.")
    health_info_short: str = Field(description="e.g. 'PHI'.")
    consent: str = Field(description="e.g. 'HIPAA authorization' or 'explicit consent'.")
    privacy_regulator: str = Field(description="e.g. 'HHS Office for Civil Rights'.")
    advertising_regulator: str = Field(description="e.g. 'Federal Trade Commission'.")
    language: Literal["en-US", "en-GB", "en-CA", "en-AU"] = "en-US"


class ChangelogItem(_Strict):
    """One release of a pack."""

    version: str
    date: dt.date
    changes: list[str] = Field(min_length=1)


class RegulationPack(_Strict):
    """A dated set of legal facts for one jurisdiction (a country, a state or the EU)."""

    jurisdiction: str = Field(pattern=JURISDICTION)
    name: str = Field(description="e.g. 'United States (federal)'.")
    parent: str | None = Field(
        default=None, description="Jurisdiction this one sits inside (US for US-CA)."
    )
    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$", description="YYYY.MM.N")
    released: dt.date
    terms: Terms | None = Field(
        default=None, description="Vocabulary; required for countries and the EU."
    )
    changelog: list[ChangelogItem] = Field(min_length=1)
    entries: list[PackEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RegulationPack:
        if self.parent is None and self.terms is None:
            raise ValueError("a top-level pack needs terms")
        spans: dict[str, list[PackEntry]] = {}
        for entry in self.entries:
            if entry.jurisdiction != self.jurisdiction:
                raise ValueError(
                    f"entry {entry.id}: jurisdiction {entry.jurisdiction} "
                    f"is not the pack's ({self.jurisdiction})"
                )
            spans.setdefault(entry.id, []).append(entry)
        for entry_id, found in spans.items():
            ordered = sorted(found, key=lambda e: e.effective_from)
            for older, newer in itertools.pairwise(ordered):
                if older.effective_to is None or older.effective_to >= newer.effective_from:
                    raise ValueError(
                        f"entry {entry_id}: versions overlap; set effective_to on the older one"
                    )
        return self
