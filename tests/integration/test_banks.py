"""The bank service against a real database: slugs, versions, permissions, retirement, import, statistics."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from edu.auth.models import User
from edu.banks import import_export, policy
from edu.banks import services as banks
from edu.banks.models import Question, QuestionBank, QuestionEvent, QuestionVersion
from edu.catalog.models import Course
from edu.content import model
from edu.db import session, utcnow
from edu.errors import Forbidden, Invalid
from edu.quizzes.models import Attempt, AttemptItem, Quiz
from edu.results import analysis

SINGLE = {
    "id": "needle-depth",
    "type": "single",
    "prompt": "How deep?",
    "options": [
        {"id": "a", "text": "Shallow", "correct": True},
        {"id": "b", "text": "Deep", "feedback": "Too deep."},
    ],
    "tags": ["safety"],
}


@pytest.fixture
def people(app, make_user):
    return {
        "owner": make_user("owner@example.com", "instructor", name="Olive Owner"),
        "other": make_user("other@example.com", "instructor", name="Otto Other"),
        "admin": make_user("admin@example.com", "admin", name="Ada Admin"),
        "learner": make_user("learner@example.com"),
    }


def user(user_id: int) -> User:
    found = session.get(User, user_id)
    assert found is not None
    return found


def q(data: dict) -> model.Question:
    return banks.validate_question(data)


def test_bank_slugs_come_from_titles_and_stay_unique(ctx, people):
    owner = user(people["owner"])
    first = banks.create_bank(owner, "Needle  safety!")
    second = banks.create_bank(owner, "Needle safety")
    short = banks.create_bank(owner, "X")
    assert (first.slug, second.slug, short.slug) == ("needle-safety", "needle-safety-2", "bank-x")
    assert first.title == "Needle safety!" and first.source == "authored" and first.created_by_id == owner.id
    with pytest.raises(Invalid, match="Enter a title"):
        banks.create_bank(owner, "   ")
    with pytest.raises(Forbidden):
        banks.create_bank(user(people["learner"]), "Mine")


def test_saving_makes_a_version_only_when_content_changes(ctx, people):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Authored")
    first = banks.save_question(owner, bank, q(SINGLE))
    assert first.created and first.version is not None and first.version.number == 1
    same = banks.save_question(owner, bank, q(SINGLE), key="needle-depth")
    assert same.version is None and not same.created
    changed = banks.save_question(owner, bank, q({**SINGLE, "prompt": "How deep, really?"}), key="needle-depth")
    assert changed.version is not None and changed.version.number == 2
    session.commit()
    question = session.scalar(select(Question).where(Question.key == "needle-depth"))
    assert question.current_version_id == changed.version.id
    versions = session.scalars(select(QuestionVersion.number).where(QuestionVersion.question_id == question.id)).all()
    assert sorted(versions) == [1, 2]
    events = session.execute(select(QuestionEvent.action, QuestionEvent.user_id).order_by(QuestionEvent.id)).all()
    assert events == [("created", owner.id), ("edited", owner.id)]
    # the id cannot be reused for a new question, nor changed on edit
    with pytest.raises(banks.QuestionInvalid, match="already in this bank"):
        banks.save_question(owner, bank, q(SINGLE))
    with pytest.raises(banks.QuestionInvalid, match="cannot change"):
        banks.save_question(owner, bank, q({**SINGLE, "id": "renamed"}), key="needle-depth")


def test_validation_problems_are_plain_and_point_at_fields():
    with pytest.raises(banks.QuestionInvalid) as caught:
        banks.validate_question(
            {**SINGLE, "id": "Bad Id", "options": [{"id": "a", "text": " ", "correct": True}, {"id": "b", "text": "B"}]}
        )
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems[("id",)].startswith("Use lowercase letters, digits and hyphens")
    assert problems[("options", 0, "text")] == "Enter some text."
    with pytest.raises(banks.QuestionInvalid) as caught:
        banks.validate_question({**SINGLE, "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]})
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ((), "a single-best-answer question needs exactly one correct option, found 0")
    ]
    with pytest.raises(banks.QuestionInvalid) as caught:
        banks.validate_question({"id": "n-1", "type": "numeric", "prompt": "How many?", "answer": "lots"})
    assert [(p.path, p.message) for p in caught.value.problems] == [(("answer",), "Enter a number, such as 2.5.")]


def test_only_the_creator_or_an_admin_changes_an_authored_bank_and_nobody_a_course_bank(ctx, people, mini_course):
    owner, other, admin = user(people["owner"]), user(people["other"]), user(people["admin"])
    bank = banks.create_bank(owner, "Owned")
    banks.save_question(owner, bank, q(SINGLE))
    with pytest.raises(Forbidden, match="Only the instructor who created"):
        banks.save_question(other, bank, q({**SINGLE, "prompt": "Changed"}), key="needle-depth")
    with pytest.raises(Forbidden):
        banks.retire_question(other, bank, "needle-depth")
    with pytest.raises(Forbidden):
        import_export.import_questions(other, bank, [q({**SINGLE, "id": "other-q"})])
    assert banks.save_question(admin, bank, q({**SINGLE, "prompt": "Admin edit"}), key="needle-depth").version is not None
    course_bank = banks.get_bank(admin, "basics")
    assert course_bank.source == "course"
    for actor in (owner, admin, None):
        assert not policy.can_edit(actor, course_bank)
        with pytest.raises(Forbidden, match="read-only"):
            banks.retire_question(actor, course_bank, "q-single")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Question).where(Question.retired_at.is_not(None))) == 0


def test_retire_and_unretire_keep_the_question_and_record_who(ctx, people):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Retiring")
    banks.save_question(owner, bank, q(SINGLE))
    retired = banks.retire_question(owner, bank, "needle-depth")
    assert retired.retired_at is not None
    assert banks.retire_question(owner, bank, "needle-depth").retired_at == retired.retired_at  # idempotent
    summary = {s.bank.slug: s for s in banks.list_banks(owner)}["retiring"]
    assert (summary.active, summary.retired, summary.tags) == (0, 1, ())
    assert banks.unretire_question(owner, bank, "needle-depth").retired_at is None
    session.commit()
    actions = session.scalars(select(QuestionEvent.action).order_by(QuestionEvent.id)).all()
    assert actions == ["created", "retired", "unretired"]


def test_import_adds_new_ids_versions_changed_ones_and_skips_identical(ctx, people):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Imported")
    first = import_export.import_questions(owner, bank, [q(SINGLE), q({**SINGLE, "id": "second"})])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = import_export.import_questions(owner, bank, [q(SINGLE), q({**SINGLE, "id": "second", "prompt": "New prompt"})])
    assert (again.new, again.updated, again.unchanged) == (0, 1, 1)
    session.commit()
    numbers = dict(
        session.execute(
            select(Question.key, QuestionVersion.number).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        ).all()
    )
    assert numbers == {"needle-depth": 1, "second": 2}


def test_export_then_parse_gives_the_same_questions_in_every_format(ctx, people):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Round trip")
    originals = [
        q(SINGLE),
        q({"id": "tf", "type": "true_false", "prompt": "Sky is green.", "answer": False, "feedback_wrong": "Blue."}),
        q({"id": "num", "type": "numeric", "prompt": "2+2?", "answer": 4, "tolerance": 0.5, "difficulty": "easy"}),
        q({"id": "ord", "type": "ordering", "prompt": "Order", "items": [{"id": "i1", "text": "A"}, {"id": "i2", "text": "B"}]}),
    ]
    import_export.import_questions(owner, bank, originals)
    retired = banks.save_question(owner, bank, q({**SINGLE, "id": "retired-one"}))
    banks.retire_question(owner, bank, retired.question.key)
    for fmt, (_, suffix, content_type) in import_export.EXPORT_FORMATS.items():
        exported = import_export.export_bank(owner, bank, fmt)
        assert exported.filename == f"round-trip{suffix}" and exported.content_type == content_type
        assert exported.count == 4  # the retired question stays out
        result = import_export.parse_source(exported.body, fmt)
        assert not result.errors, (fmt, result.problems)
        by_id = {item.id: item for item in result.questions}
        assert set(by_id) == {"needle-depth", "tf", "num", "ord"}, fmt
        for original in originals:
            assert by_id[original.id].model_dump(exclude={"name"}) == original.model_dump(exclude={"name"}), (fmt, original.id)


def test_version_statistics_from_graded_attempts(ctx, people):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Stats")
    a = banks.save_question(owner, bank, q(SINGLE))
    b = banks.save_question(owner, bank, q({**SINGLE, "id": "other"}))
    assert a.version and b.version
    assert analysis.version_statistics(owner, [a.version.id]) == {}
    course = Course(slug="c", title="C")
    session.add(course)
    session.flush()
    quiz = Quiz(course_id=course.id, kind="module", key="m", title="Quiz", questions=2)
    session.add(quiz)
    session.flush()
    learners = [people["learner"], people["other"], people["admin"], people["owner"]]
    # (fraction on a, fraction on b) per attempt; a ungraded attempt is ignored
    marks = [(1.0, 1.0), (1.0, 0.0), (0.0, 0.0), (0.5, 1.0)]
    for number, (user_id, (fa, fb)) in enumerate(zip(learners, marks, strict=True), start=1):
        attempt = Attempt(
            quiz_id=quiz.id, user_id=user_id, number=1, seed=number, state="submitted", graded_at=utcnow(), score=(fa + fb) / 2
        )
        session.add(attempt)
        session.flush()
        session.add_all(
            [
                AttemptItem(
                    attempt_id=attempt.id, slot=1, question_id=a.question.id, question_version_id=a.version.id, fraction=fa
                ),
                AttemptItem(
                    attempt_id=attempt.id, slot=2, question_id=b.question.id, question_version_id=b.version.id, fraction=fb
                ),
            ]
        )
    pending = Attempt(quiz_id=quiz.id, user_id=people["learner"], number=2, seed=9, state="in_progress")
    session.add(pending)
    session.flush()
    session.add(AttemptItem(attempt_id=pending.id, slot=1, question_id=a.question.id, question_version_id=a.version.id))
    session.commit()
    stats = analysis.version_statistics(owner, [a.version.id])
    found = stats[a.version.id]
    assert found.attempts == 4
    assert found.facility == pytest.approx(2.5 / 4)
    # item-rest correlation of a = (1, 1, 0, .5) with rest = b = (1, 0, 0, 1)
    xs, ys = [1.0, 1.0, 0.0, 0.5], [1.0, 0.0, 0.0, 1.0]
    mx, my = sum(xs) / 4, sum(ys) / 4
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    r = cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    assert found.discrimination == pytest.approx(100 * r)
    _row, entries = banks.question_history(owner, bank, "needle-depth")
    assert entries[0].version.id == a.version.id and entries[0].author == "Olive Owner"


def test_list_banks_counts_and_tags(ctx, people, mini_course):
    owner = user(people["owner"])
    bank = banks.create_bank(owner, "Listed")
    banks.save_question(owner, bank, q(SINGLE))
    banks.save_question(owner, bank, q({**SINGLE, "id": "two", "tags": ["scope", "safety"]}))
    found = {s.bank.slug: s for s in banks.list_banks(owner)}
    assert (found["listed"].active, found["listed"].retired, found["listed"].tags) == (2, 0, ("safety", "scope"))
    assert found["listed"].editable and not found["basics"].editable
    assert found["basics"].active == 5 and found["basics"].course_title == "A miniature course for tests"
    assert session.scalar(select(func.count()).select_from(QuestionBank)) == 2
