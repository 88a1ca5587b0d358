"""Mail leaves after the commit.

`services.queue` writes a row into the caller's transaction and notes its id in `Session.info`. When the outermost
transaction commits, those messages are delivered at once (in the request, or in the CLI command, that committed);
when it rolls back, or the session closes without committing, the ids are forgotten with the rows they named. So
nothing is ever sent for work that did not happen, and nothing queued by committed work is lost: a delivery that
fails (the mail server is down) is recorded on the row and logged, never raised to the user, and `flask mail
deliver` tries it again later, up to MAIL_MAX_ATTEMPTS.

Each delivery first claims its message in a short transaction of its own (on a separate session, since the one that
just committed cannot run SQL inside its commit): the claim counts the attempt and stamps it, and only one claimant
can win it, so a request and a cron run (or two cron runs) never send the same message twice. A claim lasts
RETRY_AFTER; a worker that died mid-send leaves a claim that expires and the message is tried again. A message the
mail server accepted but whose "sent" mark could not be written is sent again on the next try: delivery is at least
once, never for a transaction that rolled back.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import event, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from edu.db import utcnow

from .models import FAILED, QUEUED, SENT, OutboxMessage
from .services import QUEUED_IN_TRANSACTION

log = logging.getLogger("edu.mail")

# Longer than any delivery can take (every SMTP step times out after SMTP_TIMEOUT), so a claim outlives the attempt
# that made it; also the pause before a failed message is tried again.
RETRY_AFTER = timedelta(minutes=5)
# Delivery right after a commit runs inside the request: its four SMTP steps (connect, STARTTLS, login, send) at 5 s
# each stay under gunicorn's 30 s worker timeout, so a stalled mail server delays a page but never kills the worker
# after its commit. What times out is retried by `flask mail deliver`.
SMTP_TIMEOUT = 5


def init_app(app: Flask) -> None:
    """Watch the app's sessions: deliver what a transaction queued when it commits, forget it when it does not."""
    sessions: sessionmaker[Session] = app.extensions["edu.db"].sessions

    @event.listens_for(sessions, "after_commit")
    def _deliver_after_commit(db_session: Session) -> None:
        if db_session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
            return
        queued = db_session.info.pop(QUEUED_IN_TRANSACTION, None)
        if queued:
            deliver(app, dict.fromkeys(queued))  # ids once each, in the order queued

    @event.listens_for(sessions, "after_transaction_end")
    def _forget_unless_committed(db_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the outermost transaction ended without a commit (a commit popped them)
            db_session.info.pop(QUEUED_IN_TRANSACTION, None)


def deliver(app: Flask, message_ids: Iterable[int]) -> list[str | None]:
    """Deliver each message now; never raises (the caller's work is committed and must not look failed)."""
    outcomes: list[str | None] = []
    for message_id in message_ids:
        try:
            outcomes.append(deliver_one(app, message_id))
        except Exception:
            log.exception("mail %s: delivery could not be recorded; it stays queued", message_id)
            outcomes.append(None)
    return outcomes


def due(app: Flask, now: datetime | None = None) -> list[int]:
    """Queued messages no delivery holds: never tried (their request's delivery did not happen) or last tried more
    than RETRY_AFTER ago."""
    now = now or utcnow()
    with _sessions(app)() as db:
        return list(db.scalars(select(OutboxMessage.id).where(_claimable(now)).order_by(OutboxMessage.id)))


def deliver_one(app: Flask, message_id: int) -> str | None:
    """Claim, send and record one message: its new state, or None when it was not this call's to send (sent or
    failed already, held by another delivery, or never committed)."""
    with _sessions(app)() as db:
        now = utcnow()
        claim: CursorResult[Any] = db.execute(  # type: ignore[assignment]
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _claimable(now))
            .values(attempts=OutboxMessage.attempts + 1, last_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        db.commit()
        if claim.rowcount != 1:
            return None
        message = db.get_one(OutboxMessage, message_id)
        try:
            _send(app.config, message)
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            limit = int(app.config["MAIL_MAX_ATTEMPTS"])
            if message.attempts >= limit:
                message.state = FAILED
                _forget_body(app.config, message)
            expected = isinstance(exc, smtplib.SMTPException | OSError)
            log.warning(
                "mail %s to %s not delivered (attempt %s of %s%s): %s",
                message.id,
                message.recipient,
                message.attempts,
                limit,
                ", given up" if message.state == FAILED else ", kept for `flask mail deliver`",
                message.last_error,
                exc_info=not expected,
            )
        else:
            message.state, message.sent_at, message.last_error = SENT, utcnow(), None
            _forget_body(app.config, message)
        db.commit()
        return message.state


BODY_NOT_KEPT = "(Not kept once delivered or given up: mail carries single-use links, stored nowhere else in usable form.)"


def _forget_body(config: Mapping[str, Any], message: OutboxMessage) -> None:
    """A body holds raw reset, confirmation and invitation links, which the database otherwise keeps only as hashes: a
    dump or an administrator reading the outbox could use them. Real mail keeps its recipient, subject and state;
    the development log backend keeps the body, since its outbox page is the developer's mailbox."""
    if config["MAIL_BACKEND"] == "smtp":
        message.body = BODY_NOT_KEPT


def _sessions(app: Flask) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = app.extensions["edu.db"].sessions
    return sessions


def _claimable(now: datetime) -> Any:
    return (OutboxMessage.state == QUEUED) & or_(
        OutboxMessage.last_attempt_at.is_(None), OutboxMessage.last_attempt_at < now - RETRY_AFTER
    )


def _send(config: Mapping[str, Any], message: OutboxMessage) -> None:
    if config["MAIL_BACKEND"] != "smtp":
        # Development: the log and the admin outbox page are the mailbox.
        log.info("mail to %s: %s\n%s", message.recipient, message.subject, message.body)
        return
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(email)
