"""Quality gates on the shipped dry needling course: what an editor of a CE course would check by hand."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from edu.content import load_course, model
from tests.shared_data import REPO, shared_path

COURSE_DIR = REPO / "courses" / "dry-needling"
US_STATES = ["Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "Wisconsin", "Wyoming", "New York", "New Jersey", "New Mexico", "New Hampshire", "North Carolina", "South Carolina", "North Dakota", "South Dakota", "Rhode Island", "West Virginia"]


@pytest.fixture(scope="module")
def course() -> model.Course:
    result = load_course(COURSE_DIR)
    assert result.problems == [], "\n".join(map(str, result.problems))
    assert result.course is not None
    return result.course


def _texts(question: model.Question) -> list[str]:
    parts = [question.prompt, question.rationale or "", question.feedback_wrong or ""]
    for attribute in ("options", "pairs", "items"):
        for item in getattr(question, attribute, ()):
            parts.extend(str(v) for v in item.model_dump().values() if isinstance(v, str))
    parts.extend(getattr(question, "extra_answers", ()))
    return parts


def test_the_course_has_the_eight_modules_in_order(course: model.Course) -> None:
    assert [m.id for m in course.modules] == [
        "foundations",
        "local-twitch-response",
        "motor-endplate",
        "neuropeptides",
        "hyperstimulation-analgesia",
        "safety",
        "scope-of-practice",
        "clinical-use-and-history",
    ]


def test_every_module_has_objectives_lessons_a_figure_and_references(course: model.Course) -> None:
    for module in course.modules:
        assert len(module.objectives) >= 3, module.id
        assert len(module.lessons) >= 3, module.id
        assert any(lesson.figures for lesson in module.lessons), f"{module.id} has no figure"
        assert module.references, module.id
        for lesson in module.lessons:
            assert "[^" in lesson.markdown, f"{lesson.source_path} cites nothing"


def test_every_figure_has_alt_text(course: model.Course) -> None:
    figures = [f for m in course.modules for lesson in m.lessons for f in lesson.figures]
    assert figures
    for figure in figures:
        assert len(figure.alt.split()) >= 4, f"{figure.path}: alt text too thin: {figure.alt!r}"
        if figure.media_type == "image/svg+xml":
            svg = figure.data.decode()
            assert "<title" in svg and 'role="img"' in svg, figure.path


def test_every_question_has_objective_rationale_feedback_and_reference(course: model.Course) -> None:
    reference_ids = {r.id for r in course.references}
    for _module, q in course.questions():
        assert q.objective and q.rationale and q.references, q.id
        assert set(q.references) <= reference_ids, q.id
        if isinstance(q, model.SingleQuestion | model.MultipleQuestion):
            assert all(o.feedback for o in q.options if not o.correct), f"{q.id}: a wrong option lacks feedback"
        else:
            assert q.feedback_wrong, q.id


def test_every_objective_is_assessed_at_least_twice(course: model.Course) -> None:
    assessed = Counter(q.objective for _m, q in course.questions())
    for module in course.modules:
        for objective in module.objectives:
            assert assessed[objective.id] >= 2, f"{objective.id} is assessed {assessed[objective.id]} time(s)"


def test_banks_have_enough_questions_and_a_mix_of_types(course: model.Course) -> None:
    for module in course.modules:
        assert module.bank is not None
        types = Counter(q.type for q in module.bank.questions)
        assert len(module.bank.questions) >= 12, module.id
        assert types["single"] and types["multiple"] >= 2 and types["true_false"] >= 2, (module.id, types)
        assert types["matching"] + types["ordering"] >= 1, (module.id, types)


def test_clinical_vignettes_not_only_recall(course: model.Course) -> None:
    vignette = re.compile(r"\b\d{2}-year-old\b|\bpatient\b|\bclient\b|\bclinician\b|\bcolleague\b|\byou are\b", re.I)
    for module in course.modules:
        assert module.bank is not None
        count = sum(bool(vignette.search(q.prompt)) for q in module.bank.questions)
        assert count >= 4, f"{module.id} has {count} vignette-style questions"


def test_no_all_or_none_of_the_above(course: model.Course) -> None:
    banned = re.compile(r"\b(all|none) of the above\b|\bboth (a|b) and (b|c)\b", re.I)
    for _m, q in course.questions():
        for text in _texts(q):
            assert not banned.search(text), f"{q.id}: {text!r}"


def test_no_question_grades_a_jurisdictions_legal_status_as_a_fixed_fact(course: model.Course) -> None:
    """A key naming a state is allowed only when the stem dates the information it rests on."""
    for _m, q in course.questions():
        keyed: list[str] = []
        if isinstance(q, model.SingleQuestion | model.MultipleQuestion):
            keyed = [o.text for o in q.options if o.correct]
        elif isinstance(q, model.TrueFalseQuestion):
            keyed = [q.prompt]
        for text in keyed:
            states = [s for s in US_STATES if re.search(rf"\b{s}\b", text)]
            if states:
                assert re.search(r"\b(19|20)\d\d\b", q.prompt), f"{q.id}: keys {states} without a dated source in the stem"


def test_final_exam_blueprint_draws_from_every_module_with_safety_and_scope_minimums(course: model.Course) -> None:
    exam = course.final_exam
    assert exam is not None
    assert {d.module for d in exam.draw} == {m.id for m in course.modules}
    minimums = {m.tag: m.count for m in exam.minimums}
    assert minimums.get("safety", 0) >= 6 and minimums.get("scope", 0) >= 4
    tagged = Counter(tag for _m, q in course.questions() for tag in q.tags)
    assert tagged["safety"] >= 2 * minimums["safety"] and tagged["scope"] >= 2 * minimums["scope"]


def test_ce_hours_match_reading_and_assessment_time(course: model.Course) -> None:
    """Contact time = reading time (180 wpm) + the time limits of every module quiz and the final exam."""
    reading = sum(lesson.reading_minutes for m in course.modules for lesson in m.lessons)
    quizzes = sum(m.quiz.time_limit_minutes or 0 for m in course.modules if m.quiz)
    exam = course.final_exam.time_limit_minutes if course.final_exam else 0
    contact_hours = (reading + quizzes + (exam or 0)) / 60
    assert abs(course.ce_hours - contact_hours) / contact_hours <= 0.15, (course.ce_hours, round(contact_hours, 2))
    for module in course.modules:
        for lesson in module.lessons:
            assert 3 <= lesson.reading_minutes <= 12, f"{lesson.source_path}: {lesson.reading_minutes} min"


def _eight_word_runs(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i : i + 8]) for i in range(len(words) - 7)}


def test_no_eight_word_run_is_copied_from_a_seed_post() -> None:
    """The course is in its own words. Exempt: the exact titles of the papers in references.yaml, which a
    seed's own reference list may also contain (a citation, and a footnote that repeats it, must reproduce a title)."""
    seeds = shared_path("seeds")
    seed_runs: set[str] = set()
    for path in seeds.glob("*.txt"):
        seed_runs |= _eight_word_runs(path.read_text(errors="ignore"))
    assert seed_runs
    for reference in yaml.safe_load((COURSE_DIR / "references.yaml").read_text())["references"]:
        seed_runs -= _eight_word_runs(reference["citation"])
    copied = {}
    for path in COURSE_DIR.rglob("*"):
        if path.suffix not in {".md", ".yaml", ".svg"}:
            continue
        text = path.read_text()
        if path.name == "references.yaml":
            text = "\n".join(
                str(v) for r in yaml.safe_load(text)["references"] for k, v in r.items() if k != "citation"
            )
        if shared := _eight_word_runs(text) & seed_runs:
            copied[str(path.relative_to(COURSE_DIR))] = sorted(shared)[:3]
    assert copied == {}


def test_every_percentage_the_course_states_is_in_the_checked_fact_base() -> None:
    """Never invent a statistic: each percentage must appear in the editors' checked fact base."""
    facts = shared_path("syllabus", "domain-facts.md").read_text()
    unknown = set()
    for path in COURSE_DIR.rglob("*"):
        if path.suffix in {".md", ".yaml", ".svg"}:
            for figure in re.findall(r"\d+(?:\.\d+)?\s?%", path.read_text()):
                if figure.replace(" ", "") not in facts:
                    unknown.add((path.name, figure))
    assert unknown == set()


def test_mechanisms_are_presented_as_proposed(course: model.Course) -> None:
    """The mechanism modules must say, in their own text, that the mechanisms are hypotheses."""
    hedges = re.compile(r"\b(propos\w+|hypothes\w+|in rabbits|in rats|animal|pilot|not (yet )?(established|settled|proven))\b", re.I)
    for module in course.modules:
        if module.id in {"local-twitch-response", "motor-endplate", "neuropeptides", "hyperstimulation-analgesia"}:
            text = " ".join(lesson.markdown for lesson in module.lessons)
            assert len(hedges.findall(text)) >= 5, module.id


def test_glossary_terms_are_defined_once_and_cited(course: model.Course) -> None:
    assert len(course.glossary) >= 30
    terms = [t.term.lower() for t in course.glossary]
    assert len(terms) == len(set(terms))
    assert sum(bool(t.references) for t in course.glossary) >= len(course.glossary) * 0.8


def test_seed_sources_are_not_authorities(course: model.Course) -> None:
    """The blog posts are inputs, never cited as sources."""
    for reference in course.references:
        assert "seed" not in reference.citation.lower(), reference.id
    assert Path(COURSE_DIR / "references.yaml").is_file()
