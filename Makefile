# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint format screenshot bench clean

$(STAMP): pyproject.toml examples/studio_flow2d/pyproject.toml $(wildcard examples/studio_flow2d/studio_flow2d/*.py)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# The example plugin, installed as a user would: its tests and the app's contract
	# checks run against it.
	$(PY) -m pip install --quiet ./examples/studio_flow2d
	@touch $(STAMP)

# Opens the window on the embedded default data. The preflight prints one line
# (and exits non-zero) when there is no display or Qt's X11 libraries are missing.
run: $(STAMP)
	@$(PY) -m studio.preflight && $(PY) main.py

# Two worker processes, a test module (or class) per worker at a time: module-scoped
# trained runs are made once.
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --dist loadscope

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Trains the default model briefly offscreen and saves the window as a PNG; then the
# window-fit tests save the screens they check (1280x720, 1366x768, 1920x1080).
screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen GENAI_STUDIO_WORKSPACE=$$(mktemp -d) $(PY) main.py --model gan-shape --screenshot docs/images/main-window.png
	QT_QPA_PLATFORM=offscreen GENAI_STUDIO_SCREENSHOTS=docs/images $(PY) -m pytest -q -p no:cacheprovider tests/ui/test_window_fit.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/overhead.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/ui_latency.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/dataset_browser.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
