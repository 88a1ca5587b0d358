"""Backups of the embedded (SQLite) database: `flask backup create FILE` and `flask backup restore FILE`.

SQLite's online backup API copies a consistent snapshot page by page while the app keeps serving (readers and
writers are not blocked for the whole copy), so a backup never catches half a submit or half an issued certificate.
A restore checks the file first (integrity check, a schema Alembic knows) and refuses to overwrite a database
that already holds data unless told to. PostgreSQL is backed up with its own tools (`pg_dump`, see README.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

PAGES_PER_STEP = 256

backup = AppGroup("backup", help="Back up and restore the embedded SQLite database (PostgreSQL: use pg_dump).")


class BackupError(click.ClickException):
    pass


def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise BackupError(
            "This database is not SQLite: back up PostgreSQL with pg_dump and restore it with pg_restore (README.md)."
        )
    return Path(url.removeprefix("sqlite:///"))


def copy_database(source: sqlite3.Connection, target: sqlite3.Connection, progress: Callable[[int, int], None]) -> None:
    """Page-by-page online copy; `progress(done, total)` after each step."""

    def step(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def check_backup(path: Path) -> str:
    """The Alembic revision of a sound backup file, or BackupError saying what is wrong with it."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a database backup: {exc}") from None
    if revision is None:
        raise BackupError(f"{path} has no schema revision: it was not made from this application's database.")
    return str(revision[0])


def _has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version'")]
        return any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)  # noqa: S608  # nosec B608


def _with_bar(label: str, run: Callable[[Callable[[int, int], None]], None]) -> None:
    with click.progressbar(length=1, label=label, show_percent=True) as bar:
        seen = [0]

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - seen[0])
            seen[0] = done

        run(progress)


@backup.command("create", help="Write a consistent copy of the SQLite database to FILE (safe while the app runs).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def create(file: Path) -> None:
    source = sqlite_path(str(current_app.config["DATABASE_URL"]))
    if file.exists():
        raise BackupError(f"{file} already exists: choose a new name, so no backup is overwritten.")
    file.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(file) as dst:
        _with_bar("Backing up", lambda progress: copy_database(src, dst, progress))
    revision = check_backup(file)
    click.echo(f"Backed up {source} to {file} (schema {revision}, {file.stat().st_size:,} bytes).")


@backup.command("restore", help="Restore FILE into the configured SQLite database (refuses to overwrite data).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds data.")
def restore(file: Path, replace: bool) -> None:
    target = sqlite_path(str(current_app.config["DATABASE_URL"]))
    revision = check_backup(file)
    if _has_data(target) and not replace:
        raise BackupError(f"{target} already holds data: pass --replace to overwrite it with {file}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(file) as src, sqlite3.connect(target) as dst:
        _with_bar("Restoring", lambda progress: copy_database(src, dst, progress))
    click.echo(f"Restored {file} into {target} (schema {revision}). Run `alembic upgrade head` if the app is newer.")
