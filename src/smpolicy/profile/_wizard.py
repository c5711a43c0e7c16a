"""The wizard: questions that write a profile, asked in a terminal or read from a file.

The questions are plain data (:class:`Question`: key path, prompt, kind, choices,
help, condition) checked with the profile schema's own field constraints
(:func:`clean`). :class:`Answers` keeps what is known; :class:`Wizard` walks the
questions, shows the review screen and writes the profile; a :class:`Terminal`
asks one question at a time. :class:`QuestionaryTerminal` takes prompt_toolkit
``input`` and ``output`` objects, so tests can drive it through a pipe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Protocol

from smpolicy.errors import InputFileError, ProfileError, UserAbort
from smpolicy.profile._fileformat import (
    apply_updates,
    load_document,
    to_plain,
    validate_document,
    write_document,
)
from smpolicy.profile._questions import (
    CWD_DRAFT,
    GROUPS,
    Answers,
    Group,
    Option,
    Question,
    Values,
    clean,
    default_questions,
    flatten,
)

# --------------------------------------------------------------------------- terminal


class Terminal(Protocol):
    """Asks questions and shows text; raises KeyboardInterrupt or EOFError when interrupted."""

    def say(self, text: str, style: str = "") -> None:
        """Show a line of text."""

    def ask(self, question: Question, default: Any) -> Any:
        """Ask ``question`` until the answer passes :func:`clean`; return the cleaned answer."""


class QuestionaryTerminal:
    """A :class:`Terminal` on questionary; ``input``/``output`` default to the real terminal."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self.input = input
        self.output = output
        self.said: list[str] = []
        self.asked: list[str] = []
        self.rejected: list[tuple[str, Any, str]] = []

    def say(self, text: str, style: str = "") -> None:
        """Print ``text`` in a prompt_toolkit style such as ``bold``."""
        from prompt_toolkit import print_formatted_text  # noqa: PLC0415
        from prompt_toolkit.formatted_text import FormattedText  # noqa: PLC0415

        self.said.append(text)
        print_formatted_text(FormattedText([(style, text)]), output=self.output)

    def _check(self, question: Question, raw: Any) -> bool | str:
        try:
            clean(question, raw)
        except ValueError as exc:
            self.rejected.append((question.key, raw, str(exc)))
            return str(exc)
        return True

    def ask(self, question: Question, default: Any) -> Any:
        """Ask one question with questionary; invalid answers are refused at the prompt."""
        import questionary  # noqa: PLC0415

        self.asked.append(question.key)
        if question.help:
            for line in _wrap(question.help, "  "):
                self.say(line, "fg:ansibrightblack")
        io = {"input": self.input, "output": self.output}
        kind = question.kind
        if kind in ("confirm", "presence"):
            prompt = questionary.confirm(
                question.prompt, default=bool(default), auto_enter=False, **io
            )
        elif kind == "select":
            values = [o.value for o in question.choices]
            prompt = questionary.select(
                question.prompt,
                choices=[
                    questionary.Choice(o.title, value=o.value, description=o.description)
                    for o in question.choices
                ],
                default=default if default in values else None,
                **io,
            )
        elif kind == "checkbox":
            chosen = default if isinstance(default, list) else []
            prompt = questionary.checkbox(
                question.prompt,
                choices=[
                    questionary.Choice(o.title, value=o.value, checked=o.value in chosen)
                    for o in question.choices
                ],
                validate=lambda selected: self._check(question, selected),
                instruction="(arrows move, space selects, enter confirms)",
                **io,
            )
        else:
            prompt = questionary.text(
                question.prompt,
                default=_as_text(default),
                validate=lambda raw: self._check(question, raw),
                validate_while_typing=False,
                **io,
            )
        answer = clean(question, prompt.unsafe_ask())
        if kind == "checkbox" and isinstance(default, list):
            # Keep the order already in the profile; questionary returns the choices' order.
            answer = [v for v in default if v in answer] + [v for v in answer if v not in default]
        if kind == "checkbox" and len(answer) > 1:  # questionary shows only "done (n selections)"
            for line in _wrap(", ".join(answer), "  = "):
                self.say(line, "fg:ansicyan")
        return answer


def _wrap(text: str, indent: str) -> list[str]:
    import shutil  # noqa: PLC0415
    import textwrap  # noqa: PLC0415

    width = max(40, min(shutil.get_terminal_size().columns, 100) - 1)
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=" " * len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent]


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _as_text(value)


def _row(members: list[Question], view: Values) -> str:
    """One review line for questions sharing a label: a contact, an approver, a toggle."""
    presence = next((q for q in members if q.kind == "presence"), None)
    if presence is not None and not view[presence.key]:
        return "no"
    parts = [
        _show(view[q.key])
        for q in members
        if q.kind != "presence" and not (q.optional and view[q.key] is None)
    ]
    return ", ".join(parts) or "(none)"


def _review_lines(label: str, text: str) -> list[str]:
    column = 32
    lines = _wrap(text, " " * column)
    head = f"    {label} "
    if len(head) <= column:
        lines[0] = head.ljust(column) + lines[0][column:]
    else:
        lines.insert(0, head.rstrip())
    return lines


# --------------------------------------------------------------------------- drafts


def draft_path(profile: Path | None) -> Path:
    """Where an interrupted run keeps its answers: hidden, next to the profile."""
    if profile is None:
        return CWD_DRAFT
    return profile.with_name(f".{profile.stem}.draft.yaml")


def _command(profile: Path | None, *flags: str) -> str:
    parts = ["smpolicy", "wizard"]
    if profile is not None:
        parts.append(shlex.quote(str(profile)))
    return " ".join([*parts, *flags])


def save_draft(path: Path, answers: Answers, resume: str) -> None:
    """Write the answers given so far, atomically, with a note on how to resume."""
    from smpolicy._fsutil import atomic_write  # noqa: PLC0415
    from smpolicy._yaml import dump_yaml  # noqa: PLC0415

    body = dump_yaml(answers.updates(clear_hidden=False))
    header = (
        "# Answers from an interrupted `smpolicy wizard` run; not a profile yet.\n"
        f"# Continue with: {resume}\n"
    )
    atomic_write(path, (header + body).encode("utf-8"))


def load_draft(path: Path, questions: list[Question]) -> dict[str, Any]:
    """The valid answers in a draft (anything invalid is asked again)."""
    from smpolicy._yaml import load_yaml  # noqa: PLC0415

    data = load_yaml(path) or {}
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: not a wizard draft (expected a mapping)")
    given: dict[str, Any] = {}
    for key, value in flatten(data, questions).items():
        question = next(q for q in questions if q.key == key)
        with contextlib.suppress(ValueError):
            given[key] = clean(question, value)
    return given


# --------------------------------------------------------------------------- the wizard


def _slug(name: Any) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", str(name or "").lower()).strip("-")
    return text[:60] or "profile"


def _target_question(default_dir: Path) -> Question:
    def check(value: Any) -> Path:
        path = Path(str(value))
        if path.suffix not in (".yaml", ".yml"):
            raise ValueError("end the file name with .yaml")
        if path.exists():
            raise ValueError(f"{path} exists; to edit it, run: {_command(path)}")
        if path.parent.exists() and not path.parent.is_dir():
            raise ValueError(f"{path.parent} is not a directory")
        return path

    where = f" ({default_dir}/ holds your profiles)" if str(default_dir) != "." else ""
    return Question(
        "_target",
        "save",
        "Save the profile as",
        "text",
        f"A YAML file you can keep in git and edit later{where}.",
        validate=check,
    )


class Wizard:
    """One interactive run: ask, review, write, offer to build."""

    def __init__(
        self,
        terminal: Terminal,
        answers: Answers,
        *,
        target: Path | None,
        update: bool,
    ) -> None:
        self.terminal = terminal
        self.answers = answers
        self.target = target
        self.update = update
        self.draft = draft_path(target)
        self.asked = 0
        self.written: Path | None = None
        self._header_shown: str | None = None
        self._notes_shown: set[str] = set()

    @property
    def questions(self) -> list[Question]:
        """All questions, in order."""
        return self.answers.questions

    def run(self) -> Path:
        """Run the wizard; Ctrl-C keeps a draft and raises UserAbort."""
        try:
            return self._run()
        except (KeyboardInterrupt, EOFError):
            raise self._interrupted() from None
        except ProfileError as exc:
            if self.written or not self.answers.given:
                raise
            resume = self._resume_command()
            save_draft(self.draft, self.answers, resume)
            raise ProfileError(
                f"{exc.message}\nyour answers are kept in {self.draft}; fix the problem above, "
                f"then run: {resume}"
            ) from None

    def _resume_command(self) -> str:
        return _command(self.target, *(["--update"] if self.update else []), "--resume")

    def _run(self) -> Path:
        say = self.terminal.say
        if self.update:
            assert self.target is not None  # noqa: S101 - checked by run_wizard
            say(f"Completing {self.target}: only questions it has no answer for.", "bold")
            self._ask_pending()
            if not self.asked:
                say(f"Nothing to ask: {self.target} answers every question.")
                self.draft.unlink(missing_ok=True)
                return self.target
            return self._write(self.target)
        if self.answers.given:
            intro = "Continuing where you stopped; the answers kept appear in the review."
        elif self.target and self.target.exists():
            intro = f"Editing {self.target}: each answer in the file is offered as the default."
        else:
            intro = f"New profile: about {self._count()} questions in {len(GROUPS)} groups."
        say(intro, "bold")
        say("Enter accepts a suggestion. Review comes before saving. Ctrl-C keeps a draft.")
        target = self._review()
        self._offer_build(target)
        return target

    def _count(self) -> int:
        view = self.answers.view()
        return sum(1 for q in self.questions if q.kind != "note" and q.when(view))

    # asking --------------------------------------------------------------

    def _header(self, group_id: str) -> None:
        if self._header_shown == group_id:
            return
        self._header_shown = group_id
        group = next(g for g in GROUPS if g.id == group_id)
        number = [g.id for g in GROUPS].index(group_id) + 1
        self.terminal.say("")
        self.terminal.say(f"{group.title} ({number}/{len(GROUPS)}): {group.intro}", "bold")

    def _note(self, question: Question) -> None:
        self._header(question.group)
        self._notes_shown.add(question.key)
        self.terminal.say(f"  Note: {question.help}", "italic")

    def _ask(self, question: Question) -> None:
        self._header(question.group)
        answer = self.terminal.ask(question, self.answers.default(question))
        self.answers.given[question.key] = answer
        self.asked += 1

    def _ask_pending(self) -> None:
        """Ask every applicable question without an answer yet, in order."""
        for q in self.questions:
            if not self.answers.applies(q):
                continue
            if q.kind == "note":
                if not self.update and q.key not in self._notes_shown:
                    self._note(q)
                continue
            if q.key in self.answers.given:
                continue
            if self.update and self.answers.in_base(q):
                continue
            self._ask(q)

    def _ask_group(self, group_id: str) -> None:
        self._header_shown = None
        for q in self.questions:
            if q.group != group_id or not self.answers.applies(q):
                continue
            if q.kind == "note":
                self._note(q)
            else:
                self._ask(q)

    # review and writing --------------------------------------------------

    def _document(self, target: Path | None) -> Any:
        from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

        doc = load_document(target) if target is not None and target.exists() else CommentedMap()
        if "schema_version" not in doc:
            apply_updates(doc, {"schema_version": 1})
        editing = target is not None and target.exists() and not self.update
        apply_updates(doc, self.answers.updates(clear_hidden=True, skip_defaults=editing))
        return doc

    def _problems(self) -> list[str]:
        try:
            validate_document(self._document(self.target), str(self.target or "profile"))
        except ProfileError as exc:
            return exc.message.splitlines()
        return []

    def _live_groups(self) -> list[Group]:
        view = self.answers.view()
        return [
            g
            for g in GROUPS
            if any(q.group == g.id and q.kind != "note" and q.when(view) for q in self.questions)
        ]

    def _show_review(self, problems: list[str]) -> None:
        say = self.terminal.say
        view = self.answers.view()
        say("")
        say("Review your answers", "bold")
        for group in self._live_groups():
            say(f"  {group.title}", "bold")
            rows: dict[str, list[Question]] = {}
            for q in self.questions:
                if q.group == group.id and q.kind != "note" and q.when(view):
                    rows.setdefault((q.label or q.prompt).split(", ")[0], []).append(q)
            for label, members in rows.items():
                for line in _review_lines(label, _row(members, view)):
                    say(line)
        for line in problems:
            say(f"  ! {line}", "fg:ansired")

    def _review(self) -> Path:
        while True:
            self._ask_pending()
            problems = self._problems()
            self._show_review(problems)
            where = str(self.target) if self.target else "a new file"
            options = [] if problems else [Option("save", f"Save the profile to {where}")]
            if problems and not self._all_asked(problems):
                options.append(Option("check", f"Check again, after fixing {where} by hand"))
                self.terminal.say(
                    "  The wizard does not ask about some of these fields: fix them in the file, "
                    "then choose Check again.",
                    "fg:ansired",
                )
            options += [Option(g.id, f"Change: {g.title}") for g in self._live_groups()]
            options.append(Option("stop", "Stop here and keep the answers as a draft"))
            pick = self.terminal.ask(
                Question(
                    "_review",
                    "review",
                    "Is everything right?" if not problems else "Fix the problems above:",
                    "select",
                    "",
                    choices=tuple(options),
                ),
                options[0].value,
            )
            if pick == "save":
                target = self.target or self._choose_target()
                return self._write(target)
            if pick == "stop":
                raise self._interrupted("stopped")
            if pick != "check":
                self._ask_group(pick)

    def _all_asked(self, problems: list[str]) -> bool:
        """Whether every problem is about a field some question asks for."""
        keys = {q.key for q in self.questions if q.kind != "note"}
        for line in problems:
            parts = line.split(": ", 2)
            field = parts[1] if len(parts) == 3 else ""
            if not any(
                field == k or field.startswith(f"{k}.") or k.startswith(f"{field}.") for k in keys
            ):
                return False
        return True

    def _choose_target(self) -> Path:
        folder = Path("profiles") if Path("profiles").is_dir() else Path()
        default = folder / f"{_slug(self.answers.value('organization.name'))}.yaml"
        path: Path = self.terminal.ask(_target_question(folder), str(default))
        return path

    def _write(self, target: Path) -> Path:
        doc = self._document(target)
        write_document(target, doc, new=not target.exists())
        self.written = target
        self.draft.unlink(missing_ok=True)
        self.terminal.say(f"Saved {target}", "bold")
        return target

    def _offer_build(self, target: Path) -> None:
        build = self.terminal.ask(
            Question(
                "_build",
                "save",
                "Build the policy now?",
                "confirm",
                "Writes the policy as DOCX, HTML and Markdown; you can also run "
                f"`smpolicy build {target}` later.",
            ),
            True,
        )
        if not build:
            self.terminal.say(f"Build it later with: smpolicy build {shlex.quote(str(target))}")
            return
        from smpolicy._build import build_policy  # noqa: PLC0415
        from smpolicy.workspace._config import find_workspace  # noqa: PLC0415

        result = build_policy(target, workspace=find_workspace())
        self.terminal.say("Built:", "bold")
        for path in result.outputs.values():
            self.terminal.say(f"  {_relative(path)}")

    def _interrupted(self, what: str = "interrupted") -> UserAbort:
        if self.written is not None:
            return UserAbort(
                f"{what} after saving {self.written}; build it with: "
                f"smpolicy build {shlex.quote(str(self.written))}"
            )
        if not self.answers.given:
            return UserAbort(f"{what} before any answer; nothing was saved")
        resume = self._resume_command()
        save_draft(self.draft, self.answers, resume)
        return UserAbort(
            f"{what}: {len(self.answers.given)} answers kept in {self.draft}\nto continue: {resume}"
        )


# --------------------------------------------------------------------------- --answers


def answer_from_file(target: Path, answers_file: Path, questions: list[Question]) -> Path:
    """Write ``target`` from an answers file, checked exactly like interactive answers."""
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    from smpolicy._yaml import load_yaml  # noqa: PLC0415

    source = str(answers_file)
    data = load_yaml(answers_file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: (top level): expected a mapping of profile fields")
    exists = target.exists()
    doc = load_document(target) if exists else CommentedMap()
    if "schema_version" not in doc and "schema_version" not in data:
        apply_updates(doc, {"schema_version": 1})
    apply_updates(doc, data)
    answers = Answers(questions, base=flatten(to_plain(doc), questions))
    errors: list[str] = []
    reported: list[str] = []
    for q in questions:
        if q.kind == "note" or q.key in answers.given or q.key not in answers.base:
            continue
        if not answers.applies(q):
            continue
        try:
            answers.given[q.key] = clean(q, answers.base[q.key])
        except ValueError as exc:
            errors.append(f"{source}: {q.key}: {exc}")
            reported.append(q.key)
    apply_updates(doc, answers.updates(clear_hidden=True))
    try:
        validate_document(doc, source)
    except ProfileError as exc:
        for line in exc.message.splitlines():
            where = line.removeprefix(f"{source}: ").split(":")[0]
            if not any(where == k or where.startswith(f"{k}.") for k in reported):
                errors.append(line)
    if errors:
        raise ProfileError("\n".join(errors))
    write_document(target, doc, new=not exists)
    return target


# --------------------------------------------------------------------------- entry point


def run_wizard(
    profile: Path | None,
    *,
    update: bool = False,
    resume: bool = False,
    answers_file: Path | None = None,
    terminal: Terminal | None = None,
) -> Path:
    """Ask for (or read) the answers and write ``profile``; return the path written."""
    import click  # noqa: PLC0415

    if profile is not None and profile.is_dir():
        raise InputFileError(f"{profile}: is a directory; give the profile's file name")
    if answers_file is not None:
        if profile is None:
            raise click.UsageError(
                "--answers needs the profile to write: smpolicy wizard PROFILE --answers FILE"
            )
        if update or resume:
            raise click.UsageError("--answers cannot be combined with --update or --resume")
        return answer_from_file(profile, answers_file, default_questions())
    if update:
        if profile is None:
            raise click.UsageError(
                "--update needs the profile to complete: smpolicy wizard --update PROFILE"
            )
        if not profile.exists():
            raise InputFileError(
                f"{profile}: file not found; --update completes an existing profile "
                f"(to start a new one, run: {_command(profile)})"
            )
    if terminal is None:
        if not sys.stdin.isatty():
            raise InputFileError(
                "standard input is not a terminal, so the wizard cannot ask questions; "
                "answer from a file instead: smpolicy wizard PROFILE --answers FILE"
            )
        terminal = QuestionaryTerminal()
    questions = default_questions()
    answers = Answers(questions)
    if profile is not None and profile.exists():
        answers.base = flatten(to_plain(load_document(profile)), questions)
    draft = draft_path(profile)
    if resume:
        if not draft.is_file():
            raise InputFileError(
                f"{draft}: no draft to resume; start a new run with: {_command(profile)}"
            )
        answers.given = load_draft(draft, questions)
        terminal.say(f"Resuming from {draft} ({len(answers.given)} answers kept).", "bold")
    elif draft.is_file():
        terminal.say(
            f"Note: {draft} holds answers from an interrupted run; to use them, press Ctrl-C "
            f"and run: {_command(profile, '--resume')}",
            "fg:ansiyellow",
        )
    return Wizard(terminal, answers, target=profile, update=update).run()
