"""Question banks for instructors: list, author, version, retire, and each question's history.

Banks synced from courses/ (source COURSE) are read-only here: the files are their source of truth,
so the browser may show, preview and export them but never change them. Banks authored in the browser
(source AUTHORED) may be changed by the instructor who created them and by admins (edu.banks.policy).

Every service takes the acting user; `None` means the command line, whose operator already has the
database and is trusted like an admin. Services flush but never commit. Import and export live in
edu.banks.import_export.

A question's content is the dict of the canonical model (`model_dump(mode="json")`, the bank-YAML
shape); a save that does not change its hash makes no new version, so re-importing an exported bank
or saving an unchanged form leaves the history alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from edu.auth.models import User
from edu.catalog.models import Course
from edu.content import model
from edu.db import session, utcnow
from edu.errors import Invalid, NotFound
from edu.slugs import slugify

from . import policy
from .models import AUTHORED, COURSE, Question, QuestionBank, QuestionEvent, QuestionVersion
from .sync import question_hash

QUESTION_ADAPTER: TypeAdapter[model.Question] = TypeAdapter(model.Question)

TYPE_LABELS: dict[str, str] = {
    "single": "Single best answer",
    "multiple": "Multiple response",
    "true_false": "True or false",
    "matching": "Matching",
    "ordering": "Ordering",
    "short_answer": "Short answer",
    "numeric": "Numeric",
}


# --- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankSummary:
    bank: QuestionBank
    active: int
    retired: int
    tags: tuple[str, ...]
    course_title: str | None
    editable: bool


def list_banks(actor: User | None) -> list[BankSummary]:
    """Every bank with its counts and the tags of its active questions, in a fixed number of statements."""
    policy.require_instructor(actor)
    banks = list(
        session.scalars(
            select(QuestionBank)
            .where(QuestionBank.retired_at.is_(None))
            .options(joinedload(QuestionBank.owner))
            .order_by(QuestionBank.source, QuestionBank.title, QuestionBank.id)
        )
    )
    counts: dict[int, tuple[int, int]] = {
        bank_id: (int(active or 0), int(retired or 0))
        for bank_id, active, retired in session.execute(
            select(
                Question.bank_id,
                func.sum(case((Question.retired_at.is_(None), 1), else_=0)),
                func.sum(case((Question.retired_at.is_not(None), 1), else_=0)),
            ).group_by(Question.bank_id)
        )
    }
    tags: dict[int, set[str]] = {}
    for bank_id, data in session.execute(
        select(Question.bank_id, QuestionVersion.data)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired_at.is_(None))
    ):
        tags.setdefault(bank_id, set()).update(data.get("tags") or ())
    course_ids = {b.course_id for b in banks if b.course_id is not None}
    titles: dict[int, str] = (
        dict(session.execute(select(Course.id, Course.title).where(Course.id.in_(course_ids))).all()) if course_ids else {}
    )
    return [
        BankSummary(
            bank=bank,
            active=counts.get(bank.id, (0, 0))[0],
            retired=counts.get(bank.id, (0, 0))[1],
            tags=tuple(sorted(tags.get(bank.id, ()))),
            course_title=titles.get(bank.course_id) if bank.course_id is not None else None,
            editable=policy.can_edit(actor, bank),
        )
        for bank in banks
    ]


def get_bank(actor: User | None, slug: str) -> QuestionBank:
    policy.require_instructor(actor)
    bank = session.scalar(select(QuestionBank).where(QuestionBank.slug == slug).options(joinedload(QuestionBank.owner)))
    if bank is None:
        raise NotFound("There is no question bank at this address.")
    return bank


def get_editable_bank(actor: User | None, slug: str) -> QuestionBank:
    """The bank, for changing it: refused unless the actor may (a course bank never)."""
    bank = get_bank(actor, slug)
    policy.require_editable(actor, bank)
    return bank


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    version: QuestionVersion | None

    @property
    def data(self) -> dict[str, Any]:
        return self.version.data if self.version else {}

    @property
    def excerpt(self) -> str:
        text = " ".join(str(self.data.get("prompt", "")).split())
        return text if len(text) <= 120 else text[:117].rstrip() + "..."


def bank_questions(actor: User | None, bank: QuestionBank) -> list[QuestionRow]:
    """The bank's questions with their current versions, in one statement."""
    policy.require_instructor(actor)
    rows = session.execute(
        select(Question, QuestionVersion)
        .outerjoin(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.retired_at.is_not(None), Question.key)
    )
    return [QuestionRow(question, version) for question, version in rows]


def get_question(actor: User | None, bank: QuestionBank, key: str) -> QuestionRow:
    policy.require_instructor(actor)
    row = session.execute(
        select(Question, QuestionVersion)
        .outerjoin(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id, Question.key == key)
    ).first()
    if row is None:
        raise NotFound("There is no question with this id in this bank.")
    return QuestionRow(row[0], row[1])


def as_model(data: Mapping[str, Any]) -> model.Question:
    """Rebuild a stored question (`QuestionVersion.data`, validated on the way in): the bank pages, exports,
    marking, regrading and the gradebook all read a version's question through this one function."""
    return QUESTION_ADAPTER.validate_python(dict(data))


# --- validation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    path: tuple[str | int, ...]
    """Where in the question dict, e.g. ('options', 1, 'text'); () for the question as a whole."""
    message: str


class QuestionInvalid(Invalid):
    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)


_PATTERN_HELP = {
    "objective": "Use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit "
    "(for example basics.one).",
}
_SLUG_HELP = "Use lowercase letters, digits and hyphens, starting and ending with a letter or digit (for example needle-depth)."
_ITEMS = {"options": "options", "pairs": "pairs", "items": "items", "accepted": "accepted answers"}


def _plain_message(error: Any, path: tuple[str | int, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    if kind == "missing":
        if name == "answer":
            return "Choose or enter the answer."
        return "This is required."
    if kind == "string_too_short":
        return "Enter some text."
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters."
    if kind == "string_pattern_mismatch":
        return _PATTERN_HELP.get(name, _SLUG_HELP)
    if kind == "too_short":
        return f"Give at least {ctx.get('min_length')} {_ITEMS.get(name, 'entries')}."
    if kind == "too_long":
        return f"Give at most {ctx.get('max_length')} {_ITEMS.get(name, 'entries')}."
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "Enter a number, such as 2.5."
    if kind == "greater_than_equal":
        return f"Enter {ctx.get('ge')} or more."
    if kind in ("literal_error", "enum"):
        return "Choose one of the listed values."
    if kind in ("bool_parsing", "bool_type"):
        return "Choose true or false."
    if kind == "extra_forbidden":
        return "This field is not used by this question type."
    return str(error["msg"]).removeprefix("Value error, ")


def validate_question(data: dict[str, Any]) -> model.Question:
    """The question as the canonical model, or QuestionInvalid with one plain message per problem."""
    try:
        return QUESTION_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            if loc and loc[0] in model.QUESTION_TYPES:
                loc = loc[1:]
            problems.append(FieldProblem(loc, _plain_message(error, loc)))
        raise QuestionInvalid(problems) from None


# --- writing -------------------------------------------------------------------------------------------


def create_bank(actor: User | None, title: str, slug: str | None = None) -> QuestionBank:
    policy.require_instructor(actor)
    title = " ".join(title.split())
    if not title:
        raise Invalid("Enter a title for the bank.")
    if len(title) > 300:
        raise Invalid("Use at most 300 characters for the title.")
    if slug is not None:
        base = slug
        if not (2 <= len(base) <= 80) or slugify(base, 80) != base:
            raise Invalid(f"{slug!r} is not a valid bank id: {_SLUG_HELP}")
        if session.scalar(select(QuestionBank.id).where(QuestionBank.slug == base)) is not None:
            raise Invalid(f"A bank with the id {slug!r} exists already.")
        chosen = base
    else:
        base = slugify(title, 60) or "bank"
        if len(base) < 2:
            base = f"bank-{base}"
        taken = set(
            session.scalars(select(QuestionBank.slug).where((QuestionBank.slug == base) | QuestionBank.slug.like(f"{base}-%")))
        )
        chosen, n = base, 2
        while chosen in taken:
            chosen, n = f"{base}-{n}", n + 1
    bank = QuestionBank(slug=chosen, title=title, source=AUTHORED, created_by_id=actor.id if actor else None)
    session.add(bank)
    session.flush()
    return bank


def _event(question: Question, actor: User | None, action: str, version: QuestionVersion | None = None) -> None:
    session.add(
        QuestionEvent(
            question_id=question.id,
            version_id=version.id if version else None,
            user_id=actor.id if actor else None,
            action=action,
        )
    )


@dataclass(frozen=True)
class Saved:
    question: Question
    version: QuestionVersion | None
    """The new version, or None when the content was unchanged."""
    created: bool


def store_version(
    actor: User | None,
    bank: QuestionBank,
    item: model.Question,
    existing: Question | None,
    current: QuestionVersion | None,
    action: str,
) -> Saved:
    """Store `item` as the next version of `existing` (or as a new question), unless its content is unchanged.

    The one way a version is made in the browser and by imports, so both record the same history event."""
    data = item.model_dump(mode="json")
    digest = question_hash(data)
    created = existing is None
    if existing is None:
        existing = Question(bank_id=bank.id, key=item.id)
        session.add(existing)
        session.flush()
    elif current is not None and current.content_hash == digest:
        return Saved(existing, None, False)
    number = (current.number + 1) if current is not None else 1
    version = QuestionVersion(question_id=existing.id, number=number, content_hash=digest, type=item.type, data=data)
    session.add(version)
    session.flush()
    existing.current_version_id = version.id
    _event(existing, actor, action, version)
    return Saved(existing, version, created)


def save_question(actor: User | None, bank: QuestionBank, item: model.Question, key: str | None = None) -> Saved:
    """Create a question (key None) or edit the one with `key`; a change of content makes a new version."""
    policy.require_editable(actor, bank)
    if key is None:
        clash = session.scalar(select(Question.id).where(Question.bank_id == bank.id, Question.key == item.id))
        if clash is not None:
            raise QuestionInvalid([FieldProblem(("id",), f"A question with the id {item.id!r} is already in this bank.")])
        return store_version(actor, bank, item, None, None, "created")
    row = get_question(actor, bank, key)
    if item.id != key:
        raise QuestionInvalid([FieldProblem(("id",), "A question's id cannot change once it is saved.")])
    latest = _latest_version(row.question)
    return store_version(actor, bank, item, row.question, latest, "edited")


def _latest_version(question: Question) -> QuestionVersion | None:
    return session.scalar(
        select(QuestionVersion).where(QuestionVersion.question_id == question.id).order_by(QuestionVersion.number.desc()).limit(1)
    )


def retire_question(actor: User | None, bank: QuestionBank, key: str) -> Question:
    """Retired questions stay (attempts point at them) but are left out of every future draw."""
    policy.require_editable(actor, bank)
    question = get_question(actor, bank, key).question
    if question.retired_at is None:
        question.retired_at = utcnow()
        _event(question, actor, "retired")
        session.flush()
    return question


def unretire_question(actor: User | None, bank: QuestionBank, key: str) -> Question:
    policy.require_editable(actor, bank)
    question = get_question(actor, bank, key).question
    if question.retired_at is not None:
        question.retired_at = None
        _event(question, actor, "unretired")
        session.flush()
    return question


# --- history ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    version: QuestionVersion
    author: str | None
    action: str | None
    diff: list[tuple[str, str]] = field(default_factory=list)
    """(kind, line) with kind 'add', 'del', 'same' or 'hunk' against the previous version; empty for the first."""
    content: str = ""


def _readable(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(("hunk", "…"))
        elif line.startswith("+"):
            out.append(("add", line[1:]))
        elif line.startswith("-"):
            out.append(("del", line[1:]))
        else:
            out.append(("same", line[1:]))
    return out


def question_history(actor: User | None, bank: QuestionBank, key: str) -> tuple[QuestionRow, list[HistoryEntry]]:
    row = get_question(actor, bank, key)
    versions = list(
        session.scalars(
            select(QuestionVersion).where(QuestionVersion.question_id == row.question.id).order_by(QuestionVersion.number)
        )
    )
    events: dict[int, QuestionEvent] = {}
    for found in session.scalars(
        select(QuestionEvent)
        .where(QuestionEvent.question_id == row.question.id, QuestionEvent.version_id.is_not(None))
        .options(joinedload(QuestionEvent.user))
    ):
        if found.version_id is not None:
            events[found.version_id] = found
    entries: list[HistoryEntry] = []
    previous = ""
    for version in versions:
        text = _readable(version.data)
        event = events.get(version.id)
        entries.append(
            HistoryEntry(
                version=version,
                author=(event.user.name if event and event.user else None),
                action=event.action if event else ("synced" if bank.source == COURSE else None),
                diff=_diff(previous, text) if previous else [],
                content=text,
            )
        )
        previous = text
    entries.reverse()
    return row, entries
