"""Regrades: the record of each regrade applied to a quiz's graded attempts after a question's key was corrected.

Attempt items keep the version they were taken with (edu.quizzes); these rows say which newer version an item was
regraded against, and how each attempt's result moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.db import Base, utcnow

if TYPE_CHECKING:
    from edu.auth.models import User


class RegradeRun(Base):
    """One applied regrade of a quiz after a question's key was corrected: who, when, which versions, what changed.

    Attempts keep the versions they were taken with (AttemptItem.question_version_id); each regraded item gets a
    RegradeItem pointing here and at the version it was regraded against, and each regraded attempt a RegradeChange.
    """

    __tablename__ = "regrade_runs"
    __table_args__ = (Index("ix_regrade_runs_quiz_id_created_at", "quiz_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{question_id, key, from: [version numbers], to: version number, to_version_id}] for each regraded question."""
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The dry run's counts: attempts regraded, scores changed, pass -> fail, fail -> pass."""

    user: Mapped[User | None] = relationship("User")
    changes: Mapped[list[RegradeChange]] = relationship(back_populates="run", order_by="RegradeChange.id")


class RegradeChange(Base):
    """One attempt's result before and after a regrade (recorded for every attempt the run regraded)."""

    __tablename__ = "regrade_changes"
    __table_args__ = (UniqueConstraint("run_id", "attempt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("regrade_runs.id", ondelete="CASCADE"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float | None] = mapped_column(Float)
    old_passed: Mapped[bool | None]
    new_passed: Mapped[bool | None]

    run: Mapped[RegradeRun] = relationship(back_populates="changes")


class RegradeItem(Base):
    """An attempt item regraded against a newer version of its question: the pointer from history to the regrade.

    The latest row for an item names the version its current mark was computed with, so a second regrade against
    the same version finds nothing to do.
    """

    __tablename__ = "regrade_items"
    __table_args__ = (
        UniqueConstraint("run_id", "item_id"),
        Index("ix_regrade_items_item_id_run_id", "item_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("regrade_runs.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"))
    from_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    to_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    old_fraction: Mapped[float | None] = mapped_column(Float)
    new_fraction: Mapped[float | None] = mapped_column(Float)
    old_state: Mapped[str] = mapped_column(String(12))
    new_state: Mapped[str] = mapped_column(String(12))
