"""The bare baseline: a Flask + SQLAlchemy app doing only the SQL of each step of the exam cycle.

No login session, CSRF, security headers, rate limits or page layout: the learner is a plain cookie and each page
is a small template with the same form fields as ours, so the same load generator drives it. Per step:

- start: is an attempt in progress? the learner's last attempt number; insert the attempt; insert its 20 items
  (one statement);
- attempt page, confirm page: read the attempt and its items (with their questions);
- save 20 answers: one request, one UPDATE of the 20 items;
- submit: lock the attempt, read its items with their keys, grade, one UPDATE of the 20 scores, one of the attempt;
- review: read the attempt and its graded items.

    BENCH_BARE_DATABASE_URL=... gunicorn -c bench/load/gunicorn_conf.py bench.load.bare:app   # BENCH_TARGET=bare
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    create_engine,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from werkzeug.wrappers import Response as WerkzeugResponse

QUESTIONS = 20
metadata = MetaData()
questions = Table(
    "bare_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prompt", Text, nullable=False),
    Column("options", JSON, nullable=False),  # [[option id, text], ...]
    Column("key", String(10), nullable=False),
)
attempts = Table(
    "bare_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("learner_id", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(12), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("submitted_at", DateTime),
    Column("score", Float),
    Index("ix_bare_attempts_learner_state", "learner_id", "state"),
)
items = Table(
    "bare_items",
    metadata,
    Column("attempt_id", Integer, ForeignKey("bare_attempts.id"), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("question_id", Integer, ForeignKey("bare_questions.id"), nullable=False),
    Column("response", String(10)),
    Column("score", Float),
)


def make_engine(url: str) -> Engine:
    """The same engine options as the app's (edu/db.py): pre-ping on PostgreSQL, WAL and a busy timeout on SQLite."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def create_schema(url: str) -> None:
    """The tables and the 20 questions (four options each, keys spread over the positions)."""
    engine = make_engine(url)
    metadata.create_all(engine)
    rows = [
        {
            "id": n,
            "prompt": f"Bare question {n}: which option is right?",
            "options": [[letter, f"Option {letter.upper()} of question {n}"] for letter in "abcd"],
            "key": "abcd"[n % 4],
        }
        for n in range(1, QUESTIONS + 1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(questions), rows)
    engine.dispose()


PAGE = """<!doctype html><title>{{ title }}</title><h1>{{ title }}</h1>
{% if form %}<form method="post" action="{{ form }}">{% endif %}
{% for row in rows %}<fieldset data-slot="{{ row.slot }}"><legend>{{ row.prompt }}</legend>
{% for option_id, text in row.options %}<label><input type="radio" name="q{{ row.slot }}" value="{{ option_id }}"
{%- if row.response == option_id %} checked{% endif %}> {{ text }}</label>{% endfor %}
{% if row.score is not none %}<p>{{ 'Right' if row.score else 'Wrong' }}: the answer is {{ row.key }}.</p>{% endif %}
</fieldset>{% endfor %}
{% if form %}<button>{{ button }}</button></form>{% endif %}
{% if score is not none %}<p>Score: {{ '%.0f' % (score * 100) }}%</p>{% endif %}"""


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = make_engine(url)
    app.extensions["bare.engine"] = engine
    locking = engine.dialect.name == "postgresql"

    def learner() -> int:
        value = request.cookies.get("learner", "")
        if not value.isdigit():
            abort(403)
        return int(value)

    def own_attempt(connection: Any, attempt_id: int, *, lock: bool = False) -> Any:
        query = select(attempts).where(attempts.c.id == attempt_id, attempts.c.learner_id == learner())
        row = connection.execute(query.with_for_update() if lock and locking else query).first()
        if row is None:
            abort(404)
        return row

    def item_rows(connection: Any, attempt_id: int) -> list[Any]:
        query = (
            select(items.c.slot, items.c.response, items.c.score, questions.c.prompt, questions.c.options, questions.c.key)
            .join(questions, questions.c.id == items.c.question_id)
            .where(items.c.attempt_id == attempt_id)
            .order_by(items.c.slot)
        )
        return list(connection.execute(query))

    def page(title: str, rows: list[Any], form: str | None = None, button: str = "", score: float | None = None) -> str:
        return render_template_string(PAGE, title=title, rows=rows, form=form, button=button, score=score)

    @app.post("/quizzes/<int:quiz_id>/start")
    def start(quiz_id: int) -> WerkzeugResponse:
        who = learner()
        with engine.begin() as connection:
            running = connection.scalar(
                select(attempts.c.id).where(attempts.c.learner_id == who, attempts.c.state == "in_progress")
            )
            if running is None:
                last = connection.scalar(select(func.max(attempts.c.number)).where(attempts.c.learner_id == who))
                running = connection.execute(
                    insert(attempts)
                    .values(learner_id=who, number=(last or 0) + 1, state="in_progress", started_at=datetime.now(UTC))
                    .returning(attempts.c.id)
                ).scalar_one()
                order = random.sample(range(1, QUESTIONS + 1), QUESTIONS)
                connection.execute(
                    insert(items).values([{"attempt_id": running, "slot": s, "question_id": q} for s, q in enumerate(order, 1)])
                )
        return redirect(f"/attempts/{running}")

    @app.get("/attempts/<int:attempt_id>")
    def attempt(attempt_id: int) -> str | WerkzeugResponse:
        with engine.connect() as connection:
            if own_attempt(connection, attempt_id).state != "in_progress":
                return redirect(f"/attempts/{attempt_id}/review")
            return page("Attempt", item_rows(connection, attempt_id), f"/attempts/{attempt_id}/confirm", "Finish")

    @app.post("/attempts/<int:attempt_id>/answers")
    def save(attempt_id: int) -> tuple[Response, int]:
        chosen = {int(slot): str(option) for slot, option in (request.get_json(silent=True) or {}).get("responses", {}).items()}
        if not chosen:
            return jsonify(saved=0), 400
        mine = exists().where(attempts.c.id == attempt_id, attempts.c.learner_id == learner(), attempts.c.state == "in_progress")
        with engine.begin() as connection:
            saved = connection.execute(
                update(items)
                .where(and_(items.c.attempt_id == attempt_id, items.c.slot.in_(list(chosen)), mine))
                .values(response=case(chosen, value=items.c.slot))
            ).rowcount
        return jsonify(saved=saved), 200 if saved else 409

    @app.get("/attempts/<int:attempt_id>/confirm")
    def confirm(attempt_id: int) -> str | WerkzeugResponse:
        with engine.connect() as connection:
            if own_attempt(connection, attempt_id).state != "in_progress":
                return redirect(f"/attempts/{attempt_id}/review")
            return page("Submit?", item_rows(connection, attempt_id), f"/attempts/{attempt_id}/submit", "Submit")

    @app.post("/attempts/<int:attempt_id>/submit")
    def submit(attempt_id: int) -> WerkzeugResponse:
        with engine.begin() as connection:
            if own_attempt(connection, attempt_id, lock=True).state == "in_progress":
                scores = {row.slot: float(row.response == row.key) for row in item_rows(connection, attempt_id)}
                connection.execute(
                    update(items).where(items.c.attempt_id == attempt_id).values(score=case(scores, value=items.c.slot))
                )
                connection.execute(
                    update(attempts)
                    .where(attempts.c.id == attempt_id)
                    .values(state="graded", submitted_at=datetime.now(UTC), score=sum(scores.values()) / len(scores))
                )
        return redirect(f"/attempts/{attempt_id}/review")

    @app.get("/attempts/<int:attempt_id>/review")
    def review(attempt_id: int) -> str:
        with engine.connect() as connection:
            row = own_attempt(connection, attempt_id)
            return page("Review", item_rows(connection, attempt_id), score=row.score)

    return app


def warm(app: Flask) -> None:
    """As edu/warmup.py does for ours: the first connection and the template, before the worker serves."""
    with app.extensions["bare.engine"].connect() as connection:
        connection.execute(text("SELECT 1"))
    with app.test_request_context():
        render_template_string(PAGE, title="", rows=[], form=None, button="", score=None)


app = create_app(os.environ["BENCH_BARE_DATABASE_URL"]) if "BENCH_BARE_DATABASE_URL" in os.environ else None
