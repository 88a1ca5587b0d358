"""Certificate services against a real database (SQLite and PostgreSQL): the completion rule, issuing exactly
once, snapshots, signed credentials and key rotation, revocation, reissue, renewal cycles, reminders, look-ups."""

from __future__ import annotations

import base64
import inspect
import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from edu.auth.models import User
from edu.certificates import credential_status, issuance, records, reminders, revocation, signing, transcripts, verification
from edu.certificates.completion import Requirement, add_months, current_cycle, deciding_attempt, evaluate_completion
from edu.certificates.credential import verify_credential
from edu.certificates.models import Certificate, CertificateEvent, ReminderSent, StatusList, VerificationLog
from edu.certificates.status_list import StatusEntry, decode_list, get_bit
from edu.db import session
from edu.errors import Conflict, Forbidden, Invalid
from edu.mail.models import OutboxMessage
from edu.quizzes.grading_methods import grade_by_method, meets_pass_mark
from edu.quizzes.models import Attempt
from tests.certificate_helpers import enrolled, graded_attempt, mini, pass_everything, quiz, user
from tests.conftest import assign_instructor

T0 = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
ISSUED = T0 + timedelta(hours=2)


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def issue(app: Flask, email: str = "learner@example.com", now: datetime = ISSUED) -> int:
    with app.app_context():
        result = issuance.issue_if_complete(user(email), mini(), now=now)
        assert result.certificate is not None, result.completion and result.completion.missing
        session.commit()
        return result.certificate.id


def certified(app: Flask, make_user: Any, email: str = "learner@example.com", *roles: str) -> int:
    uid = enrolled(app, make_user, email, *roles)
    with app.app_context():
        pass_everything(uid, T0)
        session.commit()
    return issue(app, email)


def payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- grades (pure, no database) ------------------------------------------------------------------------------------------


def _attempts(*scores: float) -> list[Attempt]:
    return [Attempt(number=i + 1, score=s, graded_at=T0 + timedelta(minutes=i)) for i, s in enumerate(scores)]


@pytest.mark.parametrize(
    ("method", "expected"), [("highest", 0.9), ("last", 0.3), ("first", 0.5), ("average", (0.5 + 0.9 + 0.3) / 3)]
)
def test_grade_by_method_follows_the_grading_method(method: str, expected: float) -> None:
    assert grade_by_method(method, _attempts(0.5, 0.9, 0.3)) == pytest.approx(expected)


def test_grade_by_method_ignores_ungraded_attempts_and_is_none_without_any() -> None:
    ungraded = Attempt(number=3, score=None, graded_at=None)
    assert grade_by_method("last", [*_attempts(0.4, 0.8), ungraded]) == 0.8
    assert grade_by_method("highest", [ungraded]) is None
    assert deciding_attempt("highest", _attempts(0.5, 0.9, 0.9)).number == 2  # type: ignore[union-attr]


def test_pass_mark_tolerates_binary_rounding_but_not_a_real_shortfall() -> None:
    assert meets_pass_mark(7 / 10, 70)
    assert not meets_pass_mark(0.6999, 70)
    assert not meets_pass_mark(None, 1)


def test_add_months_keeps_the_day_or_clamps_to_the_month_end() -> None:
    assert add_months(date(2025, 3, 10), 24) == date(2027, 3, 10)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)


# --- the completion rule -------------------------------------------------------------------------------------------------


def test_completion_lists_every_unmet_requirement(app, mini_course, make_user):
    enrolled(app, make_user, lessons=False)
    with app.app_context():
        completion = evaluate_completion(user(), mini(), now=ISSUED)
        assert not completion.complete
        assert [(r.label, r.met, r.detail) for r in completion.requirements] == [
            ("Read every lesson", False, "0 of 2 lessons completed"),
            ("Pass Basics: module quiz", False, "not attempted yet"),
            ("Pass Final exam", False, "not attempted yet"),
        ]
        result = issuance.issue_if_complete(user(), mini(), now=ISSUED)
        assert result.certificate is None and not result.created
        assert session.scalar(select(func.count(Certificate.id))) == 0


def test_a_failed_final_exam_is_not_completion(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, T0, final_score=0.0)
        completion = evaluate_completion(user(), mini(), now=ISSUED)
        assert [r.met for r in completion.requirements] == [True, True, False]
        assert completion.requirements[2].detail == "grade 0%, pass mark 50%"


def test_grading_method_decides_whether_the_final_exam_is_passed(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        graded_attempt(uid, quiz("module"), 1.0, T0)
        final = quiz("final")
        graded_attempt(uid, final, 1.0, T0)
        graded_attempt(uid, final, 0.0, T0 + timedelta(minutes=5))
        final.grading_method = "last"
        assert not evaluate_completion(user(), mini(), now=ISSUED).complete
        final.grading_method = "average"  # (1.0 + 0.0) / 2 = 50% against a 50% pass mark
        assert evaluate_completion(user(), mini(), now=ISSUED).complete
        final.grading_method = "highest"
        completion = evaluate_completion(user(), mini(), now=ISSUED)
        assert completion.complete and completion.attempt is not None and completion.attempt.number == 1


def test_lessons_of_the_current_version_must_all_be_read(app, mini_course, make_user):
    uid = enrolled(app, make_user, lessons=False)
    with app.app_context():
        from edu.catalog import services as catalog

        catalog.complete_lesson(user(), mini(), "first")
        pass_everything(uid, T0)
        completion = evaluate_completion(user(), mini(), now=ISSUED)
        assert completion.requirements[0] == Requirement("Read every lesson", False, "1 of 2 lessons completed")


# --- issuing -------------------------------------------------------------------------------------------------------------


def test_issue_snapshots_the_learner_and_the_course(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, T0)
        final_attempt = session.scalar(select(Attempt.id).where(Attempt.quiz_id == quiz("final").id))
        session.commit()
    cid = issue(app)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        assert (c.learner_name, c.licence_number, c.jurisdiction) == ("Lee Learner", "PT-1234", "Testland")
        assert (c.course_key, c.course_title, c.course_version) == ("mini", "A miniature course for tests", "1.0")
        assert c.ce_hours == Decimal("0.5") and c.provider == "Test provider" and c.signatory == "Test provider"
        assert (c.completion_date, c.issue_date, c.expiry_date) == (date(2025, 3, 10), date(2025, 3, 10), date(2027, 3, 10))
        assert c.attempt_id == final_attempt and c.cycle == 1 and c.status == "valid"
        assert c.course_version_id == mini().current_version_id
        assert [(e.action, e.actor_id) for e in session.scalars(select(CertificateEvent))] == [("issued", uid)]
        # Renaming the learner later changes nothing the certificate states.
        user().name = "Lee Renamed"
        session.commit()
        assert session.get(Certificate, cid).learner_name == "Lee Learner"  # type: ignore[union-attr]
        credential = payload(c.credential_jwt)
        assert credential["credentialSubject"]["name"] == "Lee Learner"
        assert credential["credentialStatus"]["statusListIndex"] == str(c.status_list_index)
        assert credential["validUntil"] == "2027-03-10T00:00:00Z"
        assert "PT-1234" not in json.dumps(credential) and "learner@example.com" not in json.dumps(credential)


def test_issue_is_idempotent(app, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        again = issuance.issue_if_complete(user(), mini(), now=ISSUED + timedelta(days=1))
        assert again.certificate is not None and again.certificate.id == cid and not again.created
        session.commit()
        assert session.scalar(select(func.count(Certificate.id))) == 1


def test_approval_number_signatory_and_validity_come_from_the_rules(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        version = mini().current_version
        assert version is not None
        version.rules = {
            **version.rules,
            "certificate": {"validity_months": 6, "approval_number": "TPTA-1", "signatory": "Dr A. Smith"},
        }
        pass_everything(uid, T0)
        session.commit()
    cid = issue(app)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        assert (c.approval_number, c.signatory, c.expiry_date) == ("TPTA-1", "Dr A. Smith", date(2025, 9, 10))


def test_no_expiry_when_validity_is_unset(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        version = mini().current_version
        assert version is not None
        version.rules = {**version.rules, "certificate": {"validity_months": None}}
        pass_everything(uid, T0)
        session.commit()
    cid = issue(app)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None and c.expiry_date is None and c.state_on(date(2090, 1, 1)) == "valid"
        assert "validUntil" not in payload(c.credential_jwt)


@pytest.mark.postgres_only
def test_concurrent_claims_issue_exactly_one_certificate(app, backend, mini_course, make_user):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers, so there is no concurrent transaction to race; the race is real on PostgreSQL")
    uid = enrolled(app, make_user)
    with app.app_context():
        pass_everything(uid, T0)
        session.commit()
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    results: list[tuple[int | None, bool]] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            with app.app_context():
                learner = user()
                course = mini()
                barrier.wait(timeout=10)
                result = issuance.issue_if_complete(learner, course, now=ISSUED)
                session.commit()
                results.append((result.certificate.id if result.certificate else None, result.created))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == threads_n
    assert len({cid for cid, _ in results}) == 1 and None not in {cid for cid, _ in results}
    assert sum(created for _, created in results) == 1
    with app.app_context():
        assert session.scalar(select(func.count(Certificate.id))) == 1
        assert session.scalar(select(func.count(CertificateEvent.id))) == 1


def test_the_schema_refuses_a_second_current_certificate_for_a_cycle(app, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError):
            issuance.new_certificate(
                user=user(),
                course=mini(),
                version=mini().current_version,  # type: ignore[arg-type]
                cycle=1,
                completed_at=T0,
                attempt_id=None,
                now=ISSUED,
            )


# --- nothing is ever deleted -------------------------------------------------------------------------------------------


def test_the_service_layer_has_no_delete_path() -> None:
    from edu.certificates import completion, policy

    for mod in (completion, issuance, records, transcripts, revocation, credential_status, reminders, policy, verification):
        source = inspect.getsource(mod)
        assert "session.delete" not in source and "delete(" not in source
        assert not [name for name in dir(mod) if "delete" in name.lower() or "remove" in name.lower()]


def test_a_certificate_cannot_be_deleted(app, backend, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        c = session.get(Certificate, cid)
        session.delete(c)
        with pytest.raises(RuntimeError, match="never deleted"):
            session.flush()
        session.rollback()
        if backend == "postgresql":
            from sqlalchemy.exc import DBAPIError

            with pytest.raises(DBAPIError, match="never deleted"):
                session.execute(text("DELETE FROM certificates"))
            session.rollback()
        assert session.scalar(select(func.count(Certificate.id))) == 1


# --- revocation and reissue ----------------------------------------------------------------------------------------------


def test_revoke_needs_a_manager_a_category_and_a_reason(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("teacher@example.com", "instructor")
    assign_instructor(app, "teacher@example.com")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        with pytest.raises(Forbidden):
            revocation.revoke(user(), c, "issued_in_error", "mine")
        teacher = user("teacher@example.com")
        with pytest.raises(Invalid):
            revocation.revoke(teacher, c, "nonsense", "why")
        with pytest.raises(Invalid):
            revocation.revoke(teacher, c, "superseded_by_reissue", "why")
        with pytest.raises(Invalid):
            revocation.revoke(teacher, c, "academic_misconduct", "   ")
        assert c.status == "valid"


def test_revoke_keeps_the_row_flips_the_status_bit_and_logs_it(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        token = c.credential_jwt
        assert credential_status.verify_token(token, now=ISSUED + timedelta(days=1)).valid
        revocation.revoke(user("admin@example.com"), c, "academic_misconduct", "Copied answers", now=ISSUED + timedelta(days=2))
        session.commit()
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        assert (c.status, c.revocation_category, c.revocation_reason) == ("revoked", "academic_misconduct", "Copied answers")
        assert c.revoked_by_id == user("admin@example.com").id and c.revoked_at == ISSUED + timedelta(days=2)
        status_list = session.get(StatusList, c.status_list_id)
        assert status_list is not None and get_bit(decode_list(status_list.encoded_list), c.status_list_index)
        result = credential_status.verify_token(token, now=ISSUED + timedelta(days=3))
        assert (result.valid, result.reason) == (False, "revoked")
        events = [(e.action, e.detail) for e in session.scalars(select(CertificateEvent).order_by(CertificateEvent.id))]
        assert events[-1] == ("revoked", {"category": "academic_misconduct", "reason": "Copied answers"})
        with pytest.raises(Conflict):
            revocation.revoke(user("admin@example.com"), c, "other", "again")
        assert session.scalar(select(func.count(Certificate.id))) == 1


def test_reissue_after_a_name_correction_supersedes_and_links(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        user().name = "Lee Corrected"
        old = session.get(Certificate, cid)
        assert old is not None
        old_token = old.credential_jwt
        new = revocation.reissue(user("admin@example.com"), old, "Name corrected", now=ISSUED + timedelta(days=3))
        session.commit()
        new_id = new.id
    with app.app_context():
        old, new = session.get(Certificate, cid), session.get(Certificate, new_id)
        assert old is not None and new is not None
        assert (old.status, old.superseded_by_id, old.revocation_category) == ("superseded", new.id, "superseded_by_reissue")
        assert (new.status, new.learner_name, new.cycle) == ("valid", "Lee Corrected", old.cycle)
        assert (new.completion_date, new.expiry_date, new.attempt_id) == (old.completion_date, old.expiry_date, old.attempt_id)
        assert new.code != old.code and new.public_id != old.public_id and new.status_list_index != old.status_list_index
        assert credential_status.verify_token(old_token, now=ISSUED + timedelta(days=4)).reason == "revoked"
        assert credential_status.verify_token(new.credential_jwt, now=ISSUED + timedelta(days=4)).valid
        actions = {(e.certificate_id, e.action) for e in session.scalars(select(CertificateEvent))}
        assert {(old.id, "superseded"), (new.id, "reissued"), (new.id, "issued")} <= actions
        assert session.scalar(select(func.count(Certificate.id))) == 2
        assert records.my_certificates(user()) == [new]
        with pytest.raises(Conflict):
            revocation.reissue(user("admin@example.com"), old, "again")


# --- what the learner is told, and offered, as a certificate's state changes ---------------------------------------------


def outbox(recipient: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)))


def test_the_learner_is_emailed_when_a_certificate_is_earned(app, mini_course, make_user):
    app.config["PUBLIC_URL"] = "https://ce.example.org"
    app.config["ISSUER_EMAIL"] = "registrar@ce.example.org"
    cid = certified(app, make_user)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        (mail,) = outbox("learner@example.com")
        assert mail.subject == "Certificate earned: A miniature course for tests"
        assert c.code in mail.body and "0.5 CE hours" in mail.body
        assert "Completed: 10 March 2025" in mail.body and "Valid until: 10 March 2027" in mail.body
        assert f"https://ce.example.org/verify/{c.code}" in mail.body
        assert "https://ce.example.org/courses/mini/certificate" in mail.body
        assert "registrar@ce.example.org" in mail.body
        # Asking again issues nothing and sends nothing.
        assert issuance.issue_if_complete(user(), mini(), now=ISSUED + timedelta(hours=1)).created is False
        session.commit()
        assert len(outbox("learner@example.com")) == 1


def test_an_unconfirmed_learner_is_emailed_when_the_waiting_certificate_is_issued(app, mini_course, make_user):
    uid = enrolled(app, make_user)
    with app.app_context():
        learner = user()
        learner.email_verified_at = None
        pass_everything(uid, T0)
        assert issuance.issue_if_complete(learner, mini(), now=ISSUED).awaiting_verification
        session.commit()
        assert outbox("learner@example.com") == []
        learner.email_verified_at = ISSUED + timedelta(days=1)
        (issued,) = issuance.issue_earned(learner, now=ISSUED + timedelta(days=1))
        session.commit()
        assert [m.subject for m in outbox("learner@example.com")] == ["Certificate earned: A miniature course for tests"]
        assert issued.code in outbox("learner@example.com")[0].body


def test_the_learner_is_told_what_was_revoked_when_why_and_whom_to_ask(app, mini_course, make_user):
    app.config["ISSUER_EMAIL"] = "registrar@ce.example.org"
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        revocation.revoke(
            user("admin@example.com"), c, "academic_misconduct", "Copied answers from A. N. Other", now=ISSUED + timedelta(days=2)
        )
        session.commit()
        mail = outbox("learner@example.com")[-1]
        assert mail.subject == "Your certificate for A miniature course for tests has been revoked"
        assert (
            f"Your certificate {c.code} for A miniature course for tests (version 1.0) was revoked on 12 March 2025" in mail.body
        )
        assert "Why: Withdrawn for academic misconduct." in mail.body
        assert (
            f"http://localhost/verify/{c.code}" in mail.body and "contact Needlepoint CE at registrar@ce.example.org" in mail.body
        )
        assert "Copied answers" not in mail.body  # the staff's note stays in the history
        assert "admin@example.com" not in {m.recipient for m in session.scalars(select(OutboxMessage))}


def test_without_a_provider_address_the_learner_is_pointed_at_the_site(app, mini_course, make_user):
    app.config["ISSUER_EMAIL"] = None
    certified(app, make_user)
    with app.app_context():
        assert "contact Needlepoint CE through http://localhost/." in outbox("learner@example.com")[0].body


def test_a_revocation_rolled_back_sends_nothing(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        revocation.revoke(user("admin@example.com"), c, "other", "Duplicate")
        session.rollback()
        assert [m.subject for m in outbox("learner@example.com")] == ["Certificate earned: A miniature course for tests"]


def test_the_pdf_of_a_certificate_that_no_longer_stands_is_stamped(app, mini_course, make_user):
    from tests.unit.test_certificate_pdf import inflated_text

    cid = certified(app, make_user)  # expires 2027-03-10
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        valid = inflated_text(records.printable(c, date(2026, 1, 1)))
        assert "Lee Learner" in valid and not any("REVOKED" in t or "EXPIRED" in t for t in valid)
        assert "EXPIRED on 10 March 2027" in inflated_text(records.printable(c, date(2027, 3, 10)))
        revocation.revoke(user("admin@example.com"), c, "identity", "ID mismatch", now=datetime(2026, 5, 3, 14, tzinfo=UTC))
        revoked = inflated_text(records.printable(c, date(2026, 5, 4)))
        line = "REVOKED on 3 May 2026 \u2014 Withdrawn because the learner's identity could not be confirmed"
        assert line in revoked and not any("ID mismatch" in t for t in revoked)
        # Revoked outranks expired: after the expiry date it still says why it stopped counting.
        assert line in inflated_text(records.printable(c, date(2028, 1, 1)))


def test_the_credential_and_linkedin_are_offered_only_while_the_certificate_stands(app, mini_course, make_user):
    cid = certified(app, make_user)  # expires 2027-03-10
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        assert records.credential_offered(c) and records.linkedin_url(c, date(2026, 1, 1)) is not None
        assert records.linkedin_url(c, date(2027, 3, 10)) is None  # expired
        assert records.credential_offered(c)  # its validUntil says it expired: still the learner's record
        replacement = revocation.reissue(user("admin@example.com"), c, "Name corrected")
        assert not records.credential_offered(c) and records.linkedin_url(c, date(2026, 1, 1)) is None
        revocation.revoke(user("admin@example.com"), replacement, "other", "Duplicate")
        assert not records.credential_offered(replacement) and records.linkedin_url(replacement, date(2026, 1, 1)) is None


# --- signed credentials and keys ----------------------------------------------------------------------------------------


def test_key_rotation_keeps_old_credentials_verifying(app, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        old = session.get(Certificate, cid)
        assert old is not None
        old_kid = json.loads(base64.urlsafe_b64decode(old.credential_jwt.split(".")[0] + "=="))["kid"]
        new_kid = signing.rotate_key()
        assert new_kid != old_kid
        assert [k["kid"] for k in signing.public_jwks()["keys"]] == [new_kid, old_kid]
        result = credential_status.verify_token(old.credential_jwt, now=ISSUED + timedelta(days=1))
        assert result.valid and result.kid == old_kid
    uid2 = enrolled(app, make_user, "second@example.com")
    with app.app_context():
        pass_everything(uid2, T0)
        session.commit()
    cid2 = issue(app, "second@example.com")
    with app.app_context():
        second = session.get(Certificate, cid2)
        assert second is not None
        result = credential_status.verify_token(second.credential_jwt, now=ISSUED + timedelta(days=1))
        assert result.valid and result.kid == new_kid


def test_tampered_and_expired_credentials_fail(app, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        head, _body, sig = c.credential_jwt.split(".")
        claims = payload(c.credential_jwt)
        claims["credentialSubject"]["name"] = "Someone Else"
        forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert credential_status.verify_token(f"{head}.{forged_body}.{sig}", now=ISSUED).reason == "bad-signature"
        assert credential_status.verify_token("not a token", now=ISSUED).reason == "malformed"
        expired = credential_status.verify_token(c.credential_jwt, now=datetime(2027, 3, 10, 0, 0, 1, tzinfo=UTC))
        assert (expired.valid, expired.reason) == (False, "expired")
        assert credential_status.verify_token(c.credential_jwt, now=datetime(2027, 3, 9, 23, tzinfo=UTC)).valid


def test_a_status_entry_pointing_elsewhere_fails_closed(app, mini_course, make_user):
    certified(app, make_user)
    with app.app_context(), pytest.raises(Exception, match="not one this issuer publishes"):
        credential_status._is_revoked(StatusEntry("https://evil.example/status/1", 5))


def test_the_status_list_credential_is_signed_and_carries_the_bit(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        revocation.revoke(user("admin@example.com"), c, "identity", "ID mismatch")
        session.commit()
        token = credential_status.status_list_credential(c.status_list_id)
        result = verify_credential(token, signing.public_jwks(), datetime.now(UTC) + timedelta(minutes=1))
        assert result.valid and result.credential is not None
        assert "BitstringStatusListCredential" in result.credential["type"]
        assert get_bit(decode_list(result.credential["credentialSubject"]["encodedList"]), c.status_list_index)


# --- renewal cycles -------------------------------------------------------------------------------------------------------


def test_renewal_opens_in_the_last_90_days_and_needs_a_new_final_exam(app, mini_course, make_user):
    cid = certified(app, make_user)  # expires 2027-03-10; the window opens 2026-12-10
    with app.app_context():
        learner, course = user(), mini()
        before = current_cycle(learner, course, date(2026, 12, 9))
        assert (before.number, before.certificate.id if before.certificate else None) == (1, cid)
        window = current_cycle(learner, course, date(2026, 12, 10))
        assert window.number == 2 and window.certificate is None and window.since == datetime(2026, 12, 10, tzinfo=UTC)
        # A retake before the window opened does not count toward the renewal.
        graded_attempt(learner.id, quiz("final"), 1.0, datetime(2026, 6, 1, tzinfo=UTC))
        in_window = datetime(2027, 1, 5, tzinfo=UTC)
        completion = evaluate_completion(learner, course, now=in_window)
        assert [(r.met, r.detail) for r in completion.requirements] == [
            (True, "2 of 2 lessons completed"),
            (True, "grade 100%, pass mark 60%"),  # module quizzes passed earlier still count
            (False, "not attempted in this renewal yet"),
        ]
        assert issuance.issue_if_complete(learner, course, now=in_window).certificate is None
        renewal_attempt = graded_attempt(learner.id, quiz("final"), 1.0, datetime(2027, 1, 4, tzinfo=UTC))
        result = issuance.issue_if_complete(learner, course, now=in_window)
        session.commit()
        assert result.created and result.certificate is not None
        renewed = result.certificate
        assert (renewed.cycle, renewed.attempt_id) == (2, renewal_attempt.id)
        assert (renewed.completion_date, renewed.expiry_date) == (date(2027, 1, 4), date(2029, 1, 4))
        first = session.get(Certificate, cid)
        assert first is not None and first.status == "valid"  # it simply runs out on its own date
        assert current_cycle(learner, course, date(2027, 2, 1)).certificate == renewed
        issued = session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == renewed.id)).one()
        assert issued.detail["renewal_of"] == first.code


def test_an_expired_certificate_can_be_renewed(app, mini_course, make_user):
    certified(app, make_user)
    with app.app_context():
        later = datetime(2027, 6, 1, tzinfo=UTC)
        assert current_cycle(user(), mini(), later.date()).number == 2
        graded_attempt(user().id, quiz("final"), 1.0, later - timedelta(days=1))
        result = issuance.issue_if_complete(user(), mini(), now=later)
        assert result.created and result.certificate is not None and result.certificate.cycle == 2


def test_a_revoked_certificate_opens_a_new_cycle_from_the_revocation(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        revoked_at = ISSUED + timedelta(days=10)
        revocation.revoke(user("admin@example.com"), c, "issued_in_error", "Wrong learner", now=revoked_at)
        cycle = current_cycle(user(), mini(), revoked_at.date())
        assert (cycle.number, cycle.since) == (2, revoked_at)
        # The attempts that led to the revoked certificate do not re-issue it.
        assert issuance.issue_if_complete(user(), mini(), now=revoked_at + timedelta(days=1)).certificate is None


# --- expiry reminders --------------------------------------------------------------------------------------------------


def test_reminders_are_sent_once_per_lead_time_and_skip_renewed_certificates(app, mini_course, make_user):
    cid = certified(app, make_user)  # expires 2027-03-10
    with app.app_context():
        leads = reminders.parse_lead_days("60,30,7")
        assert reminders.due_reminders(date(2027, 1, 8), leads) == []  # 61 days before
        due = reminders.due_reminders(date(2027, 2, 8), leads)  # 30 days before; the 60-day run was missed
        assert [(d.certificate.id, d.lead_days, d.passed_over, d.days_left) for d in due] == [(cid, 30, (60,), 30)]
        assert reminders.send_reminder(due[0], "http://localhost/courses/mini/certificate")
        session.commit()
        assert reminders.due_reminders(date(2027, 2, 9), leads) == []
        assert reminders.send_reminder(due[0], "x") is False  # a second run racing the first
        session.rollback()
        rows = {(r.lead_days, r.emailed) for r in session.scalars(select(ReminderSent))}
        assert rows == {(30, True), (60, False)}
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("expires"))).one()
        assert mail.recipient == "learner@example.com" and "expires on 10 March 2027" in mail.subject
        assert "/courses/mini/certificate" in mail.body
        assert [d.lead_days for d in reminders.due_reminders(date(2027, 3, 4), leads)] == [7]
        assert reminders.due_reminders(date(2027, 3, 10), leads) == []  # expired: nothing to remind about
        # Renewed before the 7-day reminder: the old certificate is not chased any more.
        graded_attempt(user().id, quiz("final"), 1.0, datetime(2027, 2, 20, tzinfo=UTC))
        issuance.issue_if_complete(user(), mini(), now=datetime(2027, 2, 21, tzinfo=UTC))
        session.commit()
        assert reminders.due_reminders(date(2027, 3, 4), leads) == []


def test_lead_days_are_validated() -> None:
    assert reminders.parse_lead_days("7, 60 ,30") == [60, 30, 7]
    for bad in ("", "x", "0", "-3"):
        with pytest.raises(Invalid):
            reminders.parse_lead_days(bad)


# --- public look-ups ---------------------------------------------------------------------------------------------------


def test_lookup_accepts_sloppy_codes_shows_only_public_fields_and_logs(app, mini_course, make_user):
    cid = certified(app, make_user)
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        sloppy = c.code.lower().replace("-", " ").replace("0", "o")
        outcome = verification.lookup(sloppy, via="page", ip="203.0.113.9", user_agent="x" * 500, secret="s", now=ISSUED)
        assert outcome.state == "valid" and outcome.lookup == c.code and outcome.certificate is not None
        public = outcome.certificate.as_json()
        assert set(public) == {
            "code",
            "learner_name",
            "course_title",
            "course_version",
            "ce_hours",
            "completion_date",
            "issue_date",
            "expiry_date",
        }
        assert "PT-1234" not in json.dumps(public) and "learner@example.com" not in json.dumps(public)
        by_id = verification.lookup(c.public_id, via="api", now=ISSUED)
        assert by_id.state == "valid"
        assert verification.lookup(c.code, via="page", now=datetime(2027, 3, 10, tzinfo=UTC)).state == "expired"
        typo = verification.lookup(c.code[:-1] + ("0" if c.code[-1] != "0" else "1"), via="page", now=ISSUED)
        assert typo.state == "not_found" and typo.problem and "typing error" in typo.problem
        session.commit()
        logs = list(session.scalars(select(VerificationLog).order_by(VerificationLog.id)))
        assert [(log.result, log.via) for log in logs] == [
            ("valid", "page"),
            ("valid", "api"),
            ("expired", "page"),
            ("invalid", "page"),
        ]
        assert logs[0].ip_hash and "203.0.113.9" not in logs[0].ip_hash and len(logs[0].user_agent or "") == 200
        assert logs[0].ip_hash == verification.ip_hash("203.0.113.9", "s", ISSUED.date())
        assert logs[0].ip_hash != verification.ip_hash("203.0.113.9", "s", ISSUED.date() + timedelta(days=1))


def test_transcript_counts_hours_once_and_leaves_out_revoked(app, mini_course, make_user):
    cid = certified(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        c = session.get(Certificate, cid)
        assert c is not None
        revocation.reissue(user("admin@example.com"), c, "typo")
        session.commit()
        record = transcripts.transcript(user(), date(2025, 4, 1))
        assert [(r.status, r.ce_hours) for r in record.rows] == [("valid", Decimal("0.5"))]
        assert record.total == Decimal("0.5")
        revocation.revoke(user("admin@example.com"), record.certificates[0], "other", "x")
        record = transcripts.transcript(user(), date(2025, 4, 1))
        assert [r.status for r in record.rows] == ["revoked"] and record.total == 0
        csv_text = transcripts.transcript_csv(record)
        assert csv_text.splitlines()[0] == "Course,Version,Completed,CE hours,Status,Certificate code,Expires"
        assert "revoked" in csv_text.splitlines()[1]


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    assert transcripts._csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert transcripts._csv_safe("Dry needling") == "Dry needling"


def test_users_with_certificates_are_kept(app, mini_course, make_user):
    certified(app, make_user)
    with app.app_context():
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError):
            session.execute(User.__table__.delete().where(User.__table__.c.email == "learner@example.com"))
            session.flush()
        session.rollback()
        assert session.scalar(select(func.count(Certificate.id))) == 1
