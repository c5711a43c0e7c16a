"""Safe YAML reading and comment-preserving writing.

Profiles are edited by hand and shared, so reading is defensive: a size limit
enforced while reading (never trusting ``stat``), regular files only, no object
construction, duplicate keys rejected, aliases bounded (no "billion laughs"),
nesting depth bounded before anything is built, numbers bounded in size and
impossible dates reported with their line instead of a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smpolicy.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ruamel.yaml import YAML

MAX_BYTES = 1024 * 1024
MAX_ALIASES = 50
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists accepted (a profile needs five levels)."""
MAX_INT_BITS = 256
"""Largest integer accepted, in bits (about 77 decimal digits)."""

_CONSTRUCTORS: dict[bool, type[Any]] = {}


def _constructor(round_trip: bool) -> type[Any]:
    """A constructor whose integers and timestamps fail as YAML errors with a line number."""
    if round_trip in _CONSTRUCTORS:
        return _CONSTRUCTORS[round_trip]
    from ruamel.yaml.constructor import (  # noqa: PLC0415
        ConstructorError,
        RoundTripConstructor,
        SafeConstructor,
    )

    base: type[Any] = RoundTripConstructor if round_trip else SafeConstructor

    def construct_int(self: Any, node: Any) -> Any:
        digits = sum(c.isalnum() for c in str(node.value))
        if digits > 100:
            raise ConstructorError(
                problem=f"a number with {digits} digits is too large; write a smaller number",
                problem_mark=node.start_mark,
            )
        value = base.construct_yaml_int(self, node)
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise ConstructorError(
                problem="the number is too large; write a smaller number",
                problem_mark=node.start_mark,
            )
        return value

    def construct_timestamp(self: Any, node: Any, values: Any = None) -> Any:
        try:
            return base.construct_yaml_timestamp(self, node, values)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                problem=f"{node.value} is not a date on the calendar ({exc}); "
                "write a real date as YYYY-MM-DD",
                problem_mark=node.start_mark,
            ) from None

    cls: Any = type(f"Checked{base.__name__}", (base,), {})
    cls.add_constructor("tag:yaml.org,2002:int", construct_int)
    cls.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    _CONSTRUCTORS[round_trip] = cls
    return _CONSTRUCTORS[round_trip]


def _yaml(*, round_trip: bool) -> YAML:
    from ruamel.yaml import YAML  # noqa: PLC0415 - imported on first use: keeps start-up fast

    yaml = YAML(typ="rt" if round_trip else "safe", pure=True)
    yaml.Constructor = _constructor(round_trip)
    yaml.Composer = _composer()
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def read_text(path: Path) -> str:
    """Read a UTF-8 text file of at most ``MAX_BYTES``, as a user error when that fails."""
    from smpolicy._safeio import read_capped  # noqa: PLC0415

    data = read_capped(path, MAX_BYTES, what="file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


class _StructureError(Exception):
    """Too many aliases or too deep nesting, found while composing (the message is final)."""


_COMPOSERS: list[type[Any]] = []


def _composer() -> type[Any]:
    """A composer refusing too many aliases or too deep nesting as it meets them.

    Composition reads the events in order before any object is built, so a file is refused
    before anything is constructed, in the same single pass that parses it.
    """
    if _COMPOSERS:
        return _COMPOSERS[0]
    from ruamel.yaml.composer import Composer  # noqa: PLC0415
    from ruamel.yaml.events import AliasEvent, CollectionStartEvent  # noqa: PLC0415

    class CheckedComposer(Composer):
        aliases = 0
        collections = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise _StructureError(
                        f"more than {MAX_ALIASES} YAML aliases; "
                        "write the values out instead of referencing anchors"
                    )
            elif self.parser.check_event(CollectionStartEvent):
                self.collections += 1
                if self.collections > MAX_DEPTH:
                    mark = self.parser.peek_event().start_mark
                    raise _StructureError(
                        f"line {mark.line + 1}, column {mark.column + 1}: nested more than "
                        f"{MAX_DEPTH} levels deep; a profile needs only a few levels"
                    )
                try:
                    return super().compose_node(parent, index)
                finally:
                    self.collections -= 1
            return super().compose_node(parent, index)

    _COMPOSERS.append(CheckedComposer)
    return CheckedComposer


def _encode(value: Any) -> Any:
    """Parsed YAML as JSON: scalars as themselves, everything else as a one-key tagged object.

    Raises TypeError for a value JSON cannot carry exactly (a set, bytes), so it is not cached.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return {"l": [_encode(v) for v in value]}
    if isinstance(value, dt.datetime):
        return {"T": value.isoformat()}
    if isinstance(value, dt.date):
        return {"t": value.isoformat()}
    raise TypeError(type(value).__name__)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag == "d":
        return {_decode(k): _decode(v) for k, v in body}
    if tag == "l":
        return [_decode(v) for v in body]
    if tag == "T":
        return dt.datetime.fromisoformat(body)
    return dt.date.fromisoformat(body)


def _exact_types(value: Any) -> bool:
    """True when ``value`` holds only plain dicts, lists and scalars (what _decode makes)."""
    if isinstance(value, dict):
        return type(value) is dict and all(
            _exact_types(k) and _exact_types(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return type(value) is list and all(_exact_types(v) for v in value)
    return value is None or type(value) in (bool, int, float, str, dt.date, dt.datetime)


def load_yaml(path: Path, *, round_trip: bool = False, cache: bool = True) -> Any:
    """Parse YAML from ``path`` safely. ``round_trip`` keeps comments and order.

    With ``cache``, a file parsed without ``round_trip`` is cached by the hash of its text
    (every check above passed on exactly that text), so an unchanged file (a pack, a clause,
    a template pack's metadata) is parsed once per user. Profiles, which change with every
    edit, are not cached.
    """
    text = read_text(path)
    if round_trip or not cache:
        return _parse(text, path, round_trip=round_trip)
    from smpolicy._cache import cache_path, write_cache  # noqa: PLC0415

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    seeded = _seed().get(digest)
    if seeded is not None:
        return _decode(seeded)
    cached = cache_path("yaml-1", digest + ".json")
    if cached is not None and cached.is_file():
        try:
            return _decode(json.loads(cached.read_bytes()))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # a damaged entry: parse the file again
    data = _parse(text, path, round_trip=False)
    if cached is not None and _exact_types(data):
        with contextlib.suppress(TypeError, ValueError):
            write_cache(cached, json.dumps(_encode(data), allow_nan=True).encode())
    return data


SEED_FILE = Path(__file__).with_name("_yaml_seed.json")
"""The built-in packs' and templates' YAML, parsed ahead of time (see :func:`make_seed`)."""
_SEED: list[dict[str, Any]] = []


def _seed() -> dict[str, Any]:
    """The shipped parses by the SHA-256 of the file's text (empty when missing or damaged).

    Keyed by content, so an entry is used only for exactly the text it was parsed from: an
    edited file misses and is parsed (and cached) as usual.
    """
    if not _SEED:
        entries: Any = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(SEED_FILE.read_bytes())
            if isinstance(data, dict) and data.get("format") == 1:
                entries = data.get("entries")
        _SEED.append(entries if isinstance(entries, dict) else {})
    return _SEED[0]


def seed_sources() -> list[Path]:
    """Every YAML file of the built-in template pack and regulation packs."""
    from smpolicy._paths import builtin_dir  # noqa: PLC0415

    return sorted(
        path
        for folder in ("templates", "regulations")
        for path in builtin_dir(folder).rglob("*.yaml")
        if path.is_file()
    )


def make_seed(paths: list[Path]) -> bytes:
    """The seed file's bytes for ``paths``: each parsed (with every check) and encoded."""
    entries: dict[str, Any] = {}
    for path in sorted(paths):
        text = read_text(path)
        data = _parse(text, path, round_trip=False)
        if _exact_types(data):
            entries[hashlib.sha256(text.encode("utf-8")).hexdigest()] = _encode(data)
    # One entry a line, sorted by hash: an edited file changes two lines, so merges stay easy.
    lines = [
        json.dumps(key) + ":" + json.dumps(value, allow_nan=True, separators=(",", ":"))
        for key, value in sorted(entries.items())
    ]
    return ('{"format":1,"entries":{\n' + ",\n".join(lines) + "\n}}\n").encode()


def _parse(text: str, path: Path, *, round_trip: bool) -> Any:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415

    try:
        data = _yaml(round_trip=round_trip).load(text)
    except _StructureError as exc:
        raise InputFileError(f"{path}: {exc}") from None
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
