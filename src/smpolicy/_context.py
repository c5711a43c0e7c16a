"""The variables and helper functions templates see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ._mdescape import MdSafe, md_escape
from ._packmodel import PackEntry, RegulationPack
from ._profile import Contact, Profile
from ._regpack import FactSet
from ._types import ORG_TYPE_LABELS
from .errors import TemplateError

CURRENCY = {"usd": "US$", "eur": "€", "gbp": "£", "cad": "C$", "aud": "A$"}


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
    return str(value)


def value_label(key: str) -> str:
    """'tier_1_min_usd' -> 'Tier 1 min'."""
    parts = key.split("_")
    if parts[-1] in (*CURRENCY, "pct", "days", "hours", "years", "months", "date"):
        parts = parts[:-1]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


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
        return MdSafe(f"[{md_escape(entry.citation)}](#{anchor(entry.id)})")


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
) -> tuple[dict[str, Any], Citations]:
    """Everything a template may use. Profile values are escaped on output."""
    citations = Citations(facts)
    org = profile.organization
    contacts = profile.contacts
    primary = next(iter(facts.packs.values()))
    countries: list[RegulationPack] = [p for p in facts.packs.values() if p.parent is None]
    platforms = set(profile.platforms)

    def has_fact(entry_id: str) -> bool:
        return entry_id in facts.entries

    def topic(name: str, jurisdiction: str | None = None) -> list[PackEntry]:
        return facts.topic(name, jurisdiction)

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

    def crisis_line() -> MdSafe:
        """The crisis line of the selected country, or 'a crisis line'."""
        found = numbers("crisis_line")
        if len(found) == 1:
            return md_escape(found[0][0])
        listed = "; ".join(f"{n} in {area}" for n, area in found)
        return MdSafe("a crisis line" + (f" ({md_escape(listed)})" if found else ""))

    context: dict[str, Any] = {
        "profile": profile,
        "org": org,
        "org_label": ORG_TYPE_LABELS[org.type],
        "is_type": lambda *types: org.type in types,
        "platforms": sorted(platforms, key=list(profile.platforms).index),
        "has_platform": lambda *names: bool(platforms.intersection(names)),
        "risk": profile.risk_appetite,
        "controls": controls,
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
        "history": history,
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
