"""`python -m edu.content check [PATH]` and `python -m edu.content schema`: the loader without the app."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from . import model
from .checking import failures, notes
from .discovery import course_dirs
from .loader import load_course


def main(argv: list[str]) -> int:
    if argv[:1] == ["schema"]:
        documents: list[tuple[str, type[BaseModel]]] = [
            ("course.yaml", model.CourseFile),
            ("references.yaml", model.ReferencesFile),
            ("module.yaml", model.ModuleFile),
            ("lesson front matter", model.LessonFrontMatter),
            ("question bank", model.BankFile),
            ("glossary.yaml", model.GlossaryFile),
        ]
        schemas = {name: cls.model_json_schema() for name, cls in documents}
        print(json.dumps(schemas, indent=2))
        return 0
    if argv[:1] == ["check"]:
        target = Path(argv[1]) if len(argv) > 1 else Path("courses")
        failed = False
        for folder in course_dirs(target):
            result = load_course(folder)
            for line in notes(result):
                print(line)
            found = failures(result)
            for line in found:
                print(line)
            failed = failed or bool(found)
        return 1 if failed else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
