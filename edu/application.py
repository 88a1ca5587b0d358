"""The application factory: configuration, extensions, blueprints, error pages and CLI (`create_app`)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError as DBAPIInterfaceError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

import config as settings

from . import db, request_guard
from .errors import DomainError
from .extensions import CONTENT_SECURITY_POLICY, csrf, limiter, login_manager, talisman

ERROR_TITLES = {
    400: ("Bad request", "The request could not be understood. Check what you entered and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is nothing at this address. It may have moved, or you may not have access."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many attempts", "You have tried this too many times. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. It has been logged; please try again."),
}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(settings.ROOT / "templates"),
        instance_path=str(settings.INSTANCE),
    )
    app.config.update(settings.load(overrides))
    from datetime import timedelta

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_HOURS"])
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DURATION_DAYS"])
    logging.basicConfig(level=logging.INFO if app.config["APP_ENV"] != "testing" else logging.WARNING)

    from .auth import passwords

    passwords.configure(app.config["PASSWORD_HASH_PROFILE"])
    request_guard.init_app(app)  # first: bounds <int:...> for the blueprints below, and runs before any other hook
    db.init_app(app)
    from .mail import delivery as mail_delivery

    mail_delivery.init_app(app)  # mail queued in a transaction leaves when it commits
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["HSTS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        frame_options="DENY",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    _init_login(app)
    _private_pages_are_not_stored(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_template_helpers(app)

    from .cli import register as register_cli
    from .clinics.notifications import connect as connect_clinic_notifications

    connect_clinic_notifications()

    register_cli(app)
    _behind_proxies(app)
    return app


def _behind_proxies(app: Flask) -> None:
    """Behind nginx every request comes from the proxy's address: the login, reset and verification throttles
    would count the whole site as one client. With TRUSTED_PROXIES set, the address (and scheme) the proxies
    forwarded is the request's. Host is never taken from them: every link that leaves the app uses PUBLIC_URL."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]


def _private_pages_are_not_stored(app: Flask) -> None:
    """A page served to a logged-in user is theirs: never kept by a shared cache or shown from the browser's cache
    after logout. Views that set their own Cache-Control (public assets, the status list) keep it."""
    from flask import session as cookie_session

    @app.after_request
    def _no_store(response: Any) -> Any:
        if "_user_id" in cookie_session and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        return response


def _init_login(app: Flask) -> None:
    from .auth import services as auth_services

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(token: str) -> Any:
        return auth_services.load_session(token)


def _register_blueprints(app: Flask) -> None:
    from .api.views import bp as api_bp
    from .auth.admin import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .banks.views import bp as banks_bp
    from .catalog.admin import bp as course_admin_bp
    from .catalog.views import bp as catalog_bp
    from .certificates.views import bp as certificates_bp
    from .clinics.views import bp as clinics_bp
    from .mail.views import bp as mail_bp
    from .quizzes.instructor_views import bp as instructor_bp
    from .quizzes.views import bp as quizzes_bp
    from .results import views as results_views  # noqa: F401 - adds the results pages to the instructor blueprint

    app.register_blueprint(catalog_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(course_admin_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(banks_bp)
    app.register_blueprint(instructor_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(clinics_bp)
    app.register_blueprint(api_bp)


def _register_errors(app: Flask) -> None:
    def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
        title, message = ERROR_TITLES.get(code, ERROR_TITLES[500])
        return render_template("errors/error.html", code=code, title=title, message=detail or message), code

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return render_error(400, "This form has expired or did not come from this site. Reload the page and try again.")

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> tuple[str, int]:
        db.session.rollback()
        return render_error(error.status, error.message or None)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if error.code == 429:
            return render_error(429)
        return render_error(error.code if error.code in ERROR_TITLES else 400)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIInterfaceError)
    def _database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
        """The database cannot be reached (restarting, failing over, locked): a clean 503 that reads nothing from
        it, the transaction rolled back, and the pool's pre-ping reconnects by itself once it is back."""
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        with contextlib.suppress(Exception):
            db.session.rollback()
        headers = {"Retry-After": "5", "Cache-Control": "no-store"}
        return render_template("errors/unavailable.html"), 503, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        with contextlib.suppress(Exception):  # the original error is what matters; it is logged above
            db.session.rollback()
        return render_error(500)


def _register_template_helpers(app: Flask) -> None:
    from . import presentation
    from .auth.models import PROFESSION_LABELS, Role

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"Role": Role, "PROFESSION_LABELS": PROFESSION_LABELS}

    app.jinja_env.filters.update(presentation.FILTERS)  # |day, |moment, |clock, |pct, |hours, |minutes
