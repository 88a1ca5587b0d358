"""Alembic: upgrade from empty, no drift against the models, downgrade to base — on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, create_engine, inspect, text

from edu.db import Base, make_engine
from tests.conftest import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        with fresh_postgres_database("edu_migrations") as url:
            yield url


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    return config


def test_upgrade_check_and_downgrade(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
        tables = set(inspect(conn).get_table_names())
    assert set(Base.metadata.tables) <= tables
    command.check(config)  # the same drift check `alembic check` runs
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            triggers = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        assert "certificates_no_delete" in triggers
    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_every_foreign_key_and_lookup_column_is_indexed() -> None:
    """Each foreign key is either indexed or leads a unique constraint / index (lookup paths are index-backed)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    missing = []
    for table in Base.metadata.sorted_tables:
        leading = {next(c.name for c in index.columns) for index in table.indexes if len(index.columns)}
        leading |= {
            next(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and len(constraint.columns)
        }
        leading |= {c.name for c in table.columns if c.index or c.unique}
        for fk in table.foreign_keys:
            if fk.parent.name not in leading:
                missing.append(f"{table.name}.{fk.parent.name}")
    engine.dispose()
    assert missing == []
