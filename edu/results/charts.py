"""Server-side SVG charts for the item analysis page: a score histogram and a facility/discrimination scatter.

Pure functions returning markup. The CSP forbids inline scripts and style attributes, so the SVG uses
presentation attributes only (fill, stroke, ...); every chart is `role="img"` with a <title> and <desc> and each
page shows a data table beside it, so nothing is available only as a picture. Text is escaped.

Drawn for a phone: a chart is WIDTH units wide and shown at that many pixels at most, shrinking with a narrow screen
(the stylesheet caps it at 100 %), so its text is TEXT units at the drawn size and never less than TEXT * 288 / WIDTH
pixels on a 320 px screen (about 10.4 px; a 640-unit chart with 11-unit text shrank to 5 px there). The score bands
of the histogram take two staggered rows, so their labels do not collide at that size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .stats import DISCRIMINATION_MIN, FACILITY_TOO_EASY, FACILITY_TOO_HARD

WIDTH = 400
HEIGHT = 300
TEXT = 14.5
"""Every label's font size in user units (axis titles a little larger)."""
TITLE = 15
LEFT, RIGHT, TOP, BOTTOM = 58, 18, 14, 52
INK = "#1f2a30"
MUTED = "#5b6770"
GRID = "#d5dbe0"
BAR = "#1f6f8b"
POINT = "#1f6f8b"
FLAGGED = "#b3261e"
ZONE = "#f6d8d5"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, height: float = HEIGHT) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {_n(WIDTH)} {_n(height)}" '
        f'width="{_n(WIDTH)}" height="{_n(height)}" class="chart" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _text(
    x: float, y: float, text: str, anchor: str = "middle", size: float = TEXT, fill: str = INK, rotate: bool = False
) -> str:
    transform = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"'
        f' font-family="sans-serif"{transform}>{escape(text)}</text>'
    )


def _ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, at most about six of them."""
    step = max(1, -(-top // 5))
    return list(range(0, max(top, 1) + step, step))


def histogram(bins: Sequence[tuple[str, int]], *, chart_id: str = "score-histogram", title: str, desc: str) -> Markup:
    """Vertical bars, one per (label, count), heights proportional to the counts, with a labelled count axis. The
    band labels alternate between two rows (a tick leads down to the second), so ten bands fit a phone's width."""
    rows = 2 if len(bins) > 5 else 1
    height = HEIGHT + (TEXT + 4) * (rows - 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = _ticks(max((c for _, c in bins), default=0))
    scale = plot_h / ticks[-1] if ticks[-1] else 0.0
    parts = _open(chart_id, title, desc, height)
    for tick in ticks:
        y = TOP + plot_h - tick * scale
        parts.append(f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(LEFT - 6, y + 5, str(tick), anchor="end", fill=MUTED))
    slot = plot_w / max(len(bins), 1)
    axis = TOP + plot_h
    for index, (label, count) in enumerate(bins):
        bar = count * scale
        x = LEFT + index * slot + slot * 0.1
        centre = LEFT + index * slot + slot / 2
        parts.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(axis - bar)}" width="{_n(slot * 0.8)}" height="{_n(bar)}" fill="{BAR}"'
            f' data-count="{count}"><title>{escape(label)}: {count}</title></rect>'
        )
        row = index % rows
        if row:
            parts.append(
                f'<line x1="{_n(centre)}" y1="{_n(axis)}" x2="{_n(centre)}" y2="{_n(axis + TEXT + 4)}" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
        parts.append(_text(centre, axis + TEXT + 3 + row * (TEXT + 4), label))
    parts.append(f'<line x1="{LEFT}" y1="{_n(axis)}" x2="{WIDTH - RIGHT}" y2="{_n(axis)}" stroke="{INK}" stroke-width="1"/>')
    parts.append(_text(LEFT + plot_w / 2, height - 8, "Score (%)", size=TITLE))
    parts.append(_text(16, TOP + plot_h / 2, "Attempts", size=TITLE, rotate=True))
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704 (every text and attribute above is escaped or a number)  # nosec B704


@dataclass(frozen=True)
class Point:
    label: str
    """Short text drawn next to the point (the item's number)."""
    name: str
    """What the point's tooltip says (the question id)."""
    facility: float
    """0..1"""
    discrimination: float
    """Percent, -100..100."""
    flagged: bool = False


def scatter(points: Sequence[Point], *, chart_id: str = "item-scatter", title: str, desc: str) -> Markup:
    """Facility (x, 0-100 %) against discrimination index (y, -100..100 %), with the review zones shaded."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(facility: float) -> float:
        return LEFT + max(0.0, min(1.0, facility)) * plot_w

    def y_of(discrimination: float) -> float:
        return TOP + (100 - max(-100.0, min(100.0, discrimination))) / 200 * plot_h

    parts = _open(chart_id, title, desc)
    zones = [
        ("zone-hard", x_of(0), TOP, x_of(FACILITY_TOO_HARD) - x_of(0), plot_h),
        ("zone-easy", x_of(FACILITY_TOO_EASY), TOP, x_of(1) - x_of(FACILITY_TOO_EASY), plot_h),
        ("zone-weak", LEFT, y_of(DISCRIMINATION_MIN), plot_w, y_of(-100) - y_of(DISCRIMINATION_MIN)),
    ]
    for name, x, y, w, h in zones:
        parts.append(
            f'<rect class="{name}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{ZONE}" fill-opacity="0.7"/>'
        )
    for value in (-100, -50, 0, 50, 100):
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(LEFT - 6, y + 5, str(value), anchor="end", fill=MUTED))
    for percent in (0, 20, 40, 60, 80, 100):
        parts.append(_text(x_of(percent / 100), TOP + plot_h + TEXT + 3, str(percent), fill=MUTED))
    zero = _n(y_of(0))
    parts.append(f'<line x1="{LEFT}" y1="{zero}" x2="{WIDTH - RIGHT}" y2="{zero}" stroke="{INK}" stroke-width="1"/>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{INK}" stroke-width="1"/>')
    parts.append(_text(x_of(0.1), TOP + TEXT + 2, "too hard", fill=FLAGGED))
    parts.append(_text(LEFT + plot_w / 2, y_of(-100) - 6, "weak discrimination", fill=FLAGGED))
    for point in points:
        x, y = x_of(point.facility), y_of(point.discrimination)
        colour = FLAGGED if point.flagged else POINT
        parts.append(
            f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="1.5">'
            f"<title>{escape(point.name)}: facility {point.facility * 100:.0f} %, "
            f"discrimination {point.discrimination:.0f} %</title></circle>"
        )
        parts.append(_text(x + 9, y + 5, point.label, anchor="start"))
    parts.append(_text(LEFT + plot_w / 2, HEIGHT - 8, "Facility (% correct)", size=TITLE))
    parts.append(_text(14, TOP + plot_h / 2, "Discrimination index (%)", size=TITLE, rotate=True))
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704 (every text and attribute above is escaped or a number)  # nosec B704
