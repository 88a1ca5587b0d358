"""The pure content loader: each check, with the bad input it catches and the line it names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edu.content import load_course
from edu.content.model import reading_minutes

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "courses" / "mini"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems(folder: Path) -> list[str]:
    return [str(p) for p in load_course(folder, display_root="mini").problems]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_fixture_course_loads_cleanly(course: Path) -> None:
    result = load_course(course)
    assert result.problems == []
    assert result.course is not None
    assert [m.id for m in result.course.modules] == ["basics"]
    lesson = result.course.modules[0].lessons[0]
    assert lesson.title == "The first lesson"
    assert lesson.figures[0].alt == "A diagram of a taut band"
    assert len(result.course.content_hash) == 64


def test_content_hash_changes_with_any_file_and_only_then(course: Path) -> None:
    first = load_course(course).course
    again = load_course(course).course
    assert first and again and first.content_hash == again.content_hash
    edit(course / "modules/basics/figures/band.svg", "#b55", "#a44")
    changed = load_course(course).course
    assert changed and changed.content_hash != first.content_hash


def test_malformed_yaml_reports_file_and_line(course: Path) -> None:
    bank = course / "modules/basics/questions.yaml"
    edit(bank, "    prompt: Which is right?", "    prompt: [unclosed")
    found = problems(course)
    assert len(found) == 1
    assert found[0].startswith("mini/modules/basics/questions.yaml:")
    assert "invalid YAML" in found[0]


def test_unknown_key_is_named_with_its_line(course: Path) -> None:
    module = course / "modules/basics/module.yaml"
    edit(module, "summary:", "sumary: typo\nsummary:")
    assert f"mini/modules/basics/module.yaml:{line_of(module, 'sumary')}: unknown key 'sumary'" in problems(course)


def test_duplicate_key_is_an_error(course: Path) -> None:
    module = course / "modules/basics/module.yaml"
    edit(module, "title: Basics", "title: Basics\ntitle: Again")
    assert f"mini/modules/basics/module.yaml:{line_of(module, 'title: Again')}: duplicate key 'title'" in problems(course)


def test_missing_required_key(course: Path) -> None:
    edit(course / "course.yaml", "ce_hours: 0.5\n", "")
    assert any("course.yaml:1: missing required key 'ce_hours'" in p for p in problems(course))


def test_every_problem_is_reported_at_once(course: Path) -> None:
    bank = course / "modules/basics/questions.yaml"
    edit(bank, "    objective: basics.one\n    tags: [safety]", "    objective: nowhere\n    tags: [safety]")
    edit(bank, "    references: [ref-one]\n  - id: q-multiple", "    references: [no-such-ref]\n  - id: q-multiple")
    edit(course / "modules/basics/lessons/02-second.md", "id: second", "id: first")
    found = problems(course)
    assert any("objective 'nowhere' is not one of this module's objectives" in p for p in found)
    assert any("unknown reference 'no-such-ref'" in p for p in found)
    assert any("lesson id 'first' is already used" in p for p in found)
    assert len(found) == 3


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      - {id: a, text: Right, correct: true}", "      - {id: a, text: Right}", "exactly one correct option, found 0"),
        (
            "      - {id: b, text: Wrong, feedback: Not this one.}",
            "      - {id: b, text: Wrong}",
            "wrong option 'b' needs feedback",
        ),
        (
            "      - {id: c, text: Also wrong, feedback: Nor this one.}",
            "      - {id: a, text: Also wrong, feedback: Nor this one.}",
            "duplicate option id 'a'",
        ),
        ("    type: single", "    type: essay", "unknown question type"),
        (
            "    rationale: Because.\n    references: [ref-one]\n  - id: q-multiple",
            "    references: [ref-one]\n  - id: q-multiple",
            "missing required key 'rationale'",
        ),
        ("    feedback_wrong: It is blue.\n", "", "missing required key 'feedback_wrong'"),
        (
            "      - {id: p2, prompt: Dog, answer: Woof}",
            "      - {id: p2, prompt: Dog, answer: Meow}",
            "matching answers must be distinct",
        ),
        ("  - id: q-multiple", "  - id: q-single", "question id 'q-single' is already used"),
    ],
)
def test_question_checks(course: Path, old: str, new: str, message: str) -> None:
    edit(course / "modules/basics/questions.yaml", old, new)
    found = problems(course)
    assert any(message in p and p.startswith("mini/modules/basics/questions.yaml:") for p in found), found


def test_question_problem_points_at_the_question_line(course: Path) -> None:
    bank = course / "modules/basics/questions.yaml"
    edit(bank, "      - {id: b, text: Wrong, feedback: Not this one.}", "      - {id: b, text: Wrong}")
    found = problems(course)
    assert f"mini/modules/basics/questions.yaml:{line_of(bank, '{id: b, text: Wrong}')}: wrong option 'b' needs feedback" in found


def test_lesson_without_front_matter(course: Path) -> None:
    (course / "modules/basics/lessons/02-second.md").write_text("No front matter here.\n")
    assert (
        "mini/modules/basics/lessons/02-second.md:1: a lesson must start with front matter between '---' lines (id, title)"
        in problems(course)
    )


def test_figure_without_alt_text(course: Path) -> None:
    lesson = course / "modules/basics/lessons/01-first.md"
    edit(lesson, "![A diagram of a taut band]", "![]")
    assert (
        f"mini/modules/basics/lessons/01-first.md:{line_of(lesson, '![](')}: figure '../figures/band.svg' needs alt text"
        in problems(course)
    )


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("https://example.com/x.png", "must be a file in the course, not a URL"),
        ("../figures/missing.svg", "not found"),
        ("../../../../etc/passwd.png", "points outside the course folder"),
        ("../figures/band.gif", "must be one of"),
    ],
)
def test_bad_figure_sources(course: Path, src: str, message: str) -> None:
    edit(course / "modules/basics/lessons/01-first.md", "../figures/band.svg", src)
    assert any(message in p for p in problems(course)), problems(course)


def test_svg_with_script_is_refused(course: Path) -> None:
    (course / "modules/basics/figures/band.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>')
    assert any("contains script" in p for p in problems(course))


def test_missing_module_folder(course: Path) -> None:
    edit(course / "course.yaml", "modules: [basics]", "modules: [basics, ghost]")
    assert "mini/course.yaml:7: module folder modules/ghost/module.yaml not found" in problems(course)


def test_module_id_must_match_folder(course: Path) -> None:
    edit(course / "modules/basics/module.yaml", "id: basics", "id: other")
    assert any("module id 'other' does not match its folder name 'basics'" in p for p in problems(course))


def test_quiz_cannot_draw_more_than_the_bank_holds(course: Path) -> None:
    edit(course / "modules/basics/module.yaml", "questions: 3", "questions: 9")
    assert any("the quiz draws 9 questions but the bank has 5" in p for p in problems(course))


def test_final_exam_blueprint_checks(course: Path) -> None:
    edit(course / "course.yaml", "minimums: [{tag: safety, count: 1}]", "minimums: [{tag: safety, count: 4}]")
    edit(course / "course.yaml", "draw: [{module: basics, count: 2}]", "draw: [{module: basics, count: 2}]\n  title: Final")
    found = problems(course)
    assert any("final exam needs 4 questions tagged 'safety' but the pool has 1" in p for p in found), found


def test_final_exam_draws_must_add_up(course: Path) -> None:
    edit(course / "course.yaml", "  questions: 2\n", "  questions: 3\n")
    assert any("draw counts add up to 2, but questions is 3" in p for p in problems(course))


def test_unknown_glossary_reference_and_duplicate_term(course: Path) -> None:
    (course / "glossary.yaml").write_text(
        "terms:\n  - term: Taut band\n    definition: x\n    references: [nope]\n  - term: taut band\n    definition: y\n"
    )
    found = problems(course)
    assert "mini/glossary.yaml:4: unknown reference 'nope'" in found
    assert "mini/glossary.yaml:5: term 'taut band' is defined twice" in found


def test_duplicate_reference_id(course: Path) -> None:
    (course / "references.yaml").write_text("references:\n  - id: ref-one\n    citation: A\n  - id: ref-one\n    citation: B\n")
    assert "mini/references.yaml:4: duplicate reference id 'ref-one'" in problems(course)


def test_invalid_utf8(course: Path) -> None:
    (course / "modules/basics/lessons/02-second.md").write_bytes(b"---\nid: second\ntitle: T\n---\n\xff\xfe")
    assert "mini/modules/basics/lessons/02-second.md:5: file is not valid UTF-8" in problems(course)


def test_not_a_mapping(course: Path) -> None:
    (course / "course.yaml").write_text("- just\n- a list\n")
    assert problems(course) == ["mini/course.yaml:1: expected a mapping at the top of course.yaml"]


def test_yaml_tags_that_build_objects_are_refused(course: Path) -> None:
    edit(course / "course.yaml", "title: A miniature course for tests", "title: !!python/object/apply:os.system ['true']")
    assert any("invalid YAML" in p for p in problems(course))


def test_reading_minutes() -> None:
    assert reading_minutes(0) == 1
    assert reading_minutes(180) == 1
    assert reading_minutes(900) == 5
