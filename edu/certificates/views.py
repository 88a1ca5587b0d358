"""Certificate pages: the learner's certificates and transcript, public verification, the issuer's published
documents (JWK Set, issuer profile, status lists) and the admin lifecycle pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as WerkzeugResponse

from edu import public_urls
from edu.auth.models import Role
from edu.auth.permissions import role_required
from edu.catalog import services as catalog
from edu.db import session, utcnow
from edu.extensions import limiter
from edu.service_call import service_call

from . import credential_status, issuance, records, revocation, signing, transcripts, verification
from .completion import current_cycle, evaluate_completion, renewal_opens
from .credential import CONTEXT
from .forms import ReissueForm, RevokeForm, VerifyForm
from .models import REVOCATION_CATEGORIES
from .pdf import render_transcript_pdf
from .snapshot import InvalidCode, is_valid_public_id, normalise_code

bp = Blueprint("certificates", __name__)


def verify_limits() -> str:
    return str(current_app.config.get("VERIFY_LIMITS") or "30 per minute")


# One budget for the page and the API: a scraper cannot double its rate by switching between them.
verification_limit = limiter.shared_limit(verify_limits, scope="certificate-verification")


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> tuple[str, int]:
    return render_template("certificates/too_many.html"), 429


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the learner's pages ------------------------------------------------------------------------------------------------


@bp.get("/certificates")
@login_required
def mine() -> str:
    today = utcnow().date()
    return render_template(
        "certificates/mine.html",
        certificates=records.my_certificates(current_user),
        today=today,
        credential_offered=records.credential_offered,
    )


@bp.get("/certificates/<public_id>.pdf")
@login_required
def pdf(public_id: str) -> Response:
    certificate = records.get_own(current_user, public_id, staff_may=True)
    data = records.printable(certificate, utcnow().date())
    return _download(data, "application/pdf", f"certificate-{certificate.code}.pdf")


@bp.get("/certificates/<public_id>/credential.jwt")
@login_required
def credential(public_id: str) -> Response | tuple[str, int]:
    certificate = records.get_own(current_user, public_id)
    if not records.credential_offered(certificate):
        return render_template("certificates/credential_withdrawn.html", certificate=certificate), 410
    return _download(certificate.credential_jwt.encode("ascii"), "application/vc+jwt", f"credential-{certificate.code}.jwt")


@bp.get("/transcript")
@login_required
def transcript() -> str:
    from edu.catalog.seat_time import learner_time_on_task

    today = utcnow().date()
    return render_template(
        "certificates/transcript.html",
        record=transcripts.transcript(current_user, today),
        today=today,
        seat_time=learner_time_on_task(current_user.id),
    )


@bp.get("/transcript.csv")
@login_required
def transcript_csv() -> Response:
    record = transcripts.transcript(current_user)
    return _download(transcripts.transcript_csv(record).encode("utf-8-sig"), "text/csv", "ce-transcript.csv")


@bp.get("/transcript.pdf")
@login_required
def transcript_pdf() -> Response:
    today = utcnow().date()
    record = transcripts.transcript(current_user, today)
    data = render_transcript_pdf(
        record.learner_name, record.rows, provider=str(current_app.config.get("ISSUER_NAME") or ""), generated_on=today
    )
    return _download(data, "application/pdf", "ce-transcript.pdf")


@bp.route("/courses/<slug>/certificate", methods=["GET", "POST"])
@login_required
def course_certificate(slug: str) -> str | WerkzeugResponse:
    """GET: where the learner stands. POST ('Claim my certificate'): issue it if the course is complete."""
    course = catalog.get_course(current_user, slug)
    if request.method == "POST":
        result = issuance.issue_if_complete(current_user, course)
        session.commit()
        if result.certificate is not None:
            flash("Your certificate has been issued." if result.created else "Your certificate was already issued.", "success")
        elif result.awaiting_verification:
            flash(issuance.AWAITING_VERIFICATION, "info")
        else:
            flash("The course is not complete yet: see what remains below.", "info")
        return redirect(url_for("certificates.course_certificate", slug=slug))
    today = utcnow().date()
    cycle = current_cycle(current_user, course)
    completion = None if cycle.certificate is not None else evaluate_completion(current_user, course)
    latest = cycle.previous
    return render_template(
        "certificates/course.html",
        course=course,
        cycle=cycle,
        certificate=latest,
        completion=completion,
        today=today,
        renewal_opens=renewal_opens(latest) if latest else None,
        linkedin_url=records.linkedin_url(cycle.certificate, today) if cycle.certificate else None,
    )


# --- public verification -------------------------------------------------------------------------------------------------


def requester() -> dict[str, Any]:
    """Who asked for a verification, as `verification.lookup` logs it: the address (kept only as a keyed hash that
    changes daily, hence the secret) and the browser. The page and the API (edu/api/views.py) both log through this."""
    return {
        "ip": request.remote_addr,
        "user_agent": request.headers.get("User-Agent"),
        "secret": current_app.config["SECRET_KEY"],
    }


@bp.get("/verify")
@verification_limit
def verify_form() -> str | WerkzeugResponse:
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return render_template("certificates/verify_form.html", form=VerifyForm())
    if form.validate():
        raw = (form.code.data or "").strip()
        canonical = raw.lower() if is_valid_public_id(raw.lower()) else None
        if canonical is None:
            try:
                canonical = normalise_code(raw)
            except InvalidCode:
                canonical = None
        if canonical is not None:
            return redirect(url_for("certificates.verify", code=canonical))
        outcome = verification.lookup(raw, via="page", **requester())  # logged as an invalid look-up
        session.commit()
        form.code.errors = [outcome.problem or "That is not a certificate code."]
    return render_template("certificates/verify_form.html", form=form), 400  # type: ignore[return-value]


@bp.get("/verify/<path:code>")
@verification_limit
def verify(code: str) -> tuple[str, int]:
    outcome = verification.lookup(code, via="page", **requester())
    session.commit()
    form = VerifyForm(data={"code": code})
    status = 404 if outcome.state == "not_found" else 200
    return render_template("certificates/verify.html", outcome=outcome, form=form), status


# --- what the issuer publishes -------------------------------------------------------------------------------------------


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(signing.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.mimetype = "application/jwk-set+json"
    return response


@bp.get("/credentials/issuer")
def issuer() -> Response:
    response = jsonify({"@context": list(CONTEXT), **signing.issuer().as_dict()})
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/credentials/status/<int:list_id>")
def status_list(list_id: int) -> Response:
    token = credential_status.status_list_credential(list_id)
    response = Response(token, mimetype="application/vc+jwt")
    # Short: a revocation should reach verifiers within minutes.
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- administration ------------------------------------------------------------------------------------------------------


@bp.get("/admin/certificates")
@role_required(Role.ADMIN, Role.INSTRUCTOR)
def admin_index() -> str:
    query = request.args.get("q", "")[:100]
    return render_template(
        "certificates/admin_index.html", certificates=revocation.search(current_user, query), query=query, today=utcnow().date()
    )


def _admin_page(public_id: str, revoke_form: RevokeForm | None = None, reissue_form: ReissueForm | None = None) -> str:
    certificate, events = revocation.manage(current_user, public_id)
    return render_template(
        "certificates/admin_detail.html",
        certificate=certificate,
        events=events,
        revoke_form=revoke_form or RevokeForm(formdata=None),
        reissue_form=reissue_form or ReissueForm(formdata=None),
        categories=REVOCATION_CATEGORIES,
        today=utcnow().date(),
    )


@bp.get("/admin/certificates/<public_id>")
@role_required(Role.ADMIN, Role.INSTRUCTOR)
def admin_detail(public_id: str) -> str:
    return _admin_page(public_id)


@bp.post("/admin/certificates/<public_id>/revoke")
@role_required(Role.ADMIN, Role.INSTRUCTOR)
def admin_revoke(public_id: str) -> str | tuple[str, int] | WerkzeugResponse:
    certificate, _events = revocation.manage(current_user, public_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _admin_page(public_id, revoke_form=form), 400
    with service_call(flash_as="error") as call:
        revocation.revoke(current_user, certificate, form.category.data or "", form.reason.data or "")
    if call.failed:
        return redirect(url_for("certificates.admin_detail", public_id=public_id))
    flash(f"Certificate {certificate.code} has been revoked.", "success")
    return redirect(url_for("certificates.admin_detail", public_id=public_id))


@bp.post("/admin/certificates/<public_id>/reissue")
@role_required(Role.ADMIN, Role.INSTRUCTOR)
def admin_reissue(public_id: str) -> str | tuple[str, int] | WerkzeugResponse:
    certificate, _events = revocation.manage(current_user, public_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _admin_page(public_id, reissue_form=form), 400
    with service_call(flash_as="error") as call:
        replacement = revocation.reissue(current_user, certificate, form.reason.data or "")
    if call.failed:
        return redirect(url_for("certificates.admin_detail", public_id=public_id))
    flash(f"Certificate {certificate.code} was replaced by {replacement.code}.", "success")
    return redirect(url_for("certificates.admin_detail", public_id=replacement.public_id))


def renew_url(slug: str) -> str:
    return public_urls.external("certificates.course_certificate", slug=slug)
