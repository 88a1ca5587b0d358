"""Alembic environment: the URL comes from config.py (or the caller's connection, in tests)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

import config as settings
import edu.models  # noqa: F401 - registers every table on Base.metadata
from edu.db import Base, make_engine

alembic_config = context.config
if alembic_config.config_file_name is not None and not alembic_config.attributes.get("skip_logging"):
    fileConfig(alembic_config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, dropping a table that other
        # rows reference fails, so a populated database could not be upgraded. SQLite's documented procedure: switch
        # enforcement off outside the transaction, migrate, then prove every reference still resolves.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end the transaction the PRAGMA began, so the migrations' own one commits
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left {len(broken)} broken foreign key reference(s): {broken[:5]}")
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def run_offline() -> None:
    context.configure(
        url=alembic_config.attributes.get("url") or settings.database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = alembic_config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = alembic_config.attributes.get("url") or settings.database_url()
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
