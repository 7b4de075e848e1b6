# Tracklog's single entry point. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
KAFKA_LIBS := broker/lib
VENDOR := query/web/static/vendor
CHROMIUM := /usr/lib/chromium/chromium
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

# GraphiQL's browser files come from the npm registry at install time, pinned and
# checked against query/web/vendor.lock, rather than being committed: they are ~4 MiB
# of minified third-party code that every upgrade would add to the history again.
$(VENDOR)/.fetched: query/web/vendor.lock
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	set -e; work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	grep -v '^#' query/web/vendor.lock | while read -r target spec file sum; do \
	  [ -n "$$target" ] || continue; \
	  tarball=$$(cd "$$work" && npm pack --silent "$$spec" | tail -n 1); \
	  mkdir -p "$$work/x" && tar -xzf "$$work/$$tarball" -C "$$work/x" "package/$$file"; \
	  echo "$$sum  $$work/x/package/$$file" | sha256sum --check --quiet; \
	  cp "$$work/x/package/$$file" "$(VENDOR)/$$target"; \
	done
	touch $@

.PHONY: install
install: $(INSTALLED) $(KAFKA_LIBS)/.fetched $(VENDOR)/.fetched ## Create .venv, install Tracklog, fetch the Kafka jars and GraphiQL's files

# The browser tier drives Debian's Chromium (Playwright never downloads a browser here).
.PHONY: chromium
chromium:
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium; }
	@test -x $(CHROMIUM) || { echo "no Chromium at $(CHROMIUM): the browser tier cannot run" >&2; exit 1; }

.PHONY: dev
dev: install ## Run the embedded default: Kafka + one node on http://127.0.0.1:8000
	$(BIN)/tracklog dev

.PHONY: test
test: install chromium ## Run every test tier (unit, integration, e2e, browser) and the type check
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
