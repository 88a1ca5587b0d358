from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.auth.models import User
from edu.db import Base, utcnow


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    published: Mapped[bool] = mapped_column(default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", use_alter=True, name="fk_courses_current_version_id_course_versions"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current_version: Mapped[CourseVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)


class CourseVersion(Base):
    """One synced state of a course's files. Never edited after creation; older ones stay readable."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    version: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    ce_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    provider: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str | None] = mapped_column(String(300))
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """completion, certificate and final_exam settings, as in course.yaml."""
    glossary: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    modules: Mapped[list[Module]] = relationship(
        back_populates="course_version", order_by="Module.position", cascade="all, delete-orphan"
    )


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    objectives: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    quiz: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    bank_slug: Mapped[str | None] = mapped_column(String(80))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)

    course_version: Mapped[CourseVersion] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("course_version_id", "key"),
        Index("ix_lessons_module_id_position", "module_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    """Position in the whole course (0-based), so previous/next is one comparison."""
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    words: Mapped[int]
    reading_minutes: Mapped[int]

    module: Mapped[Module] = relationship(back_populates="lessons")


class Asset(Base):
    """A figure, content-addressed so identical files across versions are stored once."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(60))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"), Index("ix_enrolments_course_id", "course_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    active: Mapped[bool] = mapped_column(default=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    unenrolled_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()


class LessonCompletion(Base):
    """Keyed by the lesson's stable id, so progress survives a new course version."""

    __tablename__ = "lesson_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "lesson_key"),
        Index("ix_lesson_completions_course_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    lesson_key: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonOpening(Base):
    """When a learner first opened a lesson: with the completion time, the evidence of engagement a CE provider
    is asked for (time on task), and what a course's minimum time per lesson is measured from."""

    __tablename__ = "lesson_openings"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "lesson_key"),
        Index("ix_lesson_openings_course_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    lesson_key: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseInstructor(Base):
    """An instructor assigned to a course: they act on its outcomes (gradebooks, attempts, regrades, accommodations,
    item analysis, quiz settings, certificates). Admins act on every course without a row here."""

    __tablename__ = "course_instructors"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        Index("ix_course_instructors_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    """The admin who assigned them; None from the command line."""

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
