"""Compliance status rules, pure: a staff member's certificates and lesson progress for a course, and today's
date, give one status a clinic can act on.

- certified: a valid certificate, in force, not expiring within the window;
- expiring: a valid certificate whose expiry falls within the window (`days_left` says when);
- expired: the most recent certificate has expired (and no other one is in force);
- revoked: the most recent certificate was revoked (and no other one is in force);
- in_progress: no certificate yet, some lessons read (`percent` of the current version's lessons);
- not_started: nothing yet.

A certificate in force always wins, so a renewal issued before the old certificate expired counts, and so does
an older cycle that is still valid while the latest one was revoked. Superseded certificates (replaced by a
reissue) are ignored: their replacement speaks for them. Hours: every certificate that was not revoked or
superseded counts, expired ones included (the hours were earned), as on the learner's transcript.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

STATUSES = ("certified", "expiring", "expired", "revoked", "in_progress", "not_started")
STATUS_LABELS = {
    "certified": "Certified",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "revoked": "Revoked",
    "in_progress": "In progress",
    "not_started": "Not started",
}
URGENCY = {"expired": 0, "revoked": 1, "expiring": 2, "not_started": 3, "in_progress": 4, "certified": 5}
"""Sort order by status: what needs action first."""

DEFAULT_WINDOW_DAYS = 60
MAX_WINDOW_DAYS = 730


@dataclass(frozen=True, slots=True)
class CertificateFact:
    code: str
    status: str
    """valid | revoked | superseded, as stored."""
    cycle: int
    issue_date: date
    expiry_date: date | None
    ce_hours: Decimal


@dataclass(frozen=True, slots=True)
class CourseStatus:
    status: str
    certificate: CertificateFact | None = None
    """The certificate the status rests on, if any."""
    percent: int = 0
    """Lessons read, for in_progress (and 100 once certified)."""
    days_left: int | None = None
    """Days until expiry, for certified and expiring certificates that expire."""

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def expiry_date(self) -> date | None:
        return self.certificate.expiry_date if self.certificate else None


def _in_force(fact: CertificateFact, today: date) -> bool:
    return fact.status == "valid" and (fact.expiry_date is None or today < fact.expiry_date)


def course_status(
    certificates: Iterable[CertificateFact],
    lessons_done: int,
    lessons_total: int,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> CourseStatus:
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    current = [c for c in certificates if c.status != "superseded"]
    in_force = [c for c in current if _in_force(c, today)]
    if in_force:
        # The one lasting longest: no expiry beats any date.
        best = max(in_force, key=lambda c: (c.expiry_date is None, c.expiry_date or date.min, c.cycle))
        days_left = (best.expiry_date - today).days if best.expiry_date else None
        expiring = days_left is not None and days_left <= window_days
        return CourseStatus("expiring" if expiring else "certified", best, 100, days_left)
    if current:
        latest = max(current, key=lambda c: (c.cycle, c.issue_date))
        return CourseStatus("revoked" if latest.status != "valid" else "expired", latest, 100 if latest.status == "valid" else 0)
    done = max(0, min(lessons_done, lessons_total))
    if done == 0:
        return CourseStatus("not_started")
    return CourseStatus("in_progress", percent=round(100 * done / lessons_total) if lessons_total else 0)


def hours_earned(certificates: Iterable[CertificateFact]) -> Decimal:
    return sum((c.ce_hours for c in certificates if c.status == "valid"), Decimal(0))


def worst(statuses: Sequence[CourseStatus]) -> CourseStatus | None:
    """The status that most needs action (for sorting a person by status across courses)."""
    return min(statuses, key=lambda s: URGENCY[s.status], default=None)


def earliest_expiry(statuses: Sequence[CourseStatus]) -> date | None:
    dates = [s.expiry_date for s in statuses if s.expiry_date is not None and s.status in ("certified", "expiring", "expired")]
    return min(dates, default=None)


# --- a roster row, and filtering and sorting it ---------------------------------------------------------------------


SORTS = ("name", "status", "expiry")


@dataclass(frozen=True)
class StaffRow:
    link_id: int
    name: str
    invited_email: str
    statuses: dict[int, CourseStatus]
    """By course id, for every course on the roster."""
    hours: Decimal

    def status_for(self, course_id: int | None) -> CourseStatus | None:
        if course_id is not None:
            return self.statuses.get(course_id)
        return worst(list(self.statuses.values()))

    def expiry_for(self, course_id: int | None) -> date | None:
        if course_id is not None:
            found = self.statuses.get(course_id)
            return earliest_expiry([found]) if found else None
        return earliest_expiry(list(self.statuses.values()))


def select_rows(
    rows: Iterable[StaffRow],
    *,
    course_id: int | None = None,
    status: str | None = None,
    query: str = "",
    sort: str = "name",
) -> list[StaffRow]:
    """Filter by status (in the chosen course, or in any course) and by part of the name; then sort.

    Sorting by status puts what needs action first; by expiry, the earliest expiry first and people with
    nothing that expires last. Ties fall back to the name, so the order is stable and predictable."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    needle = query.strip().casefold()
    chosen = []
    for row in rows:
        if needle and needle not in row.name.casefold():
            continue
        if status is not None:
            if course_id is not None:
                found = row.statuses.get(course_id)
                if found is None or found.status != status:
                    continue
            elif not any(s.status == status for s in row.statuses.values()):
                continue
        chosen.append(row)

    def by_name(row: StaffRow) -> tuple[str, int]:
        return (row.name.casefold(), row.link_id)

    if sort == "status":

        def by_status(row: StaffRow) -> tuple[int, str, int]:
            found = row.status_for(course_id)
            return (URGENCY[found.status] if found else len(URGENCY), *by_name(row))

        return sorted(chosen, key=by_status)
    if sort == "expiry":

        def by_expiry(row: StaffRow) -> tuple[bool, date, str, int]:
            expiry = row.expiry_for(course_id)
            return (expiry is None, expiry or date.max, *by_name(row))

        return sorted(chosen, key=by_expiry)
    return sorted(chosen, key=by_name)


def counts(rows: Iterable[StaffRow], course_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """How many people are in each status, per course: the compliance chart's data."""
    result = {course_id: dict.fromkeys(STATUSES, 0) for course_id in course_ids}
    for row in rows:
        for course_id in course_ids:
            found = row.statuses.get(course_id)
            if found is not None:
                result[course_id][found.status] += 1
    return result
