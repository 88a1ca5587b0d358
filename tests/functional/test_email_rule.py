"""One email rule everywhere: whatever registration or `flask users create` accepts, the login form accepts too."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from edu.auth import services
from edu.auth.emails import UnusableEmail, usable_email
from edu.auth.models import User
from edu.db import session
from edu.errors import Invalid
from tests.conftest import PASSWORD, login, post_form
from tests.functional.test_auth import REGISTRATION
from tests.property_budget import max_examples

REFUSED = ["someone@clinic.test", "a@b.local", "user@localhost", "two..dots@example.com", "no-at-sign.example.com", ""]


def _users(app) -> int:
    with app.app_context():
        return session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("address", REFUSED)
def test_the_cli_refuses_an_address_the_login_form_would_refuse(app, address):
    result = app.test_cli_runner().invoke(args=["users", "create", address, "--generate-password"])
    assert result.exit_code != 0
    assert "Enter a valid email address" in result.output
    assert _users(app) == 0


@pytest.mark.parametrize("address", REFUSED[:4])
def test_registration_refuses_it_too_and_creates_nothing(app, client, address):
    response = post_form(client, "/register", {**REGISTRATION, "email": address}, page="/register")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert _users(app) == 0


def test_an_account_made_on_the_command_line_can_log_in(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "Head.Office@Clinic-A.example", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert login(client, "head.office@clinic-a.example").status_code == 302
    assert "Log out" in client.get("/account").get_data(as_text=True)


@settings(max_examples=max_examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.emails(), st.text(max_size=40), st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(test|local|com|example|onion)", fullmatch=True)
    )
)
def test_register_accepts_exactly_what_login_can_find(app, address):
    """The service and the forms share one rule: an address is either refused by both, or stored as login finds it."""
    from edu.auth.forms import LoginForm

    with app.test_request_context(method="POST", data={"email": address, "password": PASSWORD}):
        form = LoginForm(meta={"csrf": False})
        form_ok = form.validate()
    try:
        stored = usable_email(address)
    except UnusableEmail:
        stored = None
    assert form_ok == (stored is not None), address
    with app.app_context():
        try:
            user = services.register(name="P", email=address, password=PASSWORD)
        except Invalid:
            assert stored is None
        else:
            assert user.email == stored and services.find_user(address) is user
        finally:
            session.rollback()
