# Every target creates .venv and installs the pinned requirements when missing,
# so a fresh clone needs nothing but python3.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test test-fast chat eval bench loadtest lint fmt clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

# ruff, mypy, then every test; the import contracts run inside (tests/test_layers.py)
test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

# the tests that need no process of their own, Redis or browser (README gives its time);
# their temporary folders in memory where there is a tmpfs: each app opens some SQLite files
TEST_TMP ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
test-fast: $(VENV)/.dev
	@tmp=$$(mktemp -d "$(TEST_TMP)/forumbot-tests.XXXXXX") && \
	$(PY) -m pytest -q -m "not e2e and not redis and not browser" --basetemp="$$tmp/t"; \
	status=$$?; rm -rf "$$tmp"; exit $$status

chat: $(VENV)/.runtime
	$(PY) -m bot chat

eval: $(VENV)/.runtime
	$(PY) -m bot eval

bench: $(VENV)/.dev
	$(PY) -m bench

# wrk's WeChat load on the real app: plain, a worker SIGKILLed, Redis stopped, a 20 MB reload (needs wrk;
# LOADTEST_SECONDS=60 for longer runs)
loadtest: $(VENV)/.dev
	$(PY) -m bench loadtest --seconds $(or $(LOADTEST_SECONDS),20)

# ruff, the import contracts (pyproject.toml), mypy (its config says which modules it skips)
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy

fmt: $(VENV)/.dev
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
