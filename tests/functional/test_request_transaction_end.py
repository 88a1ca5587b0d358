"""How a request's transaction ends: COMMIT when it wrote nothing, ROLLBACK whenever it may have written.

A ROLLBACK makes psycopg forget every statement it prepared on the connection and send DEALLOCATE ALL, so on
PostgreSQL a page that only reads would have its statements parsed and planned again on every request. The safety
property matters more than the saving: a view that wrote and then answered with an error page (an HTTPException
handler means the teardown sees no exception) must still have its writes rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.application import create_app
from edu.catalog.models import Course
from edu.db import database, session
from edu.extensions import limiter
from tests.conftest import post_form, transaction_ends


@dataclass
class ServerTrace:
    """What the PostgreSQL server received, read from libpq's protocol trace of every connection used."""

    files: list[Path] = field(default_factory=list)

    def messages(self) -> list[str]:
        return [line for path in self.files for line in path.read_text().splitlines() if line.startswith("F\t")]

    def queries(self, text: str) -> int:
        """Simple-protocol queries of exactly this text (psycopg sends BEGIN, COMMIT, ROLLBACK, DEALLOCATE so)."""
        return sum(1 for line in self.messages() if line.split("\t")[2:] == ["Query", f' "{text}"'])

    def prepared(self) -> int:
        """Statements the server was asked to prepare under a name (psycopg's automatic prepared statements)."""
        return sum(1 for line in self.messages() if '\tParse\t "_pg3_' in line)

    def run_prepared(self) -> int:
        """Executions of an already prepared statement: nothing parsed or planned again."""
        return sum(1 for line in self.messages() if '\tBind\t "" "_pg3_' in line)

    def parsed(self) -> int:
        """Statements parsed (and planned) for a single execution."""
        return sum(1 for line in self.messages() if '\tParse\t "" ' in line)


@contextmanager
def server_trace(engine: Engine, folder: Path) -> Iterator[ServerTrace]:
    """Trace every psycopg connection the engine hands out while inside, one file per connection."""
    from psycopg import pq

    trace = ServerTrace()
    traced: dict[int, tuple[Any, int]] = {}

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if id(dbapi_connection) in traced:
            return
        path = folder / f"connection-{len(trace.files)}.trace"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        dbapi_connection.pgconn.trace(descriptor)
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        trace.files.append(path)
        traced[id(dbapi_connection)] = (dbapi_connection, descriptor)

    event.listen(engine, "checkout", checkout)
    try:
        yield trace
    finally:
        event.remove(engine, "checkout", checkout)
        for dbapi_connection, descriptor in traced.values():
            dbapi_connection.pgconn.untrace()  # flushes what libpq buffered; it writes nothing more
            os.close(descriptor)


def enrolled(learner: Any) -> None:
    assert post_form(learner, "/courses/mini/enrol", page="/courses/mini").status_code == 302


@pytest.mark.parametrize("page", ["/dashboard", "/courses/mini", "/"])
def test_a_page_that_only_reads_ends_its_transaction_with_a_commit(app, learner, mini_course, page):
    enrolled(learner)
    assert learner.get(page).status_code == 200  # anything a first visit does once is done
    with transaction_ends(database_engine(app)) as ended:
        assert learner.get(page).status_code == 200
    assert ended == ["COMMIT"]


def test_twenty_dashboards_on_postgresql_reuse_their_prepared_statements(app, learner, mini_course, backend, tmp_path):
    """No ROLLBACK, so psycopg keeps what it prepared and the server sends no DEALLOCATE ALL. With a ROLLBACK per
    request psycopg also restarted counting each statement's executions, so none ran often enough to be prepared: the
    server parsed and planned all 9 statements of every dashboard (180 of 180)."""
    if backend != "postgresql":
        pytest.skip("prepared statements and DEALLOCATE are PostgreSQL's (psycopg's)")
    enrolled(learner)
    with server_trace(database_engine(app), tmp_path) as trace:
        for _ in range(20):
            assert learner.get("/dashboard").status_code == 200
    figures = {
        "COMMIT": trace.queries("COMMIT"),
        "ROLLBACK": trace.queries("ROLLBACK"),
        "DEALLOCATE ALL": trace.queries("DEALLOCATE ALL"),
        "prepared": trace.prepared(),
        "run prepared": trace.run_prepared(),
        "parsed once": trace.parsed(),
    }
    print("\n20 dashboard GETs, as the server saw them:", figures)
    assert figures["DEALLOCATE ALL"] == 0 and figures["ROLLBACK"] == 0, figures
    assert figures["COMMIT"] == 20, figures
    assert figures["run prepared"] > figures["parsed once"], figures


def database_engine(app: Flask) -> Engine:
    with app.app_context():
        return database().engine


def new_course(slug: str) -> Course:
    return Course(slug=slug, title=f"Course {slug}")


def add_views_that_write_then_refuse(application: Flask) -> None:
    """Views as a careless one would be written: they change data, then answer with an error without committing."""

    @application.get("/test/flush-then-forbid")
    def flush_then_forbid() -> WerkzeugResponse:
        session.add(new_course("flushed"))
        session.flush()
        abort(403)

    @application.get("/test/add-then-forbid")
    def add_then_forbid() -> WerkzeugResponse:
        session.scalar(select(Course.id))  # the transaction is open
        session.add(new_course("pending"))  # and this not flushed: a COMMIT would flush it
        abort(403)

    @application.get("/test/update-then-conflict")
    def update_then_conflict() -> tuple[str, int]:
        session.execute(update(Course).where(Course.slug == "mini").values(title="Changed by mistake"))
        return "conflict", 409

    @application.get("/test/savepoint-then-forbid")
    def savepoint_then_forbid() -> WerkzeugResponse:
        with session.begin_nested():  # released: its row is now the request's transaction's
            session.add(new_course("in-a-savepoint"))
        abort(403)

    @application.get("/test/failed-flush-then-conflict")
    def failed_flush_then_conflict() -> tuple[str, int]:
        session.add_all([new_course("before-the-clash"), new_course("mini")])  # "mini" is taken
        try:
            session.flush()
        except IntegrityError:
            return "taken", 409
        return "not taken", 200

    @application.get("/test/commit-then-flush-then-forbid")
    def commit_then_flush_then_forbid() -> WerkzeugResponse:
        session.add(new_course("committed"))
        session.commit()
        session.add(new_course("after-the-commit"))
        session.flush()
        abort(403)

    @application.get("/test/read")
    def read() -> str:
        return ", ".join(session.scalars(select(Course.slug).order_by(Course.slug)))

    @application.get("/test/commit-then-read")
    def commit_then_read() -> str:
        session.add(new_course("committed"))
        session.commit()
        return ", ".join(session.scalars(select(Course.slug).order_by(Course.slug)))


@pytest.fixture
def careless_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A fresh app on the test's database (views can only be added before a first request) with the views above."""
    application = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PASSWORD_HASH_PROFILE": "cheapest",
        }
    )
    add_views_that_write_then_refuse(application)
    yield application
    application.extensions["edu.db"].engine.dispose()
    limiter._storage, limiter._limiter = app.extensions["tests.limiter_storage"]


def course_slugs(app: Flask) -> set[str]:
    with app.app_context():
        return set(session.scalars(select(Course.slug)))


def mini_title(app: Flask) -> str:
    with app.app_context():
        return session.scalars(select(Course.title).where(Course.slug == "mini")).one()


@pytest.mark.parametrize(
    ("view", "status"),
    [
        ("/test/flush-then-forbid", 403),
        ("/test/add-then-forbid", 403),
        ("/test/update-then-conflict", 409),
        ("/test/savepoint-then-forbid", 403),
        ("/test/failed-flush-then-conflict", 409),
    ],
)
def test_a_view_that_wrote_and_answered_an_error_keeps_nothing(careless_app, mini_course, view, status):
    title = mini_title(careless_app)
    with transaction_ends(database_engine(careless_app)) as ended:
        assert careless_app.test_client().get(view).status_code == status
    assert ended[-1] == "ROLLBACK", ended
    assert course_slugs(careless_app) == {"mini"}
    assert mini_title(careless_app) == title


def test_what_was_committed_stays_and_what_was_written_after_it_does_not(careless_app, mini_course):
    with transaction_ends(database_engine(careless_app)) as ended:
        assert careless_app.test_client().get("/test/commit-then-flush-then-forbid").status_code == 403
    assert ended == ["COMMIT", "ROLLBACK"]
    assert course_slugs(careless_app) == {"mini", "committed"}


@pytest.mark.parametrize(("view", "ends"), [("/test/read", ["COMMIT"]), ("/test/commit-then-read", ["COMMIT", "COMMIT"])])
def test_a_transaction_that_only_read_ends_with_a_commit(careless_app, mini_course, view, ends):
    with transaction_ends(database_engine(careless_app)) as ended:
        response = careless_app.test_client().get(view)
    assert response.status_code == 200 and "mini" in response.get_data(as_text=True)
    assert ended == ends
