# Tracklog's single entry point. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
KAFKA_LIBS := broker/lib
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(KAFKA_LIBS)/.fetched: broker/pom.xml
	mvn -q -B -f broker/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS)
	touch $@

.PHONY: install
install: $(INSTALLED) $(KAFKA_LIBS)/.fetched ## Create .venv, install Tracklog, fetch the Kafka jars

.PHONY: dev
dev: install ## Run the embedded default: Kafka + one node on http://127.0.0.1:8000
	$(BIN)/tracklog dev

.PHONY: test
test: install ## Run every test tier (unit, integration, e2e) and the type check
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: unit
unit: install ## Run the unit tier alone (no broker, seconds)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: bench
bench: install ## Run the benchmarks, print the table, write BENCHMARKS.md (QUICK=1: a smoke run)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

.PHONY: bench-against
bench-against: install ## Pairs of this checkout against REF (e.g. make bench-against REF=HEAD~5): pipeline and ingest
	$(BIN)/python -m bench.against $(REF)

.PHONY: sdl
sdl: install ## Re-export the GraphQL SDL to query/graphql/schema.graphql
	$(BIN)/python -m query.graphql.sdl

.PHONY: clean
clean: ## Remove the venv, the Kafka jars and the dev data directory
	rm -rf $(VENV) $(KAFKA_LIBS) var
