"""The offline advisory check reads OSV ranges the way OSV defines them (it gates `make test`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "advisories.py"
spec = importlib.util.spec_from_file_location("advisories", SCRIPT)
assert spec and spec.loader
advisories = importlib.util.module_from_spec(spec)
spec.loader.exec_module(advisories)


def ranged(*events: dict[str, str], versions: tuple[str, ...] = ()) -> dict:
    return {"package": {"name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": list(events)}], "versions": list(versions)}


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1", True), ("1.9.9", True), ("2.0", False), ("2.0.1", False), ("3.0", True), ("3.4", True), ("3.4.1", False)],
)
def test_a_version_is_affected_between_introduced_and_fixed_or_up_to_last_affected(version, expected):
    affected = ranged({"introduced": "0"}, {"fixed": "2.0"}, {"introduced": "3.0"}, {"last_affected": "3.4"})
    assert advisories.affects(affected, version) is expected


def test_a_listed_version_is_affected_and_an_unparsable_one_is_not_guessed():
    affected = {"package": {"name": "x"}, "ranges": [{"type": "GIT", "events": [{"introduced": "abc"}]}], "versions": ["1.2"]}
    assert advisories.affects(affected, "1.2") is True
    assert advisories.affects(affected, "1.3") is False
    assert advisories.affects(ranged({"introduced": "0"}), "not a version") is False


def test_the_installed_environment_is_clear_of_every_advisory_in_the_extract():
    assert advisories.findings(advisories.installed()) == []
    assert advisories.findings({"flask": "0.12.2"}), "an old Flask must be found (the extract is read at all)"


def test_every_ignored_advisory_has_a_reason_and_exists():
    ids = {path.stem for path in (SCRIPT.parent / "advisories").glob("*/*.yaml")}
    for advisory, reason in advisories.reviewed().items():
        assert advisory in ids and len(reason) > 40
