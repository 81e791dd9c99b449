# Two commands for a fresh machine: `make run` (installs the runtime packages only) and `make test` (adds the
# test, benchmark and lint packages of requirements-dev.txt).
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PORT   ?= 8501

.PHONY: run test setup runtime demo bench bench-quick lint requirements clean

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

$(VENV)/.runtime: requirements.txt pyproject.toml | $(UV)
	$(UV) venv $(VENV) --python python3 --allow-existing --quiet
	$(UV) pip install --python $(PY) --quiet -r requirements.txt
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(UV) pip install --python $(PY) --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

runtime: $(VENV)/.runtime

setup: $(VENV)/.dev

demo: runtime
	$(PY) -m cli demo --if-missing

# The dashboard and the feed poller together (replayed air data and simulated dataloggers advance in real time);
# Ctrl-C stops both.
run: demo
	$(PY) -m cli serve --port $(PORT) --address 127.0.0.1

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench.run_all

bench-quick: setup
	$(PY) -m bench.run_all --quick

lint: setup
	$(PY) -m ruff check geo data monitoring dashboard cli $(wildcard api publish) tests bench

# Re-pin after editing requirements*.in (keeps current pins unless an .in file asks otherwise).
requirements: | $(UV)
	$(UV) pip compile requirements.in -o requirements.txt --python-version 3.11 --quiet
	$(UV) pip compile requirements-dev.in -o requirements-dev.txt --python-version 3.11 --quiet

clean:
	rm -rf $(VENV) .tools var
