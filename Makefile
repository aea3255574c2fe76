# Two commands on a fresh machine: `make run` and `make test`.
# The virtualenv is (re)installed only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,local,infra

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	@bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)" "$(EXTRAS)"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/octag up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/uv pip install -q --python $(BIN)/python -e ".[bench]"
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/auth.py
	$(BIN)/python bench/etl.py
	$(BIN)/python bench/nlu.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/chat.py

clean:
	rm -rf $(VENV) .octag cdk.out .mypy_cache .ruff_cache
