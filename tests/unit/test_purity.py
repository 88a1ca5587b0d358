"""The pure cores are pure in fact: each imports, in a fresh interpreter, without loading Flask, SQLAlchemy or any
other part of the request and storage layers. Their property and mutation tests rely on it, and so does anyone who
reuses a parser or a grader outside the app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PURE_CORES = (
    "edu.content",  # the course loader and its model
    "edu.content.itemwriting",
    "edu.content.contact_time",
    "edu.content.render",
    "edu.interchange",  # GIFT, Moodle XML, Aiken, YAML banks
    "edu.quizzes.grading",
    "edu.quizzes.grading_methods",
    "edu.results.stats",
    "edu.results.charts",
    "edu.clinics.charts",
    "edu.clinics.roster",
    "edu.certificates.credential",
    "edu.certificates.linkedin",
    "edu.certificates.status_list",
    "edu.certificates.pdf",
    "edu.certificates.qr",
    "edu.certificates.snapshot",
    "edu.storable",
    "edu.presentation",  # how pages and PDFs write dates, times, percentages and CE hours
    "edu.slugs",
    "edu.auth.passwords",
)
LAYERS = ("flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "sqlalchemy", "wtforms", "jinja2")


def layers_loaded_by(module: str) -> list[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(m for m in {LAYERS!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("module", PURE_CORES)
def test_a_pure_core_loads_no_web_or_database_layer(module: str) -> None:
    assert layers_loaded_by(module) == []


def test_the_check_sees_a_module_that_does_load_them() -> None:
    """A service is not pure; if this passed for it, the check above would prove nothing."""
    assert {"flask", "sqlalchemy"} <= set(layers_loaded_by("edu.catalog.seat_time"))
