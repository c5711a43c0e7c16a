"""The variables and helper functions templates see."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smpolicy._types import ORG_TYPE_LABELS, PLATFORM_NAMES
from smpolicy.compose._clauses import ClauseFile, ClausePlan, ConditionInputs
from smpolicy.compose._mdescape import MdSafe, md_escape
from smpolicy.errors import TemplateError
from smpolicy.law._model import PackEntry, RegulationPack
from smpolicy.law._packs import FactSet
from smpolicy.profile._model import Contact, Profile

CURRENCY = {"usd": "US$", "eur": "€", "gbp": "£", "cad": "C$", "aud": "A$"}

# The organization's own word for the people it serves (singular, plural), by type.
PEOPLE_WORDS: dict[str, tuple[str, str]] = {
    "long_term_care": ("resident", "residents"),
    "payer": ("member", "members"),
    "behavioral_health": ("client", "clients"),
    "public_health": ("client", "clients"),
}
# Workforce size bands: (name, largest headcount in the band).
SIZE_BANDS: tuple[tuple[str, int], ...] = (
    ("small", 25),
    ("medium", 250),
    ("large", 2_500),
    ("very_large", 10_000_000),
)
# Controls a small team cannot run as the risk appetite sets them for larger ones: the setting
# used instead, by band and appetite (a missing appetite keeps the pack's setting).
BAND_CONTROLS: dict[str, dict[str, dict[str, str | int]]] = {
    "small": {
        "routine_post_approval": {
            "conservative": "the communications lead approves every post; a second person "
            "checks any post about health or about the people we serve",
            "balanced": "the communications lead approves every post",
        },
        "patient_content_approval": {
            "conservative": "the privacy officer, after the signed authorization is on file; "
            "legal advice is taken when the privacy officer is unsure",
        },
        "monitoring": {
            "conservative": "twice each business day, with platform notifications switched on",
            "balanced": "once each business day, with platform notifications switched on",
            "permissive": "once each business day",
        },
        "paid_promotion_review": {
            "conservative": "communications lead and privacy officer; legal advice when a claim "
            "is new",
        },
    },
    "medium": {
        "monitoring": {
            "conservative": "every 4 hours during business hours, with keyword alerts",
        },
    },
}


def format_value(key: str, value: object) -> str:
    """Human form of a pack value, by the unit its key ends in."""
    unit = key.rsplit("_", 1)[-1]
    if isinstance(value, dt.date):
        return long_date(value)
    if unit in CURRENCY and isinstance(value, int | float):
        amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{CURRENCY[unit]}{amount}"
    if unit == "pct":
        return f"{value}%"
    if unit in ("days", "hours", "years", "months"):
        return f"{value} {unit}"
    counted = isinstance(value, int) and not isinstance(value, bool)
    if counted and not key.endswith(("year", "number", "line")):
        return f"{value:,}"  # a count such as 1,000 residents; years and phone numbers as written
    return str(value)


def value_label(key: str) -> str:
    """'tier_1_min_usd' -> 'Tier 1 min'."""
    parts = key.split("_")
    if parts[-1] in (*CURRENCY, "pct", "days", "hours", "years", "months", "date"):
        parts = parts[:-1]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


_WORDS = {"max": "maximum", "min": "minimum", "pct": "", "amp": "administrative penalty"}


def value_phrase(key: str) -> str:
    """'max_fine_turnover_pct' -> 'maximum fine, as a share of turnover' (lower case)."""
    parts = key.split("_")
    share = parts[-1] == "pct"
    if parts[-1] in (*CURRENCY, "pct", "days", "hours", "years", "months", "date"):
        parts = parts[:-1]
    words = " ".join(_WORDS.get(p, p) for p in parts if _WORDS.get(p, p))
    words = words.replace(" turnover", "").strip() if share else words
    return f"{words}, as a share of annual turnover" if share else words


_CHANGE = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+) (\S+) -> (\S+?)(?=[;,]|$| )")
_EFFECTIVE = re.compile(r" \(effective \d{4}-\d{2}-\d{2}\)")


def _as_value(key: str, raw: str) -> object:
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                return raw


def reader_reason(reason: str) -> str:
    """A lock reason in the reader's words: no internal keys, no misleading entry dates."""
    reason = _EFFECTIVE.sub("", reason)
    return _CHANGE.sub(
        lambda m: (
            f"{value_phrase(m.group(1))} is now "
            f"{format_value(m.group(1), _as_value(m.group(1), m.group(3)))}"
        ),
        reason,
    )


def long_date(value: dt.date) -> str:
    """'1 January 2026' style (unambiguous in every English locale)."""
    return value.strftime("%-d %B %Y")


@dataclass
class Citations:
    """Tracks which pack entries a rendering cited, in order of first citation."""

    facts: FactSet
    used: dict[str, PackEntry] = field(default_factory=dict)

    def entry(self, ref: PackEntry | str) -> PackEntry:
        if isinstance(ref, PackEntry):
            return ref
        found = self.facts.entries.get(ref)
        if found is None:
            raise TemplateError(
                f"pack entry {ref!r} is not in force for the selected jurisdictions on "
                f"{self.facts.as_of.isoformat()}; guard it with has_fact({ref!r})"
            )
        return found

    def cite(self, ref: PackEntry | str) -> MdSafe:
        entry = self.entry(ref)
        self.used.setdefault(entry.id, entry)
        return md_escape(entry.citation)


def anchor(entry_id: str) -> MdSafe:
    """HTML id of a reference entry (letters, digits and hyphens only)."""
    return MdSafe("ref-" + entry_id.replace(".", "-").replace("_", "-"))


def link(text: object, url: str) -> MdSafe:
    """A Markdown link whose text is escaped and whose address cannot break out."""
    safe_url = "".join(
        c
        if c.isascii() and c.isprintable() and c not in " ()<>"
        else "".join(f"%{b:02X}" for b in c.encode())
        for c in url
    )
    return MdSafe(f"[{md_escape(text)}]({safe_url})")


def mail(contact: Contact) -> MdSafe:
    """'Privacy Officer (privacy@example.org)' with a mailto link."""
    email = contact.email
    return MdSafe(f"{md_escape(contact.title)} ([{md_escape(email)}](mailto:{email}))")


# Where the people served are pointed for their own questions (sections 4.1 and 4.2).
CHANNELS: dict[str, str] = {
    "payer": "member services",
    "manufacturer": "medical information",
    "public_health": "the agency information line",
    "pharmacy": "the pharmacy counter or phone line",
    "telehealth": "the app or patient portal",
    "hospital": "the patient relations office or their care team",
    "academic_medical_center": "the patient relations office or their care team",
}
DEFAULT_CHANNEL = "our phone line or front desk"

SAFETY_TEAMS: dict[str, tuple[str, str]] = {
    "medicines": ("pharmacovigilance", "Pharmacovigilance"),
    "devices": ("complaint handling and device vigilance", "Complaint handling and vigilance"),
    "both": (
        "pharmacovigilance or device vigilance, as the product requires",
        "Pharmacovigilance and device vigilance",
    ),
}


def distinct_titles(*titles: str) -> list[str]:
    """Titles with repeats left out: 'Clinic Director' is dropped beside 'Clinic Director and
    Owner', since one person holding both should be named once."""
    kept: list[str] = []
    for title in titles:
        if any(other.startswith(title + " ") for other in titles):
            continue
        if title not in kept:
            kept.append(title)
    return kept


def either(*titles: str) -> MdSafe:
    """'the Privacy Officer or the Clinical Lead', naming a person who holds both once."""
    return MdSafe(" or ".join(f"the {md_escape(t)}" for t in distinct_titles(*titles)))


def condition_inputs(profile: Profile, facts: FactSet) -> ConditionInputs:
    """What the clauses' conditions are tested against, for one profile."""
    return ConditionInputs(
        profile,
        facts,
        size_band(profile.organization.workforce_size),
        hipaa_binds(profile),
        stories_allowed(profile, facts),
        people_words(profile)[1],
        profile.organization.name,
    )


def touched_clauses(plan: ClausePlan, entry: PackEntry) -> str:
    """'section 3.7 Reporting a privacy incident': the rules resting on ``entry`` ('' if none)."""
    ids = plan.resting_on(entry)
    return plan.describe(ids) if ids else ""


def size_band(workforce: int) -> str:
    """'small' (up to 25), 'medium' (26-250), 'large' (251-2,500) or 'very_large'."""
    return next(name for name, top in SIZE_BANDS if workforce <= top)


def effective_controls(profile: Profile, controls: dict[str, Any]) -> dict[str, Any]:
    """The risk appetite's controls, adjusted to what a team of this size can run."""
    band = BAND_CONTROLS.get(size_band(profile.organization.workforce_size), {})
    result = dict(controls)
    for key, by_appetite in band.items():
        if key in result and profile.risk_appetite in by_appetite:
            result[key] = by_appetite[profile.risk_appetite]
    return result


def people_words(profile: Profile) -> tuple[str, str]:
    """The word for the people the organization serves, singular and plural."""
    care_setting = getattr(profile.organization, "care_setting", None)
    if care_setting == "home_health":
        return ("client", "clients")
    return PEOPLE_WORDS.get(profile.organization.type, ("patient", "patients"))


# Entries that state or apply the HIPAA rules: not stated for organizations HIPAA does not bind.
HIPAA_ENTRIES = ("us.hipaa.", "us.ocr.", "us.case.aha_v_becerra")


def hipaa_binds(profile: Profile) -> bool:
    """Whether HIPAA binds the organization (a covered entity or a business associate)."""
    status = profile.organization.hipaa_status
    if status is None:
        status = "neither" if profile.organization.type == "manufacturer" else "covered_entity"
    return status != "neither"


def executive_title(profile: Profile) -> str:
    """Who leads in a critical event: the approver of the policy."""
    return profile.policy.approved_by.title


def answer_conflicts(profile: Profile, facts: FactSet) -> list[str]:
    """One line per pair of profile answers that pull against each other, naming the winner.

    The policy states the resolved rule; these lines tell the person who gave the answers.
    """
    accounts = profile.official_accounts
    person, _ = people_words(profile)
    lines: list[str] = []
    testimonials = facts.obligation("testimonials")
    banned_by = (
        testimonials.entry.jurisdiction
        if testimonials is not None and testimonials.value == "prohibited"
        else None
    )
    if accounts.features_patient_stories and banned_by:
        lines.append(
            f"official_accounts.features_patient_stories is yes but the law of {banned_by} "
            f"bans testimonials about care; the law wins: {person} stories are published only "
            "where they are not testimonials, with written consent"
        )
    elif accounts.features_patient_stories and profile.risk_appetite == "conservative":
        lines.append(
            "official_accounts.features_patient_stories is yes but risk_appetite: conservative "
            f"does not use {person} testimonials; risk_appetite wins: no {person} stories "
            "without a written exception from the policy owner and the privacy officer"
        )
    rx_ban = facts.obligation("rx_promotion_to_public")
    if (
        accounts.works_with_influencers
        and profile.organization.type in ("manufacturer", "pharmacy")
        and rx_ban is not None
        and rx_ban.value == "prohibited"
    ):
        lines.append(
            "official_accounts.works_with_influencers is yes but the law of "
            f"{rx_ban.entry.jurisdiction} bans promoting prescription-only medicines to the "
            "public; the law wins: influencers never mention prescription-only products"
        )
    elif accounts.works_with_influencers and profile.risk_appetite == "conservative":
        lines.append(
            "official_accounts.works_with_influencers is yes but risk_appetite: conservative "
            "has legal counsel review every paid post; risk_appetite wins: counsel approves "
            "each influencer contract and each influencer post before it is published"
        )
    if (
        not accounts.moderates_comments
        and accounts.features_patient_stories
        and not banned_by
        and profile.risk_appetite != "conservative"
    ):
        lines.append(
            "official_accounts.moderates_comments is no but official_accounts."
            f"features_patient_stories is yes; features_patient_stories wins for those posts: "
            f"comments under a post that features a {person} are reviewed and hidden when "
            "they disclose health details"
        )
    return lines


CLINICAL_LEADS = {
    "hospital": "chief medical officer",
    "academic_medical_center": "chief medical officer",
    "clinic": "medical director",
    "dental": "lead dentist",
    "behavioral_health": "clinical director",
    "long_term_care": "senior nurse or clinical lead",
    "pharmacy": "pharmacist in charge",
    "manufacturer": "head of medical affairs",
    "payer": "medical director",
    "public_health": "medical officer",
    "telehealth": "medical director",
    "nonprofit": "medical or scientific adviser",
}


def join_words(items: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def stories_allowed(profile: Profile, facts: FactSet) -> bool:
    """Whether official accounts publish stories about the people served (conflicts resolved)."""
    testimonials = facts.obligation("testimonials")
    return (
        profile.official_accounts.features_patient_stories
        and profile.risk_appetite != "conservative"
        and not (testimonials is not None and testimonials.value == "prohibited")
    )


def _hours(count: object) -> str:
    return f"{count} hour" if count == 1 else f"{count} hours"


def clinical_lead(profile: Profile) -> str:
    """Who answers clinical questions: the head of a small organization, a lead GP, ..."""
    org = profile.organization
    if size_band(org.workforce_size) == "small":
        return profile.policy.approved_by.title
    if org.type == "clinic" and org.practice_type == "primary_care":
        return "lead GP" if "GB" in org.jurisdictions else "lead physician"
    return CLINICAL_LEADS[org.type]


def misinformation_tiers(profile: Profile, controls: dict[str, Any]) -> list[dict[str, str]]:
    """The four severity tiers: the one source for section 5, Appendix C and the flowchart."""
    comms = profile.contacts.communications_lead.title
    privacy = profile.contacts.privacy_officer.title
    lead = profile.policy.approved_by.title
    clinical = clinical_lead(profile)
    others1 = [t for t in dict.fromkeys([f"the {clinical}", f"the {lead}"]) if t != f"the {comms}"]
    others2 = [t for t in [f"the {clinical}"] if t != f"the {comms}"]
    approver1 = f"{comms}, with {join_words(others1)}" if others1 else comms
    approver2 = f"{comms}, with {join_words(others2)}" if others2 else comms
    return [
        {
            "name": "Tier 1: critical",
            "meaning": "an immediate risk to health or safety, or a false claim spreading fast "
            "during an emergency",
            "timing": f"first response within {_hours(controls['tier1_hours'])}",
            "approver": approver1,
        },
        {
            "name": "Tier 2: significant",
            "meaning": "a false claim about our services, staff or products that is spreading "
            "or could change what people do about their health",
            "timing": f"response within {_hours(controls['tier2_hours'])}",
            "approver": f"{approver2}; the {privacy} if a person could be identified",
        },
        {
            "name": "Tier 3: minor",
            "meaning": "an isolated or low-reach mistake",
            "timing": f"decision within {controls['tier3_days']} business days",
            "approver": comms,
        },
        {
            "name": "Tier 4: monitor only",
            "meaning": "satire, opinion, or a claim with no reach",
            "timing": "log it and watch; no reply",
            "approver": "the account team",
        },
    ]


def profile_conflicts(path: Path) -> list[str]:
    """The conflict lines for the profile saved at ``path`` (the law as of its effective date)."""
    from smpolicy._paths import builtin_dir  # noqa: PLC0415
    from smpolicy.law._packs import select_facts  # noqa: PLC0415
    from smpolicy.profile._model import load_profile  # noqa: PLC0415

    profile = load_profile(path)
    facts = select_facts(
        builtin_dir("regulations"),
        profile.organization.jurisdictions,
        as_of=profile.policy.effective_date,
        org_type=profile.organization.type,
        public_sector=profile.organization.public_sector,
        source=str(path),
    )
    return answer_conflicts(profile, facts)


def build_context(
    profile: Profile,
    facts: FactSet,
    controls: dict[str, Any],
    *,
    version: int,
    fingerprint: str,
    history: list[dict[str, Any]],
    flowchart_name: str = "flowchart.png",
    next_review: dt.date | None = None,
    clause_files: tuple[ClauseFile, ...] = (),
) -> tuple[dict[str, Any], Citations]:
    """Everything a template may use. Profile values are escaped on output."""
    citations = Citations(facts)
    inputs = condition_inputs(profile, facts)  # size band, HIPAA, stories: computed once
    org = profile.organization
    contacts = profile.contacts
    primary = next(iter(facts.packs.values()))
    countries: list[RegulationPack] = [p for p in facts.packs.values() if p.parent is None]
    platforms = set(profile.platforms)

    def has_fact(entry_id: str) -> bool:
        return entry_id in facts.entries

    def topic(name: str, jurisdiction: str | None = None) -> list[PackEntry]:
        found = facts.topic(name, jurisdiction)
        if not inputs.hipaa:  # the HIPAA rules do not bind this organization
            found = [e for e in found if not e.id.startswith(HIPAA_ENTRIES)]
        return found

    def has_jurisdiction(code: str) -> bool:
        return code in facts.packs

    def values_table(ref: PackEntry | str) -> list[tuple[str, str]]:
        entry = citations.entry(ref)
        return [(value_label(k), format_value(k, v)) for k, v in entry.values.items()]

    def value(ref: PackEntry | str, key: str) -> str:
        entry = citations.entry(ref)
        if key not in entry.values:
            raise TemplateError(f"pack entry {entry.id} has no value {key!r}")
        return format_value(key, entry.values[key])

    def numbers(key: str) -> list[tuple[str, str]]:
        """(number, area) pairs from the selected packs' emergency_contacts entries."""
        found: list[tuple[str, str]] = []
        for entry in facts.topic("emergency_contacts"):
            if key in entry.values:
                pair = (str(entry.values[key]), str(entry.values.get("area", "")))
                if pair not in found:
                    found.append(pair)
        return found

    def emergency_number() -> MdSafe:
        """'911', or 'the local emergency number (999 in the United Kingdom, ...)'."""
        found = numbers("emergency_number")
        if len({n for n, _ in found}) == 1:
            return md_escape(found[0][0])
        listed = ", ".join(f"{n} in {area}" for n, area in found)
        return MdSafe("the local emergency number" + (f" ({md_escape(listed)})" if found else ""))

    effective = effective_controls(profile, controls)
    terms = primary.terms
    country = countries[0].jurisdiction if countries else "US"
    if country != "US":  # "authorization" is the HIPAA word; elsewhere the law says consent
        effective = {
            k: v.replace("authorization", "consent") if isinstance(v, str) else v
            for k, v in effective.items()
        }
    person, people = people_words(profile)
    effective = {  # the settings speak of the people served in the organization's own word
        k: re.sub(r"\bpatient\b", person, re.sub(r"\bpatients\b", people, v))
        if isinstance(v, str)
        else v
        for k, v in effective.items()
    }
    hipaa = inputs.hipaa
    if country == "US" and not hipaa:  # HIPAA's words are wrong for those it does not bind
        short = "health information"
    elif terms and len(countries) == 1:
        short = terms.health_info_short
    else:
        short = f"{person} information"
    info = short.replace("patient", person) if person != "patient" else short
    band = inputs.band
    nhs_like = org.public_sector or org.type in (
        "hospital",
        "academic_medical_center",
        "clinic",
        "behavioral_health",
        "public_health",
    )
    vocab = {
        "research_board": {
            "US": "Institutional Review Board (IRB)",
            "GB": "research ethics committee",
            "CA": "research ethics board (REB)",
            "AU": "human research ethics committee (HREC)",
        }.get(country, "research ethics committee"),
        "speak_up": {
            "US": "the compliance hotline",
            "GB": "the Freedom to Speak Up Guardian"
            if nhs_like
            else "the whistleblowing procedure",
        }.get(country, "the speak-up or whistleblowing procedure"),
        "public_health_authority": {
            "US": "the state or local health department",
            "GB": "the UK Health Security Agency and the local Director of Public Health",
            "CA": "the local Medical Officer of Health"
            if "CA-ON" in facts.packs
            else "the provincial or local public health authority",
            "AU": "the state or territory health department",
        }.get(country, "the national or regional public health authority"),
        "local_laws": {
            "US": "state laws",
            "CA": "provincial laws",
            "AU": "state and territory laws",
        }.get(country, "national laws"),
    }

    def roles(text: str) -> str:
        """Generic role names in control settings replaced by the profile's titles."""
        for generic, contact in (
            ("the privacy officer", contacts.privacy_officer),
            ("privacy officer", contacts.privacy_officer),
            ("the communications lead", contacts.communications_lead),
            ("communications lead", contacts.communications_lead),
        ):
            text = text.replace(
                generic, ("the " if generic.startswith("the") else "") + contact.title
            )
        return text

    def summary(ref: PackEntry | str) -> str:
        """An entry's summary with its figures filled in from its values."""
        entry = citations.entry(ref)
        filler = getattr(entry, "fill", None)
        return str(filler(entry.summary)) if filler else entry.summary

    def figures(ref: PackEntry | str) -> str:
        """Figures of an entry its summary does not already state, in words."""
        entry = citations.entry(ref)
        shown = set(re.findall(r"\{([a-z0-9_]+)\}", entry.summary))
        text = summary(entry)
        parts = [
            f"{value_phrase(k)}: {format_value(k, v)}"
            for k, v in entry.values.items()
            if k not in shown
            and not isinstance(v, str)
            and format_value(k, v) not in text
            and str(v) not in text
            and not (isinstance(v, int) and f"{v:,}" in text)
        ]
        return "; ".join(parts)

    by_title = {e.title: e for p in facts.packs.values() for e in p.entries}

    def touched(reason: str) -> str:
        """A change to a pack entry, with the sections whose rules rest on it."""
        for title, entry in by_title.items():
            if reason.startswith(title):
                where = touched_clauses(plan, entry)
                return f"{reason} ({where})" if where else reason
        return reason

    def crisis_line() -> MdSafe:
        """The crisis line of the selected country, or 'a crisis line'."""
        found = numbers("crisis_line")
        if len(found) == 1:
            return md_escape(found[0][0])
        listed = "; ".join(f"{n} in {area}" for n, area in found)
        return MdSafe("a crisis line" + (f" ({md_escape(listed)})" if found else ""))

    stories = inputs.stories
    safety_team, safety_role = SAFETY_TEAMS[org.products or "medicines"]
    plan = ClausePlan.make(clause_files, inputs)
    context: dict[str, Any] = {
        "profile": profile,
        "org": org,
        "org_label": ORG_TYPE_LABELS[org.type],
        "is_type": lambda *types: org.type in types,
        "platforms": sorted(platforms, key=list(profile.platforms).index),
        "has_platform": lambda *names: bool(platforms.intersection(names)),
        "risk": profile.risk_appetite,
        "controls": effective,
        "tiers": misinformation_tiers(profile, effective),
        "stories": stories,
        "clause_plan": plan,
        "applies": plan.applies,
        "variant": plan.variant,
        "number": plan.number,
        "ref": plan.ref,
        "brief_on": plan.brief_on,
        "roles": roles,
        "summary": summary,
        "figures": figures,
        "join": join_words,
        "cap": lambda text: str(text)[:1].upper() + str(text)[1:],
        "platform_names": PLATFORM_NAMES,
        "named_platforms": [PLATFORM_NAMES[p] for p in profile.platforms if p != "review_sites"],
        "clin_lead": clinical_lead(profile),
        "info": info,
        "consent_term": (
            terms.consent
            if len(countries) == 1 and terms and (country != "US" or hipaa)
            else "consent"
        ),
        "hipaa": hipaa,
        # The one deadline for passing on a side effect seen online (sections, appendices).
        "safety_deadline": "on the same business day",
        # Who receives it at a manufacturer: (the team, its role in Appendix C).
        "safety_team": safety_team,
        "safety_role": safety_role,
        "channel": CHANNELS.get(org.type, DEFAULT_CHANNEL),
        "single_site": org.workforce_size <= 250,
        "band": band,
        "person": person,
        "people": people,
        "vocab": vocab,
        "country": country,
        "accounts": profile.official_accounts,
        "contacts": contacts,
        "owner": contacts.policy_owner,
        "privacy": contacts.privacy_officer,
        "comms": contacts.communications_lead,
        "security": contacts.security_contact or contacts.privacy_officer,
        "hr": contacts.hr_contact or contacts.policy_owner,
        "policy": profile.policy,
        "version": version,
        "fingerprint": fingerprint,
        "history": [
            {**row, "reasons": [touched(reader_reason(str(r))) for r in row.get("reasons", [])]}
            for row in sorted(history, key=lambda row: int(row.get("version", 0)))
        ],
        "next_review": next_review or profile.next_review(),
        "as_of": facts.as_of,
        "packs": facts.packs,
        "countries": countries,
        "terms": primary.terms,
        "jurisdictions": list(facts.packs),
        "uncovered": facts.uncovered,
        "has_jurisdiction": has_jurisdiction,
        "topic": topic,
        "has_fact": has_fact,
        "fact": citations.entry,
        "cite": citations.cite,
        "either": either,
        "cites": lambda entries: MdSafe("; ".join(citations.cite(e) for e in entries)),
        "cited": citations.used,
        "upcoming": facts.upcoming,
        "obligation": facts.obligation,
        "values_table": values_table,
        "value": value,
        "mail": mail,
        "link": link,
        "anchor": anchor,
        "long_date": long_date,
        "md": md_escape,
        "flowchart_image": MdSafe(flowchart_name),
        "emergency_number": emergency_number,
        "crisis_line": crisis_line,
    }
    return context, citations
