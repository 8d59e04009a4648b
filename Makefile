# Everything runs from a private virtual environment built from nothing but python3.
PYTHON ?= python3
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)

.PHONY: venv test unit test-long demo-view lint typecheck browser screenshots docs dist test-matrix demo reliability reliability-smoke bench clean redis test-distributed

# The lowest Airflow 3 release the provider supports (the floor in pyproject.toml); `make
# test-matrix` runs the unit, browser and end-to-end suites on it and on AIRFLOW_VERSION.
LOWEST_AIRFLOW_VERSION ?= 3.1.8

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." \
		     "Run with PYTHON=python3.11 (or newer)." >&2; exit 1; }
	@echo "==> creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> installing Apache Airflow $(AIRFLOW_VERSION), the provider and its test tools (2-4 minutes the first time)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off "apache-airflow==$(AIRFLOW_VERSION)" -e ".[test,parquet]"
	@echo "==> $(VENV) is ready"
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check airflow_provider_nxcloud tests dags_examples bench
	$(BIN)/ruff format --check airflow_provider_nxcloud tests dags_examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs in TEST_WORKERS processes (pytest-xdist): most of its time is spent waiting on
# Airflow subprocesses, browsers and sockets, so more processes than CPUs still shortens it.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

unit: $(STAMP)
	$(PYTEST) -m "not long"

# `make test` is what CI runs: the browser test and the packaging test are part of the suite, and
# of each long proof (marked `long`) its small version.
test: lint typecheck browser redis dist unit

# The long proofs `make test` leaves out: every example DAG end to end, the browser form of every
# connection type, the quiet-hours, changed-source, retry-policy and version-store runs on Airflow.
test-long: $(STAMP) browser redis
	$(PYTEST) -m long

# Debian's Chromium and ChromeDriver for the connection-form test in tests/ui (no browser is
# downloaded at run time); installed only where missing.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-upgrade chromium chromium-driver; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq --no-upgrade chromium chromium-driver; \
	else echo "Install the Debian packages chromium chromium-driver (as root: apt-get install --no-upgrade chromium chromium-driver)" >&2; exit 1; fi

# Regenerate the README's connection-form screenshots (docs/img/) with the browser test.
screenshots: $(STAMP) browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/ui -q

# The documentation site (Sphinx, docs/) in docs/_build/html; any warning fails the build, and so
# does an operator, sensor, hook, trigger or notifier missing from the API reference. Airflow is
# imported for autodoc with a private AIRFLOW_HOME, so no config of the user's is read or written.
DOCS_STAMP := $(VENV)/.installed-docs-$(AIRFLOW_VERSION)
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

docs: $(DOCS_STAMP)
	AIRFLOW_HOME=$(CURDIR)/docs/_build/airflow-home $(BIN)/python -m sphinx -b html -W --keep-going -q docs docs/_build/html
	@echo "docs/_build/html/index.html"

# The sdist, then the wheel built from the sdist (which proves the sdist complete), in dist/;
# tests/packaging inspects both and installs the wheel into a fresh virtual environment.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

# The whole suite, long proofs included, against the lowest supported Airflow 3 and against
# AIRFLOW_VERSION, each in its own virtual environment (.venv-<version>).
test-matrix: browser redis
	$(MAKE) dist unit test-long VENV=.venv-$(LOWEST_AIRFLOW_VERSION) AIRFLOW_VERSION=$(LOWEST_AIRFLOW_VERSION)
	$(MAKE) dist unit test-long VENV=.venv-$(AIRFLOW_VERSION) AIRFLOW_VERSION=$(AIRFLOW_VERSION)

# Start the offline simulator, run every example DAG against it with
# `airflow dags test` in a private SQLite AIRFLOW_HOME (.airflow/), print what
# the simulator received, stop it.
demo: $(STAMP)
	$(BIN)/python -m tests.e2e.demo

# The delivery view on what `make demo` sent: Airflow's API server on the demo's home, every
# visitor an admin (a local demo only); open the URL it prints, Ctrl-C stops it.
DEMO_VIEW_PORT ?= 8080
demo-view: $(STAMP)
	DEMO_VIEW_PORT=$(DEMO_VIEW_PORT) $(BIN)/python -m tests.e2e.demo --view

# The reliability windows through the real Airflow runtime (scheduler + LocalExecutor,
# dag-processor, api-server, triggerer on SQLite; tests/reliability/runtime): every platform,
# every window, RELIABILITY_RECIPIENTS per run; prints the table (tries, faults by kind, kills,
# a person's Human-in-the-loop answers, backoff, lost, duplicated, final state, wall time), also
# in tests/reliability/RESULTS.md; exits 1 if a window lost or duplicated anything or did not finish.
RELIABILITY_RECIPIENTS ?= 100000
reliability: $(STAMP)
	$(BIN)/python -m tests.reliability.runtime --recipients $(RELIABILITY_RECIPIENTS)

# The same in small (3,000 recipients, Fone Dynamics, three windows), as tests/reliability/test_runtime_smoke.py runs it.
reliability-smoke: $(STAMP)
	$(BIN)/python -m pytest tests/reliability/test_runtime_smoke.py -q

# Debian's Redis (Celery's broker in tests/distributed, the shared rate budget's store in its tests);
# installed only where missing.
redis:
	@if command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-upgrade redis-server; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq --no-upgrade redis-server; \
	else echo "Install the Debian packages redis-server (as root: apt-get install --no-upgrade redis-server)" >&2; exit 1; fi

# A Buka SMS campaign of DISTRIBUTED_RECIPIENTS split over 8 mapped tasks on CeleryExecutor (Redis,
# scheduler, dag-processor, api-server, triggerer, Celery workers; tests/distributed): once with one
# worker, once with two and one SIGKILLed mid-send; prints lost, duplicated, the account's peak
# requests per second against the connection's max_qps and both wall times, also in
# tests/distributed/RESULTS.md; exits 1 if anything was lost or duplicated, the peak went above the
# cap or a run did not finish. tests/distributed/test_distributed_smoke.py is the small version.
DISTRIBUTED_RECIPIENTS ?= 2000000
test-distributed: $(STAMP) redis
	$(BIN)/python -m tests.distributed --recipients $(DISTRIBUTED_RECIPIENTS)

# Benchmarks against the simulator on loopback (not part of make test; a smoke version is):
# prints one table and writes bench/RESULTS.md with the CPU count and the date.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-* dist .airflow .pytest_cache .mypy_cache .ruff_cache docs/_build
