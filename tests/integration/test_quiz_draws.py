"""The draw: the pure function's promises as properties (hypothesis), then the service against the database."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from edu.banks.models import Question
from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.quizzes import attempts, eligibility
from edu.quizzes.models import Quiz
from edu.quizzes.quizzes import Candidate, DrawImpossible, Pool, draw_for_attempt, draw_questions, option_order
from tests.conftest import sync_folder
from tests.integration.test_attempts import answer_all, final_quiz, mini, module_quiz, prepare, user
from tests.property_budget import max_examples

TAGS = ["safety", "scope", "mechanism"]


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Pool], dict[str, int], set[int]]:
    """Pools of tagged questions (some shared between pools), minimums, and a set of seen questions."""
    next_id = 0
    pools: list[Pool] = []
    everything: list[Candidate] = []
    for p in range(draw(st.integers(1, 4))):
        own = []
        for _ in range(draw(st.integers(0, 8))):
            next_id += 1
            own.append(Candidate(next_id, 1000 + next_id, frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=2)))))
        if everything and draw(st.booleans()):
            own.append(draw(st.sampled_from(everything)))  # a question listed in two pools
        everything.extend(own)
        pools.append(Pool(f"pool {p}", draw(st.integers(0, len(own))), tuple(own)))
    minimums = {tag: draw(st.integers(0, 4)) for tag in draw(st.sets(st.sampled_from(TAGS), max_size=2))}
    ids = [c.question_id for c in everything]
    seen = set(draw(st.sets(st.sampled_from(ids), max_size=len(ids)))) if ids else set()
    return pools, minimums, seen


def _members(pools: list[Pool]) -> list[list[Candidate]]:
    """Each question belongs to the first pool that lists it (as draw_questions documents)."""
    owner: dict[int, int] = {}
    members: list[list[Candidate]] = [[] for _ in pools]
    for i, pool in enumerate(pools):
        for c in pool.candidates:
            if c.question_id not in owner:
                owner[c.question_id] = i
                members[i].append(c)
    return members


def _feasible(pools: list[Pool], minimums: dict[str, int]) -> bool | None:
    """Brute force over every choice: can the draw be made at all? None when there are too many choices to try."""
    import itertools
    import math

    members = _members(pools)
    if math.prod(math.comb(len(m), p.count) for m, p in zip(members, pools, strict=True)) > 20_000:
        return None
    choices = [list(itertools.combinations(m, p.count)) for m, p in zip(members, pools, strict=True)]
    for combo in itertools.product(*choices):
        chosen = [c for group in combo for c in group]
        groups = [c.group for c in chosen if c.group]  # at most one question of each enemy group
        if len(groups) == len(set(groups)) and all(sum(t in c.tags for c in chosen) >= n for t, n in minimums.items()):
            return True
    return False


@settings(max_examples=max_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 2**31))
def test_draw_meets_minimums_without_duplicates_and_prefers_unseen(instance, seed):
    pools, minimums, seen = instance
    try:
        chosen = draw_questions(pools, minimums, seen, random.Random(seed))
    except DrawImpossible:
        assert _feasible(pools, minimums) is not True, "a draw that can be made is never refused"
        return
    ids = [c.question_id for c in chosen]
    assert len(ids) == len(set(ids)), "no question twice"
    assert len(ids) == sum(p.count for p in pools), "every pool's count is drawn"
    for tag, need in minimums.items():
        assert sum(tag in c.tags for c in chosen) >= need, f"minimum for {tag} met"
    if not any(minimums.values()):
        # Unseen preferred: a seen question is drawn from a pool only when none of its unseen ones was left out.
        owner: dict[int, int] = {}
        for i, pool in enumerate(pools):
            for c in pool.candidates:
                owner.setdefault(c.question_id, i)
        for i in range(len(pools)):
            drawn = {q for q in ids if owner[q] == i}
            unseen_left = {c.question_id for c in pools[i].candidates if owner[c.question_id] == i} - drawn - seen
            assert not (drawn & seen and unseen_left)
    assert draw_questions(pools, minimums, seen, random.Random(seed)) == chosen, "reproducible from the seed"


@st.composite
def instances_with_enemies(draw: st.DrawFn) -> tuple[list[Pool], dict[str, int], set[int]]:
    """The same instances, some questions joined in enemy groups (which may span pools)."""
    pools, minimums, seen = draw(instances())
    grouped = [
        Pool(
            p.label,
            p.count,
            tuple(
                Candidate(c.question_id, c.version_id, c.tags, draw(st.sampled_from([None, "g1", "g2", "g3"])))
                for c in p.candidates
            ),
        )
        for p in pools
    ]
    # A question listed in two pools keeps one group: the first pool's.
    first: dict[int, str | None] = {}
    for p in grouped:
        for c in p.candidates:
            first.setdefault(c.question_id, c.group)
    grouped = [
        Pool(p.label, p.count, tuple(Candidate(c.question_id, c.version_id, c.tags, first[c.question_id]) for c in p.candidates))
        for p in grouped
    ]
    return grouped, minimums, seen


@settings(max_examples=max_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_enemies(), st.integers(0, 2**31))
def test_draw_never_takes_two_questions_of_one_enemy_group(instance, seed):
    pools, minimums, seen = instance
    try:
        chosen = draw_questions(pools, minimums, seen, random.Random(seed))
    except DrawImpossible as refused:
        assert _feasible(pools, minimums) is not True, f"a draw that can be made is never refused: {refused}"
        return
    groups = [c.group for c in chosen if c.group]
    assert len(groups) == len(set(groups)), "at most one question of each enemy group"
    ids = [c.question_id for c in chosen]
    assert len(ids) == len(set(ids)) and len(ids) == sum(p.count for p in pools)
    for tag, need in minimums.items():
        assert sum(tag in c.tags for c in chosen) >= need
    assert draw_questions(pools, minimums, seen, random.Random(seed)) == chosen, "reproducible from the seed"


def test_enemies_are_kept_apart_and_the_refusal_says_why():
    twins = Pool("Basics bank", 2, (Candidate(1, 1, group="g"), Candidate(2, 2, group="g"), Candidate(3, 3)))
    for seed in range(30):
        chosen = {c.question_id for c in draw_questions([twins], {}, set(), random.Random(seed))}
        assert 3 in chosen and len(chosen & {1, 2}) == 1
    only_twins = Pool("Basics bank", 2, (Candidate(1, 1, group="g"), Candidate(2, 2, group="g")))
    with pytest.raises(DrawImpossible, match="exclude one another count once"):
        draw_questions([only_twins], {}, set(), random.Random(1))


def test_draw_refuses_clearly_when_a_pool_or_a_minimum_cannot_be_met():
    pool = Pool("Basics bank", 3, (Candidate(1, 1), Candidate(2, 2)))
    with pytest.raises(DrawImpossible, match="Basics bank needs 3 questions, but only 2 are available"):
        draw_questions([pool], {}, set(), random.Random(1))
    tagged = Pool("Safety bank", 2, (Candidate(1, 1, frozenset({"safety"})), Candidate(2, 2), Candidate(3, 3)))
    with pytest.raises(DrawImpossible, match="at least 2 questions tagged “safety”, but at most 1"):
        draw_questions([tagged], {"safety": 2}, set(), random.Random(1))


def test_minimum_search_finds_the_only_arrangement_a_greedy_draw_would_miss():
    """Pool A (1 slot) holds the only 'scope' question and a 'safety' one; pool B (1 slot) holds only 'safety'.
    Taking safety from A first would strand the scope minimum; the search must take scope from A, safety from B."""
    a = Pool("A", 1, (Candidate(1, 1, frozenset({"safety"})), Candidate(2, 2, frozenset({"scope"}))))
    b = Pool("B", 1, (Candidate(3, 3, frozenset({"safety"})), Candidate(4, 4)))
    for seed in range(50):
        chosen = {c.question_id for c in draw_questions([a, b], {"safety": 1, "scope": 1}, set(), random.Random(seed))}
        assert chosen == {2, 3}


def test_unseen_questions_are_preferred_then_seen_ones_fill_in():
    pool = Pool("bank", 3, tuple(Candidate(i, i) for i in range(1, 6)))
    for seed in range(30):
        chosen = {c.question_id for c in draw_questions([pool], {}, {1, 2, 3}, random.Random(seed))}
        assert {4, 5} <= chosen and len(chosen & {1, 2, 3}) == 1


def test_option_order_is_a_shuffle_and_an_ordering_question_starts_in_any_order():
    """The starting order carries no information: every arrangement occurs, the correct one included."""
    ordering = {"type": "ordering", "items": [{"id": "i1"}, {"id": "i2"}, {"id": "i3"}]}
    starts = Counter(tuple(option_order(ordering, random.Random(seed))) for seed in range(600))
    assert len(starts) == 6 and min(starts.values()) > 50, starts
    two = {"type": "ordering", "items": [{"id": "i1"}, {"id": "i2"}]}
    assert {tuple(option_order(two, random.Random(seed))) for seed in range(20)} == {("i1", "i2"), ("i2", "i1")}
    single = {"type": "single", "options": [{"id": x} for x in "abcde"]}
    orders = {tuple(option_order(single, random.Random(seed))) for seed in range(20)}
    assert all(sorted(o) == list("abcde") for o in orders) and len(orders) > 1
    matching = {"type": "matching", "pairs": [{"id": "p1", "answer": "Meow"}], "extra_answers": ["Moo"]}
    assert sorted(option_order(matching, random.Random(3))) == ["Meow", "Moo"]
    assert option_order({"type": "numeric"}, random.Random(1)) == []


# --- the service ------------------------------------------------------------------------------------------------------


def test_second_attempt_draws_the_questions_not_seen_in_the_first(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        first = attempts.start_attempt(learner, module_quiz())
        attempts.submit(learner, first.id)
        first.submitted_at = utcnow()
        session.commit()
        seen = {i.question_id for i in first.items}
        second = attempts.start_attempt(learner, module_quiz())
        session.commit()
        drawn = {i.question_id for i in second.items}
        assert len(drawn) == 3
        assert len(drawn - seen) == 2, "both unseen questions of the five are drawn; one seen one fills the third slot"


def test_a_draw_is_reproducible_from_the_seed_and_never_uses_retired_questions(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        quiz = module_quiz()
        uid = user().id
        assert draw_for_attempt(quiz, uid, 1234) == draw_for_attempt(quiz, uid, 1234)
        retired = session.scalar(select(Question).where(Question.key == "q-multiple"))
        retired.retired_at = utcnow()
        session.flush()
        for seed in range(15):
            keys = {session.get(Question, d.question_id).key for d in draw_for_attempt(quiz, uid, seed)}
            assert "q-multiple" not in keys
        safety = session.scalar(select(Question).where(Question.key == "q-single"))
        safety.retired_at = utcnow()
        session.flush()
        with pytest.raises(DrawImpossible, match="tagged “safety”"):
            draw_for_attempt(final_quiz(), uid, 1)
        session.rollback()


def test_final_exam_of_the_real_course_meets_its_blueprint(app, make_user):
    """courses/dry-needling: 40 questions, a fixed count per module, at least 8 safety and 6 scope questions, and
    never two questions of one enemy group (items that test the same point), in the exam or any module quiz."""
    from edu.content import load_course

    content = load_course(Path("courses/dry-needling")).course
    assert content is not None
    enemies = {frozenset((q.id, other)) for _m, q in content.questions() for other in q.excludes}
    assert len(enemies) >= 8, "the audit's near-duplicate clusters are declared"

    def apart(keys: list[str]) -> bool:
        return not any(frozenset((a, b)) in enemies for i, a in enumerate(keys) for b in keys[i + 1 :])

    sync_folder(app, Path("courses/dry-needling"))
    make_user("learner@example.com")
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == "dry-needling"))
        final = session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == "final"))
        assert final.questions == 40
        modules = session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == "module")).all()
        assert len(modules) == 9 and {q.questions for q in modules} == {10}
        uid = user().id
        rows = {q.id: q for q in session.scalars(select(Question))}
        for seed in range(40):
            drawn = draw_for_attempt(final, uid, seed)
            assert len(drawn) == 40 and len({d.question_id for d in drawn}) == 40
            tags = Counter(t for d in drawn for t in rows[d.question_id].current_version.data.get("tags", []))
            assert tags["safety"] >= 8 and tags["scope"] >= 6
            per_bank = Counter(rows[d.question_id].bank.slug for d in drawn)
            assert per_bank["safety"] == 8 and per_bank["scope-of-practice"] == 6 and per_bank["technique"] == 5
            assert apart([rows[d.question_id].key for d in drawn]), f"seed {seed}: two questions that exclude each other"
            for quiz in modules:
                items = draw_for_attempt(quiz, uid, seed)
                assert apart([rows[d.question_id].key for d in items]), f"{quiz.key}, seed {seed}: two enemies drawn"


def test_final_exam_opens_after_the_module_quiz_is_passed_and_draws_its_minimum(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        assert not eligibility.quiz_status(learner, final_quiz()).can_start
        attempt = attempts.start_attempt(learner, module_quiz())
        answer_all(learner, attempt)
        attempts.submit(learner, attempt.id)
        session.commit()
        assert catalog.active_enrolment(learner, mini()) is not None
        exam = attempts.start_attempt(learner, final_quiz())
        keys = {session.get(Question, i.question_id).key for i in exam.items}
        assert "q-single" in keys and len(keys) == 2
