"""Password hashing with Argon2id.

Production uses argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes).
The test suite switches to the library's cheapest profile, which hashes the same way at a fraction of
the cost; a test pins the production parameters so that switch can never leak into a deployment.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {"default": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}

_hasher = PasswordHasher.from_parameters(PROFILES["default"])
# Verified when the email is unknown, so a failed login costs the same either way.
_dummy_hash = _hasher.hash("not-a-real-password")

MIN_LENGTH = 10
MAX_LENGTH = 256


def configure(profile: str) -> None:
    global _hasher, _dummy_hash
    wanted = PROFILES[profile]
    if _hasher.time_cost != wanted.time_cost or _hasher.memory_cost != wanted.memory_cost:
        _hasher = PasswordHasher.from_parameters(wanted)
        _dummy_hash = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
