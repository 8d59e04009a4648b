# Everything runs from a private virtual environment built from nothing but python3.
PYTHON ?= python3
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)

.PHONY: venv test unit lint typecheck demo reliability bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "apache-airflow==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check airflow_provider_nxcloud tests dags_examples bench
	$(BIN)/ruff format --check airflow_provider_nxcloud tests dags_examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

# Start the offline simulator, run every example DAG against it with
# `airflow dags test` in a private SQLite AIRFLOW_HOME (.airflow/), print what
# the simulator received, stop it.
demo: $(STAMP)
	$(BIN)/python -m tests.e2e.demo

# The fault-injection campaigns at full size (100,000 recipients per platform): prints the
# table (faults by kind, retries, lost, duplicated, wall time), also in tests/reliability/RESULTS.md.
reliability: $(STAMP)
	$(BIN)/python -m tests.reliability --recipients 100000

# Benchmarks against the simulator on loopback (not part of make test; a smoke version is):
# prints one table and writes bench/RESULTS.md with the CPU count and the date.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .airflow .pytest_cache .mypy_cache .ruff_cache
