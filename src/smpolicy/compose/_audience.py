"""The documents built beside each policy, one for each audience.

- the staff guide (``<stem>.staff-guide.*``): the rules every member of staff must know, with
  the acknowledgment they sign;
- the manual for official account managers (``<stem>.account-manual.*``): the policy's own
  sections on accounts, crises, misinformation and replies, included rather than rewritten;
- the quiz (``<stem>.quiz.*``): multiple-choice scenarios per audience, set on the
  organization's own platforms, with an answer key naming the part of the policy each tests.

Each is rendered from the same context as the policy, so names, figures and controls agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smpolicy._types import PLATFORM_NAMES
from smpolicy.compose._mdescape import md_escape
from smpolicy.errors import TemplateError

DOCUMENTS: dict[str, tuple[str, str]] = {
    "staff-guide": ("documents/staff-guide.md.j2", "Staff guide"),
    "account-manual": ("documents/account-manual.md.j2", "Manual for official account managers"),
    "quiz": ("quiz.yaml", "Training quiz"),
}
PLATFORM_WORDS = {**PLATFORM_NAMES, "review_sites": "a review site"}  # as a scenario says it
CLINICAL_TYPES = (
    "hospital",
    "clinic",
    "dental",
    "behavioral_health",
    "long_term_care",
    "pharmacy",
    "academic_medical_center",
    "telehealth",
)
_HEADING = re.compile(r"^(#{1,3}) +(.+?)\s*$")
_LETTERS = "ABCD"


@dataclass(frozen=True)
class Question:
    """One quiz question, rendered for this organization."""

    qid: str
    audience: str
    scenario: str
    choices: tuple[str, ...]
    answer: int
    why: str
    section: str


def headings(markdown: str) -> list[str]:
    """The policy's headings, in order, without Markdown marks or attribute lists."""
    found = []
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            text = re.sub(r"\s*\{:[^}]*\}\s*$", "", match.group(2)).strip()
            found.append(text.replace("\\", ""))
    return found


def section_for(keyword: str, titles: list[str], numbers: dict[str, str] | None = None) -> str:
    """The heading of the rule a question tests: the clause ``keyword`` names (by its number in
    ``numbers``), or else the first heading of the policy that contains ``keyword``."""
    if numbers and keyword in numbers:
        prefix = numbers[keyword] + " "
        found = next((t for t in titles if t.startswith(prefix)), None)
        if found:
            return found
    words = keyword.lower()
    for title in titles[1:]:  # the first heading is the document's title
        if words in title.lower():
            return title
    raise TemplateError(
        f"quiz.yaml: tests: no heading of the policy mentions {keyword!r}; name a word of the "
        "section the question tests"
    )


def _applies(when: dict[str, Any], context: dict[str, Any], platforms: list[str]) -> bool:
    org_type = context["org"].type
    if "types" in when and org_type not in when["types"]:
        return False
    if "not_types" in when and org_type in when["not_types"]:
        return False
    if when.get("clinical") and org_type not in CLINICAL_TYPES:
        return False
    if "stories" in when and _stories(context) != bool(when["stories"]):
        return False
    return not ("platforms_any" in when and not set(when["platforms_any"]) & set(platforms))


def _stories(context: dict[str, Any]) -> bool:
    """Whether official accounts publish stories about the people served."""
    if "stories" in context:
        return bool(context["stories"])
    testimonials = context["obligation"]("testimonials")
    return bool(
        context["accounts"].features_patient_stories
        and context["risk"] != "conservative"
        and not (testimonials is not None and testimonials.value == "prohibited")
    )


def load_bank(pack: Any) -> dict[str, Any]:
    """The question bank of a template pack (an overlay's quiz.yaml wins)."""
    from smpolicy._cache import cached_bytes  # noqa: PLC0415
    from smpolicy._yaml import load_yaml  # noqa: PLC0415

    for base in (pack.overlay, pack.root):
        path = Path(base) / "quiz.yaml" if base is not None else None
        if path is None or not path.is_file():
            continue

        def parse(path: Path = path) -> bytes:
            data = load_yaml(path)
            if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
                raise TemplateError(f"{path}: questions: a list of questions is needed")
            return json.dumps(data).encode()

        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            bank = json.loads(cached_bytes("quiz", f"{digest}.json", parse))
        except ValueError:
            bank = None
        if not isinstance(bank, dict):  # a damaged cache entry: parse the file again
            bank = json.loads(parse())
        return dict(bank)
    raise TemplateError(f"{pack.root}/quiz.yaml: the template pack has no question bank")


def _quiz_texts(bank: dict[str, Any]) -> list[str]:
    """Every templated text of the bank (scenarios, choices and reasons), in order."""
    texts: list[str] = []
    for raw in bank["questions"]:
        if isinstance(raw, dict):
            texts += [str(raw.get("scenario")), str(raw.get("why"))]
            texts += [str(c) for c in raw.get("choices") or ()]
    return texts


def _env_key(env: Any) -> str:
    """What the code Jinja compiles depends on: versions, environment class and settings."""
    import sys  # noqa: PLC0415

    import jinja2  # noqa: PLC0415

    kind = type(env)
    generator = env.code_generator_class
    settings = [
        jinja2.__version__,
        sys.version,
        sys.implementation.cache_tag,
        f"{kind.__module__}.{kind.__qualname__}",
        f"{generator.__module__}.{generator.__qualname__}",
        repr(env.autoescape) if isinstance(env.autoescape, bool) else "callable",
        env.finalize is not None,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        sorted(env.extensions),
    ]
    return json.dumps(settings, default=str)


_CODE: dict[str, dict[str, Any]] = {}
"""Compiled quiz texts by cache key, for the life of the process (a batch compiles once)."""


def _templates(env: Any, bank: dict[str, Any]) -> Any:
    """A function giving the template of one of the bank's texts, compiled once per user.

    The compiled code of all the bank's texts is kept in one cache entry, keyed by the texts,
    the Python and Jinja versions and the environment's settings; a text it lacks (or a
    damaged entry) is compiled as ``env.from_string`` would.
    """
    import marshal  # noqa: PLC0415

    import jinja2  # noqa: PLC0415

    from smpolicy._cache import cache_path, write_cache  # noqa: PLC0415

    texts = _quiz_texts(bank)
    key = hashlib.sha256(json.dumps([_env_key(env), texts]).encode()).hexdigest()
    code = _CODE.get(key)
    if code is None:
        code = {}
        path = cache_path("quiz-code-1", f"{key}.marshal")
        if path is not None and path.is_file():
            try:
                # Our own cache, trusted as Jinja's bytecode cache is (it is marshal too).
                loaded = marshal.loads(path.read_bytes())  # noqa: S302
                if isinstance(loaded, dict):
                    code = loaded
            except (OSError, ValueError, EOFError, TypeError):
                code = {}  # a damaged entry: compile again
        if not all(text in code for text in texts):
            code = {}
            for text in dict.fromkeys(texts):
                # A text that fails is reported as before, by from_string, if a question uses it.
                with contextlib.suppress(jinja2.TemplateError):
                    code[text] = env.compile(text)
            if path is not None and len(code) == len(set(texts)):
                write_cache(path, marshal.dumps(code))
        _CODE[key] = code

    def compiled(text: str) -> Any:
        found = code.get(text)
        if found is None:
            return env.from_string(text)
        return env.template_class.from_code(env, found, env.make_globals(None), None)

    return compiled


def quiz_questions(
    bank: dict[str, Any], env: Any, context: dict[str, Any], policy_markdown: str
) -> list[Question]:
    """The bank's questions that fit this organization, each set on one of its platforms."""
    platforms = list(context["profile"].platforms)
    titles = headings(policy_markdown)
    compiled = _templates(env, bank)
    questions: list[Question] = []
    for index, raw in enumerate(bank["questions"]):
        when = raw.get("when") or {}
        if not _applies(when, context, platforms):
            continue
        # A review site is a setting only for questions that name it (nobody posts a team photo
        # or asks a friend for advice there).
        social = [p for p in platforms if p != "review_sites"]
        allowed = [p for p in platforms if p in when.get("platforms_any", social)]
        platform = PLATFORM_WORDS[allowed[index % len(allowed)]] if allowed else "social media"

        def render(text: str, platform: str = platform) -> str:
            template = compiled(str(text))
            return " ".join(template.render({**context, "platform": platform}).split())

        choices = tuple(render(c) for c in raw["choices"])
        answer = int(raw["answer"])
        if not 0 <= answer < len(choices) or len(choices) > len(_LETTERS):
            raise TemplateError(f"quiz.yaml: {raw.get('id')}: answer must name one of the choices")
        questions.append(
            Question(
                str(raw["id"]),
                str(raw["audience"]),
                render(raw["scenario"]),
                choices,
                answer,
                render(raw["why"]),
                section_for(str(raw["tests"]), titles, context["clause_plan"].numbers),
            )
        )
    return questions


def quiz_markdown(
    questions: list[Question], audiences: dict[str, str], context: dict[str, Any]
) -> str:
    """The quiz document: questions per audience, then the answer key."""
    policy = context["policy"]
    org = context["org"]
    out = [
        f"# {md_escape(policy.title)}: training quiz",
        "",
        f"{md_escape(org.name)} · policy {md_escape(policy.number)}, version {context['version']}",
        "",
        "Each question describes a situation; choose the one best answer. The answer key at the "
        "end gives the reason and the part of the policy each question tests. Everyone answers "
        "the first part; the other parts are for the roles they name.",
        "",
    ]
    number = 0
    numbered: list[tuple[int, Question]] = []
    for key, title in audiences.items():
        mine = [q for q in questions if q.audience == key]
        if not mine:
            continue
        out += [f"# {md_escape(title)}", ""]
        for question in mine:
            number += 1
            numbered.append((number, question))
            out += [f"**{number}.** {question.scenario}", ""]
            out += [f"- {_LETTERS[i]}. {choice}" for i, choice in enumerate(question.choices)]
            out.append("")
    out += [
        "# Answer key",
        "",
        "| Question | Answer | Why | Policy section |",
        "|---|---|---|---|",
    ]
    for n, question in numbered:
        letter = _LETTERS[question.answer]
        out.append(f"| {n} | {letter} | {question.why} | {md_escape(question.section)} |")
    return "\n".join(out) + "\n"


def render_documents(
    pack: Any, env: Any, context: dict[str, Any], policy_markdown: str
) -> dict[str, str]:
    """The Markdown of every audience document, by name (``staff-guide``, ...)."""
    from smpolicy.compose._templates import render_template  # noqa: PLC0415

    documents: dict[str, str] = {}
    for name, (template, _title) in DOCUMENTS.items():
        if name == "quiz":
            bank = load_bank(pack)
            questions = quiz_questions(bank, env, context, policy_markdown)
            audiences = {str(k): str(v) for k, v in (bank.get("audiences") or {}).items()}
            text = quiz_markdown(questions, audiences, context)
        else:
            text = render_template(env, template, context)
        documents[name] = "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"
    return documents
