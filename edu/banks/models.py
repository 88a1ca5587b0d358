"""Question banks and their items: every version of a question is kept, and attempts point at the version they used.

A bank is synced from courses/ (source COURSE, read-only in the browser) or authored in the browser (source
AUTHORED). Quizzes draw from these tables; nothing here knows about quizzes or attempts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.db import Base, utcnow

if TYPE_CHECKING:
    from edu.auth.models import User

COURSE = "course"
"""A bank synced from courses/: the files are its source of truth, so the browser never changes it."""
AUTHORED = "authored"
"""A bank authored in the browser: its creator and admins may change it."""


class QuestionBank(Base):
    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="course")
    """'course' (read-only, synced from courses/) or 'authored' (edited in the browser)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    """Who created an authored bank (they, and admins, may edit it); None for course banks and the CLI."""

    owner: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"))
    key: Mapped[str] = mapped_column(String(80))
    """The question's stable id from its bank."""
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version_id_question_versions"),
        index=True,
    )
    retired_at: Mapped[datetime | None]

    bank: Mapped[QuestionBank] = relationship()
    current_version: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)


class QuestionVersion(Base):
    """An immutable version of a question; attempts point here, so a later edit changes no history."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(foreign_keys=[question_id])


class QuestionEvent(Base):
    """Who did what to a question, and when: the authoring history behind each version, and retirements.

    Versions themselves stay immutable and carry no author (course sync makes most of them); an event
    names the person (None for course sync and the command line).
    """

    __tablename__ = "question_events"
    __table_args__ = (Index("ix_question_events_question_id_at", "question_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("question_versions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    """created | edited | imported | retired | unretired"""
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship("User")


class BankImportDraft(Base):
    """An uploaded file held between its report and the instructor's confirmation (then deleted).

    Keeping it server-side means the confirmation posts only a token, whatever the file's size.
    """

    __tablename__ = "bank_import_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    """The file's bytes as uploaded (Moodle XML may declare its own encoding)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
