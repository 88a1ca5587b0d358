"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from edu.application import create_app
from edu.extensions import limiter
from tests.conftest import MINI_COURSE, _wipe, sync_folder

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def live_server(database_url: str, signing_keys_dir: Path) -> Iterator[str]:
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "e2e",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PASSWORD_HASH_PROFILE": "cheapest",
            "CERT_KEYS_DIR": str(signing_keys_dir),
        }
    )
    limiter.reset()
    sync_folder(app, MINI_COURSE)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine = app.extensions["edu.db"].engine
        _wipe(engine)
        engine.dispose()


@pytest.fixture
def page(live_server: str) -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (make test installs Debian's chromium where it can)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(base_url=live_server)
        tab = context.new_page()
        errors: list[str] = []
        # Script errors and CSP violations fail the test; a 401 or 404 the page expects is not an error.
        tab.on(
            "console",
            lambda msg: errors.append(msg.text) if msg.type == "error" and "Failed to load resource" not in msg.text else None,
        )
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield tab
        context.close()
        browser.close()
        assert errors == [], f"browser console errors: {errors}"
