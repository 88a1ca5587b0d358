"""`flask certificates remind`, and a revocation, also tell the clinics a learner shares their record with — and no others."""

from __future__ import annotations

from sqlalchemy import select

from edu.certificates.models import Certificate
from edu.clinics import invitations
from edu.db import session
from edu.mail.models import OutboxMessage
from edu.presentation import day
from tests.certificate_helpers import revoke_as_admin
from tests.clinic_helpers import certify, clinic, staff, user


def three_clinics_one_consenting(app, make_user) -> None:
    """Pat shares with North; withdrew consent from South; never consented to West."""
    north = clinic(app, make_user, "north-admin@example.com", "North Physio")
    south = clinic(app, make_user, "south-admin@example.com", "South Physio")
    west = clinic(app, make_user, "west-admin@example.com", "West Physio")
    staff(app, make_user, north, "north-admin@example.com", "pat@example.com", "Pat Therapist")
    south_link = staff(app, make_user, south, "south-admin@example.com", "pat@example.com", "Pat Therapist", create=False)
    staff(app, make_user, west, "west-admin@example.com", "pat@example.com", "Pat Therapist", create=False, consent=False)
    with app.app_context():
        invitations.withdraw(user("pat@example.com"), south_link)
        session.commit()


def test_reminder_copies_reach_consenting_clinics_only(app, mini_course, make_user):
    three_clinics_one_consenting(app, make_user)
    certificate = certify(app, "pat@example.com", expires_in=20)

    result = app.test_cli_runner().invoke(args=["certificates", "remind"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        mail = {(m.recipient, m.subject) for m in session.scalars(select(OutboxMessage)) if "expires" in m.subject}
    assert (
        "pat@example.com",
        f"Your certificate for {certificate.course_title} expires on {day(certificate.expiry_date)}",
    ) in mail
    clinic_copies = {recipient for recipient, subject in mail if subject.startswith("Pat Therapist:")}
    assert clinic_copies == {"north-admin@example.com"}  # not South (withdrawn) nor West (never consented)

    again = app.test_cli_runner().invoke(args=["certificates", "remind"])
    assert again.exit_code == 0
    with app.app_context():
        copies = [m for m in session.scalars(select(OutboxMessage)) if m.subject.startswith("Pat Therapist:")]
    assert len(copies) == 1  # idempotent with the learner's reminder


def test_a_reminder_is_not_copied_while_the_learners_address_is_unconfirmed(app, mini_course, make_user):
    """policy.consented's rule: an account whose address is not confirmed (say, changed since) shares with no one."""
    north = clinic(app, make_user, "north-admin@example.com", "North Physio")
    staff(app, make_user, north, "north-admin@example.com", "pat@example.com", "Pat Therapist")
    certify(app, "pat@example.com", expires_in=20)
    with app.app_context():
        user("pat@example.com").email_verified_at = None
        session.commit()
    assert app.test_cli_runner().invoke(args=["certificates", "remind"]).exit_code == 0
    with app.app_context():
        recipients = {m.recipient for m in session.scalars(select(OutboxMessage)) if "expires" in m.subject}
    assert recipients == {"pat@example.com"}


# --- revocations -----------------------------------------------------------------------------------------------------


def test_a_revocation_reaches_the_learner_and_consenting_clinics_only(app, mini_course, make_user):
    three_clinics_one_consenting(app, make_user)
    certificate = certify(app, "pat@example.com", revoked=True)

    with app.app_context():
        revoked_on = session.get(Certificate, certificate.id).revoked_at  # type: ignore[union-attr]
        mail = {m.recipient: m for m in session.scalars(select(OutboxMessage)) if "revoked" in m.subject}
    assert set(mail) == {"pat@example.com", "north-admin@example.com"}  # not South (withdrawn) nor West (never consented)
    copy = mail["north-admin@example.com"]
    assert copy.subject == "Pat Therapist: certificate revoked"
    assert f"code {certificate.code}): it was revoked on {day(revoked_on)}" in copy.body
    assert "Why: Withdrawn by the provider." in copy.body and "North Physio" in copy.body
    assert f"http://localhost/verify/{certificate.code}" in copy.body
    assert "Test revocation" not in copy.body  # the staff's note stays internal
    assert "site-admin@example.com" not in mail


def test_no_clinic_hears_of_a_revocation_while_the_learners_address_is_unconfirmed(app, mini_course, make_user):
    north = clinic(app, make_user, "north-admin@example.com", "North Physio")
    staff(app, make_user, north, "north-admin@example.com", "pat@example.com", "Pat Therapist")
    certificate = certify(app, "pat@example.com")
    with app.app_context():
        user("pat@example.com").email_verified_at = None
        session.commit()
    revoke_as_admin(app, make_user, certificate.id)
    with app.app_context():
        recipients = {m.recipient for m in session.scalars(select(OutboxMessage)) if "revoked" in m.subject}
    assert recipients == {"pat@example.com"}
