# consentkit: `make test` runs every check, `make demo` runs the shipped example.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck unit bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs
	$(BIN)/ruff format --check src tests benchmarks examples docs

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests

unit: $(STAMP)
	$(BIN)/coverage run -m pytest -q
	$(BIN)/coverage report

test: lint typecheck unit

demo: $(STAMP)
	$(BIN)/python examples/demo.py

bench: $(STAMP)
	$(BIN)/python benchmarks/ledger.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
