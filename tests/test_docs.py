"""The documentation cannot drift from the code.

- every command and option has help text, and every profile field a description;
- the generated reference pages (tools/gen_docs.py) are committed up to date;
- hand-written pages name every vocabulary item, setting and template the code defines;
- the tutorial's profile is valid and the figure it asks readers to edit exists;
- the pre-commit hook and shell completion work as documented;
- the site builds with ``mkdocs build --strict`` (when mkdocs is installed).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import get_args

import pytest
from ruamel.yaml import YAML

from .conftest import ROOT

DOCS = ROOT / "docs"


def _load_gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_docs"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gen_docs = _load_gen_docs()


def _page(relative: str) -> str:
    return (DOCS / relative).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- help and fields


def test_every_command_and_option_has_help() -> None:
    missing = gen_docs.missing_help()
    assert not missing, "commands or options without help text: " + ", ".join(missing)


def test_every_profile_field_has_a_description() -> None:
    missing = gen_docs.missing_descriptions()
    assert not missing, (
        "profile fields without a description (add Field(description=...) in "
        "src/smpolicy/_profile.py, then run python tools/gen_docs.py): " + ", ".join(missing)
    )


def test_every_command_is_in_the_cli_reference() -> None:
    page = _page("reference/cli.md")
    for doc in gen_docs.iter_commands():
        assert f"## `{doc.path}`" in page, doc.path


# ----------------------------------------------------------------------------- drift


@pytest.mark.parametrize(
    "path",
    sorted(gen_docs.render_all()),
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_generated_page_is_current(path: Path) -> None:
    expected = gen_docs.render_all()[path]
    name = path.relative_to(ROOT).as_posix()
    assert path.is_file(), f"{name} is missing: run python tools/gen_docs.py"
    assert path.read_text(encoding="utf-8") == expected, (
        f"{name} is out of date with the code: run python tools/gen_docs.py and commit the result"
    )


def test_generation_is_deterministic() -> None:
    assert gen_docs.render_all() == gen_docs.render_all()


# ----------------------------------------------------------------------------- hand-written pages


def test_pack_reference_names_every_vocabulary_item() -> None:
    from smpolicy._types import OBLIGATION_NUMERIC, OBLIGATION_ORDERS, TOPICS
    from smpolicy.law._model import EntryKind, EntryStatus, Terms

    page = _page("reference/regulation-packs.md")
    language = Terms.model_fields["language"].annotation
    words = [
        *TOPICS,
        *get_args(EntryKind),
        *get_args(EntryStatus),
        *get_args(language),
        *OBLIGATION_NUMERIC,
        *OBLIGATION_ORDERS,
        *(value for values in OBLIGATION_ORDERS.values() for value in values),
    ]
    missing = [w for w in words if f"`{w}`" not in page]
    assert not missing, f"docs/reference/regulation-packs.md does not mention: {missing}"


def test_pack_reference_names_every_field() -> None:
    from smpolicy.law._model import ChangelogItem, PackEntry, RegulationPack, Source, Terms

    page = _page("reference/regulation-packs.md")
    fields = [
        *RegulationPack.model_fields,
        *PackEntry.model_fields,
        *Terms.model_fields,
        *Source.model_fields,
        *ChangelogItem.model_fields,
    ]
    missing = sorted({f for f in fields if f"`{f}`" not in page})
    assert not missing, f"docs/reference/regulation-packs.md does not mention: {missing}"


def test_workspace_reference_names_every_setting() -> None:
    from smpolicy.workspace._config import WorkspaceConfig

    page = _page("reference/workspace.md")
    missing = [key for key in WorkspaceConfig.model_fields if f"`{key}`" not in page]
    assert not missing, f"docs/reference/workspace.md does not mention: {missing}"


def test_workspace_reference_names_every_lock_key() -> None:
    from smpolicy.workspace._lock import LockedPolicy

    page = _page("reference/workspace.md")
    missing = [key for key in LockedPolicy.model_fields if f"`{key}`" not in page]
    assert not missing, f"docs/reference/workspace.md does not mention: {missing}"


def test_customise_wording_lists_every_template() -> None:
    from smpolicy._build import default_template_dir

    page = _page("how-to/customise-wording.md")
    root = default_template_dir()
    templates = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*.md.j2"))
    assert templates
    missing = [t for t in templates if f"`{t}`" not in page]
    assert not missing, f"docs/how-to/customise-wording.md does not list: {missing}"


# ----------------------------------------------------------------------------- the tutorial


def test_tutorial_profile_is_valid() -> None:
    from smpolicy.profile._model import parse_profile

    page = _page("tutorial/first-policy.md")
    match = re.search(r'```yaml title="profiles/our-clinic.yaml"\n(.*?)```', page, re.S)
    assert match, "the tutorial's profile block was not found"
    data = YAML(typ="safe", pure=True).load(match.group(1))
    profile = parse_profile(data, "tutorial")
    assert profile.organization.jurisdictions == ["US"]


def test_tutorial_figure_to_edit_exists() -> None:
    from smpolicy._build import default_pack_dir
    from smpolicy.law._packs import load_pack

    pack = load_pack(default_pack_dir() / "US.yaml")
    versions = [e for e in pack.entries if e.id == "us.hipaa.cmp"]
    assert len(versions) > 1, "the tutorial says there are several us.hipaa.cmp entries"
    assert versions[-1].effective_to is None, "the tutorial says the last one is in force"
    (breach,) = [e for e in pack.entries if e.id == "us.hipaa.breach_notification"]
    assert breach.values["hhs_notice_500_plus_max_days"] == 60, "the tutorial edits 60 -> 30"


# ----------------------------------------------------------------------------- ecosystem files


def test_pre_commit_hook_definition() -> None:
    hooks = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "smpolicy-check"]
    assert hook["entry"] == "smpolicy check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in ("profiles/clinic.yaml", "profiles/sub/x.yaml", "smpolicy.lock"):
        assert files.search(path), path
    for path in ("README.md", "policies/clinic.docx", "old-profiles/x.yaml", "smpolicy.lock.bak"):
        assert not files.search(path), path


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_script(shell: str) -> None:
    env = {**os.environ, "_SMPOLICY_COMPLETE": f"{shell}_source"}
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "_smpolicy_completion" in result.stdout


def test_shell_completion_completes_commands() -> None:
    env = {
        **os.environ,
        "_SMPOLICY_COMPLETE": "bash_complete",
        "COMP_WORDS": "smpolicy b",
        "COMP_CWORD": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "plain,build" in result.stdout.splitlines()


def test_changelog_describes_this_version() -> None:
    from smpolicy import __version__

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert __version__ in text


# ----------------------------------------------------------------------------- the site


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs-material is not installed (pip install mkdocs-material)")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,  # snippets are included relative to the repository root
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
        timeout=300,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(
        warnings or result.stderr.splitlines()[-20:]
    )
