"""The signed credentials as a verifier elsewhere checks them, wired to this site's keys and database: the status
list we publish (signed, so nobody can forge a revocation on its way), a credential token checked against our keys,
our issuer address and our status lists (for the API and `flask certificates verify`), and the stored credentials that
name an address other than PUBLIC_URL, which are signed again so their revocation reaches verifiers.

The pure halves live beside it: credential.py builds and verifies a credential, status_list.py encodes the
bitstring; verification.py is the look-up by printed code, which reads certificate rows rather than tokens.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from edu.db import session, utcnow
from edu.errors import NotFound

from . import signing
from .credential import VerificationResult, issuer_urls, sign_credential, verify_credential
from .issuance import record_event, signed_credential
from .models import Certificate, StatusList
from .status_list import StatusEntry, StatusListError, build_status_list_credential, decode_list, get_bit


def status_list_credential(list_id: int, *, now: datetime | None = None) -> str:
    """The list as a signed BitstringStatusListCredential (VC-JWT): a signature, so nobody can forge a
    revocation (or an un-revocation) by tampering with the list on its way to a verifier."""
    status_list = session.get(StatusList, list_id)
    if status_list is None:
        raise NotFound("No such status list.")
    credential = build_status_list_credential(
        signing.issuer(),
        signing.status_list_url(status_list.id),
        status_list.encoded_list,
        status_list.updated_at,
        purpose=status_list.purpose,
    )
    return sign_credential(credential, signing.keyring())


def _is_revoked(entry: StatusEntry) -> bool:
    list_id = signing.status_list_id_from_url(entry.status_list_credential)
    if list_id is None:
        raise StatusListError("the status list is not one this issuer publishes")
    status_list = session.get(StatusList, list_id)
    if status_list is None or status_list.purpose != entry.purpose:
        raise StatusListError("no such status list")
    return get_bit(decode_list(status_list.encoded_list), entry.index)


def verify_token(token: str, *, now: datetime | None = None) -> VerificationResult:
    """Signature (against every key we ever published), issuer (ours, at PUBLIC_URL), validity window and revocation
    status. Nothing here reads the request: the CLI, the API and a test get the same verdict."""
    return verify_credential(
        token.strip(), signing.public_jwks(), now or utcnow(), is_revoked=_is_revoked, issuer_id=signing.issuer().id
    )


VERIFICATION_REASONS = {
    None: "The credential is genuine, in force and not revoked.",
    "malformed": "This is not a credential this site issued (it could not be read).",
    "unsupported-algorithm": "The credential is signed with an algorithm this site does not use.",
    "unsupported-header": "The credential carries headers this site never writes.",
    "wrong-type": "This is not a verifiable credential.",
    "unknown-key": "The credential was not signed by any key this site has published.",
    "bad-signature": "The signature does not match: the credential has been altered or was not issued here.",
    "foreign-issuer": "The credential names an issuer address this site does not use; ask the holder for the current "
    "credential from their certificates page.",
    "not-yet-valid": "The credential is not valid yet.",
    "expired": "The credential was genuine but has expired.",
    "revoked": "The credential was genuine but has been revoked by the issuer.",
    "status-unavailable": "The credential's revocation status could not be checked.",
}


# --- credentials signed under another address ----------------------------------------------------------------------


@dataclass(frozen=True)
class ForeignCredential:
    certificate_id: int
    code: str
    origins: tuple[str, ...]
    """The addresses other than PUBLIC_URL that the stored credential names (scheme://host[:port])."""


def _claims(token: str) -> dict[str, Any] | None:
    """The payload of a token we stored ourselves (its signature is ours; here only its URLs matter)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _foreign_origins(token: str, prefix: str) -> tuple[str, ...]:
    claims = _claims(token)
    urls = issuer_urls(claims) if claims is not None else []
    if not urls:
        return ("an unreadable credential",)
    origins = set()
    for url in urls:
        if not url.startswith(prefix):
            parts = urlsplit(url)
            origins.add(f"{parts.scheme}://{parts.netloc}" if parts.netloc else url[:200])
    return tuple(sorted(origins))


def foreign_credentials(batch: int = 500) -> list[ForeignCredential]:
    """Certificates whose stored credential names an address other than PUBLIC_URL: those issued while the
    issuer's address came from the Host header of the claiming request (or before PUBLIC_URL was changed). One
    pass over the table, `batch` rows at a time."""
    prefix = signing.base_url() + "/"
    rows = session.execute(
        select(Certificate.id, Certificate.code, Certificate.credential_jwt)
        .order_by(Certificate.id)
        .execution_options(yield_per=batch)
    )
    found = []
    for certificate_id, code, token in rows:
        origins = _foreign_origins(token, prefix)
        if origins:
            found.append(ForeignCredential(certificate_id, code, origins))
    return found


def resign_foreign(certificate_id: int, *, now: datetime | None = None) -> bool:
    """Sign the certificate's credential again at PUBLIC_URL: the same claims, code and status-list position, so the
    certificate, its printed code and its revocation state are unchanged, and a revocation now reaches verifiers.
    The replaced token is kept in the history. False when it no longer names another address (another run did it)."""
    now = now or utcnow()
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id).with_for_update())
    if certificate is None:
        raise NotFound("No such certificate.")
    origins = _foreign_origins(certificate.credential_jwt, signing.base_url() + "/")
    if not origins:
        return False
    replaced = certificate.credential_jwt
    certificate.credential_jwt = signed_credential(certificate)
    record_event(
        certificate,
        "resigned",
        None,
        now,
        reason=f"credential signed again at {signing.base_url()}; it named {', '.join(origins)}",
        origins=list(origins),
        replaced_credential=replaced,
    )
    session.flush()
    return True
