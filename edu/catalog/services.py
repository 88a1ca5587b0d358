"""Catalog rules: who sees which course, enrolment, lessons and progress.

Every read that can fail the actor's rights raises NotFound (for what they may not know exists) or
Forbidden (for what they may see but not open yet). Progress is computed with a fixed number of
queries whatever the number of courses or lessons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from edu.auth.models import Role, User
from edu.db import session, utcnow
from edu.errors import Forbidden, NotFound

from . import seat_time
from .models import Asset, Course, CourseVersion, Enrolment, Lesson, LessonCompletion, Module

STAFF_ROLES = (Role.INSTRUCTOR, Role.ADMIN)


def is_staff(user: User | None) -> bool:
    return user is not None and user.has_role(*STAFF_ROLES)


@dataclass(frozen=True)
class LessonRef:
    key: str
    title: str
    reading_minutes: int
    position: int
    done: bool


@dataclass(frozen=True)
class ModuleProgress:
    key: str
    title: str
    summary: str
    objectives: list[dict[str, str]]
    lessons: list[LessonRef]

    @property
    def done(self) -> int:
        return sum(lesson.done for lesson in self.lessons)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def reading_minutes(self) -> int:
        return sum(lesson.reading_minutes for lesson in self.lessons)


@dataclass(frozen=True)
class Outline:
    course: Course
    version: CourseVersion
    modules: list[ModuleProgress]
    enrolled: bool = False
    lessons: list[LessonRef] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(m.done for m in self.modules)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def next_lesson(self) -> LessonRef | None:
        """The first lesson not yet completed, in course order (where to continue)."""
        return next((lesson for lesson in self.lessons if not lesson.done), None)

    @property
    def reading_minutes(self) -> int:
        return sum(m.reading_minutes for m in self.modules)


def visible_courses(user: User | None) -> list[tuple[Course, CourseVersion]]:
    stmt = select(Course, CourseVersion).join(CourseVersion, CourseVersion.id == Course.current_version_id).order_by(Course.title)
    if not is_staff(user):
        stmt = stmt.where(Course.published.is_(True))
    return [(c, v) for c, v in session.execute(stmt)]


def get_course(user: User | None, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None or course.current_version_id is None or (not course.published and not is_staff(user)):
        raise NotFound("No such course.")
    return course


def active_enrolment(user: User | None, course: Course) -> Enrolment | None:
    if user is None:
        return None
    return session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.active)
    )


def enrol(user: User, course: Course) -> Enrolment:
    if not course.published and not is_staff(user):
        raise NotFound("No such course.")
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, course_id=course.id)
        session.add(enrolment)
    elif not enrolment.active:
        enrolment.active, enrolment.enrolled_at, enrolment.unenrolled_at = True, utcnow(), None
    session.flush()
    return enrolment


def unenrol(user: User, course: Course) -> None:
    """Leave the course; completed lessons are kept so re-enrolling picks up where the learner was."""
    enrolment = active_enrolment(user, course)
    if enrolment is not None:
        enrolment.active, enrolment.unenrolled_at = False, utcnow()


def outlines(user: User | None, courses: list[Course]) -> dict[int, Outline]:
    """Outlines with the user's progress for several courses in four queries."""
    if not courses:
        return {}
    version_ids = [c.current_version_id for c in courses if c.current_version_id]
    versions = {v.id: v for v in session.scalars(select(CourseVersion).where(CourseVersion.id.in_(version_ids)))}
    modules = session.scalars(
        select(Module)
        .where(Module.course_version_id.in_(version_ids))
        .options(selectinload(Module.lessons).load_only(Lesson.key, Lesson.title, Lesson.position, Lesson.reading_minutes))
        .order_by(Module.course_version_id, Module.position)
    ).all()
    done: set[tuple[int, str]] = set()
    enrolled: set[int] = set()
    if user is not None:
        course_ids = [c.id for c in courses]
        done = {
            (course_id, key)
            for course_id, key in session.execute(
                select(LessonCompletion.course_id, LessonCompletion.lesson_key).where(
                    LessonCompletion.user_id == user.id, LessonCompletion.course_id.in_(course_ids)
                )
            )
        }
        enrolled = set(
            session.scalars(
                select(Enrolment.course_id).where(
                    Enrolment.user_id == user.id, Enrolment.course_id.in_(course_ids), Enrolment.active
                )
            )
        )
    by_version: dict[int, list[Module]] = {}
    for module in modules:
        by_version.setdefault(module.course_version_id, []).append(module)
    result: dict[int, Outline] = {}
    for course in courses:
        if course.current_version_id is None:
            continue
        module_progress = [
            ModuleProgress(
                key=m.key,
                title=m.title,
                summary=m.summary,
                objectives=m.objectives,
                lessons=[LessonRef(x.key, x.title, x.reading_minutes, x.position, (course.id, x.key) in done) for x in m.lessons],
            )
            for m in by_version.get(course.current_version_id, [])
        ]
        result[course.id] = Outline(
            course=course,
            version=versions[course.current_version_id],
            modules=module_progress,
            enrolled=course.id in enrolled,
            lessons=[lesson for m in module_progress for lesson in m.lessons],
        )
    return result


def outline(user: User | None, course: Course) -> Outline:
    return outlines(user, [course])[course.id]


def dashboard(user: User) -> list[Outline]:
    courses = list(
        session.scalars(
            select(Course)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user.id, Enrolment.active)
            .order_by(Enrolment.enrolled_at.desc())
        )
    )
    found = outlines(user, courses)
    return [found[c.id] for c in courses if c.id in found]


@dataclass(frozen=True)
class LessonPage:
    lesson: Lesson
    module: Module
    previous: LessonRef | None
    next: LessonRef | None
    outline: Outline
    opened_at: datetime | None = None
    """When this learner first opened the lesson (None for a staff preview without enrolment)."""
    minimum_minutes: int = 0
    """The course's minimum time with a lesson before it can be marked complete."""


def open_lesson(user: User, course: Course, key: str) -> LessonPage:
    """A lesson of the current version; only for enrolled learners (staff may preview)."""
    course_outline = outline(user, course)
    if not course_outline.enrolled and not is_staff(user):
        raise Forbidden("Enrol in the course to read its lessons.")
    row = session.execute(
        select(Lesson, Module)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_version_id == course.current_version_id, Lesson.key == key)
    ).first()
    if row is None:
        raise NotFound("No such lesson.")
    lesson, module = row
    refs = course_outline.lessons
    index = next(i for i, ref in enumerate(refs) if ref.key == key)
    opened = seat_time.record_opening(user.id, course.id, key) if course_outline.enrolled else None
    return LessonPage(
        lesson=lesson,
        module=module,
        previous=refs[index - 1] if index > 0 else None,
        next=refs[index + 1] if index + 1 < len(refs) else None,
        outline=course_outline,
        opened_at=opened,
        minimum_minutes=seat_time.minimum_minutes(course_outline.version),
    )


def complete_lesson(user: User, course: Course, key: str) -> bool:
    """Mark a lesson complete (True), or report it already was (False). Idempotent. Raises seat_time.TooSoon
    before the course's minimum time with the lesson (measured from the first opening the server recorded)."""
    if active_enrolment(user, course) is None:
        raise Forbidden("Enrol in the course to record progress.")
    exists = session.scalar(
        select(func.count(Lesson.id)).where(Lesson.course_version_id == course.current_version_id, Lesson.key == key)
    )
    if not exists:
        raise NotFound("No such lesson.")
    already = session.scalar(
        select(LessonCompletion.id).where(
            LessonCompletion.user_id == user.id, LessonCompletion.course_id == course.id, LessonCompletion.lesson_key == key
        )
    )
    if already is not None:
        return False
    seat_time.require_minimum(user.id, course, key)
    try:
        with session.begin_nested():  # two tabs clicking at once: the unique key decides, no 500
            session.add(LessonCompletion(user_id=user.id, course_id=course.id, lesson_key=key))
    except IntegrityError:
        return False
    return True


def asset(digest: str) -> tuple[bytes, str]:
    row = session.scalar(select(Asset).where(Asset.sha256 == digest))
    if row is None:
        raise NotFound()
    return row.data, row.media_type
