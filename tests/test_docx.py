"""The DOCX: valid WordprocessingML in schema order, read back by independent readers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from smpolicy._build import build_policy
from smpolicy.render._docx import DocxMeta, DocxWriter
from smpolicy.render._mdtree import parse_markdown

from .conftest import EXAMPLES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Child order of the containers we write, from ECMA-376 part 1 (subset we use).
ORDER = {
    "rPr": [
        "rStyle",
        "rFonts",
        "b",
        "bCs",
        "i",
        "iCs",
        "caps",
        "smallCaps",
        "strike",
        "vanish",
        "color",
        "spacing",
        "sz",
        "szCs",
        "highlight",
        "u",
        "shd",
        "vertAlign",
        "lang",
    ],
    "pPr": [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "widowControl",
        "numPr",
        "pBdr",
        "shd",
        "tabs",
        "spacing",
        "ind",
        "contextualSpacing",
        "jc",
        "outlineLvl",
        "rPr",
    ],
    "sectPr": ["headerReference", "footerReference", "pgSz", "pgMar", "cols", "docGrid"],
    "tblPr": ["tblStyle", "tblW", "jc", "tblBorders", "tblLayout", "tblCellMar", "tblLook"],
    "trPr": ["cantSplit", "tblHeader"],
    "lvl": ["start", "numFmt", "lvlRestart", "pStyle", "lvlText", "lvlJc", "pPr", "rPr"],
    "style": [
        "name",
        "basedOn",
        "next",
        "link",
        "uiPriority",
        "semiHidden",
        "unhideWhenUsed",
        "qFormat",
        "pPr",
        "rPr",
        "tblPr",
        "trPr",
        "tcPr",
        "tblStylePr",
    ],
}


def assert_schema_order(xml: bytes, part: str) -> int:
    checked = 0
    for elem in ET.fromstring(xml).iter():
        local = elem.tag.removeprefix(W)
        if local not in ORDER or not elem.tag.startswith(W):
            continue
        order = ORDER[local]
        names = [c.tag.removeprefix(W) for c in elem]
        known = [n for n in names if n in order]
        assert known == sorted(known, key=order.index), f"{part}: <w:{local}> children {names}"
        checked += 1
    return checked


@pytest.fixture(scope="module")
def hospital_docx(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("docx")
    result = build_policy(EXAMPLES / "community-hospital.yaml", out)
    return result.outputs["docx"], result.outputs["md"]


def test_every_part_is_well_formed_and_in_schema_order(hospital_docx) -> None:
    docx, _ = hospital_docx
    with zipfile.ZipFile(docx) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        total = 0
        for name in names:
            if name.endswith((".xml", ".rels")):
                total += assert_schema_order(archive.read(name), name)
        assert total > 100
        rels = archive.read("word/_rels/document.xml.rels").decode()
        document = archive.read("word/document.xml").decode()
        for rid in set(re.findall(r'r:(?:id|embed)="([^"]+)"', document)):
            assert f'Id="{rid}"' in rels, rid
        starts = re.findall(r'<w:bookmarkStart w:id="(\d+)" w:name="([^"]+)"', document)
        ends = set(re.findall(r'<w:bookmarkEnd w:id="(\d+)"', document))
        assert {i for i, _ in starts} == ends
        names_defined = {n for _, n in starts}
        for anchor in re.findall(r'w:anchor="([^"]+)"', document):
            assert anchor in names_defined, anchor
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_styles_used_are_defined(hospital_docx) -> None:
    docx, _ = hospital_docx
    with zipfile.ZipFile(docx) as archive:
        styles = archive.read("word/styles.xml").decode()
        used = set(
            re.findall(
                r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"',
                archive.read("word/document.xml").decode(),
            )
        )
    defined = set(re.findall(r'w:styleId="([^"]+)"', styles))
    assert used <= defined, used - defined


def test_docx2python_reads_the_same_headings_and_text(hospital_docx) -> None:
    from docx2python import docx2python

    docx, markdown = hospital_docx
    root = parse_markdown(markdown.read_text())
    headings = ["".join(e.itertext()) for e in root if e.tag in ("h1", "h2", "h3")]
    paragraphs = ["".join(e.itertext()) for e in root if e.tag == "p"]
    with docx2python(docx) as doc:
        text = re.sub(r"</?a[^>]*>", "", doc.text)  # docx2python marks hyperlinks as <a> tags
    position = 0
    for heading in headings:
        found = text.find(heading, position)
        assert found >= 0, f"heading {heading!r} missing or out of order"
        position = found
    flat = " ".join(text.split())
    for para in paragraphs:
        assert " ".join(para.split()) in flat, para[:80]


@pytest.mark.skipif(
    shutil.which("pandoc") is None, reason="pandoc not installed (apt-get install pandoc)"
)
def test_pandoc_reads_the_same_headings(hospital_docx) -> None:
    docx, markdown = hospital_docx
    plain = subprocess.run(
        ["pandoc", str(docx), "-t", "plain", "--wrap=none"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    root = parse_markdown(markdown.read_text())
    for elem in root:
        if elem.tag in ("h1", "h2"):
            assert "".join(elem.itertext()) in plain


def test_properties_come_from_the_profile(hospital_docx) -> None:
    import docx as python_docx

    document = python_docx.Document(str(hospital_docx[0]))
    props = document.core_properties
    assert props.title == "Social Media Policy (COM-012)"
    assert props.language == "en-US"
    assert props.created.year == 2026 and props.created.month == 12
    assert "Riverside Community Hospital" in document.sections[0].header.paragraphs[0].text


def test_hostile_text_stays_literal() -> None:
    markdown = "# Heading\n\nText with a control-free <script>alert(1)</script> & \\*stars\\*.\n"
    root = parse_markdown(markdown)
    meta = DocxMeta("T", "S", "A", "K", "D", "en-GB", "2026-01-01", "Org <&>", "H", "F", 1, "g")
    data = DocxWriter(meta).write(root)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        document = archive.read("word/document.xml").decode()
        ET.fromstring(document)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; *stars*." in document


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(
    _soffice() is None,
    reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)",
)
@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_libreoffice_renders_the_policy(tmp_path: Path, example: str) -> None:
    out = tmp_path / "out"
    result_build = build_policy(EXAMPLES / f"{example}.yaml", out)
    docx = result_build.outputs["docx"]
    profile = result_build.rendered.profile if result_build.rendered else None
    assert profile is not None
    result = subprocess.run(
        [
            _soffice() or "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr and "error" not in result.stdout.lower()
    pdf = out / f"{example}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 15 <= pages <= 120  # policies fitted to the organization are shorter
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    first_pages = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", "-f", "1", "-l", "4", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    # The table of contents shows its entries without a field update.
    assert "Contents" in first_pages
    for entry in (
        "1. Purpose and scope",
        "3. Privacy and confidentiality",
        "11. Enforcement",
        "Appendix A. Staff acknowledg",  # "acknowledgement" in British spelling
    ):
        assert entry in first_pages, entry
    # Header and footer on every page.
    assert flat.count(profile.organization.name) >= pages
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert flat.count(f"{profile.policy.number} · version 1") >= pages
    # The acknowledgment form's signature and date lines.
    assert "Signature" in text and "Date" in text and "____" in text


@pytest.mark.slow
def test_installed_wheel_builds_from_any_directory(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(root)],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("smpolicy-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "smpolicy/_data/templates/policy.md.j2" in names
    assert "smpolicy/_data/regulations/US.yaml" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    profile = elsewhere / "clinic.yaml"
    profile.write_text((EXAMPLES / "northside-clinic.yaml").read_text())
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    probe = subprocess.run(
        [sys.executable, "-c", "import smpolicy; print(smpolicy.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        check=True,
    )
    assert probe.stdout.startswith(str(target))
    result = subprocess.run(
        [sys.executable, "-m", "smpolicy", "build", "clinic.yaml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "out" / "clinic.docx").stat().st_size > 10_000


def test_no_table_column_is_narrower_than_its_longest_word() -> None:
    import xml.etree.ElementTree as ET

    from smpolicy.render._docx import _CELL_MARGINS, _CHAR_TWIPS, _column_widths

    def row(*cells: str) -> tuple[bool, ET.Element]:
        element = ET.Element("tr")
        for text in cells:
            ET.SubElement(element, "td").text = text
        return False, element

    long_text = "a long explanation of the rule that takes most of the width " * 3
    rows = [row("Tier", "accuracy", long_text), row("1", "misinformation", long_text)]
    widths = _column_widths(rows, 3)
    assert sum(widths) == 9360
    assert widths[1] >= len("misinformation") * _CHAR_TWIPS + _CELL_MARGINS  # was ~1,500
    assert widths[2] > widths[1] > 0
