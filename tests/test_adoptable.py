"""A policy its organization could sign as generated: fitted, stated once, clean.

These tests read every example profile's policy as a compliance officer would: the body
within the length its size allows, no sentence stated twice, no tool leftovers, the
organization's own vocabulary, and every requirement the policy stated before the
rewrite still stated.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from smpolicy._build import render_policy
from smpolicy.compose._context import answer_conflicts
from smpolicy.profile._model import Profile, load_profile, parse_profile
from smpolicy.render._mdtree import parse_markdown

from .conftest import EXAMPLES, profile_data

EXAMPLE_PATHS = sorted(EXAMPLES.glob("*.yaml"))
IDS = [p.stem for p in EXAMPLE_PATHS]

# What a reviewer looks for, each as a pattern over the document's plain text. This list
# was written from the policies as they stood before the rewrite (version 0.1 templates).
REQUIREMENTS: dict[str, str] = {
    "identifiable_info_rule": r"identif\w+ .{0,60}(information|details)",
    "never_confirm_person": r"(confirm or deny|[Dd]o not confirm|[Nn]ever confirm)",
    "written_consent_for_stories": r"(written|signed) (consent|authori[sz]ation|agreement)",
    "minors_parent_guardian": r"parent or guardian",
    "privacy_incident_reporting": r"[Rr]eport\w* .{0,80}(immediately|at once|without delay)",
    "capture_evidence": r"(screenshot|[Cc]apture)",
    "review_replies": r"(reply|respond|replies)\w* to (online |a |an )?(reviews?|negative review)",
    "sign_in_protection": r"(authenticator|security keys|passkeys|multi-factor)",
    "organization_owned_accounts": r"organi[sz]ation-owned",
    "access_review": r"[Rr]eview of who can|who can (log|sign) in",
    "archiving": r"(archiv|retention|retain)",
    "accessibility": r"(alt text|[Cc]aption)",
    "misinformation_tiers": r"Tier 1",
    "misinformation_monitor_only": r"Tier 4",
    "training_refresher": r"[Rr]efresher",
    "sanctions": r"(disciplinary|dismissal)",
    "non_retaliation": r"retaliat",
    "protected_activity": r"working conditions",
    "report_to_regulator": r"regulator",
    "endorsement_disclosure": r"disclos\w+ .{0,80}(connection|payment|gift)",
    "fake_reviews": r"(fake|incentivi[sz]ed) reviews?",
    "patient_connections": r"(friend|connection) requests?",
    "no_individual_advice": r"(clinical|medical|individual|medication) .{0,30}advice",
    "direct_messages": r"[Dd]irect messages?",
    "personal_views_disclaimer": r"(disclaimer|my own|speak for yourself|own views)",
    "logos_uniforms": r"(logo|uniform)",
    "confidential_business_information": r"[Cc]onfidential business",
    "account_compromise": r"compromis",
    "threats_harassment": r"harass",
    "emergency_number": r"\b(911|999|000|112)\b",
    "generative_ai": r"[Gg]enerative AI",
    "community_guidelines": r"[Cc]ommunity guidelines",
    "photography_rules": r"[Pp]hotograph",
    "tracking_technologies": r"(pixel|tracking technolog)",
    "paid_advertising_review": r"[Pp]aid (posts?|advertising|promotion)",
    "review_cycle": r"at least every \d+ months",
    "acknowledgment": r"acknowledg",
    "colleague_posts": r"colleague(?:'s)? .{0,40}(posts?|posted)|colleague's post",
    "media_requests": r"(journalist|film crew|media enquir|media inquir|media request)",
    "staff_spreading_misinformation": r"(spread|share)\w* .{0,40}misinformation",
    "after_hours": r"(after[- ]hours|outside business hours)",
    "conflicts_of_interest": r"[Cc]onflicts? of interest",
    "account_inventory": r"(inventory|register of .{0,20}accounts)",
    "post_approval": r"approv\w+ .{0,60}(post|publication)",
    "investigations": r"[Ii]nvestigat",
    "influencers": r"[Ii]nfluencer",
    "crisis_line": r"crisis line|\b988\b|Samaritans|Lifeline|116 123|9-8-8",
    "not_legal_advice": r"[Nn]ot legal advice",
}
# Requirements the pre-rewrite policy of an example did not state (so are not demanded).
NOT_STATED_BEFORE: dict[str, set[str]] = {
    "brightpath-home-health": {"minors_parent_guardian"},
    "county-public-health": {"minors_parent_guardian"},
    "harbour-pharmacy": {"minors_parent_guardian", "endorsement_disclosure", "crisis_line"},
    "millbrook-gp-surgery": {"minors_parent_guardian", "crisis_line"},
    "mindbridge-behavioral": {"minors_parent_guardian"},
    "northside-clinic": {"crisis_line"},
    "novamed-pharma": {"minors_parent_guardian", "endorsement_disclosure", "crisis_line"},
    "oakridge-care-home": {"crisis_line"},
}

# Words that belong to hospitals; none may appear in another kind of organization's policy.
HOSPITAL_ONLY = [
    r"\bwards?\b",
    r"\bwristbands?\b",
    r"\bbedside\b",
    r"\binpatients?\b",
    r"\bemergency department\b",
    r"\boperating (room|theatre)s?\b",
    r"\bintensive care\b",
    r"\bclinical privileges\b",
    r"\bmedical staff office\b",
    r"\bdifficult shift\b",
    r"#HeartHealthMonth",
]
HOSPITAL_TYPES = {"hospital", "academic_medical_center"}
# US terms that must not appear in a policy for the UK or Canada only.
US_ONLY_TERMS = [
    r"\bclinical privileges\b",
    r"\bcompliance hotline\b",
    r"[Ss]tate and provincial laws",
    r"\bHIPAA\b",
]
# Tool leftovers and profile field names.
LEFTOVERS = [
    r"smpolicy",
    r"[Pp]repared with",
    r"\bbuild [0-9a-f]{8,}",
    r"\b(risk_appetite|features_patient_stories|workforce_size|public_sector|managed_by|"
    r"after_hours_monitoring|moderates_comments|uses_paid_advertising|works_with_influencers|"
    r"official_accounts|review_cycle_months|effective_date)\b",
    r"\b[A-Z][a-z]+( [a-z]+)*: \d+%",  # a raw key-value cell such as "Max fine turnover: 4%"
    r"(?<!\.)\.\.(?!\.)",
    r"\{:",
]
# The word each kind of organization uses for the people it serves.
PEOPLE_WORD = {
    "long_term_care": "resident",
    "payer": "member",
    "behavioral_health": "client",
    "public_health": "client",
}


def size_limit(workforce: int) -> int:
    """The most words the policy body may have for a workforce of this size."""
    if workforce <= 50:
        return 5_000
    if workforce <= 1_000:
        return 8_000
    return 12_000


@cache
def policy(stem: str) -> str:
    path = EXAMPLES / f"{stem}.yaml"
    return render_policy(load_profile(path)).markdown


@cache
def profile(stem: str) -> Profile:
    return load_profile(EXAMPLES / f"{stem}.yaml")


def plain(markdown: str) -> str:
    root = parse_markdown(markdown)
    return " ".join(" ".join("".join(e.itertext()).split()) for e in root)


def body(markdown: str) -> str:
    """The sections before the appendices, without the legal references."""
    start = re.search(r"^# (1\.? )?Purpose", markdown, re.M)
    end = re.search(r"^## (\d+\.\d+ )?Legal references", markdown, re.M)
    assert start and end, "policy has no body"
    return markdown[start.start() : end.start()]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s.strip()]


@pytest.mark.parametrize("stem", IDS)
def test_body_length_fits_the_size_band(stem: str) -> None:
    words = len(plain(body(policy(stem))).split())
    limit = size_limit(profile(stem).organization.workforce_size)
    assert words <= limit, f"{stem}: body has {words} words, more than {limit}"


@pytest.mark.parametrize("stem", IDS)
def test_no_long_sentence_is_stated_twice(stem: str) -> None:
    seen: dict[str, int] = {}
    for sentence in sentences(plain(policy(stem))):
        if len(sentence.split()) >= 15:
            key = " ".join(sentence.lower().split())
            seen[key] = seen.get(key, 0) + 1
    repeated = [s for s, n in seen.items() if n > 1]
    assert not repeated, f"{stem}: stated twice: {repeated[:3]}"


@pytest.mark.parametrize("stem", IDS)
def test_no_tool_or_field_names(stem: str) -> None:
    markdown = policy(stem)
    text = plain(markdown)
    for pattern in LEFTOVERS:
        found = re.search(pattern, text) or re.search(pattern, markdown)
        assert not found, f"{stem}: {found.group()!r}"


@pytest.mark.parametrize("stem", IDS)
def test_no_hospital_terms_outside_hospitals(stem: str) -> None:
    if profile(stem).organization.type in HOSPITAL_TYPES:
        pytest.skip("a hospital may use hospital words")
    text = plain(body(policy(stem)) + policy(stem).split("\n# Appendix A", 1)[-1])
    for pattern in HOSPITAL_ONLY:
        found = re.search(pattern, text)
        assert not found, f"{stem}: hospital term {found.group()!r}"


@pytest.mark.parametrize("stem", IDS)
def test_no_us_terms_outside_the_us(stem: str) -> None:
    codes = profile(stem).organization.jurisdictions
    if any(code.startswith("US") for code in codes):
        pytest.skip("covers the United States")
    text = plain(policy(stem))
    for pattern in US_ONLY_TERMS:
        found = re.search(pattern, text)
        assert not found, f"{stem}: US term {found.group()!r}"


@pytest.mark.parametrize("stem", IDS)
def test_people_served_are_named_in_the_organization_s_words(stem: str) -> None:
    org = profile(stem).organization
    org_type = org.type
    text = plain(body(policy(stem)) + policy(stem).partition("\n# Appendix A")[2])
    word = "client" if org.care_setting == "home_health" else PEOPLE_WORD.get(org_type)
    if word is None:
        if org_type != "manufacturer":  # a device maker may have no patients of its own
            assert len(re.findall(r"\bpatients?\b", text, re.I)) >= 10, f"{stem}: few patients"
        return
    assert len(re.findall(rf"\b{word}s?\b", text, re.I)) >= 10, f"{stem}: few {word}s"
    patients = re.findall(r"\bpatients?\b", text, re.I)
    assert len(patients) <= 2, f"{stem}: 'patient' used {len(patients)} times for {word}s"


@pytest.mark.parametrize("stem", IDS)
def test_every_requirement_stated_before_is_still_stated(stem: str) -> None:
    text = plain(policy(stem))
    missing = [
        name
        for name, pattern in REQUIREMENTS.items()
        if name not in NOT_STATED_BEFORE.get(stem, set()) and not re.search(pattern, text)
    ]
    assert not missing, f"{stem}: no longer states {missing}"


def test_uk_vocabulary() -> None:
    text = plain(policy("millbrook-gp-surgery"))
    for term in ("Caldicott Guardian", "Data Protection Officer", "Freedom to Speak Up"):
        assert term in text, term


def test_ontario_vocabulary() -> None:
    text = plain(policy("lakeshore-academic"))
    assert "Medical Officer of Health" in text


def test_hipaa_words_only_where_hipaa_binds() -> None:
    text = plain(body(policy("precision-devices")))
    assert "PHI" not in text and "HIPAA" not in text
    assert "PHI" in plain(body(policy("corner-drug")))


def test_home_health_serves_clients() -> None:
    text = plain(body(policy("brightpath-home-health")))
    assert len(re.findall(r"\bclients?\b", text)) >= 10
    assert not re.search(r"\bresidents?\b", text)


def test_us_research_vocabulary() -> None:
    text = plain(policy("community-hospital"))
    assert "IRB" in text or "Institutional Review Board" in text
    assert "research ethics committee" not in text


CONFLICTS = [
    (
        {"official_accounts__features_patient_stories": True, "risk_appetite": "conservative"},
        ["features_patient_stories", "risk_appetite"],
    ),
    (
        {
            "official_accounts__features_patient_stories": True,
            "organization__jurisdictions": ["AU"],
        },
        ["features_patient_stories", "AU"],
    ),
    (
        {
            "official_accounts__works_with_influencers": True,
            "official_accounts__features_patient_stories": False,
            "risk_appetite": "conservative",
        },
        ["works_with_influencers", "risk_appetite"],
    ),
    (
        {
            "official_accounts__moderates_comments": False,
            "official_accounts__features_patient_stories": True,
            "risk_appetite": "balanced",
        },
        ["moderates_comments", "features_patient_stories"],
    ),
]


@pytest.mark.parametrize(("changes", "names"), CONFLICTS)
def test_conflicting_answers_give_one_line(changes: dict[str, object], names: list[str]) -> None:
    prof = parse_profile(profile_data(**changes), "test.yaml")
    rendered = render_policy(prof)
    lines = answer_conflicts(prof, rendered.facts)
    assert len(lines) == 1, lines
    assert "\n" not in lines[0] and " wins" in lines[0]
    for name in names:
        assert name in lines[0]


def test_no_conflict_no_line() -> None:
    prof = parse_profile(profile_data(), "test.yaml")
    assert answer_conflicts(prof, render_policy(prof).facts) == []


def test_build_prints_the_conflict(tmp_path: Path, make_profile) -> None:
    from click.testing import CliRunner

    from smpolicy.cli import cli

    path = make_profile(
        official_accounts__features_patient_stories=True, risk_appetite="conservative"
    )
    result = CliRunner().invoke(
        cli, ["build", str(path), "--out", str(tmp_path / "out"), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if " wins" in line]
    assert len(warnings) == 1 and "features_patient_stories" in warnings[0]


def test_scheduled_changes_render_as_a_table() -> None:
    import datetime as dt

    rendered = render_policy(profile("smile-dental"), as_of=dt.date(2024, 6, 1))
    root = parse_markdown(rendered.markdown)
    blocks = list(root)
    at = next(
        i for i, e in enumerate(blocks) if "Changes already scheduled" in "".join(e.itertext())
    )
    following = [e.tag for e in blocks[at + 1 : at + 4]]
    assert "table" in following, following
    assert not any("|---" in "".join(e.itertext()) for e in root if e.tag == "p")


def test_revision_history_in_version_order_in_the_reader_s_words() -> None:
    import datetime as dt

    history = [
        {
            "version": 2,
            "date": dt.date(2027, 3, 1),
            "reasons": [
                "HIPAA Breach Notification Rule changed (effective 2009-09-23): "
                "hhs_notice_500_plus_max_days 60 -> 30"
            ],
        },
        {"version": 1, "date": dt.date(2026, 12, 1), "reasons": ["First issue"]},
    ]
    markdown = render_policy(profile("smile-dental"), history=history, version=2).markdown
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$", markdown, re.M)
    assert [r[0] for r in rows] == ["1", "2"]
    assert rows[0][1].strip() == "1 December 2026" and rows[1][1].strip() == "1 March 2027"
    assert "hhs_notice" not in rows[1][2] and "effective 2009" not in rows[1][2]
    assert "is now 30 days" in rows[1][2]


def test_section_numbers_in_the_markdown() -> None:
    markdown = policy("smile-dental")
    assert re.search(r"^# 3\. Privacy and confidentiality$", markdown, re.M)
    assert re.search(r"^## 3\.2 ", markdown, re.M)
    assert re.search(r"^# Appendix A\. ", markdown, re.M)
    root = parse_markdown(markdown)
    classes = {"".join(e.itertext()): e.get("class") for e in root if e.tag == "h1"}
    assert classes["Privacy and confidentiality"] is None  # writers add the number themselves
    assert classes["Social Media Policy"] == "title"
    assert any(c == "appendix" for c in classes.values())


@pytest.mark.parametrize("stem", IDS)
def test_one_deadline_for_side_effects_seen_online(stem: str) -> None:
    deadlines = set()
    for sentence in sentences(plain(policy(stem))):
        if re.search(r"side effect|adverse event", sentence, re.I):
            deadlines.update(
                re.findall(
                    r"within \d+ (?:hours|business days?)|(?:same|one) business day", sentence
                )
            )
    assert deadlines <= {"same business day"}, f"{stem}: {deadlines}"


def test_revision_history_names_the_sections_a_change_touches() -> None:
    import datetime as dt

    history = [
        {"version": 1, "date": dt.date(2026, 12, 1), "reasons": ["First issue"]},
        {
            "version": 2,
            "date": dt.date(2027, 3, 1),
            "reasons": [
                "HIPAA Breach Notification Rule changed: hhs_notice_500_plus_max_days 60 -> 30"
            ],
        },
    ]
    markdown = render_policy(profile("smile-dental"), history=history, version=2).markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| 2 |"))
    assert "(section 3.7 Reporting a privacy incident)" in row, row


@pytest.mark.parametrize("stem", ["smile-dental", "millbrook-gp-surgery", "lakeshore-academic"])
def test_flowchart_roles_are_those_of_section_5(stem: str) -> None:
    from smpolicy.compose._context import effective_controls, misinformation_tiers

    prof = profile(stem)
    rendered = render_policy(prof)
    controls = effective_controls(prof, rendered.template_pack.controls_for(prof.risk_appetite))
    section5 = rendered.markdown.split("## 5.1 ", 1)[1].split("## 5.2 ", 1)[0]
    for tier in misinformation_tiers(prof, controls):
        row = next(line for line in section5.splitlines() if line.startswith(f"| {tier['name']}"))
        assert tier["approver"][1:] in row and tier["timing"][1:] in row, (tier, row)


def test_wizard_prints_the_conflict(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from smpolicy.cli import cli

    from .conftest import write_yaml

    answers = write_yaml(
        tmp_path / "answers.yaml",
        profile_data(
            official_accounts__features_patient_stories=True, risk_appetite="conservative"
        ),
    )
    target = tmp_path / "new.yaml"
    result = CliRunner().invoke(cli, ["wizard", str(target), "--answers", str(answers)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if " wins" in line]
    assert len(warnings) == 1 and "risk_appetite wins" in warnings[0]
