"""Read a course folder into a validated, frozen `Course`, collecting every problem at once.

Pure: no Flask, no database. `load_course` never raises for bad content; it returns the problems
(each `file:line: message`) and a course only when there are none.

Why one module of this length: every check reports into the same list of problems with the same
file:line positions, and reading a course is one pass over its folder; split, the passes would each re-read the
files or pass the half-built course around.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import itemwriting, model
from .yamlsource import Located, YamlError, load

MAX_FILE_BYTES = 2 * 1024 * 1024
FIGURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}

_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.S)
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:", re.M)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LoadResult:
    course: model.Course | None
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    """Item-writing findings: the course loads, but `courses check` fails until each is fixed or waived."""
    waived: list[Problem] = field(default_factory=list)
    """Findings an author waived, with the reason as the message."""
    figures: dict[str, itemwriting.BankFigures] = field(default_factory=dict)
    """Per bank id, and "(course)" for every bank together."""


class _Collector:
    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root.resolve()
        self.display_root = display_root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.waived: list[Problem] = []
        self.figures: dict[str, itemwriting.BankFigures] = {}
        self.question_lines: dict[str, tuple[Path, int]] = {}
        """Where each question's id is written, for findings that span banks."""
        self.broken_banks: set[str] = set()
        """Modules whose bank failed to load: counts that depend on it would only add noise."""
        self.hash = hashlib.sha256()

    def display(self, path: Path) -> str:
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        return f"{self.display_root}/{rel}" if self.display_root else rel

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.display(path), line, message))

    def finding(self, path: Path, line: int, found: itemwriting.Finding, waive: Mapping[Any, str]) -> None:
        """Report an item-writing finding, or record its waiver and the author's reason."""
        if found.check in waive:
            self.waived.append(Problem(self.display(path), line, f"waived {found.check}: {waive[found.check]}"))
        else:
            self.warnings.append(Problem(self.display(path), line, f"warning: {found.check}: {found.message}"))

    def read(self, path: Path) -> bytes | None:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            self.add(path, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
            return None
        data = path.read_bytes()
        self.hash.update(path.relative_to(self.root).as_posix().encode() + b"\0" + data + b"\0")
        return data

    def read_text(self, path: Path) -> str | None:
        data = self.read(path)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.add(path, line, "file is not valid UTF-8")
            return None

    def inside(self, base: Path, relative: str, origin: Path, line: int) -> Path | None:
        """Resolve `relative` against `base`; refuse anything that escapes the course folder."""
        if PurePosixPath(relative).is_absolute() or "\\" in relative:
            self.add(origin, line, f"path {relative!r} must be relative, with forward slashes")
            return None
        target = (base / relative).resolve()
        if not target.is_relative_to(self.root):
            self.add(origin, line, f"path {relative!r} points outside the course folder")
            return None
        return target

    def parse(self, path: Path, schema: type[M]) -> tuple[M | None, Located | None]:
        text = self.read_text(path)
        if text is None:
            if not path.exists():
                self.add(path, 1, "file not found")
            return None, None
        try:
            located = load(text)
        except YamlError as exc:
            self.add(path, exc.line, exc.message)
            return None, None
        for line, message in located.duplicates:
            self.add(path, line, message)
        if not isinstance(located.data, dict):
            self.add(path, 1, f"expected a mapping at the top of {path.name}")
            return None, located
        try:
            return schema.model_validate(located.data), located
        except ValidationError as exc:
            for error in exc.errors():
                self.add(path, located.line_for(error["loc"]), _message(error))
            return None, located


def _message(error: Any) -> str:
    loc = [str(p) for p in error["loc"] if not (isinstance(p, str) and p in model.QUESTION_TYPES)]
    where = ".".join(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" if loc else "unknown key"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing required key"
    text = str(error["msg"]).removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        text = f"unknown question type; expected one of: {', '.join(model.QUESTION_TYPES)}"
    return f"{where}: {text}" if where else text


def load_course(path: Path | str, display_root: str | None = None) -> LoadResult:
    shown = display_root if display_root is not None else Path(path).as_posix().rstrip("/")
    root = Path(path).resolve()
    c = _Collector(root, shown)
    course_path = root / "course.yaml"
    course_file, course_lines = c.parse(course_path, model.CourseFile)
    if course_file is None or course_lines is None:
        return LoadResult(None, c.problems, c.warnings, c.waived, c.figures)

    references: tuple[model.Reference, ...] = ()
    if course_file.references:
        references_path = c.inside(root, course_file.references, course_path, course_lines.line_for(("references",)))
        if references_path is not None:
            references_file, references_lines = c.parse(references_path, model.ReferencesFile)
            if references_file is not None and references_lines is not None:
                references = references_file.references
                ids = [r.id for r in references]
                _check_unique(c, references_path, references_lines, ids, "references", "reference")
    reference_ids = {r.id for r in references}

    modules: list[model.Module] = []
    objective_owner: dict[str, str] = {}
    lesson_ids: dict[str, Path] = {}
    question_ids: dict[str, Path] = {}
    bank_ids: dict[str, Path] = {}
    for index, module_id in enumerate(course_file.modules):
        module_dir = root / "modules" / module_id
        module_yaml = module_dir / "module.yaml"
        if not module_yaml.is_file():
            c.add(
                course_path, course_lines.line_for(("modules", index)), f"module folder modules/{module_id}/module.yaml not found"
            )
            continue
        loaded = _load_module(c, module_dir, module_id, reference_ids, objective_owner, lesson_ids, question_ids, bank_ids)
        if loaded is not None:
            modules.append(loaded)
        else:
            c.broken_banks.add(module_id)

    if len(set(course_file.modules)) != len(course_file.modules):
        c.add(course_path, course_lines.line_for(("modules",)), "a module is listed twice")

    if course_file.final_exam is not None:
        _check_final_exam(c, course_path, course_lines, course_file.final_exam, modules)

    glossary: tuple[model.GlossaryTerm, ...] = ()
    if course_file.glossary:
        glossary_path = c.inside(root, course_file.glossary, course_path, course_lines.line_for(("glossary",)))
        if glossary_path is not None:
            glossary_file, glossary_lines = c.parse(glossary_path, model.GlossaryFile)
            if glossary_file is not None and glossary_lines is not None:
                glossary = glossary_file.terms
                for i, term in enumerate(glossary):
                    for j, ref in enumerate(term.references):
                        if ref not in reference_ids:
                            c.add(
                                glossary_path,
                                glossary_lines.line_for(("terms", i, "references", j)),
                                f"unknown reference {ref!r}",
                            )
                lowered = [t.term.lower() for t in glossary]
                for i, name in enumerate(lowered):
                    if name in lowered[:i]:
                        c.add(glossary_path, glossary_lines.line_for(("terms", i)), f"term {glossary[i].term!r} is defined twice")

    _check_items_across_banks(c, modules, course_path, course_file.final_exam, course_lines)

    if c.problems:
        return LoadResult(None, c.problems, c.warnings, c.waived, c.figures)
    course = model.Course(
        id=course_file.id,
        title=course_file.title,
        version=course_file.version,
        summary=course_file.summary,
        ce_hours=course_file.ce_hours,
        published=course_file.published,
        provider=course_file.provider,
        audience=course_file.audience,
        objectives=course_file.objectives,
        completion=course_file.completion,
        certificate=course_file.certificate,
        modules=tuple(modules),
        final_exam=course_file.final_exam,
        glossary=glossary,
        references=references,
        content_hash=c.hash.hexdigest(),
    )
    return LoadResult(course, [], c.warnings, c.waived, c.figures)


def _check_unique(c: _Collector, path: Path, lines: Located, ids: list[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            c.add(path, lines.line_for((key, i)), f"duplicate {what} id {ident!r}")
        seen.add(ident)


def _load_module(
    c: _Collector,
    module_dir: Path,
    module_id: str,
    reference_ids: set[str],
    objective_owner: dict[str, str],
    lesson_ids: dict[str, Path],
    question_ids: dict[str, Path],
    bank_ids: dict[str, Path],
) -> model.Module | None:
    module_yaml = module_dir / "module.yaml"
    module_file, lines = c.parse(module_yaml, model.ModuleFile)
    if module_file is None or lines is None:
        return None
    if module_file.id != module_id:
        c.add(module_yaml, lines.line_for(("id",)), f"module id {module_file.id!r} does not match its folder name {module_id!r}")
    objective_ids = set()
    for i, objective in enumerate(module_file.objectives):
        where = lines.line_for(("objectives", i, "id"))
        if objective.id in objective_owner:
            c.add(
                module_yaml, where, f"objective id {objective.id!r} is already used in module {objective_owner[objective.id]!r}"
            )
        objective_owner[objective.id] = module_id
        objective_ids.add(objective.id)
    for i, ref in enumerate(module_file.references):
        if ref not in reference_ids:
            c.add(module_yaml, lines.line_for(("references", i)), f"unknown reference {ref!r}")

    lessons: list[model.Lesson] = []
    for i, lesson_rel in enumerate(module_file.lessons):
        lesson_path = c.inside(module_dir, lesson_rel, module_yaml, lines.line_for(("lessons", i)))
        if lesson_path is None:
            continue
        if not lesson_path.is_file():
            c.add(module_yaml, lines.line_for(("lessons", i)), f"lesson file {lesson_rel!r} not found")
            continue
        lesson = _load_lesson(c, lesson_path)
        if lesson is None:
            continue
        if lesson.id in lesson_ids:
            c.add(lesson_path, 2, f"lesson id {lesson.id!r} is already used by {c.display(lesson_ids[lesson.id])}")
        lesson_ids[lesson.id] = lesson_path
        lessons.append(lesson)

    bank = None
    if module_file.bank:
        bank_path = c.inside(module_dir, module_file.bank, module_yaml, lines.line_for(("bank",)))
        if bank_path is not None:
            bank = _load_bank(c, bank_path, objective_ids, reference_ids, question_ids, bank_ids)
        if bank is None:
            c.broken_banks.add(module_id)
    if module_file.quiz is not None and module_id not in c.broken_banks:
        available = len(bank.questions) if bank else 0
        if module_file.quiz.questions > available:
            c.add(
                module_yaml,
                lines.line_for(("quiz", "questions")),
                f"the quiz draws {module_file.quiz.questions} questions but the bank has {available}",
            )
    return model.Module(
        id=module_file.id,
        title=module_file.title,
        summary=module_file.summary,
        objectives=module_file.objectives,
        lessons=tuple(lessons),
        bank=bank,
        quiz=module_file.quiz,
        references=module_file.references,
    )


def _load_lesson(c: _Collector, path: Path) -> model.Lesson | None:
    text = c.read_text(path)
    if text is None:
        return None
    match = _FRONT_MATTER.match(text)
    if not match:
        c.add(path, 1, "a lesson must start with front matter between '---' lines (id, title)")
        return None
    try:
        located = load(match.group(1))
    except YamlError as exc:
        c.add(path, exc.line + 1, exc.message)
        return None
    if not isinstance(located.data, dict):
        c.add(path, 2, "front matter must be a mapping with id and title")
        return None
    try:
        front = model.LessonFrontMatter.model_validate(located.data)
    except ValidationError as exc:
        for error in exc.errors():
            c.add(path, located.line_for(error["loc"]) + 1, _message(error))
        return None
    body = text[match.end() :]
    body_offset = text[: match.end()].count("\n")
    figures: list[model.Figure] = []
    for image in _IMAGE.finditer(body):
        line = body_offset + body[: image.start()].count("\n") + 1
        alt = image.group("alt").strip()
        src = image.group("src")
        if not alt:
            c.add(path, line, f"figure {src!r} needs alt text")
        if re.match(r"^[a-z]+:", src):
            c.add(path, line, f"figure {src!r} must be a file in the course, not a URL")
            continue
        target = c.inside(path.parent, src, path, line)
        if target is None:
            continue
        media_type = FIGURE_TYPES.get(target.suffix.lower())
        if media_type is None:
            c.add(path, line, f"figure {src!r} must be one of {', '.join(sorted(FIGURE_TYPES))}")
            continue
        data = c.read(target)
        if data is None:
            if not target.exists():
                c.add(path, line, f"figure {src!r} not found")
            continue
        if media_type == "image/svg+xml" and re.search(rb"<script|\son\w+\s*=|javascript:", data, re.I):
            c.add(path, line, f"figure {src!r} contains script, which is not allowed")
            continue
        rel = target.relative_to(c.root).as_posix()
        figures.append(model.Figure(path=rel, alt=alt, media_type=media_type or mimetypes.guess_type(src)[0] or "", data=data))
    words = model.count_words(_FOOTNOTE_DEF.split(body, maxsplit=1)[0])
    return model.Lesson(
        id=front.id,
        title=front.title,
        source_path=path.resolve().relative_to(c.root).as_posix(),
        markdown=body,
        words=words,
        reading_minutes=model.reading_minutes(words),
        figures=tuple(figures),
    )


def _load_bank(
    c: _Collector,
    path: Path,
    objective_ids: set[str],
    reference_ids: set[str],
    question_ids: dict[str, Path],
    bank_ids: dict[str, Path],
) -> model.Bank | None:
    bank_file, lines = c.parse(path, model.BankFile)
    if bank_file is None or lines is None:
        return None
    if bank_file.bank.id in bank_ids:
        c.add(
            path,
            lines.line_for(("bank", "id")),
            f"bank id {bank_file.bank.id!r} is already used by {c.display(bank_ids[bank_file.bank.id])}",
        )
    bank_ids[bank_file.bank.id] = path
    for i, question in enumerate(bank_file.questions):
        if question.id in question_ids:
            c.add(
                path,
                lines.line_for(("questions", i, "id")),
                f"question id {question.id!r} is already used in {c.display(question_ids[question.id])}",
            )
        question_ids[question.id] = path
        where = ("questions", i)
        c.question_lines[question.id] = (path, lines.line_for((*where, "id")))
        for found in itemwriting.item_findings(question):
            c.finding(path, lines.line_for((*where, "prompt")), found, question.waive)
        for key, message in _authoring_gaps(question):
            c.add(path, lines.line_for((*where, *key)), message)
        if question.objective is not None and question.objective not in objective_ids:
            c.add(
                path,
                lines.line_for(("questions", i, "objective")),
                f"objective {question.objective!r} is not one of this module's objectives",
            )
        for j, ref in enumerate(question.references):
            if ref not in reference_ids:
                c.add(path, lines.line_for(("questions", i, "references", j)), f"unknown reference {ref!r}")
    for found in itemwriting.bank_findings(bank_file.questions):
        c.finding(path, lines.line_for(("bank",)), found, bank_file.bank.waive)
    c.figures[bank_file.bank.id] = itemwriting.bank_figures(bank_file.questions)
    return model.Bank(
        id=bank_file.bank.id,
        title=bank_file.bank.title,
        source_path=path.resolve().relative_to(c.root).as_posix(),
        questions=bank_file.questions,
    )


def _authoring_gaps(question: model.Question) -> list[tuple[tuple[str | int, ...], str]]:
    """What a course question must have beyond what any question may have (the course standard)."""
    gaps: list[tuple[tuple[str | int, ...], str]] = []
    if question.objective is None:
        gaps.append(((), "missing required key 'objective'"))
    if question.rationale is None:
        gaps.append(((), "missing required key 'rationale'"))
    if not question.references:
        gaps.append(((), "missing required key 'references' (at least one reference)"))
    if isinstance(question, model.SingleQuestion | model.MultipleQuestion):
        for j, option in enumerate(question.options):
            if not option.correct and option.feedback is None:
                gaps.append((("options", j), f"wrong option {option.id!r} needs feedback"))
    elif question.feedback_wrong is None:
        gaps.append(((), "missing required key 'feedback_wrong'"))
    return gaps


def _check_final_exam(c: _Collector, path: Path, lines: Located, exam: model.FinalExam, modules: list[model.Module]) -> None:
    by_id = {m.id: m for m in modules}
    pool: list[model.Question] = []
    for i, draw in enumerate(exam.draw):
        module = by_id.get(draw.module)
        where = lines.line_for(("final_exam", "draw", i))
        if draw.module in c.broken_banks:
            continue
        if module is None:
            c.add(path, where, f"final exam draws from unknown module {draw.module!r}")
            continue
        available = len(module.bank.questions) if module.bank else 0
        if draw.count > available:
            c.add(path, where, f"final exam draws {draw.count} from {draw.module!r}, which has {available} questions")
        if module.bank:
            pool.extend(module.bank.questions)
    if c.broken_banks:
        return
    for i, minimum in enumerate(exam.minimums):
        tagged = sum(minimum.tag in q.tags for q in pool)
        if tagged < minimum.count:
            c.add(
                path,
                lines.line_for(("final_exam", "minimums", i)),
                f"final exam needs {minimum.count} questions tagged {minimum.tag!r} but the pool has {tagged}",
            )


def _check_items_across_banks(
    c: _Collector, modules: list[model.Module], course_path: Path, exam: model.FinalExam | None, course_lines: Located
) -> None:
    """Enemies must exist, near-duplicates must be enemies, and every quiz must still be drawable one per group."""
    questions = [q for m in modules if m.bank for q in m.bank.questions]
    known = {q.id for q in questions}
    for q in questions:
        path, line = c.question_lines[q.id]
        for other in q.excludes:
            if other == q.id:
                c.add(path, line, f"question {q.id!r} excludes itself")
            elif other not in known:
                c.add(path, line, f"excludes unknown question {other!r}")
    if c.broken_banks:
        return
    by_id = {q.id: q for q in questions}
    for a, b, score in itemwriting.near_duplicates(questions):
        path, line = c.question_lines[b]
        found = itemwriting.Finding(
            "near-duplicate", f"stem is {score:.0%} like {a!r}: rewrite one, or declare them enemies with excludes", b
        )
        waive = {str(k): v for q in (by_id[a], by_id[b]) for k, v in q.waive.items()}
        c.finding(path, line, found, waive)
    for found in itemwriting.multiple_pattern_findings(questions):
        c.finding(course_path, 1, found, {})
    if questions:
        c.figures["(course)"] = itemwriting.bank_figures(questions)
    for module in modules:
        if module.bank and module.quiz:
            distinct = len(set(itemwriting.enemy_groups_among({q.id: q.excludes for q in module.bank.questions}).values()))
            if distinct < module.quiz.questions:
                path, _line = c.question_lines[module.bank.questions[0].id]
                c.add(path, 1, f"the quiz draws {module.quiz.questions} questions but its enemy groups leave {distinct}")
    if exam is not None:
        by_module = {m.id: m for m in modules}
        pool = [q for d in exam.draw if (m := by_module.get(d.module)) and m.bank for q in m.bank.questions]
        groups = itemwriting.enemy_groups_among({q.id: q.excludes for q in pool})
        for i, draw in enumerate(exam.draw):
            drawn = by_module.get(draw.module)
            if drawn and drawn.bank:
                distinct = len({groups.get(q.id, q.id) for q in drawn.bank.questions})
                if distinct < draw.count:
                    c.add(
                        course_path,
                        course_lines.line_for(("final_exam", "draw", i)),
                        f"final exam draws {draw.count} from {draw.module!r}, whose enemy groups leave {distinct}",
                    )
