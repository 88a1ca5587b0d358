"""Absolute URLs for whatever leaves the app (mail, files, signed credentials): built from PUBLIC_URL only.

`url_for(..., _external=True)` inside a request takes the host from the request's Host header, which the client
chooses; a reset link or a signed issuer id built that way points wherever the client said. These helpers bind the
URL map to the configured address instead, so they give the same answer in a request, in a CLI command and in a
test, whatever Host a request carried.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def base() -> str:
    """The configured public base URL, without a trailing slash (see config.public_url)."""
    configured = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not configured:  # config.load() always sets it; only an app built around config.load() can get here
        raise RuntimeError("PUBLIC_URL is not configured")
    return configured


def external(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` at PUBLIC_URL (its path prefix included); extra values become the query."""
    parts = urlsplit(base())
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
