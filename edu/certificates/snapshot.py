"""What a certificate states, frozen at issuance, and the identifiers people use to find it again.

A certificate must keep saying what it said on the day it was issued, even after the learner renames
themselves or the course gets a new version; so everything printed or signed is copied here rather than
read through live rows.

Two identifiers with different jobs:

- the public id (128 random bits, 32 hex characters) goes into URLs and the signed credential; it is long
  enough that nobody can enumerate certificates by guessing;
- the code (`DN7K-4QXM-2P`) is what a person reads off paper and types into a form. It is short, uses
  Crockford's base 32 (no I, L, O or U, so no 1/I/L or 0/O confusion), and ends in a check character so that
  a mistyped code is refused instead of silently finding nothing (or, worse, someone else's certificate).
  It is a lookup key, not a secret: 45 random bits are plenty to avoid collisions, not to resist guessing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "CODE_ALPHABET",
    "CertificateSnapshot",
    "InvalidCode",
    "is_valid_public_id",
    "new_code",
    "new_public_id",
    "normalise_code",
]

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: digits and letters without I, L, O and U."""

_DATA_LENGTH = 9
_GROUPS = (4, 4, 2)
_VALUE = {ch: i for i, ch in enumerate(CODE_ALPHABET)}
# Crockford's decoding rules: read the look-alikes as the digit a person meant.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type or paste: spaces, hyphens, and the dashes word processors substitute for hyphens.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")
_PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


class InvalidCode(ValueError):
    """A code that cannot be a certificate code; the message is fit to show the person who typed it."""


def new_public_id() -> str:
    """All 128 bits random (a uuid4 fixes 6 of them), from the OS's CSPRNG."""
    return secrets.token_hex(16)


def is_valid_public_id(value: str) -> bool:
    return bool(_PUBLIC_ID.fullmatch(value))


# The check character is a weighted sum over GF(2^5) (x^5 + x^2 + 1), with weight alpha^i for data position i
# and 1 for the check itself. In a field every weight is invertible and any two weights differ, so every
# single-character substitution and every swap of two different characters (adjacent or not) changes the
# sum: a plain mod-32 sum cannot promise that, and Crockford's own mod-37 check needs five extra symbols.
_GF_POLY = 0b100101


def _gf_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _GF_POLY
    return product


def _weights(n: int) -> list[int]:
    weights, w = [], 1
    for _ in range(n):
        w = _gf_mul(w, 2)
        weights.append(w)
    return weights


_WEIGHTS = _weights(_DATA_LENGTH)


def _check_character(data: str) -> str:
    total = 0
    for weight, ch in zip(_WEIGHTS, data, strict=True):
        total ^= _gf_mul(weight, _VALUE[ch])
    return CODE_ALPHABET[total]


def _group(raw: str) -> str:
    parts, start = [], 0
    for size in _GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def new_code() -> str:
    data = "".join(secrets.choice(CODE_ALPHABET) for _ in range(_DATA_LENGTH))
    return _group(data + _check_character(data))


def normalise_code(user_input: str) -> str:
    """Accept what people actually type (lowercase, spaces, no or extra dashes, O for 0, I/L for 1) and
    return the canonical grouped form, or refuse with a reason, so a typo never reaches the database."""
    raw = _SEPARATORS.sub("", user_input.strip()).upper().translate(_LOOKALIKES)
    if not raw:
        raise InvalidCode("Enter the certificate code.")
    bad = sorted({ch for ch in raw if ch not in _VALUE})
    if bad:
        raise InvalidCode(f"A certificate code does not contain {', '.join(repr(ch) for ch in bad)}.")
    expected = _DATA_LENGTH + 1
    if len(raw) != expected:
        raise InvalidCode(f"A certificate code has {expected} characters; this has {len(raw)}.")
    if _check_character(raw[:-1]) != raw[-1]:
        raise InvalidCode("This code contains a typing error: please check it against the certificate.")
    return _group(raw)


@dataclass(frozen=True, slots=True)
class CertificateSnapshot:
    """Everything a certificate states, as it stood at issuance.

    `ce_hours` are contact hours, kept as Decimal so 1.5 hours stays 1.5 on paper and in sums.
    `expiry_date` is the first day on which the certificate is no longer valid. The learner's email never
    appears here: nothing on the certificate needs it, and the certificate is shown to third parties.
    """

    public_id: str
    code: str
    learner_name: str
    course_id: str
    course_title: str
    course_version: str
    ce_hours: Decimal
    completion_date: date
    issue_date: date
    provider: str
    signatory: str
    licence_number: str | None = None
    jurisdiction: str | None = None
    expiry_date: date | None = None
    approval_number: str | None = None
    statement: str | None = None
    """What the certificate does not attest (the course's own words), printed beneath the dates."""

    def __post_init__(self) -> None:
        if not is_valid_public_id(self.public_id):
            raise ValueError("public_id must be 32 lowercase hex characters (128 bits)")
        if normalise_code(self.code) != self.code:
            raise ValueError("code must be in canonical form (use normalise_code)")
        for name in ("learner_name", "course_id", "course_title", "course_version", "provider", "signatory"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be empty")
        if not isinstance(self.ce_hours, Decimal) or not self.ce_hours.is_finite() or self.ce_hours <= 0:
            raise ValueError("ce_hours must be a positive, finite Decimal")
        if self.completion_date > self.issue_date:
            raise ValueError("a certificate cannot be issued before the course was completed")
        if self.expiry_date is not None and self.expiry_date <= self.issue_date:
            raise ValueError("expiry_date must fall after issue_date")
