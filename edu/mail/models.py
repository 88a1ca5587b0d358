from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edu.db import Base, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"


class OutboxMessage(Base):
    """Every message the site sends, written in the transaction that decided to send it.

    The row commits or rolls back with the rest of that transaction, so mail never leaves for work that did not
    happen; it is delivered after the commit, and a delivery that fails leaves it queued for `flask mail deliver`
    to try again, until `attempts` reaches the limit and it is `failed`. Sent rows are kept: they are the record of
    what the site told whom, and what the admin outbox page shows.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"state IN ('{QUEUED}', '{SENT}', '{FAILED}')", name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    # Counted when a delivery starts, so a worker that dies mid-send still uses up an attempt.
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
