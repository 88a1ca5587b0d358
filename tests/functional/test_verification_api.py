"""The JSON API and the issuer documents, checked against the OpenAPI document the app publishes: every documented
path exists, every API route is documented, and real responses validate against the documented schemas."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import func, select

from edu.api.openapi import openapi_document
from edu.certificates import issuance, revocation, signing
from edu.certificates.models import Certificate, VerificationLog
from edu.certificates.snapshot import new_code
from edu.certificates.status_list import decode_list, get_bit
from edu.db import session
from tests.certificate_helpers import enrolled, mini, pass_everything, user
from tests.shared_data import shared_path

DOC = openapi_document()


@pytest.fixture(autouse=True)
def _keys(app: Flask, tmp_path: Path) -> None:
    app.config["CERT_KEYS_DIR"] = str(tmp_path / "keys")


def certify(app: Flask, make_user: Any, email: str = "learner@example.com") -> Certificate:
    at = datetime.now(UTC) - timedelta(days=1)
    uid = enrolled(app, make_user, email)
    with app.app_context():
        pass_everything(uid, at)
        result = issuance.issue_if_complete(user(email), mini(), now=at + timedelta(hours=1))
        assert result.certificate is not None
        session.commit()
        return result.certificate


def schema_for(path: str, method: str, status: int, content_type: str = "application/json") -> jsonschema.Draft202012Validator:
    response = DOC["paths"][path][method]["responses"][str(status)]
    schema = response["content"][content_type]["schema"]
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": DOC["components"], **schema}
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def assert_documented(response: Any, path: str, method: str = "get") -> Any:
    content_type = response.mimetype
    validator = schema_for(path, method, response.status_code, content_type)
    body = response.get_json(force=True) if content_type.endswith("json") else response.get_data(as_text=True)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], errors
    return body


# --- the document against the app ---------------------------------------------------------------------------------------


def _rule_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_documented_path_exists_and_every_api_route_is_documented(app):
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(_rule_path(rule.rule), set()).update(m.lower() for m in rule.methods or ())
    for path, operations in DOC["paths"].items():
        assert path in routes, f"{path} is documented but not served"
        for method in operations:
            assert method in routes[path], f"{method.upper()} {path} is documented but not served"
    api_routes = {p for p in routes if p.startswith("/api/")}
    assert api_routes <= set(DOC["paths"]), api_routes - set(DOC["paths"])


def test_the_document_is_valid_openapi_3_1_with_valid_schemas(app, client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.get_json() == DOC
    assert DOC["openapi"].startswith("3.1")
    for schema in DOC["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema({"components": DOC["components"], **schema})
    for path, operations in DOC["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] and operation["responses"], (path, method)
            assert {p["name"] for p in operation.get("parameters", [])} == set(re.findall(r"{(\w+)}", path))
    assert_documented(served, "/api/v1/openapi.json")


# --- certificate look-up -----------------------------------------------------------------------------------------------


def test_lookup_valid_certificate(app, mini_course, make_user, client):
    c = certify(app, make_user)
    response = client.get(f"/api/v1/certificates/{c.code.lower().replace('-', ' ')}")
    assert response.status_code == 200
    body = assert_documented(response, "/api/v1/certificates/{code}")
    assert body["state"] == "valid" and body["lookup"] == c.code
    assert body["certificate"]["learner_name"] == "Lee Learner" and body["certificate"]["ce_hours"] == "0.5"
    assert "learner@example.com" not in response.get_data(as_text=True) and "PT-1234" not in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalars(select(VerificationLog.via)).all() == ["api"]


def test_lookup_not_found_is_a_json_404(app, mini_course, client):
    response = client.get(f"/api/v1/certificates/{new_code()}")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert assert_documented(response, "/api/v1/certificates/{code}")["state"] == "not_found"
    typo = client.get("/api/v1/certificates/ABCD")
    body = assert_documented(typo, "/api/v1/certificates/{code}")
    assert typo.status_code == 404 and body["state"] == "not_found" and "10 characters" in body["message"]


def test_lookup_revoked_gives_the_category(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        revocation.revoke(user("admin@example.com"), session.get(Certificate, c.id), "issued_in_error", "private note")  # type: ignore[arg-type]
        session.commit()
    response = client.get(f"/api/v1/certificates/{c.code}")
    body = assert_documented(response, "/api/v1/certificates/{code}")
    assert body["state"] == "revoked" and body["certificate"]["revocation_category"] == "issued_in_error"
    assert body["certificate"]["revocation_label"] == "Issued in error"
    assert "private note" not in response.get_data(as_text=True)


def test_lookup_expired(app, mini_course, make_user, client):
    make_user("old@example.com")
    with app.app_context():
        at = datetime.now(UTC) - timedelta(days=900)
        issuance.new_certificate(
            user=user("old@example.com"),
            course=mini(),
            version=mini().current_version,  # type: ignore[arg-type]
            cycle=1,
            completed_at=at,
            attempt_id=None,
            now=at,
        )
        session.commit()
        code = session.scalars(select(Certificate.code)).one()
    body = assert_documented(client.get(f"/api/v1/certificates/{code}"), "/api/v1/certificates/{code}")
    assert body["state"] == "expired"


def test_api_is_rate_limited_with_json(app, mini_course, make_user, client):
    c = certify(app, make_user)
    app.config["VERIFY_LIMITS"] = "2 per minute"
    assert client.get(f"/api/v1/certificates/{c.code}").status_code == 200
    assert client.get(f"/verify/{c.code}").status_code == 200  # the page and the API share one budget
    limited = client.get(f"/api/v1/certificates/{c.code}")
    assert limited.status_code == 429 and limited.mimetype == "application/json"
    assert assert_documented(limited, "/api/v1/certificates/{code}")["error"] == "rate_limited"


# --- credential verification ------------------------------------------------------------------------------------------


def test_verify_credential_valid_as_raw_body_and_as_json_without_csrf(app, mini_course, make_user, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # the exemption below is real, not a disabled check
    c = certify(app, make_user)
    raw = client.post("/api/v1/credentials/verify", data=c.credential_jwt, content_type="application/vc+jwt")
    body = assert_documented(raw, "/api/v1/credentials/verify", "post")
    assert body["valid"] is True and body["reason"] is None and body["credential"]["learner_name"] == "Lee Learner"
    as_json = client.post("/api/v1/credentials/verify", json={"credential": c.credential_jwt})
    assert assert_documented(as_json, "/api/v1/credentials/verify", "post")["valid"] is True


def test_verify_credential_tampered_revoked_and_missing(app, mini_course, make_user, client):
    c = certify(app, make_user)
    head, payload, sig = c.credential_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["creditsEarned"] = 40
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = client.post("/api/v1/credentials/verify", data=f"{head}.{forged}.{sig}", content_type="text/plain")
    body = assert_documented(tampered, "/api/v1/credentials/verify", "post")
    assert (body["valid"], body["reason"]) == (False, "bad-signature") and "credential" not in body
    make_user("admin@example.com", "admin")
    with app.app_context():
        revocation.revoke(user("admin@example.com"), session.get(Certificate, c.id), "other", "x")  # type: ignore[arg-type]
        session.commit()
    revoked = client.post("/api/v1/credentials/verify", data=c.credential_jwt, content_type="application/vc+jwt")
    assert assert_documented(revoked, "/api/v1/credentials/verify", "post")["reason"] == "revoked"
    missing = client.post("/api/v1/credentials/verify", data="", content_type="text/plain")
    assert missing.status_code == 400
    assert_documented(missing, "/api/v1/credentials/verify", "post")
    bad_json = client.post("/api/v1/credentials/verify", data="{nope", content_type="application/json")
    assert bad_json.status_code == 400


def test_verify_credential_survives_key_rotation(app, mini_course, make_user, client):
    c = certify(app, make_user)
    with app.app_context():
        signing.rotate_key()
    body = client.post("/api/v1/credentials/verify", data=c.credential_jwt, content_type="text/plain").get_json()
    assert body["valid"] is True
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 2 and body["kid"] == jwks["keys"][1]["kid"]


# --- what the issuer publishes -------------------------------------------------------------------------------------------


def test_jwks(app, client):
    response = client.get("/.well-known/jwks.json")
    keys = assert_documented(response, "/.well-known/jwks.json")["keys"]
    assert len(keys) == 1 and "d" not in keys[0] and keys[0]["crv"] == "Ed25519"


def test_issuer_profile_validates_against_the_ob3_profile_schema(app, client):
    response = client.get("/credentials/issuer")
    profile = assert_documented(response, "/credentials/issuer")
    schema = json.loads(shared_path("standards", "openbadges", "profile.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(profile)] == []
    assert profile["id"] == "http://localhost/credentials/issuer" and profile["name"] == "Needlepoint CE"
    # The schema check is live: a profile without its type fails it.
    assert any("'type' is a required property" in e.message for e in validator.iter_errors({"id": profile["id"]}))


def test_status_list_is_served_signed(app, mini_course, make_user, client):
    c = certify(app, make_user)
    make_user("admin@example.com", "admin")
    with app.app_context():
        revocation.revoke(user("admin@example.com"), session.get(Certificate, c.id), "other", "x")  # type: ignore[arg-type]
        session.commit()
        jwks = signing.public_jwks()
    response = client.get(f"/credentials/status/{c.status_list_id}")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = assert_documented(response, "/credentials/status/{list_id}")
    from edu.certificates.credential import verify_credential

    result = verify_credential(token, jwks, datetime.now(UTC) + timedelta(minutes=1))
    assert result.valid and result.credential is not None
    assert result.credential["id"] == f"http://localhost/credentials/status/{c.status_list_id}"
    assert get_bit(decode_list(result.credential["credentialSubject"]["encodedList"]), c.status_list_index)
    assert client.get("/credentials/status/999").status_code == 404


def test_credential_points_at_the_published_documents(app, mini_course, make_user, client):
    c = certify(app, make_user)
    claims = json.loads(base64.urlsafe_b64decode(c.credential_jwt.split(".")[1] + "=="))
    assert claims["issuer"]["id"] == "http://localhost/credentials/issuer"
    assert claims["evidence"][0]["id"] == f"http://localhost/verify/{c.code}"
    status_url = claims["credentialStatus"]["statusListCredential"]
    assert client.get(status_url.removeprefix("http://localhost")).status_code == 200
    with app.app_context():
        assert session.scalar(select(func.count(VerificationLog.id))) == 0  # fetching documents is not a look-up
