"""smpolicy: social media policies for healthcare organizations.

The public API is deliberately small; the CLI is a thin layer over it.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "build_policy",
    "load_profile",
    "render_policy",
]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from smpolicy._build import build_policy, render_policy
    from smpolicy.profile._model import load_profile


def __getattr__(name: str) -> Any:
    """Import the heavy modules only when their functions are first used."""
    if name in ("build_policy", "render_policy"):
        from smpolicy import _build  # noqa: PLC0415

        return getattr(_build, name)
    if name == "load_profile":
        from smpolicy.profile import _model as _profile  # noqa: PLC0415

        return _profile.load_profile
    raise AttributeError(name)
