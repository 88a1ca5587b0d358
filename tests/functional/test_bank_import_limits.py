"""An upload past an importer's limits gets a clear 400 on the bank page and stores nothing: no draft, no question.

The YAML inputs are the ones that crashed (60 KB of nested `- `) or held a worker (10 KB and 100 KB of `[`).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edu.banks.models import BankImportDraft, Question
from edu.db import session
from tests.functional.test_bank_pages import instructor, make_bank, upload  # noqa: F401  (instructor: a fixture)

KB = 1024
DEEP = "more than 32 levels deep (the limit is 32)"

ATTACKS = [
    ("nested-dashes.yaml", b"- " * (30 * KB), DEEP),
    ("brackets.yaml", b"[" * (10 * KB), DEEP),
    ("brackets-100k.yaml", b"[" * (100 * KB), DEEP),
    ("keys.yaml", b"? " * (50 * KB), DEEP),
    ("aliases.yaml", b"bank: &b {id: b-1, title: B}\nquestions:\n  - *b\n", "YAML aliases (*name) are not allowed"),
    ("values.yaml", b"[" + b"1," * 100_001 + b"]", "more than 100,000 values (the limit is 100,000)"),
    ("deep.xml", b"<quiz>" + b"<a>" * (20 * KB) + b"</a>" * (20 * KB) + b"</quiz>", "nested more than 32 deep (the limit is 32)"),
    ("many.gift", b"Q{T}\n\n" * 2001, "more than 2,000 questions (the limit is 2,000)"),
    ("stray.txt", b"Q?\nANSWER: A\n" + b"A) x\n" * 1001, "more than 1,000 errors (the limit is 1,000)"),
]


def stored(app) -> tuple[int, int]:
    with app.app_context():
        drafts = session.scalar(select(func.count()).select_from(BankImportDraft))
        questions = session.scalar(select(func.count()).select_from(Question))
        return drafts, questions


@pytest.mark.parametrize(("filename", "content", "limit"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_upload_past_a_limit_is_refused_with_the_limit_and_stores_nothing(app, instructor, filename, content, limit):  # noqa: F811
    slug = make_bank(instructor)
    response = upload(instructor, slug, content, filename=filename, partial=True)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The file was not read: line " in body and limit in body
    assert "Nothing has been imported yet" not in body  # no report, no confirm button
    assert stored(app) == (0, 0)


def test_a_file_within_the_limits_still_gets_its_report(app, instructor):  # noqa: F811
    slug = make_bank(instructor)
    bank = b"bank: {id: b-1, title: B}\nquestions:\n  - {id: q-1, type: true_false, prompt: Is it?, answer: true}\n"
    response = upload(instructor, slug, bank, filename="bank.yaml")
    assert response.status_code == 200 and "Import 1 question</button>" in response.get_data(as_text=True)
    assert stored(app) == (1, 0)
