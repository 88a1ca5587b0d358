"""Alembic from the tests: a configuration bound to one database, and a database brought to just before a
revision, so a migration's data step can be tried on rows written the way the schema before it stored them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[1]


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    return config


def upgraded_to_just_before(url: str, revision: str) -> Config:
    """Upgrade `url` to the revision before `revision`; returns the configuration for the next step."""
    config = alembic_config(url)
    before = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(before, str)
    command.upgrade(config, before)
    return config
