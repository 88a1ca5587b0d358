"""The request-layer ban is a lint rule (ruff's TID251, configured in pyproject.toml): prove it bites.

A planted `from flask import request` is fed to ruff under a service's and a pure core's path and must fail the lint;
the same line under a view's path must pass (views are where the request belongs).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLANTED = {
    "flask.request": "from flask import request\n\n\ndef handle() -> object:\n    return request.args\n",
    "flask_login.current_user": "from flask_login import current_user\n\n\ndef who() -> object:\n    return current_user\n",
    "flask.flash": "from flask import flash\n\n\ndef tell() -> None:\n    flash('done')\n",
}


def _ruff() -> str:
    found = Path(sys.executable).with_name("ruff")
    if found.exists():
        return str(found)
    on_path = shutil.which("ruff")
    if on_path is None:
        pytest.skip("ruff is not installed in this environment (make install adds it)")
    return on_path


def _lint(source: str, as_path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_ruff(), "check", "--no-cache", "--select", "TID251", "--stdin-filename", as_path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("banned", sorted(PLANTED))
@pytest.mark.parametrize("as_path", ["edu/clinics/invitations.py", "edu/quizzes/grading.py", "edu/certificates/issuance.py"])
def test_a_service_or_pure_core_that_reaches_for_the_request_layer_fails_the_lint(banned: str, as_path: str) -> None:
    result = _lint(PLANTED[banned], as_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TID251" in result.stdout and f"`{banned}` is banned" in result.stdout


@pytest.mark.parametrize("as_path", ["edu/clinics/views.py", "edu/quizzes/instructor_views.py"])
def test_a_view_may_use_the_request(as_path: str) -> None:
    result = _lint(PLANTED["flask.request"], as_path)
    assert result.returncode == 0, result.stdout + result.stderr
