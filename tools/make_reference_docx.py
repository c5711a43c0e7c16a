"""Regenerate templates/styles/reference.docx: the built-in house style, with a sample of each style.

Run: .venv/bin/python tools/make_reference_docx.py
Open the result in Word or LibreOffice, change the styles (not the text), and save it under
another name to use as a customer reference document (--reference-doc or profile branding).
"""

from __future__ import annotations

from pathlib import Path

from smpolicy.render._docx import DocxMeta, DocxWriter
from smpolicy.render._mdtree import parse_markdown

SAMPLE = """\
# Policy title (Title) {: .title }

Organization name

# Heading 1 (numbered section)

Body text (Normal) with **bold**, *italic* and a [hyperlink](https://example.org).

## Heading 2 (numbered subsection)

### Heading 3

- Bulleted list
    - second level
1. Numbered list
2. Second item

> **Callout.** The few rules that matter most appear in a callout box.

| Table header | Second column |
|---|---|
| Table text | Cell |

# Appendix A. Appendix heading {: .appendix }

## Appendix subheading
"""


def main() -> None:
    root, _ = parse_markdown(SAMPLE)
    meta = DocxMeta(
        title="smpolicy reference document",
        subject="House style",
        author="smpolicy",
        keywords="reference",
        description="Styles used by smpolicy",
        language="en-US",
        date="2026-01-01",
        organization="smpolicy",
        header_text="Organization\tPolicy title",
        footer_text="Footer text",
        version=1,
        generator="smpolicy",
    )
    target = Path(__file__).resolve().parents[1] / "templates" / "styles" / "reference.docx"
    target.write_bytes(DocxWriter(meta).write(root))
    print(target)


if __name__ == "__main__":
    main()
