"""Accounts through the browser's eyes: registration, login, sessions, resets, roles and their guards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from edu.auth.models import LoginSession, PasswordResetToken, User
from edu.db import session, utcnow
from edu.mail.models import OutboxMessage
from tests.conftest import PASSWORD, csrf_token, login, post_form

REGISTRATION = {
    "name": "Dana Physio",
    "email": "Dana@Example.com ",
    "password": "a long passphrase",
    "confirm": "a long passphrase",
    "profession": "pt",
    "licence_number": "PT-998",
    "jurisdiction": "Ontario",
}


def count(app, model) -> int:
    with app.app_context():
        return session.scalar(select(func.count()).select_from(model))


def test_registration_creates_an_argon2_account_and_logs_in(app, client):
    response = post_form(client, "/register", REGISTRATION, page="/register")
    assert response.status_code == 302
    with app.app_context():
        user = session.scalar(select(User))
        assert user.email == "dana@example.com"
        assert user.password_hash.startswith("$argon2id$")
        assert (user.licence_number, user.jurisdiction) == ("PT-998", "Ontario")
    assert "Dana Physio" in client.get("/account").get_data(as_text=True)


def test_registration_errors_are_clear_and_change_nothing(app, client, make_user):
    make_user("dana@example.com")
    response = post_form(client, "/register", REGISTRATION, page="/register")
    assert response.status_code == 400
    assert "An account with this email already exists" in response.get_data(as_text=True)
    bad = post_form(client, "/register", {**REGISTRATION, "email": "new@example.com", "confirm": "different"}, page="/register")
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert "There is a problem" in body and "The passwords do not match." in body
    assert count(app, User) == 1


def test_oversized_field_is_rejected_with_a_message(app, client):
    response = post_form(client, "/register", {**REGISTRATION, "name": "x" * 5000}, page="/register")
    assert response.status_code == 400
    assert "Field cannot be longer than 120 characters." in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_a_wrong_csrf_token_is_refused_and_changes_nothing(app, client):
    client.get("/register")
    response = client.post("/register", data={**REGISTRATION, "csrf_token": "forged"})
    assert response.status_code == 400
    assert count(app, User) == 0
    missing = client.post("/register", data=REGISTRATION)
    assert missing.status_code == 400
    assert count(app, User) == 0


def test_logout_needs_csrf(app, learner):
    assert learner.post("/logout").status_code == 400
    assert learner.get("/dashboard").status_code == 200


def test_failed_login_gives_one_generic_message(client, make_user):
    make_user("known@example.com")
    wrong_password = login(client, "known@example.com", "not the password")
    unknown_email = login(client, "nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    for response in (wrong_password, unknown_email):
        assert "That email and password do not match an account." in response.get_data(as_text=True)


def test_login_redirects_only_to_local_next(client, make_user):
    make_user("a@example.com")
    token = csrf_token(client)
    forged = client.post(
        "/login?next=https://evil.example/", data={"csrf_token": token, "email": "a@example.com", "password": PASSWORD}
    )
    assert forged.status_code == 302 and forged.headers["Location"] == "/dashboard"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    token = csrf_token(client)
    local = client.post("/login?next=/account", data={"csrf_token": token, "email": "a@example.com", "password": PASSWORD})
    assert local.headers["Location"] == "/account"


HOMES = [
    ((), "/dashboard", "My learning"),
    (("instructor",), "/instructor/quizzes/", "Quizzes"),
    (("clinic_admin",), "/clinics/", "Your clinics"),
    (("admin",), "/admin/users", "Users"),
    # several roles: admin, then instructor, then clinic admin decides
    (("clinic_admin", "instructor"), "/instructor/quizzes/", "Quizzes"),
    (("instructor", "clinic_admin", "admin"), "/admin/users", "Users"),
]


@pytest.mark.parametrize(("roles", "home", "heading"), HOMES, ids=["+".join(r) or "learner" for r, _, _ in HOMES])
def test_each_role_lands_on_its_own_home(app, make_user, roles, home, heading):
    make_user("a@example.com", *roles)
    client = app.test_client()
    response = login(client, "a@example.com")
    assert response.status_code == 302 and response.headers["Location"] == home
    page = client.get(home).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    assert f'<a class="brand" href="{home}">' in page, "the site's name leads home"
    again = client.get("/login")  # the login page, opened while logged in
    assert again.status_code == 302 and again.headers["Location"] == home
    # an explicit local next still wins over the role's home, an off-site one never does
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    token = csrf_token(client)
    data = {"csrf_token": token, "email": "a@example.com", "password": PASSWORD}
    assert client.post("/login?next=/account", data=data).headers["Location"] == "/account"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    data["csrf_token"] = csrf_token(client)
    assert client.post("/login?next=//evil.example/", data=data).headers["Location"] == home


def test_staff_still_reach_their_own_learner_dashboard_and_the_catalog(app, make_user):
    make_user("a@example.com", "instructor", "clinic_admin")
    client = app.test_client()
    login(client, "a@example.com")
    home = client.get("/instructor/quizzes/").get_data(as_text=True)
    assert '<a href="/dashboard">My learning</a>' in home and '<a href="/">Courses</a>' in home
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200 and "You are not enrolled in any course yet." in dashboard.get_data(as_text=True)
    assert client.get("/").status_code == 200, "the catalog stays the catalog"
    visitor = app.test_client().get("/").get_data(as_text=True)
    assert '<a class="brand" href="/">' in visitor


def test_logout_ends_the_session_on_the_server(app, client, make_user):
    make_user("a@example.com")
    login(client, "a@example.com")
    stolen_cookie = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/account")}).status_code == 302
    assert count(app, LoginSession) == 0
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie, domain="localhost")
    assert replay.get("/dashboard").status_code == 302  # sent to log in


def test_remember_me_survives_a_browser_restart_until_logout(app, client, make_user):
    make_user("a@example.com")
    login(client, "a@example.com", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value, domain="localhost")
    assert fresh.get("/dashboard").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    again = app.test_client()
    again.set_cookie("remember_token", remember.value, domain="localhost")
    assert again.get("/dashboard").status_code == 302


def test_changing_password_ends_other_sessions(app, make_user):
    make_user("a@example.com")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "a@example.com")
    login(phone, "a@example.com")
    response = post_form(
        laptop,
        "/account/password",
        {"current": PASSWORD, "password": "brand new secret", "confirm": "brand new secret"},
        page="/account/password",
    )
    assert response.status_code == 302
    assert laptop.get("/dashboard").status_code == 200
    assert phone.get("/dashboard").status_code == 302
    assert login(app.test_client(), "a@example.com", "brand new secret").status_code == 302


def test_changing_password_needs_the_current_one(app, learner):
    response = post_form(
        learner,
        "/account/password",
        {"current": "wrong one!", "password": "brand new secret", "confirm": "brand new secret"},
        page="/account/password",
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert login(app.test_client(), "learner@example.com", PASSWORD).status_code == 302


def test_profile_edit(app, learner):
    response = post_form(
        learner,
        "/account",
        {"name": "Lee Renamed", "profession": "student", "licence_number": "", "jurisdiction": "Quebec"},
        page="/account",
    )
    assert response.status_code == 302
    with app.app_context():
        user = session.scalar(select(User))
        assert (user.name, user.profession, user.licence_number, user.jurisdiction) == ("Lee Renamed", "student", None, "Quebec")
    invalid = post_form(learner, "/account", {"name": "X", "profession": "astronaut"}, page="/account")
    assert invalid.status_code == 400


def _reset_link(app) -> str:
    with app.app_context():
        message = session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    match = re.search(r"http://localhost(/reset/\S+)", message.body)
    assert match
    return match.group(1)


def test_password_reset_by_emailed_single_use_link(app, client, make_user):
    make_user("a@example.com")
    response = post_form(client, "/reset", {"email": "A@example.com"}, page="/reset")
    assert response.status_code == 302
    assert "If an account uses that address" in client.get("/login").get_data(as_text=True)
    link = _reset_link(app)
    assert post_form(client, link, {"password": "recovered secret", "confirm": "recovered secret"}, page=link).status_code == 302
    assert login(app.test_client(), "a@example.com", "recovered secret").status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400 and "This link cannot be used" in reused.get_data(as_text=True)


def test_reset_for_unknown_email_looks_the_same_and_sends_nothing(app, client):
    response = post_form(client, "/reset", {"email": "ghost@example.com"}, page="/reset")
    assert response.status_code == 302
    assert "If an account uses that address" in client.get("/login").get_data(as_text=True)
    assert count(app, OutboxMessage) == 0


def test_expired_reset_link_is_refused(app, client, make_user):
    make_user("a@example.com")
    post_form(client, "/reset", {"email": "a@example.com"}, page="/reset")
    link = _reset_link(app)
    with app.app_context():
        token = session.scalar(select(PasswordResetToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert client.get(link).status_code == 400
    response = client.post(link, data={"csrf_token": csrf_token(client, "/reset"), "password": "x" * 12, "confirm": "x" * 12})
    assert response.status_code == 400
    assert login(app.test_client(), "a@example.com").status_code == 302  # old password unchanged


def test_reset_ends_existing_sessions(app, client, make_user):
    make_user("a@example.com")
    other = app.test_client()
    login(other, "a@example.com")
    post_form(client, "/reset", {"email": "a@example.com"}, page="/reset")
    link = _reset_link(app)
    post_form(client, link, {"password": "recovered secret", "confirm": "recovered secret"}, page=link)
    assert other.get("/dashboard").status_code == 302


def test_login_is_throttled(app, client, make_user):
    make_user("a@example.com")
    statuses = [login(client, "a@example.com", "wrong password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    blocked = login(client, "a@example.com")  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_a_stranger_cannot_lock_an_account_owner_out(app, make_user):
    make_user("a@example.com")
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.66"
    statuses = [login(stranger, "a@example.com", "wrong password").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert login(owner, "a@example.com").status_code == 302, "the owner logs in from their own address"


def test_successful_logins_do_not_use_up_the_account_limit(app, client, make_user):
    make_user("a@example.com")
    for _ in range(6):
        assert login(client, "a@example.com").status_code == 302
        post_form(client, "/logout", page="/account")


def test_security_headers_and_cookie_flags(client, make_user):
    make_user("a@example.com")
    response = login(client, "a@example.com", remember=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_outside_development(database_url):
    from edu.application import create_app

    app = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "k",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_URL": "https://localhost",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "max-age" in response.headers["Strict-Transport-Security"]
    app.extensions["edu.db"].engine.dispose()


def test_friendly_error_pages(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and "Method not allowed" in wrong_method.get_data(as_text=True)


def test_unexpected_errors_get_a_500_page_not_a_trace(app, client, monkeypatch):
    from edu.catalog import services

    def boom(user):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "visible_courses", boom)
    response = client.get("/")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "database on fire" not in body


def test_admin_pages_need_the_admin_role(app, learner):
    assert learner.get("/admin/users").status_code == 403
    assert learner.get("/admin/outbox").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/admin/users").status_code == 302


def test_admin_lists_users_and_changes_roles(app, client, make_user):
    make_user("boss@example.com", "admin", name="Boss")
    learner_id = make_user("lee@example.com")
    login(client, "boss@example.com")
    page = client.get("/admin/users?q=lee").get_data(as_text=True)
    assert "lee@example.com" in page and "boss@example.com" not in page
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]+ \d{4}</td>", page)  # joined "3 December 2026", as on every page
    token = csrf_token(client, "/admin/users")
    response = client.post(
        f"/admin/users/{learner_id}/roles", data={"csrf_token": token, f"u{learner_id}-roles": ["instructor", "clinic_admin"]}
    )
    assert response.status_code == 302
    with app.app_context():
        assert session.get(User, learner_id).role_names == {"learner", "instructor", "clinic_admin"}
    bogus = client.post(f"/admin/users/{learner_id}/roles", data={"csrf_token": token, f"u{learner_id}-roles": ["emperor"]})
    assert bogus.status_code == 302
    with app.app_context():
        assert session.get(User, learner_id).role_names == {"learner", "instructor", "clinic_admin"}


def test_admin_cannot_remove_their_own_admin_role(app, client, make_user):
    admin_id = make_user("boss@example.com", "admin")
    login(client, "boss@example.com")
    client.post(
        f"/admin/users/{admin_id}/roles", data={"csrf_token": csrf_token(client, "/admin/users"), f"u{admin_id}-roles": []}
    )
    with app.app_context():
        assert "admin" in session.get(User, admin_id).role_names


def test_outbox_shows_development_mail_to_admins(app, client, make_user):
    make_user("boss@example.com", "admin")
    post_form(client, "/reset", {"email": "boss@example.com"}, page="/reset")
    login(client, "boss@example.com")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Reset your password" in page and "boss@example.com" in page


def test_forbidden_page_is_friendly(learner):
    response = learner.get("/admin/users")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


def test_smtp_backend_sends_the_reset_mail(app, client, make_user, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("message", message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr("edu.mail.delivery.smtplib.SMTP", FakeSMTP)
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="mail.example.org", SMTP_PORT=2525, SMTP_USERNAME="relay")
    make_user("a@example.com")
    post_form(client, "/reset", {"email": "a@example.com"}, page="/reset")
    assert sent[:3] == [("connect", "mail.example.org", 2525), ("starttls",), ("login", "relay")]
    kind, to, subject, body = sent[3]
    assert (kind, to, subject) == ("message", "a@example.com", "Reset your password")
    assert "/reset/" in body
    assert len(sent) == 4  # once
    with app.app_context():  # kept in the outbox as sent
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.recipient, message.state, message.attempts, message.last_error) == ("a@example.com", "sent", 1, None)
        assert message.sent_at is not None


def test_private_pages_are_never_stored_and_public_ones_keep_their_caching(app, client, make_user):
    make_user("lee@example.com")
    assert "no-store" not in client.get("/").headers.get("Cache-Control", ""), "an anonymous catalog page may be cached"
    login(client, "lee@example.com")
    for page in ("/", "/account", "/dashboard", "/transcript", "/certificates"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["Cache-Control"] == "private, no-store", page


def test_the_account_page_lists_sessions_and_logging_out_everywhere_ends_them_all(app, make_user):
    make_user("lee@example.com")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "lee@example.com")
    login(phone, "lee@example.com", remember=True)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Where you are logged in" in page and page.count("<tr><td>") == 2 and "(this browser)" in page
    response = post_form(laptop, "/logout/everywhere", page="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert count(app, LoginSession) == 0
    assert phone.get("/account").status_code == 302, "the other device is logged out too"
    assert laptop.get("/account").status_code == 302


def test_logging_out_everywhere_needs_a_login_and_a_csrf_token(app, client, make_user):
    assert client.post("/logout/everywhere").status_code in (302, 400)
    make_user("lee@example.com")
    login(client, "lee@example.com")
    assert client.post("/logout/everywhere").status_code == 400
    assert count(app, LoginSession) == 1
