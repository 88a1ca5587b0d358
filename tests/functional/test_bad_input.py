"""Bad input through the test client, on SQLite and PostgreSQL: identifiers no column can hold, NUL bytes, lone
surrogates and deeply nested JSON get a clear 4xx, store nothing, and never poison a later page.

The sweeps walk the URL map itself, so a route added later is covered without touching this file. Each sweep counts
what it tried and asserts that not one request got a 5xx.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update
from werkzeug.routing import Rule

from edu.db import Base, session
from edu.quizzes.models import AttemptItem
from tests.clinic_helpers import clinic, staff
from tests.conftest import assign_instructor, csrf_token, login, post_form, sync_folder
from tests.functional.test_auth import REGISTRATION
from tests.functional.test_instructor_quiz_pages import _ids, quiz_form
from tests.functional.test_quiz_pages import enrol_and_read, items_of, quiz_id, start
from tests.integration.test_regrade import course_copy

BAD_IDS: tuple[object, ...] = (2**31, 2**63, 2**64, -1, 0, "abc", "1.5", "\u00b2", "\u0663", "9" * 5000)
"""Too large for PostgreSQL's integer (2^31) and for SQLite's (2^63), negative, zero, not a number, a superscript
two (str.isdigit says yes, int() says no), an Arabic-Indic three (int() says 3), more digits than int() will read."""
LARGEST_ID = 2**31 - 1
"""The largest identifier a column can hold: it must reach the view and be an ordinary 404."""
ACCEPTABLE = {302, 400, 403, 404, 405}
IDENTITIES = ("visitor", "learner", "instructor", "clinic_admin", "admin")
NUL_TEXTS = ("\x00", "a\x00b")
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass
class World:
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    real: dict[str, str]
    """A real value for every URL argument, so that only the one under test is bad."""
    attempt_id: int
    slot: int
    clinic: str


SHORT_ANSWER = """
  - id: q-short
    type: short_answer
    objective: basics.one
    prompt: What colour is a clear sky at noon?
    accepted: [blue]
    feedback_wrong: It is blue.
    rationale: Look up.
    references: [ref-one]
"""


def course_with_free_text(tmp_path: Path) -> Path:
    """The mini course with a short-answer question added and a module quiz that asks all six, so an attempt holds
    a question whose answer is free text."""
    copy = course_copy(tmp_path, questions=6)
    bank = copy / "modules/basics/questions.yaml"
    bank.write_text(bank.read_text() + SHORT_ANSWER)
    return copy


@pytest.fixture
def world(app: Flask, make_user: Callable[..., int], tmp_path: Path) -> World:
    """A learner with an attempt in progress (six questions, one of them short answer), an instructor, a clinic
    administrator with a consenting staff member, a site administrator and a visitor, each with their own logged-in
    client and CSRF token."""
    sync_folder(app, course_with_free_text(tmp_path))
    learner_id = make_user("learner@example.com", name="Lee Learner")
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    assign_instructor(app, "tess@example.com")
    make_user("root@example.com", "admin", name="Ada Admin")
    slug = clinic(app, make_user, "boss@example.com", "Bright Clinic")
    link_id = staff(app, make_user, slug, "boss@example.com", "sam@example.com", "Sam Staff")
    enrol_and_read(app)
    clients = {"visitor": app.test_client()}
    for identity, email in (
        ("learner", "learner@example.com"),
        ("instructor", "tess@example.com"),
        ("clinic_admin", "boss@example.com"),
        ("admin", "root@example.com"),
    ):
        client = app.test_client()
        assert login(client, email).status_code == 302
        clients[identity] = client
    attempt_id = start(clients["learner"], app)
    slot = next(slot for slot, kind, _ in items_of(app, attempt_id) if kind == "short_answer")

    tokens = {name: csrf_token(client, "/login" if name == "visitor" else "/account") for name, client in clients.items()}
    real = {
        "attempt_id": str(attempt_id),
        "slot": str(slot),
        "quiz_id": str(quiz_id(app)),
        "user_id": str(learner_id),
        "list_id": "1",
        "link_id": str(link_id),
        "slug": "mini",
        "key": "first",
    }
    return World(clients, tokens, real, attempt_id, slot, slug)


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def url_for_rule(rule: Rule, world: World, bad: dict[str, str]) -> str:
    """The rule's path with `bad` values for the named arguments and real values for every other one."""

    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if name in bad:
            return quote(bad[name], safe="%")
        if name == "slug" and rule.endpoint.startswith("clinics."):
            return world.clinic
        return world.real.get(name, "x")

    return _ARGUMENT.sub(value, rule.rule)


def send(world: World, identity: str, method: str, url: str, **kwargs: Any) -> Any:
    client, token = world.clients[identity], world.tokens[identity]
    if method == "GET":
        return client.get(url, **kwargs)
    headers = {"X-CSRFToken": token, **kwargs.pop("headers", {})}
    if "json" not in kwargs and "data" not in kwargs:
        kwargs["data"] = {"csrf_token": token}
    return client.post(url, headers=headers, **kwargs)


def identifier_rules(app: Flask) -> Iterator[tuple[Rule, list[str]]]:
    for rule in app.url_map.iter_rules():
        ints = [m.group(2) for m in _ARGUMENT.finditer(rule.rule) if m.group(1) == "int"]
        if ints:
            yield rule, ints


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) & {"GET", "POST"})


def attempt_is_untouched(app: Flask, world: World) -> None:
    with app.app_context():
        responses = session.scalars(select(AttemptItem.response).where(AttemptItem.attempt_id == world.attempt_id)).all()
    assert responses and all(r is None for r in responses), responses


# --- identifiers ------------------------------------------------------------------------------------------------------


def test_every_identifier_in_the_url_map_is_bounded_for_every_identity(app, world):
    """Every route that takes an identifier, every bad identifier, every identity: a 4xx or a redirect to log in,
    never a 5xx, and nothing written."""
    before = row_counts(app)
    tried, failures, routes = 0, [], set()
    for rule, names in identifier_rules(app):
        routes.add(rule.rule)
        for name in names:
            for bad in (*BAD_IDS, LARGEST_ID):
                url = url_for_rule(rule, world, {name: str(bad)})
                for method in methods_of(rule):
                    for identity in IDENTITIES:
                        kwargs: dict[str, Any] = {}
                        if rule.endpoint == "quizzes.autosave":
                            kwargs["json"] = {"response": "a"}
                        response = send(world, identity, method, url, **kwargs)
                        tried += 1
                        if response.status_code not in ACCEPTABLE:
                            failures.append((identity, method, url, response.status_code))
    print(f"\nidentifiers: {len(routes)} routes, {len(BAD_IDS) + 1} values each, {tried} requests, {len(failures)} not 4xx")
    assert len(routes) >= 20, sorted(routes)
    assert failures == []
    assert row_counts(app) == before
    attempt_is_untouched(app, world)


def test_too_large_identifiers_never_reach_a_view(app, world):
    """The URL map itself refuses what no column can hold: the same page as any unknown address (405 where another
    rule takes the same path with a different method: werkzeug checks the method before it converts)."""
    for rule, names in identifier_rules(app):
        for name in names:
            for bad in (2**31, 2**63):
                url = url_for_rule(rule, world, {name: str(bad)})
                for method in methods_of(rule):
                    response = send(world, "admin", method, url)
                    assert response.status_code in (404, 405), (method, url, response.status_code)
                    body = response.get_data(as_text=True)
                    assert "There is nothing at this address." in body or "does not accept that kind of request" in body
                    if method == "GET":
                        assert response.status_code == 404, url


def test_identifiers_in_form_fields_are_refused_with_a_message(app, world):
    """Identifiers also arrive in form fields (the quiz assembly's course, bank and fixed questions, an
    accommodation's scope): too large or not a number is a clear 400 and no quiz or accommodation is made."""
    instructor = world.clients["instructor"]
    ids = _ids(app)
    before = row_counts(app)
    tried = 0
    for bad in (*BAD_IDS, LARGEST_ID):
        for field in ("course", "fixed", "draws-0-bank"):
            response = post_form(
                instructor, "/instructor/quizzes/new", quiz_form(ids, **{field: str(bad)}), page="/instructor/quizzes/new"
            )
            tried += 1
            assert response.status_code == 400, (field, bad, response.status_code)
        for scope in (f"quiz:{bad}", f"course:{bad}"):
            response = post_form(
                instructor,
                "/instructor/quizzes/accommodations",
                {
                    "email": "learner@example.com",
                    "scope": scope,
                    "time_multiplier": "1.5",
                    "extra_minutes": "0",
                    "extra_attempts": "0",
                },
                page="/instructor/quizzes/accommodations",
            )
            tried += 1
            assert response.status_code == 400, (scope, response.status_code)
            assert "Choose what the accommodation applies to." in response.get_data(as_text=True)
    print(f"\nidentifiers in form fields: {tried} requests, none 5xx")
    assert row_counts(app) == before


# --- NUL and lone surrogates ------------------------------------------------------------------------------------------


def test_nul_anywhere_in_a_request_is_refused_before_any_view(app, world):
    """NUL in the path, a query argument (name or value) or a form field (name or value), on every route, for every
    identity: 400 with a message that says what is wrong, and nothing written."""
    before = row_counts(app)
    tried, failures = 0, []
    places = 0
    for rule in app.url_map.iter_rules():
        names = [m.group(2) for m in _ARGUMENT.finditer(rule.rule) if m.group(1) != "int"]
        for nul in NUL_TEXTS:
            urls = [url_for_rule(rule, world, {}) + "?" + query for query in (f"q={nul}", f"{nul}=1")]
            urls = [u.replace("\x00", "%00") for u in urls] + [
                url_for_rule(rule, world, {name: nul.replace("\x00", "%00")}) for name in names
            ]
            for method in methods_of(rule):
                cases: list[tuple[str, dict[str, Any]]] = [(u, {}) for u in urls]
                if method == "POST":
                    clean = url_for_rule(rule, world, {})
                    cases += [(clean, {"form": {"name": nul}}), (clean, {"form": {nul: "x"}})]
                for url, extra in cases:
                    places += 1
                    for identity in IDENTITIES:
                        kwargs: dict[str, Any] = {}
                        if "form" in extra:
                            kwargs["data"] = {"csrf_token": world.tokens[identity], **extra["form"]}
                        response = send(world, identity, method, url, **kwargs)
                        tried += 1
                        body = response.get_data(as_text=True)
                        if response.status_code != 400 or "NUL" not in body:
                            failures.append((identity, method, url, extra, response.status_code))
    print(
        f"\nNUL: {places} places (path, query and form fields on every route) x {len(IDENTITIES)} identities = {tried} requests, {len(failures)} not 400"
    )
    assert failures == []
    assert row_counts(app) == before
    attempt_is_untouched(app, world)


@pytest.mark.parametrize("field", ["name", "email", "licence_number", "jurisdiction", "password"])
def test_registration_with_nul_in_a_field_creates_no_account(app, client, field):
    data = {**REGISTRATION, field: REGISTRATION[field].strip() + "\x00x"}
    if field == "password":
        data["confirm"] = data["password"]
    before = row_counts(app)
    response = post_form(client, "/register", data, page="/register")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_plain_form_save_with_nul_stores_nothing_and_the_page_still_opens(app, world):
    learner = world.clients["learner"]
    response = post_form(
        learner, f"/attempts/{world.attempt_id}/save", {f"q{world.slot}": "a\x00"}, page=f"/attempts/{world.attempt_id}"
    )
    assert response.status_code == 400
    attempt_is_untouched(app, world)
    assert learner.get(f"/attempts/{world.attempt_id}").status_code == 200


def autosave_raw(world: World, body: bytes | str, slot: int | None = None) -> Any:
    return world.clients["learner"].post(
        f"/attempts/{world.attempt_id}/answers/{slot or world.slot}",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": world.tokens["learner"]},
    )


def pages_still_open(world: World) -> None:
    assert world.clients["learner"].get(f"/attempts/{world.attempt_id}").status_code == 200
    assert world.clients["instructor"].get(f"/instructor/quizzes/attempts/{world.attempt_id}").status_code == 200


UNSTORABLE_JSON = [
    '{"response": "\\ud800"}',
    '{"response": "a\\udfffb"}',
    '{"response": "\\u0000"}',
    '{"response": ["a", "\\ud800"]}',
    '{"response": {"p1": "\\ud800"}}',
    '{"response": {"\\u0000": "x"}}',
    '{"\\ud800": 1, "response": "a"}',
]


def test_autosave_refuses_unstorable_text_stores_nothing_and_poisons_no_page(app, world):
    """A lone surrogate or a NUL in the JSON (as a value, in a list, as a key): 400, the answer is not stored, and
    the learner's attempt page and the instructor's view of the attempt still open."""
    slots = [slot for slot, _kind, _key in items_of(app, world.attempt_id)]
    tried = 0
    for body in UNSTORABLE_JSON:
        for slot in slots:
            response = autosave_raw(world, body, slot)
            tried += 1
            assert response.status_code == 400, (body, response.status_code)
            assert "refused" in response.get_json()["message"], response.get_json()
    print(f"\nunstorable JSON: {len(UNSTORABLE_JSON)} bodies x {len(slots)} slots = {tried} requests, none 5xx")
    attempt_is_untouched(app, world)
    pages_still_open(world)


@pytest.mark.parametrize("depth", [50, 1_000, 10_000, 100_000])
def test_deeply_nested_json_is_refused(app, world, depth):
    for body in (
        '{"response": ' + "[" * depth + "]" * depth + "}",
        "[" * depth + "]" * depth,
        '{"a":' * depth + "1" + "}" * depth,
    ):
        response = autosave_raw(world, body)
        assert response.status_code == 400, response.status_code
        assert "nested" in response.get_json()["message"]
    attempt_is_untouched(app, world)
    pages_still_open(world)


def test_json_that_is_not_too_deep_still_saves(app, world):
    """The guard does not stand in the way of an honest answer."""
    for slot, _kind, key in items_of(app, world.attempt_id):
        response = autosave_raw(world, json.dumps({"response": key}), slot)
        assert response.status_code == 200 and response.get_json()["saved"] is True
    pages_still_open(world)


@pytest.mark.parametrize("depth", [1_000, 30_000])
def test_verification_api_refuses_deeply_nested_json_in_any_content_type(app, client, depth):
    body = '{"credential": ' + "[" * depth + "]" * depth + "}"
    for content_type in ("application/json", "text/plain"):
        response = client.post("/api/v1/credentials/verify", data=body, content_type=content_type)
        assert response.status_code == 400, (content_type, response.status_code)
        assert response.get_json()["error"]


def test_a_lone_surrogate_already_stored_poisons_no_page(app, world):
    """Text stored before the guard existed (SQLite and PostgreSQL's json type both keep a lone surrogate and a NUL
    inside JSON) is shown with a replacement character, to the learner and to the instructor, before and after
    submitting."""
    with app.app_context():
        session.execute(
            update(AttemptItem)
            .where(AttemptItem.attempt_id == world.attempt_id, AttemptItem.slot == world.slot)
            .values(response="bad \ud800 and \x00 text")
        )
        session.commit()
        as_text = "CAST(response AS TEXT)"
        stored = f"SELECT count(*) FROM attempt_items WHERE {as_text} LIKE '%ud800%' AND {as_text} LIKE '%u0000%'"
        assert session.scalar(text(stored)) == 1
    learner, instructor = world.clients["learner"], world.clients["instructor"]
    page = learner.get(f"/attempts/{world.attempt_id}")
    assert page.status_code == 200
    assert 'value="bad \ufffd and \ufffd text"' in page.get_data(as_text=True)
    detail = instructor.get(f"/instructor/quizzes/attempts/{world.attempt_id}")
    assert detail.status_code == 200
    assert post_form(learner, f"/attempts/{world.attempt_id}/submit", page=f"/attempts/{world.attempt_id}").status_code == 302
    assert learner.get(f"/attempts/{world.attempt_id}/review").status_code == 200
    for url in (
        f"/instructor/quizzes/attempts/{world.attempt_id}",
        f"/instructor/quizzes/{world.real['quiz_id']}/gradebook",
        f"/instructor/quizzes/{world.real['quiz_id']}/gradebook.csv",
        f"/instructor/quizzes/{world.real['quiz_id']}/analysis",
        "/instructor/quizzes/courses/mini/gradebook.csv",
    ):
        assert instructor.get(url).status_code == 200, url


# --- the other doors: headers, encoded bytes, uploaded files, signed tokens -----------------------------------------


def test_nul_in_the_user_agent_is_refused_and_no_session_is_stored(app, client, make_user):
    """The User-Agent is stored with every login (and every certificate look-up)."""
    make_user("lee@example.com")
    token = csrf_token(client, "/login")
    before = row_counts(app)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "lee@example.com", "password": "correct horse battery"},
        headers={"User-Agent": "Mozilla\x00/5.0"},
    )
    assert response.status_code == 400 and "a header contains a NUL character" in response.get_data(as_text=True)
    assert row_counts(app) == before
    lookup = client.get("/verify/ABCD-EFGH", headers={"User-Agent": "x\x00"})
    assert lookup.status_code == 400
    assert row_counts(app) == before


@pytest.mark.parametrize("encoded", ["%ED%A0%80", "%FF", "%C0%80"])
def test_bytes_that_are_not_utf_8_never_give_a_5xx(app, world, encoded):
    """A lone surrogate or invalid UTF-8 percent-encoded in the address, the query or a form field: the server
    reads it as U+FFFD, so it is harmless text that the page handles like any other (never a 5xx)."""
    learner = world.clients["learner"]
    token = world.tokens["learner"]
    for url in (f"/courses/mini{encoded}", f"/courses/mini?q={encoded}", f"/verify/{encoded}"):
        assert learner.get(url).status_code < 500, url
    body = f"csrf_token={token}&q{world.slot}=a{encoded}b"
    saved = learner.post(f"/attempts/{world.attempt_id}/save", data=body, content_type="application/x-www-form-urlencoded")
    assert saved.status_code < 500
    pages_still_open(world)


BANK_FILES_WITH_UNSTORABLE_TEXT = [
    ("q.gift", b"::Depth::[id:depth] How \x00 deep? {\n=Shallow\n~Deep\n}\n"),
    ("aiken.txt", b"Which is \x00 right?\nA) This\nB) That\nANSWER: A\n"),
    (
        "q.yaml",
        b'bank: {id: b, title: B}\nquestions:\n  - id: q1\n    type: true_false\n    prompt: "Sky \\0 green"\n    answer: false\n',
    ),
    (
        "q.yaml",
        b'bank: {id: b, title: B}\nquestions:\n  - id: q1\n    type: true_false\n    prompt: "Sky \\uD800 green"\n    answer: false\n',
    ),
    ("q.xml", b'<?xml version="1.0"?><quiz><question type="truefalse"><name><text>N&#0;</text></name></question></quiz>'),
]


@pytest.mark.parametrize(("filename", "content"), BANK_FILES_WITH_UNSTORABLE_TEXT)
def test_an_uploaded_bank_holding_unstorable_text_imports_nothing_of_it(app, world, filename, content):
    """File contents are the one text the request guard does not read: the content model refuses a question whose
    text no column can hold, so the report lists it as a problem and the import stores none of it."""
    instructor = world.clients["instructor"]
    made = post_form(instructor, "/instructor/banks", {"title": "Upload test"}, page="/instructor/banks")
    assert made.status_code == 302
    slug = made.headers["Location"].rsplit("/", 1)[-1]
    data = {"csrf_token": world.tokens["instructor"], "format": "auto", "file": (io.BytesIO(content), filename)}
    report = instructor.post(f"/instructor/banks/{slug}/import", data=data, content_type="multipart/form-data")
    assert report.status_code in (200, 400), report.status_code
    body = report.get_data(as_text=True)
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', body)
    if match:
        done = post_form(
            instructor,
            f"/instructor/banks/{slug}/import/confirm",
            {"token": match.group(1), "partial": "y"},
            page=f"/instructor/banks/{slug}",
        )
        assert done.status_code == 400 and "Nothing was imported" in done.get_data(as_text=True)
    with app.app_context():
        stored = session.scalars(text("SELECT CAST(data AS TEXT) FROM question_versions")).all()
    assert stored and not any("\\u0000" in row or "\\ud800" in row.lower() or "\x00" in row for row in stored)
    assert instructor.get(f"/instructor/banks/{slug}").status_code == 200


@pytest.mark.parametrize("depth", [1_000, 20_000])
def test_a_credential_whose_header_is_nested_too_deeply_is_malformed_not_a_5xx(app, client, depth):
    header = base64.urlsafe_b64encode(("[" * depth + "]" * depth).encode()).rstrip(b"=").decode()
    response = client.post("/api/v1/credentials/verify", data=f"{header}.e30.c2ln", content_type="application/vc+jwt")
    assert response.status_code == 200
    assert response.get_json()["valid"] is False and response.get_json()["reason"] == "malformed"


# --- bodies: too large, or not what the route reads ---------------------------------------------------------------------

WRONG_BODIES: tuple[tuple[str, bytes], ...] = (
    ("application/json", b'{"csrf_token": 1, "response": [[[]]], "email": {"a": null}}'),
    ("application/json", b"{not json"),
    ("application/x-www-form-urlencoded", b"%%%=%ZZ&&=&csrf_token=%C3%28"),
    ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'),
    ("application/octet-stream", bytes(range(256))),
)


def post_rules(app: Flask) -> list[Rule]:
    """Every POST route but logging out, which needs no body and would end the identity's session for the rest."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.endpoint.startswith("auth.logout")
    ]


def rows_in_every_table(app: Flask) -> list[int]:
    """Every table's row count in one statement, cheap enough to take around each of a thousand requests."""
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in Base.metadata.sorted_tables]
    with app.app_context():
        return list(session.execute(select(*counts)).one())


# werkzeug leaves the temporary file of a multipart body cut off inside a file part for the garbage collector, which
# warns about it; the request is refused all the same (it is the 400 this test asserts).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_every_post_route_refuses_a_body_it_cannot_read_without_a_5xx_or_a_write(app, world):
    """Wrong content types and broken bodies to every POST route as every identity, the CSRF token in its header: never
    a 5xx, and whatever is refused (any 4xx) has written nothing. A button-only action (enrol, say) may succeed, as it
    would with any body: it reads none."""
    tried, failures = 0, []
    rows = rows_in_every_table(app)
    for rule in post_rules(app):
        url = url_for_rule(rule, world, {})
        for identity in IDENTITIES:
            for content_type, body in WRONG_BODIES:
                response = send(world, identity, "POST", url, data=body, content_type=content_type)
                tried += 1
                before, rows = rows, rows_in_every_table(app)
                if response.status_code >= 500 or (response.status_code >= 400 and rows != before):
                    failures.append((identity, url, content_type, response.status_code))
    print(f"\nbodies: {len(post_rules(app))} POST routes x {len(IDENTITIES)} identities x {len(WRONG_BODIES)} bodies = {tried}")
    assert failures == []
    attempt_is_untouched(app, world)


def test_json_sent_to_a_form_is_a_415_that_changes_nothing(app, world):
    """Flask-WTF reads a JSON body as form data, so {"email": {...}} reached the form's filters as a dict: a 500 on
    /register, /login and /reset. JSON now reaches only the views that read it."""
    before = row_counts(app)
    for url in ("/register", "/login", "/reset"):
        response = world.clients["visitor"].post(
            url, json={"email": {"a": None}, "name": ["x"]}, headers={"X-CSRFToken": world.tokens["visitor"]}
        )
        assert response.status_code == 415, (url, response.status_code)
        assert "This address takes a form, not JSON" in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_a_body_over_the_limit_is_a_413_on_every_post_route_and_nothing_is_written(app, world):
    """MAX_CONTENT_LENGTH is checked before any view reads the body: every POST route answers 413 with a page (or, for
    the API, JSON) that says so, for the learner and the administrator alike."""
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = row_counts(app)
    for rule in post_rules(app):
        url = url_for_rule(rule, world, {})
        for identity in ("learner", "admin"):
            token = world.tokens[identity].encode()
            body = b"csrf_token=" + token + b"&x=" + b"a" * (65 * 1024)
            response = send(world, identity, "POST", url, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code == 413, (identity, url, response.status_code)
            assert "larger than this site accepts" in response.get_data(as_text=True)
    assert row_counts(app) == before
    attempt_is_untouched(app, world)
