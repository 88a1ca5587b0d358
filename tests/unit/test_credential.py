"""The Open Badges 3.0 credential, its VC-JWT signature, the key ring and verification."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edu.certificates.credential import (
    CONTEXT,
    IssuerProfile,
    VerificationResult,
    build_credential,
    credential_urn,
    issuer_urls,
    sign_credential,
    verify_credential,
)
from edu.certificates.keys import KeyRing, KeyRingError
from edu.certificates.snapshot import CertificateSnapshot, new_code, new_public_id
from edu.certificates.status_list import StatusEntry, StatusListError, encode_list, is_revoked, new_bitstring, set_bit
from tests.shared_data import shared_path

ISSUER = IssuerProfile(id="https://ce.example.org/issuer", name="Needlepoint CE", url="https://ce.example.org")
STATUS = StatusEntry("https://ce.example.org/status/1", 94567)
AFTER_ISSUE = datetime(2025, 6, 1, 12, tzinfo=UTC)


def snapshot(**changes: object) -> CertificateSnapshot:
    fields: dict[str, object] = {
        "public_id": new_public_id(),
        "code": new_code(),
        "learner_name": "Jane Doe",
        "course_id": "dry-needling",
        "course_title": "Dry Needling Fundamentals",
        "course_version": "2025.1",
        "ce_hours": Decimal("12.5"),
        "completion_date": date(2025, 3, 10),
        "issue_date": date(2025, 3, 12),
        "expiry_date": date(2027, 3, 12),
        "provider": "Needlepoint CE",
        "signatory": "Dr. A. Smith, PT, DPT",
        "licence_number": "PT-998877",
        "jurisdiction": "Texas",
        "approval_number": "TPTA-2025-001",
    }
    fields.update(changes)
    return CertificateSnapshot(**fields)  # type: ignore[arg-type]


def credential_for(snap: CertificateSnapshot) -> dict[str, Any]:
    return build_credential(snap, ISSUER, f"https://ce.example.org/verify/{snap.code}", STATUS)


def validator(*parts: str) -> jsonschema.Draft201909Validator:
    schema = json.loads(shared_path(*parts).read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft201909Validator
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)


def errors(v: jsonschema.Draft201909Validator, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(instance)]


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    return KeyRing.load_or_create(tmp_path / "keys")


def segments(token: str) -> list[Any]:
    head, payload, _ = token.split(".")
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in (head, payload)]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], key: Ed25519PrivateKey) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode()))}"


# --- the credential against the official schemas ----------------------------------------------------------


def test_credential_validates_against_the_ob3_schema() -> None:
    v = validator("standards", "openbadges", "achievementcredential.json")
    assert errors(v, credential_for(snapshot())) == []


def test_credential_without_expiry_or_approval_validates_too() -> None:
    v = validator("standards", "openbadges", "achievementcredential.json")
    credential = credential_for(snapshot(expiry_date=None, approval_number=None))
    assert "validUntil" not in credential
    assert errors(v, credential) == []


def test_schema_check_is_live_for_required_fields_and_formats() -> None:
    # Proves the validator would catch our mistakes: a test that cannot fail is a defect.
    v = validator("standards", "openbadges", "achievementcredential.json")
    credential = credential_for(snapshot())
    del credential["validFrom"]
    assert "[]: 'validFrom' is a required property" in errors(v, credential)
    credential = credential_for(snapshot())
    credential["validUntil"] = "not-a-date"
    assert "['validUntil']: 'not-a-date' is not a 'date-time'" in errors(v, credential)


def test_issuer_profile_validates_against_profile_schema() -> None:
    v = validator("standards", "openbadges", "profile.json")
    assert errors(v, ISSUER.as_dict()) == []
    with_contact = IssuerProfile(ISSUER.id, ISSUER.name, ISSUER.url, email="ce@example.org", description="CE provider")
    assert errors(v, with_contact.as_dict()) == []
    assert errors(v, {"type": ["Profile"]}) == ["[]: 'id' is a required property"]


def test_credential_shape() -> None:
    snap = snapshot()
    credential = credential_for(snap)
    assert credential["@context"] == CONTEXT
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == credential_urn(snap.public_id)
    assert credential["issuer"] == {"id": ISSUER.id, "type": ["Profile"], "name": "Needlepoint CE", "url": ISSUER.url}
    assert credential["validFrom"] == "2025-03-12T00:00:00Z"
    assert credential["validUntil"] == "2027-03-12T00:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Jane Doe"
    assert subject["creditsEarned"] == 12.5
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Dry Needling Fundamentals"
    assert achievement["version"] == "2025.1"
    assert achievement["creditsAvailable"] == 12.5
    assert achievement["criteria"]["narrative"]
    assert achievement["otherIdentifier"][0]["identifier"] == "TPTA-2025-001"
    assert credential["evidence"][0]["id"] == f"https://ce.example.org/verify/{snap.code}"
    assert credential["credentialStatus"] == {
        "id": "https://ce.example.org/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://ce.example.org/status/1",
    }


def test_credential_carries_no_email_or_licence_number() -> None:
    snap = snapshot(learner_name="Jane Doe")
    text = json.dumps(credential_for(snap))
    assert "PT-998877" not in text
    assert "licen" not in text.lower()
    assert "@" not in text.replace("@context", "")


def test_identity_hash_is_the_salted_name() -> None:
    snap = snapshot()
    (identity,) = credential_for(snap)["credentialSubject"]["identifier"]
    assert identity["identityType"] == "name"
    assert identity["hashed"] is True
    expected = hashlib.sha256(("Jane Doe" + identity["salt"]).encode("utf-8")).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"


def test_same_snapshot_same_credential() -> None:
    snap = snapshot()
    assert credential_for(snap) == credential_for(snap)


def test_credential_id_is_a_conforming_uuid_urn_derived_from_the_public_id() -> None:
    public_id = new_public_id()
    urn = credential_urn(public_id)
    parsed = uuid.UUID(urn.removeprefix("urn:uuid:"))
    assert urn.startswith("urn:uuid:")
    assert parsed.version == 8
    assert parsed.variant == uuid.RFC_4122
    assert credential_urn(public_id) == urn
    assert credential_urn(new_public_id()) != urn


# --- signing and verifying --------------------------------------------------------------------------------


def test_sign_then_verify(keyring: KeyRing) -> None:
    credential = credential_for(snapshot())
    token = sign_credential(credential, keyring)
    header, payload = segments(token)
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "kid": keyring.active_kid}
    assert payload == credential

    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE)
    assert result == VerificationResult(True, None, credential, keyring.active_kid)
    assert result.status_entry == STATUS


def test_signed_payload_still_validates_against_the_schema(keyring: KeyRing) -> None:
    v = validator("standards", "openbadges", "achievementcredential.json")
    _, payload = segments(sign_credential(credential_for(snapshot()), keyring))
    assert errors(v, payload) == []


def test_changed_payload_is_refused(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["creditsEarned"] = 40.0
    forged = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    result = verify_credential(forged, keyring.public_jwks(), AFTER_ISSUE)
    assert (result.valid, result.reason, result.credential) == (False, "bad-signature", None)


@pytest.mark.parametrize("position", [0, 10, 100, -5])
def test_one_changed_character_of_the_payload_segment_is_refused(keyring: KeyRing, position: int) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    head, payload, signature = token.split(".")
    chars = list(payload)
    chars[position] = "A" if chars[position] != "A" else "B"
    result = verify_credential(f"{head}.{''.join(chars)}.{signature}", keyring.public_jwks(), AFTER_ISSUE)
    assert not result.valid
    assert result.reason == "bad-signature"
    assert result.credential is None


def test_signature_by_another_key_claiming_our_kid_is_refused(keyring: KeyRing) -> None:
    credential = credential_for(snapshot())
    forged = forge({"alg": "EdDSA", "typ": "vc+jwt", "kid": keyring.active_kid}, credential, Ed25519PrivateKey.generate())
    result = verify_credential(forged, keyring.public_jwks(), AFTER_ISSUE)
    assert (result.valid, result.reason) == (False, "bad-signature")


def test_another_issuers_key_is_unknown_here(keyring: KeyRing, tmp_path: Path) -> None:
    stranger = KeyRing.load_or_create(tmp_path / "stranger")
    token = sign_credential(credential_for(snapshot()), stranger)
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE)
    assert (result.valid, result.reason, result.credential) == (False, "unknown-key", None)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "typ": "vc+jwt"}, "unsupported-algorithm"),
        ({"alg": "HS256", "typ": "vc+jwt"}, "unsupported-algorithm"),
        ({"alg": "EdDSA", "typ": "vc+jwt", "jwk": {"kty": "OKP"}}, "unsupported-header"),
        ({"alg": "EdDSA", "typ": "vc+jwt", "b64": False, "crit": ["b64"]}, "unsupported-header"),
        ({"alg": "EdDSA", "typ": "JWT"}, "wrong-type"),
        ({"alg": "EdDSA"}, "wrong-type"),
    ],
)
def test_headers_we_never_write_are_refused(keyring: KeyRing, header: dict[str, Any], reason: str) -> None:
    key = keyring.active_key.get_op_key("sign")
    assert isinstance(key, Ed25519PrivateKey)
    token = forge({**header, "kid": keyring.active_kid}, credential_for(snapshot()), key)
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE)
    assert (result.valid, result.reason) == (False, reason)


def test_fully_specified_ed25519_alg_is_accepted(keyring: KeyRing) -> None:
    key = keyring.active_key.get_op_key("sign")
    assert isinstance(key, Ed25519PrivateKey)
    credential = credential_for(snapshot())
    token = forge({"alg": "Ed25519", "typ": "vc+jwt", "kid": keyring.active_kid}, credential, key)
    assert verify_credential(token, keyring.public_jwks(), AFTER_ISSUE).valid


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "!!!.e30.e30", "e30.e30.e30", f"{b64(b'[1]')}.e30.e30"])
def test_garbage_is_malformed(keyring: KeyRing, token: str) -> None:
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE)
    assert (result.valid, result.reason, result.credential) == (False, "malformed", None)


def test_expired_credential_says_so_and_still_shows_what_it_was(keyring: KeyRing) -> None:
    credential = credential_for(snapshot())
    token = sign_credential(credential, keyring)
    at_expiry = datetime(2027, 3, 12, tzinfo=UTC)
    assert verify_credential(token, keyring.public_jwks(), at_expiry).valid
    result = verify_credential(token, keyring.public_jwks(), at_expiry + timedelta(seconds=1))
    assert (result.valid, result.reason, result.credential) == (False, "expired", credential)


def test_credential_without_expiry_never_expires(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot(expiry_date=None)), keyring)
    assert verify_credential(token, keyring.public_jwks(), datetime(2099, 1, 1, tzinfo=UTC)).valid


def test_credential_is_not_valid_before_its_issue_date(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    result = verify_credential(token, keyring.public_jwks(), datetime(2025, 3, 11, 23, 59, tzinfo=UTC))
    assert (result.valid, result.reason) == (False, "not-yet-valid")


def test_now_must_be_timezone_aware(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    with pytest.raises(ValueError):
        verify_credential(token, keyring.public_jwks(), datetime(2025, 6, 1))


def test_revocation_through_a_real_status_list(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    bits = new_bitstring()
    clean = encode_list(bits)
    set_bit(bits, STATUS.index)
    revoked = encode_list(bits)

    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, is_revoked=lambda e: is_revoked(clean, e.index))
    assert result.valid
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, is_revoked=lambda e: is_revoked(revoked, e.index))
    assert (result.valid, result.reason) == (False, "revoked")
    assert result.credential is not None


def test_unreadable_status_list_fails_closed(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, is_revoked=lambda e: is_revoked("u!!", e.index))
    assert (result.valid, result.reason) == (False, "status-unavailable")

    def unreachable(entry: StatusEntry) -> bool:
        raise StatusListError("could not fetch the list")

    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, is_revoked=unreachable)
    assert (result.valid, result.reason) == (False, "status-unavailable")


def test_callback_receives_the_status_entry(keyring: KeyRing) -> None:
    seen: list[StatusEntry] = []

    def record(entry: StatusEntry) -> bool:
        seen.append(entry)
        return False

    token = sign_credential(credential_for(snapshot()), keyring)
    assert verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, is_revoked=record).valid
    assert seen == [STATUS]


def test_a_credential_our_key_signed_for_another_issuer_address_is_refused(keyring: KeyRing) -> None:
    """A credential issued while the issuer's address came from a request's Host is genuine but names someone else's
    site: its status list is out of our reach, so a verifier that knows who we are refuses it."""
    forged_host = IssuerProfile(id="http://evil.example/credentials/issuer", name="Needlepoint CE", url="http://evil.example/")
    token = sign_credential(
        build_credential(snapshot(), forged_host, "http://evil.example/verify/X", StatusEntry("http://evil.example/s/1", 5)),
        keyring,
    )
    result = verify_credential(token, keyring.public_jwks(), AFTER_ISSUE, issuer_id=ISSUER.id)
    assert (result.valid, result.reason) == (False, "foreign-issuer")
    ours = sign_credential(credential_for(snapshot()), keyring)
    assert verify_credential(ours, keyring.public_jwks(), AFTER_ISSUE, issuer_id=ISSUER.id).valid


def test_issuer_urls_are_every_address_a_verifier_follows_to_us() -> None:
    snap = snapshot()
    urls = issuer_urls(credential_for(snap))
    assert sorted(urls) == sorted(
        [
            "https://ce.example.org/issuer",
            "https://ce.example.org",
            "https://ce.example.org/achievements/dry-needling/2025.1",
            f"https://ce.example.org/verify/{snap.code}",
            "https://ce.example.org/status/1#94567",
            "https://ce.example.org/status/1",
        ]
    )


# --- keys and rotation ------------------------------------------------------------------------------------


def test_credentials_signed_before_a_rotation_still_verify(keyring: KeyRing) -> None:
    old_kid = keyring.active_kid
    old_token = sign_credential(credential_for(snapshot()), keyring)
    new_kid = keyring.rotate()
    new_token = sign_credential(credential_for(snapshot()), keyring)

    assert new_kid != old_kid
    assert keyring.active_kid == new_kid
    assert segments(new_token)[0]["kid"] == new_kid
    jwks = keyring.public_jwks()
    assert [key["kid"] for key in jwks["keys"]] == [new_kid, old_kid]  # active first
    for token, kid in ((old_token, old_kid), (new_token, new_kid)):
        result = verify_credential(token, jwks, AFTER_ISSUE)
        assert (result.valid, result.kid) == (True, kid)


def test_rotation_survives_a_restart(keyring: KeyRing) -> None:
    first = keyring.active_kid
    second = keyring.rotate()
    reloaded = KeyRing.load(keyring.directory)
    assert reloaded.active_kid == second
    assert reloaded.kids == sorted([first, second])
    again = KeyRing.load_or_create(keyring.directory)
    assert again.active_kid == second
    assert again.kids == reloaded.kids


def test_jwks_publishes_public_halves_only(keyring: KeyRing) -> None:
    keyring.rotate()
    keyring.rotate()
    jwks = json.loads(json.dumps(keyring.public_jwks()))  # what /.well-known/jwks.json would serve
    assert len(jwks["keys"]) == 3
    for key in jwks["keys"]:
        assert "d" not in key
        assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_kid_is_the_rfc7638_thumbprint(keyring: KeyRing) -> None:
    (key,) = keyring.public_jwks()["keys"]
    canonical = json.dumps({"crv": key["crv"], "kty": key["kty"], "x": key["x"]}, separators=(",", ":"), sort_keys=True)
    assert key["kid"] == b64(hashlib.sha256(canonical.encode()).digest())


def test_key_files_are_private(keyring: KeyRing) -> None:
    keyring.rotate()
    assert stat.S_IMODE(keyring.directory.stat().st_mode) == 0o700
    files = list(keyring.directory.iterdir())
    assert {f.name for f in files} == {"active", *(f"{kid}.jwk.json" for kid in keyring.kids)}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    stored = json.loads((keyring.directory / f"{keyring.active_kid}.jwk.json").read_text())
    assert "d" in stored  # the private half is on disk, and only there


def test_group_readable_key_is_refused(keyring: KeyRing) -> None:
    os.chmod(keyring.directory / f"{keyring.active_kid}.jwk.json", 0o644)
    with pytest.raises(KeyRingError, match="chmod 600"):
        KeyRing.load(keyring.directory)


def test_key_file_with_a_wrong_kid_is_refused(keyring: KeyRing) -> None:
    path = keyring.directory / f"{keyring.active_kid}.jwk.json"
    stored = json.loads(path.read_text())
    stored["kid"] = "someone-else"
    path.write_text(json.dumps(stored))
    with pytest.raises(KeyRingError, match="thumbprint"):
        KeyRing.load(keyring.directory)


def test_missing_active_key_is_refused(keyring: KeyRing) -> None:
    (keyring.directory / f"{keyring.active_kid}.jwk.json").unlink()
    with pytest.raises(KeyRingError, match="active key"):
        KeyRing.load(keyring.directory)


def test_a_jwks_that_leaks_d_is_still_used_only_to_verify(keyring: KeyRing) -> None:
    token = sign_credential(credential_for(snapshot()), keyring)
    leaky = {"keys": [keyring.active_key.as_dict(private=True)]}
    assert verify_credential(token, leaky, AFTER_ISSUE).valid


def test_processes_opening_an_empty_directory_together_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    directory = tmp_path / "keys"
    with ThreadPoolExecutor(max_workers=8) as pool:
        rings = list(pool.map(lambda _: KeyRing.load_or_create(directory), range(16)))
    assert len({ring.active_kid for ring in rings}) == 1
    assert KeyRing.load(directory).kids == [rings[0].active_kid]
    assert sorted(p.name for p in directory.iterdir()) == sorted(["active", f"{rings[0].active_kid}.jwk.json"])
