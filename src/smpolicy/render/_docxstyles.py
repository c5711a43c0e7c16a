"""The built-in house style (styles.xml) and list numbering (numbering.xml).

``templates/styles/reference.docx`` is generated from these definitions by
``tools/make_reference_docx.py``; a user's reference document replaces the styles it
defines and keeps ours for the ones it lacks.
"""

from __future__ import annotations

from smpolicy.render._ooxml import W_NS, XML_HEAD

BODY_FONT = "Arial"
HEADING_COLOR = "1F3864"
ACCENT_FILL = "EAF1FB"

# Style ids the writer uses; a reference document must define them or inherit ours.
STYLE_IDS = (
    "Normal",
    "Title",
    "Subtitle",
    "Heading1",
    "Heading2",
    "Heading3",
    "AppendixHeading",
    "AppendixHeading2",
    "AppendixHeading3",
    "ListParagraph",
    "Callout",
    "TableText",
    "TOCHeading",
    "TOC1",
    "TOC2",
    "Header",
    "Footer",
    "Caption",
    "Hyperlink",
    "PolicyTable",
    "SignatureLine",
)
HEADING_NUM_ID = 1
# Indent (and hanging indent) of the numbered heading levels 1 to 3, in twentieths of a point.
HEADING_INDENTS = (432, 576, 720)


def _rpr(
    *,
    bold: bool = False,
    italic: bool = False,
    color: str | None = None,
    size: int | None = None,
    font: str | None = None,
    underline: bool = False,
) -> str:
    # CT_RPr order: rFonts, b, bCs, i, iCs, ..., color, ..., sz, szCs, ..., u
    parts = []
    if font:
        parts.append(f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}"/>')
    if bold:
        parts.append("<w:b/><w:bCs/>")
    if italic:
        parts.append("<w:i/><w:iCs/>")
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if size:
        parts.append(f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>')
    if underline:
        parts.append('<w:u w:val="single"/>')
    return f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""


def _pstyle(
    style_id: str,
    name: str,
    *,
    based_on: str | None = "Normal",
    next_id: str | None = None,
    ppr: str = "",
    rpr: str = "",
    ui: int = 10,
    qformat: bool = True,
) -> str:
    # CT_Style order: name, aliases, basedOn, next, link, autoRedefine, hidden, uiPriority,
    # semiHidden, unhideWhenUsed, qFormat, locked, personal..., rsid, pPr, rPr, tblPr, trPr, tcPr, tblStylePr
    return (
        f'<w:style w:type="paragraph" w:styleId="{style_id}">'
        f'<w:name w:val="{name}"/>'
        + (f'<w:basedOn w:val="{based_on}"/>' if based_on else "")
        + (f'<w:next w:val="{next_id}"/>' if next_id else "")
        + f'<w:uiPriority w:val="{ui}"/>'
        + ("<w:qFormat/>" if qformat else "")
        + (f"<w:pPr>{ppr}</w:pPr>" if ppr else "")
        + rpr
        + "</w:style>"
    )


def _heading(level: int, size: int, before: int) -> str:
    # CT_PPr order: pStyle, keepNext, keepLines, pageBreakBefore, ..., numPr, ..., spacing, ind, ..., outlineLvl
    return _pstyle(
        f"Heading{level}",
        f"heading {level}",
        next_id="Normal",
        ui=9,
        ppr=(
            "<w:keepNext/><w:keepLines/>"
            f'<w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="{HEADING_NUM_ID}"/></w:numPr>'
            f'<w:spacing w:before="{before}" w:after="120"/>'
            f'<w:outlineLvl w:val="{level - 1}"/>'
        ),
        rpr=_rpr(bold=True, color=HEADING_COLOR if level < 3 else "2E4A7D", size=size),
    )


def styles_xml(font: str = BODY_FONT) -> str:
    """The complete built-in styles part."""
    defaults = (
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}" w:cs="{font}"/>'
        '<w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        '<w:spacing w:after="120" w:line="264" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    styles = [
        _pstyle("Normal", "Normal", based_on=None, ui=0, ppr="<w:widowControl/>"),
        _pstyle(
            "Title",
            "Title",
            next_id="Subtitle",
            ppr='<w:spacing w:before="0" w:after="60"/>',
            rpr=_rpr(bold=True, color=HEADING_COLOR, size=48),
        ),
        _pstyle(
            "Subtitle",
            "Subtitle",
            next_id="Normal",
            ppr='<w:spacing w:after="240"/>',
            rpr=_rpr(color="595959", size=26),
        ),
        _heading(1, 30, 360),
        _heading(2, 25, 240),
        _heading(3, 22, 200),
        _pstyle(
            "AppendixHeading",
            "Appendix Heading",
            based_on="Heading1",
            next_id="Normal",
            ppr=(
                '<w:pageBreakBefore/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="0"/></w:numPr>'
                '<w:outlineLvl w:val="0"/>'
            ),
        ),
        *(
            _pstyle(
                f"AppendixHeading{level}",
                f"Appendix Heading {level}",
                based_on=f"Heading{level}",
                next_id="Normal",
                ppr=(
                    '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="0"/></w:numPr>'
                    f'<w:outlineLvl w:val="{level - 1}"/>'
                ),
            )
            for level in (2, 3)
        ),
        _pstyle(
            "ListParagraph",
            "List Paragraph",
            ui=34,
            ppr='<w:spacing w:after="60"/><w:ind w:left="720"/><w:contextualSpacing/>',
        ),
        _pstyle(
            "Callout",
            "Callout",
            ui=29,
            ppr=(
                '<w:keepLines/><w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="2E74B5"/></w:pBdr>'
                f'<w:shd w:val="clear" w:color="auto" w:fill="{ACCENT_FILL}"/>'
                '<w:spacing w:before="120" w:after="120"/><w:ind w:left="288" w:right="288"/>'
            ),
        ),
        _pstyle(
            "TableText",
            "Table Text",
            ui=39,
            ppr='<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>',
            rpr=_rpr(size=19),
        ),
        _pstyle(
            "TOCHeading",
            "TOC Heading",
            next_id="Normal",
            ui=39,
            ppr='<w:keepNext/><w:spacing w:before="240" w:after="120"/>',
            rpr=_rpr(bold=True, color=HEADING_COLOR, size=30),
        ),
        _pstyle(
            "TOC1",
            "toc 1",
            next_id="Normal",
            ui=39,
            ppr='<w:tabs><w:tab w:val="left" w:pos="440"/></w:tabs><w:spacing w:after="40"/>',
            rpr=_rpr(bold=True),
        ),
        _pstyle(
            "TOC2",
            "toc 2",
            next_id="Normal",
            ui=39,
            ppr='<w:tabs><w:tab w:val="left" w:pos="1000"/></w:tabs><w:spacing w:after="20"/><w:ind w:left="440"/>',
        ),
        _pstyle(
            "Header",
            "header",
            ui=99,
            ppr='<w:tabs><w:tab w:val="right" w:pos="9360"/></w:tabs><w:spacing w:after="0"/>',
            rpr=_rpr(color="595959", size=17),
        ),
        _pstyle(
            "Footer",
            "footer",
            ui=99,
            ppr='<w:tabs><w:tab w:val="right" w:pos="9360"/></w:tabs><w:spacing w:after="0"/>',
            rpr=_rpr(color="595959", size=17),
        ),
        _pstyle(
            "Caption",
            "caption",
            next_id="Normal",
            ui=35,
            ppr='<w:spacing w:after="200"/>',
            rpr=_rpr(italic=True, color="44546A", size=18),
        ),
        _pstyle(
            "SignatureLine",
            "Signature Line",
            ui=39,
            ppr='<w:tabs><w:tab w:val="left" w:pos="5040"/></w:tabs><w:spacing w:before="480" w:after="0"/>',
        ),
        (
            '<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
            '<w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
            + _rpr(color="0563C1", underline=True)
            + "</w:style>"
        ),
        (
            # CT_Style for tables: name, basedOn, uiPriority, pPr, rPr, tblPr, tblStylePr*
            '<w:style w:type="table" w:styleId="PolicyTable"><w:name w:val="Policy Table"/>'
            '<w:uiPriority w:val="59"/>'
            '<w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr>'
            '<w:rPr><w:sz w:val="19"/><w:szCs w:val="19"/></w:rPr>'
            "<w:tblPr><w:tblBorders>"
            '<w:top w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            '<w:left w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            '<w:right w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            '<w:insideV w:val="single" w:sz="4" w:space="0" w:color="8EAADB"/>'
            "</w:tblBorders>"
            '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="100" w:type="dxa"/>'
            '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar>'
            "</w:tblPr>"
            '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr>'
            f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{HEADING_COLOR}"/></w:tcPr></w:tblStylePr>'
            "</w:style>"
        ),
    ]
    return XML_HEAD + f'<w:styles xmlns:w="{W_NS}">' + defaults + "".join(styles) + "</w:styles>"


_BULLETS = ("\u2022", "\u2013", "\u25aa", "\u2022", "\u2013")
_ORDERED = (
    ("decimal", "%1."),
    ("lowerLetter", "%2."),
    ("lowerRoman", "%3."),
    ("decimal", "%4."),
    ("lowerLetter", "%5."),
)
BULLET_ABSTRACT = 1
ORDERED_ABSTRACT = 2


def _lvl(
    ilvl: int,
    fmt: str,
    text: str,
    *,
    indent: int,
    pstyle: str | None = None,
    hanging: int = 360,
    font: str | None = None,
) -> str:
    # CT_Lvl order: start, numFmt, lvlRestart, pStyle, isLgl, suff, lvlText, lvlPicBulletId,
    # legacy, lvlJc, pPr, rPr
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        + (f'<w:pStyle w:val="{pstyle}"/>' if pstyle else "")
        + f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        + f'<w:pPr><w:ind w:left="{indent}" w:hanging="{hanging}"/></w:pPr>'
        + (f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>' if font else "")
        + "</w:lvl>"
    )


def numbering_xml(lists: list[str]) -> str:
    """numbering.xml: heading numbering, then one ``w:num`` per list ("bullet"/"ordered")."""
    headings = (
        '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="multilevel"/>'
        + "".join(
            _lvl(
                i,
                "decimal",
                text,
                indent=HEADING_INDENTS[i],
                hanging=HEADING_INDENTS[i],
                pstyle=f"Heading{i + 1}",
            )
            for i, text in enumerate(("%1.", "%1.%2", "%1.%2.%3"))
        )
        + "</w:abstractNum>"
    )
    bullets = (
        f'<w:abstractNum w:abstractNumId="{BULLET_ABSTRACT}"><w:multiLevelType w:val="hybridMultilevel"/>'
        + "".join(
            _lvl(i, "bullet", b, indent=360 * (i + 1) + 360, font=None)
            for i, b in enumerate(_BULLETS)
        )
        + "</w:abstractNum>"
    )
    ordered = (
        f'<w:abstractNum w:abstractNumId="{ORDERED_ABSTRACT}"><w:multiLevelType w:val="hybridMultilevel"/>'
        + "".join(
            _lvl(i, fmt, text, indent=360 * (i + 1) + 360) for i, (fmt, text) in enumerate(_ORDERED)
        )
        + "</w:abstractNum>"
    )
    nums = [f'<w:num w:numId="{HEADING_NUM_ID}"><w:abstractNumId w:val="0"/></w:num>']
    for index, kind in enumerate(lists, start=HEADING_NUM_ID + 1):
        if kind == "ordered":
            nums.append(
                f'<w:num w:numId="{index}"><w:abstractNumId w:val="{ORDERED_ABSTRACT}"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        else:
            nums.append(
                f'<w:num w:numId="{index}"><w:abstractNumId w:val="{BULLET_ABSTRACT}"/></w:num>'
            )
    return (
        XML_HEAD
        + f'<w:numbering xmlns:w="{W_NS}">'
        + headings
        + bullets
        + ordered
        + "".join(nums)
        + "</w:numbering>"
    )
