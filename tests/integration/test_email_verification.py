"""Email verification in the services, on both databases: confirmation tokens, what an unconfirmed account may not do
(answer a clinic invitation, count on a roster, receive a certificate), and the migration's rule for old accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text

from edu.auth import services as auth
from edu.auth.models import EmailVerificationToken
from edu.catalog import services as catalog
from edu.certificates import issuance
from edu.certificates.models import Certificate
from edu.clinics import invitations, policy, staff_roster
from edu.clinics.models import StaffLink
from edu.db import make_engine, session
from edu.errors import Forbidden, Invalid
from tests.certificate_helpers import mini, pass_everything, user
from tests.clinic_helpers import clinic, get_clinic, invite
from tests.migration_helpers import upgraded_to_just_before

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)


# --- tokens --------------------------------------------------------------------------------------------------------------


def test_a_link_confirms_once_and_only_before_it_expires(app, make_user):
    make_user("lee@example.com", verified=False)
    with app.app_context():
        lee = user("lee@example.com")
        early = auth.request_email_verification(lee, timedelta(hours=48), now=NOW)
        late = auth.request_email_verification(lee, timedelta(hours=48), now=NOW)
        session.commit()
        assert early and late
        with pytest.raises(Invalid):
            auth.verify_email(late, now=NOW + timedelta(hours=48))
        session.rollback()
        assert user("lee@example.com").email_verified_at is None
        assert auth.verify_email(early, now=NOW + timedelta(hours=47)).id == lee.id
        session.commit()
        assert user("lee@example.com").email_verified_at == NOW + timedelta(hours=47)
        for spent in (early, late):
            with pytest.raises(Invalid):
                auth.verify_email(spent, now=NOW + timedelta(hours=47, minutes=1))
        assert auth.request_email_verification(user("lee@example.com"), timedelta(hours=48)) is None


def test_a_link_confirms_only_the_address_it_was_sent_to(app, make_user):
    make_user("lee@example.com", verified=False)
    with app.app_context():
        raw = auth.request_email_verification(user("lee@example.com"), timedelta(hours=48))
        assert raw is not None
        user("lee@example.com").email = "someone-else@example.com"
        session.commit()
        with pytest.raises(Invalid):
            auth.verify_email(raw)
        session.rollback()
        assert user("someone-else@example.com").email_verified_at is None


def test_only_the_token_hash_is_stored(app, make_user):
    make_user("lee@example.com", verified=False)
    with app.app_context():
        raw = auth.request_email_verification(user("lee@example.com"), timedelta(hours=48))
        session.commit()
        assert raw is not None
        stored = session.scalars(select(EmailVerificationToken)).one()
        assert stored.token_hash != raw and len(stored.token_hash) == 64
        assert raw not in repr([tuple(row) for row in session.execute(text("SELECT * FROM email_verification_tokens"))])


def test_registration_leaves_the_address_unconfirmed_unless_an_administrator_vouches(app):
    with app.app_context():
        self_made = auth.register(name="Ana", email="ana@example.com", password="correct horse battery")
        vouched = auth.register(name="Bo", email="bo@example.com", password="correct horse battery", verified=True)
        session.commit()
        assert self_made.email_verified_at is None and not self_made.email_verified
        assert vouched.email_verified_at is not None and vouched.email_verified


# --- clinics -------------------------------------------------------------------------------------------------------------


def test_an_unconfirmed_account_cannot_answer_an_invitation(app, make_user):
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    link_id, token = invite(app, slug, "boss@clinic-a.example", "lee@example.com")
    make_user("lee@example.com", verified=False)
    with app.app_context():
        squatter = user("lee@example.com")
        assert invitations.my_links(squatter).pending == []
        for accept in (True, False):
            with pytest.raises(Forbidden, match="Confirm your email address"):
                invitations.respond_by_id(squatter, link_id, accept=accept)
            with pytest.raises(Forbidden, match="Confirm your email address"):
                invitations.respond(squatter, invitations.invitation_by_token(squatter, token), accept=accept)
        session.rollback()
        link = session.get(StaffLink, link_id)
        assert link is not None and link.state == "pending" and link.user_id is None and link.token_hash is not None

        raw = auth.request_email_verification(user("lee@example.com"), timedelta(hours=48))
        assert raw is not None
        owner = auth.verify_email(raw)
        assert [p.id for p in invitations.my_links(owner).pending] == [link_id]
        assert invitations.respond_by_id(owner, link_id, accept=True).state == "accepted"
        session.commit()


def test_the_roster_counts_only_confirmed_accounts(app, make_user):
    slug = clinic(app, make_user, "boss@clinic-a.example", "Clinic A")
    for email in ("kept@example.com", "lost@example.com"):
        link_id, _token = invite(app, slug, "boss@clinic-a.example", email)
        make_user(email, name=email.split("@")[0])
        with app.app_context():
            invitations.respond_by_id(user(email), link_id, accept=True)
            session.commit()
    with app.app_context():
        # An accepted link whose account has no confirmed address (no such path exists today: this is the guard).
        user("lost@example.com").email_verified_at = None
        session.commit()
        report = staff_roster.roster(user("boss@clinic-a.example"), get_clinic(slug))
        assert [row.name for row in report.rows] == ["kept"]
        consenting = set(session.scalars(policy.consented(get_clinic(slug).id)))
        assert consenting == {user("kept@example.com").id}


# --- certificates --------------------------------------------------------------------------------------------------------


def _complete(app, make_user, email: str, at: datetime) -> int:  # type: ignore[no-untyped-def]
    uid = int(make_user(email, verified=False))
    with app.app_context():
        catalog.enrol(user(email), mini())
        for key in ("first", "second"):
            catalog.complete_lesson(user(email), mini(), key)
        pass_everything(uid, at)
        session.commit()
    return uid


def test_issuing_waits_for_the_address_then_issues_what_was_earned(app, mini_course, make_user):
    completed = datetime.now(UTC) - timedelta(days=10)
    uid = _complete(app, make_user, "lee@example.com", completed)
    with app.app_context():
        waiting = issuance.issue_if_complete(user("lee@example.com"), mini())
        assert waiting.certificate is None and waiting.awaiting_verification
        assert waiting.completion is not None and waiting.completion.complete
        assert issuance.issue_earned(user("lee@example.com")) == []
        session.commit()
        assert session.scalars(select(Certificate)).all() == []

        raw = auth.request_email_verification(user("lee@example.com"), timedelta(hours=48))
        assert raw is not None
        learner = auth.verify_email(raw)
        issued = issuance.issue_earned(learner)
        session.commit()
        assert [(c.user_id, c.course_key, c.completion_date) for c in issued] == [(uid, "mini", completed.date())]
        assert issuance.issue_earned(learner) == []
        again = issuance.issue_if_complete(learner, mini())
        assert again.certificate is not None and again.certificate.id == issued[0].id and not again.created
        assert len(session.scalars(select(Certificate)).all()) == 1


def test_confirming_issues_nothing_for_an_unfinished_course(app, mini_course, make_user):
    make_user("lee@example.com", verified=False)
    with app.app_context():
        catalog.enrol(user("lee@example.com"), mini())
        raw = auth.request_email_verification(user("lee@example.com"), timedelta(hours=48))
        assert raw is not None
        assert issuance.issue_earned(auth.verify_email(raw)) == []
        session.commit()
        assert session.scalars(select(Certificate)).all() == []


# --- the migration -------------------------------------------------------------------------------------------------------

REVISION = "18cffeb2aeeb"


def test_accounts_made_before_the_rule_count_as_confirmed(empty_database):
    config = upgraded_to_just_before(empty_database, REVISION)
    engine = make_engine(empty_database)
    created = datetime(2026, 5, 6, 7, 8, 9)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, password_hash, profession, is_active, created_at, password_changed_at) "
                "VALUES ('old@example.com', 'Old', 'x', 'pt', :yes, :at, :at)"
            ),
            {"yes": True, "at": created},
        )
    command.upgrade(config, REVISION)
    with engine.connect() as conn:
        verified = conn.execute(text("SELECT email_verified_at FROM users WHERE email = 'old@example.com'")).scalar_one()
    engine.dispose()
    assert verified is not None
    assert (verified if isinstance(verified, datetime) else datetime.fromisoformat(verified)) == created
