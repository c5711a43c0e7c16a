"""Where the built-in template pack and regulation packs live."""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from pathlib import Path


def builtin_dir(name: str) -> Path:
    """``templates`` or ``regulations``: inside the installed wheel, else the source checkout."""
    packaged = Path(str(resources.files("smpolicy"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


def output_stem(profile_path: Path) -> str:
    """A safe file-name stem derived from the profile's file name."""
    text = unicodedata.normalize("NFKD", profile_path.stem).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return text[:80] or "policy"
