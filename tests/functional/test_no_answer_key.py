"""No response a learner can get while an attempt is open reveals its key, for every question type the app has.

Three ways of looking, each able to fail on its own:

* A search for secrets. Every key, feedback and rationale text in the bank carries the marker XKEYX (the numeric
  key is 7913.25 ± 0.0375), so a page, a JSON answer or a header that prints one is found by a plain substring
  search: every GET route of the URL map, the start, each autosave, the plain-form save and the confirm page,
  before and after answers are saved.
* A counterfactual. Every secret field of every question is changed (another option correct, the pairs matched
  differently, the steps in another order, other accepted answers, another number, other feedback and rationale)
  and every page is fetched again: it must be byte for byte the same, so nothing on it depends on the key however
  it is encoded (a class, an attribute, an order). Saving the right answer and saving a wrong one must get the same
  JSON, but for the time.
* The starting order of an ordering question, over many attempts: every arrangement occurs, the correct one and
  its reverse no more often than the others.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from edu.banks.models import QuestionVersion
from edu.banks.services import as_model
from edu.content import model
from edu.db import session
from edu.quizzes import attempts as attempts_module
from edu.quizzes import grading
from edu.quizzes.models import AttemptItem, Quiz
from tests.conftest import MINI_COURSE, csrf_token, login, post_form, sync_folder
from tests.functional.test_quiz_pages import autosave, enrol_and_read, form_fields, items_of, quiz_id, start

MARKER = "xkeyx"
NUMERIC_SECRETS = ("7913.25", "0.0375", "7913.2125", "7913.2875")
"""The numeric key, its tolerance and the bounds they make."""
CORRECTNESS_WORDS = ("correct", "rationale", "fraction", "feedback")
"""Words the attempt page, the confirm page and the autosave JSON have no reason to contain."""

BANK = """bank: {id: basics, title: Basics bank}
questions:
  - id: q-single
    type: single
    objective: basics.one
    tags: [safety]
    prompt: Which landmark comes first?
    options:
      - {id: a, text: Landmark alpha, correct: true, feedback: XKEYX-single-feedback-a}
      - {id: b, text: Landmark bravo, feedback: XKEYX-single-feedback-b}
      - {id: c, text: Landmark cedar, feedback: XKEYX-single-feedback-c}
    rationale: XKEYX-single-rationale
    references: [ref-one]
  - id: q-multiple
    type: multiple
    objective: basics.one
    prompt: Which two needles fit?
    options:
      - {id: a, text: Needle alpha, correct: true, feedback: XKEYX-multiple-feedback-a}
      - {id: b, text: Needle bravo, correct: true, feedback: XKEYX-multiple-feedback-b}
      - {id: c, text: Needle cedar, feedback: XKEYX-multiple-feedback-c}
      - {id: d, text: Needle delta, feedback: XKEYX-multiple-feedback-d}
    rationale: XKEYX-multiple-rationale
    references: [ref-one]
  - id: q-tf
    type: true_false
    objective: basics.two
    prompt: The needle is reused between patients.
    answer: false
    feedback_wrong: XKEYX-true-false-feedback
    rationale: XKEYX-true-false-rationale
    references: [ref-one]
  - id: q-match
    type: matching
    objective: basics.two
    prompt: Match each muscle to its action.
    pairs:
      - {id: p1, prompt: Muscle alpha, answer: Action north}
      - {id: p2, prompt: Muscle bravo, answer: Action south}
      - {id: p3, prompt: Muscle cedar, answer: Action east}
    extra_answers: [Action west]
    feedback_wrong: XKEYX-matching-feedback
    rationale: XKEYX-matching-rationale
    references: [ref-one]
  - id: q-order
    type: ordering
    objective: basics.two
    prompt: Put the steps in order.
    items:
      - {id: s1, text: Step alpha}
      - {id: s2, text: Step bravo}
      - {id: s3, text: Step cedar}
    feedback_wrong: XKEYX-ordering-feedback
    rationale: XKEYX-ordering-rationale
    references: [ref-one]
  - id: q-short
    type: short_answer
    objective: basics.one
    prompt: Name the layer under the skin.
    accepted: [XKEYX-short-accepted-one, XKEYX-short-accepted-two]
    feedback_wrong: XKEYX-short-answer-feedback
    rationale: XKEYX-short-answer-rationale
    references: [ref-one]
  - id: q-numeric
    type: numeric
    objective: basics.two
    prompt: How deep, in millimetres?
    answer: 7913.25
    tolerance: 0.0375
    unit: mm
    feedback_wrong: XKEYX-numeric-feedback
    rationale: XKEYX-numeric-rationale
    references: [ref-one]
"""
QUESTIONS = BANK.count("  - id: ")
WRONG: dict[str, Any] = {
    "single": "b",
    "multiple": ["c"],
    "true_false": True,
    "matching": {"p1": "Action west"},
    "ordering": ["s3", "s2", "s1"],
    "short_answer": "dermis",
    "numeric": "12",
}
"""A wrong response of each type (the ordering one is wrong only while s1 is first in the key)."""


def course_with_every_type(tmp_path: Path) -> Path:
    """The mini course whose module quiz asks one question of every type, with up to 50 attempts."""
    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    (copy / "modules/basics/questions.yaml").write_text(BANK)
    module = copy / "modules/basics/module.yaml"
    module.write_text(
        module.read_text().replace("questions: 3", f"questions: {QUESTIONS}").replace("attempts: 2", "attempts: 50")
    )
    return copy


@dataclass
class Learner:
    client: FlaskClient
    attempt_id: int
    items: dict[str, tuple[int, Any]]
    """type -> (slot, key response)"""
    failed: int
    """An earlier attempt, answered wrongly and graded: its review is open while the new attempt is."""


QUIZ_PAGE = "/courses/mini/modules/basics/quiz"


@pytest.fixture
def taking(app: Flask, make_user: Callable[..., int], tmp_path: Path) -> Learner:
    """A learner who failed a first attempt and has a second in progress, each asking one question of every type."""
    sync_folder(app, course_with_every_type(tmp_path))
    make_user("learner@example.com")
    enrol_and_read(app)
    client = app.test_client()
    assert login(client, "learner@example.com").status_code == 302
    failed = start(client, app)
    token = csrf_token(client, f"/attempts/{failed}")
    for slot, kind, _key in items_of(app, failed):
        assert autosave(client, failed, slot, WRONG[kind], token).status_code == 200
    submitted = post_form(client, f"/attempts/{failed}/submit", page=QUIZ_PAGE)
    assert submitted.status_code == 302
    client.get(submitted.headers["Location"])  # as a browser does: the review shows (and uses up) the flash message
    attempt_id = start(client, app)
    items = {kind: (slot, key) for slot, kind, key in items_of(app, attempt_id)}
    return Learner(client, attempt_id, items, failed)


def test_the_bank_asks_one_question_of_every_type_the_app_supports():
    """A question type added to the model without a question here fails, so the scans below cover it."""
    asked = re.findall(r"^    type: (\w+)$", BANK, flags=re.MULTILINE)
    assert sorted(asked) == sorted(model.QUESTION_TYPES)


# --- what a learner can fetch -----------------------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def learner_urls(app: Flask, learner: Learner) -> Iterator[str]:
    """Every GET route of the URL map, filled with the learner's own values where it takes one (each attempt, the
    course, its module and lesson); a route about someone else's objects answers 403 or 404 and is searched too."""
    values = {"slug": "mini", "slot": "1", "quiz_id": str(quiz_id(app))}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint == "static":
            yield from ("/static/js/quiz.js", "/static/js/preview.js", "/static/css/app.css")
            continue
        for attempt_id in (learner.attempt_id, learner.failed) if "attempt_id" in rule.arguments else (None,):
            here = {
                **values,
                "attempt_id": str(attempt_id),
                "key": "basics" if rule.endpoint == "quizzes.module_quiz" else "first",
            }
            yield _ARGUMENT.sub(lambda m, here=here: here.get(m.group(2), "1" if m.group(1) == "int" else "x"), rule.rule)


def secrets_in(response: Any) -> list[str]:
    """The secrets a response shows, in its body or its headers."""
    text = text_of(response) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    response.close()
    folded = text.lower()
    found = [m.group(0) for m in re.finditer(rf"{MARKER}[\w-]*", folded)]
    return found + [s for s in NUMERIC_SECRETS if s in text]


def text_of(response: Any) -> str:
    """The body as text, whatever it is (a PDF or an image too: a secret in it would still be ASCII)."""
    return str(response.get_data().decode("utf-8", errors="replace"))


def correctness_words_in(response: Any) -> list[str]:
    folded = text_of(response).lower()
    return [w for w in CORRECTNESS_WORDS if w in folded]


@dataclass
class Scan:
    responses: int = 0
    leaks: list[str] | None = None

    def __post_init__(self) -> None:
        self.leaks = []

    def check(self, what: str, response: Any, *, strict: bool = False) -> Any:
        """Search one response; `strict` also refuses words about correctness (attempt, confirm, autosave)."""
        assert self.leaks is not None
        self.responses += 1
        found = secrets_in(response) + (correctness_words_in(response) if strict else [])
        if found:
            self.leaks.append(f"{what}: {sorted(set(found))}")
        return response


def scan_pages(app: Flask, learner: Learner, scan: Scan, when: str) -> None:
    for url in learner_urls(app, learner):
        strict = url.split("?")[0] in (f"/attempts/{learner.attempt_id}", f"/attempts/{learner.attempt_id}/confirm")
        scan.check(f"{when} GET {url}", learner.client.get(url), strict=strict)


def test_no_response_reveals_the_key_while_the_attempt_is_open(app, taking, capsys):
    """Every route, every autosave and plain-form save (wrong answers, then right ones), the confirm page."""
    learner, scan = taking, Scan()
    assert set(learner.items) == set(model.QUESTION_TYPES)
    scan_pages(app, learner, scan, "before saving")
    token = csrf_token(learner.client, f"/attempts/{learner.attempt_id}")
    for kind, (slot, key) in sorted(learner.items.items()):
        for label, response in (("right", key), ("wrong", WRONG[kind])):  # the wrong one last: pages echo what is saved
            saved = scan.check(
                f"autosave {kind} {label}", autosave(learner.client, learner.attempt_id, slot, response, token), strict=True
            )
            assert saved.status_code == 200 and saved.get_json()["saved"] is True, (kind, label, saved.get_json())
    scan_pages(app, learner, scan, "after autosave")
    fields: dict[str, Any] = {}
    for kind, (slot, key) in learner.items.items():  # typed answers stay wrong: the page shows what the learner typed
        fields |= form_fields(slot, kind, WRONG[kind] if kind in ("short_answer", "numeric") else key)
    page = f"/attempts/{learner.attempt_id}"
    for action in ("save", "finish"):
        saved = post_form(learner.client, f"/attempts/{learner.attempt_id}/save", {**fields, "action": action}, page=page)
        scan.check(f"plain form {action}", saved)
        assert saved.status_code == 302
        scan.check(
            f"after plain form {action}: {saved.headers['Location']}", learner.client.get(saved.headers["Location"]), strict=True
        )
    scan_pages(app, learner, scan, "after the plain form")
    with app.app_context():
        states = session.scalars(select(AttemptItem.response).where(AttemptItem.attempt_id == learner.attempt_id)).all()
    assert all(state is not None for state in states), "every answer was saved, and the attempt is still open"
    with capsys.disabled():
        print(
            f"\nno-key scan: {len(learner.items)} question types, {scan.responses} responses searched, {len(scan.leaks or [])} leaks"
        )
    assert scan.leaks == []


# --- the counterfactual -----------------------------------------------------------------------------------------------


def another_key(data: dict[str, Any]) -> dict[str, Any]:
    """The same question as the learner sees it (prompt, options, pairs, answer list, steps, unit) with every secret
    changed: the key, every feedback, the rationale."""
    changed = {**data, "rationale": f"{MARKER}-other-rationale"}
    if "feedback_wrong" in data:
        changed["feedback_wrong"] = f"{MARKER}-other-feedback"
    kind = data["type"]
    if kind in ("single", "multiple"):
        options = data["options"]
        if kind == "single":
            flags = [o["id"] == options[-1]["id"] for o in options]  # the last option instead
        else:
            flags = [not o.get("correct", False) for o in options]  # the other options
        changed["options"] = [
            {**o, "correct": flag, "feedback": f"{MARKER}-other-{o['id']}"} for o, flag in zip(options, flags, strict=True)
        ]
    elif kind == "true_false":
        changed["answer"] = not data["answer"]
    elif kind == "matching":
        answers = [p["answer"] for p in data["pairs"]]
        rotated = answers[1:] + answers[:1]
        changed["pairs"] = [{**p, "answer": a} for p, a in zip(data["pairs"], rotated, strict=True)]
    elif kind == "ordering":
        changed["items"] = list(reversed(data["items"]))
    elif kind == "short_answer":
        changed["accepted"] = [f"{MARKER}-other-accepted"]
    elif kind == "numeric":
        changed["answer"], changed["tolerance"] = 1234.5, 2.0
    else:  # pragma: no cover - the bank test above keeps the types in step
        raise AssertionError(f"no other key written for {kind}")
    model_check = as_model(changed)  # still a valid question
    assert model_check.type == kind
    return changed


def change_every_key(app: Flask, attempt_id: int) -> None:
    with app.app_context():
        versions = session.scalars(
            select(QuestionVersion)
            .join(AttemptItem, AttemptItem.question_version_id == QuestionVersion.id)
            .where(AttemptItem.attempt_id == attempt_id)
        ).all()
        for version in versions:
            version.data = another_key(dict(version.data))
            flag_modified(version, "data")
        session.commit()


_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def page_texts(app: Flask, learner: Learner) -> dict[str, tuple[int, str]]:
    """Every learner page (status and body), with the CSRF token (new on each request) blanked out."""
    found = {}
    for url in learner_urls(app, learner):
        response = learner.client.get(url)
        if response.mimetype != "application/pdf":  # stamped with the time it was made; nothing of an attempt in it
            found[url] = (response.status_code, _CSRF.sub(r"\1\2", text_of(response)))
        response.close()
    return found


def test_no_page_changes_when_only_the_key_changes(app, taking):
    """Whatever a page does with the key (a class on the right option, a data attribute, an order), changing the key
    changes the page; no learner page may change."""
    learner = taking
    token = csrf_token(learner.client, f"/attempts/{learner.attempt_id}")
    for kind in ("single", "multiple", "ordering", "matching"):  # some answers saved, so pages show choices made
        slot, _key = learner.items[kind]
        assert autosave(learner.client, learner.attempt_id, slot, WRONG[kind], token).status_code == 200
    before = page_texts(app, learner)
    assert before == page_texts(app, learner), "the pages are stable when nothing changes"
    change_every_key(app, learner.attempt_id)
    after = page_texts(app, learner)
    differ = [url for url in before if before[url] != after[url]]
    assert differ == [], differ
    assert before[f"/attempts/{learner.attempt_id}"][0] == 200 and before[f"/attempts/{learner.attempt_id}/confirm"][0] == 200
    assert before[f"/attempts/{learner.failed}/review"][0] == 200


def test_saving_a_right_answer_and_a_wrong_one_get_the_same_reply(app, taking):
    learner = taking
    token = csrf_token(learner.client, f"/attempts/{learner.attempt_id}")
    for kind, (slot, key) in sorted(learner.items.items()):
        replies = []
        for response in (WRONG[kind], key):
            saved = autosave(learner.client, learner.attempt_id, slot, response, token)
            assert saved.status_code == 200, (kind, saved.get_json())
            body = saved.get_json()
            assert body.pop("saved_at")
            replies.append((saved.status_code, dict(saved.headers.items()).get("Content-Type"), body))
        assert replies[0] == replies[1], kind


# --- the starting order -----------------------------------------------------------------------------------------------


ATTEMPTS = 48


def test_an_ordering_question_starts_in_every_order_as_often_as_chance_says(app, taking, monkeypatch):
    """The attempt's seed fixed to 0, 1, 2, ... so the tally is the same on every run; with three steps each of the
    six orders is expected 8 times in 48 attempts, and a start that skipped the key, always reversed it or only
    rotated it would miss some."""
    learner = taking
    assert post_form(learner.client, f"/attempts/{learner.attempt_id}/submit", page=QUIZ_PAGE).status_code == 302
    seeds = iter(range(1, ATTEMPTS + 1))
    monkeypatch.setattr(attempts_module.secrets, "randbits", lambda bits: next(seeds))
    starts: Counter[tuple[str, ...]] = Counter()
    for _ in range(ATTEMPTS):
        attempt_id = start(learner.client, app)
        body = learner.client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        slot = next(s for s, kind, _ in items_of(app, attempt_id) if kind == "ordering")
        starts[tuple(re.findall(rf'<select id="q{slot}-(s\d)"', body))] += 1
        submitted = post_form(learner.client, f"/attempts/{attempt_id}/submit", page=QUIZ_PAGE)
        assert submitted.status_code == 302
    key, reverse = ("s1", "s2", "s3"), ("s3", "s2", "s1")
    assert sum(starts.values()) == ATTEMPTS and all(sorted(order) == sorted(key) for order in starts)
    assert len(starts) == 6, starts
    assert max(starts.values()) <= 2 * ATTEMPTS // 6 and min(starts.values()) >= 2, starts
    assert starts[key] < ATTEMPTS // 3 and starts[reverse] < ATTEMPTS // 3, starts


# --- the review under option_feedback ---------------------------------------------------------------------------------

CHOICE_FEEDBACK = {"xkeyx-single-feedback-b", "xkeyx-true-false-feedback"}
"""What a failed attempt's review may show of the secrets under option_feedback: the feedback of the wrong option
chosen (single) and the wrong answer's (true/false), whose keys the mark already gives away. Never the feedback of
another option, the rationale, a multiple-answer question's option feedback, the other types' feedback_wrong (often
the worked answer), an accepted answer or the numeric key."""


def same_mark_other_key(data: dict[str, Any]) -> dict[str, Any]:
    """The question with another key under which the WRONG response earns the same mark, and every secret changed
    but the feedback the review may show: a review that shows no more of the key than the mark cannot tell them apart."""
    changed = {**data, "rationale": f"{MARKER}-other-rationale"}
    kind = data["type"]
    if "feedback_wrong" in data and kind != "true_false":
        changed["feedback_wrong"] = f"{MARKER}-other-feedback"
    if kind in ("single", "multiple"):
        correct = {"single": {"c"}, "multiple": {"a", "d"}}[kind]  # b (single) and c (multiple) stay wrong
        changed["options"] = [
            {
                **o,
                "correct": o["id"] in correct,
                "feedback": o["feedback"] if o["id"] == "b" and kind == "single" else f"{MARKER}-other-{o['id']}",
            }
            for o in data["options"]
        ]
    elif kind == "matching":  # p1 still not "Action west"
        answers = [p["answer"] for p in data["pairs"]]
        changed["pairs"] = [{**p, "answer": a} for p, a in zip(data["pairs"], answers[1:] + answers[:1], strict=True)]
    elif kind == "ordering":  # s3, s2, s1 still has one step in place: a third of the mark
        by_id = {i["id"]: i for i in data["items"]}
        changed["items"] = [by_id["s3"], by_id["s1"], by_id["s2"]]
    elif kind == "short_answer":
        changed["accepted"] = [f"{MARKER}-other-accepted"]
    elif kind == "numeric":
        changed["answer"], changed["tolerance"] = 1234.5, 2.0
    question = as_model(changed)
    assert question.type == kind
    return changed


def test_the_review_under_option_feedback_shows_a_wrong_choices_feedback_and_nothing_of_the_key(app, taking):
    """The failed attempt's review, with the quiz's policy showing option feedback after every attempt: the only
    secrets on it are the chosen wrong option's feedback and the wrong true/false answer's, and changing every key to
    another one that gives the learner's answers the same marks (the feedback shown kept) changes nothing on it."""
    learner = taking
    with app.app_context():
        quiz = session.get(Quiz, quiz_id(app))
        assert quiz is not None
        quiz.review = {**quiz.review, "after_submit": [*quiz.review["after_submit"], "option_feedback"]}
        session.commit()
    review_url = f"/attempts/{learner.failed}/review"
    before = learner.client.get(review_url)
    assert before.status_code == 200
    assert set(secrets_in(before)) == CHOICE_FEEDBACK
    body = text_of(before)
    assert "feedback on a wrong option you chose" in body and "Correct answer" not in body

    with app.app_context():
        versions = session.scalars(
            select(QuestionVersion)
            .join(AttemptItem, AttemptItem.question_version_id == QuestionVersion.id)
            .where(AttemptItem.attempt_id == learner.failed)
        ).all()
        for version in versions:
            version.data = same_mark_other_key(dict(version.data))
            flag_modified(version, "data")
        session.commit()
        marks = {
            (i.question_version.data["type"], i.state)
            for i in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == learner.failed))
        }
    for kind, state in marks:  # the learner's answers earn the same marks under the other keys
        with app.app_context():
            item = session.scalar(
                select(AttemptItem)
                .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
                .where(AttemptItem.attempt_id == learner.failed, QuestionVersion.type == kind)
            )
            assert item is not None
            assert grading.grade(as_model(item.question_version.data), item.response).state == state, kind
    after = learner.client.get(review_url)
    assert _CSRF.sub(r"\1\2", text_of(after)) == _CSRF.sub(r"\1\2", body)


def test_option_feedback_is_never_shown_without_the_right_or_wrong_mark() -> None:
    """Feedback on a wrong choice says the choice was wrong: under a policy that hides right-or-wrong, showing it would
    give away what the review withholds (on a true/false question, the key itself)."""
    from edu.quizzes.models import Quiz
    from edu.quizzes.pages import review_parts

    hidden = Quiz(review={"after_submit": ["score", "option_feedback"]})
    assert review_parts(hidden, passed=False, attempts_left=2) == {"score"}
    marked = Quiz(review={"after_submit": ["score", "correctness", "option_feedback"]})
    assert review_parts(marked, passed=False, attempts_left=2) == {"score", "correctness", "option_feedback"}
