"""Regrading a quiz after a question's key was corrected.

When a question gets a newer version than the one an attempt item was graded with (the key fixed in courses/ and
re-synced, or edited in an authored bank), the item can be regraded against the newer version: the same question,
the learner's stored response kept, option ids mapped by id (an option that no longer exists simply counts as not
chosen). A dry run (`plan_regrade`) says whose score and pass result would change; `apply_regrade` then writes it
in the caller's transaction, recording a RegradeRun, a RegradeChange per attempt and a RegradeItem per item.

Attempt items keep their frozen `question_version_id` for history; the latest RegradeItem of an item names the
version its current mark comes from, which makes the regrade idempotent: a second run finds nothing left to do.
Only graded attempts are regraded (one in progress is graded at submit, and can be regraded after).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased, joinedload

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.banks.services import as_model
from edu.catalog import policy
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.errors import Conflict, NotFound
from edu.quizzes import grading
from edu.quizzes.grading_methods import meets_pass_mark
from edu.quizzes.models import Attempt, AttemptItem, Quiz

from .models import RegradeChange, RegradeItem, RegradeRun

SCORE_EPSILON = 1e-9


@dataclass(frozen=True)
class VersionChange:
    question_id: int
    key: str
    bank_slug: str
    from_numbers: tuple[int, ...]
    to_number: int
    to_version_id: int
    items: int
    """How many attempt items will be regraded against the newer version."""


@dataclass(frozen=True)
class AttemptChange:
    attempt_id: int
    number: int
    learner: User
    old_score: float | None
    new_score: float
    old_passed: bool | None
    new_passed: bool

    @property
    def score_changed(self) -> bool:
        return self.old_score is None or abs(self.new_score - self.old_score) > SCORE_EPSILON

    @property
    def pass_changed(self) -> bool:
        return bool(self.old_passed) != self.new_passed

    @property
    def changed(self) -> bool:
        return self.score_changed or self.pass_changed

    @property
    def direction(self) -> str | None:
        if not self.pass_changed:
            return None
        return "fail → pass" if self.new_passed else "pass → fail"


@dataclass(frozen=True)
class ItemUpdate:
    item_id: int
    attempt_id: int
    from_version_id: int
    to_version_id: int
    old_fraction: float | None
    new_fraction: float
    old_state: str
    new_state: str


@dataclass
class Plan:
    quiz: Quiz
    course: Course
    versions: list[VersionChange] = field(default_factory=list)
    attempts: list[AttemptChange] = field(default_factory=list)
    """Every attempt that has an item to regrade, changed or not."""
    items: list[ItemUpdate] = field(default_factory=list)

    @property
    def changed(self) -> list[AttemptChange]:
        return [a for a in self.attempts if a.changed]

    @property
    def unchanged(self) -> int:
        return len(self.attempts) - len(self.changed)

    @property
    def pass_to_fail(self) -> int:
        return sum(a.direction == "pass → fail" for a in self.attempts)

    @property
    def fail_to_pass(self) -> int:
        return sum(a.direction == "fail → pass" for a in self.attempts)

    @property
    def nothing_to_do(self) -> bool:
        return not self.items

    @property
    def summary(self) -> dict[str, int]:
        return {
            "attempts": len(self.attempts),
            "items": len(self.items),
            "changed": len(self.changed),
            "pass_to_fail": self.pass_to_fail,
            "fail_to_pass": self.fail_to_pass,
        }

    @property
    def fingerprint(self) -> str:
        """Identifies what the dry run showed, so "Regrade" applies exactly that or says the data moved on."""
        payload = sorted((u.item_id, u.from_version_id, u.to_version_id, round(u.new_fraction, 9)) for u in self.items)
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]


@dataclass
class _Tally:
    key: str
    bank_slug: str
    to_number: int
    to_version_id: int
    from_numbers: set[int] = field(default_factory=set)
    items: int = 0


def plan_regrade(actor: User, quiz_id: int, *, lock: bool = False) -> Plan:
    """The dry run: what regrading the quiz's graded attempts against the newest question versions would change.

    Four statements whatever the number of attempts: the quiz, every item of its graded attempts with the newest
    version of its question, the versions earlier regrades used, the learners concerned. Changes nothing.
    """
    policy.require_instructor(actor)
    query = select(Quiz, Course).join(Course, Course.id == Quiz.course_id).where(Quiz.id == quiz_id)
    if lock:
        query = query.with_for_update(of=Quiz)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("There is no quiz at this address.")
    quiz, course = row
    policy.require_teaches(actor, course.id, "There is no quiz at this address.")
    plan = Plan(quiz, course)

    current = aliased(QuestionVersion)
    taken = aliased(QuestionVersion)
    rows = session.execute(
        select(
            AttemptItem.id,
            AttemptItem.attempt_id,
            AttemptItem.question_id,
            AttemptItem.question_version_id,
            AttemptItem.response,
            AttemptItem.fraction,
            AttemptItem.state,
            Attempt.number,
            Attempt.user_id,
            Attempt.score,
            Attempt.passed,
            Question.key,
            QuestionBank.slug,
            taken.number,
            current.id,
            current.number,
            current.data,
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(taken, taken.id == AttemptItem.question_version_id)
        .join(current, current.id == Question.current_version_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.graded_at.is_not(None))
        .order_by(Attempt.id, AttemptItem.slot)
    ).all()
    graded_with: dict[int, tuple[int, int]] = {}
    """item id -> (version id, version number) its current mark was computed with, from the latest regrade."""
    for item_id, version_id, number in session.execute(
        select(RegradeItem.item_id, RegradeItem.to_version_id, QuestionVersion.number)
        .join(QuestionVersion, QuestionVersion.id == RegradeItem.to_version_id)
        .join(AttemptItem, AttemptItem.id == RegradeItem.item_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.quiz_id == quiz.id)
        .order_by(RegradeItem.id)
    ):
        graded_with[item_id] = (version_id, number)

    fractions: dict[int, list[float]] = {}
    meta: dict[int, tuple[int, int, float | None, bool | None]] = {}
    affected: set[int] = set()
    per_question: dict[int, _Tally] = {}
    questions: dict[int, Any] = {}
    for (
        item_id,
        attempt_id,
        question_id,
        version_id,
        response,
        fraction,
        state,
        number,
        user_id,
        score,
        passed,
        key,
        bank_slug,
        taken_number,
        current_id,
        current_number,
        current_data,
    ) in rows:
        meta[attempt_id] = (number, user_id, score, passed)
        used_id, used_number = graded_with.get(item_id, (version_id, taken_number))
        if used_id == current_id:
            fractions.setdefault(attempt_id, []).append(fraction or 0.0)
            continue
        if current_id not in questions:
            questions[current_id] = as_model(current_data)
        graded = grading.grade(questions[current_id], response)
        fractions.setdefault(attempt_id, []).append(graded.fraction)
        affected.add(attempt_id)
        plan.items.append(ItemUpdate(item_id, attempt_id, used_id, current_id, fraction, graded.fraction, state, graded.state))
        tally = per_question.setdefault(question_id, _Tally(key, bank_slug, current_number, current_id))
        tally.from_numbers.add(used_number)
        tally.items += 1
    plan.versions = [
        VersionChange(qid, t.key, t.bank_slug, tuple(sorted(t.from_numbers)), t.to_number, t.to_version_id, t.items)
        for qid, t in sorted(per_question.items(), key=lambda kv: (kv[1].bank_slug, kv[1].key))
    ]
    if affected:
        learners = {u.id: u for u in session.scalars(select(User).where(User.id.in_({meta[a][1] for a in affected})))}
        for attempt_id in sorted(affected):
            number, user_id, score, passed = meta[attempt_id]
            marks = fractions[attempt_id]
            new_score = sum(marks) / len(marks) if marks else 0.0
            plan.attempts.append(
                AttemptChange(
                    attempt_id=attempt_id,
                    number=number,
                    learner=learners[user_id],
                    old_score=score,
                    new_score=new_score,
                    old_passed=passed,
                    new_passed=meets_pass_mark(new_score, quiz.pass_mark),
                )
            )
        plan.attempts.sort(key=lambda a: (not a.changed, a.learner.name, a.number))
    return plan


def apply_regrade(actor: User, quiz_id: int, fingerprint: str | None = None) -> RegradeRun | None:
    """Regrade as the dry run said, in the caller's transaction; None when there is nothing to regrade.

    The quiz row is locked first, so two instructors pressing "Regrade" at once queue and the second finds
    nothing left. With `fingerprint` (from the dry run the instructor saw), a plan that has changed since is
    refused with Conflict instead of applying something nobody reviewed.
    """
    plan = plan_regrade(actor, quiz_id, lock=True)
    if plan.nothing_to_do:
        return None
    if fingerprint is not None and fingerprint != plan.fingerprint:
        raise Conflict("The attempts or questions changed since your dry run. Check the new dry run below, then regrade.")
    run = RegradeRun(
        quiz_id=plan.quiz.id,
        user_id=actor.id,
        created_at=utcnow(),
        versions=[
            {
                "question_id": v.question_id,
                "key": v.key,
                "bank": v.bank_slug,
                "from": list(v.from_numbers),
                "to": v.to_number,
                "to_version_id": v.to_version_id,
                "items": v.items,
            }
            for v in plan.versions
        ],
        summary=plan.summary,
    )
    session.add(run)
    session.flush()
    session.add_all(
        RegradeItem(
            run_id=run.id,
            item_id=u.item_id,
            from_version_id=u.from_version_id,
            to_version_id=u.to_version_id,
            old_fraction=u.old_fraction,
            new_fraction=u.new_fraction,
            old_state=u.old_state,
            new_state=u.new_state,
        )
        for u in plan.items
    )
    session.add_all(
        RegradeChange(
            run_id=run.id,
            attempt_id=a.attempt_id,
            old_score=a.old_score,
            new_score=a.new_score,
            old_passed=a.old_passed,
            new_passed=a.new_passed,
        )
        for a in plan.attempts
    )
    session.execute(
        update(AttemptItem).execution_options(synchronize_session=False),
        [{"id": u.item_id, "fraction": u.new_fraction, "state": u.new_state} for u in plan.items],
    )
    session.execute(
        update(Attempt).execution_options(synchronize_session=False),
        [{"id": a.attempt_id, "score": a.new_score, "passed": a.new_passed} for a in plan.attempts],
    )
    session.flush()
    session.expire_all()
    return run


def regrade_history(actor: User, quiz_id: int) -> list[RegradeRun]:
    """Earlier regrades of the quiz, newest first, with who ran them."""
    policy.require_instructor(actor)
    course_id = session.scalar(select(Quiz.course_id).where(Quiz.id == quiz_id))
    if course_id is None:
        raise NotFound("There is no quiz at this address.")
    policy.require_teaches(actor, course_id, "There is no quiz at this address.")
    return list(
        session.scalars(
            select(RegradeRun)
            .options(joinedload(RegradeRun.user))
            .where(RegradeRun.quiz_id == quiz_id)
            .order_by(RegradeRun.created_at.desc(), RegradeRun.id.desc())
        )
    )
