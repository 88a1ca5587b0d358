from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from edu import public_urls
from edu.certificates import issuance
from edu.db import session
from edu.errors import Conflict, Invalid
from edu.extensions import limiter
from edu.mail import services as mail
from edu.service_call import service_call

from . import landing, services
from .forms import ChangePasswordForm, LoginForm, ProfileForm, RegisterForm, ResetForm, ResetRequestForm
from .models import User
from .permissions import safe_next

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_FAILURE = "That email and password do not match an account. Check them and try again."
GENERIC_RESET_SENT = (
    "If an account uses that address, we have sent it a link to reset the password. The link works once, within {hours} hours."
)


def _login_limits() -> str:
    return str(current_app.config["LOGIN_LIMITS"])


def _account_limits() -> str:
    return str(current_app.config["LOGIN_LIMITS_PER_ACCOUNT"])


def _account_key() -> str:
    """One account from one address: guessing at an account is throttled, yet a stranger's failures elsewhere never
    lock its owner out (OWASP's advice against account lockout). Distributed guessing meets the per-address limit."""
    return "account:" + services.normalise_email(request.form.get("email", ""))[:254] + "|" + get_remote_address()


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _own_account_key() -> str:
    return f"verify-email:{getattr(current_user, 'id', None)}"


def _verification_hours() -> int:
    return int(current_app.config["EMAIL_VERIFICATION_HOURS"])


def _queue_confirmation(user: User, token: str) -> None:
    """Queue the confirmation link in the transaction that stores its token: both commit or neither does, and the
    mail leaves after the commit (a mail server that is down delays it, never fails the registration)."""
    hours = _verification_hours()
    link = public_urls.external("auth.verify_email", token=token)  # PUBLIC_URL, never the request's Host
    mail.queue(
        user.email,
        "Confirm your email address",
        f"Hello {user.name},\n\nPlease confirm that this is your email address by opening this link within {hours} "
        f"hours (it works once):\n\n{link}\n\nUntil you confirm it, you cannot answer clinic invitations, and "
        "certificates you earn wait for it.\n\nIf you did not create an account on Needlepoint CE, ignore this "
        "message.\n",
    )


def _home_url(user: User) -> str:
    return url_for(landing.home_endpoint(user))


@bp.app_context_processor
def _home() -> dict[str, Any]:
    """`home_url()` in every template: the logged-in user's own home (the site's name in the navigation links
    there), or the catalog for a visitor."""

    def home_url() -> str:
        return _home_url(current_user) if current_user.is_authenticated else url_for("catalog.index")

    return {"home_url": home_url}


def _begin_session(user: User, remember: bool) -> None:
    lifetime = (
        timedelta(days=current_app.config["REMEMBER_COOKIE_DURATION_DAYS"])
        if remember
        else timedelta(hours=current_app.config["SESSION_HOURS"])
    )
    services.start_session(user, remember=remember, lifetime=lifetime, user_agent=request.user_agent.string)
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(_home_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        with service_call(catching=(Conflict, Invalid)) as call:
            user = services.register(
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                profession=form.profession.data or "",
                licence_number=form.licence_number.data,
                jurisdiction=form.jurisdiction.data,
            )
            token = services.request_email_verification(user, timedelta(hours=_verification_hours()))
            if token is not None:
                _queue_confirmation(user, token)
            _begin_session(user, remember=False)
        if call.failed:  # a taken address is the email's problem; any other refusal is the password's
            refused = form.email if isinstance(call.error, Conflict) else form.password
            refused.errors = [*refused.errors, call.message]
        else:
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            if token is not None:
                flash(f"We sent a link to {user.email}: open it to confirm your email address.", "info")
            return redirect(safe_next(request.args.get("next")) or url_for("catalog.index"))
    return render_template("auth/register.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits, methods=["POST"])
@limiter.limit(_account_limits, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(_home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            _begin_session(user, remember=bool(form.remember.data))
            session.commit()
            return redirect(safe_next(request.args.get("next")) or _home_url(user))
        session.commit()  # a rehash on success is the only write; nothing to keep on failure
        flash(GENERIC_LOGIN_FAILURE, "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        services.end_session(current_user.get_id())
        session.commit()
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("catalog.index"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere() -> Response:
    services.end_all_sessions(current_user)
    session.commit()
    logout_user()
    flash("You have logged out on every device and browser.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response | tuple[str, int]:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        with service_call(form.profession, catching=Invalid) as call:
            services.update_profile(
                current_user,
                name=form.name.data or "",
                profession=form.profession.data or "",
                licence_number=form.licence_number.data,
                jurisdiction=form.jurisdiction.data,
            )
        if not call.failed:
            flash("Your profile is saved.", "success")
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    sessions = services.active_sessions(current_user, current_user.get_id())
    return render_template("auth/account.html", form=form, sessions=sessions), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        with service_call(form.current, catching=Invalid) as call:
            services.change_password(user, form.current.data or "", form.password.data or "")
            # Every other session (and remember cookie) is gone; this browser gets a fresh one.
            _begin_session(user, remember=False)
        if not call.failed:
            flash("Your password is changed. You have been logged out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.get("/verify-email/<token>")
@limiter.limit("10 per minute")
def verify_email(token: str) -> str | Response | tuple[str, int]:
    """The link in the confirmation email. It needs no login (the token names the account), and what was held back
    waiting for the address is released now: certificates the learner has already earned are issued."""
    with service_call(catching=Invalid) as call:
        if len(token) > 100:
            raise Invalid(services.BAD_VERIFICATION_LINK)
        user = services.verify_email(token)
    if call.failed:
        return render_template("auth/verify_invalid.html"), 400
    flash(f"Thank you: {user.email} is confirmed.", "success")
    try:
        issued = issuance.issue_earned(user)
        session.commit()
    except Exception:
        session.rollback()
        current_app.logger.exception("issuing earned certificates failed for user %s", user.id)
        flash("We could not issue your certificates just now. Open each course's certificate page to claim them.", "error")
    else:
        for certificate in issued:
            flash(f"Your certificate {certificate.code} for {certificate.course_title} has been issued.", "success")
    if current_user.is_authenticated:
        return redirect(url_for("catalog.dashboard"))
    return redirect(url_for("auth.login"))


@bp.post("/account/verify-email")
@login_required
@limiter.limit("10 per hour")
@limiter.limit("3 per hour;10 per day", key_func=_own_account_key)
def resend_verification() -> Response:
    """The 'send the confirmation email again' button: to the account's own address only, and throttled per
    account, so it cannot be turned into a way of mailing someone else or flooding one inbox."""
    user: User = current_user._get_current_object()
    token = services.request_email_verification(user, timedelta(hours=_verification_hours()))
    if token is not None:
        _queue_confirmation(user, token)
    session.commit()
    if token is None:
        flash(f"{user.email} is confirmed already.", "info")
    else:
        flash(
            f"We sent a new confirmation link to {user.email}. It works once, within {_verification_hours()} hours.",
            "info",
        )
    return redirect(safe_next(request.form.get("next")) or url_for("auth.account"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def reset_request() -> str | Response | tuple[str, int]:
    form = ResetRequestForm()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    if form.validate_on_submit():
        found = services.request_password_reset(form.email.data or "", timedelta(hours=hours))
        if found is not None:
            user, token = found
            link = public_urls.external("auth.reset", token=token)  # PUBLIC_URL, never the request's Host
            mail.queue(
                user.email,
                "Reset your password",
                f"Hello {user.name},\n\nSomeone asked to reset the password of your account. To choose a new "
                f"password, open this link within {hours} hours (it works once):\n\n{link}\n\n"
                "If it was not you, ignore this message: your password stays as it is.\n",
            )
        session.commit()
        flash(GENERIC_RESET_SENT.format(hours=hours), "info")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    if len(token) > 100 or not services.reset_token_is_valid(token):
        session.rollback()
        return render_template("auth/reset_invalid.html"), 400
    form = ResetForm()
    if form.validate_on_submit():
        with service_call(form.password, catching=Invalid) as call:
            services.reset_password(token, form.password.data or "")
        if not call.failed:
            logout_user()
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    session.rollback()
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, token=token), status
