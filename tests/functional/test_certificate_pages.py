"""Certificate pages through the test client: claiming, the learner's list and downloads, the transcript, public
verification (what it shows and hides, sloppy codes, rate limit, logging) and the admin lifecycle pages."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from edu.certificates import issuance, revocation
from edu.certificates.models import Certificate, CertificateEvent, VerificationLog
from edu.db import session
from edu.presentation import day
from tests.certificate_helpers import enrolled, mini, pass_everything, user
from tests.conftest import csrf_token, login, post_form
from tests.unit.test_certificate_pdf import inflated_text

T0 = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def complete(app: Flask, make_user: Any, email: str = "learner@example.com", *roles: str, at: datetime = T0) -> int:
    uid = enrolled(app, make_user, email, *roles)
    with app.app_context():
        pass_everything(uid, at)
        session.commit()
    return uid


def certify(
    app: Flask, make_user: Any, email: str = "learner@example.com", *roles: str, at: datetime | None = None
) -> Certificate:
    at = at or datetime.now(UTC) - timedelta(days=1)
    complete(app, make_user, email, *roles, at=at)
    with app.app_context():
        result = issuance.issue_if_complete(user(email), mini(), now=at + timedelta(hours=1))
        assert result.certificate is not None
        session.commit()
        return result.certificate


# --- the course certificate page ---------------------------------------------------------------------------------------


def test_course_page_lists_what_remains_and_refuses_to_issue_early(app, mini_course, make_user, client):
    enrolled(app, make_user, lessons=False)
    login(client, "learner@example.com")
    page = client.get("/courses/mini/certificate").get_data(as_text=True)
    assert "Read every lesson" in page and "0 of 2 lessons completed" in page
    assert "Claim my certificate" not in page
    response = post_form(client, "/courses/mini/certificate", page="/courses/mini/certificate", follow_redirects=True)
    assert "The course is not complete yet" in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count(Certificate.id))) == 0


def test_claiming_issues_the_certificate_once(app, mini_course, make_user, client):
    complete(app, make_user, at=datetime.now(UTC) - timedelta(hours=1))
    login(client, "learner@example.com")
    page = client.get("/courses/mini/certificate").get_data(as_text=True)
    assert "Claim my certificate" in page
    response = post_form(client, "/courses/mini/certificate", page="/courses/mini/certificate", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Your certificate has been issued." in body and "Download PDF" in body
    again = post_form(client, "/courses/mini/certificate", page="/courses/mini/certificate", follow_redirects=True)
    assert "Your certificate was already issued." in again.get_data(as_text=True)
    with app.app_context():
        code = session.scalars(select(Certificate.code)).one()
    assert code in body


def test_claim_without_csrf_token_is_refused(app, mini_course, make_user, client):
    complete(app, make_user)
    login(client, "learner@example.com")
    assert client.post("/courses/mini/certificate").status_code == 400
    with app.app_context():
        assert session.scalar(select(func.count(Certificate.id))) == 0


# --- my certificates, downloads, transcript ----------------------------------------------------------------------------


def test_my_certificates_and_downloads(app, mini_course, make_user, client):
    c = certify(app, make_user)
    login(client, "learner@example.com")
    page = client.get("/certificates").get_data(as_text=True)
    assert c.code in page and "0.5 CE hours" in page and "Valid" in page
    assert f"/certificates/{c.public_id}.pdf" in page and f"/verify/{c.code}" in page
    pdf = client.get(f"/certificates/{c.public_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f"certificate-{c.code}.pdf" in pdf.headers["Content-Disposition"]
    jwt = client.get(f"/certificates/{c.public_id}/credential.jwt")
    assert jwt.status_code == 200 and jwt.mimetype == "application/vc+jwt" and jwt.data.decode() == c.credential_jwt


def test_another_learner_gets_404_and_an_admin_may_download_the_pdf(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("other@example.com")
    make_user("admin@example.com", "admin")
    assert client.get(f"/certificates/{c.public_id}.pdf").status_code == 302  # anonymous: log in first
    login(client, "other@example.com")
    assert client.get(f"/certificates/{c.public_id}.pdf").status_code == 404
    assert client.get(f"/certificates/{c.public_id}/credential.jwt").status_code == 404
    assert client.get("/certificates/not-an-id.pdf").status_code == 404
    assert c.code not in client.get("/certificates").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "admin@example.com")
    assert client.get(f"/certificates/{c.public_id}.pdf").status_code == 200
    assert client.get(f"/certificates/{c.public_id}/credential.jwt").status_code == 404  # the credential is the learner's


def test_transcript_page_csv_and_pdf(app, mini_course, make_user, client):
    c = certify(app, make_user)
    login(client, "learner@example.com")
    page = client.get("/transcript").get_data(as_text=True)
    assert "A miniature course for tests" in page and c.code in page and "Total (revoked certificates excluded)" in page
    exported = client.get("/transcript.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Course", "Version", "Completed", "CE hours"]
    assert rows[1][0] == "A miniature course for tests" and rows[1][3] == "0.5" and rows[1][4] == "valid" and rows[1][5] == c.code
    assert rows[-1][0].startswith("Total") and rows[-1][3] == "0.5"
    pdf = client.get("/transcript.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def _certificates_for(app: Flask, email: str, n: int) -> None:
    """n certificates for one learner (renewal cycles 1..n), to compare statement counts at 1 and at 5."""
    with app.app_context():
        learner, course = user(email), mini()
        for cycle in range(1, n + 1):
            issuance.new_certificate(
                user=learner,
                course=course,
                version=course.current_version,  # type: ignore[arg-type]
                cycle=cycle,
                completed_at=datetime.now(UTC) - timedelta(days=cycle),
                attempt_id=None,
                now=datetime.now(UTC),
            )
        session.commit()


@pytest.mark.parametrize("page", ["/certificates", "/transcript", "/transcript.csv"])
def test_learner_pages_use_a_fixed_number_of_statements(app, mini_course, make_user, count_queries, page):
    counts = []
    for email, n in (("one@example.com", 1), ("five@example.com", 5)):
        make_user(email)
        _certificates_for(app, email, n)
        client = app.test_client()
        login(client, email)
        client.get(page)  # warm-up: nothing cached at app level should change the count below
        with count_queries() as queries:
            response = client.get(page)
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("A miniature course for tests") >= n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    # The transcript page also shows time on task: the learner's courses, their outlines, openings, completions.
    assert counts[0] <= (7 if page == "/transcript" else 3), counts


# --- a certificate that no longer stands; sharing one that does ------------------------------------------------------


def revoke(app: Flask, make_user: Any, c: Certificate, category: str = "academic_misconduct") -> date:
    """Revoke as an administrator with an internal note no learner-facing page may show; the day it happened."""
    make_user("admin@example.com", "admin")
    with app.app_context():
        row = session.get(Certificate, c.id)
        revocation.revoke(user("admin@example.com"), row, category, "Secret internal note")  # type: ignore[arg-type]
        session.commit()
        assert row is not None and row.revoked_at is not None
        return row.revoked_at.date()


def test_a_revoked_certificate_says_when_and_why_and_its_downloads_are_not_passed_off_as_valid(
    app, mini_course, make_user, client
):
    c = certify(app, make_user)
    revoked_on = day(revoke(app, make_user, c))
    login(client, "learner@example.com")

    course = client.get("/courses/mini/certificate").get_data(as_text=True)
    assert f"Your certificate {c.code} was revoked on {revoked_on}." in course
    assert "Why: Withdrawn for academic misconduct." in course and "Secret internal note" not in course
    assert "Download signed credential" not in course and "linkedin.com" not in course

    mine = client.get("/certificates").get_data(as_text=True)
    assert f"on {revoked_on}: Withdrawn for academic misconduct" in mine and "Secret internal note" not in mine
    assert f"/certificates/{c.public_id}/credential.jwt" not in mine  # not offered
    assert f"/certificates/{c.public_id}.pdf" in mine  # offered, stamped

    printed = inflated_text(client.get(f"/certificates/{c.public_id}.pdf").data)
    assert f"REVOKED on {revoked_on} \u2014 Withdrawn for academic misconduct" in printed and "Lee Learner" in printed

    gone = client.get(f"/certificates/{c.public_id}/credential.jwt")
    body = gone.get_data(as_text=True)
    assert gone.status_code == 410 and gone.mimetype == "text/html"
    assert "This credential is no longer offered" in body and f"revoked on {revoked_on}" in body
    assert "Withdrawn for academic misconduct" in body and f"/verify/{c.code}" in body
    assert c.credential_jwt not in body and "Secret internal note" not in body


def test_a_replaced_certificates_credential_points_to_the_replacement(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        new = revocation.reissue(user("admin@example.com"), session.get(Certificate, c.id), "name")  # type: ignore[arg-type]
        session.commit()
        new_code, new_id = new.code, new.public_id
    login(client, "learner@example.com")
    gone = client.get(f"/certificates/{c.public_id}/credential.jwt")
    assert gone.status_code == 410 and f"replaced by certificate <strong>{new_code}</strong>" in gone.get_data(as_text=True)
    assert "REVOKED on" in " ".join(inflated_text(client.get(f"/certificates/{c.public_id}.pdf").data))
    assert client.get(f"/certificates/{new_id}/credential.jwt").status_code == 200
    assert not any("REVOKED" in t for t in inflated_text(client.get(f"/certificates/{new_id}.pdf").data))


def test_an_expired_certificate_says_so_and_its_pdf_says_when(app, mini_course, make_user, client):
    c = certify(app, make_user, at=datetime.now(UTC) - timedelta(days=800))
    assert c.expiry_date is not None
    login(client, "learner@example.com")
    course = client.get("/courses/mini/certificate").get_data(as_text=True)
    assert f"Your certificate {c.code} expired on {day(c.expiry_date)}." in course and "Its PDF is stamped EXPIRED." in course
    assert "linkedin.com" not in course
    assert f"EXPIRED on {day(c.expiry_date)}" in inflated_text(client.get(f"/certificates/{c.public_id}.pdf").data)
    # Its credential states its own end (validUntil), so the learner keeps it as a record.
    assert f"/certificates/{c.public_id}/credential.jwt" in client.get("/certificates").get_data(as_text=True)
    assert client.get(f"/certificates/{c.public_id}/credential.jwt").status_code == 200


def test_a_valid_certificate_offers_linkedin_add_to_profile_from_configuration(app, mini_course, make_user, client):
    app.config["ISSUER_NAME"] = "Needlepoint CE & Partners"
    app.config["PUBLIC_URL"] = "https://ce.example.org"
    c = certify(app, make_user)
    client.environ_base.update({"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "evil.example"})  # a forged Host
    login(client, "learner@example.com")
    page = client.get("/courses/mini/certificate").get_data(as_text=True)
    (href,) = re.findall(
        r'<a class="button secondary" href="([^"]+)" rel="noopener noreferrer">Add to LinkedIn profile</a>', page
    )
    link = urlsplit(html.unescape(href))
    assert (link.scheme, link.netloc, link.path) == ("https", "www.linkedin.com", "/profile/add")
    assert c.expiry_date is not None
    assert {k: v[0] for k, v in parse_qs(link.query).items()} == {
        "startTask": "CERTIFICATION_NAME",
        "name": "A miniature course for tests",
        "organizationName": "Needlepoint CE & Partners",
        "issueYear": str(c.issue_date.year),
        "issueMonth": str(c.issue_date.month),
        "expirationYear": str(c.expiry_date.year),
        "expirationMonth": str(c.expiry_date.month),
        "certUrl": f"https://ce.example.org/verify/{c.code}",
        "certId": c.code,
    }
    assert "evil.example" not in page


# --- public verification ------------------------------------------------------------------------------------------------


def test_verify_shows_only_public_facts(app, mini_course, make_user, client):
    c = certify(app, make_user)
    page = client.get(f"/verify/{c.code}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Valid." in body and "Lee Learner" in body and "A miniature course for tests" in body and "0.5 CE hours" in body
    assert "1.0" in body and f"<dd>{c.completion_date.day} {c.completion_date:%B %Y}</dd>" in body  # "3 December 2026"
    assert "learner@example.com" not in body and "PT-1234" not in body and "Testland" not in body


def test_verify_accepts_sloppy_input(app, mini_course, make_user, client):
    c = certify(app, make_user)
    sloppy = "  " + c.code.lower().replace("-", " ").replace("0", "o") + " "
    response = client.get("/verify", query_string={"code": sloppy})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{c.code}")
    assert "Valid." in client.get(f"/verify/{c.code.replace('-', '').lower()}").get_data(as_text=True)
    assert "Valid." in client.get(f"/verify/{c.public_id}").get_data(as_text=True)


def test_verify_form_and_typos(app, mini_course, make_user, client):
    c = certify(app, make_user)
    form = client.get("/verify").get_data(as_text=True)
    assert '<label for="code">Certificate code</label>' in form
    wrong = c.code[:-1] + ("0" if c.code[-1] != "0" else "1")
    typo = client.get("/verify", query_string={"code": wrong})
    assert typo.status_code == 400 and "typing error" in typo.get_data(as_text=True)
    direct = client.get(f"/verify/{wrong}")
    assert direct.status_code == 404 and "typing error" in direct.get_data(as_text=True)
    empty = client.get("/verify", query_string={"code": ""})
    assert empty.status_code == 400 and "Enter the certificate code." in empty.get_data(as_text=True)
    with app.app_context():
        results = [r for r in session.scalars(select(VerificationLog.result).order_by(VerificationLog.id))]
    assert results == ["invalid", "invalid"]


def test_verify_not_found(app, mini_course, client):
    from edu.certificates.snapshot import new_code

    response = client.get(f"/verify/{new_code()}")
    assert response.status_code == 404 and "Not found." in response.get_data(as_text=True)


def test_verify_revoked_shows_the_category_not_the_reason(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        certificate = session.get(Certificate, c.id)
        revocation.revoke(user("admin@example.com"), certificate, "academic_misconduct", "Secret internal note")  # type: ignore[arg-type]
        session.commit()
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert "Revoked." in body and "Withdrawn for academic misconduct" in body
    assert "Secret internal note" not in body


def test_verify_expired(app, mini_course, make_user, client):
    c = certify(app, make_user, at=datetime.now(UTC) - timedelta(days=800))
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert "Expired." in body and "expired on" in body


def test_verify_reissued_points_to_the_replacement(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        new = revocation.reissue(user("admin@example.com"), session.get(Certificate, c.id), "name")  # type: ignore[arg-type]
        session.commit()
        new_code = new.code
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert "Replaced by a corrected certificate" in body and new_code in body


def verdict(body: str) -> tuple[str, str]:
    """The verification box's state class and the icon inside it."""
    match = re.search(
        r'<div class="notice verification verification-(\w+)"[^>]*>\s*<svg class="state-icon state-icon-(\w+)"', body
    )
    assert match, body
    return match.group(1), match.group(2)


def facts(body: str) -> dict[str, str]:
    return dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]*)</dd></div>", body))


def test_the_verify_page_shows_the_state_in_colour_icon_and_words_that_agree(app, mini_course, make_user, client):
    from edu.certificates.snapshot import new_code

    c = certify(app, make_user)
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert verdict(body) == ("valid", "valid") and "<strong>Valid.</strong>" in body
    assert c.expiry_date is not None and facts(body)["Valid until"] == day(c.expiry_date)
    assert facts(body)["Name, as declared by the learner"] == "Lee Learner"

    revoked_on = day(revoke(app, make_user, c))
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert verdict(body) == ("revoked", "revoked") and "<strong>Revoked.</strong>" in body
    assert facts(body)["Revoked on"] == revoked_on and facts(body)["Was due to expire"] == day(c.expiry_date)
    assert "Valid until" not in body and "valid until" not in body
    assert facts(body)["Name, as declared by the learner"] == "Lee Learner"

    body = client.get(f"/verify/{new_code()}").get_data(as_text=True)
    assert verdict(body) == ("not_found", "not_found") and "<strong>Not found.</strong>" in body
    assert "result-fail" not in body  # neutral: a typo is not an alarm


def test_the_verify_page_of_an_expired_certificate_says_expired_on(app, mini_course, make_user, client):
    c = certify(app, make_user, at=datetime.now(UTC) - timedelta(days=800))
    body = client.get(f"/verify/{c.code}").get_data(as_text=True)
    assert verdict(body) == ("expired", "expired") and "<strong>Expired.</strong>" in body
    assert c.expiry_date is not None and facts(body)["Expired on"] == day(c.expiry_date)
    assert "Valid until" not in body


def test_the_verification_colours_are_classes_in_the_static_stylesheet() -> None:
    """The CSP allows no inline style: the colours live in app.css, green for valid, red for revoked and expired,
    neutral for not found, and the icon takes the colour of its box."""
    css = (Path(__file__).resolve().parents[2] / "edu" / "static" / "css" / "app.css").read_text(encoding="utf-8")
    rules = dict(re.findall(r"^(\.verification-[^{]+?)\s*\{([^}]*)\}", css, re.M))
    assert "var(--ok)" in rules[".verification-valid .state-icon"]
    assert "var(--bad)" in rules[".verification-revoked .state-icon, .verification-expired .state-icon"]
    assert "var(--muted)" in rules[".verification-not_found .state-icon"]
    assert "var(--ok-bg)" in rules[".verification-valid"] and "var(--wash)" in rules[".verification-not_found"]


def test_every_lookup_is_logged_without_the_raw_ip(app, mini_course, make_user, client):
    c = certify(app, make_user)
    client.get(f"/verify/{c.code}", environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"User-Agent": "Checker/1.0"})
    with app.app_context():
        log = session.scalars(select(VerificationLog)).one()
        assert (log.lookup, log.result, log.via, log.user_agent) == (c.code, "valid", "page", "Checker/1.0")
        assert log.ip_hash and "198.51.100.7" not in log.ip_hash and re.fullmatch(r"[0-9a-f]{64}", log.ip_hash)


def test_verification_is_rate_limited_with_a_friendly_page(app, mini_course, make_user, client):
    c = certify(app, make_user)
    app.config["VERIFY_LIMITS"] = "3 per minute"
    for _ in range(3):
        assert client.get(f"/verify/{c.code}").status_code == 200
    limited = client.get(f"/verify/{c.code}")
    body = limited.get_data(as_text=True)
    assert limited.status_code == 429 and "Too many look-ups" in body and "wait a minute" in body
    with app.app_context():
        assert session.scalar(select(func.count(VerificationLog.id))) == 3


# --- administration ---------------------------------------------------------------------------------------------------


def test_learners_cannot_reach_the_admin_pages(app, mini_course, make_user, client):
    c = certify(app, make_user)
    login(client, "learner@example.com")
    assert client.get("/admin/certificates").status_code == 403
    assert client.get(f"/admin/certificates/{c.public_id}").status_code == 403
    token = csrf_token(client, "/certificates")
    response = client.post(
        f"/admin/certificates/{c.public_id}/revoke",
        data={"csrf_token": token, "category": "other", "reason": "x", "confirm": "y"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert session.get(Certificate, c.id).status == "valid"  # type: ignore[union-attr]


def test_instructor_searches_by_code_and_name(app, mini_course, make_user, teach, client):
    c = certify(app, make_user)
    make_user("teacher@example.com", "instructor")
    teach("teacher@example.com")
    login(client, "teacher@example.com")
    assert c.code in client.get("/admin/certificates").get_data(as_text=True)
    assert c.code in client.get("/admin/certificates", query_string={"q": c.code.lower().replace("-", "")}).get_data(as_text=True)
    assert c.code in client.get("/admin/certificates", query_string={"q": "lee lea"}).get_data(as_text=True)
    nobody = client.get("/admin/certificates", query_string={"q": "zz%_nobody"}).get_data(as_text=True)
    assert c.code not in nobody and "No certificates match" in nobody


def test_revoke_through_the_admin_page_needs_confirmation(app, mini_course, make_user, teach, client):
    c = certify(app, make_user)
    make_user("teacher@example.com", "instructor")
    teach("teacher@example.com")
    login(client, "teacher@example.com")
    detail = f"/admin/certificates/{c.public_id}"
    page = client.get(detail).get_data(as_text=True)
    assert "issued" in page and "Revoke certificate" in page and "PT-1234" in page
    refused = post_form(client, detail + "/revoke", {"category": "other", "reason": "Duplicate"}, page=detail)
    assert refused.status_code == 400 and "Confirm that you mean to revoke" in refused.get_data(as_text=True)
    no_reason = post_form(client, detail + "/revoke", {"category": "other", "reason": "", "confirm": "y"}, page=detail)
    assert no_reason.status_code == 400
    assert (
        client.post(detail + "/revoke", data={"category": "other", "reason": "x", "confirm": "y"}).status_code == 400
    )  # no CSRF
    with app.app_context():
        assert session.get(Certificate, c.id).status == "valid"  # type: ignore[union-attr]
    done = post_form(
        client, detail + "/revoke", {"category": "identity", "reason": "ID not matched", "confirm": "y"}, page=detail
    )
    assert done.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "has been revoked" in page and "ID not matched" in page and "Revoke certificate" not in page
    with app.app_context():
        row = session.get(Certificate, c.id)
        assert row is not None and (row.status, row.revocation_category) == ("revoked", "identity")
        assert [e.action for e in session.scalars(select(CertificateEvent).order_by(CertificateEvent.id))] == [
            "issued",
            "revoked",
        ]


def test_reissue_through_the_admin_page(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        user().name = "Lee Corrected"
        session.commit()
    login(client, "admin@example.com")
    detail = f"/admin/certificates/{c.public_id}"
    response = post_form(
        client, detail + "/reissue", {"reason": "Name corrected", "confirm": "y"}, page=detail, follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f"Certificate {c.code} was replaced by" in body and "Lee Corrected" in body
    with app.app_context():
        rows = {r.code: r for r in session.scalars(select(Certificate))}
        assert len(rows) == 2 and rows[c.code].status == "superseded"


def test_unknown_certificate_admin_page_is_404(app, mini_course, make_user, client):
    make_user("admin@example.com", "admin")
    login(client, "admin@example.com")
    assert client.get("/admin/certificates/" + "0" * 32).status_code == 404


def test_navigation_links(app, mini_course, make_user, client):
    assert "/verify" in client.get("/").get_data(as_text=True)
    enrolled(app, make_user)
    login(client, "learner@example.com")
    assert 'href="/certificates"' in client.get("/").get_data(as_text=True)
    assert "/courses/mini/certificate" in client.get("/dashboard").get_data(as_text=True)


def test_the_history_says_completing_the_course_issued_it_not_the_learner(app, mini_course, make_user, teach, client):
    c = certify(app, make_user)
    make_user("teacher@example.com", "instructor")
    teach("teacher@example.com")
    login(client, "teacher@example.com")
    page = client.get(f"/admin/certificates/{c.public_id}").get_data(as_text=True)
    history = re.sub(r"\s+", " ", page[page.index("<h2>History</h2>") :])
    assert "issued when Lee Learner completed the course" in history
    assert "issued by Lee Learner" not in history
