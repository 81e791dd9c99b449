# Two commands for a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PORT   ?= 8501

.PHONY: run test setup demo bench bench-quick lint clean

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

$(VENV)/.installed: requirements.txt pyproject.toml | $(UV)
	$(UV) venv $(VENV) --python python3 --allow-existing --quiet
	$(UV) pip install --python $(PY) --quiet -r requirements.txt
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

demo: setup
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
	$(PY) -m ruff check geo monitoring data dashboard tests bench

clean:
	rm -rf $(VENV) .tools var
