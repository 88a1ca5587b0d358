"""The clinic's compliance as a server-side SVG: one stacked bar per course, people counted by status.

Drawn here rather than in the browser so the page needs no JavaScript and nothing the CSP would refuse: colours
are SVG presentation attributes (fill=), not style attributes. The SVG has a <title> and a <desc> (referenced by
aria-labelledby), and the page puts the same figures in a table next to it, for screen readers and for anyone
who prefers numbers. Colours differ in lightness as well as hue, and every segment wide enough carries its count.

Drawn for a phone: each course's title sits above its bar (not in a column beside it), so the chart is WIDTH units
wide, shown at that many pixels at most and shrinking with a narrow screen; its TEXT-unit labels stay above 10 px on
a 320 px screen (the 720-unit chart before drew them at 5 px there, and cut titles after 34 characters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from .roster import STATUS_LABELS, STATUSES

COLOURS = {
    "certified": ("#1e6b45", "#ffffff"),
    "expiring": ("#e0a526", "#1d2b36"),
    "expired": ("#a3261b", "#ffffff"),
    "revoked": ("#5e2750", "#ffffff"),
    "in_progress": ("#6fa8cf", "#1d2b36"),
    "not_started": ("#d5dbdf", "#1d2b36"),
}
"""(fill, text colour on it) per status; every text colour has a contrast ratio of at least 4.5:1 on its fill."""

WIDTH = 400
TEXT = 14.5
"""Font size of every label, in user units."""
LABEL_HEIGHT = 22
BAR_HEIGHT = 26
GAP = 14
TOP = 4
LEGEND_ROW = 24
TITLE_CHARACTERS = 48
"""A course title longer than this is cut with an ellipsis (the table and the <desc> carry it whole)."""


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _legend() -> list[tuple[str, float, float]]:
    """(status, x, y offset) of each legend entry, wrapped into rows that fit WIDTH (text widths estimated)."""
    entries, x, y = [], 0.0, 0.0
    for status in STATUSES:
        width = 20 + 0.56 * TEXT * len(STATUS_LABELS[status]) + 18
        if x and x + width > WIDTH:
            x, y = 0.0, y + LEGEND_ROW
        entries.append((status, x, y))
        x += width
    return entries


def compliance_svg(
    courses: Sequence[tuple[int, str]], counts: Mapping[int, Mapping[str, int]], *, chart_id: str = "compliance-chart"
) -> Markup:
    """`courses`: (id, title) in display order; `counts`: people per status per course id."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    bar_width = WIDTH - 2
    legend = _legend()
    row = LABEL_HEIGHT + BAR_HEIGHT + GAP
    height = TOP + max(1, len(courses)) * row + legend[-1][2] + LEGEND_ROW
    summaries = []
    for course_id, course_title in courses:
        found = counts.get(course_id, {})
        parts = [f"{found.get(s, 0)} {STATUS_LABELS[s].lower()}" for s in STATUSES if found.get(s, 0)]
        summaries.append(f"{course_title}: {', '.join(parts) if parts else 'no staff'}")
    desc = "; ".join(summaries) + "." if summaries else "No published courses."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {_number(height)}" width="{WIDTH}" height="{_number(height)}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}">',
        f'<title id="{escape(title_id)}">Staff compliance by course</title>',
        f'<desc id="{escape(desc_id)}">{escape(desc)}</desc>',
    ]
    y = TOP
    for course_id, course_title in courses:
        found = counts.get(course_id, {})
        total = sum(found.get(s, 0) for s in STATUSES)
        label = course_title if len(course_title) <= TITLE_CHARACTERS else course_title[: TITLE_CHARACTERS - 1] + "…"
        out.append(f'<text x="1" y="{_number(y + TEXT + 1)}" font-size="{TEXT}" fill="#1d2b36">{escape(label)}</text>')
        bar_y = y + LABEL_HEIGHT
        out.append(f'<rect x="1" y="{bar_y}" width="{bar_width}" height="{BAR_HEIGHT}" fill="#ffffff" stroke="#b7c4c9"/>')
        x = 1.0
        for status in STATUSES:
            n = found.get(status, 0)
            if not n or not total:
                continue
            w = bar_width * n / total
            fill, ink = COLOURS[status]
            out.append(
                f'<rect x="{_number(x)}" y="{bar_y}" width="{_number(w)}" height="{BAR_HEIGHT}" fill="{fill}">'
                f"<title>{escape(course_title)}: {n} {escape(STATUS_LABELS[status].lower())}</title></rect>"
            )
            if w >= 24:
                out.append(
                    f'<text x="{_number(x + w / 2)}" y="{_number(bar_y + BAR_HEIGHT / 2 + 5)}" text-anchor="middle" '
                    f'font-size="{TEXT}" font-weight="bold" fill="{ink}">{n}</text>'
                )
            x += w
        y += row
    for status, lx, dy in legend:
        fill, _ink = COLOURS[status]
        ly = y + dy + 4
        out.append(
            f'<rect x="{_number(lx + 1)}" y="{_number(ly)}" width="14" height="14" fill="{fill}" '
            'stroke="#1d2b36" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{_number(lx + 21)}" y="{_number(ly + 12)}" font-size="{TEXT}" fill="#1d2b36">'
            f"{escape(STATUS_LABELS[status])}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every interpolated text is escaped above)  # nosec B704
