"""A small SMTP relay on 127.0.0.1 for tests: it speaks enough of the protocol for smtplib (EHLO, MAIL, RCPT, DATA,
QUIT) and keeps every message it accepts, so the app's real delivery path is exercised end to end. While `down`, it
answers every connection with 421 (service not available), as a relay that is restarting or overloaded does."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from flask import Flask


class SMTPRelay:
    def __init__(self, port: int) -> None:
        self.host, self.port = "127.0.0.1", port
        self.messages: list[EmailMessage] = []
        self.down = False


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        relay = self.server.relay
        if relay.down:
            self.reply("421 test relay: service not available, try again later")
            return
        self.reply("220 test relay ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].decode("ascii", "replace").upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 test relay")
            elif verb in {"MAIL", "RCPT", "RSET", "NOOP"}:
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in {b".\r\n", b""}:
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                relay.messages.append(message)
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    relay: SMTPRelay


@contextmanager
def smtp_relay() -> Iterator[SMTPRelay]:
    with _Server(("127.0.0.1", 0), _Session) as server:
        server.relay = SMTPRelay(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.relay
        finally:
            server.shutdown()
            thread.join()


@contextmanager
def relay_for(app: Flask) -> Iterator[SMTPRelay]:
    """The app delivering by SMTP (no STARTTLS, no login) to a relay running for the duration."""
    with smtp_relay() as running:
        app.config.update(
            MAIL_BACKEND="smtp", SMTP_HOST=running.host, SMTP_PORT=running.port, SMTP_STARTTLS=False, SMTP_USERNAME=None
        )
        yield running
