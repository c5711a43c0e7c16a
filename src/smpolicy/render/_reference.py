"""House style from a reference document, and the organization's logo.

Both are files a profile names, so both are read defensively: confined to the
profile's folder (a reference document named on the command line excepted),
read with a size cap, zip members capped by the bytes they unpack to, and XML
with a document type or entity declarations refused, so none reaches the output.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from smpolicy._safeio import confined, read_capped
from smpolicy.errors import InputFileError
from smpolicy.render._docxstyles import STYLE_IDS, styles_xml

_STYLE = re.compile(r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*>.*?</w:style>', re.S)
_STYLE_IDS = re.compile(r'<w:style\b[^>]*w:styleId="([^"]+)"')
_LOADED: dict[tuple[Path, int], tuple[str, bytes | None]] = {}
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_REFERENCE_BYTES = 25 * 1024 * 1024
"""Largest reference .docx read (compressed)."""
MAX_PART_BYTES = 8 * 1024 * 1024
"""Largest styles or theme part, counted while unpacking (headers are not trusted)."""


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


class _Refused(Exception):
    """A reference document part that smpolicy will not use; the message says why."""


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    """One member, refused once it unpacks past ``MAX_PART_BYTES``."""
    chunks: list[bytes] = []
    total = 0
    with archive.open(name) as member:
        while chunk := member.read(64 * 1024):
            total += len(chunk)
            if total > MAX_PART_BYTES:
                raise _Refused(
                    f"{name} unpacks to more than {MAX_PART_BYTES // (1024 * 1024)} MiB; "
                    "save a small document holding only the styles"
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _check_xml(name: str, data: bytes) -> None:
    """Refuse a part that is not well-formed XML or declares a document type or entities."""

    def refuse(*_args: object) -> None:
        raise _Refused(f"{name} declares a document type or entities, which Word never writes")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise _Refused(f"{name} is not well-formed XML ({exc})") from None


def _load_reference(path: Path) -> tuple[str, bytes | None]:
    data = read_capped(path, MAX_REFERENCE_BYTES, what="reference document")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            raw_styles = _read_part(archive, "word/styles.xml")
            _check_xml("word/styles.xml", raw_styles)
            styles = raw_styles.decode("utf-8")
            theme = None
            if "word/theme/theme1.xml" in names:
                theme = _read_part(archive, "word/theme/theme1.xml")
                _check_xml("word/theme/theme1.xml", theme)
    except _Refused as exc:
        raise InputFileError(f"{path}: reference document refused: {exc}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, UnicodeDecodeError, OSError):
        raise InputFileError(
            f"{path}: not a Word document with styles; save it as .docx from Word or LibreOffice"
        ) from None
    except (NotImplementedError, RuntimeError, EOFError, ValueError) as exc:
        raise InputFileError(
            f"{path}: the reference document cannot be unpacked ({exc}); save it again as .docx"
        ) from None
    try:
        return merge_styles(styles, styles_xml()), theme
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}") from None


def load_logo(path: Path) -> bytes:
    """A PNG logo's bytes, checked."""
    data = read_capped(path, MAX_LOGO_BYTES, what="logo")
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise InputFileError(f"{path}: logo must be a PNG image")
    return data


def house_style(
    reference_doc: Path | None,
    logo: Path | None,
    default_reference: Path,
    *,
    root: Path | None = None,
    named: Path | None = None,
) -> HouseStyle:
    """Resolve the styles and logo for a build.

    With ``root`` (the profile's folder), the logo and the reference document must stay
    inside it, unless the reference document is ``named``: given on the command line.
    """
    if root is not None:
        if reference_doc is not None and reference_doc != named:
            reference_doc = confined(reference_doc, root, field="branding.reference_doc")
        if logo is not None:
            logo = confined(logo, root, field="branding.logo")
    if reference_doc is not None:
        styles, theme = load_reference(reference_doc)
    elif default_reference.is_file():
        styles, theme = load_reference(default_reference)
    else:
        styles, theme = styles_xml(), None
    return HouseStyle(styles=styles, theme=theme, logo=load_logo(logo) if logo else None)
