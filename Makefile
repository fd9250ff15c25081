# Zonecut: `make run` serves on http://127.0.0.1:8000, `make test` checks everything.
# Both set themselves up on a fresh machine with Python 3.11, Node 20 and make.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := frontend/node_modules/.installed
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/package.json frontend/tsconfig.json frontend/vite.config.ts -type f 2>/dev/null)

.PHONY: run test lint typecheck pytest frontend frontend-test openapi bench clean

run: $(PY_STAMP) frontend
	$(BIN)/zonecut serve

test: lint typecheck openapi-check frontend frontend-test pytest

$(PY_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: $(NODE_STAMP) $(FRONTEND_SOURCES) openapi.yaml
	cd frontend && npm run build

frontend: frontend/dist/index.html

frontend-test: $(NODE_STAMP)
	cd frontend && npm test

lint: $(PY_STAMP)
	$(BIN)/ruff check api tests bench migrations
	$(BIN)/ruff format --check api tests bench migrations

typecheck: $(PY_STAMP)
	$(BIN)/mypy api

openapi-check: $(PY_STAMP)
	$(BIN)/zonecut openapi | diff -u openapi.yaml - || { echo "openapi.yaml is stale: run 'make openapi'"; exit 1; }

pytest: $(PY_STAMP) frontend
	$(BIN)/pytest -n 2

openapi: $(PY_STAMP)
	$(BIN)/zonecut openapi --output openapi.yaml

bench: $(PY_STAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python -m bench.align
	$(BIN)/python -m bench.samples

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .pytest_cache .mypy_cache .ruff_cache
