"""Reflow on phones (WCAG 1.4.10): every main page of every role's journey, at 320 and 390 CSS pixels wide, in
Debian's Chromium, must not scroll sideways.

Most of our learners read between patients, on a phone. A page wider than the screen makes them pan left and right
along every line (before the fix, this world's course gradebook measured 2,080 px at 390, and 63 of the 92 pages
scrolled sideways at 320). "Sideways" is the document's scrollWidth beyond its clientWidth (the viewport less any
scrollbar), which is stricter than comparing with window.innerWidth. The world is seeded through the services with
what makes pages wide in real use: the shipped dry-needling course (thirty-odd lessons, ten quizzes, tables in the
lessons), long names, addresses and clinic names, certificate codes, a gradebook of many quizzes. Each page is
loaded once and measured at both widths; the failure lists every page that scrolled sideways, with the elements
that stick out. The same pass checks what else a phone needs: the lesson text comes before the course contents,
the navigation collapses behind a "Menu" disclosure (no script: a <details>), and chart text stays legible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD, sync_folder
from tests.e2e import test_xss

pytestmark = pytest.mark.e2e

seed = test_xss.seed
"""An app on the live server's database, for seeding through the services."""

WIDTHS = (320, 390)
COURSE = Path(__file__).resolve().parents[2] / "courses" / "dry-needling"
MIN_CHART_TEXT_PX = 10.0
"""The smallest chart text we accept on a 320 px screen, in CSS pixels as drawn (font size times the SVG's scale)."""

LONG_NAME = "Maximiliane Featherstonehaugh-Worthington"
LONG_EMAIL = "maximiliane.featherstonehaughworthington@northumberlandphysiotherapy.example.com"
LONG_CLINIC = "Northumberland Physiotherapy, Sports Injury and Musculoskeletal Rehabilitation Centre"
LONG_WORD_PROMPT = (
    "Which statement about **pneumothorax** risk is supported by "
    "https://www.apta.org/patient-care/interventions/dry-needling/position-statement-on-dry-needling-competence-2024 ?"
)

MEASURE = r"""
() => {
  const doc = document.documentElement;
  const out = { scroll: doc.scrollWidth, client: doc.clientWidth, inner: window.innerWidth, offenders: [] };
  if (doc.scrollWidth > doc.clientWidth) {
    const edge = doc.clientWidth + 0.5;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
    const wide = Array.from(document.body.querySelectorAll('*')).filter((el) => el.getBoundingClientRect().right > edge);
    const leaves = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
    out.offenders = leaves.slice(0, 4).map((el) => {
      const path = [];
      for (let n = el; n && n !== document.body && path.length < 4; n = n.parentElement) path.unshift(name(n));
      return path.join(' > ') + ' to ' + Math.round(el.getBoundingClientRect().right) + ' px';
    });
  }
  return out;
}
"""

CHART_TEXT = r"""
() => Array.from(document.querySelectorAll('svg.chart text')).map((t) => {
  const matrix = t.getScreenCTM();
  const scale = matrix ? Math.hypot(matrix.a, matrix.b) : 1;
  return { text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale };
})
"""


@dataclass
class World:
    """What the seeded world's pages are called."""

    learner: str = LONG_EMAIL
    teacher: str = "teacher@example.com"
    clinic_admin: str = "clinic-admin@example.com"
    admin: str = "admin@example.com"
    ids: dict[str, Any] = field(default_factory=dict)


def _answer(learner: Any, quiz: Any, right: Any) -> int:
    """One submitted attempt: `right(slot)` says which items get the key; the others are left unanswered."""
    from edu.banks.services import as_model
    from edu.quizzes import attempts, grading

    attempt, _ = attempts.begin(learner, quiz)
    responses = {
        item.slot: grading.key_for(as_model(item.question_version.data))["response"] for item in attempt.items if right(item.slot)
    }
    attempts.save_answers(learner, attempt.id, responses)
    attempts.submit(learner, attempt.id)
    return attempt.id


def _read_everything(learner: Any, course: Any) -> None:
    """Every lesson of the course marked complete (rows, as the course's two-minute seat time would refuse a loop)."""
    from sqlalchemy import select

    from edu.catalog.models import Lesson, LessonCompletion
    from edu.db import session

    keys = session.scalars(select(Lesson.key).where(Lesson.course_version_id == course.current_version_id))
    for key in keys:
        session.add(LessonCompletion(user_id=learner.id, course_id=course.id, lesson_key=key))
    session.flush()


def seed_world(app: Flask) -> World:
    """A learner with attempts (one failed, one passed, one in progress) and a certificate, a cohort in a gradebook
    of ten quizzes, an instructor's bank and quiz, a clinic with a roster, and an administrator."""
    from sqlalchemy import select

    from edu.banks import services as banks
    from edu.catalog import instructors
    from edu.catalog import services as catalog
    from edu.catalog.models import Course
    from edu.certificates import issuance
    from edu.clinics import administration, invitations
    from edu.db import session
    from edu.quizzes import assembly, attempts
    from edu.quizzes.models import Quiz
    from tests.e2e.test_xss import register

    sync_folder(app, COURSE)
    world = World()
    with app.app_context():
        mini = session.scalar(select(Course).where(Course.slug == "mini"))
        needling = session.scalar(select(Course).where(Course.slug == "dry-needling"))
        assert mini is not None and needling is not None

        def quiz(course: Course, kind: str, key: str | None = None) -> Quiz:
            found = session.scalars(
                select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind, Quiz.source == "course").order_by(Quiz.id)
            ).all()
            return next(q for q in found if key is None or q.key == key)

        teacher = register("Tess Teacher", world.teacher, "instructor")
        register("Ada Admin", world.admin, "admin")
        clinic_admin = register("Cleo Clinic-Administrator", world.clinic_admin, "clinic_admin")
        for course in (mini, needling):
            instructors.assign(None, course, world.teacher)
        learner = register(LONG_NAME, LONG_EMAIL, licence="PT-0012345678-NORTHUMBERLAND", jurisdiction="Northumberland")

        # The learner: the mini course failed once, then passed with its final exam (a certificate); the shipped
        # course read, its first module quiz submitted and the second in progress.
        catalog.enrol(learner, mini)
        for key in ("first", "second"):
            catalog.complete_lesson(learner, mini, key)
        failed = _answer(learner, quiz(mini, "module"), lambda slot: False)
        passed = _answer(learner, quiz(mini, "module"), lambda slot: True)
        _answer(learner, quiz(mini, "final"), lambda slot: True)
        certificate = issuance.issue_if_complete(learner, mini).certificate
        assert certificate is not None
        catalog.enrol(learner, needling)
        _read_everything(learner, needling)
        modules = session.scalars(
            select(Quiz).where(Quiz.course_id == needling.id, Quiz.kind == "module").order_by(Quiz.id)
        ).all()
        reviewed = _answer(learner, modules[0], lambda slot: slot % 3 != 0)
        in_progress, _ = attempts.begin(learner, modules[1])

        # A cohort with long names: rows of the gradebook and figures for the item analysis.
        cohort = []
        for n in range(5):
            someone = register(
                f"{LONG_NAME.split()[0]} {n} Featherstonehaugh-Worthington", f"cohort{n}.{LONG_EMAIL}", licence=None
            )
            catalog.enrol(someone, needling)
            _read_everything(someone, needling)
            _answer(someone, modules[0], lambda slot, n=n: (slot + n) % 4 != 0)
            cohort.append(someone)

        # The instructor's own bank, question and quiz.
        bank = banks.create_bank(teacher, "Needling safety: lung fields, neurovascular bundles and adverse events")
        saved = banks.save_question(
            teacher,
            bank,
            banks.validate_question(
                {
                    "id": "pneumothorax-risk-over-the-upper-trapezius-and-the-apex-of-the-lung",
                    "type": "single",
                    "prompt": LONG_WORD_PROMPT,
                    "options": [
                        {"id": "a", "text": "Perpendicular needling over the rib cage is safe at any depth", "correct": False},
                        {"id": "b", "text": "Pincer grip and needling toward a rib reduce the risk", "correct": True},
                        {"id": "c", "text": "Electroacupuncture-versus-dry-needling-comparisons-were-inconclusive"},
                    ],
                    "rationale": "See https://doi.org/10.1016/j.physio.2024.01.001-supplementary-material-appendix-b",
                    "tags": ["safety", "lung-fields-and-pleura"],
                }
            ),
        )
        own_quiz = assembly.create_quiz(
            teacher,
            assembly.QuizSpec(
                title="Safety check before your first supervised needling session",
                course_id=needling.id,
                fixed=[saved.question.id],
            ),
        )

        # A clinic with the learner and the cohort on its roster, an invitation still open, a second clinic inviting.
        clinic = administration.create_clinic(clinic_admin, LONG_CLINIC)
        for person in (learner, *cohort):
            invitation = invitations.invite(clinic_admin, clinic, person.email)
            link = invitations.respond_by_id(person, invitation.link.id, accept=True)
        invitations.invite(clinic_admin, clinic, f"not.yet.registered.{LONG_EMAIL}")
        other = administration.create_clinic(clinic_admin, f"{LONG_CLINIC} (Hexham)")
        pending = invitations.invite(clinic_admin, other, learner.email)

        world.ids = {
            "failed": failed,
            "passed": passed,
            "reviewed": reviewed,
            "in_progress": in_progress.id,
            "code": certificate.code,
            "public_id": certificate.public_id,
            "bank": bank.slug,
            "question": saved.question.key,
            "own_quiz": own_quiz.id,
            "module_quiz": modules[0].id,
            "module_key": modules[0].key,
            "course_quiz": quiz(mini, "module").id,
            "clinic": clinic.slug,
            "link": link.id,
            "join": pending.token,
        }
        session.commit()
    return world


@dataclass
class Measured:
    wide: list[str] = field(default_factory=list)
    """"path @ width: scrollWidth px" of every page that scrolled sideways, with what sticks out."""
    pages: set[str] = field(default_factory=set)
    phone: list[str] = field(default_factory=list)
    """What else fails on a phone: the lesson's order, the navigation, chart text."""
    console: list[str] = field(default_factory=list)


class Phone:
    """One role's browser context at phone width; every page it opens is measured at each width."""

    def __init__(self, browser: Browser, base_url: str, measured: Measured) -> None:
        self.context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[-1], "height": 800})
        self.context.set_default_timeout(5000)
        self.page = self.context.new_page()
        self.measured = measured
        self.page.on(
            "console",
            lambda msg: (
                measured.console.append(f"{self.page.url}: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )

    def login(self, email: str) -> None:
        self.visit("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/login" not in self.page.url, f"{email} could not log in"

    def visit(self, path: str | None = None) -> Page:
        """Open `path` (None: the page the last click led to) and measure it at every width."""
        if path is not None:
            response = self.page.goto(path)
            assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        where = re.sub(r"^https?://[^/]+", "", self.page.url)
        self.measured.pages.add(where)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800})
            found = self.page.evaluate(MEASURE)
            if found["scroll"] > found["client"]:
                self.measured.wide.append(f"{where} @ {width}: {found['scroll']} px ({'; '.join(found['offenders'])})")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture(autouse=True)
def _limits_for_many_page_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_LIMITS", "100000 per minute")
    monkeypatch.setenv("LOGIN_LIMITS", "100000 per minute")


@pytest.fixture
def phones(page: Page, live_server: str) -> Iterator[tuple[Measured, Any]]:
    browser = page.context.browser
    assert browser is not None
    measured = Measured()
    opened: list[Phone] = []

    def open_as(email: str | None) -> Phone:
        phone = Phone(browser, live_server, measured)
        opened.append(phone)
        if email is not None:
            phone.login(email)
        return phone

    yield measured, open_as
    for phone in opened:
        phone.close()


def test_no_page_of_any_journey_scrolls_sideways_on_a_phone(seed: Flask, phones: tuple[Measured, Any]) -> None:
    measured, open_as = phones
    world = seed_world(seed)
    ids = world.ids

    public = open_as(None)
    for path in ("/", "/courses/dry-needling", "/register", "/reset", "/verify", f"/verify/{ids['code']}"):
        public.visit(path)

    learner = open_as(world.learner)
    for path in (
        "/dashboard",
        "/courses/mini",
        "/courses/dry-needling",
        "/courses/mini/lessons/first",
        "/courses/dry-needling/glossary",
        "/courses/dry-needling/references",
        "/courses/mini/modules/basics/quiz",
        "/courses/mini/final-exam",
        f"/courses/dry-needling/modules/{ids['module_key']}/quiz",
        f"/attempts/{ids['in_progress']}",
        f"/attempts/{ids['in_progress']}/confirm",
        f"/attempts/{ids['failed']}/review",
        f"/attempts/{ids['passed']}/review",
        f"/attempts/{ids['reviewed']}/review",
        "/certificates",
        "/courses/mini/certificate",
        "/transcript",
        "/account",
        "/account/password",
        "/clinics/invitations",
        f"/clinics/join/{ids['join']}",
    ):
        learner.visit(path)
    # Every lesson of the shipped course (its tables, figures and long references), and what a phone shows first.
    lesson = learner.visit("/courses/dry-needling")
    lessons = lesson.locator("a[href*='/courses/dry-needling/lessons/']").evaluate_all(
        "(links) => Array.from(new Set(links.map((a) => a.getAttribute('href'))))"
    )
    assert len(lessons) >= 30, lessons
    for path in lessons:
        learner.visit(path)
    measured.phone += lesson_text_comes_first(learner.visit(lessons[-1]))

    teacher = open_as(world.teacher)
    quiz, bank = ids["module_quiz"], ids["bank"]
    for path in (
        "/instructor/quizzes/",
        "/instructor/banks",
        f"/instructor/banks/{bank}",
        f"/instructor/banks/{bank}/questions/{ids['question']}",
        f"/instructor/banks/{bank}/questions/{ids['question']}/edit",
        f"/instructor/banks/{bank}/questions/{ids['question']}/history",
        f"/instructor/banks/{bank}/questions/new?type=matching",
        "/instructor/quizzes/new",
        f"/instructor/quizzes/{ids['own_quiz']}/edit",
        f"/instructor/quizzes/{quiz}/edit",
        f"/instructor/quizzes/{quiz}/gradebook",
        "/instructor/quizzes/courses/dry-needling/gradebook",
        f"/instructor/quizzes/attempts/{ids['reviewed']}",
        f"/instructor/quizzes/{quiz}/regrade",
        f"/instructor/quizzes/{ids['course_quiz']}/regrade",
        "/instructor/quizzes/accommodations",
    ):
        teacher.visit(path)
    measured.phone += charts_stay_legible(teacher.visit(f"/instructor/quizzes/{quiz}/analysis"))
    # The import report: a GIFT file checked against the bank.
    teacher.visit(f"/instructor/banks/{bank}")
    teacher.page.get_by_label("File to import").set_input_files(
        {"name": "safety.gift", "mimeType": "text/plain", "buffer": GIFT.encode()}
    )
    teacher.page.get_by_label("Format").select_option(label="GIFT")
    with teacher.page.expect_navigation():
        teacher.page.get_by_role("button", name="Check the file").click()
    teacher.visit()

    clinic = open_as(world.clinic_admin)
    slug = ids["clinic"]
    measured.phone += charts_stay_legible(clinic.visit(f"/clinics/{slug}"))
    for path in ("/clinics/", f"/clinics/{slug}/staff", f"/clinics/{slug}/staff/{ids['link']}", f"/clinics/{slug}/verify"):
        clinic.visit(path)
    clinic.page.get_by_label("Certificate codes").fill(f"{ids['code']}\nNOT-A-REAL-CODE-0000-0000-0000-0000\n{ids['code']}x")
    with clinic.page.expect_navigation():
        clinic.page.get_by_role("button", name="Check").first.click()
    clinic.visit()

    admin = open_as(world.admin)
    for path in (
        "/admin/users",
        "/admin/courses/",
        "/admin/outbox",
        "/admin/certificates",
        f"/admin/certificates/{ids['public_id']}",
    ):
        admin.visit(path)
    measured.phone += navigation_collapses(admin.page)

    print(f"reflow: {len(measured.pages)} pages at {' and '.join(map(str, WIDTHS))} px")
    report = "\n".join(
        [f"{len(measured.wide)} page widths scroll sideways:", *measured.wide, "what else a phone needs:", *measured.phone]
    )
    if measured.wide or measured.phone:
        pytest.fail(report, pytrace=False)
    assert measured.console == []


GIFT = """// A small file for the import report.
::Lung fields:: Where is the apex of the lung relative to the clavicle? {
=About 2.5 cm above its medial third#Correct: the apex rises above the clavicle.
~Below the clavicle at every point#It rises above it.
}

::Broken:: This question has no closing brace {
=Yes
"""


def lesson_text_comes_first(page: Page) -> list[str]:
    """On a phone the lesson's title and text come before the course contents, and a link near the top still leads
    to the contents."""
    page.set_viewport_size({"width": WIDTHS[-1], "height": 800})
    title = page.get_by_role("heading", level=1).bounding_box()
    contents = page.get_by_role("heading", name="Course contents")
    box = contents.bounding_box()
    assert title is not None and box is not None
    problems = []
    if title["y"] > 800:
        problems.append(f"the lesson title is {title['y']:.0f} px down, below the first screen")
    if title["y"] > box["y"]:
        problems.append("the course contents come before the lesson title")
    jump = page.locator("main a[href='#course-contents']")
    if not jump.count() or jump.first.bounding_box() is None or jump.first.bounding_box()["y"] > 800:  # type: ignore[index]
        problems.append("no link near the top leads to the course contents")
    else:
        jump.first.click()
        expect(contents).to_be_in_viewport()
    return [f"{page.url}: {p}" for p in problems]


def navigation_collapses(page: Page) -> list[str]:
    """On a phone the site's links wait behind "Menu", which opens without a script; at a desktop width they show."""
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    nav = page.get_by_role("navigation", name="Main")
    users, menu = nav.get_by_role("link", name="Users"), nav.get_by_text("Menu", exact=True)
    if users.is_visible() or not menu.is_visible():
        return ["the navigation does not collapse behind a Menu on a phone"]
    menu.click()
    expect(users).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    page.reload()
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(menu).to_be_hidden()
    expect(users).to_be_visible()
    return []


def charts_stay_legible(page: Page) -> list[str]:
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    sizes = page.evaluate(CHART_TEXT)
    assert sizes, f"{page.url}: no chart"
    small = [f"{s['text']!r} {s['px']:.1f} px" for s in sizes if s["px"] < MIN_CHART_TEXT_PX]
    if small:
        return [f"{page.url}: {len(small)} chart texts under {MIN_CHART_TEXT_PX:g} px at {WIDTHS[0]} px: {small[:6]}"]
    return []
