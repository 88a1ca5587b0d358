# `make run`: set up everything and serve on http://127.0.0.1:5000 (SQLite under instance/).
# `make test`: set up everything and run the whole suite (PostgreSQL half when TEST_DATABASE_URL is set).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app

.PHONY: run test install check lint typecheck browser bench clean security audit-online

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# The venv's own pip and setuptools come with the Python that made it; pinned here so the advisory check holds.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check pip==25.3 setuptools==80.9.0
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	APP_ENV=development $(BIN)/alembic upgrade head
	APP_ENV=development $(FLASK) courses sync
	APP_ENV=development $(FLASK) users demo
	APP_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

# Debian's Chromium for the real-browser tests (needs root or sudo; skipped with a reason where absent).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium"; \
	  elif command -v sudo >/dev/null; then (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium"; \
	  else echo "chromium is not installed and there is no root: browser tests will be skipped"; fi; \
	fi

# HYPOTHESIS_PROFILE=dev runs a fifth of each property test's examples (tests/property_budget.py); .ci/run sets ci.
# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 for one process): each worker has its own SQLite file and
# its own PostgreSQL database, live servers and gunicorns take free ports.
test: install browser security
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} $(BIN)/pytest -n $${TEST_WORKERS:-auto}

# Security lint: no medium or high finding in edu/ (a reviewed exception carries `# nosec` with its reason), and
# no installed package named by a known advisory (an offline extract: .ci/advisories/README.md).
security: install
	$(BIN)/bandit -q -r edu -ll
	$(BIN)/python .ci/advisories.py

# pip-audit against OSV, where the network allows (CI here has none): what the offline extract cannot know yet.
audit-online: install
	$(BIN)/pip install --quiet --disable-pip-version-check pip-audit==2.10.1
	$(BIN)/pip-audit --local --progress-spinner off

check: install
	APP_ENV=development $(FLASK) courses check

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

# `make bench-load` (not part of `make test`; minutes): the exam cycle driven by locust against gunicorn, on SQLite
# and on PostgreSQL (a database created and dropped on the server at BENCH_POSTGRES_URL, 127.0.0.1:5432 by default),
# beside a bare Flask + SQLAlchemy baseline; prints the tables and puts them into bench/RESULTS.md.
# Options: BENCH_LOAD_ARGS="--learners 50 --duration 60 --databases sqlite" (python -m bench.load --help).
.PHONY: bench-load
bench-load: install
	$(BIN)/python -m bench.load --write-results $(BENCH_LOAD_ARGS)

# `make mutation` (not part of `make test`): mutation testing of the pure cores with mutmut ([tool.mutmut] in
# pyproject.toml), one module at a time, printing each module's score. mutmut works in mutants/ (git-ignored);
# the reviewed equivalent mutants and their arguments are in tests/mutation_equivalents.txt. The property tests
# run MUTATION_EXAMPLES examples per mutant (their own counts otherwise); a module below MUTATION_MIN % fails.
MUTATION_MODULES  ?= edu/quizzes/grading.py edu/results/stats.py edu/interchange/gift.py
MUTATION_EXAMPLES ?= 20
MUTATION_MIN      ?= 95

.PHONY: mutation
mutation: install
	rm -rf mutants
	@status=0; for module in $(MUTATION_MODULES); do \
	  name=$$(echo "$${module%.py}" | tr / .); mkdir -p mutants; \
	  echo "mutmut run $$module (log: mutants/$$name.log)"; \
	  SHARED_DIR="$${SHARED_DIR:-$(abspath ..)/shared}" MUTATION_EXAMPLES=$(MUTATION_EXAMPLES) \
	    $(BIN)/mutmut run "$$name.*" >"mutants/$$name.log" 2>&1 || { tail -n 30 "mutants/$$name.log"; exit 1; }; \
	  $(BIN)/mutmut results --all true | $(BIN)/python tests/mutation_score.py "$$module" --minimum $(MUTATION_MIN) || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
