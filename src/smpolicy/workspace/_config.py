"""A policy workspace: profiles in git, a config file, a lock file, issued versions archived."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from smpolicy._fsutil import atomic_write, confined, ensure_dir, relative_path_problem
from smpolicy._yaml import load_yaml
from smpolicy.errors import InputFileError, OutputError
from smpolicy.profile._model import format_validation_error

CONFIG_NAME = "smpolicy.yaml"
LOCK_NAME = "smpolicy.lock"


class WorkspaceConfig(BaseModel):
    """smpolicy.yaml at the workspace root."""

    model_config = ConfigDict(extra="forbid")

    output_dir: str = Field(default="policies", description="Where built policies are written.")
    archive_dir: str = Field(
        default="policies/archive", description="Where superseded versions are kept."
    )
    formats: list[str] = Field(default_factory=lambda: ["docx", "html", "md"])
    packs: str | None = Field(
        default=None,
        description="Regulation pack folder that replaces every built-in pack (freezes them: "
        "later updates never arrive). Prefer pack_overlays.",
    )
    pack_overlays: list[str] = Field(
        default_factory=list,
        description="Folders of overlay files that add pack entries or replace built-in ones by "
        "id; the built-in packs keep updating underneath.",
    )
    templates: str | None = Field(default=None, description="Template override directory.")

    @field_validator("output_dir", "archive_dir")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        problem = relative_path_problem(value.rstrip("/")) if value is not None else None
        if problem:
            raise ValueError(f"{problem}; paths in {CONFIG_NAME} stay inside the workspace")
        return value


@dataclass(frozen=True)
class Workspace:
    """A directory holding smpolicy.yaml."""

    root: Path
    config: WorkspaceConfig

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    def pack_dir(self) -> tuple[Path | None, list[str]]:
        """The pack folder this workspace's builds use (None: the default), and warnings."""
        from smpolicy.law._packset import workspace_packs  # noqa: PLC0415

        return workspace_packs(self.root, self.config.packs, self.config.pack_overlays)

    def path(self, value: str, key: str = "") -> Path:
        """An output path (``output_dir``, ``archive_dir``): refused when it leads outside."""
        return confined(self.root, value.rstrip("/") or ".", f"{self.root / CONFIG_NAME}: {key}")

    def input_path(self, value: str) -> Path:
        """A folder smpolicy only reads (``templates``), relative to the root; may be outside."""
        return (self.root / value).resolve()

    def relative(self, path: Path) -> str:
        """``path`` relative to the root where possible, for the lock file."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()


def find_workspace(start: Path | None = None) -> Workspace | None:
    """The nearest directory at or above ``start`` (default: cwd) holding smpolicy.yaml."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        config = directory / CONFIG_NAME
        if config.is_file():
            data = load_yaml(config) or {}
            try:
                return Workspace(directory, WorkspaceConfig.model_validate(data))
            except ValidationError as exc:
                raise InputFileError(format_validation_error(str(config), exc)) from None
    return None


def issue_date() -> dt.date:
    """Today, or the date of SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


_CONFIG_TEXT = """\
# smpolicy workspace configuration. Paths are relative to this file.
output_dir: policies          # built policies (DOCX, HTML, Markdown)
archive_dir: policies/archive # superseded versions, kept for the retention period
formats: [docx, html, md]
# pack_overlays: [pack-overlays]  # add or change single regulation entries (see the docs)
# templates: template-overrides  # template files that replace built-in ones
"""

_README_TEXT = """\
# Social media policies

This workspace holds our organization profiles and the policies smpolicy builds from them.

- `profiles/`: one YAML profile per policy (edit with `smpolicy wizard profiles/NAME.yaml`).
- `smpolicy.lock` and `smpolicy.lock.d/`: what produced each issued policy (profile,
  templates, regulation facts), one record per policy. Commit them together with the profiles.
- `policies/`: the current DOCX, HTML and Markdown of each policy.
- `policies/archive/`: every superseded version, with redlines; keep them as long as your
  record-retention rules require.

Workflow:

1. `smpolicy build profiles/*.yaml` issues the policies and records them in the lock file.
2. After upgrading smpolicy (new regulation packs) or editing a profile, run `smpolicy check`.
   It exits 1 and lists the reasons when a policy is stale.
3. `smpolicy build` on a stale policy issues a new version: the revision history gains a row,
   the previous version is archived, and a redline DOCX with tracked changes is written.
4. `smpolicy diff profiles/NAME.yaml --from 1` shows what changed between issued versions.
"""

_GITIGNORE_TEXT = """\
# Temporary files left by office suites
~$*
.~lock.*#
# smpolicy's working folder: locks, staging, journals of builds in progress
# (the lock file smpolicy.lock and smpolicy.lock.d/ ARE committed)
.smpolicy/
# Drafts the wizard keeps when interrupted (resume with: smpolicy wizard PROFILE --resume)
.*.draft.yaml
.smpolicy-wizard-draft.yaml
"""


def init_workspace(directory: Path) -> list[Path]:
    """Create a workspace in ``directory``; existing files are left alone."""
    ensure_dir(directory / "profiles")
    written = []
    for name, text in (
        (CONFIG_NAME, _CONFIG_TEXT),
        ("README.md", _README_TEXT),
        (".gitignore", _GITIGNORE_TEXT),
    ):
        target = directory / name
        if target.exists():
            continue
        atomic_write(target, text.encode())
        written.append(target)
    if (directory / CONFIG_NAME).is_dir():  # pragma: no cover - defensive
        raise OutputError(f"{directory / CONFIG_NAME}: is a directory")
    return written
