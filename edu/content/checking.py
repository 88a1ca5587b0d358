"""What `courses check` prints for one course: problems, item-writing warnings, waivers and bank figures.

Shared by the Flask CLI and `python -m edu.content check`, so both say the same thing and fail alike.
"""

from __future__ import annotations

from .loader import LoadResult


def failures(result: LoadResult) -> list[str]:
    """Every problem and every unwaived item-writing warning, as `file:line: message`; any one fails the check."""
    return [str(p) for p in result.problems] + [str(w) for w in result.warnings]


def notes(result: LoadResult) -> list[str]:
    """The waivers (each with its written reason) and the figures of every bank and of the course."""
    lines = [str(w) for w in result.waived]
    for bank, figures in sorted(result.figures.items(), key=lambda kv: (kv[0] == "(course)", kv[0])):
        lines.append(f"{bank}: {figures.line()}")
    return lines
