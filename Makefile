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

test: lint typecheck unit docs

demo: $(STAMP)
	@echo '$$ consentkit check examples/first-session/plan.json --ledger examples/first-session/ledger.json'
	@$(BIN)/consentkit check examples/first-session/plan.json --ledger examples/first-session/ledger.json
	@echo
	@echo '$$ consentkit check examples/partial-revocation/plan.json --ledger examples/partial-revocation/ledger.json'
	@$(BIN)/consentkit check examples/partial-revocation/plan.json --ledger examples/partial-revocation/ledger.json; \
	  status=$$?; echo "(exit status $$status: a DENY exits 1; ALLOW is 0, RENEGOTIATE 3)"; test $$status -eq 1

bench: $(STAMP)
	for b in ledger engine codec cli signing store negotiation; do $(BIN)/python benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage build

# Regenerate the JSON Schemas shipped in src/consentkit/schemas/ from the records,
# and the Records section of docs/format.md from the schemas.
.PHONY: schemas
schemas: $(STAMP)
	$(BIN)/python -c 'import sys; from consentkit._schema import main; \
	    sys.exit(main(["src/consentkit/schemas", "--docs", "docs/format.md"]))'

# The documentation site, warnings as errors, built outside the tracked files.
docs: $(STAMP)
	$(BIN)/sphinx-build -E -W --keep-going -q -b html docs build/docs

# Render each example's session report in headless Chromium (Debian's
# `chromium` package) and save the screenshots the site shows.
.PHONY: report-check
report-check: $(STAMP)
	$(BIN)/python docs/report_check.py
