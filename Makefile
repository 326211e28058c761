# One entry point per habit. `make demo` and `make test` set themselves up.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect state stays inside the project, never in a user's ~/.prefect;
# telemetry is off (no network here) and the server stays quiet.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL ?= WARNING
export PREFECT_SERVER_LOGGING_LEVEL ?= ERROR

.PHONY: setup demo test lint bench fuzz registry clean dictionary bi-check

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (or: make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# an editable install leaves the project's own modules uncompiled, and where
	@# PYTHONDONTWRITEBYTECODE is set every command would compile them at each start
	$(BIN)/python -m bench.bytecode
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/ntm demo --home data

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.run

# docs/data-dictionary.md from sql/dictionary.toml (a test fails when it is stale)
dictionary: $(STAMP)
	$(BIN)/python -m transforms.publish.dictionary_page docs/data-dictionary.md

# Not CI: installs Apache Superset in its own .bi-venv (minutes, needs the package index)
# and has it open the demo snapshot read only; see README "Connecting a BI tool".
bi-check: $(STAMP)
	@test -f data/published/ntm.duckdb || $(MAKE) demo
	$(PYTHON) scripts/bi_check.py data/published/ntm.duckdb --python $(PYTHON)

# Rebuild rulesets/registry/ (registry versions) from vietnam-provinces releases.
registry: $(STAMP)
	$(BIN)/python scripts/build_registry.py

# mutated workbooks through the validator and one nightly run; prints figures
# (FUZZ_ARGS="--count 1000 --seed 7" to change them); crashers kept in bench/out/fuzz/
fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz $(FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy ntm flows transforms schemas bench
	$(BIN)/sqlfluff lint sql

clean:
	rm -rf data .prefect
