"""Where the project's shared test inputs live (Moodle fixtures, Open Badges schemas, seed posts).

They sit in a `shared/` folder beside the repository and are never copied into it. In a user's own
clone that folder is absent, and the tests that need it skip with that reason. SHARED_DIR overrides the place
(`make mutation` runs the tests from a copy of the tree in mutants/, one level deeper).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR") or REPO.parent / "shared")


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not present at {path} (it lives beside the repository, not in it)")
    return path
