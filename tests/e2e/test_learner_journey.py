"""A new physical therapist registers, logs in, enrols, reads a lesson and marks it complete."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_register_login_enrol_read_and_complete(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Full name (as it should appear on certificates)").fill("Robin Physio")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Repeat password").fill("a long passphrase")
    page.get_by_label("Profession").select_option("pt")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome, Robin Physio")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My learning")).to_be_visible()

    page.get_by_role("link", name="Courses").first.click()
    page.get_by_role("link", name="A miniature course for tests").click()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", name="The first lesson", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="A diagram of a taut band")).to_be_visible()
    expect(page.get_by_role("table")).to_be_visible()

    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.get_by_role("heading", name="The second lesson", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Lesson marked complete.")).to_be_visible()
    expect(page.locator(".toc .progress-text")).to_have_text("50%")

    page.get_by_role("link", name="My learning").click()
    expect(page.get_by_text("1 of 2 lessons completed.")).to_be_visible()
    expect(page.get_by_role("link", name="Continue: The second lesson")).to_be_visible()


def test_keyboard_only_login(page) -> None:
    """The skip link and the login form work from the keyboard alone."""
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    page.get_by_label("Email").focus()
    page.keyboard.type("nobody@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
