"""Queueing mail and reading the outbox. Services queue; nothing here talks to a mail server (see delivery)."""

from __future__ import annotations

from sqlalchemy import func, select

from edu.db import session

from .models import FAILED, QUEUED, SENT, OutboxMessage

# Key in Session.info: the ids queued in the session's current transaction, delivered once it commits.
QUEUED_IN_TRANSACTION = "edu.mail.queued"
SUBJECT_LENGTH = 200


def queue(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Write the message into the caller's transaction. It leaves only after that transaction commits, so a request
    that fails or rolls back after queueing sends nothing; a mail server that refuses or times out (delivery.SMTP_TIMEOUT
    a step) never fails the caller: the message stays queued for `flask mail deliver`."""
    if len(subject) > SUBJECT_LENGTH:  # a long course title or clinic name must not make the whole transaction fail
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    session.add(message)
    session.flush()
    session.info.setdefault(QUEUED_IN_TRANSACTION, []).append(message.id)
    return message


def outbox(limit: int = 100) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))


def outbox_counts() -> dict[str, int]:
    """How many messages are in each state, every state present (zero included)."""
    counts = dict.fromkeys((QUEUED, SENT, FAILED), 0)
    for state, count in session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)):
        counts[state] = count
    return counts
