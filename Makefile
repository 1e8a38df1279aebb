# Two commands matter: `make run` and `make test`. Both bootstrap what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint typecheck contracts pytest screenshots bench clean system-deps

$(STAMP): setup.cfg pyproject.toml scripts/system-deps.sh
	@bash scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the project into $(VENV)/ (pip install -e) …"
	@$(BIN)/python -m pip install -q --upgrade pip
	@# setuptools' one notice for every editable install of a flat layout (the repo
	@# folder is on sys.path, as intended) is silenced; anything else still shows.
	@PYTHONWARNINGS="ignore:Editable installation" \
	  $(BIN)/python -m pip install -q -e '.[kiosk,server,postgres,printer,dev]'
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## The main job: the server on SQLite with the demo data, and a kiosk connected to it.
run: $(STAMP)
	@$(BIN)/python scripts/run_demo.py --data-dir $(DATA) --host $(HOST) --port $(PORT)

## Lint, format check, types, import contracts, then the whole test suite (UI tests on a
## virtual screen).
test: $(STAMP) lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Who may import what: [tool.importlinter] in pyproject.toml.
contracts: $(STAMP)
	$(BIN)/lint-imports

## The suite runs on a fixed hall clock; @pytest.mark.hall_clock tests run three times, at
## 11:30, 20:00 and 23:59 hall time (tests/utils/hall_clock.py). KIOSK_CLOCK_AT=... picks one.
pytest: $(STAMP)
	@if [ -z "$$DISPLAY" ] && command -v xvfb-run >/dev/null; then \
	  xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
	  $(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1920x1920x24" $(BIN)/python scripts/screenshots.py --out screenshots
	xvfb-run -a -s "-screen 0 1920x1920x24" $(BIN)/python scripts/screenshots.py --out screenshots --elder
	xvfb-run -a -s "-screen 0 1920x1920x24" $(BIN)/python scripts/ticket_screenshots.py --out screenshots --elder

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pgtest .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info
