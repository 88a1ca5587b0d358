"""The learner's emails about their own certificate: when it is earned and when it is revoked (expiry reminders are
reminders.py's). Each is queued in the caller's transaction (edu/mail), so an issuance or a revocation that rolls
back sends nothing, and leaves after the commit.

What a revocation email says is what the public verification page says, and no more: the category in plain words,
never the staff's free-text note, which stays in the certificate's history. Clinics learn of a revocation through
the certificate_revoked signal (clinics/notifications.py answers it).

Every link is built from PUBLIC_URL (public_urls, signing), the same in a request, a CLI run and a test.
"""

from __future__ import annotations

from flask import current_app

from edu import public_urls
from edu.auth.models import User
from edu.mail import services as mail
from edu.presentation import day, hours

from . import signing
from .models import Certificate


def contact() -> str:
    """Whom a learner asks about their certificate: the provider's address when one is configured (ISSUER_EMAIL),
    else the site (mail goes out from a no-reply address)."""
    name = str(current_app.config.get("ISSUER_NAME") or "the provider")
    email = current_app.config.get("ISSUER_EMAIL")
    return f"{name} at {email}" if email else f"{name} through {public_urls.base()}/"


def _certificate_page(certificate: Certificate) -> str:
    return public_urls.external("certificates.course_certificate", slug=certificate.course_key)


def certificate_earned(certificate: Certificate, user: User) -> None:
    """What was earned, how long it counts, where anyone can check it and where to download and share it."""
    c = certificate
    expiry = f"Valid until: {day(c.expiry_date)}" if c.expiry_date else "Valid until: it does not expire"
    body = (
        f"Hello {c.learner_name},\n\n"
        f"You have earned your certificate for {c.course_title} (version {c.course_version}).\n\n"
        f"Certificate code: {c.code}\n"
        f"Continuing education: {hours(c.ce_hours)}\n"
        f"Completed: {day(c.completion_date)}\n"
        f"{expiry}\n\n"
        f"Anyone can check it at {signing.verify_url(c.code)}\n\n"
        f"Download the PDF and the signed credential, or add it to your LinkedIn profile, from your certificate page:\n"
        f"{_certificate_page(c)}\n\n"
        f"Questions about your certificate: contact {contact()}.\n"
    )
    mail.queue(user.email, f"Certificate earned: {c.course_title}", body)


def certificate_revoked(certificate: Certificate) -> None:
    """What was revoked, when, why (the category), what follows from it, and whom to contact."""
    c = certificate
    body = (
        f"Hello {c.learner_name},\n\n"
        f"Your certificate {c.code} for {c.course_title} (version {c.course_version}) was revoked on "
        f"{day(c.revoked_at)}.\n\n"
        f"Why: {c.revocation_label}.\n\n"
        "The certificate no longer counts. Its public verification page says it was revoked, anyone who checks its "
        "signed credential is told the same, and its CE hours no longer count on your transcript. A PDF downloaded "
        f"from now on is stamped REVOKED.\n\nVerification page: {signing.verify_url(c.code)}\n\n"
        f"If you believe this is a mistake, or want to know more, contact {contact()}.\n\n"
        f"Your certificate page shows what it takes to be certified again:\n{_certificate_page(c)}\n"
    )
    mail.queue(c.user.email, f"Your certificate for {c.course_title} has been revoked", body)
