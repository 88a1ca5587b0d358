"""The load harness: the exam cycle under a real load generator, on gunicorn, on SQLite and PostgreSQL (issue 11).

    make bench-load                          # both databases, 50 learners, figures into bench/RESULTS.md
    python -m bench.load --smoke             # seconds: SQLite, two learners, prints the table (CI runs this)
    python -m bench.load --help

One cycle is what a learner does in one exam: start -> attempt page -> save 20 answers (the JSON autosave, one
request per answer) -> confirm page -> submit -> review. Beside the app, a bare Flask + SQLAlchemy app (bare.py)
does only the SQL of each step on the same gunicorn, database and load generator; every step of ours is printed as
a ratio to its bare counterpart. bench/RESULTS.md says how each figure is measured and records a run.
"""
