"""Every address the app signs, prints or mails is PUBLIC_URL, whatever Host (or X-Forwarded-Host) a request carried.

These tests run with SERVER_NAME unset, the documented default: with it set, Flask would build external URLs from it
and hide the bug. The configured address differs from every Host sent, so a URL taken from the request shows.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edu.certificates import issuance
from edu.certificates.models import Certificate, CertificateEvent
from edu.db import session
from edu.mail.models import OutboxMessage
from tests.certificate_helpers import enrolled, mini, pass_everything, revoke_as_admin, user
from tests.clinic_helpers import certify as clinic_certify
from tests.clinic_helpers import clinic, staff
from tests.conftest import login, post_form

ORIGIN = "https://ce.example.org"
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


class ForgedHostClient(FlaskClient):
    """A browser whose every request names evil.example as the host, directly and through proxy headers."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["headers"] = {**dict(kwargs.get("headers") or {}), **FORGED}
        return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _configured(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")
    app.config["SERVER_NAME"] = None
    app.config["PUBLIC_URL"] = ORIGIN


@pytest.fixture
def forged(app: Flask) -> Iterator[FlaskClient]:
    app.test_client_class = ForgedHostClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = None


def claims(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def claim_through_the_page(app: Flask, make_user: Any, client: FlaskClient) -> Certificate:
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, datetime.now(UTC) - timedelta(days=1))
        session.commit()
    assert login(client, "learner@example.com").status_code == 302
    response = post_form(client, "/courses/mini/certificate", page="/courses/mini/certificate")
    assert response.status_code == 302
    with app.app_context():
        certificate = session.scalars(select(Certificate)).one()
        session.expunge(certificate)
        return certificate


def test_a_claim_under_a_forged_host_signs_only_the_configured_address(app, mini_course, make_user, forged):
    c = claim_through_the_page(app, make_user, forged)
    credential = claims(c.credential_jwt)
    assert credential["issuer"]["id"] == f"{ORIGIN}/credentials/issuer"
    assert credential["issuer"]["url"] == f"{ORIGIN}/"
    assert credential["credentialSubject"]["achievement"]["id"].startswith(f"{ORIGIN}/achievements/mini/")
    assert credential["credentialStatus"]["statusListCredential"] == f"{ORIGIN}/credentials/status/{c.status_list_id}"
    assert credential["evidence"][0]["id"] == f"{ORIGIN}/verify/{c.code}"
    assert "evil.example" not in json.dumps(credential)


def test_documents_fetched_under_a_forged_host_name_the_configured_address(app, mini_course, make_user, forged):
    c = claim_through_the_page(app, make_user, forged)
    assert forged.get("/credentials/issuer").get_json()["id"] == f"{ORIGIN}/credentials/issuer"
    status_list = claims(forged.get(f"/credentials/status/{c.status_list_id}").get_data(as_text=True))
    # A status list signed under a forged host could be replayed from that host forever as "nothing revoked".
    assert status_list["id"] == f"{ORIGIN}/credentials/status/{c.status_list_id}"
    assert status_list["issuer"] == f"{ORIGIN}/credentials/issuer"


def test_cli_verify_needs_no_request_valid_then_revoked(app, mini_course, make_user, forged, tmp_path):
    c = claim_through_the_page(app, make_user, forged)
    token = tmp_path / "credential.jwt"
    token.write_text(c.credential_jwt)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "verify", str(token)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: Lee Learner, A miniature course for tests")

    revoke_as_admin(app, make_user, c.id)
    result = runner.invoke(args=["certificates", "verify", str(token)])
    assert result.exit_code != 0 and "invalid: revoked" in result.output


def test_certificate_pdf_and_qr_point_at_the_configured_address(app, mini_course, make_user, forged):
    c = claim_through_the_page(app, make_user, forged)
    pdf = forged.get(f"/certificates/{c.public_id}.pdf")
    assert pdf.status_code == 200
    assert f"/URI ({ORIGIN}/verify/{c.code})".encode() in pdf.get_data()
    assert b"evil.example" not in pdf.get_data()


def test_password_reset_link_uses_the_configured_address(app, make_user, forged):
    make_user("a@example.com")
    assert post_form(forged, "/reset", {"email": "a@example.com"}, page="/reset").status_code == 302
    with app.app_context():
        body = session.scalars(select(OutboxMessage)).one().body
    assert re.search(rf"{re.escape(ORIGIN)}/reset/\S+", body), body
    assert "evil.example" not in body


def test_clinic_invitation_link_uses_the_configured_address(app, make_user, forged):
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    login(forged, "boss@clinic-a.example")
    response = post_form(forged, f"/clinics/{slug}/staff", {"email": "lee@example.com"}, page=f"/clinics/{slug}/staff")
    assert response.status_code == 302
    with app.app_context():
        body = session.scalars(select(OutboxMessage)).one().body
    assert re.search(rf"{re.escape(ORIGIN)}/clinics/join/\S+", body), body
    assert "evil.example" not in body


def test_clinic_export_links_use_the_configured_address(app, mini_course, make_user, forged):
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    staff(app, make_user, slug, "boss@clinic-a.example", "cara@example.com", "Cara Certified")
    code = clinic_certify(app, "cara@example.com").code
    login(forged, "boss@clinic-a.example")
    rows = list(csv.DictReader(io.StringIO(forged.get(f"/clinics/{slug}/roster.csv").get_data().decode("utf-8-sig"))))
    assert [r["Verification link"] for r in rows] == [f"{ORIGIN}/verify/{code}"]
    assert f"/URI ({ORIGIN}/verify/{code})".encode() in forged.get(f"/clinics/{slug}/roster.pdf").get_data()


def test_links_keep_a_path_prefix_of_the_configured_address(app, make_user, forged):
    app.config["PUBLIC_URL"] = "https://example.org/ce"
    make_user("a@example.com")
    post_form(forged, "/reset", {"email": "a@example.com"}, page="/reset")
    with app.app_context():
        assert "https://example.org/ce/reset/" in session.scalars(select(OutboxMessage)).one().body


# --- credentials issued before the fix, under another address ------------------------------------------------------------


def test_credentials_signed_under_another_address_are_found_and_signed_again(app, mini_course, make_user, tmp_path):
    """What a forged Host produced before the fix: a genuine credential naming evil.example. Our verification refuses
    it; `resign-foreign` signs the same certificate again at PUBLIC_URL, keeping its code and status position."""
    app.config["PUBLIC_URL"] = "http://evil.example"
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, datetime.now(UTC) - timedelta(days=1))
        c = issuance.issue_if_complete(user(), mini()).certificate
        assert c is not None
        session.commit()
        old_token, code, position = c.credential_jwt, c.code, (c.status_list_id, c.status_list_index)
    app.config["PUBLIC_URL"] = ORIGIN
    runner = app.test_cli_runner()
    old_file = tmp_path / "old.jwt"
    old_file.write_text(old_token)
    refused = runner.invoke(args=["certificates", "verify", str(old_file)])
    assert refused.exit_code != 0 and "invalid: foreign-issuer" in refused.output

    check = runner.invoke(args=["certificates", "resign-foreign", "--dry-run"])
    assert check.exit_code != 0
    assert f"{code}: its credential names http://evil.example" in check.output and "1 credential(s)" in check.output
    with app.app_context():
        assert session.scalars(select(Certificate)).one().credential_jwt == old_token  # a dry run changes nothing

    done = runner.invoke(args=["certificates", "resign-foreign"])
    assert done.exit_code == 0, done.output
    assert f"1 credential signed again at {ORIGIN}" in done.output
    with app.app_context():
        c = session.scalars(select(Certificate)).one()
        assert (c.code, (c.status_list_id, c.status_list_index), c.status) == (code, position, "valid")
        assert "evil.example" not in json.dumps(claims(c.credential_jwt))
        event = session.scalars(select(CertificateEvent).where(CertificateEvent.action == "resigned")).one()
        assert event.detail["replaced_credential"] == old_token and event.detail["origins"] == ["http://evil.example"]
        new_token = c.credential_jwt
    new_file = tmp_path / "new.jwt"
    new_file.write_text(new_token)
    assert runner.invoke(args=["certificates", "verify", str(new_file)]).exit_code == 0
    clean = runner.invoke(args=["certificates", "resign-foreign", "--dry-run"])
    assert clean.exit_code == 0 and f"Every credential names {ORIGIN}." in clean.output

    # A revocation now reaches whoever checks the re-signed credential.
    revoke_as_admin(app, make_user, c.id)
    revoked = runner.invoke(args=["certificates", "verify", str(new_file)])
    assert revoked.exit_code != 0 and "invalid: revoked" in revoked.output


def test_the_api_says_foreign_issuer_for_a_credential_naming_another_address(app, mini_course, make_user, client):
    app.config["PUBLIC_URL"] = "http://evil.example"
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, datetime.now(UTC) - timedelta(days=1))
        c = issuance.issue_if_complete(user(), mini()).certificate
        assert c is not None
        session.commit()
        token = c.credential_jwt
    app.config["PUBLIC_URL"] = ORIGIN
    body = client.post("/api/v1/credentials/verify", data=token, content_type="text/plain").get_json()
    assert (body["valid"], body["reason"]) == (False, "foreign-issuer")
    assert "issuer address this site does not use" in body["message"]


# --- every page, every identity: nothing the client names as its host comes back ------------------------------------------

LINK = re.compile(r"""(?:href|src|action|formaction|data-[a-z-]+)=["'](/[^"'#\s]*)""")
NOT_CRAWLED = ("/static/", "/logout")


def crawl(client: FlaskClient, starts: list[str], limit: int = 250) -> tuple[dict[str, int], list[str]]:
    """Every same-site page reachable by GET from `starts`: {path: status}, and where evil.example showed up
    (body, Location or any other header). Following links finds the pages a user can reach with the identifiers
    the world really has, which a list of routes would have to invent."""
    seen: dict[str, int] = {}
    leaks: list[str] = []
    queue = list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith(NOT_CRAWLED) or path.startswith("//"):
            continue
        response = client.get(path)
        seen[path] = response.status_code
        for name, value in response.headers.items():
            if "evil.example" in value:
                leaks.append(f"{path}: header {name}: {value}")
        body = response.get_data()
        if b"evil.example" in body:
            at = body.index(b"evil.example")
            leaks.append(f"{path}: body …{body[max(0, at - 80) : at + 20]!r}")
        if response.status_code in (301, 302, 303) and response.location.startswith("/"):
            queue.append(response.location)
        if response.mimetype == "text/html":
            queue.extend(html_path for html_path in LINK.findall(body.decode()) if html_path not in seen)
    return seen, leaks


def test_no_page_of_any_identity_carries_the_host_a_client_named(app, mini_course, make_user, forged):
    """The pages themselves: verify links, QR codes, LinkedIn and share links, OpenAPI servers, feeds and exports
    are built from PUBLIC_URL; a crawl as each kind of user under a forged Host finds evil.example nowhere."""
    certificate = claim_through_the_page(app, make_user, forged)  # Lee, with a certificate, is logged in on `forged`
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    staff(app, make_user, slug, "boss@clinic-a.example", "learner@example.com", "Lee Learner", create=False)
    make_user("instructor@example.com", "instructor", name="Ira Instructor")
    make_user("admin@example.com", "admin", name="Ada Admin")
    public = ["/", f"/verify/{certificate.code}", "/credentials/issuer", "/api/v1/openapi.json", "/login", "/register"]
    visited: dict[str, int] = {}
    leaks: list[str] = []
    for email in (None, "learner@example.com", "boss@clinic-a.example", "instructor@example.com", "admin@example.com"):
        with app.test_client() as browser:
            if email and email != "learner@example.com":
                assert login(browser, email).status_code == 302
            elif email:
                browser = forged
            seen, found = crawl(browser, [*public, "/dashboard", "/account", f"/clinics/{slug}", "/admin"])
            visited.update({f"{email or 'anonymous'} {path}": status for path, status in seen.items()})
            leaks += found
    assert not leaks, "\n".join(leaks)
    assert not [page for page, status in visited.items() if status >= 500]
    assert len(visited) > 60, sorted(visited)  # the crawl really went somewhere


def test_absolute_urls_are_built_in_one_place():
    """The crawl sees the pages a small world has; this sees the code: nothing but edu/public_urls.py may build an
    address from the request (url_for's _external, request.host, host_url, url_root)."""
    project = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(?<![a-z])_external\s*=\s*True|request\.(host|host_url|url_root|root_url)\b")
    found = [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for folder in ("edu", "templates")
        for path in sorted((project / folder).rglob("*"))
        if path.suffix in (".py", ".html", ".txt", ".xml", ".json") and path.name != "public_urls.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)
