"""Server-side SVG charts for the item analysis page: a score histogram and a facility/discrimination scatter.

Pure functions returning markup. The CSP forbids inline scripts and style attributes, so the SVG uses
presentation attributes only (fill, stroke, ...); every chart is `role="img"` with a <title> and <desc> and each
page shows a data table beside it, so nothing is available only as a picture. Text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .stats import DISCRIMINATION_MIN, FACILITY_TOO_EASY, FACILITY_TOO_HARD

WIDTH = 640
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
INK = "#1f2a30"
MUTED = "#5b6770"
GRID = "#d5dbe0"
BAR = "#1f6f8b"
POINT = "#1f6f8b"
FLAGGED = "#b3261e"
ZONE = "#f6d8d5"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" class="chart" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 12, fill: str = INK, rotate: bool = False) -> str:
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
    """Vertical bars, one per (label, count), heights proportional to the counts, with a labelled count axis."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = _ticks(max((c for _, c in bins), default=0))
    scale = plot_h / ticks[-1] if ticks[-1] else 0.0
    parts = _open(chart_id, title, desc)
    for tick in ticks:
        y = TOP + plot_h - tick * scale
        parts.append(f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(LEFT - 6, y + 4, str(tick), anchor="end", size=11, fill=MUTED))
    slot = plot_w / max(len(bins), 1)
    for index, (label, count) in enumerate(bins):
        height = count * scale
        x = LEFT + index * slot + slot * 0.1
        y = TOP + plot_h - height
        parts.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(y)}" width="{_n(slot * 0.8)}" height="{_n(height)}" fill="{BAR}"'
            f' data-count="{count}"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(_text(LEFT + index * slot + slot / 2, TOP + plot_h + 16, label, size=11))
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="{INK}" stroke-width="1"/>'
    )
    parts.append(_text(LEFT + plot_w / 2, HEIGHT - 12, "Score (%)"))
    parts.append(_text(16, TOP + plot_h / 2, "Attempts", rotate=True))
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
        parts.append(_text(LEFT - 6, y + 4, str(value), anchor="end", size=11, fill=MUTED))
    for percent in (0, 20, 40, 60, 80, 100):
        parts.append(_text(x_of(percent / 100), TOP + plot_h + 16, str(percent), size=11, fill=MUTED))
    zero = _n(y_of(0))
    parts.append(f'<line x1="{LEFT}" y1="{zero}" x2="{WIDTH - RIGHT}" y2="{zero}" stroke="{INK}" stroke-width="1"/>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{INK}" stroke-width="1"/>')
    parts.append(_text(x_of(0.1), TOP + 14, "too hard", size=11, fill=FLAGGED))
    parts.append(_text(LEFT + plot_w / 2, y_of(-100) - 6, "weak discrimination", size=11, fill=FLAGGED))
    for point in points:
        x, y = x_of(point.facility), y_of(point.discrimination)
        colour = FLAGGED if point.flagged else POINT
        parts.append(
            f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="1.5">'
            f"<title>{escape(point.name)}: facility {point.facility * 100:.0f} %, "
            f"discrimination {point.discrimination:.0f} %</title></circle>"
        )
        parts.append(_text(x + 9, y + 4, point.label, anchor="start", size=11))
    parts.append(_text(LEFT + plot_w / 2, HEIGHT - 12, "Facility (% correct)"))
    parts.append(_text(16, TOP + plot_h / 2, "Discrimination index (%)", rotate=True))
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704 (every text and attribute above is escaped or a number)  # nosec B704
