"""Who may do what to whose objects, route by route: every rule of the URL map that takes an identifier (a number,
a slug, a code, a token, a key, a path) is tried by every kind of user against one world of objects that belong to
learner A, clinic A and course 1, and the answer must be the one the table below gives.

Allowed means a 2xx or a redirect that is not to the login page. Refused means 403 or 404 (a redirect to the login
page for a visitor) and nothing written: every row of every table is compared before and after each refused
request. State-changing requests are sent as a browser would, with a valid CSRF token and a body that would work
for someone allowed, so a missing check shows as a write, not as a 400.

The table must name every identifier route: a route added to the URL map without a row fails
`test_the_table_names_every_identifier_route`, so the matrix cannot silently fall behind the app.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from edu.auth import services as auth
from edu.auth.models import User
from edu.banks import import_export
from edu.banks import services as banks
from edu.banks.models import Question, QuestionBank
from edu.catalog import instructors
from edu.catalog import services as catalog
from edu.catalog.models import Asset, Course
from edu.certificates import issuance
from edu.clinics import administration, invitations
from edu.db import Base, session
from edu.extensions import limiter
from edu.quizzes import assembly, attempts, grading
from edu.quizzes.models import Quiz
from edu.results import regrade
from tests.certificate_helpers import user
from tests.conftest import MINI_COURSE, csrf_token, login, sync_folder

IDENTITIES = (
    "anonymous",
    "learner_a",
    "learner_b",
    "instructor_1",
    "instructor_2",
    "clinic_admin_a",
    "clinic_admin_b",
    "admin",
)
"""learner_a owns the attempts, certificate, enrolment and staff links; learner_b is a second learner;
instructor_1 teaches course 1 (mini) and wrote its authored bank and quiz; instructor_2 teaches course 2 (other);
clinic_admin_a runs clinic A (where learner A consented); clinic_admin_b runs clinic B (which invited learner A)."""

EVERYONE = frozenset(IDENTITIES)
SIGNED_IN = EVERYONE - {"anonymous"}
OWNER = frozenset({"learner_a"})
TEACHES_COURSE_1 = frozenset({"instructor_1", "admin"})
INSTRUCTORS = frozenset({"instructor_1", "instructor_2", "admin"})
BANK_AUTHOR = frozenset({"instructor_1", "admin"})
CLINIC_A = frozenset({"clinic_admin_a"})
REFUSED = frozenset({403, 404})

GIFT = "::Extra::[id:extra-one] Which is extra? {=Yes ~No#Not this.}\n"

Form = Callable[["World", str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    args: Mapping[str, str] = field(default_factory=dict)
    """URL argument -> the name of a value in World.values (where DEFAULT_ARGS does not say it)."""
    form: Form | None = None
    json: Form | None = None
    refused: frozenset[int] = REFUSED
    spends: bool = False
    """A GET that uses something up (a single-use link): each allowed request gets a world of its own, as POSTs do."""
    signs_out: bool = False
    """Success ends on the login page (a new password, a confirmed address): that redirect is the allowed answer."""
    own: bool = False
    """Each allowed identity acts on their own record only (enrol, start, claim): one world serves them all."""


DEFAULT_ARGS = {
    "attempt_id": "attempt_in_progress",
    "slot": "slot",
    "quiz_id": "module_quiz",
    "user_id": "learner_b_id",
    "list_id": "status_list",
    "public_id": "certificate",
    "code": "certificate_code",
    "digest": "asset",
    "filename": "stylesheet",
}


def row(
    allowed: frozenset[str],
    *,
    form: Form | None = None,
    json: Form | None = None,
    spends: bool = False,
    signs_out: bool = False,
    own: bool = False,
    **args: str,
) -> Row:
    return Row(frozenset(allowed), args, form, json, spends=spends, signs_out=signs_out, own=own)


# --- bodies that would work for someone allowed -----------------------------------------------------------------------


def _consent(world: World, identity: str) -> dict[str, Any]:
    return {"consent": "y"}


def _revoke(world: World, identity: str) -> dict[str, Any]:
    return {"category": "other", "reason": "Matrix test", "confirm": "y"}


def _reissue(world: World, identity: str) -> dict[str, Any]:
    return {"reason": "Matrix test", "confirm": "y"}


def _roles(world: World, identity: str) -> dict[str, Any]:
    return {f"u{world.values['learner_b_id']}-roles": ["instructor"]}


def _assign(world: World, identity: str) -> dict[str, Any]:
    return {"email": world.emails["instructor_2"]}


def _answer(world: World, identity: str) -> dict[str, Any]:
    return {"response": world.answer}


def _save(world: World, identity: str) -> dict[str, Any]:
    return {"action": "save"}


def _invite(world: World, identity: str) -> dict[str, Any]:
    return {"email": f"new-staff{world.suffix}@example.com"}


def _add_admin(world: World, identity: str) -> dict[str, Any]:
    return {"email": world.emails["clinic_admin_b"]}


def _bulk(world: World, identity: str) -> dict[str, Any]:
    return {"codes": world.values["certificate_code"]}


def _reset(world: World, identity: str) -> dict[str, Any]:
    return {"password": "another long passphrase", "confirm": "another long passphrase"}


def _upload(world: World, identity: str) -> dict[str, Any]:
    return {"format": "gift", "file": (io.BytesIO(GIFT.encode()), "extra.gift")}


def _confirm_import(world: World, identity: str) -> dict[str, Any]:
    return {"token": world.values["draft"]}


def _question(key: str) -> Form:
    def form(world: World, identity: str) -> dict[str, Any]:
        return {
            "type": "single",
            "key": key,
            "prompt": "Which depth is safe?",
            "difficulty": "medium",
            "options-0-text": "Shallow",
            "options-0-correct": "y",
            "options-1-text": "Deep",
            "action": "save",
        }

    return form


def _quiz(world: World, identity: str) -> dict[str, Any]:
    return {
        "title": "Matrix quiz",
        "course": world.values["course_1_id"],
        "fixed": [world.values["fixed_question"]],
        "draws-0-bank": "",
        "draws-0-tag": "",
        "draws-0-count": "",
        "pass_mark": 50,
        "attempts_allowed": 4,
        "delay_minutes": 0,
        "time_limit_minutes": "",
        "grading_method": "last",
        "overdue_handling": "autosubmit",
        "grace_minutes": 0,
        "after_submit": ["score"],
    }


def _regrade(world: World, identity: str) -> dict[str, Any]:
    """The fingerprint of the plan the page showed (a stale one is a 409, whoever sends it)."""
    with world.app.app_context():
        return {"fingerprint": regrade.plan_regrade(user(world.emails["admin"]), int(world.values["module_quiz"])).fingerprint}


def _accommodation(scope: str) -> Form:
    def form(world: World, identity: str) -> dict[str, Any]:
        target = world.values["course_1_id"] if scope == "course" else world.values["module_quiz"]
        return {
            "email": world.emails["learner_a"],
            "scope": f"{scope}:{target}",
            "time_multiplier": "1.5",
            "extra_minutes": "0",
            "extra_attempts": "1",
        }

    return form


# --- the table --------------------------------------------------------------------------------------------------------

EXPECTED: dict[tuple[str, str], Row] = {
    # The learner's own attempt: only its learner, not even an admin through the learner's pages.
    ("quizzes.attempt", "GET"): row(OWNER),
    ("quizzes.confirm", "GET"): row(OWNER),
    ("quizzes.review", "GET"): row(OWNER, attempt_id="attempt_submitted"),
    ("quizzes.autosave", "POST"): row(OWNER, json=_answer),
    ("quizzes.save", "POST"): row(OWNER, form=_save),
    ("quizzes.submit", "POST"): row(OWNER),
    # Starting is self-service: anyone signed in reaches the rules (learner A resumes; the rest are told why not).
    ("quizzes.start", "POST"): row(SIGNED_IN, own=True),
    ("quizzes.module_quiz", "GET"): row(SIGNED_IN, slug="course_1", key="module"),
    ("quizzes.final_exam", "GET"): row(SIGNED_IN, slug="course_1"),
    # The catalogue: public pages, and self-service enrolment and progress.
    ("catalog.course", "GET"): row(EVERYONE, slug="course_1"),
    ("catalog.glossary", "GET"): row(EVERYONE, slug="course_1"),
    ("catalog.references", "GET"): row(EVERYONE, slug="course_1"),
    ("catalog.asset", "GET"): row(EVERYONE),
    ("catalog.lesson", "GET"): row(SIGNED_IN, slug="course_1", key="lesson"),
    ("catalog.enrol", "POST"): row(SIGNED_IN, slug="course_1", own=True),
    ("catalog.unenrol", "POST"): row(SIGNED_IN, slug="course_1", own=True),
    ("catalog.complete", "POST"): row(OWNER, slug="course_1", key="lesson"),  # only the enrolled record progress
    ("static", "GET"): row(EVERYONE),
    # Certificates: the learner's own files; the course's instructor and admins manage them.
    ("certificates.pdf", "GET"): row(OWNER | TEACHES_COURSE_1),
    ("certificates.credential", "GET"): row(OWNER),
    ("certificates.course_certificate", "GET"): row(SIGNED_IN, slug="course_1"),
    ("certificates.course_certificate", "POST"): row(SIGNED_IN, slug="course_1", own=True),
    ("certificates.admin_detail", "GET"): row(TEACHES_COURSE_1),
    ("certificates.admin_revoke", "POST"): row(TEACHES_COURSE_1, form=_revoke),
    ("certificates.admin_reissue", "POST"): row(TEACHES_COURSE_1, form=_reissue),
    # Public verification and what the issuer publishes.
    ("certificates.verify", "GET"): row(EVERYONE),
    ("certificates.status_list", "GET"): row(EVERYONE),
    ("api.certificate", "GET"): row(EVERYONE),
    # Accounts.
    ("admin.set_roles", "POST"): row(frozenset({"admin"}), form=_roles),
    ("auth.reset", "GET"): row(EVERYONE, token="reset_token"),  # the emailed token is the authority
    ("auth.reset", "POST"): row(EVERYONE, token="reset_token", form=_reset, signs_out=True),
    ("auth.verify_email", "GET"): row(EVERYONE, token="verification_token", spends=True, signs_out=True),
    # Who teaches which course: admins only.
    ("course_admin.assign", "POST"): row(frozenset({"admin"}), slug="course_1", form=_assign),
    ("course_admin.unassign", "POST"): row(frozenset({"admin"}), slug="course_1", user_id="instructor_1_id"),
    # The learner's side of clinics: only the invited account answers, only the consenting one withdraws.
    ("clinics.accept", "POST"): row(OWNER, link_id="pending_link", form=_consent),
    ("clinics.decline", "POST"): row(OWNER, link_id="pending_link"),
    ("clinics.withdraw", "POST"): row(OWNER, link_id="staff_link"),
    ("clinics.join", "GET"): row(OWNER, token="join_token"),
    ("clinics.join", "POST"): row(OWNER, token="join_token", form=_consent),
    # The clinic's side: its own administrators only (a site admin is not one: consent was given to the clinic).
    ("clinics.roster", "GET"): row(CLINIC_A, slug="clinic_a"),
    ("clinics.roster_csv", "GET"): row(CLINIC_A, slug="clinic_a"),
    ("clinics.roster_pdf", "GET"): row(CLINIC_A, slug="clinic_a"),
    ("clinics.staff", "GET"): row(CLINIC_A, slug="clinic_a"),
    ("clinics.invite", "POST"): row(CLINIC_A, slug="clinic_a", form=_invite),
    ("clinics.add_admin", "POST"): row(CLINIC_A, slug="clinic_a", form=_add_admin),
    ("clinics.staff_member", "GET"): row(CLINIC_A, slug="clinic_a", link_id="staff_link"),
    ("clinics.end_link", "POST"): row(CLINIC_A, slug="clinic_a", link_id="staff_link"),
    ("clinics.bulk_verify", "GET"): row(CLINIC_A, slug="clinic_a"),
    ("clinics.bulk_verify", "POST"): row(CLINIC_A, slug="clinic_a", form=_bulk),
    # Banks: every instructor reads the shared library; only the author (or an admin) changes an authored bank.
    ("banks.bank", "GET"): row(INSTRUCTORS, slug="bank"),
    ("banks.export", "GET"): row(INSTRUCTORS, slug="bank"),
    ("banks.question", "GET"): row(INSTRUCTORS, slug="bank", key="question"),
    ("banks.history", "GET"): row(INSTRUCTORS, slug="bank", key="question"),
    ("banks.new_question", "GET"): row(BANK_AUTHOR, slug="bank"),
    ("banks.new_question", "POST"): row(BANK_AUTHOR, slug="bank", form=_question("matrix-new")),
    ("banks.edit_question", "GET"): row(BANK_AUTHOR, slug="bank", key="question"),
    ("banks.edit_question", "POST"): row(BANK_AUTHOR, slug="bank", key="question", form=_question("unused")),
    ("banks.retire", "POST"): row(BANK_AUTHOR, slug="bank", key="question"),
    ("banks.unretire", "POST"): row(BANK_AUTHOR, slug="bank", key="retired_question"),
    ("banks.import_upload", "POST"): row(BANK_AUTHOR, slug="bank", form=_upload),
    # A pending import belongs to the one who uploaded it.
    ("banks.import_confirm", "POST"): row(frozenset({"instructor_1"}), slug="bank", form=_confirm_import),
    # Course outcomes: the course's own instructors and admins.
    ("instructor.course_gradebook", "GET"): row(TEACHES_COURSE_1, slug="course_1"),
    ("instructor.course_gradebook_csv", "GET"): row(TEACHES_COURSE_1, slug="course_1"),
    ("instructor.quiz_gradebook", "GET"): row(TEACHES_COURSE_1),
    ("instructor.quiz_gradebook_csv", "GET"): row(TEACHES_COURSE_1),
    ("instructor.attempt", "GET"): row(TEACHES_COURSE_1, attempt_id="attempt_submitted"),
    ("instructor.regrade_dry_run", "GET"): row(TEACHES_COURSE_1),
    ("instructor.regrade_apply", "POST"): row(TEACHES_COURSE_1, form=_regrade),
    ("instructor.analysis", "GET"): row(TEACHES_COURSE_1),
    ("instructor.edit_quiz", "GET"): row(TEACHES_COURSE_1, quiz_id="authored_quiz"),
    ("instructor.update_quiz", "POST"): row(TEACHES_COURSE_1, quiz_id="authored_quiz", form=_quiz),
}

FORM_REFUSED = frozenset({400, 403, 404})
"""Where the object is named in the form, a refusal may also be the form's 400 (it is not among the choices offered)."""

EXTRA: dict[str, tuple[str, str, Row]] = {
    "a quiz for course 1": ("instructor.create_quiz", "POST", Row(TEACHES_COURSE_1, form=_quiz, refused=FORM_REFUSED)),
    "an accommodation for course 1": (
        "instructor.set_accommodation",
        "POST",
        Row(TEACHES_COURSE_1, form=_accommodation("course"), refused=FORM_REFUSED),
    ),
    "an accommodation for course 1's module quiz": (
        "instructor.set_accommodation",
        "POST",
        Row(TEACHES_COURSE_1, form=_accommodation("quiz"), refused=FORM_REFUSED),
    ),
    # One's own object in the path, someone else's beside it.
    "clinic A's staff member through clinic B": (
        "clinics.staff_member",
        "GET",
        row(frozenset(), slug="clinic_b", link_id="staff_link"),
    ),
    "clinic A's staff link ended through clinic B": (
        "clinics.end_link",
        "POST",
        row(frozenset(), slug="clinic_b", link_id="staff_link"),
    ),
}
"""Cases the one row per route cannot show: an object named in the form, or two objects of different owners in one
path."""


# --- the world --------------------------------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    suffix: str
    emails: dict[str, str]
    values: dict[str, str]
    answer: Any
    """A valid response for the in-progress attempt's slot."""
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def course_two(tmp_path: Path) -> Path:
    """The mini course again as a second course, with its own id and bank."""
    copy = tmp_path / "other"
    shutil.copytree(MINI_COURSE, copy)
    course = copy / "course.yaml"
    course.write_text(course.read_text().replace("id: mini", "id: other").replace("A miniature course", "Another course"))
    bank = copy / "modules/basics/questions.yaml"
    bank.write_text(bank.read_text().replace("bank: {id: basics,", "bank: {id: other-basics,"))
    return copy


def _course(slug: str) -> Course:
    found = session.scalar(select(Course).where(Course.slug == slug))
    assert found is not None
    return found


def _quiz_of(course: Course, kind: str) -> Quiz:
    found = session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind, Quiz.source == "course"))
    assert found is not None
    return found


def _take(learner: Any, quiz: Quiz, *, submit: bool) -> Any:
    attempt, _ = attempts.begin(learner, quiz)
    if submit:
        keys = {i.slot: grading.key_for(banks.as_model(i.question_version.data))["response"] for i in attempt.items}
        attempts.save_answers(learner, attempt.id, keys)
        attempts.submit(learner, attempt.id)
    return attempt


def build_world(app: Flask, make_user: Callable[..., int], suffix: str = "") -> World:
    """One world of objects, with every account named by `suffix` (several worlds share the two courses)."""
    emails = {identity: f"{identity.replace('_', '-')}{suffix}@example.com" for identity in IDENTITIES if identity != "anonymous"}
    roles = {"instructor_1": ("instructor",), "instructor_2": ("instructor",), "admin": ("admin",)}
    roles |= {"clinic_admin_a": ("clinic_admin",), "clinic_admin_b": ("clinic_admin",)}
    ids = {
        identity: make_user(email, *roles.get(identity, ()), name=identity.replace("_", " ").title())
        for identity, email in emails.items()
    }
    values = {"learner_b_id": str(ids["learner_b"]), "instructor_1_id": str(ids["instructor_1"])}
    values |= {"course_1": "mini", "module": "basics", "lesson": "first"}
    newcomer = make_user(f"newcomer{suffix}@example.com", name="New Comer", verified=False)
    with app.app_context():
        people = {identity: user(email) for identity, email in emails.items()}
        a = people["learner_a"]
        mini, other = _course("mini"), _course("other")
        instructors.assign(None, mini, emails["instructor_1"])
        instructors.assign(None, other, emails["instructor_2"])
        values["course_1_id"] = str(mini.id)

        # Learner A: enrolled, lessons read, the module quiz and the final exam passed, a certificate, and a second
        # module attempt in progress.
        catalog.enrol(a, mini)
        for key in ("first", "second"):
            catalog.complete_lesson(a, mini, key)
        module, final = _quiz_of(mini, "module"), _quiz_of(mini, "final")
        submitted = _take(a, module, submit=True)
        _take(a, final, submit=True)
        issued = issuance.issue_if_complete(a, mini)
        assert issued.certificate is not None, issued.completion and issued.completion.missing
        in_progress = _take(a, module, submit=False)
        first = min(in_progress.items, key=lambda i: i.slot)
        answer = grading.key_for(banks.as_model(first.question_version.data))["response"]
        values |= {
            "attempt_submitted": str(submitted.id),
            "attempt_in_progress": str(in_progress.id),
            "slot": str(first.slot),
            "module_quiz": str(module.id),
            "certificate": issued.certificate.public_id,
            "certificate_code": issued.certificate.code,
            "status_list": str(issued.certificate.status_list_id),
        }

        # Clinic A, where learner A consented; clinic B, whose invitation to learner A is pending.
        clinic_a = administration.create_clinic(people["clinic_admin_a"], f"Clinic A{suffix}")
        clinic_b = administration.create_clinic(people["clinic_admin_b"], f"Clinic B{suffix}")
        link = invitations.invite(people["clinic_admin_a"], clinic_a, emails["learner_a"]).link
        invitations.respond_by_id(a, link.id, accept=True)
        pending = invitations.invite(people["clinic_admin_b"], clinic_b, emails["learner_a"])
        values |= {"clinic_a": clinic_a.slug, "clinic_b": clinic_b.slug, "staff_link": str(link.id)}
        values |= {"pending_link": str(pending.link.id), "join_token": pending.token}

        # Instructor 1's bank (a live question, a retired one, a pending import) and quiz for course 1.
        i1 = people["instructor_1"]
        bank = banks.create_bank(i1, f"Bank of instructor one{suffix}")
        for key in ("matrix-q", "matrix-retired"):
            item = banks.validate_question({"id": key, "type": "true_false", "prompt": f"Is {key} a question?", "answer": True})
            banks.save_question(i1, bank, item)
        banks.retire_question(i1, bank, "matrix-retired")
        draft = import_export.create_draft(i1, bank, "extra.gift", "gift", GIFT.encode())
        values |= {"bank": bank.slug, "question": "matrix-q", "retired_question": "matrix-retired", "draft": draft.token}
        fixed = session.scalar(
            select(Question.id)
            .join(QuestionBank, QuestionBank.id == Question.bank_id)
            .where(QuestionBank.slug == "basics", Question.key == "q-tf")
        )
        values["fixed_question"] = str(fixed)
        authored = assembly.create_quiz(i1, assembly.QuizSpec(title=f"Authored{suffix}", course_id=mini.id, fixed=[fixed]))
        values["authored_quiz"] = str(authored.id)

        reset = auth.request_password_reset(emails["learner_a"], timedelta(hours=1))
        assert reset is not None
        values["reset_token"] = reset[1]
        verification = auth.request_email_verification(session.get(User, newcomer), timedelta(hours=1))
        assert verification is not None
        values["verification_token"] = verification

        values["asset"] = session.scalar(select(Asset.sha256).limit(1)) or ""
        session.commit()
    values["stylesheet"] = "css/app.css"
    return World(app, suffix, emails, values, answer)


def sign_in(app: Flask, world: World, identity: str) -> None:
    limiter.reset()  # the login rate limit counts every world's logins from one address
    client = app.test_client()
    if identity != "anonymous":
        assert login(client, world.emails[identity]).status_code == 302, identity
    world.clients[identity] = client
    world.tokens[identity] = csrf_token(client, "/login" if identity == "anonymous" else "/account")


@dataclass
class Tally:
    routes: set[str] = field(default_factory=set)
    requests: int = 0
    allowed: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)


# --- requests ---------------------------------------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def identifier_rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            yield rule


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def url_of(rule: Rule, entry: Row, world: World) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        source = entry.args.get(name) or DEFAULT_ARGS.get(name)
        assert source is not None, f"{rule.endpoint}: say which value <{name}> takes"
        return world.values[source]

    return _ARGUMENT.sub(value, rule.rule)


def send(world: World, identity: str, method: str, url: str, entry: Row) -> Any:
    client, token = world.clients[identity], world.tokens[identity]
    if method == "GET":
        return client.get(url)
    headers = {"X-CSRFToken": token}
    if entry.json is not None:
        return client.post(url, json=entry.json(world, identity), headers=headers)
    data = {"csrf_token": token, **(entry.form(world, identity) if entry.form else {})}
    return client.post(url, data=data, headers=headers)


def contents(app: Flask) -> dict[str, list[str]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    with app.app_context():
        return {t.name: sorted(repr(tuple(r)) for r in session.execute(select(t))) for t in Base.metadata.sorted_tables}


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def judge(response: Any, identity: str, allowed: bool, entry: Row) -> str | None:
    """None if the answer is the expected one, else what was wrong."""
    response.close()  # a file sent from disk (the static route) is closed, not left to the collector
    status = response.status_code
    location = response.headers.get("Location", "")
    to_login = status in (301, 302, 303) and location.split("?")[0].endswith("/login")
    if allowed:
        if 200 <= status < 300 or (300 <= status < 400 and (entry.signs_out or not to_login)):
            return None
        return f"allowed but got {status} {location}".strip()
    if identity == "anonymous":
        return None if to_login else f"a visitor should be sent to log in, got {status} {location}".strip()
    return None if status in entry.refused else f"refused but got {status} {location}".strip()


# --- the tests --------------------------------------------------------------------------------------------------------


def test_the_table_names_every_identifier_route(app):
    """A route that takes an identifier and has no row here fails, and so does a row for a route that is gone."""
    in_map = {(rule.endpoint, method) for rule in identifier_rules(app) for method in methods_of(rule)}
    assert sorted(in_map - set(EXPECTED)) == [], "add these routes to EXPECTED, saying who may use them"
    assert sorted(set(EXPECTED) - in_map) == [], "these rows name routes the URL map no longer has"
    every = {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in methods_of(rule)}
    assert {(endpoint, method) for endpoint, method, _ in EXTRA.values()} <= every


def test_every_identifier_route_answers_every_identity_as_the_table_says(app, make_user, tmp_path, capsys):
    """Phase one, one world: every GET for every identity, and every refused POST (which must write nothing).
    Phase two: each allowed POST in a world of its own, so one allowed change cannot spoil the next."""
    sync_folder(app, MINI_COURSE)
    sync_folder(app, course_two(tmp_path))
    world = build_world(app, make_user)
    for identity in IDENTITIES:
        sign_in(app, world, identity)
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    tally = Tally()

    def attempt(world: World, endpoint: str, method: str, entry: Row, identity: str, before: Any = None) -> Any:
        """Send one request and record it; for a refusal, return what the database holds afterwards."""
        allowed = identity in entry.allowed
        url = url_of(rules[endpoint], entry, world)
        problem = judge(send(world, identity, method, url, entry), identity, allowed, entry)
        after = None
        if not allowed:
            after = contents(app)
            written = changed(before, after)
            if written:
                problem = "; ".join(filter(None, [problem, f"wrote to {', '.join(written)}"]))
        tally.requests += 1
        tally.allowed += allowed
        tally.refused += not allowed
        if problem:
            tally.failures.append(f"{identity:15} {method:4} {endpoint} ({url}): {problem}")
        return after

    cases = [(endpoint, method, entry) for (endpoint, method), entry in EXPECTED.items()] + list(EXTRA.values())
    later: list[tuple[str, str, Row, list[str]]] = []
    last = None  # the database as the last refusal left it (None after an allowed request, which may write)
    for endpoint, method, entry in cases:
        assert endpoint in rules, f"{endpoint} is in the table but not in the URL map"
        tally.routes.add(endpoint)
        spends = method != "GET" or entry.spends
        for identity in IDENTITIES:
            if identity in entry.allowed and spends:
                continue
            last = attempt(world, endpoint, method, entry, identity, last or contents(app))
        if spends:
            acting = [i for i in IDENTITIES if i in entry.allowed]
            later += [(endpoint, method, entry, acting)] if entry.own else [(endpoint, method, entry, [i]) for i in acting]

    for number, (endpoint, method, entry, acting) in enumerate(later, start=1):
        fresh = build_world(app, make_user, suffix=f"-{number}")
        for identity in acting:
            sign_in(app, fresh, identity)
            attempt(fresh, endpoint, method, entry, identity)

    with capsys.disabled():
        print(
            f"\nauthorisation matrix: {len(tally.routes)} routes, {len(EXPECTED)} route-methods with an identifier in the "
            f"path and {len(EXTRA)} more cases x {len(IDENTITIES)} identities = {tally.requests} requests "
            f"({tally.allowed} allowed, {tally.refused} refused; {len(later) + 1} worlds), {len(tally.failures)} failures"
        )
        for failure in tally.failures:
            print("  " + failure)
    assert tally.failures == []
