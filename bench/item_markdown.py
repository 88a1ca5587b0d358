"""CPU cost of rendering item Markdown on the learner's quiz pages: a 20-question attempt page and its review.

    python -m bench.item_markdown            # SQLite in a temporary folder

Three ways, in one process and run: item texts printed as typed (escaped, what the pages did before they rendered
Markdown), rendered on every request (the caches of edu.quizzes.pages cleared before each one), and rendered once
per text and kept (how the pages run). Figures are the median CPU milliseconds of the request (time.process_time,
test client, no network), and how many texts one page renders when nothing is cached. Rendering queries nothing:
the statement counts of these pages are tests/functional/test_exam_cycle_statements.py's.

A run on the 2-core development machine (SQLite, another test run beside it):

    attempt page                   CPU ms  texts rendered
    as typed (no Markdown)            6.9
    rendered on every request        16.3              99
    rendered once, cached             6.6

    review (every part shown)      CPU ms  texts rendered
    as typed (no Markdown)           12.6
    rendered on every request        20.7              65
    rendered once, cached            12.6
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from markupsafe import escape

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = 20
REPEAT = 60


def cpu_ms(operation: Callable[[], object], before: Callable[[], object] = lambda: None, repeat: int = REPEAT) -> float:
    """Median CPU milliseconds of `operation`; `before` runs ahead of each sample and is not counted."""
    for _ in range(3):
        before()
        operation()
    samples = []
    for _ in range(repeat):
        before()
        start = time.process_time()
        operation()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    from sqlalchemy import select

    from edu.application import create_app
    from edu.auth import services as auth
    from edu.auth.models import User
    from edu.banks.models import Question, QuestionBank
    from edu.banks.sync import sync_banks
    from edu.catalog import services as catalog
    from edu.catalog.sync import sync_course
    from edu.content import load_course
    from edu.db import Base, database, session
    from edu.quizzes import assembly, attempts, pages
    from edu.quizzes.models import REVIEW_PARTS
    from edu.quizzes.sync import sync_quizzes

    folder = tempfile.mkdtemp(prefix="bench-md-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        Base.metadata.drop_all(database().engine)
        Base.metadata.create_all(database().engine)
        content = load_course(ROOT / "courses" / "dry-needling").course
        assert content is not None
        synced = sync_course(content)
        sync_banks(synced.course, content)
        sync_quizzes(synced.course, content)
        teacher = auth.register(name="Bench Teacher", email="teacher@example.com", password="bench password 1")
        auth.grant_role(teacher, "admin")
        learner = auth.register(name="Bench Learner", email="bench@example.com", password="bench password 1")
        catalog.enrol(learner, synced.course)
        # Questions of every bank in turn (all the types the course has), each shown with every review part.
        ids = session.execute(select(Question.id, QuestionBank.slug).join(QuestionBank).order_by(Question.id)).all()
        by_bank: dict[str, list[int]] = {}
        for question_id, slug in ids:
            by_bank.setdefault(slug, []).append(question_id)
        fixed = [q for round_ in zip(*by_bank.values(), strict=False) for q in round_][:QUESTIONS]
        every_part = {moment: list(REVIEW_PARTS) for moment in ("after_submit", "after_pass", "after_last")}
        spec = assembly.QuizSpec(title="Bench", course_id=synced.course.id, fixed=fixed, attempts_allowed=None, review=every_part)
        quiz = assembly.create_quiz(teacher, spec)
        attempt = attempts.start_attempt(learner, quiz)
        attempt_id = attempt.id
        session.commit()
        user = session.scalar(select(User).where(User.email == "bench@example.com"))
        assert user is not None and len(attempt.items) == QUESTIONS

    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    client.post("/login", data={"csrf_token": token.group(1), "email": "bench@example.com", "password": "bench password 1"})
    page, review = f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/review"

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    caches = (pages.block_html, pages.inline_html, pages.plain_words_html)

    def clear() -> None:
        for cache in caches:
            cache.cache_clear()

    @contextmanager
    def as_typed() -> Iterator[None]:
        """The texts escaped and printed as written, as before Markdown was rendered on these pages."""
        saved = {c.__name__: c for c in caches}
        for name in saved:
            setattr(pages, name, lambda text: str(escape(text)))
        try:
            yield
        finally:
            for name, cache in saved.items():
                setattr(pages, name, cache)

    rows: list[tuple[str, float, float]] = []
    with as_typed():
        rows.append(("as typed (no Markdown)", cpu_ms(lambda: get(page)), 0.0))
    clear()
    get(page)
    rendered = sum(c.cache_info().misses for c in caches)
    rows.append(("rendered on every request", cpu_ms(lambda: get(page), clear), float(rendered)))
    rows.append(("rendered once, cached", cpu_ms(lambda: get(page)), 0.0))

    with app.app_context():
        attempts.submit(user, attempt_id)
        session.commit()
    review_rows: list[tuple[str, float, float]] = []
    with as_typed():
        review_rows.append(("as typed (no Markdown)", cpu_ms(lambda: get(review)), 0.0))
    clear()
    get(review)
    rendered = sum(c.cache_info().misses for c in caches)
    review_rows.append(("rendered on every request", cpu_ms(lambda: get(review), clear), float(rendered)))
    review_rows.append(("rendered once, cached", cpu_ms(lambda: get(review)), 0.0))

    print(f"database: {app.extensions['edu.db'].engine.dialect.name}; {QUESTIONS} questions; median of {REPEAT}")
    for title, table in (("attempt page", rows), ("review (every part shown)", review_rows)):
        print(f"\n{title:<28}  {'CPU ms':>7}  {'texts rendered':>14}")
        for name, ms, texts in table:
            print(f"{name:<28}  {ms:>7.1f}  {int(texts) if texts else '':>14}")
    app.extensions["edu.db"].engine.dispose()


if __name__ == "__main__":
    main()
