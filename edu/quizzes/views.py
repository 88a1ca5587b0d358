"""Learner-facing quiz pages: the quiz page, start, answer (autosave and plain form), submit, review.

Every view loads the object through a service that checks it belongs to the actor (another learner's attempt
is a 404), commits once, and turns a rule the learner ran into (not enrolled, lessons unread, no attempts
left, time up) into a message on the page, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.certificates import issuance
from edu.certificates.completion import current_cycle
from edu.db import session
from edu.errors import Conflict, Forbidden, Invalid, NotFound
from edu.request_guard import takes_json
from edu.service_call import service_call

from . import attempts, eligibility, pages
from .forms import responses_from_form
from .grading_methods import GRADING_METHODS
from .models import Quiz
from .quizzes import course_quizzes, find_quiz
from .sync import FINAL_KEY

bp = Blueprint("quizzes", __name__)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    def quizzes_for(course_id: int) -> dict[str, Quiz]:
        """Module key (or 'final') -> live quiz, for links from catalog pages (one query, when asked)."""
        return {q.key if q.kind == "module" else FINAL_KEY: q for q in course_quizzes(course_id)}

    return {"quizzes_for": quizzes_for, "quiz_url": quiz_url}


def quiz_url(course_slug: str, quiz: Quiz) -> str:
    if quiz.kind == "final":
        return url_for("quizzes.final_exam", slug=course_slug)
    return url_for("quizzes.module_quiz", slug=course_slug, key=quiz.key)


def _renewal_since(course: Course, quiz: Quiz) -> datetime | None:
    """For a final exam in a renewal cycle, the moment from which attempts count again (certificates decide)."""
    if quiz.kind != "final":
        return None
    return current_cycle(current_user, course).since


def _quiz_page(course: Course, quiz: Quiz) -> str:
    status = eligibility.quiz_status(current_user, quiz, course, counted_since=_renewal_since(course, quiz))
    session.commit()  # an overdue attempt may just have been finalised
    return render_template("quizzes/quiz.html", status=status, quiz=quiz, course=course, methods=GRADING_METHODS)


@bp.get("/courses/<slug>/modules/<key>/quiz")
@login_required
def module_quiz(slug: str, key: str) -> str:
    course = catalog.get_course(current_user, slug)
    return _quiz_page(course, find_quiz(course, "module", key))


@bp.get("/courses/<slug>/final-exam")
@login_required
def final_exam(slug: str) -> str:
    course = catalog.get_course(current_user, slug)
    return _quiz_page(course, find_quiz(course, "final", FINAL_KEY))


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int) -> WerkzeugResponse:
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.retired_at is not None:
        abort(404)
    course = session.get(Course, quiz.course_id)
    if course is None or (not course.published and not catalog.is_staff(current_user)):
        abort(404)
    # Every refusal but a 404 is a rule the learner ran into (not enrolled, no attempts left): said on the quiz page.
    with service_call(flash_as="error", catching=(Forbidden, Conflict, Invalid)) as call:
        attempt, resumed = attempts.begin(current_user, quiz, _renewal_since(course, quiz))
    if call.failed:
        return redirect(quiz_url(course.slug, quiz))
    if resumed:
        flash("Your attempt in progress was resumed with your saved answers.", "info")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> str | WerkzeugResponse:
    page = pages.open_attempt(current_user, attempt_id)
    # Commit even when nothing changed (an overdue attempt may have been finalised): the teardown would end the
    # transaction with a ROLLBACK, after which psycopg drops its prepared statements (DEALLOCATE ALL) on PostgreSQL.
    session.commit()
    if page.attempt.state != "in_progress":
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    return render_template("quizzes/attempt.html", page=page, quiz_url=quiz_url)


@bp.post("/attempts/<int:attempt_id>/answers/<int:slot>")
@login_required
@takes_json
def autosave(attempt_id: int, slot: int) -> tuple[Response, int]:
    """JSON autosave of one answer: {"response": ...}; the CSRF token comes in the X-CSRFToken header."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or "response" not in payload:
        return jsonify(saved=False, message='Send JSON like {"response": ...}.'), 400
    try:
        result = attempts.save_answer(current_user, attempt_id, slot, payload["response"])
    except NotFound as exc:
        session.rollback()
        return jsonify(saved=False, message=exc.message), 404
    except Invalid as exc:
        session.rollback()
        return jsonify(saved=False, message=exc.message), 400
    session.commit()
    if not result.saved:
        return jsonify(saved=False, message=result.message, state=result.state), 409
    saved_at = result.saved_at.isoformat() if result.saved_at else None
    return jsonify(saved=True, slot=slot, saved_at=saved_at), 200


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save(attempt_id: int) -> WerkzeugResponse:
    """The plain form (no JavaScript needed): save every answer; "Submit for grading" then asks to confirm.

    The service reads the posted fields against the attempt's own questions (responses_from_form), so the attempt
    and its items are read once."""
    with service_call(flash_as="error", catching=Invalid) as call:
        result = attempts.save_page(current_user, attempt_id, lambda items: responses_from_form(items, request.form))
    if call.failed:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    if not result.saved and result.state != "in_progress":  # submitted, or just finalised because time ran out
        flash(result.message, "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    if not result.saved:
        flash(result.message, "error")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    if request.form.get("action") == "finish":
        return redirect(url_for("quizzes.confirm", attempt_id=attempt_id))
    flash("Your answers are saved.", "success")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/confirm")
@login_required
def confirm(attempt_id: int) -> str | WerkzeugResponse:
    page = pages.open_attempt(current_user, attempt_id)
    session.commit()  # as on the attempt page
    if page.attempt.state != "in_progress":
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    return render_template("quizzes/confirm.html", page=page)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> WerkzeugResponse:
    before = attempts.submit(current_user, attempt_id)
    closed_by, course_id, passed = before.closed_by, before.quiz.course_id, before.passed
    session.commit()  # the grade is kept whatever happens next
    if closed_by == "timeout":
        flash("Time was up, so your attempt was graded with the answers you saved before the deadline.", "info")
    else:
        flash("Your attempt is submitted and graded.", "success")
    if passed:  # only a passed quiz can complete a course
        _issue_certificate_if_complete(course_id)
    return redirect(url_for("quizzes.review", attempt_id=attempt_id))


def _issue_certificate_if_complete(course_id: int | None) -> None:
    """The composition step: grading is done; ask certificates whether the course is now complete."""
    course = session.get(Course, course_id) if course_id is not None else None
    if course is None:
        return
    try:
        result = issuance.issue_if_complete(current_user, course)
        session.commit()
    except Exception:
        session.rollback()
        current_app.logger.exception("certificate issuance failed for user %s, course %s", current_user.id, course.slug)
        flash("We could not issue your certificate just now. Open the course's certificate page to claim it.", "error")
        return
    if result.created and result.certificate is not None:
        flash(
            f"You have completed {course.title}. Your certificate {result.certificate.code} is on your Certificates page.",
            "success",
        )
    elif result.awaiting_verification:
        flash(f"You have completed {course.title}. {issuance.AWAITING_VERIFICATION}", "info")


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int) -> str | WerkzeugResponse:
    with service_call(catching=Conflict) as call:  # still in progress: back to the attempt
        result = pages.review(current_user, attempt_id)
    if call.failed:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    return render_template("quizzes/review.html", r=result, quiz_url=quiz_url)
