# Two commands do everything on a fresh machine:
#   make run    install what is needed and start the app on http://127.0.0.1:7860
#   make test   install what is needed and run every test
#   make test-fast   the unit tier only (no server, no browser, no data set): under a minute
# VENV may point outside the clone (CI reuses one): make test VENV=$HOME/.cache/rnn-demo-venv
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast install install-test chromium bench reproduce clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(STAMP)
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

install: $(STAMP)

install-test: $(VENV)/.installed-test chromium

# Browser tests drive Debian's chromium through Playwright (never `playwright install`).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

run: install
	$(PY) app.py

test: install-test
	$(PY) -m pytest -q tests

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -q tests/unit

bench: install
	$(PY) -m rnn_demo.bench train

# Retrain every shipped model: the MNIST presets (table and plots in docs/reproduce/) and the adder.
reproduce: install
	$(PY) -m rnn_demo reproduce
	$(PY) -m rnn_demo train-adder --out checkpoints/adder.pt
	$(PY) -m rnn_demo model-card

clean:
	rm -rf runs .pytest_cache tests/artifacts
