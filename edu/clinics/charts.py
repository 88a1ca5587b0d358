"""The clinic's compliance as a server-side SVG: one stacked bar per course, people counted by status.

Drawn here rather than in the browser so the page needs no JavaScript and nothing the CSP would refuse: colours
are SVG presentation attributes (fill=), not style attributes. The SVG has a <title> and a <desc> (referenced by
aria-labelledby), and the page puts the same figures in a table next to it, for screen readers and for anyone
who prefers numbers. Colours differ in lightness as well as hue, and every segment wide enough carries its count.
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

WIDTH = 720
LABEL_WIDTH = 220
BAR_HEIGHT = 26
GAP = 14
TOP = 10
LEGEND_HEIGHT = 46


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def compliance_svg(
    courses: Sequence[tuple[int, str]], counts: Mapping[int, Mapping[str, int]], *, chart_id: str = "compliance-chart"
) -> Markup:
    """`courses`: (id, title) in display order; `counts`: people per status per course id."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    bar_width = WIDTH - LABEL_WIDTH - 20
    height = TOP + max(1, len(courses)) * (BAR_HEIGHT + GAP) + LEGEND_HEIGHT
    summaries = []
    for course_id, course_title in courses:
        found = counts.get(course_id, {})
        parts = [f"{found.get(s, 0)} {STATUS_LABELS[s].lower()}" for s in STATUSES if found.get(s, 0)]
        summaries.append(f"{course_title}: {', '.join(parts) if parts else 'no staff'}")
    desc = "; ".join(summaries) + "." if summaries else "No published courses."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}">',
        f'<title id="{escape(title_id)}">Staff compliance by course</title>',
        f'<desc id="{escape(desc_id)}">{escape(desc)}</desc>',
    ]
    y = TOP
    for course_id, course_title in courses:
        found = counts.get(course_id, {})
        total = sum(found.get(s, 0) for s in STATUSES)
        label = course_title if len(course_title) <= 34 else course_title[:33] + "…"
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT / 2 + 5:g}" text-anchor="end" font-size="13" fill="#1d2b36">'
            f"{escape(label)}</text>"
        )
        out.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar_width}" height="{BAR_HEIGHT}" fill="#ffffff" stroke="#b7c4c9"/>')
        x = float(LABEL_WIDTH)
        for status in STATUSES:
            n = found.get(status, 0)
            if not n or not total:
                continue
            w = bar_width * n / total
            fill, ink = COLOURS[status]
            out.append(
                f'<rect x="{_number(x)}" y="{y}" width="{_number(w)}" height="{BAR_HEIGHT}" fill="{fill}">'
                f"<title>{escape(course_title)}: {n} {escape(STATUS_LABELS[status].lower())}</title></rect>"
            )
            if w >= 22:
                out.append(
                    f'<text x="{_number(x + w / 2)}" y="{y + BAR_HEIGHT / 2 + 5:g}" text-anchor="middle" font-size="13" '
                    f'font-weight="bold" fill="{ink}">{n}</text>'
                )
            x += w
        y += BAR_HEIGHT + GAP
    lx, ly = 10, y + 8
    for status in STATUSES:
        fill, _ink = COLOURS[status]
        out.append(f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{fill}" stroke="#1d2b36" stroke-width="0.5"/>')
        out.append(f'<text x="{lx + 20}" y="{ly + 12}" font-size="12" fill="#1d2b36">{escape(STATUS_LABELS[status])}</text>')
        lx += 20 + 8 * len(STATUS_LABELS[status]) + 22
        if lx > WIDTH - 120:
            lx, ly = 10, ly + 20
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every interpolated text is escaped above)  # nosec B704
