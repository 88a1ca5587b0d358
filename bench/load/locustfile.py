"""The exam cycle as a locust user, for our app and for the bare one alike (the harness runs it headless).

Each simulated user is one seeded learner (logged in, enrolled, lesson read) and repeats, without pauses:
start -> attempt page -> save 20 answers -> confirm page -> submit -> review. Answers are chosen at random among
the options the page shows, so an attempt scores about 25% and fails (pass mark 70%): the certificate path, which a
learner takes once per course, is not part of the cycle. Our app saves each answer with its own JSON autosave
request (as quiz.js does, CSRF token in X-CSRFToken), or with BENCH_SAVE=form all 20 in one post of the plain form
(the page without JavaScript: "Submit for grading" saves, then asks to confirm); the bare app takes the 20 answers
in one request.

Environment (set by the harness): BENCH_LEARNERS (JSON, learners.py), BENCH_PHASE (warm, measure or count: sent to
the server in X-Bench-Step with the step's name, see ledger.py), BENCH_SAMPLES (where every request's and every
cycle's time is written when the run ends).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

SETUP = json.loads(Path(os.environ["BENCH_LEARNERS"]).read_text())
TARGET = SETUP["target"]
PHASE = os.environ.get("BENCH_PHASE", "measure")
SAVE = os.environ.get("BENCH_SAVE", "autosave")
OPTION = re.compile(r'name="q(\d+)" value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
samples: list[tuple[str, float, float, bool]] = []
"""(name, start time, milliseconds, succeeded) of every request, every app's save step and every cycle."""
_unassigned = list(SETUP["learners"])


@events.request.add_listener
def _sample(name: str, start_time: float, response_time: float, exception: Any = None, **_: Any) -> None:
    samples.append((name, start_time, response_time, exception is None))


@events.quitting.add_listener
def _write(**_: Any) -> None:
    Path(os.environ["BENCH_SAMPLES"]).write_text(json.dumps(samples))


class StepFailed(Exception):
    pass


class Learner(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        if not _unassigned:
            raise RuntimeError("more simulated users than seeded learners")
        self.me = _unassigned.pop(0)
        for cookie in self.me["cookies"]:
            self.client.cookiejar.set_cookie(
                create_cookie(cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"])
            )

    def step(self, name: str, method: str, path: str, expect: int, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        headers = {"X-Bench-Step": f"{PHASE}/{name}", **(headers or {})}
        with self.client.request(method, path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kw) as r:
            if r.status_code != expect:
                r.failure(f"{method} {path}: {r.status_code}, expected {expect}")
                raise StepFailed(name)
            r.success()
            return r

    def record(self, name: str, started: float, began: float, ok: bool) -> None:
        self.environment.events.request.fire(
            request_type="STEP", name=name, start_time=started, response_time=(time.perf_counter() - began) * 1000,
            response_length=0, exception=None if ok else StepFailed(name), context={},
        )  # fmt: skip

    @task
    def cycle(self) -> None:
        started, began = time.time(), time.perf_counter()
        ok = False
        try:
            self.one_cycle()
            ok = True
        except StepFailed:
            pass
        finally:
            self.record("cycle", started, began, ok)

    def one_cycle(self) -> None:
        me, token = self.me, self.me["csrf"]
        form = urlencode({"csrf_token": token})
        started = self.step("start", "POST", f"/quizzes/{me['quiz']}/start", 302, headers=FORM, data=form)
        attempt = urlsplit(started.headers.get("location", "")).path
        if not re.fullmatch(r"/attempts/\d+", attempt):
            raise StepFailed("start")
        page = self.step("attempt page", "GET", attempt, 200)
        options: dict[str, list[str]] = {}
        for slot, option in OPTION.findall(page.text or ""):
            options.setdefault(slot, []).append(option)
        if len(options) != 20:
            raise StepFailed("attempt page")
        answers = {slot: random.choice(choices) for slot, choices in options.items()}
        if TARGET == "app" and SAVE == "form":
            fields = {"csrf_token": token, "action": "finish", **{f"q{slot}": option for slot, option in answers.items()}}
            posted = self.step("save 20 answers", "POST", f"{attempt}/save", 302, headers=FORM, data=urlencode(fields))
            if urlsplit(posted.headers.get("location", "")).path != f"{attempt}/confirm":
                raise StepFailed("save 20 answers")
        elif TARGET == "app":
            save_started, save_began, saved = time.time(), time.perf_counter(), False
            try:
                for slot, option in answers.items():
                    self.step(
                        "autosave",
                        "POST",
                        f"{attempt}/answers/{slot}",
                        200,
                        headers={"X-CSRFToken": token},
                        json={"response": option},
                    )
                saved = True
            finally:
                self.record("save 20 answers", save_started, save_began, saved)
        else:
            self.step("save 20 answers", "POST", f"{attempt}/answers", 200, json={"responses": answers})
        self.step("confirm page", "GET", f"{attempt}/confirm", 200)
        submitted = self.step("submit", "POST", f"{attempt}/submit", 302, headers=FORM, data=form)
        if urlsplit(submitted.headers.get("location", "")).path != f"{attempt}/review":
            raise StepFailed("submit")
        self.step("review", "GET", f"{attempt}/review", 200)
