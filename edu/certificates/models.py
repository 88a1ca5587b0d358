"""Certificates and their history. Nothing here is ever deleted.

A certificate row is the frozen snapshot of what was certified (see snapshot.py) plus its lifecycle state.
"Expired" is not a stored state: it follows from `expiry_date` and today's date, so a certificate never has to be
rewritten to expire. Revocation and reissue change the state, record who and why, and leave the row in place;
every change is also written to `certificate_events`.

Uniqueness that matters under concurrent requests:

- at most one *current* (non-superseded) certificate per learner, course and certification cycle: a partial
  unique index, so two simultaneous "claim" clicks give one certificate. A reissue marks the old row superseded
  first, which is why the index is partial rather than a plain UNIQUE(user_id, course_id, cycle);
- one status-list position per credential: UNIQUE(status_list_id, status_list_index).

Deleting a certificate is refused three ways: no service deletes, the ORM refuses `session.delete()` (a mapper
event), and on PostgreSQL a trigger refuses a DELETE statement from anywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import DDL, JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.db import Base, utcnow

from .snapshot import CertificateSnapshot

if TYPE_CHECKING:
    from edu.auth.models import User

STATUSES = ("valid", "revoked", "superseded")
REVOCATION_CATEGORIES = {
    "issued_in_error": "Issued in error",
    "academic_misconduct": "Withdrawn for academic misconduct",
    "identity": "Withdrawn because the learner's identity could not be confirmed",
    "superseded_by_reissue": "Replaced by a corrected certificate",
    "other": "Withdrawn by the provider",
}
"""Plain words for the public page; the free-text reason stays internal."""

VERIFICATION_CHANNELS = ("page", "api", "qr", "bulk")


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_current_cycle",
            "user_id",
            "course_id",
            "cycle",
            unique=True,
            sqlite_where=text("status != 'superseded'"),
            postgresql_where=text("status != 'superseded'"),
        ),
        UniqueConstraint("status_list_id", "status_list_index"),
        Index("ix_certificates_user_id_issue_date", "user_id", "issue_date"),
        Index("ix_certificates_course_id_user_id", "course_id", "user_id"),
        Index("ix_certificates_expiry_date", "expiry_date"),
        Index("ix_certificates_learner_name", "learner_name"),
        CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name="status"),
        CheckConstraint(
            "revocation_category IS NULL OR revocation_category IN "
            "('issued_in_error', 'academic_misconduct', 'identity', 'superseded_by_reissue', 'other')",
            name="revocation_category",
        ),
        CheckConstraint("cycle >= 1", name="cycle"),
        CheckConstraint("ce_hours > 0", name="ce_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    # No ON DELETE CASCADE: a learner's account cannot be deleted out from under their certificates.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    """1 for the first certificate of a course, 2, 3, … for renewals."""

    # The snapshot: what the certificate states, as it stood at issuance.
    learner_name: Mapped[str] = mapped_column(String(120))
    licence_number: Mapped[str | None] = mapped_column(String(60))
    jurisdiction: Mapped[str | None] = mapped_column(String(80))
    course_key: Mapped[str] = mapped_column(String(80))
    """The course's stable id (its slug), as printed and signed."""
    course_title: Mapped[str] = mapped_column(String(300))
    course_version: Mapped[str] = mapped_column(String(20))
    ce_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    completion_date: Mapped[date]
    issue_date: Mapped[date]
    expiry_date: Mapped[date | None]
    """The first day on which the certificate is no longer valid; None: it does not expire."""
    provider: Mapped[str] = mapped_column(String(300))
    signatory: Mapped[str] = mapped_column(String(300))
    approval_number: Mapped[str | None] = mapped_column(String(120))
    statement: Mapped[str | None] = mapped_column(Text)
    """The course's statement of what the certificate does not attest, as it stood at issuance."""

    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), index=True)
    """The graded attempt the certificate rests on: the final exam's deciding attempt, or else the latest module
    quiz's; None when the course requires no quiz."""
    completed_at: Mapped[datetime]

    status: Mapped[str] = mapped_column(String(12), default="valid")
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    revocation_category: Mapped[str | None] = mapped_column(String(30))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)

    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_list_index: Mapped[int]
    credential_jwt: Mapped[str] = mapped_column(Text)
    """The signed Open Badges 3.0 credential (VC-JWT), kept as issued so every download is the same bytes."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship("User", foreign_keys=[user_id])
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[superseded_by_id])

    def state_on(self, today: date) -> str:
        """What a verifier is told: valid, expired or revoked (a superseded certificate reads as revoked, with the
        category saying it was replaced)."""
        if self.status != "valid":
            return "revoked"
        if self.expiry_date is not None and today >= self.expiry_date:
            return "expired"
        return "valid"

    @property
    def revocation_label(self) -> str | None:
        """Why it was revoked, in the plain words the learner, their clinics and verifiers are told (the free-text
        reason stays internal); None for a certificate in force."""
        if self.status == "valid":
            return None
        return REVOCATION_CATEGORIES.get(self.revocation_category or "", REVOCATION_CATEGORIES["other"])

    def snapshot(self) -> CertificateSnapshot:
        return CertificateSnapshot(
            public_id=self.public_id,
            code=self.code,
            learner_name=self.learner_name,
            course_id=self.course_key,
            course_title=self.course_title,
            course_version=self.course_version,
            ce_hours=Decimal(self.ce_hours),
            completion_date=self.completion_date,
            issue_date=self.issue_date,
            provider=self.provider,
            signatory=self.signatory,
            licence_number=self.licence_number,
            jurisdiction=self.jurisdiction,
            expiry_date=self.expiry_date,
            approval_number=self.approval_number,
            statement=self.statement,
        )


@event.listens_for(Certificate, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Certificate) -> None:
    raise RuntimeError("certificates are never deleted: revoke or reissue instead")


# A DELETE statement from anywhere (psql, a bulk ORM delete) is refused on PostgreSQL as well. TRUNCATE, which
# test fixtures use to empty the database, does not fire row triggers. (SQLite would also refuse the fixtures'
# DELETE FROM, so there the ORM guard above is the line of defence.) Alembic does not see DDL events: the
# migration that creates the table must create the function and trigger too.
NO_DELETE_FUNCTION = DDL(
    "CREATE OR REPLACE FUNCTION certificates_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'certificates are never deleted: revoke or reissue instead'; END $$"
)
NO_DELETE_TRIGGER = DDL(
    "CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates "
    "FOR EACH ROW EXECUTE FUNCTION certificates_refuse_delete()"
)
event.listen(Certificate.__table__, "after_create", NO_DELETE_FUNCTION.execute_if(dialect="postgresql"))
event.listen(Certificate.__table__, "after_create", NO_DELETE_TRIGGER.execute_if(dialect="postgresql"))


class CertificateEvent(Base):
    """The audit log: who did what to a certificate, when, and the details (reason, replacement, lead time)."""

    __tablename__ = "certificate_events"
    __table_args__ = (Index("ix_certificate_events_certificate_id_at", "certificate_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    """None for the system (the command line, a scheduled job)."""
    action: Mapped[str] = mapped_column(String(20))
    """issued | revoked | reissued | superseded | reminder_sent | resigned (credential signed again at PUBLIC_URL)"""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship("User", foreign_keys=[actor_id])


class VerificationLog(Base):
    """Every public look-up. No raw IP: a keyed hash that changes daily, enough to spot abuse, not to track."""

    __tablename__ = "verification_logs"
    __table_args__ = (
        Index("ix_verification_logs_at", "at"),
        Index("ix_verification_logs_certificate_id_at", "certificate_id", "at"),
        CheckConstraint("via IN ('page', 'api', 'qr', 'bulk')", name="via"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup: Mapped[str] = mapped_column(String(64))
    """The code or public id as looked up (normalised when it could be; trimmed otherwise)."""
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    result: Mapped[str] = mapped_column(String(12))
    """valid | expired | revoked | not_found | invalid (not a well-formed code)"""
    via: Mapped[str] = mapped_column(String(8))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusList(Base):
    """One W3C Bitstring Status List; `encoded_list` is the spec's multibase GZIP bitstring, published signed at
    /credentials/status/<id>. Changed only under a row lock, so two revocations never lose each other's bit."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    entries: Mapped[int]
    encoded_list: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSent(Base):
    """One row per certificate and lead time, so `flask certificates remind` can run any number of times."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (UniqueConstraint("certificate_id", "lead_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    lead_days: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    emailed: Mapped[bool] = mapped_column(default=True)
    """False for a lead time passed over because a nearer one was due at the same run (one email, not three)."""
