"""The certificate as an Open Badges 3.0 credential, signed as a VC-JWT, and its verification.

The PDF convinces a person; the credential convinces software. A licensing board or a clinic can check it
without trusting our web page: the JWS binds every claim to a key in our published JWK Set, and the Bitstring
Status List tells them whether we have revoked it since.

Choices worth knowing:

- The payload is the credential itself (VC Data Model 2.0 with JOSE: `typ` "vc+jwt"), not the older VC 1.1
  JWT claims wrapping, so what is signed is exactly what validates against the OB 3.0 schema.
- `alg` is "EdDSA", which every VC-JWT verifier understands. RFC 9864 deprecates it in favour of the
  fully-specified "Ed25519" because "EdDSA" alone does not say which curve; here keys are restricted to
  Ed25519 on both sides, which removes that ambiguity, so joserfc's deprecation warning is answered by a
  registry of our own rather than silenced. Tokens that say "Ed25519" verify too.
- The learner appears by name only (as the PDF prints it) plus a salted SHA-256 identity of that name,
  which the OB spec requires in `identifier` when there is no subject `id`. No email, no licence number:
  a credential is shown to strangers and lives forever.
- Dates on the certificate are calendar days; in the credential they become midnight UTC of that day
  (`validUntil` = the expiry day, the first day it is no longer valid).
- The verification page travels as `evidence[0].id`: OB 3.0 has no field for "where to check this", and
  evidence is what wallets show as a link.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSAlgModel

from edu.presentation import format_hours
from edu.storable import load_json

from .keys import SIGNING_ALGORITHM, KeyRing
from .snapshot import CertificateSnapshot
from .status_list import StatusEntry, StatusListError

__all__ = [
    "CONTEXT",
    "JWT_TYPE",
    "IssuerProfile",
    "VerificationResult",
    "build_credential",
    "credential_issuer_id",
    "credential_urn",
    "format_datetime",
    "identity_hash",
    "issuer_urls",
    "sign_credential",
    "verify_credential",
]

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
JWT_TYPE = "vc+jwt"
_ALLOWED_HEADER = frozenset({"alg", "typ", "kid", "cty"})


@dataclass(frozen=True, slots=True)
class IssuerProfile:
    """The provider as an OB 3.0 Profile. `id` should be a URL that serves this profile."""

    id: str
    name: str
    url: str
    email: str | None = None
    description: str | None = None

    def as_dict(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.url}
        if self.email:
            profile["email"] = self.email
        if self.description:
            profile["description"] = self.description
        return profile


def format_datetime(moment: datetime) -> str:
    """UTC with a Z: the schema's date-time format demands an offset, and one spelling keeps signatures
    and comparisons simple."""
    if moment.tzinfo is None:
        raise ValueError("credential times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _start_of(day: date) -> str:
    return format_datetime(datetime.combine(day, time.min, tzinfo=UTC))


def credential_urn(public_id: str) -> str:
    """A urn:uuid must carry UUID version and variant bits, leaving 122 free bits, while the public id keeps
    all 128; so the URN is a UUIDv8 (RFC 9562, "custom") made from the public id rather than the id itself.
    Deterministic, so the same certificate always yields the same credential id."""
    raw = bytearray(bytes.fromhex(public_id))
    if len(raw) != 16:
        raise ValueError("public_id must be 128 bits")
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 9562 variant
    return uuid.UUID(bytes=bytes(raw)).urn


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: sha256 over the UTF-8 identity followed by the salt, in hex."""
    normalised = unicodedata.normalize("NFC", value.strip())
    return "sha256$" + hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()


def _achievement_id(issuer: IssuerProfile, snapshot: CertificateSnapshot) -> str:
    # One achievement per course version: a certificate for version 2 does not claim version 1's content.
    return f"{issuer.url.rstrip('/')}/achievements/{quote(snapshot.course_id, safe='')}/{quote(snapshot.course_version, safe='')}"


def build_credential(
    snapshot: CertificateSnapshot, issuer: IssuerProfile, verify_url: str, status: StatusEntry
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for a certificate; pure, so the same snapshot gives the same JSON."""
    hours = format_hours(snapshot.ce_hours)
    credits = float(snapshot.ce_hours)
    achievement: dict[str, Any] = {
        "id": _achievement_id(issuer, snapshot),
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": snapshot.course_title,
        "description": f"Continuing education course {snapshot.course_title} (version {snapshot.course_version}), "
        f"{hours} contact hours, provided by {snapshot.provider}.",
        "criteria": {
            "narrative": f"Completion of every required module and assessment of {snapshot.course_title}, "
            f"version {snapshot.course_version}, as recorded by {snapshot.provider}."
        },
        "creditsAvailable": credits,
        "humanCode": snapshot.course_id,
        "version": snapshot.course_version,
    }
    if snapshot.approval_number:
        achievement["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": snapshot.approval_number, "identifierType": "ext:ApprovalNumber"}
        ]
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": credential_urn(snapshot.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Certificate of Completion: {snapshot.course_title}",
        "description": f"{snapshot.learner_name} completed {snapshot.course_title} (version {snapshot.course_version}) "
        f"for {hours} contact hours of continuing education. Certificate code {snapshot.code}.",
        "issuer": issuer.as_dict(),
        "validFrom": _start_of(snapshot.issue_date),
        "awardedDate": _start_of(snapshot.issue_date),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": snapshot.learner_name,
            # The salt is the certificate's public id: unique per credential, so the same name hashes
            # differently on every certificate, and reproducible from the snapshot.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(snapshot.learner_name, snapshot.public_id),
                    "identityType": "name",
                    "hashed": True,
                    "salt": snapshot.public_id,
                }
            ],
            "activityEndDate": _start_of(snapshot.completion_date),
            "creditsEarned": credits,
            "achievement": achievement,
        },
        "evidence": [
            {
                "id": verify_url,
                "type": ["Evidence"],
                "name": "Certificate record",
                "description": "The provider's page for this certificate, showing whether it is still valid.",
            }
        ],
        "credentialStatus": status.as_dict(),
    }
    if snapshot.expiry_date is not None:
        credential["validUntil"] = _start_of(snapshot.expiry_date)
    return credential


class _EdDSAOnEd25519(JWSAlgModel):
    """JWS "EdDSA" restricted to Ed25519 keys, so the curve ambiguity that made RFC 9864 deprecate the name
    cannot arise (and joserfc has no reason to warn)."""

    name = SIGNING_ALGORITHM
    description = "EdDSA over Ed25519"
    key_type = "OKP"
    recommended = True

    def check_key(self, key: Any) -> None:
        super().check_key(key)
        if key.curve_name != "Ed25519":
            raise InvalidKeyCurveError("only Ed25519 keys sign or verify certificates")

    def sign(self, msg: bytes, key: Any) -> bytes:
        private = key.get_op_key("sign")
        if not isinstance(private, Ed25519PrivateKey):
            raise InvalidKeyCurveError("only Ed25519 keys sign certificates")
        return private.sign(msg)

    def verify(self, msg: bytes, sig: bytes, key: Any) -> bool:
        public = key.get_op_key("verify")
        if not isinstance(public, Ed25519PublicKey):
            return False
        try:
            public.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


class _CredentialRegistry(jws.JWSRegistry):
    # Our own tables, not joserfc's shared ones: only these algorithms exist for certificates. "Ed25519"
    # (RFC 9864) is joserfc's implementation, which carries its own curve check.
    algorithms: dict[str, JWSAlgModel] = {  # noqa: RUF012 - joserfc's registry API is a class dict
        SIGNING_ALGORITHM: _EdDSAOnEd25519(),
        "Ed25519": jws.JWSRegistry.algorithms["Ed25519"],
    }
    recommended: list[str] = [SIGNING_ALGORITHM]  # noqa: RUF012


_REGISTRY = _CredentialRegistry(algorithms=[SIGNING_ALGORITHM, "Ed25519"])


def _canonical_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign_credential(credential: Mapping[str, Any], keyring: KeyRing) -> str:
    """A compact JWS (VC-JWT) over the credential, signed with the active key and naming it by kid."""
    header = {"alg": SIGNING_ALGORITHM, "typ": JWT_TYPE, "kid": keyring.active_kid}
    return jws.serialize_compact(header, _canonical_json(credential), keyring.active_key, registry=_REGISTRY)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """`reason` is a stable machine word (malformed, unsupported-algorithm, unsupported-header, wrong-type, unknown-key,
    bad-signature, foreign-issuer, not-yet-valid, expired, revoked, status-unavailable) for the page to translate.
    `credential` is only ever the signed payload, and None when the signature did not hold: a page must
    never show claims nobody vouched for."""

    valid: bool
    reason: str | None
    credential: dict[str, Any] | None
    kid: str | None = None

    @property
    def status_entry(self) -> StatusEntry | None:
        """Where to look up revocation, for callers that check status themselves."""
        if self.credential is None or "credentialStatus" not in self.credential:
            return None
        return StatusEntry.from_dict(self.credential["credentialStatus"])


def credential_issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's id, whether the credential embeds a Profile (ours do) or names it by URL (status lists do)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def issuer_urls(credential: Mapping[str, Any]) -> list[str]:
    """Every URL a credential of ours points at on the issuer's site: issuer, achievement, evidence, status list.
    Anything else a verifier follows (the contexts) is a standard's, not ours."""
    found: list[Any] = []
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        found += [issuer.get("id"), issuer.get("url")]
    else:
        found.append(issuer)
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and isinstance(subject.get("achievement"), Mapping):
        found.append(subject["achievement"].get("id"))
    for evidence in credential.get("evidence") or []:
        if isinstance(evidence, Mapping):
            found.append(evidence.get("id"))
    status = credential.get("credentialStatus")
    if isinstance(status, Mapping):
        found += [status.get("id"), status.get("statusListCredential")]
    return [url for url in found if isinstance(url, str)]


def _b64json(segment: str) -> Any:
    """A token segment's JSON; a ValueError (never a RecursionError) for anything unreadable or nested too deeply."""
    return load_json(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _public_key(jwks: Mapping[str, Any], kid: str) -> OKPKey | None:
    for entry in jwks.get("keys", []):
        if isinstance(entry, Mapping) and entry.get("kid") == kid:
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                return None
            x = entry.get("x")
            if not isinstance(x, str):
                return None
            # Only the public members: a JWKS that wrongly carries "d" must still not lead to signing.
            return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid})
    return None


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a date-time string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("date-time without an offset")
    return moment


def verify_credential(
    token: str,
    jwks: Mapping[str, Any],
    now: datetime,
    *,
    is_revoked: Callable[[StatusEntry], bool] | None = None,
    issuer_id: str | None = None,
) -> VerificationResult:
    """Check signature (against every published key, so credentials signed before a rotation still
    verify), validity window and, when `is_revoked` is given, revocation. `is_revoked` may raise
    StatusListError when the list cannot be fetched or read; that fails closed as "status-unavailable".
    Without it, the caller checks `result.status_entry` itself. With `issuer_id`, a credential that names
    another issuer is refused as "foreign-issuer" even when our key signed it (one issued under a wrong address)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")

    def refuse(reason: str, credential: dict[str, Any] | None = None, kid: str | None = None) -> VerificationResult:
        return VerificationResult(False, reason, credential, kid)

    parts = token.strip().split(".")
    if len(parts) != 3:
        return refuse("malformed")
    try:
        header = _b64json(parts[0])
    except ValueError:
        return refuse("malformed")
    if not isinstance(header, dict) or not isinstance(header.get("kid"), str):
        return refuse("malformed")
    kid = header["kid"]
    if header.get("alg") not in (SIGNING_ALGORITHM, "Ed25519"):
        return refuse("unsupported-algorithm", kid=kid)
    if set(header) - _ALLOWED_HEADER:  # crit, b64, jwk, jku, x5u...: nothing we write, nothing to trust
        return refuse("unsupported-header", kid=kid)
    if header.get("typ") != JWT_TYPE:
        return refuse("wrong-type", kid=kid)
    try:
        key = _public_key(jwks, kid)
    except (ValueError, JoseError):
        key = None
    if key is None:
        return refuse("unknown-key", kid=kid)
    try:
        signed = jws.extract_compact(token.strip().encode("ascii"), registry=_REGISTRY)
        if not jws.validate_compact(signed, key, registry=_REGISTRY):
            return refuse("bad-signature", kid=kid)
        credential = json.loads(signed.payload)
    except (ValueError, JoseError):
        return refuse("bad-signature", kid=kid)

    if not isinstance(credential, dict) or "VerifiableCredential" not in credential.get("type", []):
        return refuse("malformed", kid=kid)
    if issuer_id is not None and credential_issuer_id(credential) != issuer_id:
        return refuse("foreign-issuer", credential, kid)
    try:
        valid_from = _parse_time(credential.get("validFrom"))
        valid_until = _parse_time(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError:
        return refuse("malformed", credential, kid)
    if now < valid_from:
        return refuse("not-yet-valid", credential, kid)
    if is_revoked is not None and "credentialStatus" in credential:
        try:
            if is_revoked(StatusEntry.from_dict(credential["credentialStatus"])):
                return refuse("revoked", credential, kid)
        except StatusListError:
            return refuse("status-unavailable", credential, kid)
    if valid_until is not None and valid_until < now:
        return refuse("expired", credential, kid)
    return VerificationResult(True, None, credential, kid)
