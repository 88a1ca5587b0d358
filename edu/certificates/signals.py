"""What certificates announce, for the domains above them to answer: clinics depend on certificates and never the
reverse, so a certificate service sends a blinker signal and whoever cares connects a receiver (clinics/notifications.py
copies expiry reminders to the learner's clinics and tells them of a revocation). A signal is sent inside the
caller's transaction, after the certificate's own writes."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
certificate_issued = signals.signal("certificate-issued")
certificate_revoked = signals.signal("certificate-revoked")
reminder_sent = signals.signal("certificate-reminder-sent")
"""Hook for clinics: connect a receiver `(sender=Certificate, lead_days=int, user=User)` to copy expiry reminders to
the learner's clinic (with the learner's consent). It fires after the learner's email was sent."""
