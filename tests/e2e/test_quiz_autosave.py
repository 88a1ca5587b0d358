"""A learner's answers are saved as they go, survive a reload, wait out a lost connection and are graded on submit.

Runs in Debian's Chromium against the live server; the `page` fixture fails the test on any console error (script
errors and CSP violations); this test also listens for securitypolicyviolation events directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from edu.application import create_app
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

CHOICE_TYPES = ("single", "true_false", "multiple")


@pytest.fixture
def quiz_learner(live_server: str, database_url: str) -> Iterator[str]:
    """An enrolled learner who has completed the mini course's lessons, so its module quiz is open to them."""
    from sqlalchemy import select

    from edu.auth import services as auth
    from edu.catalog import services as catalog
    from edu.catalog.models import Course
    from edu.db import session

    app = create_app(
        {"APP_ENV": "testing", "SECRET_KEY": "e2e", "DATABASE_URL": database_url, "PASSWORD_HASH_PROFILE": "cheapest"}
    )
    with app.app_context():
        learner = auth.register(
            name="Quinn Quiz", email="quinn@example.com", password=PASSWORD, licence_number="PT-1", jurisdiction="Testland"
        )
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        assert course is not None
        catalog.enrol(learner, course)
        for key in ("first", "second"):
            catalog.complete_lesson(learner, course, key)
        session.commit()
    yield "quinn@example.com"
    app.extensions["edu.db"].engine.dispose()


def test_answers_autosave_survive_reload_wait_offline_and_are_graded(page: Page, quiz_learner: str) -> None:
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });"
    )
    page.goto("/login")
    page.get_by_label("Email").fill(quiz_learner)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My learning")).to_be_visible()

    page.goto("/courses/mini/modules/basics/quiz")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="Basics: module quiz: attempt 1")).to_be_visible()

    question = page.locator("fieldset.question").filter(has=page.locator("input[type=radio], input[type=checkbox]")).first
    slot = question.get_attribute("data-slot")
    kind = question.get_attribute("data-type")
    assert kind in CHOICE_TYPES
    status = page.locator(f"#status-{slot}")
    expect(status).to_have_attribute("aria-live", "polite")
    choices = question.locator("input")
    choices.nth(0).check()
    expect(status).to_contain_text("Saved at")

    page.reload()
    question = page.locator(f"#q-{slot}")
    expect(question.locator("input").nth(0)).to_be_checked()  # the server has it
    expect(page.locator(f"#status-{slot}")).to_have_text("Saved")

    page.context.set_offline(True)
    question.locator("input").nth(1).check()
    status = page.locator(f"#status-{slot}")
    expect(status).to_contain_text("Not saved yet")
    expect(status).to_contain_text("offline")

    page.context.set_offline(False)
    expect(status).to_contain_text("Saved at", timeout=15_000)
    page.reload()
    expect(page.locator(f"#q-{slot}").locator("input").nth(1)).to_be_checked()

    page.get_by_role("button", name="Submit for grading").click()
    page.get_by_role("button", name="Submit for grading").click()  # the confirmation page
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(page.locator(".score")).to_contain_text("You scored")
    assert page.evaluate("window.__csp") == []
