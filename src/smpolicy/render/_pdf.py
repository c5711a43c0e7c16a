"""PDF output through LibreOffice, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from smpolicy.errors import BuildError

INSTALL_HINT = (
    "LibreOffice is needed for --format pdf and was not found; install it "
    "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui; macOS: brew install --cask "
    "libreoffice) or build docx and convert it yourself"
)


def soffice() -> str | None:
    """Path of the LibreOffice command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, name: str) -> bytes:
    """Convert DOCX bytes to PDF bytes with LibreOffice in a private profile directory."""
    command = soffice()
    if command is None:
        raise BuildError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="smpolicy-pdf-") as tmp:
        work = Path(tmp)
        source = work / f"{name}.docx"
        source.write_bytes(docx)
        try:
            result = subprocess.run(
                [
                    command,
                    "--headless",
                    f"-env:UserInstallation=file://{work}/profile",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(source),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"{name}: LibreOffice did not finish converting to PDF in 300 s"
            ) from None
        pdf = work / f"{name}.pdf"
        if result.returncode != 0 or not pdf.is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise BuildError(
                f"{name}: LibreOffice could not convert to PDF: {detail[-1] if detail else 'no output'}"
            )
        return pdf.read_bytes()
