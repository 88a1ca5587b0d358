"""The suite's between-tests wipe (tests/conftest.py `_wipe`) leaves every table empty and numbering from 1 again,
whether TEST_DATABASE_URL's role is a superuser (DELETE with row triggers off) or only owns the tables (TRUNCATE)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from edu.application import create_app
from edu.db import Base
from tests.conftest import MINI_COURSE, _wipe, fresh_postgres_database, postgres_admin_url, sync_folder

pytestmark = pytest.mark.postgres_only


def _fill_and_wipe(url: str, keys: Path) -> None:
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
        # the mini course: a course and its current version, questions and theirs (two cycles of foreign keys)
        app = create_app(
            {
                "APP_ENV": "testing",
                "SECRET_KEY": "k",
                "DATABASE_URL": url,
                "PASSWORD_HASH_PROFILE": "cheapest",
                "CERT_KEYS_DIR": str(keys),
            }
        )
        sync_folder(app, MINI_COURSE)
        app.extensions["edu.db"].engine.dispose()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM questions")).scalar()
        _wipe(engine)
        with engine.connect() as conn:
            for table in ("courses", "course_versions", "questions", "question_versions", "quizzes"):
                assert conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() == 0, table
        sync_folder(app, MINI_COURSE)
        app.extensions["edu.db"].engine.dispose()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT min(id) FROM courses")).scalar() == 1, "ids restart at 1, as in a fresh database"
    finally:
        engine.dispose()


def test_the_wipe_as_a_superuser(backend: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite wipe has no roles")
    with fresh_postgres_database("edu_wipe") as url:
        _fill_and_wipe(url, tmp_path)


@pytest.fixture
def owner_only_url() -> Iterator[str]:
    """A fresh database owned by a role that is not a superuser, as a developer's own server might give."""
    base = postgres_admin_url()
    assert base is not None
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    role = f"edu_owner_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER'))
        with fresh_postgres_database("edu_wipe_owner") as url:
            with admin.connect() as conn:
                database = make_url(url).database
                conn.execute(text(f'ALTER DATABASE "{database}" OWNER TO "{role}"'))
            owned = create_engine(url, isolation_level="AUTOCOMMIT")
            with owned.connect() as conn:
                conn.execute(text(f'ALTER SCHEMA public OWNER TO "{role}"'))
            owned.dispose()
            yield make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_wipe_as_a_role_that_only_owns_the_tables(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite wipe has no roles")
    _fill_and_wipe(request.getfixturevalue("owner_only_url"), tmp_path)
