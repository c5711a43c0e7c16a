"""The redline is the new version's own DOCX with tracked changes from the old one."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from smpolicy.render._docx import DocxMeta, DocxWriter, Image
from smpolicy.render._mdtree import parse_markdown
from smpolicy.render._redline import changes_markdown, redline, text_diff

from .conftest import EXAMPLES, ROOT
from .test_docx import assert_schema_order

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REVISIONS = (f"{W}ins", f"{W}del")
TEXT = (f"{W}t", f"{W}tab")
# Where a revision wrapping runs may stand (EG_RunLevelElements in these containers).
RUN_CONTAINERS = {f"{W}p", f"{W}hyperlink", f"{W}sdtContent", f"{W}smartTag", f"{W}customXml"}
PENALTY_ID = "us-ca.cmia.penalties"
PENALTY_KEY = "knowing_willful_max_per_violation_usd"
PNG = (  # a 1x1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def smpolicy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # This checkout's code, whichever copy of smpolicy the interpreter has installed.
    env = {
        "PATH": "/usr/bin:/bin",
        "SOURCE_DATE_EPOCH": "1796083200",
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.run(
        [sys.executable, "-m", "smpolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=180,
    )


@pytest.fixture(scope="module")
def reissued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose hospital policy was issued, then re-issued with a new platform, a
    stricter risk appetite (many rules, approvals and response times change) and a changed
    penalty amount."""
    ws = tmp_path_factory.mktemp("redline") / "ws"
    assert smpolicy("init", str(ws), cwd=ws.parent).returncode == 0
    profile = ws / "profiles" / "hospital.yaml"
    shutil.copy(EXAMPLES / "community-hospital.yaml", profile)
    shutil.copytree(ROOT / "regulations", ws / "packs")
    config = ws / "smpolicy.yaml"
    config.write_text(config.read_text() + "packs: packs\n")
    first = smpolicy("build", "profiles/hospital.yaml", cwd=ws)
    assert first.returncode == 0, first.stderr

    text = profile.read_text()
    assert "tiktok, review_sites]" in text
    assert "risk_appetite: balanced" in text
    text = text.replace("tiktok, review_sites]", "tiktok, threads, review_sites]")
    profile.write_text(text.replace("risk_appetite: balanced", "risk_appetite: conservative"))
    yaml = YAML()
    pack = ws / "packs" / "US-CA.yaml"
    data = yaml.load(pack.read_text())
    entry = [e for e in data["entries"] if e["id"] == PENALTY_ID][-1]
    entry["values"][PENALTY_KEY] = 26234
    with pack.open("w") as handle:
        yaml.dump(data, handle)

    second = smpolicy("build", "profiles/hospital.yaml", cwd=ws)
    assert second.returncode == 0, second.stderr
    assert "issued version 2" in second.stderr
    return ws


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def revision_text(document: bytes, kind: str) -> str:
    root = ET.fromstring(document)
    text_tag = f"{W}delText" if kind == "del" else f"{W}t"
    return " ".join(
        "".join(t.text or "" for t in rev.iter(text_tag)) for rev in root.iter(f"{W}{kind}")
    )


def check_revisions(document: bytes) -> int:
    """Every w:ins / w:del stands where ECMA-376 allows it, with its attributes; returns
    how many there are."""
    root = ET.fromstring(document)
    parent = {child: elem for elem in root.iter() for child in elem}
    ids: list[str] = []
    count = 0
    for elem in root.iter():
        if elem.tag not in REVISIONS:
            continue
        count += 1
        local = elem.tag.removeprefix(W)
        for name in ("id", "author", "date"):
            assert elem.get(f"{W}{name}"), f"w:{local} without w:{name}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", elem.get(f"{W}date", ""))
        ids.append(elem.get(f"{W}id", ""))
        up = parent[elem]
        if len(elem) == 0:
            # A mark: a paragraph mark's revision (first in pPr/rPr, and that rPr last in pPr
            # but for sectPr and pPrChange), or a row's (last in trPr).
            if up.tag == f"{W}rPr":
                ppr = parent[up]
                assert ppr.tag == f"{W}pPr", "w:ins/w:del in a run's rPr"
                assert list(up).index(elem) < 2 and all(c.tag in REVISIONS for c in up[:2])
                after = [c.tag for c in ppr][list(ppr).index(up) + 1 :]
                assert set(after) <= {f"{W}sectPr", f"{W}pPrChange"}, after
            else:
                assert up.tag == f"{W}trPr", f"empty w:{local} inside {up.tag}"
                assert all(c.tag in REVISIONS for c in up[list(up).index(elem) :])
            continue
        assert up.tag in RUN_CONTAINERS, f"w:{local} inside {up.tag}"
        for run in elem:
            assert run.tag == f"{W}r", f"w:{local} holds {run.tag}"
            texts = {c.tag for c in run}
            if local == "del":
                assert f"{W}t" not in texts and f"{W}instrText" not in texts
            else:
                assert f"{W}delText" not in texts
    # Annotation ids are unique across revisions and bookmarks.
    bookmarks = [b.get(f"{W}id", "") for b in root.iter(f"{W}bookmarkStart")]
    assert len(set(ids)) == len(ids) and not set(ids) & set(bookmarks)
    return count


def test_redline_is_the_policy_with_tracked_changes(reissued: Path) -> None:
    policies = reissued / "policies"
    policy = parts(policies / "hospital.docx")
    red = parts(policies / "hospital.redline.docx")
    document = red["word/document.xml"]

    # Same package: styles, numbering, header, footer, picture, properties; and the old
    # flowchart (its response times changed with the risk appetite).
    assert sorted(red) == sorted([*policy, "word/media/previous-hospital.flowchart.png"])
    archived = reissued / "policies" / "archive" / "hospital" / "v1" / "hospital.flowchart.png"
    assert red["word/media/previous-hospital.flowchart.png"] == archived.read_bytes()
    for name in (
        "word/styles.xml",
        "word/header1.xml",
        "word/footer1.xml",
        "word/settings.xml",
        "word/media/hospital.flowchart.png",
        "docProps/core.xml",
    ):
        assert red[name] == policy[name], name
    # List definitions as in the policy (deleted lists add numbering instances after them).
    definitions = policy["word/numbering.xml"].split(b"<w:num ")[0]
    assert red["word/numbering.xml"].startswith(definitions)

    def targets(rels: bytes) -> set[bytes]:
        return set(re.findall(rb'Type="[^"]+" Target="[^"]+"', rels))

    policy_rels = targets(policy["word/_rels/document.xml.rels"])
    assert policy_rels <= targets(red["word/_rels/document.xml.rels"])
    root = ET.fromstring(document)
    tables = len(list(root.iter(f"{W}tbl")))
    assert tables == len(list(ET.fromstring(policy["word/document.xml"]).iter(f"{W}tbl")))
    assert tables >= 10  # the policy states each rule once: fewer tables than before
    # The flowchart: the old one deleted, the new one inserted.
    assert len(list(root.iter(f"{W}drawing"))) == 2
    for kind in ("ins", "del"):
        assert any(list(rev.iter(f"{W}drawing")) for rev in root.iter(f"{W}{kind}"))
    numbered = [
        p
        for p in root.iter(f"{W}p")
        if p.find(f"{W}pPr/{W}numPr/{W}numId") is not None
        and p.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val") not in ("0", "1")
    ]
    assert len(numbered) > 50  # numbered and bulleted list paragraphs of a shorter policy
    assert b"TOCHeading" in document and b" TOC " in document
    assert b'<w:headerReference w:type="default"' in document

    deleted, inserted = revision_text(document, "del"), revision_text(document, "ins")
    assert "25,000" in deleted and "26,234" in inserted
    assert "Threads" in inserted and "Threads" not in deleted
    # The new revision-history row names the old figure on purpose ("changed from US$25,000
    # to US$26,234"); nowhere else does the inserted text hold it.
    assert "25,000" not in inserted.replace("from US$25,000 to", "") and "26,234" not in deleted
    assert check_revisions(document) >= 10
    assert (
        assert_schema_order(document, "word/document.xml") > 500
    )  # a shorter policy has fewer elements
    # Headings carry the new version's numbers only: no "3.1[2.1]", no doubled numbers.
    headings = [
        "".join(
            "\t" if t.tag == f"{W}tab" else t.text or ""
            for run in p.iter(f"{W}r")
            for t in run
            if t.tag in TEXT
        )
        for p in root.iter(f"{W}p")
        if (p.find(f"{W}pPr/{W}pStyle") is not None)
        and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val", "").startswith("Heading")
    ]
    assert headings[0].startswith("1.") and any(h.endswith("Threads") for h in headings)
    assert not [h for h in headings if not re.fullmatch(r"\d+(\.\d+)*\.?\t[^\t\[\d][^\t\[]*", h)]


def test_summary_counts_the_changes_the_redline_shows(reissued: Path) -> None:
    summary = (reissued / "policies" / "hospital.changes.md").read_text()
    count = int(re.search(r"(\d+) paragraphs changed", summary).group(1))
    document = parts(reissued / "policies" / "hospital.redline.docx")["word/document.xml"]
    root = ET.fromstring(document)

    def changed(elem: ET.Element) -> bool:
        return any(True for _ in elem.iter(f"{W}ins")) or any(True for _ in elem.iter(f"{W}del"))

    in_tables = {p for tbl in root.iter(f"{W}tbl") for p in tbl.iter(f"{W}p")}
    paragraphs = [
        p
        for p in root.iter(f"{W}p")
        if p not in in_tables
        and not (
            p.find(f"{W}pPr/{W}pStyle[@{W}val]") is not None
            and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val", "").startswith("TOC")
        )
        and changed(p)
    ]
    rows = [tr for tr in root.iter(f"{W}tr") if changed(tr)]
    # One change per paragraph, and one per table row (its changed cells together).
    assert count == len(paragraphs) + len(rows) and count >= 5
    # The summary lists the changes in the policy's words, under their sections.
    assert "## What changed" in summary
    assert "~~25,000~~**26,234**" in summary
    assert "Approval before publication**" in summary and "Threads**" in summary
    assert "data-smpolicy" not in summary


def _pandoc_words(path: Path, *options: str) -> list[str]:
    markdown = subprocess.run(
        ["pandoc", *options, "-t", "markdown", "--wrap=none", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The redline writes the new version's heading numbers out, and those of ordered lists
    # with changes; the policy numbers them automatically, so numbers are left out.
    # (pandoc also marks a heading whose numbering is switched off as a list paragraph.)
    markdown = re.sub(r"(?m)^(#+ )\d+(?:\.\d+)*\.?\s+", r"\1", markdown)
    markdown = re.sub(r"(?m)^(\s*)(\d+|[a-z]{1,4})\\?\.\s+", r"\1", markdown)
    markdown = re.sub(r"(?m) \{#[\w-]+ \.list-paragraph\}$", "", markdown)
    # Bookmark names are numbered in document order, and the redline has more headings.
    markdown = re.sub(r"#_s\d{4}\b", "", markdown)
    markdown = markdown.replace("media/previous-", "media/")  # the old flowchart
    return re.findall(r"\w+", markdown)


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed")
def test_accepting_gives_the_new_text_and_rejecting_the_old(reissued: Path) -> None:
    policies = reissued / "policies"
    red = policies / "hospital.redline.docx"
    new = _pandoc_words(policies / "hospital.docx")
    old = _pandoc_words(policies / "archive" / "hospital" / "v1" / "hospital.docx")
    assert new != old
    assert _pandoc_words(red, "--track-changes=accept") == new
    assert _pandoc_words(red, "--track-changes=reject") == old
    everything = subprocess.run(
        ["pandoc", "--track-changes=all", "-t", "html", str(red)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'class="insertion"' in everything and 'class="deletion"' in everything


def test_docx2python_reads_the_redline(reissued: Path) -> None:
    docx2python = pytest.importorskip("docx2python")
    with docx2python.docx2python(reissued / "policies" / "hospital.redline.docx") as content:
        text = content.text
        assert "26,234" in text and "Threads" in text
        assert len(content.images) == 2  # the flowchart, new and old


def test_same_inputs_give_the_same_bytes(reissued: Path) -> None:
    policies = reissued / "policies"
    old = (policies / "archive" / "hospital" / "v1" / "hospital.md").read_text()
    new = (policies / "hospital.md").read_text()
    meta = DocxMeta(
        "T", "S", "A", "K", "D", "en-US", "2026-12-01", "Org", "Org\tT", "F", 2, "smpolicy"
    )
    images = {"hospital.flowchart.png": Image((policies / "hospital.flowchart.png").read_bytes())}
    first = redline(old, new, meta, author="smpolicy", date="2026-12-01", images=images)
    second = redline(old, new, meta, author="smpolicy", date="2026-12-01", images=images)
    assert first.docx == second.docx and first.changes == second.changes
    assert any("26,234" in c.new and "25,000" in c.old for c in first.changes)
    # The text diff for `smpolicy diff` still reads the same versions.
    diff = text_diff(old, new, "version 1", "version 2")
    assert "-" in diff and "26,234" in diff


META = DocxMeta("T", "S", "A", "K", "D", "en-US", "2026-01-01", "Org", "Org\tT", "F", 2, "g")


def _document(old: str, new: str) -> tuple[ET.Element, bytes]:
    result = redline(
        old, new, META, author="Reviewer", date="2026-02-01", images={"f.png": Image(PNG, "F")}
    )
    with zipfile.ZipFile(io.BytesIO(result.docx)) as archive:
        document = archive.read("word/document.xml")
    check_revisions(document)
    assert_schema_order(document, "word/document.xml")
    return ET.fromstring(document), document


def test_table_rows_and_cells() -> None:
    table = "| Platform | Owner |\n| --- | --- |\n{rows}\n"
    old = table.format(rows="| Facebook | Comms |\n| X | Comms |")
    new = table.format(rows="| Facebook | Communications |\n| TikTok | Comms |\n| X | Comms |")
    root, _ = _document(old, new)
    rows = list(root.iter(f"{W}tr"))
    assert len(rows) == 4
    assert rows[2].find(f"{W}trPr/{W}ins") is not None  # the TikTok row
    assert all(r.find(f"{W}trPr/{W}ins") is None for r in (rows[0], rows[1], rows[3]))
    cell = rows[1][2]
    assert "".join(t.text or "" for t in cell.iter(f"{W}delText")) == "Comms"
    assert "".join(t.text or "" for t in cell.iter(f"{W}t")) == "Communications"
    # A cell's paragraph mark is never tracked: its row carries the change.
    assert not list(rows[2].iter(f"{W}rPr")) or all(
        rpr.find(f"{W}ins") is None for rpr in rows[2].iter(f"{W}rPr")
    )
    old2 = table.format(rows="| Facebook | Comms |\n| X | Comms |")
    new2 = table.format(rows="| Facebook | Comms |")
    root2, _ = _document(old2, new2)
    assert root2.findall(f".//{W}tr")[2].find(f"{W}trPr/{W}del") is not None


def test_paragraphs_lists_headings_and_pictures() -> None:
    old = (
        "# Purpose\n\nReport within 60 days.\n\n- one\n- two\n\n# Old section\n\n"
        "Gone entirely, every word.\n\n# Scope\n\n![Flow](f.png)\n"
    )
    new = (
        "# Purpose\n\nReport **within 30 days**.\n\n- one\n- two\n- three\n\n# Scope\n\n"
        "![Flow](f.png)\n\nA new closing paragraph.\n"
    )
    root, document = _document(old, new)
    paras = list(root.find(f"{W}body").iter(f"{W}p"))

    def text(p: ET.Element) -> str:
        return "".join(
            "\t" if t.tag == f"{W}tab" else t.text or ""
            for run in p.iter(f"{W}r")
            for t in run
            if t.tag in (*TEXT, f"{W}delText")
        )

    def mark(p: ET.Element) -> str | None:
        rpr = p.find(f"{W}pPr/{W}rPr")
        return None if rpr is None or not len(rpr) else rpr[0].tag.removeprefix(W)

    by_text = {text(p): p for p in paras}
    changed = by_text["Report within 60 dayswithin 30 days."]
    assert mark(changed) is None
    assert changed.find(f"{W}ins/{W}r/{W}rPr/{W}b") is not None  # the bold survives
    three = by_text["three"]
    assert mark(three) == "ins" and three.find(f"{W}pPr/{W}numPr") is not None
    assert mark(by_text["Gone entirely, every word."]) == "del"
    assert mark(by_text["A new closing paragraph."]) == "ins"
    # The deleted heading has no number; the others carry the new numbers.
    deleted_heading = by_text["Old section"]
    assert mark(deleted_heading) == "del"
    assert deleted_heading.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val") == "0"
    headings = [
        text(p) for p in paras if p.find(f"{W}pPr/{W}pStyle[@{W}val='Heading1']") is not None
    ]
    assert headings == ["1.\tPurpose", "Old section", "2.\tScope"]
    assert b"<w:drawing>" in document and len(list(root.iter(f"{W}drawing"))) == 1
    # Unchanged paragraphs are written as in the policy.
    assert mark(by_text["one"]) is None and not list(by_text["one"].iter(f"{W}ins"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_shows_the_new_heading_numbers(reissued: Path, tmp_path: Path) -> None:
    policies = reissued / "policies"
    texts = {}
    for name in ("hospital.docx", "hospital.redline.docx"):
        subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(policies / name),
            ],
            capture_output=True,
            timeout=300,
            check=True,
        )
        pdf = tmp_path / name.replace(".docx", ".pdf")
        texts[name] = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    heading = re.compile(r"(?m)^\s*(\d+(?:\.\d+)*\.?)(\[[\d.]+\])?\s+Threads\s*$")
    policy, red = (
        heading.search(texts["hospital.docx"]),
        heading.search(texts["hospital.redline.docx"]),
    )
    assert policy and red and red.group(1) == policy.group(1) and red.group(2) is None
    assert not re.search(r"\[[\da-z]{1,4}(\.\d+)*\.?\]", texts["hospital.redline.docx"])
    assert "Page 1 of" in texts["hospital.redline.docx"]


def test_ordered_list_shows_the_new_numbers_only() -> None:
    root, _ = _document(
        "Intro.\n\n1. one\n2. two\n3. three\n4. four\n\nEnd.\n",
        "Intro.\n\n1. one\n2. inserted item\n3. two\n4. three\n\nEnd.\n",
    )
    items = [
        p
        for p in root.iter(f"{W}p")
        if p.find(f"{W}pPr/{W}pStyle[@{W}val='ListParagraph']") is not None
    ]

    def label(p: ET.Element) -> str:
        return "".join(
            "\t" if t.tag == f"{W}tab" else t.text or ""
            for run in p.iter(f"{W}r")
            for t in run
            if t.tag in (*TEXT, f"{W}delText")
        )

    assert [label(p) for p in items] == [
        "1.\tone",
        "2.\tinserted item",
        "3.\ttwo",
        "4.\tthree",
        "four",  # deleted: no number
    ]
    # Automatic numbering is off in this list only, and the layout is the numbering's.
    for p in items:
        assert p.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val") == "0"
        assert p.find(f"{W}pPr/{W}ind").get(f"{W}left") == "720"
    untouched, _ = _document("1. one\n2. two\n", "1. one\n2. two\n\nMore.\n")
    numids = [n.get(f"{W}val") for n in untouched.iter(f"{W}numId")]
    assert numids == ["2", "2"]
    # Words changed inside an item are enough (LibreOffice would show "6.[2.]").
    reworded, _ = _document("1. one\n2. two\n", "1. one\n2. two and more\n")
    assert [n.get(f"{W}val") for n in reworded.iter(f"{W}numId")] == ["0", "0"]
    nested, _ = _document("1. one\n    1. inner\n2. two\n", "1. one\n    1. inner new\n2. two\n")
    assert [label(p) for p in nested.iter(f"{W}p")] == ["1.\tone", "a.\tinner new", "2.\ttwo"]


def _paragraph_words(document: bytes, keep: str) -> list[str]:
    """The words a reader sees after accepting (keep="ins") or rejecting (keep="del") every
    change, heading and list numbers left out (the policy numbers them automatically)."""
    root = ET.fromstring(document)
    parent = {child: elem for elem in root.iter() for child in elem}
    drop = f"{W}del" if keep == "ins" else f"{W}ins"
    words: list[str] = []
    for p in root.iter(f"{W}p"):
        pieces = []
        for node in p.iter():
            if node.tag not in (f"{W}t", f"{W}delText", f"{W}tab") or parent[node].tag != f"{W}r":
                continue
            up = parent[parent[node]]
            if up.tag == drop:
                continue
            pieces.append("\t" if node.tag == f"{W}tab" else node.text or "")
        text = re.sub(r"^(\d+(\.\d+)*\.?|[a-z]{1,4}\.)\t", "", "".join(pieces))
        words.extend(re.findall(r"\w+", text))
    return words


def _mutate(markdown: str, seed: int) -> str:
    """An edited copy of ``markdown``: blocks and lines deleted, words changed, text added."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    blocks = markdown.split("\n\n")
    for _ in range(rng.randint(3, 12)):
        index = rng.randrange(1, len(blocks))
        lines = blocks[index].split("\n")
        action = rng.choice(["drop-block", "add-block", "word", "drop-line", "add-line", "move"])
        if action == "drop-block":
            del blocks[index]
        elif action == "add-block":
            blocks.insert(
                index,
                rng.choice(["A new paragraph, added.", "## A new section", "1. first\n2. second"]),
            )
        elif action == "move":
            blocks.insert(rng.randrange(1, len(blocks)), blocks.pop(index))
        elif action == "word":
            line = rng.randrange(len(lines))
            words = lines[line].split(" ")
            spot = rng.randrange(len(words))
            if re.fullmatch(r"\w+[.,]?", words[spot]):
                words[spot] = rng.choice(["changed", "**bold**", "30", "Threads"])
            lines[line] = " ".join(words)
            blocks[index] = "\n".join(lines)
        else:
            rows = [i for i, line in enumerate(lines) if re.match(r"(- |\d+\. |\| [^-])", line)]
            if len(rows) > 2:
                row = rng.choice(rows[1:])
                if action == "drop-line":
                    del lines[row]
                else:
                    lines.insert(row, re.sub(r"\w+", "added", lines[row], count=2))
                blocks[index] = "\n".join(lines)
    return "\n\n".join(blocks)


@pytest.mark.parametrize("seed", range(12))
def test_random_edits_accept_to_the_new_and_reject_to_the_old(seed: int) -> None:
    old = (ROOT / "docs" / "examples" / "community-hospital.md").read_text()
    new = _mutate(old, seed)
    assert new != old
    images = {"community-hospital.flowchart.png": Image(PNG, "Flow")}
    result = redline(old, new, META, author="Reviewer", date="2026-02-01", images=images)
    with zipfile.ZipFile(io.BytesIO(result.docx)) as archive:
        document = archive.read("word/document.xml")
    check_revisions(document)
    assert_schema_order(document, "word/document.xml")
    for markdown, keep in ((new, "ins"), (old, "del")):
        plain = DocxWriter(META, images).document_xml(parse_markdown(markdown)).encode()
        assert _paragraph_words(document, keep) == _paragraph_words(plain, "ins"), keep
    assert result.changed_paragraphs > 0


def test_excerpts_are_literal_markdown() -> None:
    result = redline(
        "# Scope\n\nPosts need approval within 2 days.\n",
        "# Scope\n\nPosts need approval within 1 day \\*\\*now\\*\\* \\[x\\](y).\n",
        META,
        author="R",
        date="2026-02-01",
    )
    (change,) = result.changes
    assert change.section == "1. Scope"
    assert change.old == "Posts need approval within 2 days."
    assert change.new == "Posts need approval within 1 day **now** [x](y)."
    assert change.excerpt.startswith("Posts need approval within ~~2 days~~**1 day")
    assert "\\*\\*now\\*\\*" in change.excerpt and "\\[x\\]" in change.excerpt
    assert "1\\. Scope" in changes_markdown(result.changes)


def test_a_changed_picture_is_shown_replaced() -> None:
    markdown = "# Flow\n\n![The flowchart](f.png)\n"
    other = PNG.replace(b"\x00\x01\x08\x06", b"\x00\x02\x08\x06")  # a 1x2 "picture"
    images = {"f.png": Image(PNG, "F")}
    same = redline(
        markdown,
        markdown,
        META,
        author="R",
        date="2026-02-01",
        images=images,
        old_images={"f.png": Image(PNG, "F")},
    )
    assert same.changes == ()
    changed = redline(
        markdown,
        markdown,
        META,
        author="R",
        date="2026-02-01",
        images=images,
        old_images={"f.png": Image(other, "F")},
    )
    with zipfile.ZipFile(io.BytesIO(changed.docx)) as archive:
        document = archive.read("word/document.xml")
        assert archive.read("word/media/previous-f.png") == other
        assert archive.read("word/media/f.png") == PNG
    check_revisions(document)
    root = ET.fromstring(document)
    assert [d.tag for d in root.iter(f"{W}del") if list(d.iter(f"{W}drawing"))]
    assert [d.tag for d in root.iter(f"{W}ins") if list(d.iter(f"{W}drawing"))]
    assert [c.excerpt for c in changed.changes][:2] == ["picture removed", "~~The flowchart~~"]


def test_a_changed_paragraph_pairs_with_its_old_text_not_its_neighbour() -> None:
    old = "# Rules\n\nAlpha beta gamma delta epsilon.\n\nReport every incident within 60 days of discovery.\n"
    new = "# Rules\n\nReport every incident within 30 days of discovery.\n"
    result = redline(old, new, META, author="R", date="2026-02-01")
    assert [(c.old, c.new) for c in result.changes] == [
        ("Alpha beta gamma delta epsilon.", ""),
        (
            "Report every incident within 60 days of discovery.",
            "Report every incident within 30 days of discovery.",
        ),
    ]
    assert (
        result.changes[1].excerpt == "Report every incident within ~~60~~**30** days of discovery."
    )
