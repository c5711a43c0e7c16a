"""Safe YAML reading and comment-preserving writing.

Profiles are edited by hand and shared, so reading is defensive: a size limit,
no object construction, duplicate keys rejected, aliases bounded (no "billion
laughs"), and control characters reported by field before they reach a writer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ruamel.yaml import YAML

MAX_BYTES = 1024 * 1024
MAX_ALIASES = 50


def _yaml(*, round_trip: bool) -> YAML:
    from ruamel.yaml import YAML  # noqa: PLC0415 - imported on first use: keeps start-up fast

    yaml = YAML(typ="rt" if round_trip else "safe", pure=True)
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_text(path: Path) -> str:
    """Read a UTF-8 text file of at most ``MAX_BYTES``, as a user error when that fails."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, expected a YAML file")
    if size > MAX_BYTES:
        raise InputFileError(
            f"{path}: file is {size} bytes, larger than the {MAX_BYTES}-byte limit for YAML input"
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None


def _count_aliases(text: str, path: Path) -> None:
    from ruamel.yaml.events import AliasEvent  # noqa: PLC0415

    count = 0
    for event in _yaml(round_trip=False).parse(io.StringIO(text)):
        if isinstance(event, AliasEvent):
            count += 1
            if count > MAX_ALIASES:
                raise InputFileError(
                    f"{path}: more than {MAX_ALIASES} YAML aliases; "
                    "write the values out instead of referencing anchors"
                )


def load_yaml(path: Path, *, round_trip: bool = False) -> Any:
    """Parse YAML from ``path`` safely. ``round_trip`` keeps comments and order."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415

    text = read_text(path)
    try:
        _count_aliases(text, path)
        data = _yaml(round_trip=round_trip).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        if "duplicate key" in str(problem) or "found duplicate key" in str(exc):
            problem = (
                "duplicate key " + str(problem).split('"')[1] if '"' in str(problem) else problem
            )
        raise InputFileError(f"{path}: {where}{problem}".replace("\n", " ")) from None
    except YAMLError as exc:
        raise InputFileError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InputFileError(f"{path}: YAML nested too deeply") from None
    return data


def dump_yaml(data: Any) -> str:
    """Serialize (round-trip) data to YAML text."""
    stream = io.StringIO()
    _yaml(round_trip=True).dump(data, stream)
    return stream.getvalue()
