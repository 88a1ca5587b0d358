"""Settings from the environment, with safe defaults.

Nothing secret lives in the repository: the SECRET_KEY is read from the environment or generated
once into instance/secret_key. APP_ENV picks the defaults: `production` (the default: Secure
cookies, HSTS), `development` (`make run`: plain http on 127.0.0.1) or `testing`.

PUBLIC_URL is the one address of the site the outside world is given: it is signed into credentials (issuer,
achievements, status list, verification page), printed in PDFs and QR codes, and mailed in password-reset,
invitation and reminder links. It is configuration, never the Host of a request, which the client chooses.
Production refuses to start without it; development and testing have fixed defaults. ISSUER_URL, its former
name, is still read when PUBLIC_URL is not set.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))

DEFAULT_PUBLIC_URLS = {"development": "http://127.0.0.1:5000", "testing": "http://localhost"}
"""Where `make run` serves, and the fixed origin of the test suite. Production has no default."""


class ConfigError(RuntimeError):
    """A setting the app cannot run without is missing or wrong: the app refuses to start and says which."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        _create_secret_key(path)
    key = path.read_text().strip()
    for _ in range(20):  # written in place by another worker (no hard links): its one write lands in milliseconds
        if key:
            break
        time.sleep(0.05)
        key = path.read_text().strip()
    if not key:  # a worker that served with an empty key would refuse every login and every form
        raise ConfigError(f"{path} is empty. Set SECRET_KEY, or delete the file to generate a new key (every login ends).")
    return key


def _create_secret_key(path: Path) -> None:
    """gunicorn's workers load the settings each, all at once on a fresh install: the key is written in full aside
    and hard-linked into place (link() never replaces a file), so exactly one key is kept and no worker ever reads a
    half-written, empty one."""
    pending = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(pending, path)
        except FileExistsError:
            pass  # another worker's key won: it is the one every worker reads
        except OSError:
            _create_in_place(path)  # a filesystem without hard links (some network and FUSE volumes)
    finally:
        pending.unlink(missing_ok=True)


def _create_in_place(path: Path) -> None:
    """Where link() is not offered: create the file exclusively and write it. A worker may then find it empty for a
    moment, which _secret_key waits out."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'edu.sqlite3'}"


def _setting(name: str, overrides: dict[str, Any]) -> str:
    value = overrides[name] if name in overrides else os.environ.get(name)
    return str(value or "").strip()


def public_url(env: str, overrides: dict[str, Any] | None = None) -> str:
    """The configured public base URL (scheme, host, optional port and path prefix; no trailing slash)."""
    overrides = overrides or {}
    configured, legacy = _setting("PUBLIC_URL", overrides), _setting("ISSUER_URL", overrides)
    if "PUBLIC_URL" in overrides and "ISSUER_URL" not in overrides:
        legacy = ""  # an explicit PUBLIC_URL (a test, a tool) is not contradicted by the environment's former name
    if configured and legacy and configured.rstrip("/") != legacy.rstrip("/"):
        raise ConfigError(
            f"PUBLIC_URL ({configured}) and ISSUER_URL ({legacy}) differ. Everything a credential names is served by "
            "this site at one address: set PUBLIC_URL only (ISSUER_URL is its former name)."
        )
    value = configured or legacy or DEFAULT_PUBLIC_URLS.get(env, "")
    if not value:
        raise ConfigError(
            "PUBLIC_URL is not set. In production the site's public address must be configured, e.g. "
            "PUBLIC_URL=https://ce.example.org: it is signed into every certificate and mailed in every link, and "
            "is never taken from the Host header of a request. (APP_ENV=development uses http://127.0.0.1:5000.)"
        )
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
        or any(c.isspace() or not c.isprintable() for c in value)
    ):
        raise ConfigError(
            f"PUBLIC_URL must be an absolute http(s) address with a host and no query, e.g. https://ce.example.org; got {value!r}"
        )
    try:
        parts.port  # noqa: B018 - urlsplit validates the port only when asked
    except ValueError as exc:
        raise ConfigError(f"PUBLIC_URL has an invalid port: {value!r}") from exc
    if env == "production" and parts.scheme != "https":
        raise ConfigError(f"PUBLIC_URL must use https in production (cookies are Secure and HSTS is on); got {value!r}")
    return value.rstrip("/")


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = overrides.get("APP_ENV") or os.environ.get("APP_ENV", "production")
    deployed = env == "production"
    # Refuse to start, before anything is written, rather than sign or mail an address a client chose.
    public = public_url(env, overrides)
    redis_url = os.environ.get("REDIS_URL")
    settings: dict[str, Any] = {
        "APP_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(),
        "DATABASE_URL": database_url(),
        "COURSES_DIR": os.environ.get("COURSES_DIR", str(ROOT / "courses")),
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", deployed),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", deployed),
        "REMEMBER_COOKIE_DURATION_DAYS": int(os.environ.get("REMEMBER_DAYS", "30")),
        "SESSION_HOURS": int(os.environ.get("SESSION_HOURS", "12")),
        "FORCE_HTTPS": _flag("FORCE_HTTPS", False),
        # How many reverse proxies stand in front of the app (nginx: 1). Their X-Forwarded-For and X-Forwarded-Proto
        # are believed, that many hops deep, so rate limits count per client and not per proxy; 0 (the default)
        # ignores the headers, which a client reaching the app directly could forge to dodge its throttle.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "HSTS": deployed,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Login throttling: shared across worker processes when REDIS_URL is set.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "edu"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Redis down: throttling falls back to each worker counting in memory (still limited, less strictly; logged)
        # instead of failing every login with a 500 or letting every attempt through; a dead server costs at most
        # a one-second connect timeout per check.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "LOGIN_LIMITS": os.environ.get("LOGIN_LIMITS", "10 per minute;50 per hour"),
        "LOGIN_LIMITS_PER_ACCOUNT": os.environ.get("LOGIN_LIMITS_PER_ACCOUNT", "5 per minute;20 per hour"),
        "PASSWORD_HASH_PROFILE": os.environ.get("PASSWORD_HASH_PROFILE", "default"),
        # Password reset
        "PASSWORD_RESET_HOURS": int(os.environ.get("PASSWORD_RESET_HOURS", "2")),
        # Email confirmation links: long enough for a mail that waits in a queue or a weekend inbox.
        "EMAIL_VERIFICATION_HOURS": int(os.environ.get("EMAIL_VERIFICATION_HOURS", "48")),
        # Mail: "log" writes to the log and the admin outbox page; "smtp" sends. Either way every message is queued
        # in the outbox and leaves after its transaction commits; `flask mail deliver` retries, this many tries in all.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if os.environ.get("SMTP_HOST") else "log"),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "10")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Needlepoint CE <no-reply@localhost>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "SERVER_NAME": os.environ.get("SERVER_NAME"),
        # Certificates: signing keys live outside the repository (default: instance/keys). The issuer's identity
        # in signed credentials is PUBLIC_URL (set below), never the Host of the request that claimed them.
        "CERT_KEYS_DIR": os.environ.get("CERT_KEYS_DIR"),
        "ISSUER_NAME": os.environ.get("ISSUER_NAME", "Needlepoint CE"),
        "ISSUER_EMAIL": os.environ.get("ISSUER_EMAIL"),
        "REMINDER_LEAD_DAYS": os.environ.get("REMINDER_LEAD_DAYS", "60,30,7"),
        "VERIFY_LIMITS": os.environ.get("VERIFY_LIMITS", "30 per minute"),
        "PREFERRED_URL_SCHEME": "https" if deployed else "http",
    }
    settings.update(overrides)
    settings["PUBLIC_URL"] = settings["ISSUER_URL"] = public
    return settings
