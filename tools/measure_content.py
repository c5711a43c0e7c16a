"""Measure the example policies: words, DOCX pages (LibreOffice), and how much text varies.

Run: .venv/bin/python tools/measure_content.py
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from smpolicy._build import build_policy, render_policy
from smpolicy.profile._model import load_profile, parse_profile
from smpolicy.render._mdtree import parse_markdown
from smpolicy.render._pdf import docx_to_pdf, soffice

ROOT = Path(__file__).resolve().parents[1]


def sentences(markdown: str) -> set[str]:
    root, _ = parse_markdown(markdown)
    text = " ".join(" ".join(e.itertext()) for e in root)
    return {s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20}


def pages(docx: Path, work: Path) -> int:
    if soffice() is None:
        return -1
    pdf = work / f"{docx.stem}.pdf"
    pdf.write_bytes(docx_to_pdf(docx.read_bytes(), docx.stem))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("| Example | Type | Jurisdictions | Appetite | Words | DOCX pages |")
        print("|---|---|---|---|---|---|")
        for path in sorted((ROOT / "profiles" / "examples").glob("*.yaml")):
            result = build_policy(path, work / "out", formats=("docx", "md"), force=True)
            profile = load_profile(path)
            words = len(result.outputs["md"].read_text().split())
            org = profile.organization
            print(
                f"| {path.stem} | {org.type} | {', '.join(org.jurisdictions)} | "
                f"{profile.risk_appetite} | {words} | {pages(result.outputs['docx'], work)} |"
            )
    base = load_profile(ROOT / "profiles" / "examples" / "community-hospital.yaml").model_dump()

    def render(**changes: object) -> set[str]:
        data = {**base, "organization": {**base["organization"]}}
        for key, value in changes.items():
            if key in ("type", "jurisdictions"):
                data["organization"][key] = value
            else:
                data[key] = value
        return sentences(render_policy(parse_profile(data, "measure")).markdown)

    dental, maker = (
        render(type="dental", jurisdictions=["US"]),
        render(type="manufacturer", jurisdictions=["US"]),
    )
    low = render(risk_appetite="conservative", jurisdictions=["US"])
    high = render(risk_appetite="permissive", jurisdictions=["US"])
    print(
        f"\ndental vs manufacturer (US, balanced): {len(dental)} and {len(maker)} sentences; "
        f"{len(dental - maker)} only in dental, {len(maker - dental)} only in manufacturer"
    )
    print(
        f"conservative vs permissive (US hospital): {len(low)} and {len(high)} sentences; "
        f"{len(low - high)} only in conservative, {len(high - low)} only in permissive"
    )


if __name__ == "__main__":
    main()
