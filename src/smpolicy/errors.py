"""Exceptions and exit codes.

Every failure a user can cause is raised as a :class:`SmpolicyError` subclass.
The CLI catches :class:`SmpolicyError` in exactly one place, prints its message
(one line per problem, ``file: field: message``) and exits with its code.
"""

from __future__ import annotations

import enum

__all__ = [
    "BuildError",
    "ExitCode",
    "InputFileError",
    "OutputError",
    "PackError",
    "ProfileError",
    "SmpolicyError",
    "StalePolicies",
    "TemplateError",
    "UserAbort",
]


class ExitCode(enum.IntEnum):
    """Exit codes of the ``smpolicy`` command. Documented in docs/reference/exit-codes.md."""

    OK = 0
    STALE = 1
    """``smpolicy check``: at least one policy is out of date."""
    USAGE = 2
    """Bad command-line usage (click's own code)."""
    INPUT_FILE = 3
    """An input file is missing, unreadable, too large or not valid YAML."""
    INVALID_PROFILE = 4
    """The profile does not validate against the schema."""
    INVALID_PACK = 5
    """A regulation pack is invalid or missing for a selected jurisdiction."""
    TEMPLATE = 6
    """A template is missing, has a syntax error, or uses an unknown variable."""
    OUTPUT = 7
    """An output could not be written (read-only directory, file not ours, ...)."""
    BUILD = 8
    """The policy could not be rendered for another reason."""
    ABORTED = 130
    """Interrupted by the user (Ctrl-C)."""


class SmpolicyError(Exception):
    """Root of every error smpolicy raises on purpose.

    ``message`` is shown to the user as is; it may hold several lines, one per problem.
    """

    exit_code: ExitCode = ExitCode.BUILD

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputFileError(SmpolicyError):
    """A file could not be read or parsed."""

    exit_code = ExitCode.INPUT_FILE


class ProfileError(SmpolicyError):
    """A profile failed validation."""

    exit_code = ExitCode.INVALID_PROFILE


class PackError(SmpolicyError):
    """A regulation pack is invalid or unavailable."""

    exit_code = ExitCode.INVALID_PACK


class TemplateError(SmpolicyError):
    """A template could not be loaded or rendered."""

    exit_code = ExitCode.TEMPLATE


class OutputError(SmpolicyError):
    """An output file could not be written."""

    exit_code = ExitCode.OUTPUT


class BuildError(SmpolicyError):
    """Rendering failed for a reason not covered above."""

    exit_code = ExitCode.BUILD


class StalePolicies(SmpolicyError):
    """``check`` found stale policies (not an error in the usual sense)."""

    exit_code = ExitCode.STALE


class UserAbort(SmpolicyError):
    """The user interrupted an interactive session."""

    exit_code = ExitCode.ABORTED
