# Two commands: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
DEADLINE_LOOP_SECONDS ?= 60

SOAK_ACTIONS ?= 10000
SOAK_SEED ?= 20261127
SOAK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/claims_soak

.PHONY: run serve test integration soak messages lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

run: export DJANGO_DEBUG = true
run: $(VENV)/.runtime-installed
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v 0
	@if command -v msgfmt >/dev/null 2>&1; then $(MANAGE) compilemessages --ignore '$(VENV)' >/dev/null; fi
	$(MANAGE) seed_demo
	$(MANAGE) process_deadlines
	@echo "Serving http://127.0.0.1:$(PORT) (deadlines processed every $(DEADLINE_LOOP_SECONDS) s); Ctrl+C stops both."
	@$(MANAGE) process_deadlines --loop $(DEADLINE_LOOP_SECONDS) & loop=$$!; \
	  trap 'kill $$loop 2>/dev/null; wait $$loop 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver 127.0.0.1:$(PORT)

# The production stack locally: gunicorn, a Celery worker and beat on PostgreSQL and Redis
# (deploy.env when present; see deploy.env.example and docs/deployment.md).
serve: $(VENV)/.runtime-installed
	PORT=$(PORT) scripts/serve.sh

test: $(VENV)/.dev-installed
	$(BIN)/pytest -n 2

# The production path for real: a Celery worker and beat, two gunicorn servers and S3
# (moto) on PostgreSQL and Redis; creates and drops its own test database.
INTEGRATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/claims_integration
integration: $(VENV)/.dev-installed
	INTEGRATION=1 DATABASE_URL=$(INTEGRATION_DATABASE_URL) \
	  $(BIN)/pytest tests/integration -p no:cacheprovider

# The long randomized soak on PostgreSQL (creates and drops its own test database).
soak: $(VENV)/.dev-installed
	SOAK_ACTIONS=$(SOAK_ACTIONS) SOAK_SEED=$(SOAK_SEED) DATABASE_URL=$(SOAK_DATABASE_URL) \
	  $(BIN)/pytest tests/disputes/test_soak.py -s -p no:cacheprovider

messages: $(VENV)/.dev-installed
	$(MANAGE) makemessages -l zh_Hans -l en --no-location --no-obsolete --ignore '$(VENV)' --ignore 'tests'
	$(MANAGE) compilemessages --ignore '$(VENV)'

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
