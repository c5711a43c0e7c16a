"""House style: a customer reference document and logo change the DOCX; the flowchart is embedded."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from smpolicy._build import build_policy
from smpolicy.errors import InputFileError

from .conftest import EXAMPLES, profile_data, write_yaml


def tiny_png(width: int = 40, height: int = 20) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x1f\x38\x64" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def customer_reference(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.styles["Normal"].font.name = "Georgia"
    document.styles["Heading 1"].font.name = "Georgia"
    document.save(str(path))
    return path


def test_reference_doc_and_logo_change_the_output(tmp_path: Path) -> None:
    customer_reference(tmp_path / "brand.docx")
    (tmp_path / "logo.png").write_bytes(tiny_png())
    data = profile_data()
    data["branding"] = {"reference_doc": "brand.docx", "logo": "logo.png"}
    profile = write_yaml(tmp_path / "branded.yaml", data)
    docx_path = build_policy(profile, tmp_path / "out").outputs["docx"]
    with zipfile.ZipFile(docx_path) as archive:
        styles = archive.read("word/styles.xml").decode()
        names = archive.namelist()
        header = archive.read("word/header1.xml").decode()
        header_rels = archive.read("word/_rels/header1.xml.rels").decode()
        document = archive.read("word/document.xml").decode()
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, re.S)
    assert normal and "Georgia" in normal.group(0)
    assert 'w:styleId="Callout"' in styles  # ours, added because theirs lacks it
    assert "word/media/logo.png" in names and "word/theme/theme1.xml" in names
    assert 'r:embed="rIdLogo"' in header and "media/logo.png" in header_rels
    used = set(re.findall(r'<w:pStyle w:val="([^"]+)"', document))
    defined = set(re.findall(r'w:styleId="([^"]+)"', styles))
    assert used <= defined


def test_default_build_has_no_logo_and_our_font(tmp_path: Path) -> None:
    docx_path = build_policy(EXAMPLES / "smile-dental.yaml", tmp_path).outputs["docx"]
    with zipfile.ZipFile(docx_path) as archive:
        assert "word/media/logo.png" not in archive.namelist()
        assert 'w:ascii="Arial"' in archive.read("word/styles.xml").decode()


def test_flowchart_is_embedded_with_alt_text(tmp_path: Path) -> None:
    result = build_policy(EXAMPLES / "community-hospital.yaml", tmp_path)
    with zipfile.ZipFile(result.outputs["docx"]) as archive:
        document = archive.read("word/document.xml").decode()
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert media == ["word/media/community-hospital.flowchart.png"]
    assert re.search(r'<wp:docPr [^>]*descr="Flowchart: a post is spotted', document)
    assert "data:image/png;base64," in result.outputs["html"].read_text()
    assert (tmp_path / "community-hospital.flowchart.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("field", "content", "message"),
    [
        ("reference_doc", b"not a zip", "not a Word document"),
        ("logo", b"GIF89a", "logo must be a PNG"),
    ],
)
def test_bad_branding_files_are_clear_errors(
    tmp_path: Path, field: str, content: bytes, message: str
) -> None:
    (tmp_path / "asset").write_bytes(content)
    data = profile_data()
    data["branding"] = {field: "asset"}
    profile = write_yaml(tmp_path / "p.yaml", data)
    with pytest.raises(InputFileError, match=message):
        build_policy(profile, tmp_path / "out")
