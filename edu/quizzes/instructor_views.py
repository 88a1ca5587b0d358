"""The instructor's quiz pages: quiz assembly from banks, and accommodations. This module owns the instructor
blueprint ("instructor", under /instructor/quizzes); edu.results.views adds the results pages to it (the overview,
gradebooks, one attempt in full, regrade, item analysis), so every endpoint keeps its instructor.* name while each
domain keeps its own routes. results may import quizzes, never the reverse.

Every route needs the instructor role (admins pass too); the services check it again and load each object
themselves: an unknown id, or an object of a course the instructor does not teach (edu.catalog.policy), is a 404.
Views parse input, call services, commit once, render or redirect.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.auth.models import Role
from edu.auth.permissions import role_required
from edu.errors import Invalid
from edu.service_call import service_call

from . import accommodations as accommodation_services
from . import assembly
from .grading_methods import GRADING_METHODS
from .instructor_forms import (
    OVERDUE,
    REVIEW_LABELS,
    REVIEW_MOMENTS,
    AccommodationForm,
    LearnerSearchForm,
    QuizForm,
    defaults_into,
    fill_choices,
    offer_scopes,
    quiz_into,
    spec_from_form,
)
from .views import quiz_url

bp = Blueprint("instructor", __name__, url_prefix="/instructor/quizzes")


# --- quiz assembly ----------------------------------------------------------------------------------------------------


def _editor(form: QuizForm, quiz_id: int | None = None, status: int = 200, problems: list[str] | None = None) -> tuple[str, int]:
    options = assembly.editor_options(current_user)
    fill_choices(form, options)
    return (
        render_template(
            "instructor/edit.html",
            form=form,
            options=options,
            quiz_id=quiz_id,
            problems=problems or [],
            review_labels=REVIEW_LABELS,
            review_moments=REVIEW_MOMENTS,
            overdue=OVERDUE,
        ),
        status,
    )


@bp.get("/new")
@role_required(Role.INSTRUCTOR)
def new_quiz() -> tuple[str, int]:
    form = QuizForm(formdata=None)
    defaults_into(form)
    return _editor(form)


@bp.post("/new")
@role_required(Role.INSTRUCTOR)
def create_quiz() -> WerkzeugResponse | tuple[str, int]:
    form = QuizForm()
    fill_choices(form, assembly.editor_options(current_user))
    if not form.validate_on_submit():
        return _editor(form, status=400)
    with service_call(catching=Invalid) as call:
        quiz = assembly.create_quiz(current_user, spec_from_form(form))
    if call.failed:
        return _editor(form, status=call.status, problems=call.message.split("\n"))
    flash(f"Quiz “{quiz.title}” created.", "success")
    return redirect(url_for("instructor.edit_quiz", quiz_id=quiz.id))


@bp.get("/<int:quiz_id>/edit")
@role_required(Role.INSTRUCTOR)
def edit_quiz(quiz_id: int) -> tuple[str, int]:
    quiz, course, editable = assembly.get_for_edit(current_user, quiz_id)
    if not editable:
        return (
            render_template("instructor/readonly.html", quiz=quiz, course=course, methods=GRADING_METHODS, quiz_url=quiz_url),
            200,
        )
    form = QuizForm(formdata=None)
    quiz_into(form, quiz)
    return _editor(form, quiz.id)


@bp.post("/<int:quiz_id>/edit")
@role_required(Role.INSTRUCTOR)
def update_quiz(quiz_id: int) -> WerkzeugResponse | tuple[str, int]:
    _quiz, _course, editable = assembly.get_for_edit(current_user, quiz_id)
    if not editable:
        abort(403)
    form = QuizForm()
    fill_choices(form, assembly.editor_options(current_user))
    if not form.validate_on_submit():
        return _editor(form, quiz_id, status=400)
    with service_call(catching=Invalid) as call:
        assembly.update_quiz(current_user, quiz_id, spec_from_form(form))
    if call.failed:
        return _editor(form, quiz_id, status=call.status, problems=call.message.split("\n"))
    flash("Quiz saved. Attempts already started keep the questions they were given.", "success")
    return redirect(url_for("instructor.edit_quiz", quiz_id=quiz_id))


# --- accommodations ---------------------------------------------------------------------------------------------------


def _accommodations_page(form: AccommodationForm, status: int = 200) -> tuple[str, int]:
    search = LearnerSearchForm(request.args)
    email = search.email.data if search.validate() else None
    page = accommodation_services.accommodations_page(current_user, email or None)
    offer_scopes(form, page.scopes)
    return render_template("instructor/accommodations.html", page=page, form=form, search=search), status


@bp.get("/accommodations")
@role_required(Role.INSTRUCTOR)
def accommodations() -> tuple[str, int]:
    form = AccommodationForm(formdata=None)
    search = request.args.get("email", "").strip()
    if search:
        form.email.data = search
    return _accommodations_page(form)


@bp.post("/accommodations")
@role_required(Role.INSTRUCTOR)
def set_accommodation() -> WerkzeugResponse | tuple[str, int]:
    form = AccommodationForm()
    offer_scopes(form, accommodation_services.accommodations_page(current_user, None).scopes)
    if not form.validate_on_submit():
        return _accommodations_page(form, 400)
    with service_call(catching=Invalid) as call:
        learner = accommodation_services.save_accommodation(
            current_user,
            email=form.email.data or "",
            scope=form.scope.data or "",
            time_multiplier=float(form.time_multiplier.data or 1),
            extra_minutes=form.extra_minutes.data or 0,
            extra_attempts=form.extra_attempts.data or 0,
            note=form.note.data or None,
        )
    if call.failed:  # the message says which field it is about
        target = form.email if call.message.startswith("No learner") else form.scope
        target.errors = [call.message]
        return _accommodations_page(form, call.status)
    flash(f"Accommodation saved for {learner.name}. It applies to attempts they start from now on.", "success")
    return redirect(url_for("instructor.accommodations", email=learner.email))
