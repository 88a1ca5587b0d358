"""Store a course's question banks: a new QuestionVersion only for a question whose content changed.

A question that disappears from the files is retired, never deleted: attempts may point at it. The course's quizzes
are synced after the banks, by edu.quizzes.sync (they draw from the banks stored here).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from edu.catalog.models import Course
from edu.content import model
from edu.db import session, utcnow

from .models import COURSE, Question, QuestionBank, QuestionVersion


@dataclass(frozen=True)
class BankSync:
    new_questions: int
    new_versions: int
    retired: int


def question_hash(data: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sync_banks(course: Course, content: model.Course) -> BankSync:
    new_questions = new_versions = retired = 0
    for module in content.modules:
        if module.bank is None:
            continue
        bank = session.scalar(select(QuestionBank).where(QuestionBank.slug == module.bank.id))
        if bank is None:
            bank = QuestionBank(slug=module.bank.id, title=module.bank.title, course_id=course.id, source=COURSE)
            session.add(bank)
            session.flush()
        bank.title = module.bank.title
        existing = {q.key: q for q in session.scalars(select(Question).where(Question.bank_id == bank.id))}
        latest = {
            v.question_id: v
            for v in session.scalars(
                select(QuestionVersion).where(
                    QuestionVersion.id.in_([q.current_version_id for q in existing.values() if q.current_version_id])
                )
            )
        }
        seen: set[str] = set()
        for item in module.bank.questions:
            seen.add(item.id)
            data = item.model_dump(mode="json")
            digest = question_hash(data)
            question = existing.get(item.id)
            if question is None:
                question = Question(bank_id=bank.id, key=item.id)
                session.add(question)
                session.flush()
                new_questions += 1
            current = latest.get(question.id)
            question.retired_at = None
            if current is not None and current.content_hash == digest:
                continue
            version = QuestionVersion(
                question_id=question.id,
                number=(current.number + 1) if current else 1,
                content_hash=digest,
                type=item.type,
                data=data,
            )
            session.add(version)
            session.flush()
            question.current_version_id = version.id
            new_versions += 1
        for key, question in existing.items():
            if key not in seen and question.retired_at is None:
                question.retired_at = utcnow()
                retired += 1
    session.flush()
    return BankSync(new_questions, new_versions, retired)
