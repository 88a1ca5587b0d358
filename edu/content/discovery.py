"""Which folders are courses: a folder with course.yaml, or every child of one that holds several."""

from __future__ import annotations

from pathlib import Path


def course_dirs(target: Path) -> list[Path]:
    if (target / "course.yaml").is_file():
        return [target]
    return sorted(p for p in target.iterdir() if p.is_dir() and (p / "course.yaml").is_file()) if target.is_dir() else [target]
