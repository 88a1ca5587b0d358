"""The declarative base, the engine and one session per request (or per CLI command).

Services use `edu.db.session`; only views and CLI commands commit. At teardown a transaction still open is rolled
back, unless it provably wrote nothing: that one is committed (see `end_read_only_transaction`). Datetimes are
stored as UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

from edu.storable import load_stored_json

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC; return aware UTC. Refuse naive input so no local time sneaks in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use edu.db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def make_engine(url: str) -> Engine:
    # JSON comes back without the text no column can hold, should any have been stored before the request guard.
    options: dict[str, Any] = {"future": True, "json_deserializer": load_stored_json}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: every commit (a graded submit, an issued certificate) is on disk before the request answers,
            # even across a power cut. NORMAL would be faster in WAL mode but may lose the last commits.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _savepoint_inside_a_transaction(connection: Connection, _name: str | None) -> None:
            # pysqlite begins a transaction only before a statement that writes, so a SAVEPOINT issued before the
            # transaction's first write would open the transaction itself, and its RELEASE would commit it: a request
            # that failed afterwards (and rolled back) would keep that write. Begin the transaction first.
            dbapi_connection = connection.connection.dbapi_connection
            if dbapi_connection is not None and not dbapi_connection.in_transaction:
                dbapi_connection.execute("BEGIN")

    return engine


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    sessions = sessionmaker(engine, expire_on_commit=False)
    app.extensions["edu.db"] = Database(engine, sessions)
    watch_for_writes(sessions)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        db_session: Session | None = g.pop("db_session", None)
        if db_session is None:
            return
        if exc is None and only_read(db_session):
            end_read_only_transaction(db_session)
        elif exc is not None:
            db_session.rollback()
        db_session.close()  # rolls back whatever is still open: a view that wrote and did not commit


MAY_HAVE_WRITTEN = "edu.db.may_have_written"
"""`Session.info` key, set while the session's current transaction may have written anything."""


def watch_for_writes(sessions: sessionmaker[Session]) -> None:
    """Note in `Session.info` when the current transaction may have written: a flush that had rows to write, or a
    statement run through the session that is not a SELECT (a bulk UPDATE, an INSERT, a DELETE, any text()). The
    note stays until the outermost transaction ends, so a savepoint released (its writes now the outer transaction's)
    or rolled back keeps it. Statements sent on `session.connection()` directly are not seen: nothing does that."""

    @event.listens_for(sessions, "after_flush")
    def _flushed(db_session: Session, _flush_context: Any) -> None:
        db_session.info[MAY_HAVE_WRITTEN] = True

    @event.listens_for(sessions, "do_orm_execute")
    def _executing(orm_execute_state: ORMExecuteState) -> None:
        if not orm_execute_state.is_select:
            orm_execute_state.session.info[MAY_HAVE_WRITTEN] = True

    @event.listens_for(sessions, "after_transaction_end")
    def _ended(db_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the outermost transaction committed or rolled back
            db_session.info.pop(MAY_HAVE_WRITTEN, None)


def only_read(db_session: Session) -> bool:
    """True when the session's open transaction wrote nothing and holds nothing a commit would flush.

    A view that wrote and then answered with an error page without committing is not this: an HTTPException's
    handler means the teardown sees no exception, so what was written must still be rolled back."""
    transaction = db_session.get_transaction()
    return (
        transaction is not None
        and transaction.is_active  # not a transaction a failed flush left waiting for its rollback
        and not db_session.in_nested_transaction()
        and not db_session.info.get(MAY_HAVE_WRITTEN)
        and not (db_session.new or db_session.dirty or db_session.deleted)
    )


def end_read_only_transaction(db_session: Session) -> None:
    """COMMIT a transaction that only read, where closing the session would ROLLBACK.

    Either ends it the same way for the data, but after a ROLLBACK psycopg forgets every statement it prepared on the
    connection (and sends DEALLOCATE ALL) and restarts counting towards preparing one, so on PostgreSQL the statements
    of pages that only read would be parsed and planned again on every request. On SQLite nothing changes: pysqlite
    opens no transaction for a read, and commits nothing then. A COMMIT that fails (the server went away) loses
    nothing: it is logged and the session closed as before, so the page already rendered is still answered."""
    try:
        db_session.commit()
    except SQLAlchemyError as exc:
        log.warning("a read-only transaction could not be committed; closing it: %s", exc)


def database() -> Database:
    db: Database = current_app.extensions["edu.db"]
    return db


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
    db_session: Session = g.db_session
    return db_session


session: Session = LocalProxy(get_session)  # type: ignore[assignment]
