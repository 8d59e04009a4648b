"""Test-wide set-up: a private AIRFLOW_HOME, so no test touches the user's ~/airflow."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Must happen before anything imports airflow (conftest is imported first).
if "AIRFLOW_HOME" not in os.environ:
    _home = tempfile.mkdtemp(prefix="airflow-provider-nxcloud-tests-")
    os.environ["AIRFLOW_HOME"] = _home
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

from collections.abc import Iterator

import pytest

from airflow_provider_nxcloud.testing.airflow_variables import MemoryVariables, memory_variables


@pytest.fixture(autouse=True)
def airflow_variables() -> Iterator[MemoryVariables]:
    """Airflow's Variable store, in memory per test: ``execute()`` runs outside a task runner
    here (the end-to-end tests use the real one)."""
    with memory_variables() as variables:
        yield variables
