# smpolicy: the two commands the README promises, plus helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE := profiles/examples/community-hospital.yaml

.PHONY: demo test lint typecheck unit examples docs docs-serve bench yaml-seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: set up .venv and build the example hospital policy into out/
demo: $(VENV)/.installed
	$(BIN)/smpolicy build $(EXAMPLE) --out out --force

## test: set up .venv, run the linters, the type checker and the whole test suite
test: $(VENV)/.installed lint typecheck unit

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed
	$(BIN)/pytest -q

## examples: regenerate the committed example policies under docs/examples/
examples: $(VENV)/.installed yaml-seed
	$(BIN)/smpolicy build profiles/examples/*.yaml --out docs/examples --format md --force
	rm -f docs/examples/.smpolicy-outputs.*

## docs: regenerate the generated reference pages and build the site strictly into site/
docs: $(VENV)/.installed
	$(BIN)/python tools/gen_docs.py
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed
	$(BIN)/mkdocs serve

## yaml-seed: parse the built-in YAML ahead of time (after editing templates/ or regulations/)
yaml-seed: $(VENV)/.installed
	$(BIN)/python tools/make_yaml_seed.py

## bench: time builds and checks (see benchmarks/README.md)
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench.py --runs 3 --fleet 1000 --write-docs

clean:
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache
