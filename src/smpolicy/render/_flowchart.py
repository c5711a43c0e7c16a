"""The misinformation response flowchart, drawn from the same data as Appendix C."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

ALT_TEXT = (
    "Flowchart: a post is spotted and captured, its severity is judged, each of four tiers "
    "has its own response time and approver, then the response is recorded and reviewed."
)
NAVY = (31, 56, 100)
FILLS = [(192, 0, 0), (237, 125, 49), (191, 144, 0), (112, 112, 112)]
WIDTH = 1600


@dataclass(frozen=True)
class Tier:
    """One severity tier as drawn."""

    name: str
    timing: str
    approver: str


def draw_flowchart(tiers: list[Tier], *, monitor: str, decider: str) -> bytes:
    """A PNG of the flowchart, cached by its inputs (it depends on nothing else)."""
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    import PIL  # noqa: PLC0415

    from smpolicy._cache import cached_bytes  # noqa: PLC0415

    key = json.dumps([[t.name, t.timing, t.approver] for t in tiers] + [monitor, decider])
    digest = hashlib.sha256(f"{PIL.__version__}\0{key}".encode()).hexdigest()
    return cached_bytes(
        "flowchart", f"{digest}.png", lambda: _draw(tiers, monitor=monitor, decider=decider)
    )


def _draw(tiers: list[Tier], *, monitor: str, decider: str) -> bytes:
    """Draw the flowchart (deterministic for the same inputs and Pillow version)."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415 - heavy, only for DOCX/HTML

    bold = ImageFont.load_default(size=28)
    small = ImageFont.load_default(size=22)
    height = 1180
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)

    def box(
        x: int, y: int, w: int, h: int, title: str, body: str, fill: tuple[int, int, int]
    ) -> None:
        draw.rounded_rectangle((x, y, x + w, y + h), radius=18, fill=fill, outline=NAVY, width=3)
        draw.text((x + w // 2, y + 16), title, font=bold, fill="white", anchor="ma")
        lines = textwrap.wrap(body, width=max(12, w // 13))
        for index, line in enumerate(lines[:5]):
            draw.text(
                (x + w // 2, y + 58 + index * 30), line, font=small, fill="white", anchor="ma"
            )

    def arrow(x1: int, y1: int, x2: int, y2: int) -> None:
        draw.line((x1, y1, x2, y2), fill=NAVY, width=5)
        draw.polygon([(x2 - 14, y2 - 22), (x2 + 14, y2 - 22), (x2, y2)], fill=NAVY)

    center, top_w = WIDTH // 2, 900
    box(
        center - top_w // 2,
        20,
        top_w,
        130,
        "1. A post or comment is spotted",
        f"Monitoring: {monitor}. Capture a screenshot with its address and time.",
        NAVY,
    )
    arrow(center, 150, center, 210)
    box(
        center - top_w // 2,
        210,
        top_w,
        130,
        "2. Judge the severity",
        f"Decided by: {decider}",
        NAVY,
    )
    column_w, gap = 360, 26
    left = (WIDTH - (4 * column_w + 3 * gap)) // 2
    for index, tier in enumerate(tiers):
        x = left + index * (column_w + gap)
        arrow(center, 340, x + column_w // 2, 420)
        box(
            x,
            420,
            column_w,
            260,
            tier.name,
            f"{tier.timing}. Approves: {tier.approver}",
            FILLS[index % len(FILLS)],
        )
        arrow(x + column_w // 2, 680, center, 850)
    box(
        center - top_w // 2,
        850,
        top_w,
        130,
        "3. Respond and coordinate",
        "Lead with the facts, link to authoritative sources, never repeat the claim.",
        NAVY,
    )
    arrow(center, 980, center, 1030)
    box(
        center - top_w // 2,
        1030,
        top_w,
        130,
        "4. Record and review",
        "Log what was seen, decided and posted; review Tier 1 and 2 events.",
        NAVY,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()
