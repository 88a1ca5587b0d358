"""Quiz definitions and the draw of an attempt's questions.

The draw itself is a pure function over plain data (`draw_questions`, `option_order`), so its promises —
every tag minimum met, no question twice, questions the learner has not seen preferred — are tested as
properties without a database. The service half loads the candidates and the learner's history in a fixed
number of queries and hands them to it.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.catalog.models import Course
from edu.content.itemwriting import enemy_groups_among
from edu.db import session
from edu.errors import Invalid, NotFound

from .models import Attempt, AttemptItem, Quiz, QuizSource

# --- the pure draw --------------------------------------------------------------------------------------------------


class DrawImpossible(Invalid):
    """The pool cannot supply what the quiz asks for; the message says which part falls short."""


@dataclass(frozen=True)
class Candidate:
    question_id: int
    version_id: int
    tags: frozenset[str] = frozenset()
    group: str | None = None
    """The enemy group (questions that test one point, joined by `excludes`): a draw takes at most one of it."""


ENEMY_CHOICES = 512
"""How many choices of one representative per enemy group are tried, preferred choice first, before a blueprint
is called impossible (every choice, for the handful of small groups a course declares)."""


@dataclass(frozen=True)
class Pool:
    """`count` questions to draw from `candidates` (one module's bank, one tag, or a fixed list)."""

    label: str
    count: int
    candidates: tuple[Candidate, ...]


@dataclass
class _Class:
    """Candidates of one pool that cover the same set of minimum tags: interchangeable for meeting minimums."""

    pool: int
    tags: frozenset[str]
    members: list[Candidate] = field(default_factory=list)


def _ordered(candidates: Sequence[Candidate], seen: Set[int], rng: random.Random) -> list[Candidate]:
    """Unseen first, each group in random order."""
    fresh = [c for c in candidates if c.question_id not in seen]
    old = [c for c in candidates if c.question_id in seen]
    rng.shuffle(fresh)
    rng.shuffle(old)
    return fresh + old


def draw_questions(pools: Sequence[Pool], minimums: Mapping[str, int], seen: Set[int], rng: random.Random) -> list[Candidate]:
    """Draw each pool's count, meeting every tag minimum, never the same question twice and never two questions of
    one enemy group, preferring questions not in `seen`; the result is shuffled. Raises DrawImpossible, naming the
    shortfall, when it cannot be done.

    Each enemy group is first reduced to one member (unseen first, else at random); when that leaves a blueprint
    that cannot be met, the other choices of representatives are tried in turn.
    """
    members: dict[str, dict[int, Candidate]] = {}
    for pool in pools:
        for c in pool.candidates:
            if c.group:
                members.setdefault(c.group, {})[c.question_id] = c
    if not members:
        return _draw(pools, minimums, seen, rng)
    names = sorted(members)
    ranked = [[c.question_id for c in _ordered(list(members[g].values()), seen, rng)] for g in names]
    failure: DrawImpossible | None = None
    for choice in itertools.islice(itertools.product(*ranked), ENEMY_CHOICES):
        chosen = dict(zip(names, choice, strict=True))
        kept = [
            Pool(p.label, p.count, tuple(c for c in p.candidates if not c.group or chosen[c.group] == c.question_id))
            for p in pools
        ]
        try:
            return _draw(kept, minimums, seen, rng)
        except DrawImpossible as exc:
            failure = exc
    raise DrawImpossible(f"{failure} Questions that exclude one another count once.")


def _draw(pools: Sequence[Pool], minimums: Mapping[str, int], seen: Set[int], rng: random.Random) -> list[Candidate]:
    """The draw without enemies: see draw_questions.

    A question listed in several pools belongs to the first. Minimums are met first by an exhaustive (memoised)
    search over classes of interchangeable candidates, so a feasible blueprint is never refused; the rest of each
    pool is then filled with unseen questions before seen ones.
    """
    owner: dict[int, int] = {}
    members: list[list[Candidate]] = []
    for index, pool in enumerate(pools):
        own = []
        for candidate in pool.candidates:
            if candidate.question_id not in owner:
                owner[candidate.question_id] = index
                own.append(candidate)
        members.append(own)
        if len(own) < pool.count:
            raise DrawImpossible(
                f"{pool.label} needs {pool.count} question{'s' if pool.count != 1 else ''}, "
                f"but only {len(own)} {'is' if len(own) == 1 else 'are'} available."
            )
    wanted = {tag: n for tag, n in minimums.items() if n > 0}
    for tag, need in wanted.items():
        reachable = sum(min(pool.count, sum(tag in c.tags for c in members[i])) for i, pool in enumerate(pools))
        if reachable < need:
            raise DrawImpossible(
                f"Every draw needs at least {need} question{'s' if need != 1 else ''} tagged “{tag}”, "
                f"but at most {reachable} can be drawn."
            )

    classes: list[_Class] = []
    for index, own in enumerate(members):
        by_tags: dict[frozenset[str], _Class] = {}
        for candidate in _ordered(own, seen, rng):
            tags = candidate.tags & frozenset(wanted)
            if tags:
                by_tags.setdefault(tags, _Class(index, tags)).members.append(candidate)
        classes.extend(by_tags.values())
    tiebreak = [rng.random() for _ in classes]

    picks = _meet_minimums(classes, [p.count for p in pools], wanted, seen, tiebreak)
    if picks is None:
        raise DrawImpossible("No draw can meet every tag minimum of this quiz with its per-module counts.")
    chosen: list[Candidate] = []
    taken: set[int] = set()
    room = [p.count for p in pools]
    used = [0] * len(classes)
    for class_index in picks:
        candidate = classes[class_index].members[used[class_index]]
        used[class_index] += 1
        chosen.append(candidate)
        taken.add(candidate.question_id)
        room[classes[class_index].pool] -= 1
    for index, own in enumerate(members):
        rest = _ordered([c for c in own if c.question_id not in taken], seen, rng)
        chosen.extend(rest[: room[index]])
    rng.shuffle(chosen)
    return chosen


def _meet_minimums(
    classes: list[_Class], capacity: list[int], wanted: dict[str, int], seen: Set[int], tiebreak: list[float]
) -> list[int] | None:
    """Class indices to take (in order) so every minimum is met within each pool's capacity, or None.

    Depth-first over the most constrained deficient tag; classes covering more deficient tags, and classes with
    unseen members left, are tried first. Failed states are memoised, so the search stays small: the state is
    (room per pool, members used per class, deficits).
    """
    tags = sorted(wanted)
    failed: set[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = set()
    unseen = [sum(m.question_id not in seen for m in c.members) for c in classes]

    def solve(room: list[int], used: list[int], deficit: list[int]) -> list[int] | None:
        if not any(deficit):
            return []
        state = (tuple(room), tuple(used), tuple(deficit))
        if state in failed:
            return None
        open_classes = [i for i, c in enumerate(classes) if room[c.pool] > 0 and used[i] < len(c.members)]
        needs = [t for t, d in zip(tags, deficit, strict=True) if d > 0]

        def supply(tag: str) -> int:
            return sum(
                min(room[classes[i].pool], len(classes[i].members) - used[i]) for i in open_classes if tag in classes[i].tags
            )

        tag = min(needs, key=lambda t: (supply(t), t))
        options = [i for i in open_classes if tag in classes[i].tags]
        options.sort(
            key=lambda i: (
                -sum(t in classes[i].tags for t in needs),
                used[i] >= unseen[i],
                tiebreak[i],
            )
        )
        for i in options:
            room[classes[i].pool] -= 1
            used[i] += 1
            after = [max(0, d - (t in classes[i].tags)) for t, d in zip(tags, deficit, strict=True)]
            rest = solve(room, used, after)
            room[classes[i].pool] += 1
            used[i] -= 1
            if rest is not None:
                return [i, *rest]
        failed.add(state)
        return None

    return solve(list(capacity), [0] * len(classes), [wanted[t] for t in tags])


def option_order(data: Mapping[str, Any], rng: random.Random) -> list[str]:
    """The order a question's choices are shown in for one attempt (frozen on the attempt item).

    Options of single and multiple questions, the answer list of matching questions (pairs' answers and the
    distractors) and the starting order of ordering questions: every one a uniform shuffle. An ordering question's
    starting order may be the correct one; excluding it would leak the key (two items would always show reversed).
    """
    kind = data.get("type")
    order: list[str]
    if kind in ("single", "multiple"):
        order = [str(o["id"]) for o in data.get("options", [])]
        rng.shuffle(order)
    elif kind == "matching":
        order = [str(p["answer"]) for p in data.get("pairs", [])] + [str(a) for a in data.get("extra_answers", [])]
        rng.shuffle(order)
    elif kind == "ordering":
        order = [str(i["id"]) for i in data.get("items", [])]
        rng.shuffle(order)
    else:
        order = []
    return order


# --- the service: loading pools -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnItem:
    slot: int
    question_id: int
    version_id: int
    order: list[str]


def draw_for_attempt(quiz: Quiz, user_id: int, seed: int) -> list[DrawnItem]:
    """The questions of a new attempt: two statements (sources; candidates, each marked if the learner has seen it),
    whatever the learner's history. Bank titles are read only to explain a draw that cannot be made.

    Whether a candidate was seen is answered in the candidates' statement (`IN` the learner's earlier questions of
    this quiz, which the database evaluates once), not by reading every item of every earlier attempt.
    """
    sources = list(session.scalars(select(QuizSource).where(QuizSource.quiz_id == quiz.id).order_by(QuizSource.position)))
    draws = [s for s in sources if s.kind == "draw"]
    fixed = [s for s in sources if s.kind == "fixed" and s.question_id is not None]
    minimums: dict[str, int] = {}
    for s in sources:
        if s.kind == "minimum" and s.tag:
            minimums[s.tag] = max(minimums.get(s.tag, 0), s.count)

    bank_ids = {s.bank_id for s in draws if s.bank_id is not None}
    course_wide = any(s.bank_id is None for s in draws)
    conditions: list[ColumnElement[bool]] = []
    if bank_ids:
        conditions.append(Question.bank_id.in_(bank_ids))
    if course_wide:
        conditions.append(QuestionBank.course_id == quiz.course_id)
    if fixed:
        conditions.append(Question.id.in_([s.question_id for s in fixed]))
    rows: list[tuple[int, int, int, dict[str, Any]]] = []
    seen: set[int] = set()
    titles: dict[int, str] = {}
    if conditions:
        earlier = (
            select(AttemptItem.question_id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id)
        )
        for qid, bank_id, title, vid, data, was_seen in session.execute(
            select(
                Question.id,
                Question.bank_id,
                QuestionBank.title,
                QuestionVersion.id,
                QuestionVersion.data,
                Question.id.in_(earlier),
            )
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(QuestionBank, QuestionBank.id == Question.bank_id)
            .where(or_(*conditions), Question.retired_at.is_(None), QuestionBank.retired_at.is_(None))
            .order_by(Question.id)
        ):
            rows.append((qid, bank_id, vid, data))
            titles[bank_id] = title
            if was_seen:
                seen.add(qid)
    data_by_version = {vid: data for _, _, vid, data in rows}
    # Enemies are pairs declared on either side; only links between two candidates of this draw matter, and a chain
    # of them (a-b, b-c) among the candidates is kept to one question.
    groups = enemy_groups_among({str(data.get("id")): [str(x) for x in data.get("excludes", ())] for _, _, _, data in rows})
    sizes = Counter(groups.values())

    def candidate(qid: int, vid: int, data: Mapping[str, Any]) -> Candidate:
        group = groups.get(str(data.get("id")), "")
        return Candidate(qid, vid, frozenset(str(t) for t in data.get("tags", ())), group if sizes[group] > 1 else None)

    pools: list[Pool] = []
    by_id = {qid: (qid, bank_id, vid, data) for qid, bank_id, vid, data in rows}
    fixed_candidates = tuple(candidate(*_pick(by_id[s.question_id])) for s in fixed if s.question_id in by_id)
    if fixed_candidates:
        pools.append(Pool("The fixed questions", len(fixed_candidates), fixed_candidates))
    if bank_ids - titles.keys():  # a bank with no live question: its draw will fail, and the message names it
        titles.update(session.execute(select(QuestionBank.id, QuestionBank.title).where(QuestionBank.id.in_(bank_ids))).tuples())
    for s in draws:
        members = tuple(
            candidate(qid, vid, data)
            for qid, bank_id, vid, data in rows
            if (s.bank_id is None or bank_id == s.bank_id) and (s.tag is None or s.tag in data.get("tags", ()))
        )
        label = titles.get(s.bank_id, "The question pool") if s.bank_id is not None else "The question pool"
        if s.tag:
            label += f" (tag “{s.tag}”)"
        pools.append(Pool(label, s.count, members))
    rng = random.Random(seed)
    chosen = draw_questions(pools, minimums, seen, rng)
    return [
        DrawnItem(slot, c.question_id, c.version_id, option_order(data_by_version[c.version_id], rng))
        for slot, c in enumerate(chosen, start=1)
    ]


def _pick(row: tuple[int, int, int, dict[str, Any]]) -> tuple[int, int, dict[str, Any]]:
    qid, _bank, vid, data = row
    return qid, vid, data


# --- lookups ----------------------------------------------------------------------------------------------------------


def course_quizzes(course_id: int) -> list[Quiz]:
    """The course's live quizzes, module quizzes first (in key order; callers order by the outline)."""
    return list(
        session.scalars(
            select(Quiz).where(Quiz.course_id == course_id, Quiz.retired_at.is_(None)).order_by(Quiz.kind.desc(), Quiz.key)
        )
    )


def find_quiz(course: Course, kind: str, key: str) -> Quiz:
    quiz = session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind, Quiz.key == key, Quiz.retired_at.is_(None))
    )
    if quiz is None:
        raise NotFound("This course has no such quiz.")
    return quiz
