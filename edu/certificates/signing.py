"""Where the app finds its signing keys and public URLs: the glue between the pure core and Flask's config.

Every URL signed into a credential (issuer, achievements, status list, verification page) comes from PUBLIC_URL,
never from the request: a learner claiming with `Host: evil.example` must not get a genuinely signed credential
whose revocation list lives on evil.example, and `flask certificates verify` (no request at all) must recognise
the lists the site publishes.

The key ring lives in CERT_KEYS_DIR, or `<instance>/keys` (never inside the repository), and is created on first
use. It is cached per app and re-read when the `active` pointer file changes, so a `flask certificates
rotate-key` run by an operator reaches running workers without a restart, and a worker never publishes a JWK Set
that lacks the key another worker signs with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from edu import public_urls

from .credential import IssuerProfile
from .keys import KeyRing

_LOCK = threading.Lock()


@dataclass
class _Cached:
    ring: KeyRing
    stamp: int


def keys_dir() -> Path:
    configured = current_app.config.get("CERT_KEYS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def _stamp(directory: Path) -> int:
    try:
        return (directory / "active").stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def keyring() -> KeyRing:
    directory = keys_dir()
    cache: dict[str, _Cached] = current_app.extensions.setdefault("edu.certificates.keyrings", {})
    with _LOCK:
        cached = cache.get(str(directory))
        stamp = _stamp(directory)
        if cached is None or cached.stamp != stamp or stamp == -1:
            ring = KeyRing.load_or_create(directory)
            cached = cache[str(directory)] = _Cached(ring, _stamp(directory))
        return cached.ring


def rotate_key() -> str:
    """Make a new key the signing key (older ones keep verifying). Returns the new kid."""
    ring = keyring()
    kid = ring.rotate()
    with _LOCK:
        current_app.extensions["edu.certificates.keyrings"][str(ring.directory)] = _Cached(ring, _stamp(ring.directory))
    return kid


def public_jwks() -> dict[str, Any]:
    return keyring().public_jwks()


def base_url() -> str:
    """The public origin baked into credentials: PUBLIC_URL, the same in a request, a CLI run and a test."""
    return public_urls.base()


def issuer() -> IssuerProfile:
    base = base_url()
    config = current_app.config
    return IssuerProfile(
        id=f"{base}/credentials/issuer",
        name=str(config.get("ISSUER_NAME") or "Needlepoint CE"),
        url=base + "/",
        email=config.get("ISSUER_EMAIL") or None,
        description="Continuing education provider for physical therapists; issuer of course completion certificates.",
    )


def verify_url(code: str) -> str:
    return f"{base_url()}/verify/{code}"


def status_list_url(list_id: int) -> str:
    return f"{base_url()}/credentials/status/{list_id}"


def status_list_id_from_url(url: str) -> int | None:
    """The id of one of our own lists, or None for a URL we did not publish."""
    prefix = f"{base_url()}/credentials/status/"
    if not url.startswith(prefix):
        return None
    tail = url[len(prefix) :]
    return int(tail) if tail.isdigit() and len(tail) < 10 else None
