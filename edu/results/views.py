"""The results pages for instructors: every quiz at a glance, gradebooks (and CSV), one attempt in full, regrade
after a corrected key, and item analysis with charts.

They join the instructor blueprint that edu.quizzes.instructor_views defines (endpoints instructor.*, under
/instructor/quizzes), so the application registers that one blueprint after importing this module. Every route
needs the instructor role (admins pass too); the services check it again and load each object themselves: an
unknown id, or an object of a course the instructor does not teach (edu.catalog.policy), is a 404. Views parse
input, call services, commit once, render or redirect.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from edu.auth.models import Role
from edu.auth.permissions import role_required
from edu.errors import Conflict, Invalid
from edu.quizzes.grading_methods import GRADING_METHODS
from edu.quizzes.instructor_views import bp
from edu.quizzes.views import quiz_url
from edu.service_call import service_call

from . import analysis as item_analysis
from . import charts, gradebook, regrade, stats
from .forms import RegradeForm

# --- every quiz -------------------------------------------------------------------------------------------------------


@bp.get("/")
@role_required(Role.INSTRUCTOR)
def index() -> str:
    summaries = gradebook.quiz_overview(current_user)
    courses = [(c.slug, c.title) for c in gradebook.gradebook_courses(current_user)]
    return render_template("instructor/index.html", summaries=summaries, courses=courses, quiz_url=quiz_url)


# --- gradebooks -------------------------------------------------------------------------------------------------------


def _csv(book: gradebook.Gradebook) -> Response:
    return Response(
        gradebook.gradebook_csv(book),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{book.filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/courses/<slug>/gradebook")
@role_required(Role.INSTRUCTOR)
def course_gradebook(slug: str) -> str:
    book = gradebook.course_gradebook(current_user, slug)
    return render_template("instructor/gradebook.html", book=book, methods=GRADING_METHODS)


@bp.get("/courses/<slug>/gradebook.csv")
@role_required(Role.INSTRUCTOR)
def course_gradebook_csv(slug: str) -> Response:
    return _csv(gradebook.course_gradebook(current_user, slug))


@bp.get("/<int:quiz_id>/gradebook")
@role_required(Role.INSTRUCTOR)
def quiz_gradebook(quiz_id: int) -> str:
    book = gradebook.quiz_gradebook(current_user, quiz_id)
    return render_template("instructor/gradebook.html", book=book, methods=GRADING_METHODS)


@bp.get("/<int:quiz_id>/gradebook.csv")
@role_required(Role.INSTRUCTOR)
def quiz_gradebook_csv(quiz_id: int) -> Response:
    return _csv(gradebook.quiz_gradebook(current_user, quiz_id))


@bp.get("/attempts/<int:attempt_id>")
@role_required(Role.INSTRUCTOR)
def attempt(attempt_id: int) -> str:
    detail = gradebook.attempt_detail(current_user, attempt_id)
    return render_template("instructor/attempt.html", d=detail)


# --- regrade ----------------------------------------------------------------------------------------------------------


def _regrade_page(quiz_id: int, status: int = 200) -> tuple[str, int]:
    plan = regrade.plan_regrade(current_user, quiz_id)
    history = regrade.regrade_history(current_user, quiz_id)
    form = RegradeForm(formdata=None, fingerprint=plan.fingerprint)
    return render_template("instructor/regrade.html", plan=plan, history=history, form=form), status


@bp.get("/<int:quiz_id>/regrade")
@role_required(Role.INSTRUCTOR)
def regrade_dry_run(quiz_id: int) -> tuple[str, int]:
    return _regrade_page(quiz_id)


@bp.post("/<int:quiz_id>/regrade")
@role_required(Role.INSTRUCTOR)
def regrade_apply(quiz_id: int) -> WerkzeugResponse | tuple[str, int]:
    form = RegradeForm()
    if not form.validate_on_submit():
        abort(400)
    with service_call(flash_as="error", catching=Conflict) as call:
        run = regrade.apply_regrade(current_user, quiz_id, form.fingerprint.data or None)
    if call.failed:
        return _regrade_page(quiz_id, call.status)
    if run is None:  # nothing was written: the commit above only released the quiz's lock
        flash("Nothing to regrade: every graded attempt already uses the newest version of its questions.", "info")
        return redirect(url_for("instructor.regrade_dry_run", quiz_id=quiz_id))
    summary = dict(run.summary)
    flash(
        f"Regraded {summary['attempts']} attempt{'s' if summary['attempts'] != 1 else ''}: "
        f"{summary['changed']} changed score or result "
        f"({summary['fail_to_pass']} fail → pass, {summary['pass_to_fail']} pass → fail).",
        "success",
    )
    return redirect(url_for("instructor.regrade_dry_run", quiz_id=quiz_id))


# --- item analysis ----------------------------------------------------------------------------------------------------


@bp.get("/<int:quiz_id>/analysis")
@role_required(Role.INSTRUCTOR)
def analysis(quiz_id: int) -> tuple[str, int]:
    status = 200
    try:
        result = item_analysis.analyse_quiz(current_user, quiz_id, request.args.get("attempts"))
    except Invalid as exc:
        flash(exc.message, "error")
        result = item_analysis.analyse_quiz(current_user, quiz_id)
        status = 400
    percent = "{:.0f}".format
    histogram = charts.histogram(
        result.histogram,
        title=f"Score distribution of {result.quiz.title}",
        desc=f"Number of attempts in each 10-point score band, for {item_analysis.WHICH_LABELS[result.which]}: "
        + "; ".join(f"{label} %: {count}" for label, count in result.histogram)
        + ".",
    )
    plotted = [i for i in result.items if i.figures.facility is not None and i.figures.discrimination_index is not None]
    scatter = charts.scatter(
        [
            charts.Point(
                str(i.number),
                i.key,
                i.figures.facility or 0.0,
                i.figures.discrimination_index or 0.0,
                i.flagged,
            )
            for i in plotted
        ],
        title="Facility against discrimination index, per question",
        desc="Each point is a question: further right means more learners answered it correctly, higher means it "
        "separates stronger from weaker learners better. Shaded areas mark questions to review (facility under "
        f"{percent(100 * stats.FACILITY_TOO_HARD)} % or over {percent(100 * stats.FACILITY_TOO_EASY)} %, or "
        f"discrimination under {percent(stats.DISCRIMINATION_MIN)} %). {len(plotted)} of {len(result.items)} "
        "questions have both figures.",
    )
    return (
        render_template(
            "instructor/analysis.html",
            a=result,
            histogram=histogram,
            scatter=scatter,
            which_labels=item_analysis.WHICH_LABELS,
            small=stats.SMALL_COHORT,
            thresholds={
                "hard": stats.FACILITY_TOO_HARD,
                "easy": stats.FACILITY_TOO_EASY,
                "discrimination": stats.DISCRIMINATION_MIN,
            },
        ),
        status,
    )
