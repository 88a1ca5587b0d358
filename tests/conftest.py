"""Fixtures: every database test runs twice, on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (any database on the server: the suite creates and drops its
own). Without that variable the PostgreSQL half is skipped, saying so; with it set, an unreachable
server fails the run — CI sets it, so CI can never pass without PostgreSQL.
"""

from __future__ import annotations

import os
import re
import secrets
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import ExecuteStyle

import edu.models  # noqa: F401 - every table on the metadata
from edu.application import create_app
from edu.auth import passwords
from edu.db import Base, database
from edu.extensions import limiter, talisman

FIXTURES = Path(__file__).parent / "fixtures"
MINI_COURSE = FIXTURES / "courses" / "mini"
PASSWORD = "correct horse battery"
BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@contextmanager
def fresh_postgres_database(prefix: str = "edu_test") -> Iterator[str]:
    """Create an empty database on the TEST_DATABASE_URL server; drop it afterwards."""
    base = postgres_admin_url()
    if base is None:
        pytest.skip("TEST_DATABASE_URL is not set: the PostgreSQL half of the suite is not run here")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a configured but unreachable server is a failure, never a skip
        admin.dispose()
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The Redis server at REDIS_TEST_URL (skipped, saying so, without it; a failure when it is set but unreachable)."""
    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        pytest.skip("REDIS_TEST_URL is not set: this test needs a Redis server")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at REDIS_TEST_URL is unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def _postgresql_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"_{backend}_url"))


def _wipe(engine: Engine) -> None:
    """Empty every table a test wrote to, and restart their ids, as a fresh database would number them.

    One query finds the tables that hold rows; only those are emptied, in one batch of DELETEs (children first).
    TRUNCATE of all 40 tables took about 85 ms on PostgreSQL per test, the probe and the DELETEs about 2 ms.
    """
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    with engine.begin() as conn:
        holding = {row[0] for row in conn.execute(text(probe))}
        dirty = [t for t in tables if t in holding]
        if engine.dialect.name == "postgresql":
            if dirty and conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar() == "on":
                # As TRUNCATE does, without firing the row triggers: the guard that refuses to delete a certificate
                # and the foreign-key checks (setting the replication role takes a superuser, as in CI).
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in dirty))
            elif dirty:  # a role that only owns the tables: TRUNCATE those that hold rows (slower, always allowed)
                conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in dirty) + " CASCADE")
            # RESTART IDENTITY's equivalent: every sequence that has handed out a number starts at 1 again.
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) FROM pg_sequences"
                    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            )
        else:
            # Foreign keys stay on (PRAGMA foreign_keys is a no-op inside a transaction, so a wipe that switched it
            # off could leave a pooled connection unchecked); the checks wait for the commit, when every table is
            # empty, so the cycles between tables do not matter. SQLite numbers from max(rowid) + 1: 1 again.
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in dirty:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables, on the test's backend, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        with fresh_postgres_database("edu_migrations") as url:
            yield url


@pytest.fixture(scope="session")
def signing_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key ring for the whole run, outside the repository (as in production, never committed)."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def _apps() -> Iterator[dict[str, Flask]]:
    """One application per backend for the whole run, with its engine's pool of open connections."""
    made: dict[str, Flask] = {}
    yield made
    for application in made.values():
        application.extensions["edu.db"].engine.dispose()


def _limiter_storage() -> tuple[Any, Any]:
    # The limiter is a module-level extension: any app a test builds itself re-points its storage (a test of the
    # shared Redis store, or of a dead one). Each test starts from its backend's app's own memory store.
    return limiter._storage, limiter._limiter


@pytest.fixture
def app(backend: str, database_url: str, signing_keys_dir: Path, _apps: dict[str, Flask]) -> Iterator[Flask]:
    """The backend's application, as a fresh one would behave: empty tables, its own settings, no rate-limit hits.

    Building an app per test cost about 30 ms; the settings a test changes are put back afterwards instead.
    """
    application = _apps.get(backend)
    if application is None:
        application = create_app(
            {
                "APP_ENV": "testing",
                "SECRET_KEY": "test-secret-key",
                "DATABASE_URL": database_url,
                "RATELIMIT_STORAGE_URI": "memory://",
                "SERVER_NAME": "localhost",
                "PUBLIC_URL": "http://localhost",  # the fixed test origin, whatever the shell exports
                "COURSES_DIR": str(MINI_COURSE.parent),
                "PASSWORD_HASH_PROFILE": "cheapest",
                "CERT_KEYS_DIR": str(signing_keys_dir),
            }
        )
        application.extensions["tests.limiter_storage"] = _limiter_storage()
        application.extensions["tests.talisman"] = dict(vars(talisman))
        _apps[backend] = application
    limiter._storage, limiter._limiter = application.extensions["tests.limiter_storage"]
    # The other module-level state create_app sets: the password hasher's cost (a test's own app may have chosen the
    # production cost, 0.2 s a hash) and the security headers' options.
    passwords.configure(application.config["PASSWORD_HASH_PROFILE"])
    vars(talisman).update(application.extensions["tests.talisman"])
    limiter.reset()
    settings = application.config.copy()
    yield application
    _wipe(application.extensions["edu.db"].engine)
    application.config.clear()
    application.config.update(settings)
    limiter.reset()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKENS: weakref.WeakKeyDictionary[FlaskClient, tuple[str, str]] = weakref.WeakKeyDictionary()


def _session_secret(client: FlaskClient) -> str | None:
    """The raw CSRF secret the client's session holds (Flask-WTF signs it into each form's token)."""
    with client.session_transaction() as saved:
        value = saved.get("csrf_token")
    return None if value is None else str(value)


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """The CSRF token of the client's session, read from a real form as a browser would.

    A browser keeps using the token its page gave it while the session holds the same secret: so does this, instead
    of loading a page before every POST (which cost a page render per form in the suite). A new session (logout,
    another client) has a new secret and gets a fresh page.
    """
    secret = _session_secret(client)
    known = _TOKENS.get(client)
    if secret is not None and known is not None and known[0] == secret:
        return known[1]
    body = client.get(page).get_data(as_text=True)
    match = _TOKEN.search(body)
    assert match, f"no CSRF token on {page}"
    secret = _session_secret(client)
    if secret is not None:
        _TOKENS[client] = (secret, match.group(1))
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None, page: str = "/login", **kwargs: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})}, **kwargs)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    from edu.auth import services
    from edu.db import session

    def make(
        email: str = "learner@example.com",
        *roles: str,
        name: str = "Lee Learner",
        password: str = PASSWORD,
        verified: bool = True,
    ) -> int:
        """An account whose address is confirmed, as most tests need; `verified=False` for one that registered and
        has not opened its confirmation link yet."""
        with app.app_context():
            user = services.register(
                name=name,
                email=email,
                password=password,
                licence_number="PT-1234",
                jurisdiction="Testland",
                verified=verified,
            )
            for role in roles:
                services.grant_role(user, role)
            session.commit()
            return user.id

    return make


def assign_instructor(app: Flask, email: str, slug: str = "mini") -> None:
    """Assign an instructor to a synced course, as an admin would: instructors act on their courses' outcomes only."""
    from edu.catalog import instructors
    from edu.db import session

    with app.app_context():
        instructors.assign(None, instructors.get_course(None, slug), email)
        session.commit()


def staff_two_courses(app: Flask, make_user: Callable[..., int]) -> None:
    """A second course, "other", beside the synced mini course: Tess teaches mini, Otto teaches other, Ada is admin."""
    from edu.catalog.models import Course
    from edu.db import session

    with app.app_context():
        session.add(Course(slug="other", title="Another course"))
        session.commit()
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    make_user("otto@example.com", "instructor", name="Otto Other")
    make_user("ada@example.com", "admin", name="Ada Admin")
    assign_instructor(app, "tess@example.com", "mini")
    assign_instructor(app, "otto@example.com", "other")


@pytest.fixture
def teach(app: Flask) -> Callable[..., None]:
    """`teach(email, slug="mini")`: assign that instructor to the course."""

    def assign(email: str, slug: str = "mini") -> None:
        assign_instructor(app, email, slug)

    return assign


def login(client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = False) -> Any:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return post_form(client, "/login", data)


@pytest.fixture
def learner(make_user: Callable[..., int], client: FlaskClient) -> FlaskClient:
    make_user("learner@example.com")
    response = login(client, "learner@example.com")
    assert response.status_code == 302
    return client


@pytest.fixture
def mini_course(app: Flask) -> str:
    sync_folder(app, MINI_COURSE)
    return "mini"


def sync_folder(app: Flask, folder: Path) -> Any:
    from edu.banks.sync import sync_banks
    from edu.catalog.sync import sync_course
    from edu.content import load_course
    from edu.db import session
    from edu.quizzes.sync import sync_quizzes

    result = load_course(folder)
    assert not result.problems, result.problems
    assert result.course is not None
    with app.app_context():
        synced = sync_course(result.course)
        banks = sync_banks(synced.course, result.course)
        quizzes = sync_quizzes(synced.course, result.course)
        session.commit()
        return synced.status, banks, quizzes


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.executed = 0
        """Statements as the database runs them: an executemany of n rows is n (sqlite3 steps the statement n times,
        psycopg pipelines n executions), one batch of SQLAlchemy's insertmanyvalues (a multi-row VALUES) is one.
        Transaction control (BEGIN, COMMIT, ROLLBACK) is not sent through a cursor and is in neither count."""

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """Use as `with count_queries() as q:`; q.statements lists every SQL statement sent."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        with app.app_context():
            engine = database().engine
        counter = QueryCounter()

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            counter.statements.append(statement)
            rows = executemany and context is not None and context.execute_style is ExecuteStyle.EXECUTEMANY
            counter.executed += len(parameters) if rows else 1

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@contextmanager
def transaction_ends(engine: Engine) -> Iterator[list[str]]:
    """COMMIT or ROLLBACK for each transaction the engine ended, in order (DBAPI commit and rollback)."""
    ended: list[str] = []

    def committed(_conn: Any) -> None:
        ended.append("COMMIT")

    def rolled_back(_conn: Any) -> None:
        ended.append("ROLLBACK")

    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    try:
        yield ended
    finally:
        event.remove(engine, "commit", committed)
        event.remove(engine, "rollback", rolled_back)
