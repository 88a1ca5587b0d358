"""Catalog, enrolment, lessons and progress as a learner meets them."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from edu.catalog.models import Course, Enrolment, LessonCompletion
from edu.db import session
from tests.conftest import MINI_COURSE, login, post_form, sync_folder


def enrol(client, slug="mini"):
    return post_form(client, f"/courses/{slug}/enrol", page=f"/courses/{slug}")


def complete(client, key, slug="mini"):
    return post_form(client, f"/courses/{slug}/lessons/{key}/complete", page=f"/courses/{slug}")


def test_empty_catalog_says_so(client):
    assert "No courses are published yet" in client.get("/").get_data(as_text=True)


def test_course_page_shows_modules_objectives_and_hours(client, mini_course):
    page = client.get("/courses/mini").get_data(as_text=True)
    for text in (
        "A miniature course for tests",
        "0.5 CE hours",
        "Basics",
        "Recall the first fact.",
        "The first lesson",
        "Log in to enrol",
    ):
        assert text in page


def test_lessons_need_login_and_enrolment(client, learner, mini_course, app):
    anonymous = app.test_client()
    assert anonymous.get("/courses/mini/lessons/first").status_code == 302
    not_enrolled = learner.get("/courses/mini/lessons/first")
    assert not_enrolled.status_code == 302 and not_enrolled.headers["Location"] == "/courses/mini"
    assert "Enrol in the course to read its lessons." in learner.get("/courses/mini").get_data(as_text=True)


def test_enrol_read_and_complete_with_previous_and_next(learner, mini_course, app):
    response = enrol(learner)
    assert response.headers["Location"] == "/courses/mini/lessons/first"
    page = learner.get("/courses/mini/lessons/first").get_data(as_text=True)
    assert "<table>" in page and 'alt="A diagram of a taut band"' in page
    assert 'rel="next" href="/courses/mini/lessons/second"' in page and 'rel="prev"' not in page
    assert 'aria-current="page"' in page and "Course contents" in page
    assert complete(learner, "first").headers["Location"] == "/courses/mini/lessons/second"
    second = learner.get("/courses/mini/lessons/second").get_data(as_text=True)
    assert 'rel="prev" href="/courses/mini/lessons/first"' in second
    assert "50%" in second
    done = complete(learner, "second")
    assert done.headers["Location"] == "/courses/mini"
    assert "You have read every lesson." in learner.get("/courses/mini").get_data(as_text=True)


def test_completing_twice_records_once(learner, mini_course, app):
    enrol(learner)
    complete(learner, "first")
    complete(learner, "first")
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(LessonCompletion)) == 1


def test_figures_are_served_from_the_database(learner, mini_course, app):
    enrol(learner)
    page = learner.get("/courses/mini/lessons/first").get_data(as_text=True)
    src = page.split('<img src="', 1)[1].split('"', 1)[0]
    figure = learner.get(src)
    assert figure.status_code == 200 and figure.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in figure.data
    assert learner.get("/assets/" + "0" * 64).status_code == 404
    assert learner.get("/assets/../../etc/passwd").status_code == 404


def test_dashboard_says_where_to_continue(learner, mini_course):
    assert "You are not enrolled in any course yet." in learner.get("/dashboard").get_data(as_text=True)
    enrol(learner)
    complete(learner, "first")
    page = learner.get("/dashboard").get_data(as_text=True)
    assert "Continue: The second lesson" in page and "1 of 2 lessons completed." in page


def test_unenrol_keeps_progress_for_a_later_return(learner, mini_course, app):
    enrol(learner)
    complete(learner, "first")
    post_form(learner, "/courses/mini/unenrol", page="/courses/mini")
    assert learner.get("/courses/mini/lessons/first").status_code == 302
    assert "not enrolled" in learner.get("/dashboard").get_data(as_text=True)
    enrol(learner)
    assert "50%" in learner.get("/courses/mini").get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_enrol_needs_csrf_and_login(client, learner, mini_course, app):
    assert learner.post("/courses/mini/enrol").status_code == 400
    anonymous = app.test_client()
    assert anonymous.post("/courses/mini/enrol").status_code in (302, 400)
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_unpublished_courses_are_invisible_to_learners(app, learner, make_user, mini_course):
    with app.app_context():
        session.scalar(select(Course)).published = False
        session.commit()
    assert "A miniature course" not in learner.get("/").get_data(as_text=True)
    assert learner.get("/courses/mini").status_code == 404
    assert learner.get("/courses/mini/lessons/first").status_code == 404
    assert enrol(learner).status_code == 404
    make_user("teacher@example.com", "instructor")
    instructor = app.test_client()
    login(instructor, "teacher@example.com")
    assert "Unpublished" in instructor.get("/").get_data(as_text=True)
    assert instructor.get("/courses/mini/lessons/first").status_code == 200  # preview without enrolling


def test_unknown_course_and_lesson_are_404(learner, mini_course):
    assert learner.get("/courses/nope").status_code == 404
    enrol(learner)
    assert learner.get("/courses/mini/lessons/nope").status_code == 404
    assert complete(learner, "nope").status_code == 404


def test_progress_is_private_to_each_learner(app, learner, make_user, mini_course):
    enrol(learner)
    complete(learner, "first")
    make_user("other@example.com", name="Other Person")
    other = app.test_client()
    login(other, "other@example.com")
    assert "You are not enrolled in any course yet." in other.get("/dashboard").get_data(as_text=True)
    assert "0%" not in other.get("/courses/mini").get_data(as_text=True)  # no progress bar: not enrolled


def test_glossary_and_references_pages(client, mini_course):
    glossary = client.get("/courses/mini/glossary").get_data(as_text=True)
    assert "Taut band" in glossary and "#ref-ref-one" in glossary
    references = client.get("/courses/mini/references").get_data(as_text=True)
    assert 'id="ref-ref-one"' in references and "Author A. A title." in references


def test_dashboard_and_catalog_use_a_fixed_number_of_statements(app, learner, count_queries, tmp_path: Path):
    """Adding courses and lessons must not add queries (no N+1)."""
    sync_folder(app, MINI_COURSE)
    enrol(learner)
    with count_queries() as one:
        assert learner.get("/dashboard").status_code == 200
    with count_queries() as catalog_one:
        learner.get("/")
    for n in range(3):
        copy = tmp_path / f"c{n}"
        shutil.copytree(MINI_COURSE, copy)
        text = (copy / "course.yaml").read_text().replace("id: mini", f"id: mini-{n}")
        (copy / "course.yaml").write_text(text)
        bank = (copy / "modules/basics/questions.yaml").read_text().replace("id: basics,", f"id: basics-{n},")
        for key in ("q-single", "q-multiple", "q-tf", "q-match", "q-order"):
            bank = bank.replace(f"id: {key}", f"id: {key}-{n}")
        (copy / "modules/basics/questions.yaml").write_text(bank)
        sync_folder(app, copy)
        enrol(learner, f"mini-{n}")
    with count_queries() as four:
        page = learner.get("/dashboard").get_data(as_text=True)
    assert page.count("Continue:") == 4
    with count_queries() as catalog_four:
        learner.get("/")
    assert len(four) == len(one), four.statements
    assert len(catalog_four) == len(catalog_one)
    assert len(one) <= 9  # 8 for the courses and the learner's progress, 1 for the certificates they have earned


def test_lesson_page_uses_a_fixed_number_of_statements(app, learner, mini_course, count_queries):
    enrol(learner)
    with count_queries() as queries:
        assert learner.get("/courses/mini/lessons/second").status_code == 200
    # 10 for the page, plus seat time: the first opening's read and (first visit only) its savepoint and insert.
    assert len(queries) <= 14, "\n".join(
        s.split("\n")[0][:100] + " ... " + s.split("WHERE")[-1][:80].replace("\n", " ") for s in queries.statements
    )


# --- the completion moment ------------------------------------------------------------------------------------------


def certify(app) -> tuple[str, str]:
    """Pass the enrolled learner through every lesson and quiz of mini and issue the certificate: (code, expiry)."""
    from datetime import UTC, datetime, timedelta

    from edu.catalog import services
    from edu.certificates import issuance
    from edu.presentation import day
    from tests.certificate_helpers import mini, pass_everything, user

    at = datetime.now(UTC) - timedelta(days=1)
    with app.app_context():
        learner = user()
        for key in ("first", "second"):
            services.complete_lesson(learner, mini(), key)
        pass_everything(learner.id, at)
        result = issuance.issue_if_complete(learner, mini(), now=at + timedelta(hours=1))
        assert result.certificate is not None
        session.commit()
        certificate = result.certificate
        assert certificate.expiry_date is not None, "the mini course's certificate expires"
        return certificate.code, day(certificate.expiry_date)


def test_an_earned_certificate_is_the_moment_on_the_course_page_and_the_dashboard(app, learner, mini_course):
    enrol(learner)
    for page in ("/courses/mini", "/dashboard"):
        assert "Course complete" not in learner.get(page).get_data(as_text=True), page
    code, expiry = certify(app)
    for page in ("/courses/mini", "/dashboard"):
        body = learner.get(page).get_data(as_text=True)
        assert f"Course complete — certificate {code} earned" in body, page
        assert "Worth 0.5 CE hours." in body and f"Expires on {expiry}." in body, page
        assert 'href="/courses/mini/certificate">View your certificate' in body, page
    assert "Course complete" not in app.test_client().get("/courses/mini").get_data(as_text=True), "a visitor sees none"
    from edu.certificates.models import Certificate
    from edu.db import utcnow

    with app.app_context():  # expired: no longer a completion to celebrate (the certificate page says what to do)
        session.scalar(select(Certificate)).expiry_date = utcnow().date()
        session.commit()
    for page in ("/courses/mini", "/dashboard"):
        assert "Course complete" not in learner.get(page).get_data(as_text=True), page
    with app.app_context():  # revoked: nor this
        certificate = session.scalar(select(Certificate))
        certificate.expiry_date, certificate.status = None, "revoked"
        session.commit()
    for page in ("/courses/mini", "/dashboard"):
        assert "Course complete" not in learner.get(page).get_data(as_text=True), page


def test_the_completion_moment_adds_no_statement(app, learner, mini_course, count_queries):
    enrol(learner)
    before = {}
    for page in ("/courses/mini", "/dashboard"):
        with count_queries() as queries:
            learner.get(page)
        before[page] = len(queries)
    certify(app)
    for page in ("/courses/mini", "/dashboard"):
        with count_queries() as queries:
            assert "Course complete" in learner.get(page).get_data(as_text=True)
        assert len(queries) == before[page], (page, queries.statements)
