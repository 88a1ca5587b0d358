"""Create and update a course's quizzes from its files (after edu.banks.sync has stored the banks they draw from).

A quiz that leaves the files is retired, never deleted: attempts point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from edu.banks.models import QuestionBank
from edu.catalog.models import Course
from edu.content import model
from edu.db import session, utcnow

from .models import DEFAULT_REVIEW, Quiz, QuizSource


@dataclass(frozen=True)
class QuizSync:
    created: int
    updated: int
    retired: int


FINAL_KEY = "final"


def sync_quizzes(course: Course, content: model.Course) -> QuizSync:
    """Create or update the course's quizzes from module.yaml `quiz:` and course.yaml `final_exam:`.

    Idempotent: settings are updated in place and sources replaced only when they differ. Attempts point at
    frozen question versions, so a re-sync never changes one. A quiz that left the files is retired, not deleted.
    Settings the files do not carry (grading method, overdue handling, bands, the rest of the review policy) are left
    alone; of the review policy the files carry only `option_feedback`, whether the review after each attempt shows the
    feedback on a wrong option chosen.
    """
    banks = {
        b.slug: b
        for b in session.scalars(
            select(QuestionBank).where(QuestionBank.slug.in_([m.bank.id for m in content.modules if m.bank]))
        )
    }
    existing = {(q.kind, q.key): q for q in session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    wanted: dict[tuple[str, str], tuple[str, str | None, model.QuizSettings, list[tuple[str, int | None, str | None, int]]]] = {}
    for module in content.modules:
        if module.quiz is None or module.bank is None:
            continue
        bank = banks[module.bank.id]
        wanted[("module", module.id)] = (
            module.quiz.title or f"{module.title}: module quiz",
            module.id,
            module.quiz,
            [("draw", bank.id, None, module.quiz.questions)],
        )
    if content.final_exam is not None:
        exam = content.final_exam
        by_module = {m.id: m for m in content.modules}
        sources: list[tuple[str, int | None, str | None, int]] = []
        for draw in exam.draw:
            bank_content = by_module[draw.module].bank
            if bank_content is None:
                raise ValueError(f"final_exam draws from {draw.module}, which has no bank")
            sources.append(("draw", banks[bank_content.id].id, None, draw.count))
        sources.extend(("minimum", None, m.tag, m.count) for m in exam.minimums)
        wanted[("final", FINAL_KEY)] = (exam.title or "Final exam", None, exam, sources)

    created = updated = retired = 0
    now = utcnow()
    for (kind, key), (title, module_key, settings, sources) in wanted.items():
        quiz = existing.get((kind, key))
        if quiz is None:
            quiz = Quiz(course_id=course.id, kind=kind, key=key, source="course", created_at=now)
            session.add(quiz)
            created += 1
        values = {
            "module_key": module_key,
            "title": title,
            "questions": settings.questions,
            "pass_mark": settings.pass_mark,
            "attempts_allowed": settings.attempts,
            "delay_minutes": settings.delay_minutes,
            "time_limit_minutes": settings.time_limit_minutes,
            "retired_at": None,
            "review": _with_option_feedback(quiz.review, settings.option_feedback),
        }
        current_sources = [(s.kind, s.bank_id, s.tag, s.count) for s in quiz.sources] if quiz.id else []
        changed = any(getattr(quiz, name) != value for name, value in values.items()) or current_sources != sources
        if not changed:
            continue
        if quiz.id is not None:
            updated += 1
        for name, value in values.items():
            setattr(quiz, name, value)
        if current_sources != sources:
            quiz.sources.clear()
            session.flush()
            quiz.sources.extend(
                QuizSource(position=i, kind=k, bank_id=bank_id, tag=tag, count=count)
                for i, (k, bank_id, tag, count) in enumerate(sources)
            )
        quiz.updated_at = now
    for (kind, key), quiz in existing.items():
        if (kind, key) not in wanted and quiz.retired_at is None and quiz.source == "course":  # authored ones stay
            quiz.retired_at = now
            retired += 1
    session.flush()
    return QuizSync(created, updated, retired)


def _with_option_feedback(review: dict[str, list[str]] | None, on: bool) -> dict[str, list[str]]:
    """The review policy with 'option_feedback' added to or removed from what every attempt's review shows, the rest
    as it was (a new quiz's is the default policy: its column default is not applied before the INSERT)."""
    policy = {k: list(v) for k, v in (review if review is not None else DEFAULT_REVIEW).items()}
    after_submit = policy.setdefault("after_submit", [])
    if on and "option_feedback" not in after_submit:
        after_submit.append("option_feedback")
    if not on:
        policy["after_submit"] = [p for p in after_submit if p != "option_feedback"]
    return policy
