"""Clinic pages: staff invitations and consent, roster, compliance exports, bulk verification."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from edu import public_urls
from edu.auth.models import Role
from edu.auth.permissions import role_required
from edu.certificates import signing
from edu.db import session, utcnow
from edu.errors import Invalid
from edu.extensions import limiter
from edu.service_call import service_call

from . import administration, bulk_verification, digests, exports, staff_roster
from . import invitations as consent
from .charts import compliance_svg
from .forms import AdminForm, BulkVerifyForm, ClinicForm, ConsentForm, InviteForm, RosterFilterForm
from .models import Clinic
from .roster import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, STATUS_LABELS, STATUSES, StaffRow, select_rows

bp = Blueprint("clinics", __name__, url_prefix="/clinics")


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.after_request
def _no_store(response: Response) -> Response:
    # Rosters are personal data: never in a shared cache, never in the browser's back/forward cache.
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


# --- clinics -----------------------------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.CLINIC_ADMIN)
def index() -> str | tuple[str, int] | WerkzeugResponse:
    form = ClinicForm()
    if request.method == "POST":
        if form.validate_on_submit():
            with service_call(form.name) as call:
                clinic = administration.create_clinic(current_user, form.name.data or "")
            if not call.failed:
                flash(f"{clinic.name} has been created. Invite your staff below.", "success")
                return redirect(url_for("clinics.staff", slug=clinic.slug))
        return render_template("clinics/index.html", clinics=administration.my_clinics(current_user), form=form), 400
    return render_template("clinics/index.html", clinics=administration.my_clinics(current_user), form=form)


# --- the learner's side: invitations and consent -------------------------------------------------------------------------


@bp.get("/invitations")
@login_required
def invitations() -> str:
    return render_template("clinics/invitations.html", links=consent.my_links(current_user), consent_form=ConsentForm())


@bp.post("/invitations/<int:link_id>/accept")
@login_required
def accept(link_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_template(
            "clinics/invitations.html", links=consent.my_links(current_user), consent_form=form, failed=link_id
        ), 400
    link = consent.respond_by_id(current_user, link_id, accept=True)
    session.commit()
    flash(f"You now share your CE records with {link.clinic.name}. You can withdraw at any time on this page.", "success")
    return redirect(url_for("clinics.invitations"))


@bp.post("/invitations/<int:link_id>/decline")
@login_required
def decline(link_id: int) -> WerkzeugResponse:
    link = consent.respond_by_id(current_user, link_id, accept=False)
    session.commit()
    flash(f"You declined the invitation from {link.clinic.name}. Nothing is shared.", "success")
    return redirect(url_for("clinics.invitations"))


@bp.post("/invitations/<int:link_id>/withdraw")
@login_required
def withdraw(link_id: int) -> WerkzeugResponse:
    link = consent.withdraw(current_user, link_id)
    session.commit()
    flash(f"You withdrew your consent: {link.clinic.name} no longer sees your records.", "success")
    return redirect(url_for("clinics.invitations"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@login_required
def join(token: str) -> str | tuple[str, int] | WerkzeugResponse:
    """The link in the invitation email. Only the account with the invited email may answer it."""
    link = consent.invitation_by_token(current_user, token)
    form = ConsentForm()
    if request.method == "POST":
        if request.form.get("answer") == "decline":
            consent.respond(current_user, link, accept=False)
            session.commit()
            flash(f"You declined the invitation from {link.clinic.name}. Nothing is shared.", "success")
            return redirect(url_for("clinics.invitations"))
        if form.validate_on_submit():
            consent.respond(current_user, link, accept=True)
            session.commit()
            flash(f"You now share your CE records with {link.clinic.name}. You can withdraw at any time on this page.", "success")
            return redirect(url_for("clinics.invitations"))
        return render_template("clinics/join.html", link=link, form=form), 400
    return render_template("clinics/join.html", link=link, form=form)


# --- the clinic's side ---------------------------------------------------------------------------------------------------


def _window() -> int:
    """The expiry window from the query args, read before the roster is built (so it is built once); a bad value
    falls back to the default, and the full form validation below reports it."""
    days = RosterFilterForm(request.args).days
    valid = not days.process_errors and days.data is not None and 1 <= days.data <= MAX_WINDOW_DAYS
    return int(days.data) if valid and days.data is not None else DEFAULT_WINDOW_DAYS


def _filtered(clinic: Clinic) -> tuple[staff_roster.Roster, RosterFilterForm, list[StaffRow], bool]:
    """The roster and the rows the query args ask for; bad args give the messages and the unfiltered roster."""
    report = staff_roster.roster(current_user, clinic, today=utcnow().date(), window_days=_window())
    form = RosterFilterForm(request.args, courses=[(c.slug, c.title) for c in report.courses])
    if not form.validate():
        return report, form, select_rows(report.rows), False
    course = next((c for c in report.courses if c.slug == form.course.data), None)
    rows = select_rows(
        report.rows,
        course_id=course.id if course else None,
        status=form.status.data or None,
        query=form.q.data or "",
        sort=form.sort.data or "name",
    )
    return report, form, rows, True


@bp.get("/<slug>")
@role_required(Role.CLINIC_ADMIN)
def roster(slug: str) -> str | tuple[str, int]:
    clinic = administration.open_clinic(current_user, slug)
    report, form, rows, valid = _filtered(clinic)
    chart = compliance_svg([(c.id, c.title) for c in report.courses], report.counts)
    page = render_template(
        "clinics/roster.html",
        clinic=clinic,
        report=report,
        rows=rows,
        form=form,
        chart=chart,
        statuses=STATUSES,
        labels=STATUS_LABELS,
        upcoming=digests.upcoming_expiries(report),
        query_string=request.query_string.decode("ascii", "replace") if valid else "",
    )
    return page if valid else (page, 400)


@bp.get("/<slug>/roster.csv")
@role_required(Role.CLINIC_ADMIN)
def roster_csv(slug: str) -> Response | tuple[str, int]:
    clinic = administration.open_clinic(current_user, slug)
    report, _form, rows, valid = _filtered(clinic)
    if not valid:
        return roster(slug)  # type: ignore[return-value]
    data = exports.roster_csv(report, rows, signing.verify_url)
    return _download(data.encode("utf-8-sig"), "text/csv", exports.filename(clinic.slug, "roster", report.today, "csv"))


@bp.get("/<slug>/roster.pdf")
@role_required(Role.CLINIC_ADMIN)
def roster_pdf(slug: str) -> Response | tuple[str, int]:
    clinic = administration.open_clinic(current_user, slug)
    report, _form, rows, valid = _filtered(clinic)
    if not valid:
        return roster(slug)  # type: ignore[return-value]
    data = exports.roster_pdf(report, rows, signing.verify_url, provider=str(current_app.config.get("ISSUER_NAME") or ""))
    return _download(data, "application/pdf", exports.filename(clinic.slug, "roster", report.today, "pdf"))


@bp.get("/<slug>/staff/<int:link_id>")
@role_required(Role.CLINIC_ADMIN)
def staff_member(slug: str, link_id: int) -> str:
    clinic = administration.open_clinic(current_user, slug)
    report = staff_roster.staff_member(current_user, clinic, link_id)
    return render_template(
        "clinics/staff_member.html",
        clinic=clinic,
        report=report,
        row=report.rows[0],
        certificates=report.certificates.get(link_id, []),
        verify_url=signing.verify_url,
    )


def _staff_page(clinic: Clinic, invite_form: InviteForm | None = None, admin_form: AdminForm | None = None) -> str:
    return render_template(
        "clinics/staff.html",
        clinic=clinic,
        links=consent.staff_links(current_user, clinic),
        admins=administration.administrators(current_user, clinic),
        invite_form=invite_form or InviteForm(formdata=None),
        admin_form=admin_form or AdminForm(formdata=None),
    )


@bp.get("/<slug>/staff")
@role_required(Role.CLINIC_ADMIN)
def staff(slug: str) -> str:
    return _staff_page(administration.open_clinic(current_user, slug))


@bp.post("/<slug>/staff")
@role_required(Role.CLINIC_ADMIN)
@limiter.limit("60 per hour")
def invite(slug: str) -> str | tuple[str, int] | WerkzeugResponse:
    clinic = administration.open_clinic(current_user, slug)
    form = InviteForm()
    if not form.validate_on_submit():
        return _staff_page(clinic, invite_form=form), 400
    with service_call(form.email) as call:
        invitation = consent.invite(current_user, clinic, form.email.data or "")
        consent.send_invitation(clinic, invitation, public_urls.external("clinics.join", token=invitation.token), current_user)
    if call.failed:
        return _staff_page(clinic, invite_form=form), call.status
    verb = "sent again to" if invitation.reinvited else "sent to"
    flash(f"Invitation {verb} {invitation.link.invited_email}.", "success")
    return redirect(url_for("clinics.staff", slug=clinic.slug))


@bp.post("/<slug>/staff/<int:link_id>/end")
@role_required(Role.CLINIC_ADMIN)
def end_link(slug: str, link_id: int) -> WerkzeugResponse:
    clinic = administration.open_clinic(current_user, slug)
    link = consent.end_link(current_user, clinic, link_id)
    session.commit()
    flash(f"{link.invited_email} is no longer on the staff list.", "success")
    return redirect(url_for("clinics.staff", slug=clinic.slug))


@bp.post("/<slug>/admins")
@role_required(Role.CLINIC_ADMIN)
def add_admin(slug: str) -> str | tuple[str, int] | WerkzeugResponse:
    clinic = administration.open_clinic(current_user, slug)
    form = AdminForm()
    if not form.validate_on_submit():
        return _staff_page(clinic, admin_form=form), 400
    with service_call(form.email) as call:
        user = administration.add_administrator(current_user, clinic, form.email.data or "")
    if call.failed:
        return _staff_page(clinic, admin_form=form), call.status
    flash(f"{user.name} now administers {clinic.name}.", "success")
    return redirect(url_for("clinics.staff", slug=clinic.slug))


# --- bulk verification ---------------------------------------------------------------------------------------------------


def _read_upload(form: BulkVerifyForm) -> bytes | None:
    upload = form.upload.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data: bytes = upload.stream.read(bulk_verification.MAX_UPLOAD_BYTES + 1)
    if len(data) > bulk_verification.MAX_UPLOAD_BYTES:
        raise Invalid(f"The file is larger than {bulk_verification.MAX_UPLOAD_BYTES // 1024} KB. Split it and try again.")
    return data


@bp.route("/<slug>/verify", methods=["GET", "POST"])
@role_required(Role.CLINIC_ADMIN)
@limiter.limit("20 per minute", methods=["POST"])
def bulk_verify(slug: str) -> str | tuple[str, int] | Response:
    clinic = administration.open_clinic(current_user, slug)
    form = BulkVerifyForm()
    if request.method == "GET":
        return render_template("clinics/verify.html", clinic=clinic, form=form, rows=None)
    if not form.validate_on_submit():
        return render_template("clinics/verify.html", clinic=clinic, form=form, rows=None), 400
    try:
        upload = _read_upload(form)
        entries = (
            bulk_verification.parse_csv(upload) if upload is not None else bulk_verification.parse_pasted(form.codes.data or "")
        )
        rows = bulk_verification.check_entries(entries)
    except Invalid as exc:
        form.codes.errors = [*form.codes.errors, exc.message]
        return render_template("clinics/verify.html", clinic=clinic, form=form, rows=None), 400
    checked = bulk_verification.bulk_verify(
        current_user,
        clinic,
        rows,
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        secret=current_app.config["SECRET_KEY"],
    )
    session.commit()
    if request.form.get("download"):
        data = exports.bulk_csv(checked, signing.verify_url)
        return _download(
            data.encode("utf-8-sig"), "text/csv", exports.filename(clinic.slug, "verification", utcnow().date(), "csv")
        )
    tally = {
        state: sum(1 for r in checked if r.state == state) for state in ("valid", "expired", "revoked", "not_found", "error")
    }
    return render_template(
        "clinics/verify.html", clinic=clinic, form=form, rows=checked, tally=tally, verify_url=signing.verify_url
    )
