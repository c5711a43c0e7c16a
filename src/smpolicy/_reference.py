"""House style from a reference document, and the organization's logo."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ._docxstyles import STYLE_IDS, styles_xml
from .errors import InputFileError

_STYLE = re.compile(r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*>.*?</w:style>', re.S)
_STYLE_IDS = re.compile(r'<w:style\b[^>]*w:styleId="([^"]+)"')
_LOADED: dict[tuple[Path, int], tuple[str, bytes | None]] = {}
MAX_LOGO_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class HouseStyle:
    """styles.xml to use, an optional theme part, and an optional logo."""

    styles: str
    theme: bytes | None = None
    logo: bytes | None = None
    logo_name: str = "logo.png"


def merge_styles(theirs: str, ours: str) -> str:
    """Their styles.xml, plus any style smpolicy writes that they do not define."""
    defined = set(_STYLE_IDS.findall(theirs))
    missing = [
        m.group(0)
        for m in _STYLE.finditer(ours)
        if m.group(1) in STYLE_IDS and m.group(1) not in defined
    ]
    if "</w:styles>" not in theirs:
        raise ValueError("styles.xml has no closing </w:styles>")
    return theirs.replace("</w:styles>", "".join(missing) + "</w:styles>")


def load_reference(path: Path) -> tuple[str, bytes | None]:
    """styles.xml (merged with ours) and the theme of a reference .docx (memoized)."""
    try:
        key = (path.resolve(), path.stat().st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    result = _load_reference(path)
    if key is not None:
        _LOADED[key] = result
    return result


def _load_reference(path: Path) -> tuple[str, bytes | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("word/styles.xml").decode("utf-8")
            names = archive.namelist()
            theme = (
                archive.read("word/theme/theme1.xml") if "word/theme/theme1.xml" in names else None
            )
    except FileNotFoundError:
        raise InputFileError(f"{path}: reference document not found") from None
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError):
        raise InputFileError(
            f"{path}: not a Word document with styles; save it as .docx from Word or LibreOffice"
        ) from None
    try:
        return merge_styles(styles, styles_xml()), theme
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}") from None


def load_logo(path: Path) -> bytes:
    """A PNG logo's bytes, checked."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: logo not found") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read logo: {exc.strerror}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise InputFileError(f"{path}: logo is larger than 2 MiB; use a smaller PNG")
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise InputFileError(f"{path}: logo must be a PNG image")
    return data


def house_style(
    reference_doc: Path | None, logo: Path | None, default_reference: Path
) -> HouseStyle:
    """Resolve the styles and logo for a build."""
    if reference_doc is not None:
        styles, theme = load_reference(reference_doc)
    elif default_reference.is_file():
        styles, theme = load_reference(default_reference)
    else:
        styles, theme = styles_xml(), None
    return HouseStyle(styles=styles, theme=theme, logo=load_logo(logo) if logo else None)
