# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
ROOMS  := core proposals search intake routing responses public groups api window

.PHONY: run test install translations bytecode migrate seed lint check-migrations extract-messages worker beat bench clean lock audit

# Every package comes from requirements.lock, pinned with its hashes (pip refuses
# anything else). After editing requirements*.txt run `make lock`.
$(BIN)/activate: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $(BIN)/activate

# Re-resolve requirements.txt + requirements-dev.txt into requirements.lock (keeping
# the current pins where they still fit), then install it.
lock:
	@test -x $(BIN)/pip-compile || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --require-hashes -r requirements.lock; }
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
	  --no-emit-index-url --output-file requirements.lock requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $(BIN)/activate

# Known vulnerabilities in the locked packages (OSV advisory data: needs the internet).
audit: $(BIN)/activate
	$(BIN)/pip-audit --require-hashes --disable-pip --progress-spinner off -r requirements.lock

install: $(BIN)/activate translations bytecode

# The project's modules compiled once into __pycache__/ (ignored by git), so that every `flask` command and worker
# loads them instead of compiling its ~160 modules again: ~0.1 s of each start-up (issue 16) where Python writes no
# bytecode itself (PYTHONDONTWRITEBYTECODE, as in the image). A file changed since is compiled in memory, as before.
bytecode: $(BIN)/activate
	@$(BIN)/python -m compileall -q $(ROOMS) text demo worker.py

# Compile every room's English catalogue (Japanese is the source language).
translations: $(BIN)/activate
	@for room in $(ROOMS); do \
	  if [ -f $$room/translations/en/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel compile --statistics -d $$room/translations -l en || exit 1; \
	  fi; \
	done

# Refresh one room's catalogue after adding strings: make extract-messages ROOM=intake
extract-messages: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o /tmp/$(ROOM).pot $(ROOM) $(wildcard templates/$(ROOM)) $(if $(filter core,$(ROOM)),templates/base.html templates/macros templates/admin templates/email,)
	@if [ -f $(ROOM)/translations/en/LC_MESSAGES/messages.po ]; then \
	  $(BIN)/pybabel update -i /tmp/$(ROOM).pot -d $(ROOM)/translations -l en --no-fuzzy-matching; \
	else \
	  $(BIN)/pybabel init -i /tmp/$(ROOM).pot -d $(ROOM)/translations -l en; \
	fi

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

# The service with demo data on the embedded default (SQLite, no Redis).
run: seed
	@$(BIN)/flask demo-accounts
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Tests on SQLite by default; set TEST_DATABASE_URL (and REDIS_URL) for PostgreSQL and Redis.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style, dead code (vulture: tools/vulture_whitelist.py) and the layers (pyproject.toml
# [tool.importlinter], docs/architecture.md).
lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/vulture
	$(BIN)/lint-imports

check-migrations: install
	DATABASE_URL=$${TEST_DATABASE_URL:-sqlite:////tmp/window-check.sqlite3} sh -c '$(BIN)/flask db upgrade && $(BIN)/flask db check'

worker: install
	$(BIN)/celery -A worker worker --loglevel INFO -Q default,mail,scheduler

beat: install
	$(BIN)/celery -A worker beat --loglevel INFO

# The performance picture at 100,000 proposals on PostgreSQL (bench/run.py; BENCH_SCALE=10000 for a quick run).
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance/window.sqlite3
