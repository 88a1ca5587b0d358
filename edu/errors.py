"""Domain errors that services raise and the app maps to HTTP responses (404, 403, 409, 400)."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """Also raised for objects the actor may not know exist: a 404 leaks nothing."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 400
