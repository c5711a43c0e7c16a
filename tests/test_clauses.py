"""The policy's rules kept as data (templates/clauses): loading, conditions, numbers, refs.

Each clause is stated once, under its own heading, with the number its plan gives; other text
refers to it by that number; its conditions choose whether and how it is stated; the staff
guide states each rule's short form with the number of the section that holds it.
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from smpolicy._build import clause_plan, render_policy
from smpolicy._paths import builtin_dir
from smpolicy._types import OBLIGATION_NUMERIC, OBLIGATION_ORDERS, TOPICS
from smpolicy.compose._clauses import ClausePlan
from smpolicy.compose._templates import TemplatePack
from smpolicy.errors import TemplateError
from smpolicy.profile._model import Profile, load_profile, parse_profile

from .conftest import EXAMPLES, profile_data

IDS = [p.stem for p in sorted(EXAMPLES.glob("*.yaml"))]
BUILTIN = builtin_dir("templates")


@cache
def example(stem: str) -> Profile:
    return load_profile(EXAMPLES / f"{stem}.yaml")


@cache
def plan_of(stem: str) -> ClausePlan:
    profile = example(stem)
    return clause_plan(profile, as_of=profile.policy.effective_date)


@cache
def rendered(stem: str) -> tuple[str, str]:
    result = render_policy(example(stem))
    return result.markdown, result.documents["staff-guide"]


def test_every_builtin_clause_loads_with_a_unique_id() -> None:
    files = TemplatePack.load(BUILTIN).clauses()
    assert len(files) >= 45
    ids = [f.clause.id for f in files]
    assert len(ids) == len(set(ids))
    for item in files:
        assert set(item.clause.rests_on.topics) <= set(TOPICS), item.path
        assert set(item.clause.rests_on.obligations) <= set(OBLIGATION_ORDERS) | set(
            OBLIGATION_NUMERIC
        ), item.path


def test_every_topic_and_obligation_a_clause_uses_is_declared() -> None:
    """check and the revision history name a clause only if it lists what it rests on."""
    for item in TemplatePack.load(BUILTIN).clauses():
        text = item.path.read_text()
        used_topics = set(re.findall(r"topic\('([a-z_]+)'", text))
        used_obligations = set(re.findall(r"obligation\('([a-z_0-9]+)'", text))
        rests = item.clause.rests_on
        assert used_topics <= set(rests.topics), (item.path, used_topics - set(rests.topics))
        assert used_obligations <= set(rests.obligations), item.path


@pytest.mark.parametrize("stem", IDS)
def test_each_clause_is_stated_once_under_the_number_its_plan_gives(stem: str) -> None:
    from smpolicy._build import policy_language
    from smpolicy.compose._spelling import respell_word

    result = render_policy(example(stem))
    language = policy_language(result.facts)
    plan = plan_of(stem)
    assert plan.numbers, stem
    for clause_id, number in plan.numbers.items():
        title = " ".join(respell_word(w, language) for w in plan.titles[clause_id].split(" "))
        heading = f"\n## {number} {title}\n"
        assert result.markdown.count(heading) == 1, (stem, clause_id, heading)


@pytest.mark.parametrize("stem", IDS)
def test_every_section_reference_names_a_heading_of_the_policy(stem: str) -> None:
    markdown, guide = rendered(stem)
    headings = set(re.findall(r"^#{2,3} (\d+\.\d+(?:\.\d+)?) ", markdown, re.M))
    # the policy's own sections are 1 to 12 (a statute's "section 56.10" is not one of them)
    cited = set(re.findall(r"\bsections? ((?:[1-9]|1[0-2])\.\d+)\b", markdown))
    assert cited, stem
    assert cited <= headings, (stem, cited - headings)
    # the staff guide: every rule ends with the number of the section that states it
    bullets = [line for line in guide.splitlines() if line.startswith("- ")]
    assert len(bullets) >= 10, stem
    for line in bullets:
        found = re.search(r"\((\d+\.\d+)\)$", line)
        assert found, (stem, line)
        assert found.group(1) in headings, (stem, line)


def _with(**changes: object) -> Profile:
    """The test profile with dotted fields replaced."""
    return parse_profile(
        profile_data(**{k.replace(".", "__"): v for k, v in changes.items()}), "test.yaml"
    )


def test_variants_choose_how_the_story_rule_is_stated() -> None:
    base = {"organization.type": "dental", "risk_appetite": "balanced"}
    features = _with(**base, **{"official_accounts.features_patient_stories": True})
    none = _with(**base, **{"official_accounts.features_patient_stories": False})
    strict = _with(
        **{**base, "risk_appetite": "conservative"},
        **{"official_accounts.features_patient_stories": True},
    )
    au = _with(
        **base,
        **{
            "organization.jurisdictions": ["AU"],
            "official_accounts.features_patient_stories": True,
        },
    )
    expected = {id(features): 0, id(au): 1, id(strict): 2, id(none): 3}
    for profile in (features, au, strict, none):
        plan = clause_plan(profile, as_of=profile.policy.effective_date)
        assert plan.variant("privacy.consent") == expected[id(profile)], profile.organization
    text = render_policy(au).markdown
    assert "does not publish patient testimonials" in text
    assert text.count("does not publish patient") == 1
    guide = render_policy(none).documents["staff-guide"]
    assert "does not publish patient stories or testimonials" in guide


def test_paid_advertising_rule_follows_the_answer() -> None:
    yes = render_policy(_with(**{"official_accounts.uses_paid_advertising": True})).markdown
    no = render_policy(_with(**{"official_accounts.uses_paid_advertising": False})).markdown
    assert "paid posts and advertising are reviewed by" in yes
    assert "does not run paid posts or advertising" in no
    assert "does not run paid posts" not in yes


def _overlay(tmp_path: Path, name: str, text: str) -> TemplatePack:
    section, file_name = name.split("/")
    folder = tmp_path / "overlay" / "clauses" / section
    folder.mkdir(parents=True)
    (folder / file_name).write_text(text)
    return TemplatePack.load(BUILTIN, overlay=tmp_path / "overlay")


def test_a_clause_that_does_not_apply_is_left_out_and_the_numbers_follow(tmp_path: Path) -> None:
    source = (BUILTIN / "clauses" / "03-privacy" / "06-sensitive.yaml").read_text()
    pack = _overlay(
        tmp_path, "03-privacy/06-sensitive.yaml", "applies: {org_type: [payer]}\n" + source
    )
    profile = example("smile-dental")
    before = render_policy(profile).markdown
    after = render_policy(profile, template_pack=pack).markdown
    assert "## 3.6 Sensitive information" in before
    assert "Sensitive information" not in after
    assert "## 3.6 Reporting a privacy incident" in after
    # every reference to the incident rule now says 3.6, and none says 3.7
    assert "section 3.7" in before and "section 3.7" not in after
    assert after.count("section 3.6") == before.count("section 3.7")
    payer = _with(**{"organization.type": "payer"})
    assert "## 3.6 Sensitive information" in render_policy(payer, template_pack=pack).markdown


def test_a_reference_to_a_clause_that_does_not_apply_is_an_error(tmp_path: Path) -> None:
    source = (BUILTIN / "clauses" / "03-privacy" / "05-tracking.yaml").read_text()
    pack = _overlay(
        tmp_path, "03-privacy/05-tracking.yaml", "applies: {org_type: [payer]}\n" + source
    )
    with pytest.raises(TemplateError, match=r"privacy\.tracking.*does not apply"):
        render_policy(example("smile-dental"), template_pack=pack)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: privacy.x\ntitle: X\naudience: everyone\ntext: hi\ncolour: red\n", "colour"),
        ("id: privacy.x\ntitle: X\naudience: all\ntext: hi\n", "audience"),
        ("id: privacy.x\ntitle: X\naudience: everyone\n", "text"),
        (
            "id: privacy.x\ntitle: X\naudience: everyone\ntext: hi\n"
            "applies: {org_type: [spaceship]}\n",
            "spaceship",
        ),
        (
            "id: privacy.x\ntitle: X\naudience: everyone\ntext: hi\n"
            "applies: {answers: {official_accounts.nope: true}}\n",
            "not a profile field",
        ),
        ("id: privacy.consent\ntitle: X\naudience: everyone\ntext: hi\n", "also the id"),
    ],
)
def test_a_bad_clause_file_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    pack = _overlay(tmp_path, "03-privacy/99-extra.yaml", text)
    with pytest.raises(TemplateError, match=message) as caught:
        render_policy(example("smile-dental"), template_pack=pack)
    assert "99-extra.yaml" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_user_clause_replaces_the_builtin_one_of_the_same_name(tmp_path: Path) -> None:
    source = (BUILTIN / "clauses" / "10-crisis" / "03-threats.yaml").read_text()
    pack = _overlay(
        tmp_path,
        "10-crisis/03-threats.yaml",
        source.replace("title: Threats and harassment of staff", "title: Threats against staff"),
    )
    markdown = render_policy(example("smile-dental"), template_pack=pack).markdown
    assert "## 10.3 Threats against staff" in markdown
    assert "Threats and harassment of staff" not in markdown


def test_check_and_history_name_the_clauses_an_entry_touches() -> None:
    from smpolicy.compose._context import touched_clauses

    plan = plan_of("smile-dental")
    facts_dir = builtin_dir("regulations")
    from smpolicy.law._packs import load_pack

    entries = {e.id: e for e in load_pack(facts_dir / "US.yaml").entries}
    breach = entries["us.hipaa.breach_notification"]
    assert touched_clauses(plan, breach) == "section 3.7 Reporting a privacy incident"


def test_the_clause_folder_is_copied_with_a_template_pack(tmp_path: Path) -> None:
    """A user pack made by copying the built-in one renders the same policy."""
    copy = tmp_path / "pack"
    shutil.copytree(BUILTIN, copy)
    profile = example("maple-physio")
    assert (
        render_policy(profile, template_pack=TemplatePack.load(copy)).markdown
        == rendered("maple-physio")[0]
    )


def test_one_person_with_two_titles_is_named_once() -> None:
    """Maple Physio's Clinic Director is also its 'Clinic Director and Owner'."""
    from smpolicy.compose._context import distinct_titles

    markdown, _ = rendered("maple-physio")
    assert "the Clinic Director or the Clinic Director and Owner" not in markdown
    assert "also needs the Clinic Director and Owner as the subject requires" in markdown
    assert distinct_titles("Clinic Director", "Clinic Director and Owner") == [
        "Clinic Director and Owner"
    ]
    assert distinct_titles("Privacy Officer", "Medical Director") == [
        "Privacy Officer",
        "Medical Director",
    ]
    assert distinct_titles("Director", "Director") == ["Director"]


@pytest.mark.parametrize("stem", ["community-hospital", "maple-physio", "precision-devices"])
def test_the_account_manual_holds_every_rule_addressed_to_account_managers(stem: str) -> None:
    manual = render_policy(example(stem)).documents["account-manual"]
    plan = plan_of(stem)
    files = TemplatePack.load(BUILTIN).clauses()
    skipped = {"05-misinformation", "07-official-accounts", "10-crisis"}  # included whole
    addressed = [
        f.clause.id
        for f in files
        if f.clause.audience == "account_managers"
        and f.section not in skipped
        and f.clause.id in plan.numbers
    ]
    assert len(addressed) >= 5, stem
    for clause_id in addressed:
        title = plan.titles[clause_id]
        number = plan.numbers[clause_id]
        assert f"{title} (policy section {number})" in manual, (stem, clause_id)
    for clause_id in plan.numbers:  # the manual never states a rule twice
        assert manual.count(f"{plan.titles[clause_id]}\n") <= 1, (stem, clause_id)


def test_a_rule_for_large_organizations_only() -> None:
    """`applies: {band: [large, very_large]}`: the local-accounts rule is not in a small policy."""
    large, _ = rendered("community-hospital")  # 2,400 staff
    small, _ = rendered("maple-physio")  # 10 staff
    assert "Accounts of sites, departments and programs" in large
    assert "Accounts of sites, departments and programs" not in small
    assert plan_of("community-hospital").numbers["accounts.local-accounts"].startswith("7.")
    assert "accounts.local-accounts" not in plan_of("maple-physio").numbers


def test_a_device_maker_sends_product_problems_to_device_vigilance() -> None:
    """organization.products: a device maker has no pharmacovigilance team."""
    devices, guide = rendered("precision-devices")
    assert "pharmacovigilance" not in (devices + guide).lower()
    assert "complaint handling and device vigilance" in guide
    medicines = render_policy(example("novamed-pharma"))
    assert "to pharmacovigilance" in medicines.documents["staff-guide"]
    both = _with(**{"organization.type": "manufacturer", "organization.products": "both"})
    text = render_policy(both).markdown
    assert "pharmacovigilance or device vigilance, as the product requires" in text


@pytest.mark.parametrize("stem", ["maple-physio", "precision-devices", "oakridge-care-home"])
def test_the_quiz_answer_key_names_the_clause_each_question_tests(stem: str) -> None:
    result = render_policy(example(stem))
    key = result.documents["quiz"].split("Answer key", 1)[1]
    cells = [row.split("|")[4].strip() for row in key.splitlines() if row.startswith("| ")]
    rows = [c.replace("\\", "") for c in cells if c and c[0].isdigit()]
    assert len(rows) >= 12, stem
    for cell in rows:
        number = cell.split(" ", 1)[0]
        assert re.match(r"^\d+\.\d+$", number), (stem, cell)  # a rule, not a whole section
        assert f"\n## {cell}\n" in result.markdown, (stem, cell)
