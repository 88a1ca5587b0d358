"""The learner's quiz pages through the test client: gating messages, the attempt page and its controls,
autosave JSON, the plain-form fallback, submit and review, no key leaks, and fixed statement counts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edu.auth.models import User
from edu.banks.services import as_model
from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.db import session
from edu.quizzes import grading
from edu.quizzes.models import Attempt, AttemptItem, Quiz, QuizSource
from tests.conftest import MINI_COURSE, csrf_token, login, post_form, sync_folder

FEEDBACK_AND_RATIONALES = [
    "Not this one.",
    "Nor this one.",
    "Not three.",
    "It is blue.",
    "Cats meow.",
    "Count again.",
    "Because.",
    "Observation.",
    "Sounds.",
    "Counting.",
]


def enrol_and_read(app: Flask, slug: str = "mini", email: str = "learner@example.com") -> None:
    with app.app_context():
        learner = session.scalar(select(User).where(User.email == email))
        course = session.scalar(select(Course).where(Course.slug == slug))
        catalog.enrol(learner, course)
        for key in ("first", "second"):
            catalog.complete_lesson(learner, course, key)
        session.commit()


def quiz_id(app: Flask, slug: str = "mini", kind: str = "module") -> int:
    with app.app_context():
        return int(
            session.scalar(
                select(Quiz.id).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug, Quiz.kind == kind)
            )
        )


def all_five_questions(app: Flask) -> None:
    """Make the mini module quiz draw its whole bank, so one page shows every question type."""
    with app.app_context():
        quiz = session.scalar(select(Quiz).where(Quiz.kind == "module"))
        quiz.questions = 5
        session.scalar(select(QuizSource).where(QuizSource.quiz_id == quiz.id)).count = 5
        session.commit()


def start(client: FlaskClient, app: Flask, slug: str = "mini", page: str = "/courses/mini/modules/basics/quiz") -> int:
    response = post_form(client, f"/quizzes/{quiz_id(app, slug)}/start", page=page)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def items_of(app: Flask, attempt_id: int) -> list[tuple[int, str, Any]]:
    """(slot, type, key response) per item."""
    with app.app_context():
        rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.slot)).all()
        return [
            (i.slot, i.question_version.data["type"], grading.key_for(as_model(i.question_version.data))["response"])
            for i in rows
        ]


def autosave(client: FlaskClient, attempt_id: int, slot: int, response: Any, token: str) -> Any:
    return client.post(f"/attempts/{attempt_id}/answers/{slot}", json={"response": response}, headers={"X-CSRFToken": token})


def form_fields(slot: int, kind: str, key: Any) -> dict[str, Any]:
    """What a browser posts for the correct answer with the plain form."""
    name = f"q{slot}"
    if kind == "multiple":
        return {name: key}
    if kind == "true_false":
        return {name: "true" if key else "false"}
    if kind == "matching":
        return {f"{name}-{pair}": answer for pair, answer in key.items()}
    if kind == "ordering":
        return {f"{name}-{item}": str(position) for position, item in enumerate(key, start=1)}
    return {name: key}


# --- the quiz page and gating -----------------------------------------------------------------------------------------


def test_quiz_page_explains_the_rules_and_why_a_learner_cannot_start(app, learner, mini_course):
    page = learner.get("/courses/mini/modules/basics/quiz")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "3 questions, drawn at random" in body and "You pass with 60% or more." in body
    assert "You have 10 minutes once you start" in body and "You may make 2 attempts" in body
    assert "Enrol in the course to take its quizzes." in body and "Start</button>" not in body
    refused = post_form(learner, f"/quizzes/{quiz_id(app)}/start", page="/courses/mini/modules/basics/quiz")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/courses/mini/modules/basics/quiz")
    assert "Enrol in the course" in learner.get(refused.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        user = session.scalar(select(User).where(User.email == "learner@example.com"))
        catalog.enrol(user, session.scalar(select(Course).where(Course.slug == "mini")))
        session.commit()
    body = learner.get("/courses/mini/modules/basics/quiz").get_data(as_text=True)
    assert "Finish the lessons of this module first: you have completed 0 of 2." in body
    exam = learner.get("/courses/mini/final-exam").get_data(as_text=True)
    assert "Pass every module quiz first. Still to pass: Basics: module quiz." in exam
    assert learner.get("/courses/mini/modules/nope/quiz").status_code == 404


def test_course_page_and_lesson_toc_link_the_quizzes(app, learner, mini_course):
    enrol_and_read(app)
    course = learner.get("/courses/mini").get_data(as_text=True)
    assert 'href="/courses/mini/modules/basics/quiz"' in course and 'href="/courses/mini/final-exam"' in course
    lesson = learner.get("/courses/mini/lessons/first").get_data(as_text=True)
    assert 'href="/courses/mini/modules/basics/quiz">Module quiz</a>' in lesson


# --- the attempt page -------------------------------------------------------------------------------------------------


def test_attempt_page_has_accessible_controls_for_every_type_and_reveals_no_key(app, learner, mini_course):
    enrol_and_read(app)
    all_five_questions(app)
    attempt_id = start(learner, app)
    page = learner.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count('<fieldset class="question"') == 5 and body.count("<legend>") == 5
    items = {kind: (slot, key) for slot, kind, key in items_of(app, attempt_id)}
    single, _ = items["single"]
    assert f'type="radio" name="q{single}" value="a"' in body
    assert f'type="checkbox" name="q{items["multiple"][0]}"' in body
    assert f'name="q{items["true_false"][0]}" value="false"' in body
    assert f'<select id="q{items["matching"][0]}-p1"' in body and f'<label for="q{items["matching"][0]}-p1">Cat</label>' in body
    assert f'<select id="q{items["ordering"][0]}-i1"' in body and "Position…" in body
    assert 'data-deadline="' in body and 'role="timer"' in body and 'aria-live="polite"' in body
    assert '<script src="/static/js/quiz.js" defer></script>' in body and "onclick" not in body
    # nothing marks an option correct, and no feedback, rationale or key appears before grading
    assert "correct" not in body.lower()
    for text in FEEDBACK_AND_RATIONALES:
        assert text not in body
    # The ordering question starts in a uniform shuffle, the correct order included (excluding it leaked the key).
    assert " selected>" not in body and " checked>" not in body  # nothing preselected

    token = csrf_token(learner, f"/attempts/{attempt_id}")
    saved = autosave(learner, attempt_id, single, "a", token)
    assert saved.status_code == 200 and set(saved.get_json()) == {"saved", "slot", "saved_at"}
    assert saved.get_json()["saved"] is True
    wrong = autosave(learner, attempt_id, single, "b", token)
    assert set(wrong.get_json()) == {"saved", "slot", "saved_at"}, "a wrong answer says nothing about being wrong"
    body = learner.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'name="q{single}" value="b" checked' in body and "Saved" in body
    assert "correct" not in body.lower() and all(text not in body for text in FEEDBACK_AND_RATIONALES)


def test_autosave_refuses_bad_input_missing_csrf_and_other_learners(app, learner, mini_course, make_user):
    enrol_and_read(app)
    attempt_id = start(learner, app)
    slot, _kind, _key = items_of(app, attempt_id)[0]
    token = csrf_token(learner, f"/attempts/{attempt_id}")
    no_csrf = learner.post(f"/attempts/{attempt_id}/answers/{slot}", json={"response": "a"})
    assert no_csrf.status_code == 400
    bad = learner.post(f"/attempts/{attempt_id}/answers/{slot}", data="not json", headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.get_json()["saved"] is False
    invalid = autosave(learner, attempt_id, slot, {"nested": [1, 2, {"x": None}]}, token)
    assert invalid.status_code == 400 and "is not valid" in invalid.get_json()["message"]
    assert autosave(learner, attempt_id, 99, "a", token).status_code == 404

    make_user("other@example.com")
    other = app.test_client()
    login(other, "other@example.com")
    assert other.get(f"/attempts/{attempt_id}").status_code == 404
    assert other.get(f"/attempts/{attempt_id}/review").status_code == 404
    other_token = csrf_token(other, "/dashboard")
    assert autosave(other, attempt_id, slot, "a", other_token).status_code == 404
    assert post_form(other, f"/attempts/{attempt_id}/submit", page="/dashboard").status_code == 404


def test_closing_the_browser_loses_nothing_the_attempt_resumes_with_saved_answers(app, learner, mini_course):
    enrol_and_read(app)
    attempt_id = start(learner, app)
    slot, _kind, key = items_of(app, attempt_id)[0]
    token = csrf_token(learner, f"/attempts/{attempt_id}")
    assert autosave(learner, attempt_id, slot, key, token).status_code == 200
    # a "new browser": a fresh client logs in again and starts the quiz
    fresh = app.test_client()
    login(fresh, "learner@example.com")
    landing = fresh.get("/courses/mini/modules/basics/quiz").get_data(as_text=True)
    assert "Resume attempt 1" in landing
    assert start(fresh, app) == attempt_id
    body = fresh.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Your attempt in progress was resumed with your saved answers." in body
    assert " checked" in body or " selected" in body


def test_plain_form_save_confirm_and_submit_then_review_follows_the_policy(app, learner, mini_course):
    enrol_and_read(app)
    attempt_id = start(learner, app)
    items = items_of(app, attempt_id)
    page = f"/attempts/{attempt_id}"
    # answer only the first question, and answer it wrongly where possible
    slot, kind, key = items[0]
    fields = form_fields(slot, kind, key)
    saved = post_form(learner, f"/attempts/{attempt_id}/save", {"action": "save", **fields}, page=page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(page)
    assert "Your answers are saved." in learner.get(page).get_data(as_text=True)

    bad_order = (
        {f"q{s}-i1": "1", f"q{s}-i2": "1", f"q{s}-i3": "2"}
        if (s := next((x for x, k, _ in items if k == "ordering"), None))
        else {}
    )
    if bad_order:
        refused = post_form(learner, f"/attempts/{attempt_id}/save", {"action": "save", **fields, **bad_order}, page=page)
        assert "give each item a different position" in learner.get(refused.headers["Location"]).get_data(as_text=True)

    finish = post_form(learner, f"/attempts/{attempt_id}/save", {"action": "finish", **fields}, page=page)
    assert finish.headers["Location"].endswith(f"/attempts/{attempt_id}/confirm")
    confirm = learner.get(finish.headers["Location"]).get_data(as_text=True)
    assert "2 questions not answered" in confirm
    assert f'href="/attempts/{attempt_id}#q-{items[1][0]}">Question {items[1][0]}</a>' in confirm
    done = post_form(learner, f"/attempts/{attempt_id}/submit", page=finish.headers["Location"])
    assert done.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
    review = learner.get(done.headers["Location"]).get_data(as_text=True)
    assert "Your attempt is submitted and graded." in review
    assert "You scored <strong>33%</strong>" in review and "You did not pass this attempt." in review
    assert "Not answered" in review and "By module" in review and "By learning objective" in review
    assert 'href="/courses/mini/lessons/first">The first lesson</a>' in review  # re-read these
    assert "Correct answer" not in review and "Why:" not in review, "no key before passing or the last attempt"
    # a second submit is a no-op that shows the same result
    again = post_form(learner, f"/attempts/{attempt_id}/submit", page=f"/attempts/{attempt_id}/review")
    assert again.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
    assert "You scored <strong>33%</strong>" in learner.get(again.headers["Location"]).get_data(as_text=True)
    assert learner.get(page).headers["Location"].endswith(f"/attempts/{attempt_id}/review")

    # second attempt: everything right -> passed, and now the key and rationale are shown
    second = start(learner, app)
    assert second != attempt_id
    answers: dict[str, Any] = {"action": "finish"}
    for slot, kind, key in items_of(app, second):
        answers.update(form_fields(slot, kind, key))
    post_form(learner, f"/attempts/{second}/save", answers, page=f"/attempts/{second}")
    post_form(learner, f"/attempts/{second}/submit", page=f"/attempts/{second}/confirm")
    review = learner.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert "You scored <strong>100%</strong>" in review and "You passed this attempt." in review
    assert "Correct answer" in review and "Why:" in review
    landing = learner.get("/courses/mini/modules/basics/quiz").get_data(as_text=True)
    assert "Review attempt 1" in landing and "Review attempt 2" in landing and "100%" in landing and "— passed" in landing
    with app.app_context():
        assert session.scalar(select(Attempt).where(Attempt.id == second)).passed is True


def test_feedback_band_appears_on_the_review(app, learner, mini_course):
    enrol_and_read(app)
    with app.app_context():
        quiz = session.scalar(select(Quiz).where(Quiz.kind == "module"))
        quiz.feedback_bands = [{"min": 0, "text": "Re-read the module."}, {"min": 90, "text": "Excellent work."}]
        session.commit()
    attempt_id = start(learner, app)
    post_form(learner, f"/attempts/{attempt_id}/submit", page=f"/attempts/{attempt_id}")
    review = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Re-read the module." in review and "Excellent work." not in review


# --- statement counts ---------------------------------------------------------------------------------------------------


def bigger_course(tmp_path: Path) -> Path:
    """A copy of the mini course whose bank holds 15 questions and whose module quiz draws 12."""
    copy = tmp_path / "big"
    shutil.copytree(MINI_COURSE, copy)
    course = copy / "course.yaml"
    course.write_text(course.read_text().replace("id: mini", "id: big"))
    bank = copy / "modules/basics/questions.yaml"
    header, questions = bank.read_text().split("questions:\n", 1)
    header = header.replace("bank: {id: basics,", "bank: {id: big-basics,")
    copies = [re.sub(r"id: (q-[a-z]+)", rf"id: \1-{n}", questions) for n in range(3)]
    bank.write_text(header + "questions:\n" + "".join(copies))
    module = copy / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("questions: 3", "questions: 12"))
    return copy


def measure(client: FlaskClient, app: Flask, slug: str, count_queries: Any) -> dict[str, int]:
    attempt_id = start(client, app, slug, page=f"/courses/{slug}/modules/basics/quiz")
    items = items_of(app, attempt_id)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    slot, _kind, key = items[0]
    counts: dict[str, int] = {"questions": len(items)}
    with count_queries() as q:
        assert client.get(f"/attempts/{attempt_id}").status_code == 200
    counts["page"] = len(q)
    with count_queries() as q:
        assert autosave(client, attempt_id, slot, key, token).status_code == 200
    counts["autosave"] = len(q)
    with count_queries() as q:
        assert client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code == 302
    counts["submit"] = len(q)
    with count_queries() as q:
        assert client.get(f"/attempts/{attempt_id}/review").status_code == 200
    counts["review"] = len(q)
    return counts


def test_attempt_page_autosave_and_submit_use_a_fixed_number_of_statements(app, learner, mini_course, count_queries, tmp_path):
    sync_folder(app, bigger_course(tmp_path))
    enrol_and_read(app, "mini")
    enrol_and_read(app, "big")
    small = measure(learner, app, "mini", count_queries)
    big = measure(learner, app, "big", count_queries)
    assert (small["questions"], big["questions"]) == (3, 12)
    for what in ("page", "autosave", "submit", "review"):
        assert small[what] == big[what], (what, small, big)
    assert small["page"] <= 4 and small["autosave"] <= 6 and small["submit"] <= 6, small
    print(f"\nstatements (3 vs 12 questions): {small} / {big}")


# --- Markdown in items, and the review policy stated first ------------------------------------------------------------

MARKDOWN_BANK = {
    "prompt: Which is right?": 'prompt: "Which is **right**? See [the guide](https://example.com/guide). <script>alert(1)</script>"',
    "{id: a, text: Right, correct: true}": '{id: a, text: "**Right**", correct: true}',
    "{id: b, text: Wrong, feedback: Not this one.}": '{id: b, text: "*Wrong* <script>alert(2)</script>", feedback: "Not **this** one."}',
    "{id: c, text: Also wrong, feedback: Nor this one.}": '{id: c, text: "[Also wrong](https://example.com/c)", feedback: Nor this one.}',
    "rationale: Because.\n    references: [ref-one]\n  - id: q-multiple": (
        'rationale: "Because **reasons**."\n    references: [ref-one]\n  - id: q-multiple'
    ),
    "{id: p1, prompt: Cat, answer: Meow}": '{id: p1, prompt: "**Cat**", answer: "*Meow*"}',
    "{id: i1, text: First}": '{id: i1, text: "**First**"}',
}
"""The mini bank's single-answer question, a matching pair and an ordering step written with Markdown, a link and
raw HTML (a script) in the prompt, the options, a feedback and the rationale."""


def markdown_course(tmp_path: Path, option_feedback: bool = True) -> Path:
    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    bank = copy / "modules/basics/questions.yaml"
    text = bank.read_text()
    for plain, marked in MARKDOWN_BANK.items():
        assert text.count(plain) == 1, plain
        text = text.replace(plain, marked)
    bank.write_text(text)
    if option_feedback:
        module = copy / "modules/basics/module.yaml"
        module.write_text(module.read_text().replace("attempts: 2}", "attempts: 2, option_feedback: true}"))
    return copy


def no_script_and_no_paragraph_in_a_label(body: str) -> None:
    assert "<script>alert" not in body and "&lt;script&gt;alert(" in body, "raw HTML is shown as text, never run"
    assert not re.search(r"<label[^>]*>(?:(?!</label>).)*<p>", body, re.S), "an option is inline: no <p> in a label"


def test_items_show_their_markdown_rendered_and_sanitised_on_every_page(app, learner, make_user, teach, tmp_path):
    """Prompts, options, matching prompts and answers, ordering steps, feedback and rationale are Markdown: the
    attempt, confirm and review pages (and the instructor's view of the attempt) render them as the bank's preview
    does; before, learners saw `**right**` and `<script>` as typed."""
    sync_folder(app, markdown_course(tmp_path))
    enrol_and_read(app)
    all_five_questions(app)
    attempt_id = start(learner, app)
    items = {kind: slot for slot, kind, _key in items_of(app, attempt_id)}
    single, matching, ordering = items["single"], items["matching"], items["ordering"]
    guide = '<a href="https://example.com/guide" rel="noopener noreferrer">the guide</a>'

    body = learner.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'<div class="prompt prose" id="q-{single}-prompt"><p>Which is <strong>right</strong>? See {guide}.' in body
    assert f'aria-labelledby="q-{single}-number q-{single}-prompt"' in body, "the group is still named by its prompt"
    assert 'value="a"> <span><strong>Right</strong></span></label>' in body
    assert 'value="b"> <span><em>Wrong</em> &lt;script&gt;alert(2)&lt;/script&gt;</span></label>' in body
    assert 'value="c"> <span><a href="https://example.com/c" rel="noopener noreferrer">Also wrong</a></span></label>' in body
    assert f'<label for="q{matching}-p1"><strong>Cat</strong></label>' in body
    assert '<option value="*Meow*">Meow</option>' in body, "a select's option shows the words; the value is as written"
    assert f'<label for="q{ordering}-i1"><strong>First</strong></label>' in body
    assert "**" not in body
    no_script_and_no_paragraph_in_a_label(body)

    confirm = learner.get(f"/attempts/{attempt_id}/confirm").get_data(as_text=True)
    assert f"<p>Which is <strong>right</strong>? See {guide}." in confirm and "**" not in confirm
    no_script_and_no_paragraph_in_a_label(confirm)

    token = csrf_token(learner, f"/attempts/{attempt_id}")
    assert autosave(learner, attempt_id, single, "b", token).status_code == 200
    assert autosave(learner, attempt_id, matching, {"p1": "*Meow*"}, token).status_code == 200
    post_form(learner, f"/attempts/{attempt_id}/submit", page=f"/attempts/{attempt_id}/confirm")
    review = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "You did not pass this attempt." in review
    assert f"<p>Which is <strong>right</strong>? See {guide}." in review
    assert "<li><em>Wrong</em> &lt;script&gt;alert(2)&lt;/script&gt;</li>" in review, "your answer, rendered"
    assert "<li><strong>Cat</strong> → <em>Meow</em></li>" in review
    assert "<p>Not <strong>this</strong> one.</p>" in review, "the chosen option's feedback, rendered"
    assert "**" not in review
    no_script_and_no_paragraph_in_a_label(review)

    second = start(learner, app)
    answers: dict[str, Any] = {"action": "finish"}
    for slot, kind, key in items_of(app, second):
        answers.update(form_fields(slot, kind, key))
    post_form(learner, f"/attempts/{second}/save", answers, page=f"/attempts/{second}")
    post_form(learner, f"/attempts/{second}/submit", page=f"/attempts/{second}/confirm")
    passed = learner.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert "You passed this attempt." in passed
    assert '<ul class="key"><li><strong>Right</strong></li></ul>' in passed, "the key, rendered"
    assert "<p>Because <strong>reasons</strong>.</p>" in passed, "the rationale, rendered"
    assert "**" not in passed and "<script>alert" not in passed

    make_user("tess@example.com", "instructor", name="Tess Teacher")
    teach("tess@example.com")
    teacher = app.test_client()
    assert login(teacher, "tess@example.com").status_code == 302
    detail = teacher.get(f"/instructor/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert f"<p>Which is <strong>right</strong>? See {guide}." in detail
    assert "<li><em>Wrong</em> &lt;script&gt;alert(2)&lt;/script&gt;</li>" in detail
    assert "<li><strong>Right</strong></li>" in detail and "<script>alert" not in detail


def test_the_review_says_first_what_it_shows_and_why_the_key_waits(app, learner, mini_course):
    enrol_and_read(app)
    attempt_id = start(learner, app)
    post_form(learner, f"/attempts/{attempt_id}/submit", page=f"/attempts/{attempt_id}")
    failed = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    statement = (
        "This review shows your score, which questions you got right and your answers. The correct answers and why "
        "each answer is right or wrong are shown once you pass or have used all your attempts. The correct answers "
        "wait so that your next attempt tests what you know, not what you remember of this review."
    )
    assert f'<p class="review-policy" id="review-policy">{statement}</p>' in failed
    assert failed.index('id="review-policy"') < failed.index('id="result-heading"') < failed.index('id="questions-heading"')
    assert "shown once you pass" not in failed[failed.index('id="result-heading"') :], "said once, at the top"

    second = start(learner, app)
    answers: dict[str, Any] = {"action": "finish"}
    for slot, kind, key in items_of(app, second):
        answers.update(form_fields(slot, kind, key))
    post_form(learner, f"/attempts/{second}/save", answers, page=f"/attempts/{second}")
    post_form(learner, f"/attempts/{second}/submit", page=f"/attempts/{second}/confirm")
    passed = learner.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert (
        "This review shows your score, which questions you got right, your answers, the correct answers and why each "
        "answer is right or wrong, now that you have passed.</p>"
    ) in passed
    assert "wait so that" not in passed


def test_a_quiz_whose_policy_allows_it_shows_the_feedback_on_a_wrong_choice_before_the_key(app, learner, tmp_path):
    """option_feedback (module.yaml) adds the chosen wrong option's feedback to the review after each attempt; the
    key, the rationale and the question's other feedback still wait. Without it, today's review: no feedback."""
    sync_folder(app, markdown_course(tmp_path))
    enrol_and_read(app)
    all_five_questions(app)
    attempt_id = start(learner, app)
    items = {kind: slot for slot, kind, _key in items_of(app, attempt_id)}
    token = csrf_token(learner, f"/attempts/{attempt_id}")
    for kind, wrong in (("single", "b"), ("true_false", True), ("multiple", ["c"]), ("ordering", ["i3", "i2", "i1"])):
        assert autosave(learner, attempt_id, items[kind], wrong, token).status_code == 200
    post_form(learner, f"/attempts/{attempt_id}/submit", page=f"/attempts/{attempt_id}")
    review = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "This review shows your score, which questions you got right, your answers and feedback on a wrong option" in review
    assert "Not <strong>this</strong> one." in review and "It is blue." in review  # the single's b, the true/false's
    for withheld in ("Nor this one.", "Not three.", "Count again.", "Because", "Observation.", "Correct answer", "Why:"):
        assert withheld not in review, withheld

    sync_folder(app, markdown_course(tmp_path / "off", option_feedback=False))
    again = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Not <strong>this</strong> one." not in again and "It is blue." not in again
    assert "feedback on a wrong option" not in again.split("shown once you pass")[0]
