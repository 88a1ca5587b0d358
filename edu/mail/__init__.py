"""Outgoing email: SMTP in production; in development the log and an outbox page admins can read."""
