"""Safe defaults: production unless told otherwise; the secret key never lives in the repository."""

from pathlib import Path

import pytest

import config


def test_production_defaults_are_hardened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = config.load({"SECRET_KEY": "k"})
    assert settings["APP_ENV"] == "production"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["HSTS"] is True


def test_development_allows_plain_http_cookies() -> None:
    assert config.load({"APP_ENV": "development", "SECRET_KEY": "k"})["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_into_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path / "instance")
    first = config.load({"APP_ENV": "testing"})["SECRET_KEY"]
    second = config.load({"APP_ENV": "testing"})["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_redis_url_becomes_the_limiter_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    assert config.load({"SECRET_KEY": "k"})["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_default_database_is_sqlite_under_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url().startswith("sqlite:///") and config.database_url().endswith("instance/edu.sqlite3")


def test_production_passwords_use_argon2id_with_rfc9106_parameters() -> None:
    from edu.auth import passwords

    passwords.configure("default")
    try:
        stored = passwords.hash_password("a long passphrase")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert passwords.verify_password(stored, "a long passphrase")
        assert not passwords.verify_password(stored, "another passphrase")
        assert not passwords.verify_password(None, "a long passphrase")
    finally:
        passwords.configure("cheapest")


def test_hashes_made_cheaply_are_upgraded_on_the_next_login() -> None:
    from edu.auth import passwords

    passwords.configure("cheapest")
    cheap = passwords.hash_password("a long passphrase")
    passwords.configure("default")
    try:
        assert passwords.needs_rehash(cheap)
    finally:
        passwords.configure("cheapest")
