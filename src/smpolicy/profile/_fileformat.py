"""Comment-preserving profile writing: update a round-trip YAML document in place.

A profile is edited by hand and kept in git, so rewriting one must change only the
values that changed: comments, key order and quoting stay; new keys go where the
schema puts them; comments that belonged to the next key move with it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from smpolicy._yaml import dump_yaml, load_yaml
from smpolicy.errors import ProfileError
from smpolicy.profile._model import SCHEMA_URL, Profile, parse_profile

HEADER = f"# yaml-language-server: $schema={SCHEMA_URL}\n"
_NEW_FILE_NOTE = (
    "# Written by `smpolicy wizard`. Edit it by hand or run the wizard again: comments are kept.\n"
)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def model_at(path: tuple[str, ...]) -> type[BaseModel] | None:
    """The pydantic model describing the mapping at ``path`` of a profile, if any."""
    model: type[BaseModel] | None = Profile
    for part in path:
        if model is None or part not in model.model_fields:
            return None
        model = _submodel(model.model_fields[part].annotation)
    return model


def field_info(key: str) -> FieldInfo:
    """The pydantic field for a dotted profile key, e.g. ``organization.name``."""
    *parents, last = key.split(".")
    model = model_at(tuple(parents))
    if model is None or last not in model.model_fields:
        raise KeyError(key)
    return model.model_fields[last]


def to_plain(node: Any) -> Any:
    """Round-trip YAML nodes as plain dicts, lists, str, int, bool (for validation)."""
    if isinstance(node, Mapping):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def load_document(path: Path) -> CommentedMap:
    """Read a profile for editing, with its comments and key order."""
    data = load_yaml(path, round_trip=True)
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ProfileError(f"{path}: (top level): expected a mapping of profile fields")
    return data


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    if isinstance(old, dt.datetime) or isinstance(new, dt.datetime):
        return False
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, str) and isinstance(new, str):
        return str(old) == str(new)
    return type(old) is type(new) and old == new


def _scalar_width(value: Any) -> int:
    if isinstance(value, bool):
        return 4 if value else 5
    if isinstance(value, dt.date):
        return len(value.isoformat())
    if isinstance(value, list):
        return len(", ".join(str(v) for v in value)) + 2
    return len(str(value))


def _keep_comment_gap(node: CommentedMap, key: Any, old: Any, new: Any) -> None:
    """Move an end-of-line comment as far as the value grew or shrank."""
    entry = node.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    mark = getattr(token, "start_mark", None)
    if token is None or mark is None or str(token.value).startswith("\n"):
        return
    mark.column = max(0, mark.column + _scalar_width(new) - _scalar_width(old))


def _new_node(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        node = CommentedMap()
        apply_updates(node, value, path)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(value)
        if all(isinstance(v, str | int | float | bool) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _prune(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` without its removals (``None``), for a key that does not exist yet."""
    pruned: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            if item and not (item := _prune(item)):
                continue
        elif item is None:
            continue
        pruned[key] = item
    return pruned


def _last_leaf(node: CommentedMap, key: Any) -> tuple[CommentedMap, Any]:
    """The innermost last mapping entry under ``key``: where trailing comments attach."""
    value = node[key]
    while isinstance(value, CommentedMap) and len(value):
        node, key = value, list(value)[-1]
        value = node[key]
    return node, key


def _take_tail(node: CommentedMap, key: Any) -> str:
    """Detach the full-line comments after ``key``'s line (they introduce what follows)."""
    leaf, leaf_key = _last_leaf(node, key)
    if isinstance(leaf[leaf_key], CommentedSeq) and not leaf[leaf_key].fa.flow_style():
        return ""
    entry = leaf.ca.items.get(leaf_key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return ""
    head, _, tail = str(token.value).partition("\n")
    if not tail:
        return ""
    if head.strip():
        token.value = head + "\n"
    else:
        entry[2] = None
    return tail


def _put_tail(node: CommentedMap, key: Any, tail: str, template: Any) -> None:
    if not tail:
        return
    leaf, leaf_key = _last_leaf(node, key)
    entry = leaf.ca.items.setdefault(leaf_key, [None, None, None, None])
    if entry[2] is not None:
        entry[2].value = str(entry[2].value) + tail
        return
    token = copy.copy(template)
    token.value = "\n" + tail
    entry[2] = token


def _any_token(node: CommentedMap, key: Any) -> Any:
    leaf, leaf_key = _last_leaf(node, key)
    entry = leaf.ca.items.get(leaf_key)
    return entry[2] if entry and len(entry) > 2 else None


def _insert(node: CommentedMap, key: str, value: Any, path: tuple[str, ...]) -> None:
    model = model_at(path)
    order = list(model.model_fields) if model else []
    position = len(node)
    if key in order:
        before = set(order[: order.index(key)])
        existing = list(node)
        after_index = [i for i, k in enumerate(existing) if k in before]
        if after_index:
            position = after_index[-1] + 1
        else:
            later = [i for i, k in enumerate(existing) if k in order]
            position = later[0] if later else len(node)
    previous = list(node)[position - 1] if position > 0 else None
    token = _any_token(node, previous) if previous is not None else None
    tail = _take_tail(node, previous) if previous is not None else ""
    node.insert(position, key, _new_node(value, (*path, key)))
    if tail:
        _put_tail(node, key, tail, token)


def _delete(node: CommentedMap, key: str) -> None:
    keys = list(node)
    index = keys.index(key)
    token = _any_token(node, key)
    tail = _take_tail(node, key)
    del node[key]
    node.ca.items.pop(key, None)
    if tail and index > 0:
        _put_tail(node, keys[index - 1], tail, token)


def apply_updates(
    node: CommentedMap, updates: Mapping[str, Any], path: tuple[str, ...] = ()
) -> None:
    """Merge ``updates`` into ``node`` in place; ``None`` removes a key, mappings recurse."""
    for key, value in updates.items():
        present = key in node
        if value is None:
            if present:
                _delete(node, key)
            continue
        if isinstance(value, Mapping):
            if present and isinstance(node[key], CommentedMap):
                apply_updates(node[key], value, (*path, key))
                continue
            added = _prune(value)
            if not added:
                continue  # only removals below a key that is not there
            if present:
                node[key] = _new_node(added, (*path, key))
            else:
                _insert(node, key, added, path)
            continue
        if not present:
            _insert(node, key, value, path)
            continue
        old = node[key]
        if _same(old, value):
            continue
        _keep_comment_gap(node, key, old, value)
        if isinstance(old, CommentedSeq) and isinstance(value, list):
            del old[:]
            old.extend(value)
        elif isinstance(old, ScalarString) and isinstance(value, str):
            node[key] = type(old)(value)
        else:
            node[key] = _new_node(value, (*path, key))


def render(doc: CommentedMap, *, new: bool = False) -> str:
    """The document as YAML text whose first line names the profile schema."""
    text = dump_yaml(doc)
    if not text.startswith("# yaml-language-server:"):
        text = HEADER + (_NEW_FILE_NOTE if new else "") + text
    return text


def validate_document(doc: CommentedMap, source: str) -> Profile:
    """Validate the document as a profile (ProfileError lists every problem)."""
    return parse_profile(to_plain(doc), source)


def write_document(path: Path, doc: CommentedMap, *, new: bool = False) -> Profile:
    """Validate ``doc``, then write it to ``path`` atomically."""
    from smpolicy._fsutil import atomic_write  # noqa: PLC0415

    profile = validate_document(doc, str(path))
    atomic_write(path, render(doc, new=new).encode("utf-8"))
    return profile
