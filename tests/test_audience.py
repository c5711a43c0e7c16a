"""The documents built beside each policy: staff guide, account manager's manual, quiz."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from smpolicy._build import Rendered, render_policy
from smpolicy.compose._audience import PLATFORM_WORDS, headings
from smpolicy.profile._model import load_profile

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
PROFILES = sorted(EXAMPLES.glob("*.yaml"))


@cache
def rendered(name: str) -> Rendered:
    return render_policy(load_profile(EXAMPLES / f"{name}.yaml"))


def _heading(markdown: str, title: str) -> int:
    """Where the numbered level-1 heading ``title`` starts."""
    found = re.search(rf"^# \d+\. {re.escape(title)}$", markdown, flags=re.M)
    assert found, title
    return found.start()


def words(markdown: str) -> int:
    text = re.sub(r"[#*|\\_-]+", " ", markdown)
    return len([w for w in text.split() if any(c.isalnum() for c in w)])


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_staff_guide_is_short_and_ends_with_the_acknowledgment(path: Path) -> None:
    result = rendered(path.stem)
    guide = result.documents["staff-guide"]
    assert words(guide) <= 900, f"{path.stem}: staff guide has {words(guide)} words"
    assert "The full policy governs" in guide
    tail = guide[re.search(r"^# \d+\. Acknowledge?ment$", guide, flags=re.M).start() :]  # type: ignore[union-attr]
    assert "Signature" in tail and "Date" in tail
    assert "full policy governs" in tail
    assert result.profile.policy.number in guide
    assert "smpolicy" not in guide.lower()


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_quiz_is_multiple_choice_on_the_organizations_own_platforms(path: Path) -> None:
    result = rendered(path.stem)
    quiz = result.documents["quiz"]
    questions = re.findall(r"^\*\*(\d+)\.\*\* ", quiz, flags=re.M)
    assert len(questions) >= 10, path.stem
    key = quiz[_heading(quiz, "Answer key") :]
    rows = re.findall(r"^\| (\d+) \| ([ABCD]) \| (.+?) \| (.+?) \|$", key, flags=re.M)
    assert [r[0] for r in rows] == questions
    titles = headings(result.markdown)
    for _n, _letter, why, section in rows:
        assert why and section.replace("\\", "") in titles  # names the part of the policy tested
    body = quiz[: _heading(quiz, "Answer key")]
    assert body.count("- A. ") == len(questions) and body.count("- D. ") == len(questions)
    mine = {PLATFORM_WORDS[p] for p in result.profile.platforms}
    others = {w for k, w in PLATFORM_WORDS.items() if k not in result.profile.platforms}
    named = {w for w in PLATFORM_WORDS.values() if re.search(rf"\b{re.escape(w)}\b", body)}
    assert named & mine, path.stem
    assert not (named & others - {"X"}), f"{path.stem}: {sorted(named & others)}"
    assert _heading(quiz, "Everyone") < _heading(quiz, "Official account managers")
    scenarios = re.findall(r"^\*\*\d+\.\*\* (.+)$", body, flags=re.M)
    for scenario in scenarios:  # a review site is the setting only of questions about reviews
        if "a review site" in scenario:
            assert scenario.lower().count("review") >= 2, scenario


def test_quiz_fits_the_organization() -> None:
    maker = rendered("novamed-pharma").documents["quiz"]
    assert "side effect" in maker.lower() or "rash" in maker  # the adverse-event question
    assert ". Clinical staff\n" not in maker  # a manufacturer gives no care
    hospital = rendered("community-hospital").documents["quiz"]
    assert ". Clinical staff\n" in hospital
    home = rendered("oakridge-care-home").documents["quiz"]
    assert "resident" in home and " patient " not in home


def test_account_manual_is_the_policys_own_text() -> None:
    result = rendered("community-hospital")
    manual = result.documents["account-manual"]
    for part in ("Official accounts", "Crisis and incident response", "Misinformation response"):
        assert any(part.lower() in h.lower() for h in headings(manual)), part
    # included, not rewritten: a paragraph of the policy's accounts section appears verbatim
    section = result.markdown[result.markdown.index("Official accounts and governance") :]
    paragraph = next(p for p in section.split("\n\n")[1:] if len(p) > 200 and "|" not in p)
    assert paragraph in manual


@pytest.mark.slow
def test_build_writes_every_document_in_every_format(tmp_path: Path) -> None:
    from docx2python import docx2python

    out = tmp_path / "out"
    profile = str(EXAMPLES / "smile-dental.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy", "build", profile, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0, result.stderr
    for name in ("staff-guide", "account-manual", "quiz"):
        for fmt in ("md", "docx", "html"):
            target = out / f"smile-dental.{name}.{fmt}"
            assert target.is_file(), target
            assert str(target) in result.stdout
    with docx2python(out / "smile-dental.staff-guide.docx") as doc:
        text = doc.text
    assert "staff guide" in text and "Acknowledgment" in text and "Signature" in text
    html = (out / "smile-dental.quiz.html").read_text()
    assert "Answer key" in html and "<table" in html
