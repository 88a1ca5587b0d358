"""The one email rule: an address the registration form, `flask users create`, clinic invitations and the login
form all accept alike, so no account is ever created that cannot log in.

The syntax rules are the email-validator library's (RFC 5321/5322 with its special-use-domain list: `.test`,
`.local`, `.localhost`, `.invalid` and `.onion` are refused); no DNS lookup is made, so it works offline.
Addresses are stored lowercased, as they always have been.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError


class UnusableEmail(ValueError):
    """The message is fit to show the person who typed the address."""


def usable_email(address: str) -> str:
    """The address as it is stored (normalised, lowercased), or UnusableEmail saying why it cannot be used."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UnusableEmail(f"Enter a valid email address ({exc}).") from None
    return checked.normalized.lower()


class UsableEmail:
    """WTForms validator for the same rule."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        try:
            usable_email(field.data or "")
        except UnusableEmail as exc:
            raise ValidationError(self.message or str(exc)) from None
