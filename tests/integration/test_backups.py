"""The embedded database's durability: WAL with synchronous=FULL, and backups that restore table for table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from edu.application import create_app
from edu.auth import services as auth
from edu.catalog import services as catalog
from edu.db import Base, database, session
from tests.certificate_helpers import mini, pass_everything, user
from tests.conftest import MINI_COURSE, sync_folder


@pytest.fixture
def sqlite_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}"})
    with app.app_context():
        Base.metadata.create_all(database().engine)
        session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        session.execute(text("INSERT INTO alembic_version VALUES ('head-for-test')"))
        session.commit()
    return app


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        found = {
            name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns or t.columns))]
            for name, t in meta.tables.items()
        }
    engine.dispose()
    return found


def test_sqlite_runs_with_wal_and_full_synchronous_commits(sqlite_app):
    with sqlite_app.app_context():
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_backup_restores_into_a_new_instance_table_for_table(sqlite_app, tmp_path):
    """A learner who enrolled and passed every quiz: every row of every table comes back in a new instance."""
    sync_folder(sqlite_app, MINI_COURSE)
    with sqlite_app.app_context():
        auth.register(name="Lee Learner", email="learner@example.com", password="correct horse battery")
        session.commit()
        catalog.enrol(user(), mini())
        session.commit()
        pass_everything(user().id, datetime.now(UTC))
        session.commit()

    backup_file = tmp_path / "backups" / "edu.sqlite3"
    made = sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and backup_file.is_file()
    again = sqlite_app.test_cli_runner().invoke(args=["backup", "create", str(backup_file)])
    assert again.exit_code != 0 and "already exists" in again.output

    fresh_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    restored_app = create_app({"APP_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": fresh_url})
    done = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert done.exit_code == 0, done.output
    original = _rows(sqlite_app.config["DATABASE_URL"])
    assert any(original[t] for t in ("attempts", "enrolments", "users", "question_versions"))
    assert _rows(fresh_url) == original

    refused = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert refused.exit_code != 0 and "already holds data" in refused.output


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_app, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = sqlite_app.test_cli_runner().invoke(args=["backup", "restore", str(junk)])
    assert result.exit_code != 0 and "is not a database backup" in result.output
    missing = sqlite_app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "nope.sqlite3")])
    assert missing.exit_code != 0 and "No backup file" in missing.output


def test_postgresql_is_pointed_to_pg_dump(tmp_path):
    app = create_app(
        {"APP_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"}
    )
    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "x")])
    assert result.exit_code != 0 and "pg_dump" in result.output
