"""Clinic pages through the test client: creating a clinic, inviting staff and the learner's consent, the roster
(statuses, filters, sorting, chart, statement counts), exports, bulk verification and the expiry digest."""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from edu.certificates.models import VerificationLog
from edu.certificates.snapshot import new_code
from edu.clinics.models import DigestSent, StaffEvent, StaffLink
from edu.db import session
from edu.mail.models import OutboxMessage
from tests.clinic_helpers import certify, clinic, invite, staff
from tests.conftest import csrf_token, login, post_form

ADMIN = "boss@clinic-a.example"


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_row(app: Flask, link_id: int) -> StaffLink:
    with app.app_context():
        found = session.get(StaffLink, link_id)
        assert found is not None
        session.expunge(found)
        return found


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF's (Flate-compressed) content streams, enough to assert what a reader sees."""
    chunks = []
    for stream in re.findall(rb"\nstream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>"))).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return "\n".join(chunks)


# --- creating a clinic --------------------------------------------------------------------------------------------------


def test_clinic_admin_creates_a_clinic_and_becomes_its_admin(app, client, make_user):
    make_user(ADMIN, "clinic_admin", name="Bo Boss")
    login(client, ADMIN)
    page = client.get("/clinics/").get_data(as_text=True)
    assert "You do not administer a clinic yet" in page
    response = post_form(client, "/clinics/", {"name": "Harbour Physio & Rehab"}, page="/clinics/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/clinics/harbour-physio-rehab/staff")
    page = client.get("/clinics/harbour-physio-rehab/staff").get_data(as_text=True)
    assert "Harbour Physio &amp; Rehab: staff and invitations" in page and "Bo Boss" in page
    # The same name again gets a distinct address.
    post_form(client, "/clinics/", {"name": "Harbour Physio & Rehab"}, page="/clinics/")
    assert client.get("/clinics/harbour-physio-rehab-2").status_code == 200
    assert 'href="/clinics/"' in client.get("/").get_data(as_text=True)  # the nav link


def test_creating_a_clinic_needs_a_name_and_the_role(app, client, make_user):
    make_user(ADMIN, "clinic_admin")
    login(client, ADMIN)
    response = post_form(client, "/clinics/", {"name": " "}, page="/clinics/")
    assert response.status_code == 400 and "Enter the clinic" in response.get_data(as_text=True)
    make_user("learner@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/")})
    login(client, "learner@example.com")
    assert client.get("/clinics/").status_code == 403
    assert post_form(client, "/clinics/", {"name": "Sneaky"}, page="/clinics/invitations").status_code == 403
    assert 'href="/clinics/"' not in client.get("/").get_data(as_text=True)


# --- invitations and consent ----------------------------------------------------------------------------------------------


def test_invitation_email_link_consent_and_roster(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("lee@example.com", name="Lee Learner")
    login(client, ADMIN)
    response = post_form(client, f"/clinics/{slug}/staff", {"email": "  Lee@Example.com "}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 302
    mails = outbox(app)
    assert mails[-1].recipient == "lee@example.com"
    assert "Clinic A" in mails[-1].subject and "licence number" in mails[-1].body
    url = re.search(r"http://localhost(/clinics/join/\S+)", mails[-1].body)
    assert url
    staff_page = client.get(f"/clinics/{slug}/staff").get_data(as_text=True)
    assert "lee@example.com" in staff_page and "Waiting for an answer" in staff_page
    # Nothing is visible before consent.
    assert "Lee Learner" not in client.get(f"/clinics/{slug}").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, f"/clinics/{slug}")})
    login(client, "lee@example.com")
    page = client.get(url.group(1)).get_data(as_text=True)
    for shown in ("your name", "certificate codes, CE hours and expiry dates", "licence number", "withdraw"):
        assert shown in page
    # Without ticking the box, nothing happens.
    response = post_form(client, url.group(1), {"answer": "accept"}, page=url.group(1))
    assert response.status_code == 400 and "Tick the box" in response.get_data(as_text=True)
    response = post_form(client, url.group(1), {"answer": "accept", "consent": "y"}, page=url.group(1))
    assert response.status_code == 302
    sharing = client.get("/clinics/invitations").get_data(as_text=True)
    assert "Clinic A" in sharing and "Withdraw consent" in sharing
    # The link is single-use.
    assert client.get(url.group(1)).status_code == 404

    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/invitations")})
    login(client, ADMIN)
    roster = client.get(f"/clinics/{slug}").get_data(as_text=True)
    assert "Lee Learner" in roster and "Not started" in roster
    assert "PT-1234" not in roster and "Testland" not in roster  # never the licence number or jurisdiction
    with app.app_context():
        actions = list(session.scalars(select(StaffEvent.action).order_by(StaffEvent.id)))
    assert actions == ["invited", "accepted"]


def test_an_account_created_after_the_invitation_accepts_from_the_invitations_page(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    link_id, _token = invite(app, slug, ADMIN, "New.Person@Example.com")
    make_user("new.person@example.com", name="Nia New")
    login(client, "new.person@example.com")
    page = client.get("/clinics/invitations").get_data(as_text=True)
    assert "Clinic A" in page and "Accept and share" in page
    response = post_form(client, f"/clinics/invitations/{link_id}/accept", {}, page="/clinics/invitations")
    assert response.status_code == 400 and "Tick the box" in response.get_data(as_text=True)
    assert link_row(app, link_id).accepted_at is None
    response = post_form(client, f"/clinics/invitations/{link_id}/accept", {"consent": "y"}, page="/clinics/invitations")
    assert response.status_code == 302
    link = link_row(app, link_id)
    assert link.accepted_at is not None and link.token_hash is None and link.user_id is not None


def test_decline_then_reinvite_then_withdraw(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("lee@example.com", name="Lee Learner")
    link_id, _token = invite(app, slug, ADMIN, "lee@example.com")
    login(client, "lee@example.com")
    response = post_form(client, f"/clinics/invitations/{link_id}/decline", page="/clinics/invitations", follow_redirects=True)
    assert "You declined the invitation from Clinic A" in response.get_data(as_text=True)
    assert link_row(app, link_id).state == "declined"
    # The clinic may ask again; the same row is reused and a fresh consent is needed.
    again, _token = invite(app, slug, ADMIN, "lee@example.com")
    assert again == link_id and link_row(app, link_id).state == "pending"
    post_form(client, f"/clinics/invitations/{link_id}/accept", {"consent": "y"}, page="/clinics/invitations")
    assert link_row(app, link_id).state == "accepted"
    response = post_form(client, f"/clinics/invitations/{link_id}/withdraw", page="/clinics/invitations", follow_redirects=True)
    assert "no longer sees your records" in response.get_data(as_text=True)
    link = link_row(app, link_id)
    assert link.withdrawn_at is not None and link.accepted_at is not None  # the row stays, for the record
    with app.app_context():
        actions = list(
            session.scalars(select(StaffEvent.action).where(StaffEvent.staff_link_id == link_id).order_by(StaffEvent.id))
        )
    assert actions == ["invited", "declined", "reinvited", "accepted", "withdrawn"]


def test_clinic_cancels_an_invitation_and_removes_staff(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    pending, token = invite(app, slug, ADMIN, "pending@example.com")
    member = staff(app, make_user, slug, ADMIN, "lee@example.com", "Lee Learner")
    login(client, ADMIN)
    post_form(client, f"/clinics/{slug}/staff/{pending}/end", page=f"/clinics/{slug}/staff")
    post_form(client, f"/clinics/{slug}/staff/{member}/end", page=f"/clinics/{slug}/staff")
    assert link_row(app, pending).state == "withdrawn" and link_row(app, member).state == "withdrawn"
    assert "Lee Learner" not in client.get(f"/clinics/{slug}").get_data(as_text=True)
    make_user("pending@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/clinics/{slug}")})
    login(client, "pending@example.com")
    assert client.get(f"/clinics/join/{token}").status_code == 404  # a cancelled invitation's link is dead


def test_inviting_someone_already_on_staff_or_a_bad_address_says_why(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, slug, ADMIN, "lee@example.com", "Lee Learner")
    login(client, ADMIN)
    response = post_form(client, f"/clinics/{slug}/staff", {"email": "LEE@example.com"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 409 and "already on your staff list" in response.get_data(as_text=True)
    response = post_form(client, f"/clinics/{slug}/staff", {"email": "not-an-email"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 400 and "Enter a valid email address" in response.get_data(as_text=True)


def test_adding_another_administrator(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("deputy@example.com", "clinic_admin", name="Dee Deputy")
    make_user("learner@example.com")
    login(client, ADMIN)
    response = post_form(client, f"/clinics/{slug}/admins", {"email": "learner@example.com"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 400 and "no clinic administrator account" in response.get_data(as_text=True)
    response = post_form(client, f"/clinics/{slug}/admins", {"email": "deputy@example.com"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/clinics/{slug}")})
    login(client, "deputy@example.com")
    assert client.get(f"/clinics/{slug}").status_code == 200


# --- the roster -------------------------------------------------------------------------------------------------------------


def populated(app: Flask, make_user) -> str:
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, slug, ADMIN, "cert@example.com", "Cara Certified")
    certify(app, "cert@example.com", expires_in=400)
    staff(app, make_user, slug, ADMIN, "soon@example.com", "Sam Soon")
    certify(app, "soon@example.com", expires_in=20)
    staff(app, make_user, slug, ADMIN, "old@example.com", "Olga Old")
    certify(app, "old@example.com", expires_in=-10)
    staff(app, make_user, slug, ADMIN, "gone@example.com", "Ravi Revoked")
    certify(app, "gone@example.com", expires_in=300, revoked=True)
    staff(app, make_user, slug, ADMIN, "half@example.com", "Hana Half", lessons=1)
    staff(app, make_user, slug, ADMIN, "none@example.com", "Nell None")
    return slug


def names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/clinics/[^"]+/staff/\d+">([^<]+)</a></th>', page)


def test_roster_statuses_hours_and_chart(app, client, make_user, mini_course):
    slug = populated(app, make_user)
    login(client, ADMIN)
    page = client.get(f"/clinics/{slug}").get_data(as_text=True)
    assert names(page) == ["Cara Certified", "Hana Half", "Nell None", "Olga Old", "Ravi Revoked", "Sam Soon"]
    rows = dict(re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a></th>\s*<td><span class="badge status-(\w+)"', page))
    assert rows == {
        "Cara Certified": "certified",
        "Sam Soon": "expiring",
        "Olga Old": "expired",
        "Ravi Revoked": "revoked",
        "Hana Half": "in_progress",
        "Nell None": "not_started",
    }
    assert "In progress (50%)" in page
    # CE hours: certified, expiring and expired hours were earned; revoked ones do not count.
    hours = dict(re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a></th>.*?<td>([\d.]+ CE hours?)</td>', page, re.S))
    assert hours["Cara Certified"] == "0.5 CE hours" and hours["Olga Old"] == "0.5 CE hours"
    assert hours["Ravi Revoked"] == "0 CE hours" and hours["Nell None"] == "0 CE hours"
    # Upcoming expiries section.
    assert re.search(r"<strong>Sam Soon</strong>: A miniature course for tests, certificate [0-9A-Z-]+, expires", page)
    # The chart: inline SVG with a title and description, a table alternative, nothing the CSP would block.
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "1 certified, 1 expiring soon, 1 expired, 1 revoked, 1 in progress, 1 not started" in svg
    assert "style=" not in page and "<script" not in page and " on" + "click" not in page
    assert 'id="compliance-table"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=expiring", ["Sam Soon"]),
        ("status=certified&days=10", ["Cara Certified", "Sam Soon"]),
        ("status=certified&days=500", []),
        ("q=ol", ["Olga Old"]),
        ("q=OL", ["Olga Old"]),
        ("course=mini&status=in_progress", ["Hana Half"]),
        ("sort=status", ["Olga Old", "Ravi Revoked", "Sam Soon", "Nell None", "Hana Half", "Cara Certified"]),
        ("sort=expiry", ["Olga Old", "Sam Soon", "Cara Certified", "Hana Half", "Nell None", "Ravi Revoked"]),
    ],
)
def test_roster_filters_and_sorting(app, client, make_user, mini_course, query, expected):
    slug = populated(app, make_user)
    login(client, ADMIN)
    response = client.get(f"/clinics/{slug}?{query}")
    assert response.status_code == 200
    assert names(response.get_data(as_text=True)) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bogus", "Choose a status from the list."),
        ("course=nope", "Choose a course from the list."),
        ("sort=salary", "Choose how to sort from the list."),
        ("days=abc", "Enter a whole number of days."),
        ("days=0", "Choose between 1 and 730 days."),
        ("days=99999999999999999999", "Choose between 1 and 730 days."),
        ("q=" + "x" * 101, "Search for at most 100 characters."),
    ],
)
def test_bad_roster_filters_get_a_clear_message_not_a_500(app, client, make_user, mini_course, query, message):
    slug = populated(app, make_user)
    login(client, ADMIN)
    for path in (f"/clinics/{slug}", f"/clinics/{slug}/roster.csv", f"/clinics/{slug}/roster.pdf"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        assert message in page and "There is a problem" in page
        assert len(names(page)) == 6  # the unfiltered roster is still shown


def test_roster_statement_count_does_not_grow_with_staff(app, client, make_user, mini_course, count_queries):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    login(client, ADMIN)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            staff(app, make_user, slug, ADMIN, f"s{i}@example.com", f"Staff {i:02d}", lessons=i % 3)
        certify(app, f"s{start}@example.com", expires_in=30)

    add(2, 0)
    client.get(f"/clinics/{slug}")
    with count_queries() as few:
        page = client.get(f"/clinics/{slug}?sort=expiry&days=90")
    assert len(names(page.get_data(as_text=True))) == 2
    add(18, 2)
    with count_queries() as many:
        page = client.get(f"/clinics/{slug}?sort=expiry&days=90")
    assert len(names(page.get_data(as_text=True))) == 20
    assert len(few) == len(many), many.statements
    assert len(many) <= 8, many.statements  # login session, user, roles, clinic, then the five roster queries
    for path in ("/roster.csv", "/roster.pdf"):
        with count_queries() as export:
            assert client.get(f"/clinics/{slug}{path}").status_code == 200
        assert len(export) <= len(many), export.statements


# --- exports ----------------------------------------------------------------------------------------------------------------


def test_csv_export_has_a_verification_link_per_certificate(app, client, make_user, mini_course):
    slug = populated(app, make_user)
    login(client, ADMIN)
    today = datetime.now(UTC).date().isoformat()
    response = client.get(f"/clinics/{slug}/roster.csv?sort=status")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="clinic-a-roster-{today}.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [r["Name"] for r in rows] == ["Olga Old", "Ravi Revoked", "Sam Soon", "Nell None", "Hana Half", "Cara Certified"]
    sam = rows[2]
    assert sam["Status"] == "Expiring soon" and sam["CE hours"] == "0.5" and sam["Days left"]
    assert sam["Verification link"] == f"http://localhost/verify/{sam['Certificate code']}"
    assert rows[3]["Certificate code"] == "" and rows[3]["Verification link"] == ""
    assert rows[4]["Lessons read (%)"] == "50"
    assert "PT-1234" not in response.get_data(as_text=True)
    filtered = client.get(f"/clinics/{slug}/roster.csv?status=revoked").get_data().decode("utf-8-sig")
    assert [r["Name"] for r in csv.DictReader(io.StringIO(filtered))] == ["Ravi Revoked"]


def test_csv_export_neutralises_formulas(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    staff(app, make_user, slug, ADMIN, "evil@example.com", "=HYPERLINK(1)")
    login(client, ADMIN)
    rows = list(csv.reader(io.StringIO(client.get(f"/clinics/{slug}/roster.csv").get_data().decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_pdf_export_is_a_landscape_table_with_links(app, client, make_user, mini_course):
    slug = populated(app, make_user)
    login(client, ADMIN)
    today = datetime.now(UTC).date().isoformat()
    response = client.get(f"/clinics/{slug}/roster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="clinic-a-roster-{today}.pdf"'
    data = response.get_data()
    assert data.startswith(b"%PDF") and b"/MediaBox [ 0 0 792 612 ]" in data
    assert b"/URI (http://localhost/verify/" in data
    text = pdf_text(data)
    for name in ("Cara", "Olga", "Ravi", "Sam", "Hana", "Nell"):
        assert name in text


# --- bulk verification ----------------------------------------------------------------------------------------------------


def test_bulk_verification_of_pasted_codes(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("a@example.com", name="Val Valid")
    make_user("b@example.com", name="Eve Expired")
    make_user("c@example.com", name="Rob Revoked")
    valid = certify(app, "a@example.com", expires_in=300).code
    expired = certify(app, "b@example.com", expires_in=-5).code
    revoked = certify(app, "c@example.com", expires_in=300, revoked=True).code
    unknown = new_code()
    login(client, ADMIN)
    codes = f"{valid.lower().replace('-', ' ')}\n{expired}, {revoked}\n\n{unknown}\nABC\n{valid}\n,"
    response = post_form(client, f"/clinics/{slug}/verify", {"codes": codes}, page=f"/clinics/{slug}/verify")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "8 rows: 1 valid, 1 expired, 1 revoked, 1 not found, 4 with a problem." in page
    for shown in (
        "Val Valid",
        "Eve Expired",
        "Rob Revoked",
        "A certificate code has 10 characters; this has 3.",
        "Duplicate of row 1",
        "Empty",
    ):
        assert shown in page
    assert "0.5 CE hours" in page
    with app.app_context():
        logged = session.scalars(
            select(VerificationLog.result).where(VerificationLog.via == "bulk").order_by(VerificationLog.id)
        ).all()
    assert logged == ["valid", "expired", "revoked", "not_found"]


def test_bulk_verification_of_a_csv_upload_and_results_download(app, client, make_user, mini_course):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    make_user("a@example.com", name="Val Valid")
    valid = certify(app, "a@example.com", expires_in=300).code
    login(client, ADMIN)
    upload = f"Name,Code\nVal,{valid}\nBlank,\n\nX,ZZZZ-ZZZZ-ZZ\n".encode()
    response = client.post(
        f"/clinics/{slug}/verify",
        data={
            "csrf_token": csrf_token(client, f"/clinics/{slug}/verify"),
            "upload": (io.BytesIO(upload), "codes.csv"),
            "download": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="clinic-a-verification-\d{4}-\d{2}-\d{2}\.csv"', response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["Row"], r["Result"]) for r in rows] == [("2", "Valid"), ("3", "Error"), ("5", "Error")]
    assert rows[0]["Name"] == "Val Valid" and rows[0]["Verification link"] == f"http://localhost/verify/{valid}"
    assert rows[1]["Problem"] == "Empty: no code here."
    assert "typing error" in rows[2]["Problem"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"codes": ""}, "Paste at least one certificate code"),
        ({"codes": "\n".join(new_code() for _ in range(501))}, "You sent 501 codes; at most 500"),
        ({"upload": (b"code\n" + b"x" * 300_000, "big.csv")}, "larger than 256 KB"),
        ({"upload": ("code\nDN7K\n".encode("utf-16"), "u16.csv")}, "not a UTF-8 CSV file"),
    ],
)
def test_bulk_verification_refuses_bad_input_clearly(app, client, make_user, mini_course, data, message):
    slug = clinic(app, make_user, ADMIN, "Clinic A")
    login(client, ADMIN)
    if "upload" in data:  # a fresh file object per run: the parameters are shared by both backends
        data = {"upload": (io.BytesIO(data["upload"][0]), data["upload"][1])}
    response = client.post(
        f"/clinics/{slug}/verify",
        data={"csrf_token": csrf_token(client, f"/clinics/{slug}/verify"), **data},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count(VerificationLog.id))) == 0


# --- the digest ----------------------------------------------------------------------------------------------------------------


def test_digest_command_emails_each_admin_once_a_day(app, make_user, mini_course):
    slug = populated(app, make_user)
    make_user("deputy@example.com", "clinic_admin", name="Dee Deputy")
    with app.app_context():
        from edu.auth.models import User
        from edu.clinics import administration
        from tests.clinic_helpers import get_clinic

        boss = session.scalar(select(User).where(User.email == ADMIN))
        administration.add_administrator(boss, get_clinic(slug), "deputy@example.com")
        session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["clinics", "digest", "--days", "60"])
    assert result.exit_code == 0, result.output
    assert "1 clinic digest sent, 0 already sent" in result.output
    mails = [m for m in outbox(app) if "expiring" in m.subject]
    assert sorted(m.recipient for m in mails) == ["boss@clinic-a.example", "deputy@example.com"]
    assert mails[0].subject == "Clinic A: 1 certificate expiring within 60 days"
    assert "Sam Soon" in mails[0].body and "Cara Certified" not in mails[0].body and "Olga Old" not in mails[0].body
    assert "http://localhost/clinics/clinic-a?days=60&sort=expiry" in mails[0].body
    again = runner.invoke(args=["clinics", "digest", "--days", "60"])
    assert "0 clinic digests sent" in again.output
    assert len([m for m in outbox(app) if "expiring" in m.subject]) == 2
    with app.app_context():
        assert session.scalar(select(func.count(DigestSent.id))) == 1
    # Another day is another digest; a wider window takes in more.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = runner.invoke(args=["clinics", "digest", "--days", "500", "--today", tomorrow])
    assert "1 clinic digest sent" in later.output
    latest = outbox(app)[-1]
    assert "Cara Certified" in latest.body and "Sam Soon" in latest.body


def test_digest_rejects_a_bad_window(app):
    result = app.test_cli_runner().invoke(args=["clinics", "digest", "--days", "0"])
    assert result.exit_code != 0 and "0 is not in the range" in result.output
