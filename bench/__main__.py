"""Page and sync benchmarks against a bare Flask request measured in the same process and run.

python -m bench            # SQLite in a temporary folder
BENCH_DATABASE_URL=postgresql+psycopg://... python -m bench
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import Flask

from bench.harness import Result, median_ms, report

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from edu.application import create_app
    from edu.banks.sync import sync_banks
    from edu.catalog.sync import sync_course
    from edu.content import load_course
    from edu.db import Base, database, session
    from edu.quizzes.sync import sync_quizzes

    folder = tempfile.mkdtemp(prefix="bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    course_dir = ROOT / "courses" / "dry-needling"
    with app.app_context():
        Base.metadata.drop_all(database().engine)
        Base.metadata.create_all(database().engine)
        content = load_course(course_dir).course
        assert content is not None
        synced = sync_course(content)
        sync_banks(synced.course, content)
        sync_quizzes(synced.course, content)
        from edu.auth import services

        services.register(name="Bench Learner", email="bench@example.com", password="bench password 1")
        session.commit()

    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    client.post("/login", data={"csrf_token": token.group(1), "email": "bench@example.com", "password": "bench password 1"})
    client.post("/courses/dry-needling/enrol", data={"csrf_token": token.group(1)})

    bare = Flask("bare")

    @bare.get("/")
    def hello() -> str:
        return "ok"

    bare_client = bare.test_client()
    baseline = median_ms(lambda: bare_client.get("/"), repeat=200)

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    def resync() -> None:
        with app.app_context():
            loaded = load_course(course_dir).course
            assert loaded is not None
            sync_course(loaded)
            session.rollback()

    results = [
        Result("bare Flask request (baseline)", baseline, baseline),
        Result("catalog page", median_ms(lambda: get("/")), baseline),
        Result("course page (8 modules, 30 lessons)", median_ms(lambda: get("/courses/dry-needling")), baseline),
        Result("lesson page", median_ms(lambda: get("/courses/dry-needling/lessons/mep-integrated-hypothesis")), baseline),
        Result("dashboard", median_ms(lambda: get("/dashboard")), baseline),
        Result("load + check the course files", median_ms(lambda: load_course(course_dir), repeat=10), baseline),
        Result("re-sync unchanged course", median_ms(resync, repeat=10), baseline),
    ]
    print(f"database: {app.extensions['edu.db'].engine.dialect.name}")
    report(results, "bare request")
    app.extensions["edu.db"].engine.dispose()


if __name__ == "__main__":
    main()
