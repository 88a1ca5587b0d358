"""The OpenAPI 3.1 document for the public API, built as a dict.

It describes every JSON route of /api/v1 and the issuer documents that verifiers fetch (JWK Set, issuer profile,
status lists). Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect); the test suite validates real responses
against them, so the document cannot drift from the code unnoticed.
"""

from __future__ import annotations

from typing import Any

from edu.certificates.models import REVOCATION_CATEGORIES

DATE = {"type": "string", "format": "date"}
JWT = {"type": "string", "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _limited() -> dict[str, Any]:
    return _json("Error", "Too many requests from this address; wait a minute.")


COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        },
        "PublicCertificate": {
            "type": "object",
            "description": "What anyone may know about a certificate. Never the learner's email or licence number.",
            "required": [
                "code",
                "learner_name",
                "course_title",
                "course_version",
                "ce_hours",
                "completion_date",
                "issue_date",
                "expiry_date",
            ],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$"},
                "learner_name": {"type": "string"},
                "course_title": {"type": "string"},
                "course_version": {"type": "string"},
                "ce_hours": {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "Contact hours, as a decimal string."},
                "completion_date": DATE,
                "issue_date": DATE,
                "expiry_date": {"oneOf": [DATE, {"type": "null"}], "description": "The first day it is no longer valid."},
                "revocation_category": {"type": "string", "enum": list(REVOCATION_CATEGORIES)},
                "revocation_label": {"type": "string", "description": "The category in plain words."},
            },
        },
        "CertificateLookup": {
            "type": "object",
            "required": ["state", "lookup"],
            "properties": {
                "state": {"type": "string", "enum": ["valid", "expired", "revoked", "not_found"]},
                "lookup": {"type": "string", "description": "The code as normalised (or the input, if it is not a code)."},
                "certificate": {"$ref": "#/components/schemas/PublicCertificate"},
                "replaced_by": {"type": "string", "description": "For a reissued certificate: its replacement's code."},
                "message": {"type": "string", "description": "Why the input cannot be a certificate code."},
            },
            "additionalProperties": False,
        },
        "CredentialVerification": {
            "type": "object",
            "required": ["valid", "reason", "message", "kid", "checked_at"],
            "additionalProperties": False,
            "properties": {
                "valid": {"type": "boolean"},
                "reason": {
                    "enum": [
                        None,
                        "malformed",
                        "unsupported-algorithm",
                        "unsupported-header",
                        "wrong-type",
                        "unknown-key",
                        "bad-signature",
                        "foreign-issuer",
                        "not-yet-valid",
                        "expired",
                        "revoked",
                        "status-unavailable",
                    ]
                },
                "message": {"type": "string"},
                "kid": {"type": ["string", "null"]},
                "checked_at": {"type": "string", "format": "date-time"},
                "credential": {
                    "type": "object",
                    "description": "Claims of a credential whose signature held (absent otherwise).",
                    "properties": {
                        "id": {"type": ["string", "null"]},
                        "name": {"type": ["string", "null"]},
                        "learner_name": {"type": ["string", "null"]},
                        "course_title": {"type": ["string", "null"]},
                        "course_version": {"type": ["string", "null"]},
                        "valid_from": {"type": ["string", "null"]},
                        "valid_until": {"type": ["string", "null"]},
                    },
                },
            },
        },
        "VerifyRequest": {
            "type": "object",
            "required": ["credential"],
            "properties": {"credential": JWT},
        },
        "JWKSet": {
            "type": "object",
            "required": ["keys"],
            "properties": {
                "keys": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["kty", "crv", "x", "kid"],
                        "not": {"required": ["d"]},
                        "properties": {
                            "kty": {"const": "OKP"},
                            "crv": {"const": "Ed25519"},
                            "x": {"type": "string"},
                            "kid": {"type": "string"},
                            "alg": {"type": "string"},
                            "use": {"const": "sig"},
                        },
                    },
                }
            },
        },
        "IssuerProfile": {
            "type": "object",
            "description": "An Open Badges 3.0 Profile (validates against 1EdTech's profile schema).",
            "required": ["id", "type", "name", "url"],
            "properties": {
                "@context": {"type": "array", "items": {"type": "string"}},
                "id": {"type": "string", "format": "uri"},
                "type": {"type": "array", "contains": {"const": "Profile"}},
                "name": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "email": {"type": "string"},
                "description": {"type": "string"},
            },
        },
        "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
    }
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Needlepoint CE public API",
            "version": "1.0.0",
            "description": "Verify certificates and their signed Open Badges 3.0 credentials. Look-ups and "
            "verifications share a per-address rate limit (30 per minute by default) and are logged without the "
            "raw IP address. No endpoint needs an account or a cookie.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/certificates/{code}": {
                "get": {
                    "operationId": "getCertificate",
                    "summary": "Look a certificate up by its code",
                    "description": "The code as printed (case, spaces and dashes do not matter; O/I/L read as 0/1), "
                    "or the certificate's 32-character public id.",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
                    ],
                    "responses": {
                        "200": _json("CertificateLookup", "The certificate and its state (valid, expired or revoked)."),
                        "404": _json("CertificateLookup", "No certificate has this code (state not_found)."),
                        "429": _limited(),
                    },
                }
            },
            "/api/v1/credentials/verify": {
                "post": {
                    "operationId": "verifyCredential",
                    "summary": "Verify a signed credential (VC-JWT)",
                    "description": "Checks the signature against every key in the issuer's JWK Set (rotated keys "
                    "included), the validity window and the revocation bit in the status list.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/vc+jwt": {"schema": JWT},
                            "text/plain": {"schema": JWT},
                            "application/json": {"schema": {"$ref": "#/components/schemas/VerifyRequest"}},
                        },
                    },
                    "responses": {
                        "200": _json("CredentialVerification", "The verdict; `valid` false with a `reason` when it fails."),
                        "400": _json("Error", "No credential in the request."),
                        "429": _limited(),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {"200": _json("OpenAPI", "The OpenAPI 3.1 document.")},
                }
            },
            "/.well-known/jwks.json": {
                "get": {
                    "operationId": "getJWKS",
                    "summary": "The issuer's public signing keys",
                    "description": "Every key that ever signed a credential, the active one first.",
                    "responses": {
                        "200": {
                            "description": "The JWK Set.",
                            "content": {"application/jwk-set+json": {"schema": {"$ref": "#/components/schemas/JWKSet"}}},
                        }
                    },
                }
            },
            "/credentials/issuer": {
                "get": {
                    "operationId": "getIssuer",
                    "summary": "The issuer's Open Badges 3.0 Profile",
                    "responses": {"200": _json("IssuerProfile", "The issuer profile.")},
                }
            },
            "/credentials/status/{list_id}": {
                "get": {
                    "operationId": "getStatusList",
                    "summary": "A Bitstring Status List credential",
                    "description": "Served signed, as a VC-JWT (application/vc+jwt), with the same keys as the "
                    "certificates: an unsigned list could be forged to un-revoke a credential.",
                    "parameters": [
                        {"name": "list_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The signed BitstringStatusListCredential.",
                            "content": {"application/vc+jwt": {"schema": JWT}},
                        },
                        "404": {"description": "No such list."},
                    },
                }
            },
        },
        "components": COMPONENTS,
    }
