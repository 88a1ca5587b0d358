"""Mail leaves after the commit: a request that fails after queueing sends nothing, a committed one sends once, a mail
server that is down never costs the user their page, and `flask mail deliver` retries until it gives up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from edu.auth.models import User
from edu.clinics import invitations
from edu.clinics.models import StaffLink
from edu.db import session
from edu.errors import Conflict
from edu.mail.delivery import BODY_NOT_KEPT, RETRY_AFTER
from edu.mail.models import OutboxMessage
from tests.clinic_helpers import certify, clinic, staff
from tests.conftest import login, post_form
from tests.smtp_server import SMTPRelay, relay_for

ADMIN = "boss@clinic-a.example"


@pytest.fixture
def relay(app: Flask) -> Iterator[SMTPRelay]:
    with relay_for(app) as running:
        yield running


def rows(app: Flask) -> list[tuple[str, str, str, int, str | None]]:
    with app.app_context():
        return [
            (m.recipient, m.subject, m.state, m.attempts, m.last_error)
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def later(app: Flask) -> None:
    """Move every past attempt back past the retry pause, as if the cron job ran a while after it."""
    with app.app_context():
        for message in session.scalars(select(OutboxMessage).where(OutboxMessage.last_attempt_at.is_not(None))):
            message.last_attempt_at = message.last_attempt_at - RETRY_AFTER - timedelta(seconds=1)
        session.commit()


def deliver(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["mail", "deliver"])


def ask_for_reset(client: Any, email: str = "a@example.com") -> Any:
    return post_form(client, "/reset", {"email": email}, page="/reset")


# --- a committed request ------------------------------------------------------------------------------------------------


def test_a_committed_request_sends_its_mail_once_by_smtp(app, client, make_user, relay):
    make_user("a@example.com", name="Ada")
    assert ask_for_reset(client).status_code == 302
    [message] = relay.messages
    assert (message["To"], message["Subject"]) == ("a@example.com", "Reset your password")
    assert "Hello Ada" in message.get_content() and "http://localhost/reset/" in message.get_content()
    assert rows(app) == [("a@example.com", "Reset your password", "sent", 1, None)]
    with app.app_context():  # the reset link left in the mail and is kept nowhere usable
        assert session.scalars(select(OutboxMessage.body)).one() == BODY_NOT_KEPT
    result = deliver(app)  # the cron job finds nothing to send again
    assert result.exit_code == 0 and "0 sent" in result.output
    assert len(relay.messages) == 1


def test_the_log_backend_marks_mail_sent_within_the_request_and_the_outbox_shows_it(app, client, make_user):
    make_user("boss@example.com", "admin")
    login(client, "boss@example.com")
    empty = client.get("/admin/outbox").get_data(as_text=True)
    assert "The outbox is empty" in empty
    ask_for_reset(client, "boss@example.com")
    assert rows(app) == [("boss@example.com", "Reset your password", "sent", 1, None)]
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "The outbox is empty" not in page
    assert "0 queued · 1 sent · 0 failed" in page
    assert 'class="badge mail-sent">sent<' in page and "1 attempt" in page


# --- a request that fails after queueing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "status", "shown"),
    [
        (Conflict("Someone else changed the staff list just now."), 409, "Someone else changed the staff list just now."),
        (RuntimeError("disk on fire"), 500, "Something went wrong"),
    ],
    ids=["domain-error", "exception"],
)
def test_a_request_that_fails_after_queueing_sends_nothing_and_keeps_nothing(
    app, client, make_user, relay, monkeypatch, failure, status, shown
):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    real_send_invitation = invitations.send_invitation

    def send_then_fail(*args: Any) -> None:
        real_send_invitation(*args)  # the invitation mail is queued...
        raise failure  # ...and then the request fails

    monkeypatch.setattr(invitations, "send_invitation", send_then_fail)
    login(client, ADMIN)
    response = post_form(client, f"/clinics/{slug}/staff", {"email": "lee@example.com"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == status and shown in response.get_data(as_text=True)
    assert relay.messages == []
    assert rows(app) == []
    with app.app_context():
        assert session.scalar(select(func.count(StaffLink.id))) == 0
    assert "0 sent" in deliver(app).output and relay.messages == []


def test_mail_queued_by_a_failed_request_does_not_ride_on_the_next_commit(app, client, make_user, relay, monkeypatch):
    """The same worker's next request commits: only its own mail leaves."""
    make_user("a@example.com")
    make_user("b@example.com")
    from edu.auth import views

    real_queue = views.mail.queue
    calls = []

    def queue_then_fail_once(*args: Any) -> Any:
        message = real_queue(*args)
        calls.append(args[0])
        if len(calls) == 1:
            raise RuntimeError("the first request fails after queueing")
        return message

    monkeypatch.setattr(views.mail, "queue", queue_then_fail_once)
    assert ask_for_reset(client, "a@example.com").status_code == 500
    assert ask_for_reset(client, "b@example.com").status_code == 302
    assert [m["To"] for m in relay.messages] == ["b@example.com"]
    assert [(r[0], r[2]) for r in rows(app)] == [("b@example.com", "sent")]


# --- the mail server is down ---------------------------------------------------------------------------------------------------


def test_with_the_mail_server_down_the_user_gets_the_normal_page_and_the_cron_job_sends_it_later(app, client, make_user, relay):
    make_user("a@example.com")
    relay.down = True
    response = ask_for_reset(client)
    assert response.status_code == 302
    assert "If an account uses that address" in client.get("/login").get_data(as_text=True)
    [(recipient, subject, state, attempts, error)] = rows(app)
    assert (recipient, subject, state, attempts) == ("a@example.com", "Reset your password", "queued", 1)
    assert error is not None and "421" in error and "service not available" in error
    assert relay.messages == []

    soon = deliver(app)  # too soon after the failed attempt: left for a later run
    assert soon.exit_code == 0 and "0 sent, 0 still queued" in soon.output
    later(app)
    relay.down = False
    result = deliver(app)
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 still queued (to try again later), 0 failed" in result.output
    assert [m["Subject"] for m in relay.messages] == ["Reset your password"]
    assert "/reset/" in relay.messages[0].get_content()
    assert rows(app) == [("a@example.com", "Reset your password", "sent", 2, None)]
    later(app)
    assert "0 sent" in deliver(app).output and len(relay.messages) == 1


def test_registration_with_the_mail_server_down_still_opens_the_account(app, client, relay):
    relay.down = True
    registration = {
        "name": "Dana Physio",
        "email": "dana@example.com",
        "password": "a long passphrase",
        "confirm": "a long passphrase",
        "profession": "pt",
    }
    response = post_form(client, "/register", registration, page="/register")
    assert response.status_code == 302
    assert "Welcome, Dana Physio" in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(User.email)) == "dana@example.com"
    assert [(r[0], r[1], r[2]) for r in rows(app)] == [("dana@example.com", "Confirm your email address", "queued")]
    later(app)
    relay.down = False
    assert "1 sent" in deliver(app).output
    assert "/verify-email/" in relay.messages[0].get_content()


def test_attempts_are_bounded_then_the_message_is_failed_and_shown_so(app, client, make_user, relay):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    make_user("a@example.com")
    make_user("boss@example.com", "admin")
    relay.down = True
    ask_for_reset(client)  # attempt 1, in the request
    later(app)
    second = deliver(app)
    assert second.exit_code == 0 and "0 sent, 1 still queued" in second.output
    later(app)
    third = deliver(app)
    assert third.exit_code != 0 and "0 sent, 0 still queued (to try again later), 1 failed after 3 attempts" in third.output
    assert "1 message(s) given up" in third.output
    [(_, _, state, attempts, error)] = rows(app)
    assert (state, attempts) == ("failed", 3) and error is not None and "421" in error
    with app.app_context():
        assert session.scalars(select(OutboxMessage.body)).one() == BODY_NOT_KEPT
    relay.down = False
    later(app)
    assert "0 sent, 0 still queued (to try again later), 0 failed" in deliver(app).output
    assert relay.messages == []
    login(client, "boss@example.com")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "0 queued · 0 sent · 1 failed" in page
    assert 'class="badge mail-failed">failed<' in page and "3 attempts" in page
    assert "Last error: SMTPConnectError" in page and "service not available" in page


# --- the cron jobs that queue mail ------------------------------------------------------------------------------------------------


@pytest.fixture
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


@pytest.mark.usefixtures("_keys")
def test_reminders_and_digests_leave_after_their_commits(app, make_user, mini_course, relay):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, slug, ADMIN, "lee@example.com", "Lee")
    certify(app, "lee@example.com", expires_in=20)
    runner = app.test_cli_runner()
    reminded = runner.invoke(args=["certificates", "remind"])
    assert reminded.exit_code == 0 and "1 reminder sent" in reminded.output
    digest = runner.invoke(args=["clinics", "digest"])
    assert digest.exit_code == 0 and "1 clinic digest sent" in digest.output
    sent = sorted((str(m["To"]), str(m["Subject"]).strip()) for m in relay.messages)  # a folded long subject
    assert [(to, subject.split(" expir")[0]) for to, subject in sent] == [
        (ADMIN, "Clinic A: 1 certificate"),  # the digest
        (ADMIN, "Lee: certificate"),  # the clinic's copy of the reminder
        ("lee@example.com", "Certificate earned: A miniature course for tests"),  # on issue
        ("lee@example.com", "Your certificate for A miniature course for tests"),
    ]
    assert [r[2] for r in rows(app)] == ["sent"] * 4
