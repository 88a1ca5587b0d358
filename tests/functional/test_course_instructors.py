"""Instructors act on the outcomes of the courses they are assigned to; admins on every course.

Tess teaches the mini course, Otto teaches another course, Ada is an admin. For every page and action on the mini
course's outcomes (gradebooks, attempts, regrade, item analysis, quiz settings, accommodations, certificates) Tess
and Ada get through, Otto gets the answer a missing object gets and nothing changes. Then the admin page and the
command line that assign instructors, and that unassigning takes effect at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edu.catalog.models import Course, CourseInstructor
from edu.certificates.models import Certificate, CertificateEvent
from edu.db import session
from edu.quizzes.models import Accommodation, Attempt, AuthoredQuiz, Quiz
from edu.results.models import RegradeRun
from tests.conftest import assign_instructor, login, post_form, staff_two_courses, sync_folder
from tests.functional.test_certificate_pages import certify
from tests.functional.test_instructor_quiz_pages import _ids, quiz_form
from tests.integration.test_regrade import course_copy, enrol, fix_single_key, module_quiz, take


@dataclass
class World:
    clients: dict[str, FlaskClient]
    quiz_id: int
    attempt_id: int
    certificate: str
    """The public id of Lee's certificate of the mini course."""
    code: str
    mini_id: int
    other_id: int


@pytest.fixture
def world(app: Flask, make_user: Any, tmp_path: Path) -> World:
    """The mini course with two graded attempts under a key that was corrected since (so a regrade has work), a
    certificate, and a second course with its own instructor."""
    copy = course_copy(tmp_path)
    sync_folder(app, copy)
    staff_two_courses(app, make_user)
    enrol(app, make_user, "ann@example.com", "Ann Able")
    enrol(app, make_user, "cat@example.com", "Cat Calm")
    attempt_id = take(app, "ann@example.com")
    take(app, "cat@example.com", ("q-tf", "q-match"))
    certificate = certify(app, make_user, "lee@example.com")
    fix_single_key(copy)
    sync_folder(app, copy)
    clients = {}
    for name in ("tess", "otto", "ada"):
        client = app.test_client()
        assert login(client, f"{name}@example.com").status_code == 302
        clients[name] = client
    with app.app_context():
        ids = {slug: course_id for slug, course_id in session.execute(select(Course.slug, Course.id))}
        quiz_id = module_quiz().id
    return World(clients, quiz_id, attempt_id, certificate.public_id, certificate.code, ids["mini"], ids["other"])


def user_id(email: str) -> int:
    from edu.auth.models import User

    found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def snapshot(app: Flask) -> dict[str, Any]:
    """What an action on the mini course's outcomes could change."""
    with app.app_context():
        return {
            "certificates": sorted(tuple(r) for r in session.execute(select(Certificate.id, Certificate.status))),
            "events": session.scalar(select(func.count(CertificateEvent.id))),
            "scores": sorted(tuple(r) for r in session.execute(select(Attempt.id, Attempt.score, Attempt.passed))),
            "regrades": session.scalar(select(func.count(RegradeRun.id))),
            "accommodations": session.scalar(select(func.count(Accommodation.id))),
            "quizzes": sorted(tuple(r) for r in session.execute(select(Quiz.id, Quiz.title, Quiz.pass_mark))),
        }


def pages(w: World) -> list[str]:
    return [
        "/instructor/quizzes/courses/mini/gradebook",
        "/instructor/quizzes/courses/mini/gradebook.csv",
        f"/instructor/quizzes/{w.quiz_id}/gradebook",
        f"/instructor/quizzes/{w.quiz_id}/gradebook.csv",
        f"/instructor/quizzes/attempts/{w.attempt_id}",
        f"/instructor/quizzes/{w.quiz_id}/regrade",
        f"/instructor/quizzes/{w.quiz_id}/analysis",
        f"/instructor/quizzes/{w.quiz_id}/edit",
        f"/admin/certificates/{w.certificate}",
        f"/certificates/{w.certificate}.pdf",
    ]


MISSING = {
    "/instructor/quizzes/courses/mini/gradebook": "/instructor/quizzes/courses/nope/gradebook",
    "/instructor/quizzes/{quiz}/gradebook": "/instructor/quizzes/99999/gradebook",
    "/instructor/quizzes/attempts/{attempt}": "/instructor/quizzes/attempts/99999",
    "/instructor/quizzes/{quiz}/regrade": "/instructor/quizzes/99999/regrade",
    "/instructor/quizzes/{quiz}/analysis": "/instructor/quizzes/99999/analysis",
    "/instructor/quizzes/{quiz}/edit": "/instructor/quizzes/99999/edit",
    "/admin/certificates/{certificate}": "/admin/certificates/" + "a" * 32,
}


# --- reading -----------------------------------------------------------------------------------------------------------


def test_every_outcome_page_opens_for_the_course_instructor_and_an_admin(world):
    for name in ("tess", "ada"):
        for url in pages(world):
            assert world.clients[name].get(url).status_code == 200, (name, url)


def _page_shape(response: Any) -> str:
    """A page without its numbers and its CSRF token (signed with a timestamp, so it differs from one second to the
    next): what is left must be the same for a forbidden object as for a missing one."""
    body = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", response.get_data(as_text=True))
    return re.sub(r"\d+", "", body)


def test_an_instructor_of_another_course_gets_what_a_missing_object_gets(app, world):
    otto = world.clients["otto"]
    for url in pages(world):
        assert otto.get(url).status_code == 404, url
    for template, missing in MISSING.items():
        url = template.format(quiz=world.quiz_id, attempt=world.attempt_id, certificate=world.certificate)
        theirs, absent = otto.get(url), otto.get(missing)
        assert (theirs.status_code, absent.status_code) == (404, 404)
        assert _page_shape(theirs) == _page_shape(absent), url


def test_lists_show_only_the_courses_taught(app, world):
    tess, otto, ada = world.clients["tess"], world.clients["otto"], world.clients["ada"]
    theirs = otto.get("/instructor/quizzes/").get_data(as_text=True)
    assert "Another course" in theirs and "A miniature course" not in theirs and f"quiz-{world.quiz_id}" not in theirs
    mine = tess.get("/instructor/quizzes/").get_data(as_text=True)
    assert "A miniature course" in mine and f"quiz-{world.quiz_id}" in mine and "Another course" not in mine
    everything = ada.get("/instructor/quizzes/").get_data(as_text=True)
    assert "A miniature course" in everything and "Another course" in everything

    assert f">{world.code}</a>" not in otto.get("/admin/certificates").get_data(as_text=True)
    searched = otto.get("/admin/certificates", query_string={"q": world.code}).get_data(as_text=True)
    assert f">{world.code}</a>" not in searched and "No certificates match" in searched
    assert "among the courses you teach" in searched
    for name in ("tess", "ada"):
        assert world.code in world.clients[name].get("/admin/certificates", query_string={"q": world.code}).get_data(as_text=True)

    editor = otto.get("/instructor/quizzes/new").get_data(as_text=True)
    assert f'value="{world.other_id}"' in editor and "A miniature course" not in editor
    scopes = otto.get("/instructor/quizzes/accommodations").get_data(as_text=True)
    assert "A miniature course" not in scopes and 'value="all"' not in scopes
    scopes = tess.get("/instructor/quizzes/accommodations").get_data(as_text=True)
    assert f'value="course:{world.mini_id}"' in scopes and 'value="all"' not in scopes
    assert 'value="all"' in ada.get("/instructor/quizzes/accommodations").get_data(as_text=True)


def test_an_instructor_without_a_course_is_told_so(app, world, make_user):
    make_user("new@example.com", "instructor", name="Nina New")
    client = app.test_client()
    login(client, "new@example.com")
    body = client.get("/instructor/quizzes/").get_data(as_text=True)
    assert "You are not assigned to any course yet" in body and "<table" not in body


# --- certificates ------------------------------------------------------------------------------------------------------


def _revoke(client: FlaskClient, public_id: str) -> Any:
    return post_form(
        client,
        f"/admin/certificates/{public_id}/revoke",
        {"category": "other", "reason": "Issued to the wrong person", "confirm": "y"},
        page="/account",
    )


def _reissue(client: FlaskClient, public_id: str) -> Any:
    return post_form(
        client, f"/admin/certificates/{public_id}/reissue", {"reason": "Name corrected", "confirm": "y"}, page="/account"
    )


def test_another_courses_instructor_can_neither_revoke_nor_reissue(app, world):
    before = snapshot(app)
    assert _revoke(world.clients["otto"], world.certificate).status_code == 404
    assert _reissue(world.clients["otto"], world.certificate).status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["tess", "ada"])
def test_the_course_instructor_and_an_admin_revoke(app, world, who):
    assert _revoke(world.clients[who], world.certificate).status_code == 302
    with app.app_context():
        row = session.scalar(select(Certificate).where(Certificate.public_id == world.certificate))
        assert row is not None and row.status == "revoked" and row.revoked_by_id == user_id(f"{who}@example.com")


@pytest.mark.parametrize("who", ["tess", "ada"])
def test_the_course_instructor_and_an_admin_reissue(app, world, who):
    assert _reissue(world.clients[who], world.certificate).status_code == 302
    with app.app_context():
        statuses = session.execute(select(Certificate.status).order_by(Certificate.id)).scalars().all()
        assert statuses == ["superseded", "valid"]


# --- regrade -----------------------------------------------------------------------------------------------------------


def _fingerprint(client: FlaskClient, quiz_id: int) -> str:
    page = client.get(f"/instructor/quizzes/{quiz_id}/regrade").get_data(as_text=True)
    match = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def test_another_courses_instructor_cannot_dry_run_or_regrade(app, world):
    fingerprint = _fingerprint(world.clients["tess"], world.quiz_id)
    before = snapshot(app)
    otto = world.clients["otto"]
    assert otto.get(f"/instructor/quizzes/{world.quiz_id}/regrade").status_code == 404
    applied = post_form(otto, f"/instructor/quizzes/{world.quiz_id}/regrade", {"fingerprint": fingerprint}, page="/account")
    assert applied.status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["tess", "ada"])
def test_the_course_instructor_and_an_admin_regrade(app, world, who):
    client = world.clients[who]
    dry_run = client.get(f"/instructor/quizzes/{world.quiz_id}/regrade").get_data(as_text=True)
    assert "<code>q-single</code>" in dry_run and "Cat Calm" in dry_run
    fingerprint = _fingerprint(client, world.quiz_id)
    before = snapshot(app)
    done = post_form(client, f"/instructor/quizzes/{world.quiz_id}/regrade", {"fingerprint": fingerprint}, page="/account")
    assert done.status_code == 302
    after = snapshot(app)
    assert after["regrades"] == 1 and after["scores"] != before["scores"]
    with app.app_context():
        assert session.scalar(select(RegradeRun)).user.email == f"{who}@example.com"  # type: ignore[union-attr]


# --- accommodations ----------------------------------------------------------------------------------------------------


def _accommodate(client: FlaskClient, scope: str) -> Any:
    data = {"email": "ann@example.com", "scope": scope, "time_multiplier": "1.5", "extra_minutes": 0, "extra_attempts": 1}
    return post_form(client, "/instructor/quizzes/accommodations", data, page="/account")


def test_another_courses_instructor_cannot_set_an_accommodation(app, world):
    before = snapshot(app)
    otto = world.clients["otto"]
    answers = [_accommodate(otto, scope) for scope in (f"quiz:{world.quiz_id}", f"course:{world.mini_id}", "all")]
    unknown = _accommodate(otto, "quiz:99999")
    assert {r.status_code for r in [*answers, unknown]} == {400}
    assert all("Choose what the accommodation applies to." in r.get_data(as_text=True) for r in [*answers, unknown])
    assert snapshot(app) == before


def test_accommodations_for_the_course_instructor_and_for_every_quiz_by_an_admin_only(app, world):
    tess, otto, ada = world.clients["tess"], world.clients["otto"], world.clients["ada"]
    assert _accommodate(tess, f"quiz:{world.quiz_id}").status_code == 302
    assert _accommodate(tess, f"course:{world.mini_id}").status_code == 302
    assert _accommodate(tess, "all").status_code == 400
    assert _accommodate(ada, "all").status_code == 302
    assert _accommodate(otto, f"course:{world.other_id}").status_code == 302
    with app.app_context():
        rows = [tuple(r) for r in session.execute(select(Accommodation.course_id, Accommodation.quiz_id))]
        assert sorted(rows, key=str) == sorted(
            [(world.mini_id, world.quiz_id), (world.mini_id, None), (None, None), (world.other_id, None)], key=str
        )

    def listed(client: FlaskClient) -> list[str]:
        page = client.get("/instructor/quizzes/accommodations").get_data(as_text=True)
        table = page.split('class="data accommodations"', 1)[1] if 'class="data accommodations"' in page else ""
        return re.findall(r"<td>((?:Every quiz|Basics)[^<]*)</td>", table)

    assert sorted(listed(tess)) == ["Basics: module quiz", "Every quiz of A miniature course for tests"]
    assert listed(otto) == ["Every quiz of Another course"]
    assert len(listed(ada)) == 4 and "Every quiz" in listed(ada)


# --- quiz definitions --------------------------------------------------------------------------------------------------


def test_quiz_definitions_belong_to_the_course_instructors(app, world):
    tess, otto, ada = world.clients["tess"], world.clients["otto"], world.clients["ada"]
    ids = _ids(app)
    before = snapshot(app)
    for course in (ids["course"], 99999):  # the same answer as for a course that does not exist
        refused = post_form(otto, "/instructor/quizzes/new", quiz_form(ids, course=course), page="/account")
        assert refused.status_code == 400 and "Choose the course the quiz belongs to" in refused.get_data(as_text=True)
    assert snapshot(app) == before
    assert post_form(otto, f"/instructor/quizzes/{world.quiz_id}/edit", quiz_form(ids), page="/account").status_code == 404
    assert snapshot(app) == before

    assert post_form(tess, "/instructor/quizzes/new", quiz_form(ids), page="/account").status_code == 302
    with app.app_context():
        authored = session.scalar(select(AuthoredQuiz.quiz_id))
    assert otto.get(f"/instructor/quizzes/{authored}/edit").status_code == 404
    renamed = post_form(ada, f"/instructor/quizzes/{authored}/edit", quiz_form(ids, title="Renamed by Ada"), page="/account")
    assert renamed.status_code == 302
    with app.app_context():
        assert session.get(Quiz, authored).title == "Renamed by Ada"  # type: ignore[union-attr]


# --- assigning and unassigning -----------------------------------------------------------------------------------------


def test_unassigning_takes_effect_at_once_even_for_what_the_instructor_authored(app, world):
    tess, ada = world.clients["tess"], world.clients["ada"]
    ids = _ids(app)
    assert post_form(tess, "/instructor/quizzes/new", quiz_form(ids), page="/account").status_code == 302
    with app.app_context():
        authored = session.scalar(select(AuthoredQuiz.quiz_id))
        tess_id = session.scalar(select(CourseInstructor.user_id).where(CourseInstructor.course_id == world.mini_id))
    removed = post_form(ada, f"/admin/courses/mini/instructors/{tess_id}/remove", page="/admin/courses/", follow_redirects=True)
    assert "Tess Teacher (tess@example.com) no longer teaches A miniature course for tests." in removed.get_data(as_text=True)
    for url in [*pages(world), f"/instructor/quizzes/{authored}/edit"]:
        assert tess.get(url).status_code == 404, url
    assert "You are not assigned to any course yet" in tess.get("/instructor/quizzes/").get_data(as_text=True)


def test_taking_the_instructor_role_away_silences_the_assignment(app, world):
    from edu.auth import services
    from edu.auth.models import User

    with app.app_context():
        tess = session.scalar(select(User).where(User.email == "tess@example.com"))
        services.set_roles(session.scalar(select(User).where(User.email == "ada@example.com")), tess, [])  # type: ignore[arg-type]
        session.commit()
    assert world.clients["tess"].get("/instructor/quizzes/courses/mini/gradebook").status_code == 403
    page = world.clients["ada"].get("/admin/courses/").get_data(as_text=True)
    assert "no instructor role: not in effect" in page


def test_the_admin_page_assigns_refuses_and_removes(app, world, make_user):
    make_user("lee2@example.com", name="Lee Learner")
    make_user("nina@example.com", "instructor", name="Nina New")
    ada = world.clients["ada"]
    page = ada.get("/admin/courses/").get_data(as_text=True)
    assert 'id="course-mini"' in page and 'id="course-other"' in page and "Tess Teacher" in page and "Otto Other" in page

    def assign(email: str, slug: str = "mini") -> str:
        response = post_form(
            ada, f"/admin/courses/{slug}/instructors", {"email": email}, page="/admin/courses/", follow_redirects=True
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "lee2@example.com is not an instructor. Grant them the instructor role first" in assign("lee2@example.com")
    assert "No account has the email ghost@example.com." in assign("ghost@example.com")
    assert "Enter the email of the instructor to assign." in assign("")
    assert "Nina New (nina@example.com) now teaches A miniature course for tests." in assign("NINA@example.com")
    assert "Nina New (nina@example.com) already teaches A miniature course for tests." in assign("nina@example.com")
    nina = app.test_client()
    login(nina, "nina@example.com")
    assert nina.get("/instructor/quizzes/courses/mini/gradebook").status_code == 200
    assert nina.get("/instructor/quizzes/courses/other/gradebook").status_code == 404
    assert ada.post("/admin/courses/nope/instructors", data={"email": "nina@example.com"}).status_code == 400  # no CSRF
    assert (
        post_form(ada, "/admin/courses/nope/instructors", {"email": "nina@example.com"}, page="/admin/courses/").status_code
        == 404
    )
    with app.app_context():
        assigned = session.scalar(
            select(CourseInstructor)
            .join(Course)
            .where(Course.slug == "mini", CourseInstructor.user.has(email="nina@example.com"))
        )
        assert assigned is not None and assigned.assigned_by_id == user_id("ada@example.com")

    for who in ("tess", "otto"):
        assert world.clients[who].get("/admin/courses/").status_code == 403
        answer = post_form(world.clients[who], "/admin/courses/mini/instructors", {"email": "nina@example.com"}, page="/account")
        assert answer.status_code == 403


def test_the_admin_page_says_when_there_is_nothing_to_assign(app, make_user, client):
    make_user("ada@example.com", "admin", name="Ada Admin")
    login(client, "ada@example.com")
    assert "There are no courses yet" in client.get("/admin/courses/").get_data(as_text=True)
    with app.app_context():
        session.add(Course(slug="bare", title="A bare course"))
        session.commit()
    page = client.get("/admin/courses/").get_data(as_text=True)
    assert "No instructor is assigned to this course: only administrators can act on its outcomes." in page


# --- the command line --------------------------------------------------------------------------------------------------


def test_the_command_line_lists_assigns_and_removes(app, mini_course, make_user):
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    make_user("lee@example.com", name="Lee Learner")
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["courses", "instructors", "mini"])
    assert empty.exit_code == 0 and "mini has no instructor: only administrators act on its outcomes." in empty.output
    added = runner.invoke(args=["courses", "instructors", "mini", "--add", "tess@example.com"])
    assert added.exit_code == 0, added.output
    assert "tess@example.com assigned." in added.output and "Instructors of mini: Tess Teacher <tess@example.com>" in added.output
    again = runner.invoke(args=["courses", "instructors", "mini", "--add", "tess@example.com"])
    assert "tess@example.com was already assigned." in again.output
    learner = runner.invoke(args=["courses", "instructors", "mini", "--add", "lee@example.com"])
    assert learner.exit_code != 0 and "lee@example.com is not an instructor" in learner.output
    unknown = runner.invoke(args=["courses", "instructors", "nope", "--add", "tess@example.com"])
    assert unknown.exit_code != 0 and "No such course." in unknown.output
    ghost = runner.invoke(args=["courses", "instructors", "mini", "--remove", "ghost@example.com"])
    assert ghost.exit_code != 0 and "No account has the email ghost@example.com." in ghost.output
    with app.app_context():
        row = session.scalar(select(CourseInstructor))
        assert row is not None and row.assigned_by_id is None  # the command line, not an admin account
    removed = runner.invoke(args=["courses", "instructors", "mini", "--remove", "tess@example.com"])
    assert removed.exit_code == 0 and "tess@example.com removed." in removed.output and "has no instructor" in removed.output
    with app.app_context():
        assert session.scalar(select(func.count(CourseInstructor.id))) == 0


def test_a_refused_addition_leaves_the_removals_of_the_same_command_undone(app, mini_course, make_user):
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    make_user("lee@example.com", name="Lee Learner")
    assign_instructor(app, "tess@example.com")
    failed = app.test_cli_runner().invoke(
        args=["courses", "instructors", "mini", "--remove", "tess@example.com", "--add", "lee@example.com"]
    )
    assert failed.exit_code != 0
    with app.app_context():
        assert session.scalar(select(func.count(CourseInstructor.id))) == 1


def test_users_demo_makes_the_demo_instructor_teach_the_synced_courses(app, mini_course):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "demo"])
    assert first.exit_code == 0 and "instructor@example.com now teaches mini." in first.output
    rerun = runner.invoke(args=["users", "demo"])
    assert rerun.exit_code == 0 and "now teaches" not in rerun.output
    lines = [line.split() for line in first.output.splitlines() if len(line.split()) == 3 and line.split()[0] == "instructor"]
    client = app.test_client()
    assert login(client, lines[0][1], lines[0][2]).status_code == 302
    assert client.get("/instructor/quizzes/courses/mini/gradebook").status_code == 200
