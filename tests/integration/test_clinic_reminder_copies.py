"""`flask certificates remind` also tells the clinics a learner shares their record with — and no others."""

from __future__ import annotations

from sqlalchemy import select

from edu.clinics import invitations
from edu.db import session
from edu.mail.models import OutboxMessage
from edu.presentation import day
from tests.clinic_helpers import certify, clinic, staff, user


def test_reminder_copies_reach_consenting_clinics_only(app, mini_course, make_user):
    north = clinic(app, make_user, "north-admin@example.com", "North Physio")
    south = clinic(app, make_user, "south-admin@example.com", "South Physio")
    west = clinic(app, make_user, "west-admin@example.com", "West Physio")
    staff(app, make_user, north, "north-admin@example.com", "pat@example.com", "Pat Therapist")
    south_link = staff(app, make_user, south, "south-admin@example.com", "pat@example.com", "Pat Therapist", create=False)
    staff(app, make_user, west, "west-admin@example.com", "pat@example.com", "Pat Therapist", create=False, consent=False)
    with app.app_context():
        invitations.withdraw(user("pat@example.com"), south_link)
        session.commit()
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
