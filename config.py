"""Settings from the environment, with safe defaults.

Nothing secret lives in the repository: the SECRET_KEY is read from the environment or generated
once into instance/secret_key. APP_ENV picks the defaults: `production` (the default: Secure
cookies, HSTS), `development` (`make run`: plain http on 127.0.0.1) or `testing`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


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
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'edu.sqlite3'}"


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = overrides.get("APP_ENV") or os.environ.get("APP_ENV", "production")
    deployed = env == "production"
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
        # Mail: "log" writes to the log and the admin outbox page; "smtp" sends.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if os.environ.get("SMTP_HOST") else "log"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Needlepoint CE <no-reply@localhost>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "SERVER_NAME": os.environ.get("SERVER_NAME"),
        # Certificates: signing keys live outside the repository (default: instance/keys); ISSUER_URL is the
        # public base URL baked into signed credentials (default: derived from SERVER_NAME at run time).
        "CERT_KEYS_DIR": os.environ.get("CERT_KEYS_DIR"),
        "ISSUER_URL": os.environ.get("ISSUER_URL", ""),
        "ISSUER_NAME": os.environ.get("ISSUER_NAME", "Needlepoint CE"),
        "ISSUER_EMAIL": os.environ.get("ISSUER_EMAIL"),
        "REMINDER_LEAD_DAYS": os.environ.get("REMINDER_LEAD_DAYS", "60,30,7"),
        "VERIFY_LIMITS": os.environ.get("VERIFY_LIMITS", "30 per minute"),
        "PREFERRED_URL_SCHEME": "https" if deployed else "http",
    }
    settings.update(overrides)
    return settings
