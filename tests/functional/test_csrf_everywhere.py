"""CSRF on every state change: each route that accepts POST, PUT, PATCH or DELETE refuses a request without the
form token, for a learner and for an administrator, and writes nothing. The route list is read from the app's own
URL map, so a route added later is covered without editing this test."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from edu.db import Base, session
from tests.conftest import login

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
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
            tried += 1
    assert tried >= 40
    assert _counts(app) == before, "nothing was written"
