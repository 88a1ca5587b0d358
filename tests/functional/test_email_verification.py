"""Email verification through the pages: the confirmation mail, the link, the banner and its resend button, and what
waits for a confirmed address (clinic invitations, certificates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edu.auth import tokens
from edu.auth.models import EmailVerificationToken, User
from edu.catalog import services as catalog
from edu.certificates.models import Certificate
from edu.clinics.models import StaffLink
from edu.db import session, utcnow
from edu.mail.models import OutboxMessage
from tests.certificate_helpers import mini, pass_everything, user
from tests.clinic_helpers import clinic, invite
from tests.conftest import PASSWORD, csrf_token, login, post_form

ORIGIN = "https://ce.example.org"
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
REGISTRATION = {
    "name": "Ana Tester",
    "email": "ana@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "profession": "pt",
}
BANNER = "Confirm your email address."
RESEND = "Send the confirmation email again"


class ForgedHostClient(FlaskClient):
    """A browser whose every request names evil.example as the host, directly and through proxy headers."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["headers"] = {**dict(kwargs.get("headers") or {}), **FORGED}
        return super().open(*args, **kwargs)


@pytest.fixture
def forged(app: Flask) -> Iterator[FlaskClient]:
    # SERVER_NAME unset (the documented default): with it set, Flask would build links from it and hide a link
    # taken from the request's Host.
    app.config["SERVER_NAME"] = None
    app.config["PUBLIC_URL"] = ORIGIN
    app.test_client_class = ForgedHostClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = None


def mails(app: Flask, subject: str = "Confirm your email address") -> list[OutboxMessage]:
    with app.app_context():
        found = list(session.scalars(select(OutboxMessage).where(OutboxMessage.subject == subject).order_by(OutboxMessage.id)))
        session.expunge_all()
        return found


def link_in(body: str, origin: str = "http://localhost") -> str:
    """The path of the confirmation link in a mail, checking it points at the configured origin."""
    match = re.search(rf"{re.escape(origin)}(/verify-email/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def verified_at(app: Flask, email: str) -> datetime | None:
    with app.app_context():
        return user(email).email_verified_at


def fresh_link(app: Flask, email: str) -> str:
    """A confirmation link for the account, as the resend button would mail it."""
    from edu.auth import services

    with app.app_context():
        raw = services.request_email_verification(user(email), timedelta(hours=48))
        session.commit()
    assert raw is not None
    return f"/verify-email/{raw}"


# --- the mail and the link -----------------------------------------------------------------------------------------------


def test_registration_mails_one_confirmation_link_at_the_public_url_whatever_the_host(app, forged):
    response = post_form(forged, "/register", REGISTRATION, page="/register")
    assert response.status_code == 302
    sent = mails(app)
    assert [m.recipient for m in sent] == ["ana@example.com"]
    body = sent[0].body
    path = link_in(body, ORIGIN)
    assert "evil.example" not in body
    assert verified_at(app, "ana@example.com") is None
    with app.app_context():
        stored = session.scalars(select(EmailVerificationToken)).one()
        raw = path.rsplit("/", 1)[1]
        assert stored.token_hash == tokens.digest(raw) and raw not in (stored.token_hash, stored.email)
        assert stored.email == "ana@example.com"
        assert timedelta(hours=47) < stored.expires_at - stored.created_at <= timedelta(hours=48)
    page = forged.get("/dashboard").get_data(as_text=True)
    assert BANNER in page and RESEND in page


def test_the_link_confirms_the_address_once(app, client):
    post_form(client, "/register", REGISTRATION, page="/register")
    path = link_in(mails(app)[0].body)
    response = client.get(path)
    assert response.status_code == 302
    confirmed = verified_at(app, "ana@example.com")
    assert confirmed is not None
    page = client.get("/dashboard").get_data(as_text=True)
    assert "ana@example.com is confirmed" in page
    assert BANNER not in page and RESEND not in page

    again = app.test_client().get(path)
    assert again.status_code == 400
    assert "This confirmation link cannot be used" in again.get_data(as_text=True)
    assert verified_at(app, "ana@example.com") == confirmed


def test_the_link_works_without_logging_in(app, make_user):
    make_user("lee@example.com", verified=False)
    response = app.test_client().get(fresh_link(app, "lee@example.com"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert verified_at(app, "lee@example.com") is not None


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43, "a" * 500])
def test_a_garbage_link_is_a_clear_400_and_changes_nothing(app, make_user, token):
    make_user("lee@example.com", verified=False)
    client = app.test_client()
    login(client, "lee@example.com")
    response = client.get(f"/verify-email/{token}")
    assert response.status_code == 400
    assert "This confirmation link cannot be used" in response.get_data(as_text=True)
    assert verified_at(app, "lee@example.com") is None


@pytest.mark.parametrize("token", ["%00", "..%2F..%2Fetc", "%F0%9F%92%A9" * 30])
def test_a_mangled_link_is_a_4xx_and_changes_nothing(app, make_user, token):
    make_user("lee@example.com", verified=False)
    response = app.test_client().get(f"/verify-email/{token}")
    assert 400 <= response.status_code < 500
    assert verified_at(app, "lee@example.com") is None


def test_an_expired_link_is_a_400_and_changes_nothing(app, make_user):
    make_user("lee@example.com", verified=False)
    path = fresh_link(app, "lee@example.com")
    with app.app_context():
        token = session.scalars(select(EmailVerificationToken)).one()
        token.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 400
    assert "expire" in response.get_data(as_text=True)
    assert verified_at(app, "lee@example.com") is None


def test_confirming_spends_every_other_link_of_the_account(app, make_user):
    make_user("lee@example.com", verified=False)
    first, second = fresh_link(app, "lee@example.com"), fresh_link(app, "lee@example.com")
    assert app.test_client().get(second).status_code == 302
    assert app.test_client().get(first).status_code == 400


# --- the banner and the resend button ------------------------------------------------------------------------------------


def test_the_resend_button_mails_a_new_working_link(app, make_user, client):
    make_user("lee@example.com", verified=False)
    login(client, "lee@example.com")
    response = post_form(client, "/account/verify-email", {"next": "/dashboard"}, page="/dashboard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    sent = mails(app)
    assert [m.recipient for m in sent] == ["lee@example.com"]
    assert "We sent a new confirmation link to lee@example.com" in client.get("/dashboard").get_data(as_text=True)
    assert client.get(link_in(sent[0].body)).status_code == 302
    assert verified_at(app, "lee@example.com") is not None


def test_the_resend_button_needs_the_csrf_token(app, make_user, client):
    make_user("lee@example.com", verified=False)
    login(client, "lee@example.com")
    assert client.post("/account/verify-email").status_code == 400
    assert client.post("/account/verify-email", data={"csrf_token": "forged"}).status_code == 400
    assert mails(app) == []


def test_the_resend_button_needs_a_login(app, client):
    response = post_form(client, "/account/verify-email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert mails(app) == []


def test_the_resend_button_is_rate_limited_per_account(app, make_user, client):
    make_user("lee@example.com", verified=False)
    login(client, "lee@example.com")
    token = csrf_token(client, "/dashboard")
    statuses = [client.post("/account/verify-email", data={"csrf_token": token}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mails(app)) == 3
    # Another browser, another address: the same account is still throttled.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    login(other, "lee@example.com")
    assert post_form(other, "/account/verify-email", page="/dashboard").status_code == 429
    assert len(mails(app)) == 3


def test_a_confirmed_account_gets_no_new_link(app, make_user, client):
    make_user("lee@example.com")
    login(client, "lee@example.com")
    response = post_form(client, "/account/verify-email", page="/account", follow_redirects=True)
    assert "lee@example.com is confirmed already" in response.get_data(as_text=True)
    assert mails(app) == []


# --- clinic invitations --------------------------------------------------------------------------------------------------


def _state(app: Flask, link_id: int) -> str:
    with app.app_context():
        link = session.get(StaffLink, link_id)
        assert link is not None
        return link.state


def test_an_unconfirmed_account_cannot_answer_an_invitation_until_it_confirms(app, make_user, client):
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    link_id, token = invite(app, slug, "boss@clinic-a.example", "lee@example.com")
    make_user("lee@example.com", verified=False)  # whoever registered the invited address
    login(client, "lee@example.com")

    page = client.get(f"/clinics/join/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "before you answer this invitation" in text and RESEND in text
    assert "Accept and share" not in text

    join = post_form(client, f"/clinics/join/{token}", {"consent": "y", "answer": "accept"}, page="/dashboard")
    assert join.status_code == 403
    assert "Confirm your email address before you answer this invitation" in join.get_data(as_text=True)
    by_id = post_form(client, f"/clinics/invitations/{link_id}/accept", {"consent": "y"}, page="/dashboard")
    assert by_id.status_code == 403
    decline = post_form(client, f"/clinics/invitations/{link_id}/decline", page="/dashboard")
    assert decline.status_code == 403
    assert _state(app, link_id) == "pending"
    invitations = client.get("/clinics/invitations").get_data(as_text=True)
    assert "Clinic A" not in invitations and "to see and answer the invitations sent to it" in invitations

    assert client.get(fresh_link(app, "lee@example.com")).status_code == 302
    assert "Clinic A" in client.get("/clinics/invitations").get_data(as_text=True)
    accepted = post_form(client, f"/clinics/join/{token}", {"consent": "y", "answer": "accept"}, page=f"/clinics/join/{token}")
    assert accepted.status_code == 302
    assert _state(app, link_id) == "accepted"


# --- certificates --------------------------------------------------------------------------------------------------------


def _certificates(app: Flask) -> list[Certificate]:
    with app.app_context():
        found = list(session.scalars(select(Certificate)))
        session.expunge_all()
        return found


def test_a_completed_course_is_certified_once_the_address_is_confirmed(app, mini_course, make_user, client):
    uid = make_user("lee@example.com", verified=False)
    completed = datetime.now(UTC) - timedelta(days=3)
    with app.app_context():
        catalog.enrol(user("lee@example.com"), mini())
        for key in ("first", "second"):
            catalog.complete_lesson(user("lee@example.com"), mini(), key)
        pass_everything(uid, completed)
        session.commit()
    login(client, "lee@example.com")

    page = client.get("/courses/mini/certificate").get_data(as_text=True)
    assert "It will be issued as soon as you confirm your email" in page
    assert "Claim my certificate" not in page
    claimed = post_form(client, "/courses/mini/certificate", page="/courses/mini/certificate", follow_redirects=True)
    assert "Your certificate will be issued as soon as you confirm your email address" in claimed.get_data(as_text=True)
    assert _certificates(app) == []

    confirmed = client.get(fresh_link(app, "lee@example.com"), follow_redirects=True)
    issued = _certificates(app)
    assert len(issued) == 1
    assert issued[0].user_id == uid and issued[0].completion_date == completed.date()
    assert f"Your certificate {issued[0].code} for A miniature course for tests has been issued" in confirmed.get_data(
        as_text=True
    )
    assert issued[0].code in client.get("/courses/mini/certificate").get_data(as_text=True)


def test_the_submit_that_completes_the_course_says_the_certificate_waits_for_the_address(app, mini_course, make_user):
    from tests.functional.test_completion_flow import pass_quiz
    from tests.functional.test_quiz_pages import enrol_and_read

    make_user("learner@example.com", verified=False)
    client = app.test_client()
    login(client, "learner@example.com")
    enrol_and_read(app)
    pass_quiz(client, app, "/courses/mini/modules/basics/quiz")
    attempt_id = pass_quiz(client, app, "/courses/mini/final-exam")
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "You have completed A miniature course for tests. Your certificate will be issued as soon as you confirm" in review
    assert _certificates(app) == []
    client.get(fresh_link(app, "learner@example.com"))
    assert [c.course_key for c in _certificates(app)] == ["mini"]


# --- accounts an administrator makes -------------------------------------------------------------------------------------


def test_accounts_made_on_the_command_line_are_confirmed(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["users", "create", "staff@example.com", "--role", "instructor", "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    demo = runner.invoke(args=["users", "demo"])
    assert demo.exit_code == 0, demo.output
    with app.app_context():
        accounts = session.scalars(select(User)).all()
        assert len(accounts) == 5
        assert [a.email for a in accounts if a.email_verified_at is None] == []
    assert mails(app) == []


def test_the_admin_users_page_shows_whether_each_address_is_confirmed(app, make_user, client):
    make_user("admin@example.com", "admin")
    make_user("lee@example.com", verified=False)
    login(client, "admin@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<td>([^<@]+@example\.com)</td>\s*<td>(.*?)</td>", page)}
    assert "Not confirmed" in rows["lee@example.com"]
    assert rows["admin@example.com"].startswith("Confirmed ")
