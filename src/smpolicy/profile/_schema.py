"""The profile JSON Schema, exported for editors and CI."""

from __future__ import annotations

import json

from smpolicy.profile._model import SCHEMA_URL, Profile


def profile_schema() -> dict[str, object]:
    """JSON Schema (draft 2020-12) of the current profile format."""
    schema = Profile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_URL
    schema["title"] = "smpolicy profile"
    return schema


def profile_schema_json() -> str:
    """The schema as stable, indented JSON text."""
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"
