"""Seat time: when each lesson was first opened and when it was marked complete.

CE providers are asked for evidence of engagement. The server records the first opening of a lesson and the
completion; a course may ask for a minimum time between the two before "Mark lesson complete" is accepted, and
time on task per module is reported from the pair. Nothing the browser sends is trusted: both times are the
server's clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from edu.db import session, utcnow
from edu.errors import Conflict

from .models import Course, CourseVersion, Enrolment, Lesson, LessonCompletion, LessonOpening, Module

LESSON_CAP = timedelta(minutes=60)
"""Time on task counts at most this much per lesson: a tab left open overnight is not an hour of study."""


class TooSoon(Conflict):
    """A lesson marked complete before the course's minimum time with it."""


def minimum_minutes(version: CourseVersion | None) -> int:
    rules: dict[str, Any] = (version.rules or {}) if version is not None else {}
    return int((rules.get("completion") or {}).get("minimum_lesson_minutes") or 0)


def record_opening(user_id: int, course_id: int, key: str) -> datetime:
    """The first time this learner opened this lesson (recorded now if this is the first time)."""
    opened = opened_at(user_id, course_id, key)
    if opened is not None:
        return opened
    now = utcnow()
    try:
        with session.begin_nested():  # two tabs opening at once: the unique key keeps the first
            session.add(LessonOpening(user_id=user_id, course_id=course_id, lesson_key=key, opened_at=now))
    except IntegrityError:
        return opened_at(user_id, course_id, key) or now
    return now


def opened_at(user_id: int, course_id: int, key: str) -> datetime | None:
    return session.scalar(
        select(LessonOpening.opened_at).where(
            LessonOpening.user_id == user_id, LessonOpening.course_id == course_id, LessonOpening.lesson_key == key
        )
    )


def require_minimum(user_id: int, course: Course, key: str) -> None:
    """Raise TooSoon unless the learner opened the lesson at least the course's minimum time ago."""
    minimum = minimum_minutes(course.current_version)
    if not minimum:
        return
    opened = opened_at(user_id, course.id, key)
    if opened is None:
        raise TooSoon(f"Open and read the lesson first: this course asks for at least {minimum} minutes with each lesson.")
    waited = utcnow() - opened
    if waited < timedelta(minutes=minimum):
        left = timedelta(minutes=minimum) - waited
        raise TooSoon(
            f"This course asks for at least {minimum} minutes with each lesson before it is marked complete; "
            f"about {max(1, round(left.total_seconds() / 60))} more minute{'s' if left > timedelta(minutes=1.5) else ''} to go."
        )


@dataclass
class ModuleTime:
    key: str
    title: str
    lessons: int
    completed: int = 0
    timed: int = 0
    """Completed lessons whose opening was recorded (completions from before seat time was kept have none)."""
    time: timedelta = field(default_factory=timedelta)

    @property
    def minutes(self) -> int:
        return round(self.time.total_seconds() / 60)


def time_on_task(course: Course, user_ids: Iterable[int]) -> dict[int, list[ModuleTime]]:
    """Per learner, per module of the course's current version: lessons completed and the time from first opening
    to completion (each lesson capped at LESSON_CAP). Three statements whatever the number of learners."""
    ids = list(user_ids)
    found = _time_on_task([course], ids)
    return {uid: found[(course.id, uid)] for uid in ids}


def learner_time_on_task(user_id: int) -> list[tuple[Course, list[ModuleTime]]]:
    """Every course the learner is or was enrolled in, with time on task per module: four statements."""
    courses = list(
        session.scalars(
            select(Course)
            .where(Course.id.in_(select(Enrolment.course_id).where(Enrolment.user_id == user_id)))
            .order_by(Course.title, Course.id)
        )
    )
    found = _time_on_task(courses, [user_id])
    return [(c, found[(c.id, user_id)]) for c in courses]


def _time_on_task(courses: list[Course], ids: list[int]) -> dict[tuple[int, int], list[ModuleTime]]:
    versions = {c.current_version_id: c.id for c in courses if c.current_version_id is not None}
    outline = (
        list(
            session.execute(
                select(Module.course_version_id, Module.key, Module.title, Lesson.key)
                .join(Lesson, Lesson.module_id == Module.id)
                .where(Module.course_version_id.in_(versions))
                .order_by(Module.course_version_id, Module.position, Lesson.position)
            )
        )
        if versions
        else []
    )
    module_of: dict[tuple[int, str], str] = {}
    titles: dict[int, dict[str, str]] = {c.id: {} for c in courses}
    counts: dict[tuple[int, str], int] = {}
    for version_id, module, title, lesson in outline:
        course_id = versions[version_id]
        module_of[(course_id, lesson)] = module
        titles[course_id][module] = title
        counts[(course_id, module)] = counts.get((course_id, module), 0) + 1
    result = {(c.id, uid): [ModuleTime(m, t, counts[(c.id, m)]) for m, t in titles[c.id].items()] for c in courses for uid in ids}
    if not ids or not courses:
        return result
    course_ids = [c.id for c in courses]
    opened = {
        (course_id, uid, key): at
        for course_id, uid, key, at in session.execute(
            select(LessonOpening.course_id, LessonOpening.user_id, LessonOpening.lesson_key, LessonOpening.opened_at).where(
                LessonOpening.course_id.in_(course_ids), LessonOpening.user_id.in_(ids)
            )
        )
    }
    positions = {course_id: {m: i for i, m in enumerate(names)} for course_id, names in titles.items()}
    for course_id, uid, key, done in session.execute(
        select(
            LessonCompletion.course_id, LessonCompletion.user_id, LessonCompletion.lesson_key, LessonCompletion.completed_at
        ).where(LessonCompletion.course_id.in_(course_ids), LessonCompletion.user_id.in_(ids))
    ):
        owner = module_of.get((course_id, key))
        if owner is None:
            continue  # a lesson of an earlier version that the current one no longer has
        row = result[(course_id, uid)][positions[course_id][owner]]
        row.completed += 1
        start = opened.get((course_id, uid, key))
        if start is not None and done >= start:
            row.timed += 1
            row.time += min(done - start, LESSON_CAP)
    return result
