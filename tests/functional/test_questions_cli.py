"""`flask questions import|export`: reports, exit codes and what reaches the database, on Moodle's own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.db import session
from tests.shared_data import shared_path


@pytest.fixture
def gift_fixture() -> Path:
    return shared_path("fixtures", "moodle", "question", "format", "gift", "tests", "fixtures", "questions.gift.txt")


def stored(app, slug: str) -> dict[str, dict]:
    with app.app_context():
        rows = session.execute(
            select(Question.key, QuestionVersion.data)
            .join(QuestionBank, QuestionBank.id == Question.bank_id)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(QuestionBank.slug == slug)
        ).all()
        return {key: data for key, data in rows}


def banks_count(app) -> int:
    with app.app_context():
        return session.scalar(select(func.count()).select_from(QuestionBank))


def test_import_with_problems_fails_listing_them_and_imports_nothing(app, gift_fixture):
    result = app.test_cli_runner().invoke(args=["questions", "import", str(gift_fixture), "--bank", "moodle-gift"])
    assert result.exit_code != 0
    assert f"{gift_fixture}:2: error: Q8: unsupported question type: essay" in result.output
    assert "nothing was imported" in result.output and "--partial" in result.output
    assert banks_count(app) == 0


def test_partial_import_stores_the_supported_questions_with_a_progress_bar(app, gift_fixture):
    from edu.interchange.gift import parse_gift

    expected = parse_gift(gift_fixture.read_text())
    result = app.test_cli_runner().invoke(
        args=["questions", "import", str(gift_fixture), "--bank", "moodle-gift", "--format", "gift", "--partial"]
    )
    assert result.exit_code == 0, result.output
    assert "Created bank moodle-gift." in result.output and "Storing questions" in result.output
    n = len(expected.questions)
    assert n >= 6 and expected.skipped == 1
    assert (
        f"Imported {n} question(s) into moodle-gift (gift): {n} new, 0 updated (new version), 0 unchanged; 1 skipped."
        in result.output
    )
    data = stored(app, "moodle-gift")
    assert data == {q.id: q.model_dump(mode="json") for q in expected.questions}
    with app.app_context():
        bank = session.scalar(select(QuestionBank).where(QuestionBank.slug == "moodle-gift"))
        assert (bank.source, bank.title, bank.created_by_id) == ("authored", "Moodle gift", None)
    # importing the same file again changes nothing
    again = app.test_cli_runner().invoke(args=["questions", "import", str(gift_fixture), "--bank", "moodle-gift", "--partial"])
    assert again.exit_code == 0 and f"0 new, 0 updated (new version), {n} unchanged" in again.output


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "yaml"])
def test_export_and_reimport_gives_the_same_questions(app, gift_fixture, tmp_path, fmt):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["questions", "import", str(gift_fixture), "--bank", "moodle-gift", "--partial"]).exit_code == 0
    out = tmp_path / f"export.{fmt}"
    exported = runner.invoke(args=["questions", "export", "moodle-gift", "--format", fmt, "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    original = stored(app, "moodle-gift")
    assert f"Wrote {len(original)} question(s) from moodle-gift to {out}." in exported.output
    back = runner.invoke(args=["questions", "import", str(out), "--bank", "round-trip", "--format", fmt])
    assert back.exit_code == 0, back.output
    if fmt == "moodle-xml":
        # Moodle XML writes <name> from the id when they are equal, and reads such a name back as None
        # (edu.interchange.moodle_xml): the one field that does not survive this trip.
        original = {k: {**d, "name": None} if d["name"] == k else d for k, d in original.items()}
    assert stored(app, "round-trip") == original


def test_export_to_stdout_and_errors(app, gift_fixture, mini_course):
    runner = app.test_cli_runner()
    yaml_out = runner.invoke(args=["questions", "export", "basics", "--format", "yaml"])
    assert yaml_out.exit_code == 0 and yaml_out.output.startswith("bank:") and "q-single" in yaml_out.output
    missing = runner.invoke(args=["questions", "export", "nope", "--format", "gift"])
    assert missing.exit_code != 0 and "There is no question bank at this address." in missing.output
    bad_format = runner.invoke(args=["questions", "export", "basics", "--format", "pdf"])
    assert bad_format.exit_code == 2
    course = runner.invoke(args=["questions", "import", str(gift_fixture), "--bank", "basics", "--partial"])
    assert course.exit_code != 0 and "read-only" in course.output
    assert len(stored(app, "basics")) == 5


def test_created_bank_can_have_an_owner(app, make_user, tmp_path):
    make_user("olive@example.com", "instructor")
    source = tmp_path / "one.gift"
    source.write_text("::Q:: 2 + 2 = 4 {T}\n")
    result = app.test_cli_runner().invoke(
        args=["questions", "import", str(source), "--bank", "owned", "--title", "Owned bank", "--owner", "olive@example.com"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        bank = session.scalar(select(QuestionBank).where(QuestionBank.slug == "owned"))
        assert bank.title == "Owned bank" and bank.owner.email == "olive@example.com"
    nobody = app.test_cli_runner().invoke(args=["questions", "import", str(source), "--bank", "x2", "--owner", "no@example.com"])
    assert nobody.exit_code != 0 and "No account with email no@example.com." in nobody.output
    assert banks_count(app) == 1
