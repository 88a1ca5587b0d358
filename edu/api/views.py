"""JSON API, version 1: certificate look-up, credential verification and the OpenAPI document.

No endpoint here reads the session cookie or changes stored data (look-ups only add a log row), so none needs
the CSRF token: credential verification is a POST only because a VC-JWT is too long for a URL, and it is
exempted explicitly. Errors are JSON too, including 404, 400 and the rate limit's 429.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from edu.certificates import credential_status, verification
from edu.certificates.views import requester, verification_limit
from edu.db import session, utcnow
from edu.errors import DomainError
from edu.extensions import csrf
from edu.storable import load_json

from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_TOKEN_BYTES = 64 * 1024


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    if status == 429:
        return _error(429, "rate_limited", "Too many requests. Wait a minute and try again.")
    if status == 413:
        return _error(413, "request_entity_too_large", "The request body is larger than this site accepts.")
    return _error(status, (error.name or "error").lower().replace(" ", "_"), error.description or "")


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[Response, int]:
    session.rollback()
    return _error(error.status, type(error).__name__.lower(), error.message)


@bp.get("/certificates/<path:code>")
@verification_limit
def certificate(code: str) -> tuple[Response, int]:
    outcome = verification.lookup(code, via="api", **requester())
    session.commit()
    body: dict[str, Any] = {"state": outcome.state, "lookup": outcome.lookup}
    if outcome.certificate is not None:
        body["certificate"] = outcome.certificate.as_json()
        if outcome.replaced_by:
            body["replaced_by"] = outcome.replaced_by
        return jsonify(body), 200
    if outcome.problem:
        body["message"] = outcome.problem
    return jsonify(body), 404


def _token_from_request() -> str | None:
    """The VC-JWT as the raw body (application/vc+jwt, text/plain) or as {"credential": "<jwt>"} in JSON."""
    raw = request.get_data(cache=False, as_text=False)
    if len(raw) > MAX_TOKEN_BYTES:
        return None
    text = raw.decode("utf-8", errors="replace").strip()
    if request.mimetype == "application/json" or text.startswith("{"):
        try:
            data = load_json(text)
        except ValueError:  # not JSON, nested too deeply, or holding text no column can store
            return None
        value = data.get("credential") if isinstance(data, dict) else None
        return value.strip() if isinstance(value, str) else None
    return text or None


@bp.post("/credentials/verify")
@csrf.exempt
@verification_limit
def verify_credential() -> tuple[Response, int]:
    token = _token_from_request()
    if token is None:
        return _error(400, "bad_request", 'Send the VC-JWT as the request body, or as {"credential": "<jwt>"} in JSON.')
    now = utcnow()
    result = credential_status.verify_token(token, now=now)
    body: dict[str, Any] = {
        "valid": result.valid,
        "reason": result.reason,
        "message": credential_status.VERIFICATION_REASONS.get(result.reason, "The credential could not be verified."),
        "kid": result.kid,
        "checked_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    if result.credential is not None:
        credential = result.credential
        subject = credential.get("credentialSubject") or {}
        achievement = subject.get("achievement") or {} if isinstance(subject, dict) else {}
        body["credential"] = {
            "id": credential.get("id"),
            "name": credential.get("name"),
            "learner_name": subject.get("name") if isinstance(subject, dict) else None,
            "course_title": achievement.get("name") if isinstance(achievement, dict) else None,
            "course_version": achievement.get("version") if isinstance(achievement, dict) else None,
            "valid_from": credential.get("validFrom"),
            "valid_until": credential.get("validUntil"),
        }
    return jsonify(body), 200


@bp.get("/openapi.json")
def openapi() -> Response:
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
