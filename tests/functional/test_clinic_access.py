"""Access control: a clinic administrator sees only the staff who consented to *that* clinic, and nobody else
sees any clinic at all. Every clinic route is tried from every wrong side, and each attempt must fail (404 or
403), leak nothing (no name, no email, no code) and change nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edu.certificates.models import VerificationLog
from edu.clinics.models import ClinicAdmin, StaffEvent, StaffLink
from edu.db import session
from edu.mail.models import OutboxMessage
from tests.clinic_helpers import certify, clinic, invite, staff
from tests.conftest import csrf_token, login, post_form
from tests.functional.test_clinic_pages import pdf_text

ADMIN_A = "boss@clinic-a.example"
ADMIN_B = "boss@clinic-b.example"
SECRET_NAMES = ("Bella Bstaff", "bella@example.com", "Pat Pending", "pat@example.com")


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


@pytest.fixture
def world(app: Flask, make_user: Any, mini_course: str) -> dict[str, Any]:
    """Clinic A with one consenting member (Alex); clinic B with a consenting member (Bella, certified) and a
    pending invitation (Pat)."""
    a = clinic(app, make_user, ADMIN_A, "Clinic A")
    b = clinic(app, make_user, ADMIN_B, "Clinic B")
    alex = staff(app, make_user, a, ADMIN_A, "alex@example.com", "Alex Astaff")
    bella = staff(app, make_user, b, ADMIN_B, "bella@example.com", "Bella Bstaff")
    code = certify(app, "bella@example.com", expires_in=30).code
    pat, pat_token = invite(app, b, ADMIN_B, "pat@example.com")
    return {"a": a, "b": b, "alex": alex, "bella": bella, "bella_code": code, "pat": pat, "pat_token": pat_token}


def snapshot(app: Flask) -> tuple[Any, ...]:
    """Everything an attack could change."""
    with app.app_context():
        links = session.execute(
            select(
                StaffLink.id,
                StaffLink.user_id,
                StaffLink.accepted_at,
                StaffLink.declined_at,
                StaffLink.withdrawn_at,
                StaffLink.token_hash,
            ).order_by(StaffLink.id)
        ).all()
        return (
            tuple(links),
            session.scalar(select(func.count(StaffEvent.id))),
            session.scalar(select(func.count(ClinicAdmin.id))),
            session.scalar(select(func.count(OutboxMessage.id))),
            session.scalar(select(func.count(VerificationLog.id))),
        )


def routes(world: dict[str, Any], slug: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every clinic-side route of clinic `slug`, with plausible form data."""
    return [
        ("GET", f"/clinics/{slug}", {}),
        ("GET", f"/clinics/{slug}?status=expiring&sort=expiry", {}),
        ("GET", f"/clinics/{slug}/roster.csv", {}),
        ("GET", f"/clinics/{slug}/roster.pdf", {}),
        ("GET", f"/clinics/{slug}/verify", {}),
        ("POST", f"/clinics/{slug}/verify", {"codes": world["bella_code"]}),
        ("GET", f"/clinics/{slug}/staff", {}),
        ("POST", f"/clinics/{slug}/staff", {"email": "intruder-invite@example.com"}),
        ("POST", f"/clinics/{slug}/admins", {"email": ADMIN_A}),
        ("GET", f"/clinics/{slug}/staff/{world['bella']}", {}),
        ("GET", f"/clinics/{slug}/staff/{world['pat']}", {}),
        ("POST", f"/clinics/{slug}/staff/{world['bella']}/end", {}),
        ("POST", f"/clinics/{slug}/staff/{world['pat']}/end", {}),
    ]


ROUTE_IDS = ["roster", "roster-filtered", "csv", "pdf", "verify-page", "verify-post", "staff", "invite", "add-admin",
             "staff-member", "pending-member", "end-member", "cancel-pending"]  # fmt: skip


def request(client: FlaskClient, method: str, url: str, data: dict[str, Any]) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client, "/clinics/invitations"), **data})


def assert_leaks_nothing(response: Any) -> None:
    body = response.get_data()
    text = body.decode("utf-8", "replace") + pdf_text(body)
    for secret in SECRET_NAMES:
        assert secret not in text


@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_admin_of_clinic_a_gets_404_on_every_route_of_clinic_b(app, client, world, index):
    method, url, data = routes(world, world["b"])[index]
    login(client, ADMIN_A)
    before = snapshot(app)
    response = request(client, method, url, data)
    assert response.status_code == 404, url
    assert_leaks_nothing(response)
    assert "Clinic B" not in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_clinic_a_routes_cannot_reach_clinic_b_staff_by_id(app, client, world, index):
    """Clinic A's own address with clinic B's staff link ids: the ids are not A's, so 404 (or A's empty view)."""
    method, url, data = routes(world, world["a"])[index]
    login(client, ADMIN_A)
    before = snapshot(app)
    response = request(client, method, url, data)
    if method == "POST" and url.endswith("/verify"):
        # Bulk verification answers for any code, exactly as the public verification page does for anyone
        # holding the code: that is the code's purpose, not a leak through the clinic.
        assert response.status_code == 200 and "Bella Bstaff" in response.get_data(as_text=True)
        return
    assert_leaks_nothing(response)
    if "/staff/" in url:
        assert response.status_code == 404
        assert snapshot(app) == before


@pytest.mark.parametrize("who", ["learner", "staff-of-b", "anonymous"])
@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_learners_and_strangers_get_nothing_from_any_clinic_route(app, client, make_user, world, who, index):
    method, url, data = routes(world, world["b"])[index]
    if who == "learner":
        make_user("learner@example.com")
        login(client, "learner@example.com")
    elif who == "staff-of-b":
        login(client, "bella@example.com")  # a consenting member of B is not its administrator
    before = snapshot(app)
    if who == "anonymous" and method == "POST":
        response = client.post(url, data=data)
        assert response.status_code in (302, 400)  # CSRF (no session) or login first
    else:
        response = request(client, method, url, data)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    assert_leaks_nothing(response)
    assert snapshot(app) == before


def test_learners_cannot_open_the_clinic_list(app, client, world):
    login(client, "bella@example.com")
    assert client.get("/clinics/").status_code == 403


def test_a_site_admin_who_is_not_among_a_clinics_administrators_sees_nothing(app, client, make_user, world):
    make_user("root@example.com", "admin")
    login(client, "root@example.com")
    for method, url, data in routes(world, world["b"]):
        response = request(client, method, url, data)
        assert response.status_code == 404, url
        assert_leaks_nothing(response)


def test_an_administrator_who_loses_the_role_loses_access(app, client, world):
    from edu.auth.models import User, UserRole

    with app.app_context():
        boss = session.scalar(select(User).where(User.email == ADMIN_B))
        session.execute(UserRole.__table__.delete().where(UserRole.user_id == boss.id))
        session.commit()
    login(client, ADMIN_B)
    assert client.get(f"/clinics/{world['b']}").status_code == 403


def test_guessing_sequential_staff_ids_finds_only_ones_own_consenting_staff(app, client, world):
    login(client, ADMIN_A)
    with app.app_context():
        top = session.scalar(select(func.max(StaffLink.id))) or 0
    found = {}
    for link_id in range(0, top + 5):
        response = client.get(f"/clinics/{world['a']}/staff/{link_id}")
        assert response.status_code in (200, 404)
        assert_leaks_nothing(response)
        if response.status_code == 200:
            found[link_id] = response
    assert list(found) == [world["alex"]]
    assert "Alex Astaff" in found[world["alex"]].get_data(as_text=True)
    assert client.get(f"/clinics/{world['a']}/staff/-1").status_code == 404
    assert client.get(f"/clinics/{world['a']}/staff/99999999999999999999").status_code == 404


def test_guessing_clinic_slugs_gives_the_same_404_as_a_missing_clinic(app, client, world):
    login(client, ADMIN_A)
    existing = client.get(f"/clinics/{world['b']}")
    missing = client.get("/clinics/no-such-clinic")
    assert existing.status_code == missing.status_code == 404
    assert existing.get_data() == missing.get_data()


# --- invitations from the wrong side ----------------------------------------------------------------------------------


def test_an_invitation_token_opened_by_the_wrong_account_is_refused(app, client, make_user, world):
    make_user("mallory@example.com", name="Mallory")
    login(client, "mallory@example.com")
    before = snapshot(app)
    url = f"/clinics/join/{world['pat_token']}"
    response = client.get(url)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "This invitation was sent to a different email address" in page
    assert "pat@example.com" not in page and "Clinic B" not in page
    response = post_form(client, url, {"answer": "accept", "consent": "y"}, page="/clinics/invitations")
    assert response.status_code == 403
    response = post_form(client, url, {"answer": "decline"}, page="/clinics/invitations")
    assert response.status_code == 403
    assert snapshot(app) == before
    # Mallory's own invitations page does not show Pat's invitation.
    assert "Clinic B" not in client.get("/clinics/invitations").get_data(as_text=True)


def test_an_invitation_accepted_by_id_while_logged_in_as_someone_else_is_refused(app, client, make_user, world):
    make_user("mallory@example.com", name="Mallory")
    login(client, "mallory@example.com")
    before = snapshot(app)
    for action, data in (("accept", {"consent": "y"}), ("decline", {})):
        response = post_form(client, f"/clinics/invitations/{world['pat']}/{action}", data, page="/clinics/invitations")
        assert response.status_code == 404
        assert_leaks_nothing(response)
    # Nor can anyone withdraw somebody else's consent.
    response = post_form(client, f"/clinics/invitations/{world['bella']}/withdraw", page="/clinics/invitations")
    assert response.status_code == 404
    assert snapshot(app) == before


def test_the_clinic_admin_cannot_accept_on_the_learners_behalf(app, client, world):
    login(client, ADMIN_B)
    before = snapshot(app)
    assert client.get(f"/clinics/join/{world['pat_token']}").status_code == 403
    response = post_form(client, f"/clinics/invitations/{world['pat']}/accept", {"consent": "y"}, page="/clinics/invitations")
    assert response.status_code == 404
    assert snapshot(app) == before


def test_a_used_or_forged_token_is_dead(app, client, make_user, world):
    make_user("pat@example.com", name="Pat Pending")
    login(client, "pat@example.com")
    url = f"/clinics/join/{world['pat_token']}"
    assert post_form(client, url, {"answer": "accept", "consent": "y"}, page=url).status_code == 302
    assert client.get(url).status_code == 404
    assert client.get("/clinics/join/" + "A" * 43).status_code == 404
    assert client.get("/clinics/join/" + "A" * 500).status_code == 404
    # A consent already given cannot be "accepted" again by id either.
    assert (
        post_form(
            client, f"/clinics/invitations/{world['pat']}/accept", {"consent": "y"}, page="/clinics/invitations"
        ).status_code
        == 404
    )


def test_an_invitation_older_than_thirty_days_has_expired(app, client, make_user, world):
    from datetime import timedelta

    with app.app_context():
        link = session.get(StaffLink, world["pat"])
        link.invited_at -= timedelta(days=31)
        session.commit()
    make_user("pat@example.com", name="Pat Pending")
    login(client, "pat@example.com")
    assert client.get(f"/clinics/join/{world['pat_token']}").status_code == 404
    assert "Clinic B" not in client.get("/clinics/invitations").get_data(as_text=True)


# --- withdrawal: gone from everything ---------------------------------------------------------------------------------


def test_a_withdrawn_staff_member_disappears_from_roster_exports_detail_and_digest(app, client, world):
    b = world["b"]
    login(client, ADMIN_B)
    assert "Bella Bstaff" in client.get(f"/clinics/{b}").get_data(as_text=True)  # visible while consenting
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/clinics/{b}")})

    login(client, "bella@example.com")
    post_form(client, f"/clinics/invitations/{world['bella']}/withdraw", page="/clinics/invitations")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/invitations")})

    login(client, ADMIN_B)
    for url in (f"/clinics/{b}", f"/clinics/{b}?status=expiring", f"/clinics/{b}/roster.csv", f"/clinics/{b}/roster.pdf"):
        response = client.get(url)
        assert response.status_code == 200
        text = response.get_data().decode("utf-8", "replace") + pdf_text(response.get_data())
        assert "Bella" not in text and world["bella_code"] not in text, url
    rows = list(csv.reader(io.StringIO(client.get(f"/clinics/{b}/roster.csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 1  # the header only
    assert client.get(f"/clinics/{b}/staff/{world['bella']}").status_code == 404
    # The staff page keeps the audit trail (the email the clinic typed) but no name.
    staff_page = client.get(f"/clinics/{b}/staff").get_data(as_text=True)
    assert "bella@example.com" in staff_page and "Ended" in staff_page and "Bella Bstaff" not in staff_page
    result = app.test_cli_runner().invoke(args=["clinics", "digest", "--days", "60"])
    assert result.exit_code == 0 and "0 clinic digests sent" in result.output
    with app.app_context():
        # What the clinics were sent (Bella's own "certificate earned" email names her, of course).
        bodies = " ".join(session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient != "bella@example.com")))
        link = session.get(StaffLink, world["bella"])
        assert link.withdrawn_at is not None and link.user_id is not None  # the row stays for the record
    assert "Bella" not in bodies


def test_declined_and_pending_people_never_appear_on_the_roster(app, client, make_user, world):
    make_user("pat@example.com", name="Pat Pending")
    login(client, ADMIN_B)
    assert "Pat Pending" not in client.get(f"/clinics/{world['b']}").get_data(as_text=True)
    assert client.get(f"/clinics/{world['b']}/staff/{world['pat']}").status_code == 404


def test_clinic_a_sees_its_member_but_not_clinic_bs_even_when_the_same_person_is_in_both(app, client, make_user, world):
    """Bella joins clinic A as well, then withdraws from A only: B keeps seeing her, A does not."""
    link_a = staff(app, make_user, world["a"], ADMIN_A, "bella@example.com", "Bella Bstaff", create=False)
    login(client, ADMIN_A)
    assert "Bella Bstaff" in client.get(f"/clinics/{world['a']}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/")})
    login(client, "bella@example.com")
    post_form(client, f"/clinics/invitations/{link_a}/withdraw", page="/clinics/invitations")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/invitations")})
    login(client, ADMIN_A)
    assert "Bella Bstaff" not in client.get(f"/clinics/{world['a']}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clinics/")})
    login(client, ADMIN_B)
    assert "Bella Bstaff" in client.get(f"/clinics/{world['b']}").get_data(as_text=True)
