"""Safe defaults: production unless told otherwise; the secret key never lives in the repository; the public address
is configuration, required in production."""

from pathlib import Path

import pytest

import config


def test_production_defaults_are_hardened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = config.load({"SECRET_KEY": "k", "PUBLIC_URL": "https://ce.example.org"})
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


def test_a_secret_key_is_generated_where_the_filesystem_has_no_hard_links(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Some network and FUSE volumes refuse link(): the key is then created in place, and the app still starts."""

    def no_links(*_args: object) -> None:
        raise PermissionError("Operation not permitted")

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path / "instance")
    monkeypatch.setattr(config.os, "link", no_links)
    first = config.load({"APP_ENV": "testing"})["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first) == 64 and first == key_file.read_text().strip() == config.load({"APP_ENV": "testing"})["SECRET_KEY"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"], "nothing is left aside"


def test_workers_starting_together_agree_on_one_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """gunicorn's workers each load the settings at once on a fresh install. Another worker writes its key between
    this one's look and its write: this one reads and keeps the other's key, never a second one of its own."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    real_link = config.os.link

    def another_worker_first(source: str, target: str) -> None:
        Path(target).write_text("the other worker's key")
        real_link(source, target)

    monkeypatch.setattr(config.os, "link", another_worker_first)
    assert config.load({"APP_ENV": "testing"})["SECRET_KEY"] == "the other worker's key"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # nothing half-written left beside it


def test_an_empty_secret_key_file_stops_the_app_instead_of_serving_with_no_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a worker read when it looked while another had created the file and not yet written it."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(config.ConfigError, match="secret_key is empty"):
        config.load({"APP_ENV": "testing"})


def test_redis_url_becomes_the_limiter_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = config.load({"SECRET_KEY": "k", "PUBLIC_URL": "https://ce.example.org"})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


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


# --- PUBLIC_URL: the one public address, never the Host of a request ------------------------------------------------------


@pytest.fixture
def _no_url_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("ISSUER_URL", raising=False)


@pytest.mark.usefixtures("_no_url_in_env")
def test_production_refuses_to_start_without_a_public_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from edu.application import create_app

    monkeypatch.delenv("APP_ENV", raising=False)
    with pytest.raises(config.ConfigError, match=r"PUBLIC_URL is not set.*https://ce\.example\.org.*never taken from the Host"):
        config.load({"SECRET_KEY": "k"})
    with pytest.raises(config.ConfigError, match="PUBLIC_URL is not set"):
        create_app({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


@pytest.mark.usefixtures("_no_url_in_env")
def test_development_and_testing_have_fixed_local_defaults() -> None:
    assert config.load({"APP_ENV": "development", "SECRET_KEY": "k"})["PUBLIC_URL"] == "http://127.0.0.1:5000"
    assert config.load({"APP_ENV": "testing", "SECRET_KEY": "k"})["PUBLIC_URL"] == "http://localhost"


@pytest.mark.usefixtures("_no_url_in_env")
def test_public_url_comes_from_the_environment_and_issuer_url_is_its_former_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://ce.example.org/")
    settings = config.load({"APP_ENV": "production", "SECRET_KEY": "k"})
    assert settings["PUBLIC_URL"] == settings["ISSUER_URL"] == "https://ce.example.org"
    monkeypatch.delenv("PUBLIC_URL")
    monkeypatch.setenv("ISSUER_URL", "https://old.example.org/ce")
    assert config.load({"APP_ENV": "production", "SECRET_KEY": "k"})["PUBLIC_URL"] == "https://old.example.org/ce"
    monkeypatch.setenv("PUBLIC_URL", "https://ce.example.org")
    with pytest.raises(config.ConfigError, match=r"PUBLIC_URL .* and ISSUER_URL .* differ"):
        config.load({"APP_ENV": "production", "SECRET_KEY": "k"})


@pytest.mark.parametrize(
    "value",
    [
        "ce.example.org",
        "ftp://ce.example.org",
        "https://",
        "https://ce.example.org/?next=x",
        "https://ce.example.org/#top",
        "https://user:pw@ce.example.org",
        "https://ce.example.org:99999",
        "https://ce example.org",
    ],
)
@pytest.mark.usefixtures("_no_url_in_env")
def test_a_malformed_public_url_is_refused(value: str) -> None:
    with pytest.raises(config.ConfigError, match="PUBLIC_URL"):
        config.load({"APP_ENV": "testing", "SECRET_KEY": "k", "PUBLIC_URL": value})


@pytest.mark.usefixtures("_no_url_in_env")
def test_production_needs_https() -> None:
    with pytest.raises(config.ConfigError, match="https in production"):
        config.load({"APP_ENV": "production", "SECRET_KEY": "k", "PUBLIC_URL": "http://ce.example.org"})
