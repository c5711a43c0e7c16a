"""The policy's rules (clauses) as data, and the plan that numbers them for one profile.

Each rule is one file, ``templates/clauses/<NN-section>/<NN-name>.yaml`` (in the manner of
ComplianceAsCode's ``rule.yml``): its id, title, audience, the conditions under which it
applies, the regulation-pack topics and obligations it rests on, its wording (Jinja, rendered
with the policy's context, or one of several variants chosen by conditions) and, for rules
every member of staff must know, the short form the staff guide states.

A section template includes ``clauses/<NN-section>``: the loader assembles that template from
the folder, in file order, each clause under its own heading. A user template pack may
replace one clause by holding a file of the same name. Before rendering, :class:`ClausePlan`
decides which clauses apply to the profile, which variant each uses and what number each
gets, so that other text refers to a rule by ``ref('privacy.consent')`` ("section 3.2")
instead of restating it, and ``check`` and the revision history can name the rules a
regulation change touches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smpolicy._types import ORG_TYPES, PLATFORMS, RISK_APPETITES
from smpolicy._yaml import load_yaml
from smpolicy.compose._mdescape import MdSafe
from smpolicy.errors import TemplateError

if TYPE_CHECKING:  # pragma: no cover
    from smpolicy.law._model import PackEntry
    from smpolicy.law._packs import FactSet
    from smpolicy.profile._model import Profile

Audience = Literal["everyone", "clinicians", "account_managers", "managers", "leadership"]
Band = Literal["small", "medium", "large", "very_large"]
GuideGroup = Literal["protect", "boundaries", "own_accounts", "report", "breaches"]
Scalar = str | int | bool

_ID = r"^[a-z]+(\.[a-z0-9-]+)+$"
_FILE = re.compile(r"^(\d{2})-[a-z0-9-]+\.yaml$")
_SECTION = re.compile(r"^(\d{2})-[a-z0-9-]+$")


class Condition(BaseModel):
    """When a clause (or one of its variants) applies: every field given must hold.

    A list holds when any of its items matches; ``unless`` holds when its own condition
    does not.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_type: tuple[str, ...] = ()
    band: tuple[Band, ...] = ()
    country: tuple[str, ...] = ()
    jurisdiction: tuple[str, ...] = ()
    appetite: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()
    public_sector: bool | None = None
    hipaa: bool | None = None
    stories: bool | None = None
    answers: dict[str, Scalar] = Field(default_factory=dict)
    obligation: dict[str, str] = Field(default_factory=dict)
    unless: Condition | None = None

    @model_validator(mode="after")
    def _known_words(self) -> Condition:
        for name, allowed in (
            ("org_type", ORG_TYPES),
            ("appetite", RISK_APPETITES),
            ("platform", PLATFORMS),
        ):
            for item in getattr(self, name):
                if item not in allowed:
                    raise ValueError(f"{name}: unknown value {item!r}; one of {', '.join(allowed)}")
        for path in self.answers:
            _answer_field(path)
        return self


class Variant(BaseModel):
    """One wording of a clause, used when ``when`` holds (the last may have no condition).

    The first variant whose condition holds is used; the clause's ``text``, if any, follows it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Condition | None = None
    text: str
    brief: str | None = None


class RestsOn(BaseModel):
    """The regulation-pack topics and obligations a clause rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()


class Brief(BaseModel):
    """A short form of the clause for the staff guide, under one of its headings.

    Without ``text``, the chosen variant's ``brief`` is used; ``when`` limits it further.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: GuideGroup
    order: int = Field(ge=0, le=99)
    when: Condition | None = None
    text: str | None = None


class Clause(BaseModel):
    """One rule of the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1, max_length=120)
    audience: Audience
    applies: Condition | None = None
    rests_on: RestsOn = RestsOn()
    text: str | None = None
    variants: tuple[Variant, ...] = ()
    briefs: tuple[Brief, ...] = ()

    @model_validator(mode="after")
    def _one_wording(self) -> Clause:
        if self.text is None and not self.variants:
            raise ValueError("give its text, its variants, or both (the text follows the variant)")
        if self.variants and any(v.when is None for v in self.variants[:-1]):
            raise ValueError("only the last variant may have no 'when'")
        for brief in self.briefs:
            if brief.text is None and not any(v.brief for v in self.variants):
                raise ValueError("briefs: give each its text (or a brief in the variants)")
        return self

    def heading(self) -> str:
        """The title as Jinja: ``{people}`` and ``{org}`` become the profile's words."""
        return self.title.replace("{people}", "{{ people }}").replace("{org}", "{{ org.name }}")

    def plain_title(self, people: str, org: str) -> str:
        return self.title.replace("{people}", people).replace("{org}", org)


@dataclass(frozen=True)
class ClauseFile:
    section: str
    """The section folder, for example ``03-privacy``."""
    name: str
    """The file name, for example ``02-consent.yaml``."""
    path: Path
    clause: Clause

    @property
    def section_number(self) -> int:
        return int(self.section[:2])


def _answer_field(path: str) -> None:
    """Refuse a dotted profile path that names no field."""
    from smpolicy.profile._model import Profile  # noqa: PLC0415

    model: Any = Profile
    for part in path.split("."):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            raise ValueError(f"answers: {path!r} is not a profile field")
        annotation = fields[part].annotation
        model = annotation if isinstance(annotation, type) else None


def _profile_answer(profile: Profile, path: str) -> Any:
    value: Any = profile
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


# Loading ---------------------------------------------------------------------------------

_LOADED: dict[tuple[tuple[str, int], ...], tuple[ClauseFile, ...]] = {}


def clause_files(search: list[Path]) -> tuple[ClauseFile, ...]:
    """Every clause of the packs in ``search`` (first folder wins per file name), in order."""
    found: dict[tuple[str, str], Path] = {}
    for base in reversed(search):
        folder = base / "clauses"
        if not folder.is_dir():
            continue
        for section_dir in sorted(folder.iterdir()):
            if not section_dir.is_dir():
                continue
            if not _SECTION.match(section_dir.name):
                raise TemplateError(
                    f"{section_dir}: a clause folder is named NN-name (for example 03-privacy)"
                )
            for path in sorted(section_dir.iterdir()):
                if not _FILE.match(path.name):
                    raise TemplateError(
                        f"{path}: a clause file is named NN-name.yaml (for example 02-consent.yaml)"
                    )
                found[(section_dir.name, path.name)] = path
    key = tuple((str(p), p.stat().st_mtime_ns) for _, p in sorted(found.items()))
    cached = _LOADED.get(key)
    if cached is not None:
        return cached
    files = []
    seen: dict[str, Path] = {}
    for (section, name), path in sorted(found.items()):
        try:
            clause = Clause.model_validate(load_yaml(path))
        except ValidationError as exc:
            from smpolicy.profile._model import format_validation_error  # noqa: PLC0415

            raise TemplateError(format_validation_error(str(path), exc)) from None
        if clause.id in seen:
            raise TemplateError(
                f"{path}: id: {clause.id!r} is also the id of {seen[clause.id]}; give it its own"
            )
        seen[clause.id] = path
        files.append(ClauseFile(section, name, path, clause))
    result = _LOADED[key] = tuple(files)
    return result


def section_source(files: tuple[ClauseFile, ...], section: str) -> str:
    """The Jinja source of a section's clauses: each under its heading, when it applies."""
    parts: list[str] = []
    for item in files:
        if item.section != section:
            continue
        clause = item.clause
        parts.append(f"{{% if applies({clause.id!r}) %}}\n## {clause.heading()}\n\n")
        parts.extend(_wording(clause, clause.text))
        parts.append("{% endif %}\n")
    if not parts:
        raise TemplateError(f"clauses/{section}: no clause files in this section")
    return "".join(parts)


def guide_source(files: tuple[ClauseFile, ...], group: str) -> str:
    """The staff guide's bullets of one group: each applying clause's short form, in order."""
    items = sorted(
        (
            (brief.order, item.clause.id, k, item.clause, brief)
            for item in files
            for k, brief in enumerate(item.clause.briefs)
            if brief.group == group
        ),
        key=lambda row: (row[0], row[1], row[2]),
    )
    parts: list[str] = []
    for _order, clause_id, k, clause, brief in items:
        parts.append(f"{{% if brief_on({clause_id!r}, {k}) %}}\n")
        if brief.text is not None:
            parts.append(_bullet(brief.text, clause_id))
        else:
            for n, variant in enumerate(clause.variants):
                word = "if" if n == 0 else "elif"
                parts.append(f"{{% {word} variant({clause_id!r}) == {n} %}}\n")
                if variant.brief:
                    parts.append(_bullet(variant.brief, clause_id))
            parts.append("{% endif %}\n")
        parts.append("{% endif %}\n")
    return "".join(parts)


def audience_source(files: tuple[ClauseFile, ...], audience: str) -> str:
    """Every applying clause addressed to ``audience``, in policy order, each under a heading
    that gives its number in the policy; sections named in ``skip_sections`` are left out."""
    parts: list[str] = []
    for item in files:
        clause = item.clause
        if clause.audience != audience:
            continue
        parts.append(
            f"{{% if applies({clause.id!r}) and {item.section!r} not in skip_sections %}}\n"
            f"## {clause.heading()} (policy {{{{ ref({clause.id!r}) }}}})\n\n"
        )
        text = None if clause.text is None else clause.text.rstrip("\n") + "\n\n"
        parts.extend(_wording(clause, text))
        parts.append("{% endif %}\n")
    return "".join(parts)


def _wording(clause: Clause, text: str | None) -> list[str]:
    """The clause's chosen variant (a chain of conditions on its plan), then ``text``."""
    parts: list[str] = []
    for k, variant in enumerate(clause.variants):
        word = "if" if k == 0 else "elif"
        parts.append(f"{{% {word} variant({clause.id!r}) == {k} %}}\n{variant.text}")
    if clause.variants:
        parts.append("{% endif %}\n")
    if text is not None:
        parts.append(text)
    return parts


def _bullet(text: str, clause_id: str) -> str:
    body = text.strip()
    return f"- {body} ({{{{ number({clause_id!r}) }}}})\n"


# The plan for one profile -------------------------------------------------------------------


@dataclass
class ClausePlan:
    """Which clauses apply to one profile, with their variants and numbers."""

    files: tuple[ClauseFile, ...]
    by_id: dict[str, Clause] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    briefs: dict[str, tuple[bool, ...]] = field(default_factory=dict)

    @classmethod
    def make(cls, files: tuple[ClauseFile, ...], inputs: ConditionInputs) -> ClausePlan:
        plan = cls(files, {item.clause.id: item.clause for item in files})
        counters: dict[int, int] = {}
        for item in files:
            clause = item.clause
            if clause.applies is not None and not inputs.holds(clause.applies):
                continue
            if clause.variants:
                chosen = next(
                    (
                        k
                        for k, v in enumerate(clause.variants)
                        if v.when is None or inputs.holds(v.when)
                    ),
                    None,
                )
                if chosen is None:
                    continue  # no wording fits this organization: the clause is left out
                plan.variants[clause.id] = chosen
            section = item.section_number
            counters[section] = counters.get(section, 0) + 1
            plan.numbers[clause.id] = f"{section}.{counters[section]}"
            plan.titles[clause.id] = clause.plain_title(inputs.people, inputs.org_name)
            plan.briefs[clause.id] = tuple(
                b.when is None or inputs.holds(b.when) for b in clause.briefs
            )
        return plan

    def brief_on(self, clause_id: str, k: int) -> bool:
        """Whether the staff guide states short form ``k`` of the clause."""
        return clause_id in self.numbers and self.briefs[clause_id][k]

    def clause(self, clause_id: str) -> Clause:
        found = self.by_id.get(clause_id)
        if found is None:
            raise TemplateError(f"unknown clause id {clause_id!r} (see templates/clauses)")
        return found

    def applies(self, clause_id: str) -> bool:
        self.clause(clause_id)
        return clause_id in self.numbers

    def variant(self, clause_id: str) -> int:
        return self.variants.get(clause_id, -1)

    def number(self, clause_id: str) -> MdSafe:
        """'3.2' (Markdown-safe: it is inserted into text as it is)."""
        if clause_id not in self.numbers:
            self.clause(clause_id)
            raise TemplateError(
                f"clause {clause_id!r} does not apply to this organization, so the text cannot "
                f"refer to it; guard the reference with applies({clause_id!r})"
            )
        return MdSafe(self.numbers[clause_id])

    def ref(self, clause_id: str) -> MdSafe:
        """'section 3.2'."""
        return MdSafe("section " + self.number(clause_id))

    def resting_on(self, entry: PackEntry) -> list[str]:
        """The ids of the applying clauses that rest on ``entry`` (its topics or obligations)."""
        keys = set(entry.obligations)
        found = []
        for item in self.files:
            clause = item.clause
            if clause.id not in self.numbers:
                continue
            rests = clause.rests_on
            if set(rests.topics) & set(entry.topics) or set(rests.obligations) & keys:
                found.append(clause.id)
        return found

    def describe(self, clause_ids: list[str]) -> str:
        """'section 3.7 (Reporting a privacy incident)', or several such."""
        parts = [f"{self.numbers[c]} {self.titles[c]}" for c in clause_ids]
        word = "section" if len(parts) == 1 else "sections"
        return f"{word} " + "; ".join(parts)

    def index(self) -> dict[str, tuple[str, str]]:
        """Each applying clause's number and title, by id (kept in the policy's record)."""
        return {c: (self.numbers[c], self.titles[c]) for c in self.numbers}


@dataclass(frozen=True)
class ConditionInputs:
    """What conditions are tested against: the profile and the facts selected for it."""

    profile: Profile
    facts: FactSet
    band: str
    hipaa: bool
    stories: bool
    people: str
    org_name: str

    def holds(self, cond: Condition) -> bool:
        org = self.profile.organization
        countries = {code.split("-")[0] for code in self.facts.packs}
        checks = [
            not cond.org_type or org.type in cond.org_type,
            not cond.band or self.band in cond.band,
            not cond.country or bool(countries & set(cond.country)),
            not cond.jurisdiction or bool(set(self.facts.packs) & set(cond.jurisdiction)),
            not cond.appetite or self.profile.risk_appetite in cond.appetite,
            not cond.platform or bool(set(self.profile.platforms) & set(cond.platform)),
            cond.public_sector is None or org.public_sector == cond.public_sector,
            cond.hipaa is None or self.hipaa == cond.hipaa,
            cond.stories is None or self.stories == cond.stories,
        ]
        for path, expected in cond.answers.items():
            checks.append(_profile_answer(self.profile, path) == expected)
        for key, expected in cond.obligation.items():
            found = self.facts.obligation(key)
            checks.append(found is not None and (expected == "any" or str(found.value) == expected))
        if cond.unless is not None:
            checks.append(not self.holds(cond.unless))
        return all(checks)
