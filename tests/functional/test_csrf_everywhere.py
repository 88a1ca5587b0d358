"""CSRF on every state change: each route that accepts POST, PUT, PATCH or DELETE refuses a request without the
form token, for a learner and for an administrator, and writes nothing. The route list is read from the app's own
URL map, so a route added later is covered without editing this test.

The refusal must be the global check's own (Flask-WTF's CSRFProtect, wired in create_app): views do not check the
token again (edu/service_call.py says why), so for a button-only POST such as enrolling or retiring a question it is
the only check there is, and a 400 from a view that merely disliked the dummy data would prove nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from edu.catalog.models import Enrolment
from edu.db import Base, session
from tests.conftest import login, post_form

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_REFUSED = "This form has expired or did not come from this site."
"""The page of the CSRFError handler in edu/application.py; no view says it."""
EXEMPT = {"api.verify_credential"}
"""A public, read-only check of a credential a verifier posts (JSON, no cookies, no state): CSRF cannot apply."""


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _url(rule) -> str:  # type: ignore[no-untyped-def]
    """The rule with every variable filled: 1 for numbers, a word for the rest (the route must match, not exist)."""
    url = rule.rule
    for name, converter in rule._converters.items():
        value = "1" if isinstance(converter, NumberConverter) else "mini"
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
    return url


def test_the_route_list_is_not_empty_and_names_the_exemptions(app):
    changing = [r for r in app.url_map.iter_rules() if r.methods and r.methods & CHANGING]
    assert len(changing) >= 40
    assert {r.endpoint for r in changing} >= EXEMPT


@pytest.mark.parametrize("role", ["learner", "admin"])
def test_every_state_changing_route_refuses_a_request_without_its_csrf_token(app, mini_course, make_user, role):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user("someone@example.com", *([] if role == "learner" else ["admin", "instructor", "clinic_admin"]))
    client = app.test_client()
    login(client, "someone@example.com")
    before = _counts(app)
    tried = 0
    for rule in app.url_map.iter_rules():
        if not rule.methods or rule.endpoint in EXEMPT or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & CHANGING):
            response = client.open(_url(rule), method=method, data={"name": "x", "email": "x@example.com"})
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            assert CSRF_REFUSED in response.get_data(as_text=True), (method, rule.rule, "refused by the view, not the CSRF check")
            tried += 1
    assert tried >= 40
    assert _counts(app) == before, "nothing was written"


def test_a_button_only_post_on_a_real_object_is_refused_without_its_token_and_done_with_it(app, mini_course, learner):
    """Enrolling is a button: its view has no form to validate, so without the global check this POST would enrol."""
    app.config["WTF_CSRF_ENABLED"] = True
    refused = learner.post("/courses/mini/enrol")
    assert refused.status_code == 400 and CSRF_REFUSED in refused.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 0
    done = post_form(learner, "/courses/mini/enrol", page="/courses/mini")  # the token the course page's button carries
    assert done.status_code == 302
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 1
