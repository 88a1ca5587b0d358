"""The composition of quizzes and certificates: the submit that completes a course issues its certificate,
and a renewal cycle gives the final exam a fresh attempt count."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edu.certificates.models import Certificate
from edu.db import session, utcnow
from edu.quizzes.models import Attempt, Quiz
from tests.conftest import csrf_token, post_form
from tests.functional.test_quiz_pages import autosave, enrol_and_read, items_of, quiz_id


def pass_quiz(client: FlaskClient, app: Flask, page: str) -> int:
    kind = "final" if page.endswith("final-exam") else "module"
    response = post_form(client, f"/quizzes/{quiz_id(app, kind=kind)}/start", page=page)
    assert response.status_code == 302 and "/attempts/" in response.headers["Location"], response.headers.get("Location")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    token = csrf_token(client, page)
    for slot, _kind, key in items_of(app, attempt_id):
        autosave(client, attempt_id, slot, key, token)
    submitted = post_form(client, f"/attempts/{attempt_id}/submit", page=page)
    assert submitted.status_code == 302
    return attempt_id


def certificates(app: Flask) -> int:
    with app.app_context():
        return int(session.scalar(select(func.count()).select_from(Certificate)))


def test_the_submit_that_completes_the_course_issues_one_certificate(app, learner, mini_course):
    enrol_and_read(app)
    pass_quiz(learner, app, "/courses/mini/modules/basics/quiz")
    assert certificates(app) == 0  # the final exam is still to pass
    attempt_id = pass_quiz(learner, app, "/courses/mini/final-exam")
    assert certificates(app) == 1
    with app.app_context():
        code = session.scalar(select(Certificate.code))
    review = learner.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert f"Your certificate {code} is on your Certificates page." in review
    page = learner.get("/certificates").get_data(as_text=True)
    assert "A miniature course for tests" in page
    dashboard = learner.get("/dashboard").get_data(as_text=True)
    assert "Certificate for A miniature course for tests" in dashboard
    with app.app_context():
        code = session.scalar(select(Certificate.code))
    assert "Valid" in learner.get(f"/verify/{code}").get_data(as_text=True)


def test_a_renewal_cycle_resets_the_final_exams_attempt_count(app, learner, mini_course):
    enrol_and_read(app)
    with app.app_context():
        final = session.scalar(select(Quiz).where(Quiz.kind == "final"))
        final.attempts_allowed = 1
        session.commit()
    pass_quiz(learner, app, "/courses/mini/modules/basics/quiz")
    pass_quiz(learner, app, "/courses/mini/final-exam")
    assert "You have used all 1 attempt allowed" in learner.get("/courses/mini/final-exam").get_data(as_text=True)
    with app.app_context():  # two years pass: the certificate is in its last 30 days, the renewal window is open
        past = timedelta(days=700)
        certificate = session.scalar(select(Certificate))
        certificate.expiry_date = (utcnow() + timedelta(days=30)).date()
        certificate.created_at -= past
        for attempt in session.scalars(select(Attempt)):
            attempt.started_at -= past
            attempt.submitted_at -= past
            attempt.graded_at -= past
        session.commit()
    page = learner.get("/courses/mini/final-exam").get_data(as_text=True)
    assert "You have used all" not in page
    pass_quiz(learner, app, "/courses/mini/final-exam")
    assert certificates(app) == 2
    with app.app_context():
        assert sorted(session.scalars(select(Certificate.cycle))) == [1, 2]
