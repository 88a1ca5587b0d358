"""Behind a reverse proxy (DEPLOY.md), throttles count per client: TRUSTED_PROXIES believes the proxy's X-Forwarded-For.

Every request reaches gunicorn from nginx's address, so without it the login limit per address would be one limit for
the whole site; with it unset (the default, for an app no proxy fronts), a forged X-Forwarded-For changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edu.application import create_app
from edu.db import Base, database
from edu.extensions import limiter
from tests.conftest import login

PROXY = "127.0.0.1"


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[Callable[[int], Flask]]:
    """An app fronted by that many trusted proxies, allowing two logins a minute per client address."""
    made: list[Flask] = []

    def make(proxies: int) -> Flask:
        application = create_app(
            {
                "APP_ENV": "testing",
                "SECRET_KEY": "proxy-test",
                "DATABASE_URL": f"sqlite:///{tmp_path / f'proxied-{proxies}.sqlite3'}",
                "RATELIMIT_STORAGE_URI": "memory://",
                "PASSWORD_HASH_PROFILE": "cheapest",
                "LOGIN_LIMITS": "2 per minute",
                "TRUSTED_PROXIES": proxies,
            }
        )
        with application.app_context():
            Base.metadata.create_all(database().engine)
        limiter.reset()
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["edu.db"].engine.dispose()


def client_at(app: Flask, forwarded_for: str) -> FlaskClient:
    """A browser whose requests reach the app through the proxy, which names the browser's address."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for})
    return client


def failed_logins(client: FlaskClient, times: int) -> list[int]:
    return [login(client, "someone@example.com", "not the password").status_code for _ in range(times)]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_throttle(app_with) -> None:
    app = app_with(1)
    assert failed_logins(client_at(app, "203.0.113.7"), 3) == [401, 401, 429]
    assert failed_logins(client_at(app, "198.51.100.9"), 1) == [401]  # another learner behind the same proxy


def test_without_trusted_proxies_a_forged_forwarded_for_escapes_nothing(app_with) -> None:
    app = app_with(0)
    assert failed_logins(client_at(app, "203.0.113.7"), 3) == [401, 401, 429]
    assert failed_logins(client_at(app, "198.51.100.9"), 1) == [429]  # the same client, whatever address it claims
