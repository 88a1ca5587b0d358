"""Admin page for course staff: which instructors act on each course's outcomes (edu.catalog.policy)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from edu.auth.models import Role, User
from edu.auth.permissions import role_required
from edu.db import session
from edu.errors import Invalid
from edu.service_call import service_call

from . import instructors
from .forms import AssignInstructorForm

bp = Blueprint("course_admin", __name__, url_prefix="/admin/courses")


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> str:
    return render_template("course_admin/index.html", staff=instructors.course_staff(current_user))


@bp.post("/<slug>/instructors")
@role_required(Role.ADMIN)
def assign(slug: str) -> Response:
    course = instructors.get_course(current_user, slug)
    form = AssignInstructorForm()
    if not form.validate_on_submit():
        flash("The instructor could not be assigned: " + "; ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("course_admin.index", _anchor=f"course-{course.slug}"))
    with service_call(flash_as="error", catching=Invalid) as call:
        user, added = instructors.assign(current_user, course, form.email.data or "")
    if call.failed:
        return redirect(url_for("course_admin.index", _anchor=f"course-{course.slug}"))
    if added:
        flash(f"{user.name} ({user.email}) now teaches {course.title}.", "success")
    else:
        flash(f"{user.name} ({user.email}) already teaches {course.title}.", "info")
    return redirect(url_for("course_admin.index", _anchor=f"course-{course.slug}"))


@bp.post("/<slug>/instructors/<int:user_id>/remove")
@role_required(Role.ADMIN)
def unassign(slug: str, user_id: int) -> Response:
    course = instructors.get_course(current_user, slug)
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    if instructors.unassign(current_user, course, user):
        session.commit()
        flash(f"{user.name} ({user.email}) no longer teaches {course.title}.", "success")
    else:
        flash(f"{user.name} ({user.email}) was not assigned to {course.title}.", "info")
    return redirect(url_for("course_admin.index", _anchor=f"course-{course.slug}"))
