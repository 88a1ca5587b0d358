"""The instructor's quiz pages through the browser's eyes: list, gradebooks and CSV, attempt detail, regrade, item
analysis with charts, quiz assembly and accommodations; permissions and statement counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from defusedxml import ElementTree
from sqlalchemy import select

from edu.banks.models import Question, QuestionBank
from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.db import session
from edu.quizzes.models import Accommodation, AuthoredQuiz, Quiz, QuizSource
from edu.results.charts import FLAGGED
from tests.conftest import csrf_token, login, post_form, sync_folder
from tests.integration.test_item_analysis import graded
from tests.integration.test_regrade import course_copy, enrol, fix_single_key, module_quiz, take, user


@pytest.fixture
def instructor(make_user, client):
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    assert login(client, "tess@example.com").status_code == 302
    return client


def quiz_id(app) -> int:
    with app.app_context():
        return module_quiz().id


FLAGGED_POINT = re.compile(rf'<circle class="point"[^>]*fill="{FLAGGED}"')
"""How the scatter chart draws a question flagged for review."""


def no_inline_code(body: str) -> None:
    assert "<script>" not in body and " style=" not in body and "onclick" not in body


# --- who may come in --------------------------------------------------------------------------------------------------


def test_learners_get_403_everywhere_and_visitors_must_log_in(app, client, learner, mini_course):
    qid = quiz_id(app)
    for url in (
        "/instructor/quizzes/",
        "/instructor/quizzes/courses/mini/gradebook",
        "/instructor/quizzes/courses/mini/gradebook.csv",
        f"/instructor/quizzes/{qid}/gradebook",
        f"/instructor/quizzes/{qid}/regrade",
        f"/instructor/quizzes/{qid}/analysis",
        "/instructor/quizzes/new",
        "/instructor/quizzes/accommodations",
        "/instructor/quizzes/attempts/1",
    ):
        assert learner.get(url).status_code == 403, url
    assert post_form(learner, f"/instructor/quizzes/{qid}/regrade", page="/account").status_code == 403
    learner.post("/logout", data={"csrf_token": csrf_token(learner, "/account")})
    response = client.get("/instructor/quizzes/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_quiz_list_shows_every_quiz_with_figures_and_the_nav_link(app, instructor, make_user, teach, tmp_path):
    sync_folder(app, course_copy(tmp_path))
    teach("tess@example.com")
    enrol(app, make_user, "ann@example.com")
    take(app, "ann@example.com", ("q-single", "q-tf", "q-match"))  # 40 %: fail
    take(app, "ann@example.com")  # 100 %
    body = instructor.get("/instructor/quizzes/").get_data(as_text=True)
    assert '<a href="/instructor/quizzes/">Quizzes</a>' in body
    row = re.search(rf'<tr id="quiz-{quiz_id(app)}">(.*?)</tr>', body, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[2:5] == ["2", "1", "70 %"] and cells[5].startswith("50 % (1 of 2)")
    assert "Final exam (course files)" in body
    no_inline_code(body)


# --- gradebook --------------------------------------------------------------------------------------------------------


def test_gradebook_page_csv_and_attempt_detail(app, instructor, make_user, teach, tmp_path):
    sync_folder(app, course_copy(tmp_path))
    teach("tess@example.com")
    enrol(app, make_user, "ann@example.com", "Ann Able")
    enrol(app, make_user, "bob@example.com", "Bob <b>Bold</b>")
    first = take(app, "ann@example.com", ("q-single",))
    body = instructor.get("/instructor/quizzes/courses/mini/gradebook").get_data(as_text=True)
    assert "Ann Able" in body and "Bob &lt;b&gt;Bold&lt;/b&gt;" in body
    assert "<strong>80 %</strong>" in body and 'class="result-pass">pass' in body and "not attempted" in body
    assert f'href="/instructor/quizzes/attempts/{first}"' in body
    no_inline_code(body)

    response = instructor.get("/instructor/quizzes/courses/mini/gradebook.csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="gradebook-mini-\d{4}-\d{2}-\d{2}\.csv"', response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Learner", "Email", "Basics: module quiz: grade (%)"] and len(rows) == 3
    quiz_csv = instructor.get(f"/instructor/quizzes/{quiz_id(app)}/gradebook.csv")
    assert f"gradebook-mini-quiz-{quiz_id(app)}-" in quiz_csv.headers["Content-Disposition"]

    detail = instructor.get(f"/instructor/quizzes/attempts/{first}").get_data(as_text=True)
    assert "attempt 1 by Ann Able" in detail and detail.count('<tr id="slot-') == 5
    single = re.search(r'<tr id="slot-\d+">((?:(?!</tr>).)*q-single.*?)</tr>', detail, re.S).group(1)
    assert "<li>Wrong</li>" in single and "<li>Right</li>" in single and "0 (incorrect)" in single and ">v1<" in single
    assert instructor.get("/instructor/quizzes/attempts/99999").status_code == 404
    assert instructor.get("/instructor/quizzes/99999/gradebook").status_code == 404


def _cohort(app, make_user, size: int) -> None:
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        course_id = course.id
    for n in range(size):
        uid = make_user(f"c{size}-{n}@example.com")
        with app.app_context():
            from edu.auth.models import User

            catalog.enrol(session.get(User, uid), session.get(Course, course_id))
            session.commit()
        right = 1.0 if n % 3 else 0.0
        graded(app, uid, 1, {"q-single": (right, "a" if right else "b"), "q-tf": (1.0, False), "q-match": (n % 2, None)})
        if n % 2:
            graded(app, uid, 2, {"q-single": (1.0, "a"), "q-tf": (0.0, True), "q-order": (1.0, ["i1", "i2", "i3"])})


def test_gradebook_and_analysis_pages_issue_the_same_statements_for_2_or_15_learners(
    app, instructor, make_user, mini_course, teach, count_queries
):
    teach("tess@example.com")
    qid = quiz_id(app)
    pages = {
        "course gradebook": "/instructor/quizzes/courses/mini/gradebook",
        "quiz gradebook": f"/instructor/quizzes/{qid}/gradebook",
        "csv": "/instructor/quizzes/courses/mini/gradebook.csv",
        "analysis": f"/instructor/quizzes/{qid}/analysis?attempts=all",
        "regrade": f"/instructor/quizzes/{qid}/regrade",
        "list": "/instructor/quizzes/",
    }
    counts: dict[str, dict[str, int]] = {}
    _cohort(app, make_user, 2)
    for label, extra in (("small", 0), ("large", 13)):
        _cohort(app, make_user, extra) if extra else None
        counts[label] = {}
        for name, url in pages.items():
            with count_queries() as q:
                response = instructor.get(url)
            assert response.status_code == 200, name
            counts[label][name] = len(q)
        body = instructor.get(pages["course gradebook"]).get_data(as_text=True)
        assert body.count('<tr id="learner-') == (2 if label == "small" else 15)
    assert counts["small"] == counts["large"]
    print("statements per page (2 and 15 learners):", counts["small"])


# --- regrade ----------------------------------------------------------------------------------------------------------


def test_regrade_dry_run_then_apply_then_nothing_left(app, instructor, make_user, teach, tmp_path):
    copy = course_copy(tmp_path)
    sync_folder(app, copy)
    teach("tess@example.com")
    enrol(app, make_user, "ann@example.com", "Ann Able")
    enrol(app, make_user, "cat@example.com", "Cat Calm")
    take(app, "ann@example.com")
    cat = take(app, "cat@example.com", ("q-tf", "q-match"))
    qid = quiz_id(app)
    assert "Nothing to regrade" in instructor.get(f"/instructor/quizzes/{qid}/regrade").get_data(as_text=True)
    fix_single_key(copy)
    sync_folder(app, copy)

    page = instructor.get(f"/instructor/quizzes/{qid}/regrade").get_data(as_text=True)
    assert "<code>q-single</code>" in page and "<td>v1</td><td>v2</td><td>2</td>" in page
    row = re.search(rf'<tr id="change-{cat}">(.*?)</tr>', page, re.S).group(1)
    assert "Cat Calm" in row and "60.0 %" in row and "40.0 %" in row and "pass → fail" in row
    no_inline_code(page)
    assert instructor.post(f"/instructor/quizzes/{qid}/regrade", data={}).status_code == 400  # no CSRF token
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', page).group(1)
    stale = post_form(
        instructor, f"/instructor/quizzes/{qid}/regrade", {"fingerprint": "0" * 32}, page=f"/instructor/quizzes/{qid}/regrade"
    )
    assert stale.status_code == 409 and "changed since your dry run" in stale.get_data(as_text=True)
    done = post_form(
        instructor,
        f"/instructor/quizzes/{qid}/regrade",
        {"fingerprint": fingerprint},
        page=f"/instructor/quizzes/{qid}/regrade",
        follow_redirects=True,
    )
    body = done.get_data(as_text=True)
    assert "Regraded 2 attempts: 2 changed score or result (0 fail → pass, 1 pass → fail)." in body
    assert "Nothing to regrade" in body and "Tess Teacher" in body  # the history names who ran it
    # when it ran, as every page writes a time: "3 Dec 2026, 14:05 UTC"
    assert re.search(r"<tr><td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</td><td>Tess Teacher</td>", body)
    again = post_form(
        instructor,
        f"/instructor/quizzes/{qid}/regrade",
        {"fingerprint": fingerprint},
        page=f"/instructor/quizzes/{qid}/regrade",
        follow_redirects=True,
    )
    assert "Nothing to regrade: every graded attempt" in again.get_data(as_text=True)
    grades = instructor.get(f"/instructor/quizzes/{qid}/gradebook").get_data(as_text=True)
    assert "<strong>40 %</strong>" in grades and 'class="result-fail">fail' in grades
    detail = instructor.get(f"/instructor/quizzes/attempts/{cat}").get_data(as_text=True)
    assert "now v2" in detail and "against v2: 1 → 0" in detail


# --- item analysis ----------------------------------------------------------------------------------------------------


def test_analysis_page_has_figures_glossary_warning_flags_charts_and_tables(app, instructor, make_user, mini_course, teach):
    teach("tess@example.com")
    _cohort(app, make_user, 6)
    qid = quiz_id(app)
    response = instructor.get(f"/instructor/quizzes/{qid}/analysis?attempts=first")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    no_inline_code(body)
    assert 'id="small-cohort"' in body and "at least 30 are needed" in body
    assert "<summary>What these measures mean</summary>" in body
    for measure in (
        "Skewness",
        "Kurtosis",
        "Cronbach's alpha",
        "Error ratio",
        "Standard error",
        "Facility",
        "Discrimination index",
        "Discriminative efficiency",
        "Effective weight",
    ):
        assert measure in body, measure
    svgs = re.findall(r"<svg.*?</svg>", body, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        root = ElementTree.fromstring(svg)
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title") is not None
    assert "Score distribution as a table" in body and 'class="data item-figures"' in body
    assert 'href="/instructor/banks/basics/questions/q-single"' in body
    assert 'href="/instructor/banks/basics/questions/q-single/history"' in body
    assert 'id="distractors-' in body and "(key)" in body
    assert "selected>Each learner&#39;s first attempt" in body or "selected>Each learner's first attempt" in body
    # q-tf: everyone right on their first attempt -> too easy, but 6 attempts are too few to flag anything
    assert "Facility above 95 %" not in body and 'class="flagged"' not in body and "need review" not in body
    assert "is flagged for review until there are 30" in body
    assert "Questions are flagged for review from 30 analysed attempts on" in body
    assert not FLAGGED_POINT.search(body), "no red point in the chart either"
    bad = instructor.get(f"/instructor/quizzes/{qid}/analysis?attempts=best")
    assert bad.status_code == 400 and "Choose which attempts to analyse" in bad.get_data(as_text=True)


def test_analysis_flags_items_for_review_once_the_cohort_is_large_enough(app, instructor, make_user, mini_course, teach):
    teach("tess@example.com")
    _cohort(app, make_user, 30)
    body = instructor.get(f"/instructor/quizzes/{quiz_id(app)}/analysis?attempts=first").get_data(as_text=True)
    assert 'id="small-cohort"' not in body and "Questions are flagged for review from" not in body
    flagged = re.search(r'<div class="notice" id="flagged">(.*?)</div>', body, re.S).group(1)
    assert "<code>q-tf</code></a>: Facility above 95 %" in flagged  # everyone right on their first attempt
    row = re.search(r'<tr id="item-\d+" class="flagged">((?:(?!</tr>).)*<code>q-tf</code>.*?)</tr>', body, re.S).group(1)
    assert '<strong class="result-fail">Review</strong>' in row
    assert FLAGGED_POINT.search(body)


# --- quiz assembly ----------------------------------------------------------------------------------------------------


def _ids(app) -> dict[str, int]:
    with app.app_context():
        return {
            "course": session.scalar(select(Course.id).where(Course.slug == "mini")),
            "bank": session.scalar(select(QuestionBank.id).where(QuestionBank.slug == "basics")),
            **{q.key: q.id for q in session.scalars(select(Question))},
        }


def quiz_form(ids: dict[str, int], **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Safety check",
        "course": ids["course"],
        "fixed": [ids["q-tf"]],
        "draws-0-bank": ids["bank"],
        "draws-0-tag": "",
        "draws-0-count": 2,
        "minimums-0-tag": "safety",
        "minimums-0-count": 1,
        "pass_mark": 50,
        "attempts_allowed": 4,
        "delay_minutes": 0,
        "time_limit_minutes": "",
        "grading_method": "last",
        "overdue_handling": "autosubmit",
        "grace_minutes": 0,
        "after_submit": ["score", "correctness"],
        "after_pass": ["score", "key"],
        "bands-0-min": 0,
        "bands-0-text": "Review module one.",
        "bands-1-min": 80,
        "bands-1-text": "Well done.",
    }
    data.update(changes)
    return data


def test_assemble_a_quiz_and_a_learner_takes_it(app, instructor, mini_course, make_user, teach):
    teach("tess@example.com")
    ids = _ids(app)
    page = instructor.get("/instructor/quizzes/new").get_data(as_text=True)
    assert "Assemble a quiz" in page and "<code>q-single</code>" in page
    no_inline_code(page)
    response = post_form(instructor, "/instructor/quizzes/new", quiz_form(ids), page="/instructor/quizzes/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        quiz = session.scalar(select(Quiz).where(Quiz.source == "authored"))
        assert (quiz.title, quiz.questions, quiz.pass_mark, quiz.attempts_allowed, quiz.grading_method) == (
            "Safety check",
            3,
            50,
            4,
            "last",
        )
        assert quiz.review["after_submit"] == ["score", "correctness"] and quiz.review["after_last"] == []
        assert quiz.feedback_bands == [{"min": 0, "text": "Review module one."}, {"min": 80, "text": "Well done."}]
        sources = session.scalars(select(QuizSource).where(QuizSource.quiz_id == quiz.id).order_by(QuizSource.position)).all()
        assert [(s.kind, s.count, s.tag) for s in sources] == [("fixed", 1, None), ("draw", 2, None), ("minimum", 1, "safety")]
        assert (
            session.scalar(select(AuthoredQuiz.created_by_id).where(AuthoredQuiz.quiz_id == quiz.id))
            == user("tess@example.com").id
        )
        new_id, key = quiz.id, quiz.key
    edit = instructor.get(f"/instructor/quizzes/{new_id}/edit").get_data(as_text=True)
    assert 'value="Safety check"' in edit and "Review module one." in edit
    # a re-sync of the course leaves the authored quiz alone
    from tests.conftest import MINI_COURSE

    sync_folder(app, MINI_COURSE)
    with app.app_context():
        assert session.get(Quiz, new_id).retired_at is None

    # a learner finds it on the course page and takes it: the fixed question and the safety minimum hold
    enrol(app, make_user, "lee@example.com", "Lee")
    learner = app.test_client()
    login(learner, "lee@example.com")
    course_page = learner.get("/courses/mini").get_data(as_text=True)
    assert f'href="/courses/mini/modules/{key}/quiz">Safety check' in course_page
    started = post_form(learner, f"/quizzes/{new_id}/start", page=f"/courses/mini/modules/{key}/quiz")
    assert started.status_code == 302 and "/attempts/" in started.headers["Location"]
    with app.app_context():
        from edu.quizzes.models import Attempt

        attempt = session.scalar(select(Attempt).where(Attempt.quiz_id == new_id))
        keys = {session.get(Question, i.question_id).key for i in attempt.items}
        assert len(keys) == 3 and {"q-tf", "q-single"} <= keys
        # the authored quiz does not gate the final exam
        from edu.quizzes import eligibility

        assert [
            q.key for q in eligibility.module_quizzes_not_passed(user("lee@example.com"), session.get(Course, ids["course"]))
        ] == ["basics"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"draws-0-count": 9}, "Basics bank needs 9 questions, but only 4 are available."),
        ({"minimums-0-count": 5}, "The minimum of 5 questions tagged “safety” is more than the quiz&#39;s 3 questions."),
        ({"minimums-0-tag": "nowhere"}, "at least 1 question tagged “nowhere”, but at most 0 can be drawn"),
        ({"bands-1-min": 0}, "List feedback bands from the lowest score to the highest"),
        ({"pass_mark": 0}, "Between 1 and 100."),
        ({"fixed": [], "draws-0-count": "", "draws-0-bank": ""}, "Add questions: tick questions to always include"),
        ({"draws-0-bank": ""}, "Draw 1: choose the bank to draw from."),
        ({"title": " "}, "Enter a title for the quiz."),
    ],
)
def test_assembly_validation_shows_clear_messages_and_saves_nothing(app, instructor, mini_course, teach, changes, message):
    teach("tess@example.com")
    ids = _ids(app)
    response = post_form(instructor, "/instructor/quizzes/new", quiz_form(ids, **changes), page="/instructor/quizzes/new")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(Quiz).where(Quiz.source == "authored")) is None


def test_the_quiz_editor_offers_feedback_on_a_wrong_choice_without_the_key(app, instructor, mini_course, teach):
    teach("tess@example.com")
    page = instructor.get("/instructor/quizzes/new").get_data(as_text=True)
    assert (
        '<input id="after_submit-3" name="after_submit" type="checkbox" value="option_feedback"> '
        "Feedback on a wrong option they chose (single answer, true/false), never the key</label>"
    ) in page
    ticked = re.compile(r'<input checked id="after_submit-\d" name="after_submit" type="checkbox" value="option_feedback">')
    assert not ticked.search(page), "not ticked by default: today's policy"
    form = quiz_form(_ids(app), after_submit=["score", "correctness", "response", "option_feedback"])
    assert post_form(instructor, "/instructor/quizzes/new", form, page="/instructor/quizzes/new").status_code == 302
    with app.app_context():
        quiz = session.scalar(select(Quiz).where(Quiz.source == "authored"))
        assert quiz.review["after_submit"] == ["score", "correctness", "response", "option_feedback"]
        quiz_id_ = quiz.id
    edit = instructor.get(f"/instructor/quizzes/{quiz_id_}/edit").get_data(as_text=True)
    assert ticked.search(edit)


def test_course_quizzes_are_read_only_and_other_instructors_cannot_edit(app, instructor, mini_course, make_user, teach):
    teach("tess@example.com")
    qid = quiz_id(app)
    page = instructor.get(f"/instructor/quizzes/{qid}/edit").get_data(as_text=True)
    assert 'id="read-only"' in page and "<form" not in page.split("<main", 1)[1].split("</main>")[0].replace('class="inline"', "")
    assert (
        post_form(instructor, f"/instructor/quizzes/{qid}/edit", quiz_form(_ids(app)), page="/instructor/quizzes/new").status_code
        == 403
    )
    post_form(instructor, "/instructor/quizzes/new", quiz_form(_ids(app)), page="/instructor/quizzes/new")
    with app.app_context():
        authored = session.scalar(select(Quiz.id).where(Quiz.source == "authored"))
    make_user("other@example.com", "instructor")
    teach("other@example.com")  # teaches the course too, but did not assemble the quiz
    other = app.test_client()
    login(other, "other@example.com")
    assert "Only the instructor who assembled" in other.get(f"/instructor/quizzes/{authored}/edit").get_data(as_text=True)
    assert (
        post_form(other, f"/instructor/quizzes/{authored}/edit", quiz_form(_ids(app)), page="/instructor/quizzes/new").status_code
        == 403
    )
    renamed = post_form(
        instructor, f"/instructor/quizzes/{authored}/edit", quiz_form(_ids(app), title="Renamed"), page="/instructor/quizzes/new"
    )
    assert renamed.status_code == 302
    with app.app_context():
        assert session.get(Quiz, authored).title == "Renamed"


# --- accommodations ---------------------------------------------------------------------------------------------------


def test_accommodations_are_set_by_email_and_listed(app, instructor, mini_course, make_user, teach):
    teach("tess@example.com")
    make_user("lee@example.com", name="Lee Learner")
    qid = quiz_id(app)
    page = instructor.get("/instructor/quizzes/accommodations").get_data(as_text=True)
    assert "Every quiz of A miniature course for tests" in page and "None." in page
    no_inline_code(page)
    data = {
        "email": "lee@example.com",
        "scope": f"quiz:{qid}",
        "time_multiplier": "1.5",
        "extra_minutes": 5,
        "extra_attempts": 1,
        "note": "Letter on file",
    }
    response = post_form(
        instructor, "/instructor/quizzes/accommodations", data, page="/instructor/quizzes/accommodations", follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert "Accommodation saved for Lee Learner" in body and "× 1.5 + 5 min" in body and "Letter on file" in body
    with app.app_context():
        row = session.scalar(select(Accommodation))
        assert (row.quiz_id, row.time_multiplier, row.extra_minutes, row.extra_attempts) == (qid, 1.5, 5, 1)
    unknown = post_form(
        instructor,
        "/instructor/quizzes/accommodations",
        {**data, "email": "nobody@example.com"},
        page="/instructor/quizzes/accommodations",
    )
    assert unknown.status_code == 400 and "No learner has this email address." in unknown.get_data(as_text=True)
    too_much = post_form(
        instructor,
        "/instructor/quizzes/accommodations",
        {**data, "time_multiplier": "9"},
        page="/instructor/quizzes/accommodations",
    )
    assert too_much.status_code == 400 and "Between 1 and 4." in too_much.get_data(as_text=True)
    bad_scope = post_form(
        instructor,
        "/instructor/quizzes/accommodations",
        {**data, "scope": "quiz:99999"},
        page="/instructor/quizzes/accommodations",
    )
    assert bad_scope.status_code == 400 and "Choose what the accommodation applies to." in bad_scope.get_data(as_text=True)
    search = instructor.get("/instructor/quizzes/accommodations?email=lee@example.com").get_data(as_text=True)
    assert "Lee Learner&#39;s accommodations" in search or "Lee Learner's accommodations" in search
    with app.app_context():
        assert session.scalar(select(Accommodation.extra_attempts)) == 1


def test_shortened_prompts_and_options_read_without_their_markdown(app, instructor, make_user, mini_course, teach):
    """Item analysis and the quiz editor shorten prompts (and list options) as plain text: `**muscle**` reads "muscle",
    never the asterisks, as the learner's rendered page does."""
    teach("tess@example.com")
    _cohort(app, make_user, 3)
    with app.app_context():
        question = session.scalar(select(Question).where(Question.key == "q-single"))
        assert question is not None and question.current_version is not None
        data = dict(question.current_version.data)
        data["prompt"] = "Which **muscle** shows a `twitch`?"
        data["options"] = [{**o, "text": f"*{o['text']}*"} for o in data["options"]]
        first_option = data["options"][0]["text"].strip("*")
        question.current_version.data = data
        session.commit()
    analysis = instructor.get(f"/instructor/quizzes/{quiz_id(app)}/analysis").get_data(as_text=True)
    editor = instructor.get("/instructor/quizzes/new").get_data(as_text=True)
    for page in (analysis, editor):
        assert "Which muscle shows a twitch?" in page
        assert "**muscle**" not in page and "`twitch`" not in page
    assert f'<th scope="row">{first_option}' in analysis and f"*{first_option}*" not in analysis
