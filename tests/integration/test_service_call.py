"""The views' one way around a service call (edu/service_call.py): what succeeded is committed, what a refused call
wrote is rolled back (queued mail included) and its message reaches the form or a flash, and an error the page does
not explain leaves for the application's error page with nothing committed."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from wtforms import Form, StringField

from edu.db import session
from edu.errors import Conflict, Invalid, NotFound
from edu.mail import services as mail
from edu.mail.models import OutboxMessage
from edu.service_call import service_call


class EmailForm(Form):
    email = StringField("Email")


def _messages_kept(app) -> int:
    """Counted in a fresh application context: only what was committed is there."""
    with app.app_context():
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_a_call_that_succeeds_is_committed(app):
    with app.test_request_context(method="POST"):
        with service_call(EmailForm().email) as call:
            mail.queue("a@example.com", "Hello", "Body")
        assert not call.failed and call.message == "" and call.status == 200
    assert _messages_kept(app) == 1


def test_a_refused_call_is_rolled_back_and_its_message_goes_on_the_field_and_in_a_flash(app):
    with app.test_request_context(method="POST"):
        form = EmailForm()
        with service_call(form.email, flash_as="error") as call:
            mail.queue("a@example.com", "Hello", "Body")
            raise Conflict("That address is taken.")
        assert call.failed and call.status == 409 and call.message == "That address is taken."
        assert form.email.errors == ["That address is taken."]
        assert get_flashed_messages(with_categories=True) == [("error", "That address is taken.")]
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0, "rolled back, not just uncommitted"
    assert _messages_kept(app) == 0


def test_an_error_the_page_does_not_explain_leaves_the_block_uncommitted(app):
    with app.test_request_context(method="POST"):
        form = EmailForm()
        with pytest.raises(NotFound), service_call(form.email, catching=Invalid):
            mail.queue("a@example.com", "Hello", "Body")
            raise NotFound("No such clinic.")
        assert not form.email.errors
        assert get_flashed_messages() == []
        session.rollback()  # what the application's DomainError handler does
    assert _messages_kept(app) == 0
