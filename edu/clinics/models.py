"""Clinics, their administrators, their staff links (with the learner's consent) and the digests they were sent.

A staff link is the only road from a clinic to a learner's records. It starts as an invitation to an email
address the clinic typed; it carries the learner's account only once that account accepted (`accepted_at` is
the consent), and it stops counting the moment either side ends it (`withdrawn_at`). Rows are never deleted: the
history of who invited whom, who consented and who withdrew stays readable, and every change is also written
to `clinic_staff_events`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.db import Base, utcnow

if TYPE_CHECKING:
    from edu.auth.models import User

STAFF_STATES = ("pending", "accepted", "declined", "withdrawn")


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClinicAdmin(Base):
    __tablename__ = "clinic_admins"
    __table_args__ = (UniqueConstraint("clinic_id", "user_id"), Index("ix_clinic_admins_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship("User", foreign_keys=[user_id])


class StaffLink(Base):
    __tablename__ = "clinic_staff"
    __table_args__ = (
        UniqueConstraint("clinic_id", "invited_email"),
        Index("ix_clinic_staff_user_id", "user_id"),
        Index("ix_clinic_staff_invited_email", "invited_email"),
        Index("ix_clinic_staff_clinic_id_accepted_at", "clinic_id", "accepted_at"),
        CheckConstraint("accepted_at IS NULL OR user_id IS NOT NULL", name="accepted_has_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Set when the invitation is accepted (or declined) by the account whose email it was sent to."""
    invited_email: Mapped[str] = mapped_column(String(254))
    """Lowercased, as the clinic typed it: the only email the clinic ever sees."""
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the single-use link's token; cleared once the invitation is answered or cancelled."""
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    """The learner's consent."""
    declined_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    """Consent withdrawn by the learner, or the link ended by the clinic: from then on the clinic sees nothing."""

    clinic: Mapped[Clinic] = relationship()
    user: Mapped[User | None] = relationship("User", foreign_keys=[user_id])

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.accepted_at is not None:
            return "accepted"
        if self.declined_at is not None:
            return "declined"
        return "pending"

    @property
    def consented(self) -> bool:
        return self.state == "accepted"


class StaffEvent(Base):
    """The audit trail of a staff link: invited, reinvited, accepted, declined, withdrawn, removed, cancelled."""

    __tablename__ = "clinic_staff_events"
    __table_args__ = (Index("ix_clinic_staff_events_staff_link_id_at", "staff_link_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_link_id: Mapped[int] = mapped_column(ForeignKey("clinic_staff.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestSent(Base):
    """One row per clinic and day, so `flask clinics digest` can run any number of times a day."""

    __tablename__ = "clinic_digests"
    __table_args__ = (UniqueConstraint("clinic_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    day: Mapped[date]
    window_days: Mapped[int]
    recipients: Mapped[int]
    entries: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
