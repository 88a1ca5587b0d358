"""Alembic: upgrade from empty, no drift against the models, downgrade to base — on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, create_engine, inspect, text

from edu.db import Base, make_engine
from tests.migration_helpers import alembic_config


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


FIRST_REVISION = "701317e66590"


def _value(column, index: int):  # type: ignore[no-untyped-def]
    """A plain value of the column's type (row `index` of its table)."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, Numeric, String

    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return index
    if isinstance(kind, Numeric):
        return Decimal("1.50")
    if isinstance(kind, DateTime) or "DateTime" in type(kind).__name__:
        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2026, 1, 2)
    if isinstance(kind, JSON):
        return {"kept": index}
    if isinstance(kind, LargeBinary):
        return b"\x00kept"
    if isinstance(kind, String):
        length = getattr(kind, "length", None) or 40
        return f"kept-{column.name}-{index}"[:length]
    return f"kept-{index}"


def test_upgrading_from_the_first_revision_keeps_every_row(empty_database: str) -> None:
    """Fill every table of the first schema with data, upgrade to head, and find every value where it was."""
    from sqlalchemy import MetaData, select
    from sqlalchemy.sql.ddl import sort_tables

    config = alembic_config(empty_database)
    command.upgrade(config, FIRST_REVISION)
    engine = make_engine(empty_database)
    first = MetaData()
    first.reflect(engine)
    written: dict[str, list[dict[str, object]]] = {}

    def optional(fk) -> bool:  # type: ignore[no-untyped-def]
        """A nullable foreign key (a ForeignKey from sort_tables, or a ForeignKeyConstraint)."""
        columns = fk.columns if hasattr(fk, "columns") else [fk.parent]
        return all(c.nullable for c in columns)

    # Nullable foreign keys (a course's current version, a question's current version) close cycles: insert in the
    # order of the required ones, then point the optional ones at rows that exist.
    tables = [t for t in sort_tables(first.tables.values(), skip_fn=optional) if t.name != "alembic_version"]
    with engine.begin() as conn:
        for table in tables:
            later = {c.name for fk in table.foreign_key_constraints if optional(fk) for c in fk.columns}
            rows = [{c.name: _value(c, i) for c in table.columns} for i in (1, 2)]
            conn.execute(table.insert(), [{k: (None if k in later else v) for k, v in row.items()} for row in rows])
            written[table.name] = rows
        for table in tables:
            later = {c.name for fk in table.foreign_key_constraints if optional(fk) for c in fk.columns}
            pk = next(iter(table.primary_key.columns))
            for row in written[table.name] if later else []:
                conn.execute(table.update().where(pk == row[pk.name]).values({k: row[k] for k in later}))
    command.upgrade(config, "head")
    head = MetaData()
    head.reflect(engine)
    with engine.connect() as conn:
        for name, rows in written.items():
            table = head.tables[name]
            found = [dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
            assert len(found) == len(rows), name
            for before, after in zip(rows, found, strict=True):
                for column, value in before.items():
                    got = after[column]
                    if hasattr(value, "tzinfo") and value.tzinfo is not None and getattr(got, "tzinfo", 1) is None:
                        value = value.replace(tzinfo=None)
                    assert got == value, (name, column, value, got)
    engine.dispose()
