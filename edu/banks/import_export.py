"""Import and export of question banks through edu.interchange: GIFT, Moodle XML, Aiken and YAML banks.

An import stores each question through the same versioning as the editor (edu.banks.services.store_version): a new
question per new id, a new version where an id exists and its content changed, nothing for an unchanged one. In the
browser an upload is held as a BankImportDraft between its report and the instructor's confirmation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from edu.auth.models import User
from edu.content import model
from edu.db import session, utcnow
from edu.errors import Invalid, NotFound
from edu.interchange.report import ImportProblem, ImportResult

from . import policy
from .models import BankImportDraft, Question, QuestionBank, QuestionVersion
from .services import as_model, bank_questions, store_version
from .sync import question_hash

IMPORT_FORMATS: dict[str, str] = {
    "gift": "GIFT",
    "moodle-xml": "Moodle XML",
    "aiken": "Aiken",
    "yaml": "YAML bank",
}
EXPORT_FORMATS: dict[str, tuple[str, str, str]] = {
    # format: (label, file suffix, content type)
    "gift": ("GIFT", ".gift.txt", "text/plain; charset=utf-8"),
    "moodle-xml": ("Moodle XML", ".xml", "application/xml; charset=utf-8"),
    "yaml": ("YAML bank", ".yaml", "application/yaml; charset=utf-8"),
}
DRAFT_LIFETIME = timedelta(hours=6)
"""An uploaded file waits this long for its confirmation; older drafts are deleted on the next upload."""


def detect_format(filename: str, content: bytes) -> str:
    """The format a file is most likely in: by extension, then by a look at the text."""
    name = filename.lower()
    if name.endswith(".xml"):
        return "moodle-xml"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".gift"):
        return "gift"
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<quiz"):
        return "moodle-xml"
    text = content.decode("utf-8", "replace")
    if "{" not in text and any(line.strip().startswith("ANSWER:") for line in text.splitlines()):
        return "aiken"
    if text.lstrip().startswith(("bank:", "questions:")):
        return "yaml"
    return "gift"


def parse_source(content: bytes, fmt: str) -> ImportResult:
    """Parse a file in one of IMPORT_FORMATS; never raises for bad input."""
    if fmt not in IMPORT_FORMATS:
        return ImportResult((), (ImportProblem(1, None, f"unknown format {fmt!r}"),), 0, ())
    if fmt == "moodle-xml":
        from edu.interchange.moodle_xml import parse_moodle_xml

        return parse_moodle_xml(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        return ImportResult((), (ImportProblem(line, None, "the file is not UTF-8 text; save it as UTF-8 and try again"),), 0, ())
    if fmt == "gift":
        from edu.interchange.gift import parse_gift

        return parse_gift(text)
    if fmt == "aiken":
        from edu.interchange.aiken import parse_aiken

        return parse_aiken(text)
    from edu.interchange.yaml_bank import parse_yaml_bank

    return parse_yaml_bank(text)


@dataclass(frozen=True)
class ImportSummary:
    new: int
    updated: int
    unchanged: int

    @property
    def stored(self) -> int:
        """The questions the import writes (a new question or a new version); an unchanged one writes nothing."""
        return self.new + self.updated

    def __str__(self) -> str:
        return f"{self.new} new, {self.updated} updated (new version), {self.unchanged} unchanged"


def _bank_as_stored(bank: QuestionBank) -> tuple[dict[str, Question], dict[int, QuestionVersion]]:
    """The bank's questions by key, and each one's latest version by question id (two statements)."""
    existing = {q.key: q for q in session.scalars(select(Question).where(Question.bank_id == bank.id))}
    latest: dict[int, QuestionVersion] = {}
    if existing:
        numbers = (
            select(QuestionVersion.question_id, func.max(QuestionVersion.number).label("number"))
            .where(QuestionVersion.question_id.in_([q.id for q in existing.values()]))
            .group_by(QuestionVersion.question_id)
            .subquery()
        )
        for version in session.scalars(
            select(QuestionVersion).join(
                numbers,
                (numbers.c.question_id == QuestionVersion.question_id) & (numbers.c.number == QuestionVersion.number),
            )
        ):
            latest[version.question_id] = version
    return existing, latest


def plan_import(actor: User | None, bank: QuestionBank, questions: Iterable[model.Question]) -> ImportSummary:
    """What importing `questions` would do, without doing it: the report's button says it ("Import 9 and skip 1"),
    and is not offered when the import would write nothing (every question already in the bank, unchanged).
    The same comparison as `import_questions` (content hashes against each question's latest version), in file order,
    so an id given twice in one file counts as a question and then its new version, as importing it would."""
    policy.require_editable(actor, bank)
    existing, latest = _bank_as_stored(bank)
    digests = {key: latest[q.id].content_hash for key, q in existing.items() if q.id in latest}
    known = set(existing)
    new = updated = unchanged = 0
    for item in questions:
        digest = question_hash(item.model_dump(mode="json"))
        if item.id not in known:
            new += 1
        elif digests.get(item.id) == digest:
            unchanged += 1
        else:
            updated += 1
        known.add(item.id)
        digests[item.id] = digest
    return ImportSummary(new, updated, unchanged)


def import_questions(
    actor: User | None,
    bank: QuestionBank,
    questions: Iterable[model.Question],
    stored: Callable[[model.Question], None] | None = None,
) -> ImportSummary:
    """Store imported questions: a new question per new id, a new version where an id exists and content changed."""
    policy.require_editable(actor, bank)
    existing, latest = _bank_as_stored(bank)
    new = updated = unchanged = 0
    for item in questions:
        question = existing.get(item.id)
        saved = store_version(actor, bank, item, question, latest.get(question.id) if question else None, "imported")
        existing[item.id] = saved.question
        if saved.version is not None:
            latest[saved.question.id] = saved.version
        if saved.created:
            new += 1
        elif saved.version is not None:
            updated += 1
        else:
            unchanged += 1
        if stored is not None:
            stored(item)
    return ImportSummary(new, updated, unchanged)


def create_draft(actor: User, bank: QuestionBank, filename: str, fmt: str, content: bytes) -> BankImportDraft:
    """Hold an uploaded file until the instructor confirms the import; clears their stale drafts."""
    policy.require_editable(actor, bank)
    session.execute(
        delete(BankImportDraft).where(BankImportDraft.user_id == actor.id, BankImportDraft.created_at < utcnow() - DRAFT_LIFETIME)
    )
    draft = BankImportDraft(
        token=secrets.token_urlsafe(32), bank_id=bank.id, user_id=actor.id, filename=filename[:200], format=fmt, content=content
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(actor: User, bank: QuestionBank, token: str) -> BankImportDraft:
    policy.require_editable(actor, bank)
    draft = session.scalar(
        select(BankImportDraft).where(
            BankImportDraft.token == token, BankImportDraft.bank_id == bank.id, BankImportDraft.user_id == actor.id
        )
    )
    if draft is None or draft.created_at < utcnow() - DRAFT_LIFETIME:
        raise NotFound("This upload has expired or was already imported. Upload the file again.")
    return draft


def discard_draft(draft: BankImportDraft) -> None:
    session.delete(draft)
    session.flush()


@dataclass(frozen=True)
class Export:
    body: bytes
    filename: str
    content_type: str
    count: int


def export_bank(actor: User | None, bank: QuestionBank, fmt: str) -> Export:
    """The bank's active questions (retired ones stay out: importing them would bring them back)."""
    policy.require_instructor(actor)
    if fmt not in EXPORT_FORMATS:
        raise Invalid(f"Unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")
    questions = [as_model(row.data) for row in bank_questions(actor, bank) if row.version and row.question.retired_at is None]
    _, suffix, content_type = EXPORT_FORMATS[fmt]
    if fmt == "gift":
        from edu.interchange.gift import write_gift

        body = write_gift(questions, category=bank.title).encode()
    elif fmt == "moodle-xml":
        from edu.interchange.moodle_xml import write_moodle_xml

        body = write_moodle_xml(questions, category=bank.title)
    else:
        from edu.interchange.yaml_bank import write_yaml_bank

        body = write_yaml_bank(bank.slug, bank.title, questions).encode()
    return Export(body, f"{bank.slug}{suffix}", content_type, len(questions))
