"""Regulation packs for smpolicy, released on their own schedule.

smpolicy uses these packs instead of the ones it shipped with whenever this distribution's
release (``packset.json``) is newer.
"""

from __future__ import annotations

from pathlib import Path


def pack_dir() -> Path:
    """The folder holding the pack files and ``packset.json``."""
    return Path(__file__).resolve().parent / "regulations"
