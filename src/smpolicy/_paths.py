"""Where the built-in template pack and regulation packs live."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def builtin_dir(name: str) -> Path:
    """``templates`` or ``regulations``: inside the installed wheel, else the source checkout."""
    packaged = Path(str(resources.files("smpolicy"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name
