"""`flask certificates …`: verify a credential file, rotate the signing key, send expiry reminders."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from edu.certificates import issuance
from edu.certificates.models import Certificate, ReminderSent
from edu.db import session
from edu.mail.models import OutboxMessage
from tests.certificate_helpers import enrolled, mini, pass_everything, revoke_as_admin, user


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def certify(app: Flask, make_user: Any, at: datetime | None = None, email: str = "learner@example.com") -> Certificate:
    at = at or datetime.now(UTC) - timedelta(days=1)
    uid = enrolled(app, make_user, email)
    with app.app_context():
        pass_everything(uid, at)
        result = issuance.issue_if_complete(user(email), mini(), now=at + timedelta(hours=1))
        assert result.certificate is not None
        session.commit()
        return result.certificate


def test_verify_valid_tampered_and_revoked(app, mini_course, make_user, tmp_path):
    c = certify(app, make_user)
    runner = app.test_cli_runner()
    good = tmp_path / "good.jwt"
    good.write_text(c.credential_jwt + "\n")
    result = runner.invoke(args=["certificates", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: Lee Learner, A miniature course for tests")

    head, payload, sig = c.credential_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["name"] = "Mallory"
    bad = tmp_path / "bad.jwt"
    bad.write_text(f"{head}.{base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()}.{sig}")
    result = runner.invoke(args=["certificates", "verify", str(bad)])
    assert result.exit_code != 0 and "invalid: bad-signature" in result.output

    revoke_as_admin(app, make_user, c.id)
    result = runner.invoke(args=["certificates", "verify", str(good)])
    assert result.exit_code != 0 and "invalid: revoked" in result.output


def test_verify_reports_expired(app, mini_course, make_user, tmp_path):
    c = certify(app, make_user, at=datetime.now(UTC) - timedelta(days=800))
    path = tmp_path / "old.jwt"
    path.write_text(c.credential_jwt)
    result = app.test_cli_runner().invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code != 0 and "invalid: expired" in result.output


def test_rotate_key_keeps_old_credentials_valid(app, mini_course, make_user, tmp_path):
    c = certify(app, make_user)
    runner = app.test_cli_runner()
    old_kid = json.loads(base64.urlsafe_b64decode(c.credential_jwt.split(".")[0] + "=="))["kid"]
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0 and "New signing key" in result.output and old_kid not in result.output
    path = tmp_path / "c.jwt"
    path.write_text(c.credential_jwt)
    verified = runner.invoke(args=["certificates", "verify", str(path)])
    assert verified.exit_code == 0 and f"(key {old_kid})" in verified.output
    assert len(list((tmp_path / "keys").glob("*.jwk.json"))) == 2


def test_remind_is_idempotent_and_prints_counts(app, mini_course, make_user):
    c = certify(app, make_user, at=datetime(2025, 3, 10, 9, tzinfo=UTC))  # expires 2027-03-10
    runner = app.test_cli_runner()
    quiet = runner.invoke(args=["certificates", "remind", "--today", "2026-12-01"])
    assert quiet.exit_code == 0 and "2026-12-01: 0 reminders sent" in quiet.output
    first = runner.invoke(args=["certificates", "remind", "--today", "2027-01-09"])
    assert first.exit_code == 0 and "1 reminder sent" in first.output
    again = runner.invoke(args=["certificates", "remind", "--today", "2027-01-10"])
    assert again.exit_code == 0 and "0 reminders sent" in again.output
    with app.app_context():
        assert [(r.certificate_id, r.lead_days) for r in session.scalars(select(ReminderSent))] == [(c.id, 60)]
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("expires"))).one()
        assert mail.recipient == "learner@example.com" and c.code in mail.body
        assert "http://localhost/courses/mini/certificate" in mail.body
    assert date(2027, 3, 10) == c.expiry_date


def test_remind_refuses_bad_lead_days(app):
    app.config["REMINDER_LEAD_DAYS"] = "soon"
    result = app.test_cli_runner().invoke(args=["certificates", "remind"])
    assert result.exit_code != 0 and "REMINDER_LEAD_DAYS" in result.output
