"""The XSS attack suite: every payload of xss_payloads.py through every free-text field a user can write and every
import format, rendered in Debian's Chromium, and not one script may run.

Data is seeded in bulk through the services (many payloads per page), then each page is loaded in the browser and
audited four ways:

- no dialog ever opens (every payload that runs calls ``alert(n)`` or sets ``window.__xss``);
- ``window.__xss`` is undefined after the page settled;
- no Content-Security-Policy violation is reported, neither as a ``securitypolicyviolation`` event (an init script
  collects them) nor on the console: a payload that only the CSP stopped is a sanitiser failure (defence in depth);
- the DOM holds nothing that could run: no ``on*`` attribute, no javascript:/vbscript:/data: URL, no element of
  script's family (frames, objects, base, meta refresh, SVG animation) that the app did not put there itself.

Each field's value carries a marker (``X<field><n>q``) beside its payload, so the suite counts which payloads each
page really showed; plain-text fields must show the payload exactly as written (template syntax included, so
``{{7*7}}`` is never 49). The figures (payloads × fields, page loads, renders) are printed at the end of the run.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from playwright.sync_api import Page

from edu.application import create_app
from tests.conftest import PASSWORD
from tests.e2e.xss_payloads import PAYLOADS, Payload, fitting

pytestmark = pytest.mark.e2e

FIELDS: dict[str, str] = {
    # people and organisations
    "nm": "account name",
    "li": "licence number",
    "ju": "jurisdiction",
    "rr": "revocation reason",
    "ri": "reissue reason",
    "cn": "clinic name",
    "ie": "invited email",
    "an": "accommodation note",
    # banks and questions
    "bt": "bank title",
    "qn": "question name",
    "pr": "question prompt",
    "ra": "rationale",
    "fw": "feedback if wrong",
    "ot": "option text",
    "of": "option feedback",
    "pp": "matching prompt",
    "pa": "matching answer",
    "ea": "matching distractor",
    "oi": "ordering item",
    "ac": "accepted answer",
    "un": "numeric unit",
    # quizzes and answers
    "qt": "quiz title",
    "fb": "feedback band",
    "sa": "short answer given",
    # what comes from files: a course's lessons, an imported bank's categories and tags
    "le": "lesson (course files)",
    "ca": "import category",
    "tg": "import tag",
    # what comes in through a query string or a refused form
    "vq": "verification code (query)",
    "vp": "verification code (path)",
    "sq": "search query",
    "rf": "refused form field",
}

INIT_SCRIPT = r"""
(() => {
  const seen = [];
  Object.defineProperty(window, '__cspViolations', { value: seen });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
  }, true);
})();
"""

AUDIT_SCRIPT = r"""
() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
  const findings = [];
  const here = location.origin;
  const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'data', 'background', 'poster', 'srcset',
    'xlink:href', 'values', 'to', 'from', 'by', 'codebase', 'dynsrc', 'lowsrc', 'ping', 'cite', 'longdesc', 'manifest']);
  const scheme = /^(javascript|vbscript|livescript|data):/;
  const neverInBody = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'meta',
    'link', 'style', 'animate', 'set', 'animatemotion', 'animatetransform', 'foreignobject', 'math', 'template',
    'xmp', 'listing', 'plaintext', 'isindex', 'keygen', 'marquee', 'video', 'audio', 'source', 'picture',
    'image', 'use', 'handler', 'listener']);
  const describe = (el) => '<' + el.tagName.toLowerCase() + ' ' +
    Array.from(el.attributes).map((a) => a.name + '="' + a.value + '"').join(' ') + '>';
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    const inBody = document.body.contains(el);
    if (tag === 'script') {
      const src = el.getAttribute('src') || '';
      if (!src.startsWith('/static/') || el.textContent.trim()) findings.push('script: ' + describe(el));
    } else if (inBody && neverInBody.has(tag)) {
      findings.push('element: ' + describe(el));
    }
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
      if (name.startsWith('on')) findings.push('handler: ' + describe(el));
      if (name === 'srcdoc') findings.push('srcdoc: ' + describe(el));
      if (urlAttributes.has(name) && scheme.test(value)) findings.push('url: ' + describe(el));
      if (name === 'style' && /url\(|expression|javascript|behavio/.test(value)) findings.push('style: ' + describe(el));
      if ((name === 'action' || name === 'formaction') && !(value.startsWith('/') || value.startsWith(here) || value === '')) {
        findings.push('form target: ' + describe(el));
      }
    }
  }
  resolve({
    xss: window.__xss === undefined ? null : String(window.__xss),
    csp: Array.from(window.__cspViolations || []),
    findings: findings,
    html: document.documentElement.outerHTML,
    text: document.body ? document.body.textContent : '',
  });
}, 0))));
"""

_MARKER = re.compile(r"X([a-z]{2})(\d{3})q", re.IGNORECASE)
_BY_NUMBER = {p.number: p for p in PAYLOADS}
_SEVEN_SEVEN = next(p for p in PAYLOADS if p.text == "{{7*7}}")


def marked(payload: Payload, code: str) -> str:
    """A one-line field's value: the payload as written, then its marker."""
    return f"{payload.text} {marker(payload, code)}"


def marked_block(payload: Payload, code: str) -> str:
    """A Markdown field's value: the payload as a block of its own (block syntax needs the start of a line), then
    its marker in a paragraph of its own."""
    return f"{payload.text}\n\n{marker(payload, code)}"


def marker(payload: Payload, code: str) -> str:
    assert code in FIELDS, code
    return f"X{code}{payload.number:03d}q"


def _plain(text: str) -> str:
    return " ".join(text.split())


# --- the tally: what was stored, what each page showed, what went wrong --------------------------------------------


@dataclass
class Tally:
    stored: set[tuple[str, int]] = field(default_factory=set)
    """(field code, payload number) pairs written to the database or sent in a request."""
    runs: int = 1
    loads: int = 0
    rendered: int = 0
    """Sum over page loads of the distinct (field, payload) markers the page showed."""
    rendered_pairs: set[tuple[str, int]] = field(default_factory=set)
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    csp_events: list[str] = field(default_factory=list)
    """securitypolicyviolation events; the same violations also reach the console (csp_console)."""
    csp_console: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def store(self, code: str, payloads: Iterable[Payload]) -> None:
        for p in payloads:
            self.stored.add((code, p.number))

    def merge(self, other: Tally) -> None:
        self.runs += other.runs
        self.stored |= other.stored
        self.loads += other.loads
        self.rendered += other.rendered
        self.rendered_pairs |= other.rendered_pairs
        self.dialogs += other.dialogs
        self.problems += other.problems
        self.csp_events += other.csp_events
        self.csp_console += other.csp_console
        self.console_errors += other.console_errors

    def summary(self) -> str:
        payloads = {n for _, n in self.stored}
        fields_ = {c for c, _ in self.stored}
        return (
            f"{len(payloads)} payloads × {len(fields_)} fields ({len(self.stored)} payload-field pairs) over {self.loads} "
            f"page loads in {self.runs} test run{'s' if self.runs != 1 else ''}, {self.rendered} payload renders ({len(self.rendered_pairs)} distinct payload-field pairs seen): "
            f"{len(self.dialogs)} scripts ran, {len(self.csp_events)} CSP violations, "
            f"{len(self.problems)} other findings"
        )

    def assert_clean(self) -> None:
        report = {
            "dialogs (a payload ran)": self.dialogs,
            "CSP violations (events)": self.csp_events,
            "CSP violations on the console": self.csp_console,
            "console errors": self.console_errors,
            "findings": self.problems,
        }
        bad = {k: v[:25] for k, v in report.items() if v}
        assert not bad, f"{self.summary()}\n{bad}"


_RUN = Tally(runs=0)


@pytest.fixture(scope="module", autouse=True)
def _figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the suite's figures once every test of the module ran (they go in the release notes)."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and _RUN.loads:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(f"XSS suite: {_RUN.summary()}")


@pytest.fixture(autouse=True)
def _limits_for_many_page_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of verification pages and a login per role are not what the rate limits are for; they stay tested
    in tests/functional."""
    monkeypatch.setenv("VERIFY_LIMITS", "100000 per minute")
    monkeypatch.setenv("LOGIN_LIMITS", "100000 per minute")
    monkeypatch.setenv("LOGIN_LIMITS_PER_ACCOUNT", "100000 per minute")


# --- the browser side ------------------------------------------------------------------------------------------------


class Visitor:
    """One logged-in browser tab (its own context) that audits every page it loads into a Tally."""

    def __init__(self, page: Page, tally: Tally) -> None:
        self.page = page
        self.tally = tally
        page.add_init_script(INIT_SCRIPT)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: tally.console_errors.append(f"{page.url}: {exc}"))

    def _dialog(self, dialog: Any) -> None:
        if dialog.type == "beforeunload":  # the attempt page's own guard while an autosave is pending
            dialog.accept()
            return
        self.tally.dialogs.append(f"{self.page.url}: {dialog.type}({dialog.message})")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.tally.csp_console.append(f"{self.page.url}: {text}")
        elif message.type == "error" and "Failed to load resource" not in text:
            self.tally.console_errors.append(f"{self.page.url}: {text}")

    def login(self, email: str) -> None:
        self.page.goto("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/login" not in self.page.url, f"{email} could not log in"

    def visit(self, path: str | None = None, *, literal: Iterable[str] = (), expect: Iterable[tuple[str, int]] = ()) -> Seen:
        """Load `path` (or audit the page as it is, after a click) and record what it showed and did."""
        if path is not None:
            self.page.goto(path)
        return self.audit(literal=literal, expect=expect)

    def audit(self, *, literal: Iterable[str] = (), expect: Iterable[tuple[str, int]] = ()) -> Seen:
        result = self.page.evaluate(AUDIT_SCRIPT)
        where = self.page.url
        self.tally.loads += 1
        seen = Seen(where, result)
        self.tally.rendered += len(seen.pairs)
        self.tally.rendered_pairs |= seen.pairs
        if result["xss"] is not None:
            self.tally.dialogs.append(f"{where}: window.__xss = {result['xss']}")
        self.tally.csp_events += [f"{where}: {v}" for v in result["csp"]]
        self.tally.problems += [f"{where}: {f}" for f in result["findings"]]
        self.tally.problems += [f"{where}: {p}" for p in seen.computed_templates()]
        self.tally.problems += [f"{where}: {p}" for p in seen.not_literal(set(literal))]
        missing = sorted(set(expect) - seen.pairs)
        if missing:
            self.tally.problems.append(f"{where}: expected markers not shown: {missing[:10]} ({len(missing)} in all)")
        return seen


@dataclass
class Seen:
    url: str
    result: dict[str, Any]

    @property
    def pairs(self) -> set[tuple[str, int]]:
        return {(m.group(1).lower(), int(m.group(2))) for m in _MARKER.finditer(self.result["html"])}

    def text_pairs(self) -> set[tuple[str, int]]:
        return {(m.group(1).lower(), int(m.group(2))) for m in _MARKER.finditer(self.result["text"])}

    def computed_templates(self) -> list[str]:
        text = self.result["text"]
        found = []
        if "tpl1337end" in text:
            found.append("a template payload was computed (tpl1337end)")
        for code in FIELDS:
            if f"49 {marker(_SEVEN_SEVEN, code)}" in text:
                found.append(f"{{{{7*7}}}} was computed to 49 in {FIELDS[code]}")
        return found

    def not_literal(self, codes: set[str]) -> list[str]:
        """Plain-text fields shown on this page must show each payload exactly as written, beside its marker."""
        if not codes:
            return []
        text = _plain(self.result["text"])
        out = []
        for code, number in sorted(self.text_pairs()):
            if code in codes:
                payload = _BY_NUMBER[number]
                if _plain(marked(payload, code)) not in text:
                    out.append(f"{FIELDS[code]} is not shown as written for payload {number}: {payload.text!r}")
        return out


@pytest.fixture
def tally() -> Iterator[Tally]:
    mine = Tally()
    yield mine
    _RUN.merge(mine)
    print(mine.summary())  # shown with the failure when a test stops before its own assertion
    for line in (mine.dialogs + mine.csp_events + mine.csp_console + mine.console_errors + mine.problems)[:50]:
        print(line)


@pytest.fixture
def visitor(page: Page, live_server: str, tally: Tally) -> Callable[[str | None], Visitor]:
    """A tab logged in as `email` (None: anonymous), each in its own browser context."""
    browser = page.context.browser
    assert browser is not None

    def open_as(email: str | None) -> Visitor:
        context = browser.new_context(base_url=live_server)
        visitor = Visitor(context.new_page(), tally)
        if email is not None:
            visitor.login(email)
        return visitor

    return open_as


# --- the server side ---------------------------------------------------------------------------------------------------


@pytest.fixture
def seed(live_server: str, database_url: str, signing_keys_dir: Any) -> Iterator[Flask]:
    """An app on the live server's database, for seeding through the services."""
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "e2e",
            "DATABASE_URL": database_url,
            "PASSWORD_HASH_PROFILE": "cheapest",
            "RATELIMIT_STORAGE_URI": "memory://",
            "CERT_KEYS_DIR": str(signing_keys_dir),
        }
    )
    yield app
    app.extensions["edu.db"].engine.dispose()


def register(name: str, email: str, *roles: str, licence: str | None = "PT-1", jurisdiction: str | None = "Testland") -> Any:
    from edu.auth import services as auth

    user = auth.register(
        name=name, email=email, password=PASSWORD, licence_number=licence, jurisdiction=jurisdiction, verified=True
    )
    for role in roles:
        auth.grant_role(user, role)
    return user


def chunks(items: list[Payload], size: int) -> list[list[Payload]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def packed(payloads: Iterable[Payload], code: str, limit: int, separator: str = " ") -> list[tuple[str, list[Payload]]]:
    """Payloads joined into values of at most `limit` characters, each with its marker: many payloads per field
    where the field takes them, so one page load shows many."""
    out: list[tuple[str, list[Payload]]] = []
    text, members = "", []
    for p in payloads:
        piece = marked(p, code)
        if len(piece) > limit:
            continue
        if members and len(text) + len(separator) + len(piece) > limit:
            out.append((text, members))
            text, members = "", []
        text = f"{text}{separator}{piece}" if members else piece
        members = [*members, p]
    if members:
        out.append((text, members))
    return out


# --- people, certificates and clinics ---------------------------------------------------------------------------------


def _spread(values: list[Any], count: int) -> list[Any]:
    """`count` items spread over `values`, first and last included."""
    if len(values) <= count:
        return values
    step = (len(values) - 1) / (count - 1)
    return [values[round(i * step)] for i in range(count)]


def test_people_certificates_clinics_and_what_comes_back_from_requests(
    seed: Flask, visitor: Callable[[str | None], Visitor], tally: Tally
) -> None:
    """Names, licence numbers and jurisdictions (on accounts and certificate snapshots), revocation and reissue
    reasons, clinic names and invited addresses, on every page that shows them to their owner, an administrator, a
    clinic or the public; and payloads sent in query strings and refused forms, which come back on the page."""
    from datetime import UTC, datetime, timedelta

    from edu.catalog import services as catalog
    from edu.certificates import issuance, records, revocation
    from edu.clinics import administration, invitations
    from edu.db import session
    from tests.certificate_helpers import mini, pass_everything

    names = packed(fitting(120, one_line=True), "nm", 120)
    licences = packed(fitting(60, one_line=True), "li", 60)
    jurisdictions = packed(fitting(80, one_line=True), "ju", 80)
    reasons = packed(PAYLOADS, "rr", 2000, "\n")
    reissue_reasons = packed(PAYLOADS, "ri", 2000, "\n")
    clinic_names = packed(fitting(120, one_line=True), "cn", 120)
    emails = packed(fitting(240, one_line=True), "ie", 240)
    learners: list[tuple[str, str, str]] = []
    """(email, certificate code, certificate public id) of each learner, in the order of `names`."""
    with seed.app_context():
        admin = register("Ada Admin", "admin@example.com", "admin")
        clinic_admin = register("Cleo Clinic", "clinic@example.com", "clinic_admin")
        main_clinic = administration.create_clinic(clinic_admin, "Main Street Physio")
        at = datetime.now(UTC) - timedelta(days=30)
        course = mini()
        for n, (name, members) in enumerate(names):
            licence = licences[n] if n < len(licences) else None
            jurisdiction = jurisdictions[n] if n < len(jurisdictions) else None
            learner = register(
                name,
                f"learner{n}@example.com",
                licence=licence[0] if licence else None,
                jurisdiction=jurisdiction[0] if jurisdiction else None,
            )
            tally.store("nm", members)
            tally.store("li", licence[1] if licence else [])
            tally.store("ju", jurisdiction[1] if jurisdiction else [])
            catalog.enrol(learner, course)
            for key in ("first", "second"):
                catalog.complete_lesson(learner, course, key)
            pass_everything(learner.id, at)
            issued = issuance.issue_if_complete(learner, course, now=at + timedelta(hours=1))
            assert issued.certificate is not None
            learners.append((learner.email, issued.certificate.code, issued.certificate.public_id))
            invitation = invitations.invite(clinic_admin, main_clinic, learner.email)
            invitations.respond_by_id(learner, invitation.link.id, accept=True)
        # Revocation reasons, many payloads to a reason, on the first certificates; reissue reasons on the next.
        for (reason, members), (_, _, public_id) in zip(reasons, learners, strict=False):
            revocation.revoke(admin, records.by_public_id(public_id), "other", reason)
            tally.store("rr", members)
        for (reason, members), (_, _, public_id) in zip(reissue_reasons, learners[len(reasons) :], strict=False):
            revocation.reissue(admin, records.by_public_id(public_id), reason)
            tally.store("ri", members)
        # Clinics named with payloads invite the first learner (who sees their names on the invitations page, and
        # the administrator in the outbox), and addresses that only the service's "@" check stands between.
        owner_email = learners[0][0]
        for name, members in clinic_names:
            other = administration.create_clinic(clinic_admin, name)
            invitation = invitations.invite(clinic_admin, other, owner_email)
            invitations.send_invitation(other, invitation, "http://127.0.0.1/clinics/join/x", clinic_admin)
            tally.store("cn", members)
        for address, members in emails:
            invitations.invite(clinic_admin, main_clinic, f"{address}@example.com")
            tally.store("ie", members)
        slug = main_clinic.slug
        session.commit()

    every_name = {("nm", p.number) for _, members in names for p in members}
    every_clinic = {("cn", p.number) for _, members in clinic_names for p in members}
    public = visitor(None)
    for n, (_, code, _) in _spread(list(enumerate(learners)), 8):
        public.visit(f"/verify/{code}", literal={"nm"}, expect={("nm", p.number) for p in names[n][1]})
    # What comes back from a request: a code in the query (refused by the form's length or shape) or in the path.
    for text, members in _spread(packed(PAYLOADS, "vq", 80), 4):
        public.visit(f"/verify?code={quote(text)}", expect={("vq", p.number) for p in members})
        tally.store("vq", members)
    for text, members in _spread(packed([p for p in PAYLOADS if "/" not in p.text], "vp", 60), 4):
        public.visit(f"/verify/{quote(text, safe='')}", literal={"vp"}, expect={("vp", p.number) for p in members})
        tally.store("vp", members)
    # A registration refused for its address shows every field back; a registration that works greets by name.
    for (name, named), (licence, licensed), (place, placed), (address, addressed) in zip(
        _spread(names, 2),
        _spread(licences, 2),
        _spread(jurisdictions, 2),
        _spread(packed(fitting(200, one_line=True), "rf", 200), 2),
        strict=True,
    ):
        public.page.goto("/register")
        public.page.get_by_label("Full name (as it should appear on certificates)").fill(name)
        public.page.get_by_label("Email").fill(address)
        public.page.get_by_label("Licence number (optional)").fill(licence)
        public.page.get_by_label("Licensing jurisdiction (optional)").fill(place)
        public.page.get_by_label("Password", exact=True).fill("a long passphrase")
        public.page.get_by_label("Repeat password").fill("a long passphrase")
        with public.page.expect_navigation():
            public.page.get_by_role("button", name="Create account").click()
        public.audit(expect={(code, p.number) for code, ps in (("nm", named), ("li", licensed), ("ju", placed)) for p in ps})
        tally.store("rf", addressed)
    public.page.get_by_label("Email").fill("robin@example.com")
    public.page.get_by_label("Password", exact=True).fill("a long passphrase")
    public.page.get_by_label("Repeat password").fill("a long passphrase")
    with public.page.expect_navigation():
        public.page.get_by_role("button", name="Create account").click()
    public.audit(literal={"nm"}, expect={("nm", p.number) for p in _spread(names, 2)[-1][1]})

    site_admin = visitor("admin@example.com")
    site_admin.visit("/admin/users", literal={"nm"}, expect=every_name)
    site_admin.visit("/admin/certificates", literal={"nm"})  # the newest fifty
    site_admin.visit("/admin/outbox", literal={"cn"})  # the newest messages
    for _, _, public_id in learners[: len(reasons) + len(reissue_reasons)]:
        site_admin.visit(f"/admin/certificates/{public_id}", literal={"nm", "li", "ju"})
    for path in ("/admin/users", "/admin/certificates"):
        for text, members in _spread(packed(PAYLOADS, "sq", 100), 3):
            site_admin.visit(f"{path}?q={quote(text)}", expect={("sq", p.number) for p in members})
            tally.store("sq", members)

    owner = visitor(owner_email)
    owner.visit("/account", expect={("nm", p.number) for p in names[0][1]})
    owner.visit("/certificates", literal={"nm"})
    owner.visit("/transcript", literal={"nm", "li", "ju"}, expect={("nm", p.number) for p in names[0][1]})
    owner.visit("/clinics/invitations", literal={"cn"}, expect=every_clinic)

    clinic = visitor("clinic@example.com")
    clinic.visit("/clinics/", literal={"cn"}, expect=every_clinic)
    clinic.visit(f"/clinics/{slug}", literal={"nm"}, expect=every_name)
    for text, members in _spread(packed(PAYLOADS, "sq", 100), 3):
        clinic.visit(f"/clinics/{slug}?q={quote(text)}", expect={("sq", p.number) for p in members})
    every_address = {("ie", p.number) for _, members in emails for p in members}
    clinic.visit(f"/clinics/{slug}/staff", literal={"nm"}, expect=every_name | every_address)
    clinic.page.get_by_label("Staff member's email").fill(emails[0][0])
    with clinic.page.expect_navigation():
        clinic.page.get_by_role("button", name="Send invitation").click()
    clinic.audit(expect={("ie", p.number) for p in emails[0][1]})
    clinic.page.goto(f"/clinics/{slug}/verify")
    clinic.page.get_by_label("Certificate codes").fill("\n".join(code for _, code, _ in learners))
    with clinic.page.expect_navigation():
        clinic.page.get_by_role("button", name="Check").first.click()
    clinic.audit(literal={"nm"}, expect=every_name)

    tally.assert_clean()


# --- question banks, imports, quizzes, attempts and what instructors see of them -------------------------------------

ROUND = 12
"""Options, matching pairs and ordering items a question holds at most: one round of payloads per question."""
ROUNDS = chunks(list(PAYLOADS), ROUND)
ONE_LINE = [p for p in PAYLOADS if p.text.strip() == p.text and not any(c in p.text for c in "\n\r\x0b\x0c\u2028")]


@dataclass
class Built:
    """A question's data and the payloads its prompt (and rationale, and wrong-answer feedback) carries."""

    data: dict[str, Any]
    members: list[Payload]

    @property
    def key(self) -> str:
        return str(self.data["id"])


def _blocks(payloads: Iterable[Payload], code: str) -> str:
    return "\n\n".join(marked_block(p, code) for p in payloads)


def build_questions(
    tally: Tally,
    prefix: str = "",
    kinds: Iterable[str] = ("multiple", "matching", "ordering", "numeric"),
    every_round: Iterable[str] = ("multiple", "matching", "ordering", "numeric"),
    shorts: int = 6,
) -> list[Built]:
    """Questions holding the payloads in every field their type has: each round of twelve payloads fills the options,
    pairs or items of one question, and its prompt, rationale and wrong-answer feedback (Markdown, one block per
    payload); a short-answer question takes `shorts` accepted answers (0: none). Kinds not in `every_round` get the
    first round only; a single-answer and a true/false question carry the first round too."""
    kinds, every_round = list(kinds), set(every_round)
    out: list[Built] = []
    letters = "abcdefghijkl"

    def common(key: str, kind: str, members: list[Payload]) -> dict[str, Any]:
        named = packed([p for p in members if p in ONE_LINE], "qn", 300, " | ")
        for code in ("pr", "ra", "fw"):
            tally.store(code, members)
        data: dict[str, Any] = {"id": f"{prefix}{key}", "type": kind, "prompt": _blocks(members, "pr")}
        data["rationale"], data["feedback_wrong"] = _blocks(members, "ra"), _blocks(members, "fw")
        if named:
            data["name"] = named[0][0]
            tally.store("qn", named[0][1])
        return data

    for r, members in enumerate(ROUNDS):
        pad = members + list(PAYLOADS[: max(0, 2 - len(members))])  # the last round may hold a single payload
        for kind in kinds:
            if r and kind not in every_round:
                continue
            data = common(f"{kind}-{r:02d}", kind, members)
            if kind == "multiple":
                data["options"] = [
                    {"id": letters[i], "text": marked(p, "ot"), "correct": i % 2 == 0, "feedback": marked(p, "of")}
                    for i, p in enumerate(pad)
                ]
                tally.store("ot", pad)
                tally.store("of", pad)
            elif kind == "matching":
                data["pairs"] = [
                    {"id": letters[i], "prompt": marked(p, "pp"), "answer": marked(p, "pa")} for i, p in enumerate(pad)
                ]
                data["extra_answers"] = [marked(p, "ea") for p in members]
                for code, payloads in (("pp", pad), ("pa", pad), ("ea", members)):
                    tally.store(code, payloads)
            elif kind == "ordering":
                data["items"] = [{"id": letters[i], "text": marked(p, "oi")} for i, p in enumerate(pad)]
                tally.store("oi", pad)
            elif kind == "numeric":
                data["answer"], data["tolerance"] = 2.5, 0.5
                units = packed([p for p in members if p in ONE_LINE], "un", 300, " | ")
                if units:
                    data["unit"] = units[0][0]
                    tally.store("un", units[0][1])
            out.append(Built(data, members))
    if shorts:
        for k, members in enumerate(chunks(list(PAYLOADS), shorts)):
            data = common(f"short-{k:02d}", "short_answer", members)
            data["accepted"] = [marked(p, "ac") for p in members]
            tally.store("ac", members)
            out.append(Built(data, members))
    first = ROUNDS[0]
    single = common("single-00", "single", first)
    single["options"] = [
        {"id": letters[i], "text": marked(p, "ot"), "correct": i == 0, "feedback": marked(p, "of")} for i, p in enumerate(first)
    ]
    true_false = common("true-false-00", "true_false", first)
    true_false["answer"] = True
    return [*out, Built(single, first), Built(true_false, first)]


def _escape_xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text, {'"': "&quot;"})


def import_files(tally: Tally) -> list[tuple[str, str, bytes, list[Built]]]:
    """(format label, file name, content, questions it holds) for GIFT, Moodle XML, Aiken and a YAML bank.

    Each file is written by our own exporter from questions full of payloads (so every field the format carries
    holds them), then a hand-written hostile part follows: payloads in names, ids, tags and categories, raw HTML
    prompts, and entries no reader accepts, whose problems the import report shows."""
    from edu.banks import services as banks
    from edu.content import model
    from edu.interchange import write_aiken, write_gift, write_moodle_xml, write_yaml_bank
    from edu.interchange.gift import gift_limitation

    def models(built: list[Built]) -> list[model.Question]:
        return [banks.validate_question(b.data) for b in built]

    category = packed(ONE_LINE, "ca", 300, " | ")[0]
    a, b, c = PAYLOADS[0], PAYLOADS[10], PAYLOADS[110]  # a script tag, an image handler, an attribute breakout
    assert c.text.startswith('"><svg')
    files: list[tuple[str, str, bytes, list[Built]]] = []

    gift_questions = [  # the few GIFT cannot write are left out by the exporter, with a comment saying why
        q
        for q in build_questions(tally, "gift-", ("multiple", "matching", "ordering", "numeric"), ("multiple",), 0)
        if gift_limitation(banks.validate_question(q.data)) is None
    ]
    gift = write_gift(models(gift_questions), category=category[0])
    gift += (
        f"\n\n$CATEGORY: $course$/{marked(b, 'ca')}\n\n"
        f"// [id:{a.text}] [tag:{b.text}] [tag:{marked(c, 'tg')}]\n"
        f"::{marked(a, 'qn')}::[html]{marked(b, 'pr')}{{=right#{marked(c, 'of')} ~wrong#{marked(a, 'of')}}}\n\n"
        f"::{marked(c, 'qn')}::{marked(a, 'pr')}{{}}\n"
    )
    files.append(("GIFT", "payloads.gift", gift.encode(), gift_questions))

    xml_questions = build_questions(tally, "xml-", ("multiple", "matching", "ordering", "numeric"), ("multiple",), 0)
    xml = write_moodle_xml(models(xml_questions), category=category[0]).decode()
    extra = (
        f'<question type="category"><category><text>$course$/{_escape_xml(marked(b, "ca"))}</text></category></question>'
        f'<question type="multichoice"><name><text>{_escape_xml(marked(a, "qn"))}</text></name>'
        f'<questiontext format="html"><text>{_escape_xml(marked(b, "pr"))}</text></questiontext>'
        f"<idnumber>{_escape_xml(a.text)}</idnumber><single>true</single>"
        f"<tags><tag><text>{_escape_xml(b.text)}</text></tag><tag><text>{_escape_xml(marked(c, 'tg'))}</text></tag></tags>"
        f'<answer fraction="100" format="html"><text>{_escape_xml(marked(c, "ot"))}</text>'
        f'<feedback format="html"><text>{_escape_xml(marked(a, "of"))}</text></feedback></answer>'
        f'<answer fraction="0" format="html"><text>{_escape_xml(marked(b, "ot"))}</text></answer></question>'
        f'<question type="essay"><name><text>{_escape_xml(marked(c, "qn"))}</text></name>'
        f'<questiontext format="html"><text>{_escape_xml(marked(a, "pr"))}</text></questiontext></question>'
    )
    xml = xml.replace("</quiz>", extra + "</quiz>")
    files.append(("Moodle XML", "payloads.xml", xml.encode(), xml_questions))

    aiken_questions: list[Built] = []
    for r, members in enumerate(ROUNDS):
        line = [p for p in members if p in ONE_LINE and not p.text.startswith(("ANSWER", "A)", "A."))]
        if len(line) < 2:
            continue
        data = {
            "id": f"aiken-{r:02d}",
            "type": "single",
            "prompt": " ".join(marked(p, "pr") for p in line),
            "options": [{"id": f"o{i}", "text": marked(p, "ot"), "correct": i == 0} for i, p in enumerate(line)],
        }
        tally.store("pr", line)
        tally.store("ot", line)
        aiken_questions.append(Built(data, line))
    aiken = write_aiken(models(aiken_questions))
    aiken += f"\n{marked(a, 'pr')}\nA) {marked(b, 'ot')}\nB) {marked(c, 'ot')}\nANSWER: {b.text}\n"
    files.append(("Aiken", "payloads.txt", aiken.encode(), aiken_questions))

    yaml_questions = build_questions(tally, "yaml-", ("multiple", "matching", "ordering", "numeric"), ("multiple",), 0)
    text = write_yaml_bank("payloads", category[0], models(yaml_questions))
    text += (
        f"  - id: {json_string(a.text)}\n    type: single\n    name: {json_string(marked(c, 'qn'))}\n"
        f"    tags: [{json_string(b.text)}, {json_string(marked(c, 'tg'))}]\n    prompt: {json_string(marked(b, 'pr'))}\n"
        f"    options:\n      - {{id: a, text: {json_string(marked(a, 'ot'))}, correct: true}}\n"
        f"      - {{id: b, text: {json_string(marked(c, 'ot'))}}}\n"
    )
    files.append(("YAML bank", "payloads.yaml", text.encode(), yaml_questions))
    tally.store("ca", category[1])
    return files


def json_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    import json

    return json.dumps(text)


def lesson_payloads() -> list[Payload]:
    """All but the Markdown images: the course loader refuses a figure that is not a file of the course, so those
    never reach a lesson."""
    return [p for p in PAYLOADS if "![" not in p.text]


def payload_course(app: Flask, tmp_path: Path, tally: Tally) -> Any:
    """The mini course again as "payloads", its first lesson followed by every payload, synced like any course."""
    from sqlalchemy import select

    from edu.catalog.models import Course
    from edu.db import session
    from tests.conftest import MINI_COURSE, sync_folder

    folder = tmp_path / "payloads"
    shutil.copytree(MINI_COURSE, folder)
    course_file = folder / "course.yaml"
    course_file.write_text(course_file.read_text().replace("id: mini", "id: payloads", 1))
    lesson = folder / "modules" / "basics" / "lessons" / "01-first.md"
    accepted = lesson_payloads()
    lesson.write_text(lesson.read_text() + "\n\n" + _blocks(accepted, "le") + "\n")
    tally.store("le", accepted)
    sync_folder(app, folder)
    return session.scalar(select(Course).where(Course.slug == "payloads"))


def test_banks_imports_quizzes_attempts_reviews_and_gradebooks(
    seed: Flask, visitor: Callable[[str | None], Visitor], tally: Tally, tmp_path: Path
) -> None:
    """Every field of every question type, authored and imported in each format, bank and quiz titles, feedback
    bands and accommodation notes: through the bank pages, the question editor and its live preview, the import
    report, the learner's attempt and review, and every instructor page that shows a quiz, an attempt or a learner.
    The learner's short answers are typed into the attempt page."""
    from sqlalchemy import select

    from edu.auth.models import User
    from edu.banks import services as banks
    from edu.banks.models import Question, QuestionBank, QuestionVersion
    from edu.catalog import services as catalog
    from edu.db import session
    from edu.quizzes import assembly
    from edu.quizzes.accommodations import set_accommodation
    from edu.quizzes.models import REVIEW_PARTS
    from tests.certificate_helpers import mini

    questions = build_questions(tally)
    title_payload = next(p for p in PAYLOADS if p.text.startswith("</title>"))
    bank_titles = packed(PAYLOADS, "bt", 300, " | ")
    quiz_titles = packed(PAYLOADS, "qt", 300, " | ")
    notes = packed(PAYLOADS, "an", 300, " | ")
    names = packed(fitting(120, one_line=True), "nm", 120)
    answers = packed([p for p in fitting(300, one_line=True) if p in ONE_LINE], "sa", 300)
    bands = packed(PAYLOADS, "fb", 2000, "\n")
    shorts = [b for b in questions if b.data["type"] == "short_answer"]
    assert len(answers) <= len(shorts) and len(notes) <= len(quiz_titles) and len(bands) <= 12
    with seed.app_context():
        teacher = register("Tess Teacher", "teacher@example.com", "instructor", "admin")  # an admin teaches every course
        course = mini()
        for n, (name, members) in enumerate(names):  # a gradebook of learners named with payloads
            catalog.enrol(register(name, f"learner{n}@example.com"), course)
            tally.store("nm", members)
        bank = banks.create_bank(teacher, marked(title_payload, "bt"))
        for built in questions:
            banks.save_question(teacher, bank, banks.validate_question(built.data))
        for title, members in bank_titles:  # more banks, titled with payloads, for the bank list
            banks.create_bank(teacher, title)
            tally.store("bt", members)
        slug = bank.slug
        session.commit()

    # The bank pages, each question as the instructor previews it, and the editor with its live preview.
    teacher_tab = visitor("teacher@example.com")
    every_bank_title = {("bt", p.number) for _, members in bank_titles for p in members}
    teacher_tab.visit("/instructor/banks", literal={"bt"}, expect=every_bank_title)
    teacher_tab.visit(f"/instructor/banks/{slug}", literal={"bt"})
    for built in questions:
        if built.key.startswith("multiple-") or built.key.endswith("-00"):
            teacher_tab.visit(
                f"/instructor/banks/{slug}/questions/{built.key}",
                literal={"qn", "fw", "pp", "pa", "oi", "ac", "un"},
                expect={(code, p.number) for p in built.members for code in ("pr", "ra", "fw")},
            )
    for key in ("multiple-00", "matching-00", "ordering-00", "numeric-00", "short-00", "single-00", "true-false-00"):
        teacher_tab.page.goto(f"/instructor/banks/{slug}/questions/{key}/edit")
        # preview.js posts the form and puts the server's preview in the pane (or its problems: the editor keeps
        # distractors one to a line, so a multi-line one comes back split)
        teacher_tab.page.locator("#preview-pane .question-preview, #preview-pane .preview-problems").wait_for()
        teacher_tab.audit()
    with teacher_tab.page.expect_navigation():
        teacher_tab.page.get_by_role("button", name="Preview").click()  # the server's preview of the posted form
    teacher_tab.audit()
    teacher_tab.visit(f"/instructor/banks/{slug}/questions/multiple-00/history")

    # A bank created in the browser (its title comes back in the flash message), then every format imported into it.
    teacher_tab.page.goto("/instructor/banks")
    teacher_tab.page.get_by_label("Title").fill(marked(title_payload, "bt"))
    with teacher_tab.page.expect_navigation():
        teacher_tab.page.get_by_role("button", name="Create bank").click()
    teacher_tab.audit(literal={"bt"}, expect={("bt", title_payload.number)})
    imported: list[Built] = []
    for label, filename, content, built in import_files(tally):
        teacher_tab.page.get_by_label("File to import").set_input_files(
            {"name": filename, "mimeType": "text/plain", "buffer": content}
        )
        teacher_tab.page.get_by_label("Format").select_option(label=label)
        with teacher_tab.page.expect_navigation():
            teacher_tab.page.get_by_role("button", name="Check the file").click()
        report = teacher_tab.audit()
        assert ("pr", built[0].members[0].number) in report.pairs, f"the {label} report shows no prompt"
        with teacher_tab.page.expect_navigation():
            # "Import 3 questions", or "Import 3 and skip 1" when the file has what cannot be imported
            teacher_tab.page.get_by_role("button", name=re.compile(r"^Import \d+ (question|and skip)")).click()
        teacher_tab.audit(expect={("pr", built[0].members[0].number)})
        imported += built
    with seed.app_context():
        import_bank = session.scalar(
            select(QuestionBank).where(QuestionBank.source == "authored").order_by(QuestionBank.id.desc())
        )
        assert import_bank is not None and import_bank.title == marked(title_payload, "bt")
        stored = {
            key: str(data["prompt"])
            for key, data in session.execute(
                select(Question.key, QuestionVersion.data)
                .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
                .where(Question.bank_id == import_bank.id)
            )
        }
        import_slug = import_bank.slug
    with_ids = {b.key for b in imported if not b.key.startswith("aiken-")}  # Aiken has no ids: its come from prompts
    assert with_ids <= set(stored) and len(stored) > len(imported), sorted(with_ids - set(stored))[:5]
    first, hostile = marker(ROUNDS[0][0], "pr"), (marker(PAYLOADS[0], "pr"), marker(PAYLOADS[10], "pr"))
    for key, prompt in sorted(stored.items()):
        if key.endswith("multiple-00") or (key not in with_ids and any(m in prompt for m in (first, *hostile))):
            teacher_tab.visit(f"/instructor/banks/{import_slug}/questions/{key}", literal={"qn"})  # XML drops \f

    # One quiz of every question, authored and imported, taken by a learner named with a payload.
    with seed.app_context():
        teacher = session.scalar(select(User).where(User.email == "teacher@example.com"))
        taker = register(marked(title_payload, "nm"), "taker@example.com")
        course = mini()
        catalog.enrol(taker, course)
        every_question = list(session.scalars(select(Question.id).order_by(Question.id)))
        every_part = {moment: list(REVIEW_PARTS) for moment in ("after_submit", "after_pass", "after_last")}
        quiz = assembly.create_quiz(
            teacher,
            assembly.QuizSpec(
                title=marked(title_payload, "qt"),
                course_id=course.id,
                fixed=every_question,
                attempts_allowed=None,
                review=every_part,
                bands=[{"min": 20 * i, "text": text} for i, (text, _) in enumerate(bands)],
            ),
        )
        for _, members in bands:
            tally.store("fb", members)
        for n, (title, members) in enumerate(quiz_titles):  # more quizzes, titled with payloads, with accommodations
            titled = assembly.create_quiz(teacher, assembly.QuizSpec(title=title, course_id=course.id, fixed=every_question[:1]))
            tally.store("qt", members)
            if n < len(notes):
                set_accommodation(teacher, taker, titled, extra_attempts=1, note=notes[n][0])
                tally.store("an", notes[n][1])
        quiz_id, quiz_key = quiz.id, quiz.key
        session.commit()

    learner = visitor("taker@example.com")
    every_title = {("qt", p.number) for _, members in quiz_titles for p in members}
    learner.visit("/courses/mini", literal={"qt"}, expect=every_title)
    learner.visit(f"/courses/mini/modules/{quiz_key}/quiz", literal={"qt"})
    with learner.page.expect_navigation():
        learner.page.get_by_role("button", name="Start").click()
    # Prompts, options, matching prompts and ordering steps are Markdown (rendered like the bank's preview), not literal.
    prompts = {("pr", p.number) for p in ROUNDS[0]}
    learner.audit(literal={"qt"}, expect={("ot", p.number) for p in PAYLOADS} | prompts)
    # The first answer is typed (the autosave script sends it); the rest are set at once, then the form is saved.
    boxes = [(marker(b.members[0], "pr"), text) for (text, _), b in zip(answers, shorts, strict=False)]
    learner.page.locator("fieldset.question[data-type=short_answer]").filter(has_text=boxes[0][0]).locator(
        "input[type=text]"
    ).fill(boxes[0][1])
    learner.page.evaluate(
        """(boxes) => { for (const [prompt, text] of boxes) {
             const box = Array.from(document.querySelectorAll('fieldset.question[data-type=short_answer]'))
               .find((f) => f.querySelector('.prompt').textContent.includes(prompt));
             box.querySelector('input[type=text]').value = text; } }""",
        boxes[1:],
    )
    every_answer = {("sa", p.number) for _, members in answers for p in members}
    for _, members in answers:
        tally.store("sa", members)
    with learner.page.expect_navigation():
        learner.page.get_by_role("button", name="Save answers").click()
    learner.audit(expect=every_answer)
    with learner.page.expect_navigation():
        learner.page.get_by_role("button", name="Submit for grading").click()
    learner.audit()
    with learner.page.expect_navigation():
        learner.page.get_by_role("button", name="Submit for grading").click()
    learner.audit(literal={"ac", "sa", "qt"}, expect=every_answer | prompts)
    attempt_id = int(learner.page.url.rstrip("/").split("/")[-2])

    # A lesson: Markdown from the course files, rendered at sync with its figures resolved, then shown as stored.
    with seed.app_context():
        catalog.enrol(
            session.scalar(select(User).where(User.email == "taker@example.com")), payload_course(seed, tmp_path, tally)
        )
        session.commit()
    learner.visit("/courses/payloads/lessons/first", expect={("le", p.number) for p in lesson_payloads()})

    everyone = {("nm", p.number) for _, members in names for p in members}
    teacher_tab.visit("/instructor/quizzes/", literal={"qt"}, expect=every_title)
    teacher_tab.visit(f"/instructor/quizzes/{quiz_id}/gradebook", literal={"qt", "nm"})
    teacher_tab.visit("/instructor/quizzes/courses/mini/gradebook", literal={"qt", "nm"}, expect=everyone)
    teacher_tab.visit(f"/instructor/quizzes/attempts/{attempt_id}", literal={"nm", "qt", "sa"}, expect=every_answer)
    teacher_tab.visit(f"/instructor/quizzes/{quiz_id}/analysis", literal={"qt"})
    teacher_tab.visit(f"/instructor/quizzes/{quiz_id}/regrade")
    teacher_tab.visit(f"/instructor/quizzes/{quiz_id}/edit", expect={("fb", p.number) for p in PAYLOADS})
    teacher_tab.visit(
        "/instructor/quizzes/accommodations", literal={"an", "qt", "nm"}, expect={("an", p.number) for _, m in notes for p in m}
    )

    tally.assert_clean()
