from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.auth.models import User
from edu.certificates import records as certificate_records
from edu.certificates.models import Certificate
from edu.db import session, utcnow
from edu.errors import Forbidden
from edu.service_call import service_call

from . import services
from .seat_time import TooSoon

bp = Blueprint("catalog", __name__)


def _user() -> User | None:
    return current_user if current_user.is_authenticated else None


def _earned(user: User | None) -> dict[int, Certificate]:
    """The certificate each course has earned the learner and that holds today (not revoked, not expired), by course
    id: what makes a course page or the dashboard say "Course complete". One statement whatever the number of courses.
    Views are the composition layer: the catalog knows nothing of certificates, this page asks for them."""
    if user is None:
        return {}
    today = utcnow().date()
    earned: dict[int, Certificate] = {}
    for certificate in certificate_records.my_certificates(user):  # newest first: a renewal wins over its predecessor
        if certificate.state_on(today) == "valid":
            earned.setdefault(certificate.course_id, certificate)
    return earned


@bp.get("/")
def index() -> str:
    rows = services.visible_courses(_user())
    found = services.outlines(_user(), [course for course, _ in rows])
    return render_template("catalog/index.html", outlines=[found[c.id] for c, _ in rows if c.id in found])


@bp.get("/courses/<slug>")
def course(slug: str) -> str:
    found = services.get_course(_user(), slug)
    return render_template("catalog/course.html", outline=services.outline(_user(), found), earned=_earned(_user()).get(found.id))


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str) -> WerkzeugResponse:
    found = services.get_course(current_user, slug)
    services.enrol(current_user, found)
    session.commit()
    flash(f"You are enrolled in {found.title}.", "success")
    first = services.outline(current_user, found).next_lesson
    if first is not None:
        return redirect(url_for("catalog.lesson", slug=slug, key=first.key))
    return redirect(url_for("catalog.course", slug=slug))


@bp.post("/courses/<slug>/unenrol")
@login_required
def unenrol(slug: str) -> WerkzeugResponse:
    found = services.get_course(current_user, slug)
    services.unenrol(current_user, found)
    session.commit()
    flash(f"You have left {found.title}. Your progress is kept if you enrol again.", "info")
    return redirect(url_for("catalog.course", slug=slug))


@bp.get("/courses/<slug>/lessons/<key>")
@login_required
def lesson(slug: str, key: str) -> str | WerkzeugResponse:
    found = services.get_course(current_user, slug)
    with service_call(flash_as="info", catching=Forbidden) as call:
        page = services.open_lesson(current_user, found, key)  # the first opening is recorded, for seat time
    if call.failed:
        return redirect(url_for("catalog.course", slug=slug))
    from edu.content.render import headings, scrolling_tables

    return render_template(
        "catalog/lesson.html", page=page, toc=headings(page.lesson.html), body=scrolling_tables(page.lesson.html)
    )


@bp.post("/courses/<slug>/lessons/<key>/complete")
@login_required
def complete(slug: str, key: str) -> WerkzeugResponse:
    found = services.get_course(current_user, slug)
    with service_call(flash_as="warning", catching=TooSoon) as call:
        services.complete_lesson(current_user, found, key)
    if call.failed:
        return redirect(url_for("catalog.lesson", slug=slug, key=key))
    after = services.outline(current_user, found)
    following = after.next_lesson
    if following is not None:
        flash("Lesson marked complete.", "success")
        return redirect(url_for("catalog.lesson", slug=slug, key=following.key))
    flash("Lesson marked complete. You have read every lesson in this course.", "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.get("/courses/<slug>/glossary")
def glossary(slug: str) -> str:
    found = services.get_course(_user(), slug)
    return render_template("catalog/glossary.html", outline=services.outline(_user(), found))


@bp.get("/courses/<slug>/references")
def references(slug: str) -> str:
    found = services.get_course(_user(), slug)
    return render_template("catalog/references.html", outline=services.outline(_user(), found))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    return render_template("catalog/dashboard.html", outlines=services.dashboard(current_user), earned=_earned(current_user))


@bp.get("/assets/<digest>")
def asset(digest: str) -> Response:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        abort(404)
    data, media_type = services.asset(digest)
    response = make_response(data)
    response.headers["Content-Type"] = media_type
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
