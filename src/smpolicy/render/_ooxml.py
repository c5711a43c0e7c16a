"""Fixed WordprocessingML parts: content types, relationships, styles, settings.

Elements are written in the order the OOXML schema (ECMA-376 part 1) gives, because
Word repairs or refuses documents whose child elements are out of order.
"""

from __future__ import annotations

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_DECL = (
    f'xmlns:w="{W_NS}" xmlns:r="{R_NS}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
)
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def esc(text: str) -> str:
    """Escape text content for XML (as xml.sax.saxutils.escape, whose module imports urllib)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def attr(text: str) -> str:
    """Quote an attribute value for XML (as xml.sax.saxutils.quoteattr)."""
    text = esc(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


def content_types(media: list[str], *, theme: bool = False) -> str:
    """[Content_Types].xml for the parts the writer produces."""
    exts = sorted({name.rsplit(".", 1)[1] for name in media})
    mime = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
    defaults = "".join(f'<Default Extension="{ext}" ContentType="{mime[ext]}"/>' for ext in exts)
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    overrides = [
        ("/word/document.xml", f"{wml}.document.main+xml"),
        ("/word/styles.xml", f"{wml}.styles+xml"),
        ("/word/numbering.xml", f"{wml}.numbering+xml"),
        ("/word/settings.xml", f"{wml}.settings+xml"),
        ("/word/header1.xml", f"{wml}.header+xml"),
        ("/word/footer1.xml", f"{wml}.footer+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        ),
    ]
    if theme:
        overrides.append(
            ("/word/theme/theme1.xml", "application/vnd.openxmlformats-officedocument.theme+xml")
        )
    body = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    return (
        XML_HEAD
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/>'
        + defaults
        + body
        + "</Types>"
    )


def package_rels() -> str:
    """_rels/.rels."""
    return (
        XML_HEAD
        + f'<Relationships xmlns="{REL_NS}">'
        + f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="word/document.xml"/>'
        + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        + f'<Relationship Id="rId3" Type="{DOC_REL}/extended-properties" Target="docProps/app.xml"/>'
        + "</Relationships>"
    )


def core_properties(
    *,
    title: str,
    subject: str,
    creator: str,
    keywords: str,
    description: str,
    language: str,
    date: str,
    revision: int,
) -> str:
    """docProps/core.xml; the date comes from the policy, never the clock."""
    stamp = f"{date}T00:00:00Z"
    return (
        XML_HEAD
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + f"<dc:title>{esc(title)}</dc:title>"
        + f"<dc:subject>{esc(subject)}</dc:subject>"
        + f"<dc:creator>{esc(creator)}</dc:creator>"
        + f"<cp:keywords>{esc(keywords)}</cp:keywords>"
        + f"<dc:description>{esc(description)}</dc:description>"
        + f"<cp:lastModifiedBy>{esc(creator)}</cp:lastModifiedBy>"
        + f"<cp:revision>{revision}</cp:revision>"
        + f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        + f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        + f"<dc:language>{esc(language)}</dc:language>"
        + "</cp:coreProperties>"
    )


def app_properties(company: str, generator: str) -> str:
    """docProps/app.xml."""
    return (
        XML_HEAD
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        + f"<Application>{esc(generator)}</Application>"
        + f"<Company>{esc(company)}</Company>"
        + "</Properties>"
    )


def settings(language: str) -> str:
    """word/settings.xml (children in schema order)."""
    return (
        XML_HEAD
        + f'<w:settings xmlns:w="{W_NS}">'
        + '<w:zoom w:percent="100"/>'
        + '<w:defaultTabStop w:val="720"/>'
        + '<w:characterSpacingControl w:val="doNotCompress"/>'
        + f'<w:themeFontLang w:val="{language}"/>'
        + '<w:decimalSymbol w:val="."/>'
        + '<w:listSeparator w:val=","/>'
        + "</w:settings>"
    )
