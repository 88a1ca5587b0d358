"""Outgoing email: queued in the outbox with the work that sends it, delivered after the commit (SMTP in production;
in development the log), and listed on an outbox page admins can read."""
