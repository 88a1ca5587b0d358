"""Clinic services against a real database: clinics and administrators, invitations and consent, the roster's
queries (and their count), exports, bulk verification logging and the digest's once-a-day rule."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from edu.auth.tokens import digest as hash_token
from edu.certificates.models import VerificationLog
from edu.certificates.signing import verify_url
from edu.clinics import administration, bulk_verification, digests, exports, invitations, staff_roster
from edu.clinics.models import Clinic, ClinicAdmin, DigestSent, StaffLink
from edu.db import session
from edu.errors import Conflict, Forbidden, Invalid, NotFound
from tests.clinic_helpers import certify, clinic, get_clinic, invite, staff, user

ADMIN = "boss@clinic-a.example"


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def test_creating_a_clinic_needs_the_role_and_makes_the_creator_its_admin(app, make_user):
    make_user(ADMIN, "clinic_admin")
    make_user("learner@example.com")
    with app.app_context():
        with pytest.raises(Forbidden):
            administration.create_clinic(user("learner@example.com"), "Nope")
        created = administration.create_clinic(user(ADMIN), "  Ångström   Physio ")
        reserved = administration.create_clinic(user(ADMIN), "Invitations")
        session.commit()
        assert (created.name, created.slug) == ("Ångström Physio", "angstrom-physio")
        assert reserved.slug == "invitations-2"
        assert session.scalar(select(ClinicAdmin.user_id).where(ClinicAdmin.clinic_id == created.id)) == user(ADMIN).id
        assert sorted(c.slug for c in administration.my_clinics(user(ADMIN))) == ["angstrom-physio", "invitations-2"]
        assert administration.my_clinics(user("learner@example.com")) == []
        with pytest.raises(Invalid):
            administration.create_clinic(user(ADMIN), "x")


def test_a_clinic_slug_is_cut_between_words_and_never_empty(app, make_user):
    """Clinic slugs follow the one slug rule (edu/slugs.py): a long name is cut at a hyphen, not inside a word."""
    make_user(ADMIN, "clinic_admin")
    with app.app_context():
        long = administration.create_clinic(
            user(ADMIN), "Kinetic Dry Needling and Myofascial Trigger Point Rehabilitation Centre"
        )
        wordless = administration.create_clinic(user(ADMIN), "— · —")
        session.commit()
        assert long.slug == "kinetic-dry-needling-and-myofascial-trigger-point"  # not "...-rehabilita"
        assert wordless.slug == "clinic"


def test_open_clinic_refuses_everyone_but_its_administrators(app, make_user):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    clinic(app, make_user, "other@example.com", "Clinic B")
    make_user("root@example.com", "admin")
    with app.app_context():
        assert administration.open_clinic(user(ADMIN), a).slug == a
        for email in ("other@example.com", "root@example.com"):
            with pytest.raises(NotFound):
                administration.open_clinic(user(email), a)
        with pytest.raises(NotFound):
            administration.open_clinic(None, a)
        # Services handed a clinic object re-check the actor, too.
        with pytest.raises(NotFound):
            staff_roster.roster(user("other@example.com"), get_clinic(a))
        with pytest.raises(NotFound):
            invitations.invite(user("other@example.com"), get_clinic(a), "x@example.com")


def test_one_invitation_per_clinic_and_email_enforced_by_the_database(app, make_user):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    invite(app, a, ADMIN, "x@example.com")
    with app.app_context():
        session.add(StaffLink(clinic_id=get_clinic(a).id, invited_email="x@example.com", invited_by_id=user(ADMIN).id))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_consent_lifecycle_and_email_matching(app, make_user):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("lee@example.com", name="Lee")
    make_user("other@example.com", name="Other")
    link_id, token = invite(app, a, ADMIN, "LEE@example.com ")
    with app.app_context():
        link = session.get(StaffLink, link_id)
        assert link.invited_email == "lee@example.com" and link.token_hash == hash_token(token)
        assert token not in (link.token_hash or "")
        with pytest.raises(Forbidden):
            invitations.invitation_by_token(user("other@example.com"), token)
        with pytest.raises(NotFound):
            invitations.respond_by_id(user("other@example.com"), link_id, accept=True)
        with pytest.raises(NotFound):
            invitations.invitation_by_token(user("lee@example.com"), token + "x")
        found = invitations.invitation_by_token(user("lee@example.com"), token)
        assert invitations.my_links(user("lee@example.com")).pending == [found]
        assert invitations.my_links(user("other@example.com")).pending == []
        invitations.respond(user("lee@example.com"), found, accept=True)
        session.commit()
        assert found.state == "accepted" and found.token_hash is None
        with pytest.raises(Conflict):
            invitations.invite(user(ADMIN), get_clinic(a), "lee@example.com")
        with pytest.raises(NotFound):
            invitations.withdraw(user("other@example.com"), link_id)
        invitations.withdraw(user("lee@example.com"), link_id)
        session.commit()
        assert found.state == "withdrawn"
        with pytest.raises(NotFound):
            invitations.withdraw(user("lee@example.com"), link_id)  # once
        mine = invitations.my_links(user("lee@example.com"))
        assert (mine.pending, mine.sharing, [x.id for x in mine.past]) == ([], [], [link_id])


def test_roster_in_five_queries_whatever_the_staff(app, make_user, mini_course, count_queries):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    for i in range(3):
        staff(app, make_user, a, ADMIN, f"s{i}@example.com", f"Staff {i}", lessons=i % 3)
    certify(app, "s0@example.com", expires_in=20)
    with app.app_context():
        actor, place = user(ADMIN), get_clinic(a)
        administration.open_clinic(actor, a)
        with count_queries() as few:
            report = staff_roster.roster(actor, place)
        assert len(report.rows) == 3
    for i in range(3, 25):
        staff(app, make_user, a, ADMIN, f"s{i}@example.com", f"Staff {i}", lessons=i % 3)
        if i % 4 == 0:
            certify(app, f"s{i}@example.com", expires_in=i * 10 - 100)
    with app.app_context():
        actor, place = user(ADMIN), get_clinic(a)
        administration.open_clinic(actor, a)
        with count_queries() as many:
            report = staff_roster.roster(actor, place)
        assert len(report.rows) == 25
    assert len(few) == len(many) == 5, many.statements
    statuses = {r.name: r.statuses[report.courses[0].id].status for r in report.rows}
    assert statuses["Staff 0"] == "expiring" and statuses["Staff 1"] == "in_progress" and statuses["Staff 2"] == "in_progress"
    assert (
        statuses["Staff 4"] == "expired"
        and statuses["Staff 12"] == "expiring"
        and statuses["Staff 20"] == "certified"
        and statuses["Staff 3"] == "not_started"
    )


def test_lesson_progress_counts_only_lessons_of_the_current_version(app, make_user, mini_course):
    from edu.catalog.models import LessonCompletion
    from tests.clinic_helpers import mini

    a = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, a, ADMIN, "lee@example.com", "Lee", lessons=1)
    with app.app_context():
        session.add(LessonCompletion(user_id=user("lee@example.com").id, course_id=mini().id, lesson_key="retired-lesson"))
        session.commit()
        report = staff_roster.roster(user(ADMIN), get_clinic(a))
        assert report.rows[0].statuses[report.courses[0].id].percent == 50


def test_csv_and_pdf_exports(app, make_user, mini_course):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, a, ADMIN, "lee@example.com", "Łukasz Łęcki")
    code = certify(app, "lee@example.com", expires_in=45).code
    with app.test_request_context():
        report = staff_roster.roster(user(ADMIN), get_clinic(a))
        data = exports.roster_csv(report, report.rows, verify_url)
        rows = list(csv.DictReader(io.StringIO(data)))
        assert rows[0]["Name"] == "Łukasz Łęcki" and rows[0]["Certificate code"] == code
        assert rows[0]["Verification link"] == f"http://localhost/verify/{code}" and rows[0]["Status"] == "Expiring soon"
        pdf = exports.roster_pdf(report, report.rows, verify_url, compress=False)
        assert pdf.startswith(b"%PDF") and b"Lukasz" in pdf and f"/verify/{code}".encode() in pdf
        assert exports.filename("clinic-a", "roster", report.today, "pdf") == f"clinic-a-roster-{report.today.isoformat()}.pdf"


def test_bulk_verification_logs_each_lookup_via_bulk(app, make_user, mini_course):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("lee@example.com", name="Lee")
    code = certify(app, "lee@example.com").code
    with app.app_context():
        rows = bulk_verification.check_entries(bulk_verification.parse_pasted(f"{code}\n{code}\nnope"))
        checked = bulk_verification.bulk_verify(user(ADMIN), get_clinic(a), rows, ip="203.0.113.9", secret="s")
        session.commit()
        assert [r.state for r in checked] == ["valid", "error", "error"]
        logs = session.execute(
            select(VerificationLog.lookup, VerificationLog.via, VerificationLog.result, VerificationLog.ip_hash)
        ).all()
        assert len(logs) == 1 and logs[0][:3] == (code, "bulk", "valid") and logs[0][3] != "203.0.113.9"
        with pytest.raises(NotFound):
            bulk_verification.bulk_verify(user("lee@example.com"), get_clinic(a), rows)


def test_digest_once_per_clinic_per_day(app, make_user, mini_course):
    a = clinic(app, make_user, ADMIN, "Clinic A")
    clinic(app, make_user, "quiet@example.com", "Quiet clinic")
    staff(app, make_user, a, ADMIN, "lee@example.com", "Lee")
    certify(app, "lee@example.com", expires_in=10)
    today = datetime.now(UTC).date()
    with app.app_context():
        due = digests.due_digests(today, 60)
        assert [d.clinic.slug for d in due] == [a]  # the quiet clinic has nothing expiring
        assert [(e.name, e.days_left) for e in due[0].entries] == [("Lee", 10)]
        assert digests.due_digests(today, 5) == []
        assert digests.send_digest(due[0], today, 60, "http://localhost/clinics/clinic-a") is True
        session.commit()
        assert digests.send_digest(due[0], today, 60, "http://localhost/clinics/clinic-a") is False  # a second run
        session.rollback()
        assert digests.due_digests(today, 60) == []
        assert len(digests.due_digests(today + timedelta(days=1), 60)) == 1
        assert session.scalar(select(func.count(DigestSent.id))) == 1
        assert session.scalar(select(func.count(Clinic.id))) == 2
