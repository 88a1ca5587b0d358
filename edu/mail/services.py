from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from edu.db import session

from .models import OutboxMessage

log = logging.getLogger("edu.mail")


def send(recipient: str, subject: str, body: str) -> None:
    """Send now with the configured backend. SMTP failures propagate so the caller can report them."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "smtp":
        message = EmailMessage()
        message["From"] = config["MAIL_FROM"]
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
        return
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    session.add(OutboxMessage(recipient=recipient, subject=subject, body=body))
    session.flush()


def outbox(limit: int = 100) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
