"""Quizzes and attempts: what a quiz is made of, the rules an attempt runs under, and what each attempt froze.

Everything the attempt rules read lives here: the quiz's settings and sources, and each learner's accommodation
(extra time and attempts, read when an attempt starts). Questions and their versions belong to edu.banks.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.banks.models import QuestionVersion
from edu.db import Base, utcnow

if TYPE_CHECKING:
    from edu.auth.models import User

AUTHORED = "authored"
"""Quiz.source of a quiz assembled in the browser (an AuthoredQuiz row names its author); course sync's are 'course'."""

REVIEW_PARTS = ("score", "correctness", "response", "option_feedback", "key", "feedback")
"""What a review page may show: the score, right/wrong per question, the learner's own response, the feedback on a
wrong option they chose (only what tells no more about the key than the mark does: grading.option_feedback), the
key (correct answer) and the rationale with all feedback."""

DEFAULT_REVIEW: dict[str, list[str]] = {
    "after_submit": ["score", "correctness", "response"],
    "after_pass": ["score", "correctness", "response", "key", "feedback"],
    "after_last": ["score", "correctness", "response", "key", "feedback"],
}
"""Before a learner passes (or runs out of attempts) they see what they got wrong but not the key, so a retake
from the same pool tests knowledge rather than recall of the last review."""


class Quiz(Base):
    """A module quiz (module_key set) or the course's final exam (module_key None).

    Course quizzes are created and updated by course sync; settings that course files do not carry (grading
    method, overdue handling, the review policy but its 'option_feedback', feedback bands) keep whatever an instructor
    set.
    """

    __tablename__ = "quizzes"
    __table_args__ = (
        UniqueConstraint("course_id", "kind", "key"),
        CheckConstraint("kind IN ('module', 'final')", name="kind"),
        CheckConstraint("grading_method IN ('highest', 'last', 'first', 'average')", name="grading_method"),
        CheckConstraint("overdue_handling IN ('autosubmit', 'graceperiod')", name="overdue_handling"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(80))
    """The module's key for a module quiz, 'final' for the final exam (unique with course and kind)."""
    module_key: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    questions: Mapped[int]
    pass_mark: Mapped[int] = mapped_column(default=70)
    attempts_allowed: Mapped[int | None]
    """None: unlimited. No column default: SQLAlchemy would fill it into an INSERT whose value is None."""
    delay_minutes: Mapped[int] = mapped_column(default=0)
    time_limit_minutes: Mapped[int | None]
    grading_method: Mapped[str] = mapped_column(String(10), default="highest")
    overdue_handling: Mapped[str] = mapped_column(String(12), default="autosubmit")
    grace_minutes: Mapped[int] = mapped_column(default=0)
    review: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=lambda: {k: list(v) for k, v in DEFAULT_REVIEW.items()})
    feedback_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{min: percent, text}], the band with the highest min not above the score applies."""
    source: Mapped[str] = mapped_column(String(20), default="course")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    """Set when the quiz disappears from the course files; its attempts stay."""

    sources: Mapped[list[QuizSource]] = relationship(
        back_populates="quiz", order_by="QuizSource.position", cascade="all, delete-orphan"
    )


class QuizSource(Base):
    """Where a quiz's questions come from.

    kind 'draw': `count` random questions from a bank (bank_id), a tag (tag) or both;
    kind 'fixed': always this question (question_id);
    kind 'minimum': every draw holds at least `count` questions tagged `tag` (the final exam's blueprint).
    """

    __tablename__ = "quiz_sources"
    __table_args__ = (
        Index("ix_quiz_sources_quiz_id_position", "quiz_id", "position"),
        CheckConstraint("kind IN ('draw', 'fixed', 'minimum')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("question_banks.id"), index=True)
    tag: Mapped[str | None] = mapped_column(String(60))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), index=True)
    count: Mapped[int] = mapped_column(default=1)

    quiz: Mapped[Quiz] = relationship(back_populates="sources")


class Attempt(Base):
    """One try at a quiz. Its questions, option order and deadline are frozen when it starts.

    (quiz_id, user_id, number) is unique, and at most one attempt per learner and quiz is in progress (a partial
    unique index): together with a row lock at start these make the attempt limit hold under concurrent requests.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        Index(
            "uq_attempts_in_progress",
            "quiz_id",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
        Index("ix_attempts_user_id_quiz_id", "user_id", "quiz_id"),
        Index("ix_attempts_state_deadline_at", "state", "deadline_at"),
        CheckConstraint("state IN ('in_progress', 'submitted', 'abandoned')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int]
    seed: Mapped[int]
    """Seed of the random draw and shuffles, so the attempt's paper can be reproduced."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    """Owned by the server: time limit x accommodation multiplier + extra minutes; None when untimed."""
    submitted_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(10))
    """'learner' (submitted) or 'timeout' (finalised by the server after the deadline)."""
    state: Mapped[str] = mapped_column(String(12), default="in_progress")
    score: Mapped[float | None] = mapped_column(Float)
    """Mean of the item fractions, 0..1."""
    passed: Mapped[bool | None]
    graded_at: Mapped[datetime | None]

    quiz: Mapped[Quiz] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.slot", cascade="all, delete-orphan"
    )


class AttemptItem(Base):
    """One question of an attempt: the frozen version and option order, the latest saved response, the mark."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    slot: Mapped[int]
    """1-based position on the page."""
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    order: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Display order: option ids (single, multiple), answer texts (matching), item ids (ordering)."""
    response: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    """The latest saved response in grading's canonical shape; None when unanswered."""
    saved_at: Mapped[datetime | None]
    fraction: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    """'pending' until graded, then grading's state: correct | partial | incorrect | unanswered."""

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question_version: Mapped[QuestionVersion] = relationship()


class AttemptAnswerEvent(Base):
    """Every accepted save of a response, so nothing a learner entered is ever lost or overwritten unseen."""

    __tablename__ = "attempt_answer_events"
    __table_args__ = (Index("ix_attempt_answer_events_item_id_saved_at", "item_id", "saved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"))
    response: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Accommodation(Base):
    """Extra time and attempts for one learner: for one quiz, for every quiz of a course, or everywhere.

    The most specific one applies (quiz, then course, then global). It affects attempts started after it is set.
    """

    __tablename__ = "accommodations"
    __table_args__ = (
        Index("ix_accommodations_user_id", "user_id"),
        CheckConstraint("time_multiplier >= 1", name="time_multiplier"),
        CheckConstraint("extra_minutes >= 0", name="extra_minutes"),
        CheckConstraint("extra_attempts >= 0", name="extra_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id"), index=True)
    time_multiplier: Mapped[float] = mapped_column(Float, default=1.0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(300))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthoredQuiz(Base):
    """Marks a quiz assembled in the browser (Quiz.source 'authored') and who may change it (its author, admins)."""

    __tablename__ = "authored_quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quiz: Mapped[Quiz] = relationship()
    owner: Mapped[User | None] = relationship("User")
