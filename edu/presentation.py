"""How the site writes dates, times, percentages, CE hours and durations for people to read.

One module so that a date reads the same on every page and on the certificate PDF: "3 December 2026", never a
numeric order a reader in another country would take for 12 March. Times always carry their zone ("14:05 UTC"):
the server stores and compares UTC, and a learner racing a deadline must not guess. Month names are spelled here
rather than taken from `strftime("%B")`, which follows the server's locale.

Machine formats stay ISO 8601 (`date.isoformat()`) where a program reads them: `<time datetime>` attributes, CSV,
JSON, file names. Nothing here is for those.

A missing value prints as '' for dates and times (the sentence around it says what is missing: "Does not expire")
and as '–' for figures (a blank cell in a table of numbers looks like a bug).

Pure: no Flask, no database; the app factory registers each function as a Jinja filter of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

__all__ = ["FILTERS", "clock", "day", "hours", "minutes", "moment", "pct"]

MISSING_FIGURE = "–"

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_hours(hours: Decimal) -> str:
    """1.50 prints as 1.5 and 10 as 10 (not 1E+1): the same figure on paper, in the credential and in totals."""
    return format(hours.normalize(), "f")


def _utc(value: datetime) -> datetime:
    """Stored datetimes come back aware in UTC; a naive one is taken to be UTC already (how the database keeps it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value: date | datetime | None) -> str:
    """A calendar day, "3 December 2026"; a datetime gives its UTC day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _utc(value).date()
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def moment(value: datetime | None, seconds: bool = False) -> str:
    """A point in time, "3 Dec 2026, 14:05 UTC"; `seconds` where they settle a question (when an answer was saved
    against a deadline)."""
    if value is None:
        return ""
    value = _utc(value)
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}, {clock(value, seconds)}"


def clock(value: datetime | None, seconds: bool = False) -> str:
    """The time of day alone, "14:05 UTC": for a deadline shown on the page where the attempt is taken."""
    if value is None:
        return ""
    value = _utc(value)
    return f"{value:%H:%M:%S} UTC" if seconds else f"{value:%H:%M} UTC"


def pct(fraction: float | Decimal | None, digits: int = 0) -> str:
    """A fraction as a percentage, 0.7 -> "70 %"; `digits=1` where a change smaller than a point matters (a regrade).
    Rounds half to even, as Python's formatting does."""
    if fraction is None:
        return MISSING_FIGURE
    return f"{fraction * 100:.{digits}f} %"


def hours(value: Decimal | float | None) -> str:
    """CE hours as the certificate prints the figure: "1.5 CE hours", "1 CE hour", "10 CE hours" (not 1E+1)."""
    if value is None:
        return MISSING_FIGURE
    figure = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{format_hours(figure)} CE hour" + ("" if figure == 1 else "s")


def minutes(value: int | None) -> str:
    """A duration in whole minutes: "45 min", "1 h 05 min"."""
    if value is None:
        return MISSING_FIGURE
    if value < 60:
        return f"{value} min"
    return f"{value // 60} h {value % 60:02d} min"


FILTERS: dict[str, Callable[..., str]] = {f.__name__: f for f in (day, moment, clock, pct, hours, minutes)}
"""Every function above, by the name templates use: `{{ c.issue_date|day }}`, `{{ a.score|pct }}`."""
