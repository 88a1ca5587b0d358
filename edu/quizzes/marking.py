"""Marking an attempt: the server's clock, and grading exactly once.

* The server owns the clock: the deadline is frozen when an attempt starts, and an overdue attempt is finalised
  (graded from what was saved by the deadline) the next time anything touches it: its learner's quiz page, attempt
  page or review, a save, or `flask quizzes close-overdue`.
* Grading happens exactly once: callers lock the attempt row, and the conditional UPDATE ... WHERE
  state = 'in_progress' that records the result is checked by its rowcount; the loser of any race is a no-op.
* Writing to many items (every answer of the plain form, every question's mark) is one UPDATE, so saving and
  grading cost the same statements for 5 questions as for 200 (`update_items`).

Every other attempt module (eligibility, the lifecycle in attempts.py, the learner's pages) builds on this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, select, update
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from edu.auth.models import User
from edu.banks.services import as_model
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.errors import NotFound

from . import grading
from .grading_methods import meets_pass_mark
from .models import Attempt, AttemptAnswerEvent, AttemptItem, Quiz


def closes_at(attempt: Attempt, quiz: Quiz) -> datetime | None:
    """When the server finalises the attempt: the deadline, plus the grace period if the quiz has one."""
    if attempt.deadline_at is None:
        return None
    if quiz.overdue_handling == "graceperiod":
        return attempt.deadline_at + timedelta(minutes=quiz.grace_minutes)
    return attempt.deadline_at


def is_overdue(attempt: Attempt, quiz: Quiz, now: datetime | None = None) -> bool:
    end = closes_at(attempt, quiz)
    return attempt.state == "in_progress" and end is not None and (now or utcnow()) > end


def own_attempt(user: User, attempt_id: int, *, lock: bool = False) -> tuple[Attempt, Quiz, Course]:
    """The actor's own attempt with its quiz and course, in one statement; another learner's attempt is a 404."""
    stmt = (
        select(Attempt, Course)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .options(contains_eager(Attempt.quiz))
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id)
    )
    if lock:
        stmt = stmt.with_for_update(of=Attempt)
        stmt = stmt.execution_options(populate_existing=True)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound("No such attempt.")
    attempt, course = row
    return attempt, attempt.quiz, course


def own_attempt_item(user: User, attempt_id: int, slot: int) -> tuple[Attempt, Quiz, AttemptItem | None]:
    """The actor's own attempt, locked, with its quiz and the item in `slot` (None if it has none): one statement.

    For saving one answer (autosave), which reads nothing else of the attempt.
    """
    row = session.execute(
        select(Attempt, AttemptItem)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .outerjoin(AttemptItem, and_(AttemptItem.attempt_id == Attempt.id, AttemptItem.slot == slot))
        .options(contains_eager(Attempt.quiz), joinedload(AttemptItem.question_version))
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id)
        .with_for_update(of=Attempt)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("No such attempt.")
    attempt, item = row
    return attempt, attempt.quiz, item


def update_items(values: Mapping[int, Mapping[str, Any]], **same: Any) -> None:
    """Write each item's own values (item id -> column -> value), and `same` to all of them, in one UPDATE.

    Each column is set by a CASE on the item's id. SQLAlchemy's bulk UPDATE by primary key (a list of dicts) is an
    executemany: the database still runs one UPDATE per row (sqlite3 steps the statement per row; psycopg pipelines
    the rows, but each is executed). The caller keeps the loaded objects in step (set_committed_value).
    """
    if not values:
        return
    columns = AttemptItem.__table__.c
    names = sorted({name for row in values.values() for name in row})
    assignments: dict[str, Any] = {
        name: case(
            {item_id: literal(row[name], columns[name].type) for item_id, row in values.items()},
            value=AttemptItem.id,
        )
        for name in names
    }
    session.execute(
        update(AttemptItem)
        .where(AttemptItem.id.in_(list(values)))
        .values({**assignments, **same})
        .execution_options(synchronize_session=False)
    )


def attempt_items(attempt_id: int) -> list[AttemptItem]:
    return list(
        session.scalars(
            select(AttemptItem)
            .options(joinedload(AttemptItem.question_version))
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.slot)
        )
    )


def finalise(attempt: Attempt, quiz: Quiz, now: datetime, closed_by: str) -> bool:
    """Grade from the answers saved by the deadline and record the result exactly once (True if this call did)."""
    items = attempt_items(attempt.id)
    responses = {item.id: item.response for item in items}
    late = [i.id for i in items if attempt.deadline_at and i.saved_at and i.saved_at > attempt.deadline_at]
    if late:  # never expected (late saves are refused), but the rule is the rule: grade what was saved in time
        responses.update({i: None for i in late})
        for event in session.scalars(
            select(AttemptAnswerEvent)
            .where(AttemptAnswerEvent.item_id.in_(late), AttemptAnswerEvent.saved_at <= attempt.deadline_at)
            .order_by(AttemptAnswerEvent.saved_at, AttemptAnswerEvent.id)
        ):
            responses[event.item_id] = event.response
    grades = {item.id: grading.grade(as_model(item.question_version.data), responses[item.id]) for item in items}
    score = sum(g.fraction for g in grades.values()) / len(items) if items else 0.0
    passed = meets_pass_mark(score, quiz.pass_mark)
    claimed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == "in_progress")
        .values(state="submitted", submitted_at=now, closed_by=closed_by, score=score, passed=passed, graded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        return False
    update_items({i: {"fraction": g.fraction, "state": g.state} for i, g in grades.items()})
    for name, value in {
        "state": "submitted",
        "submitted_at": now,
        "closed_by": closed_by,
        "score": score,
        "passed": passed,
        "graded_at": now,
    }.items():
        set_committed_value(attempt, name, value)
    for item in items:
        set_committed_value(item, "fraction", grades[item.id].fraction)
        set_committed_value(item, "state", grades[item.id].state)
    return True
