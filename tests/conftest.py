"""Test-wide set-up: a private AIRFLOW_HOME, so no test touches the user's ~/airflow.

One per process: ``make test`` runs the suite in several pytest-xdist workers, which inherit the
controller's environment, and a test that migrates the metadata DB must not race another
worker's migration of the same SQLite file.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Must happen before anything imports airflow (conftest is imported first).
if "AIRFLOW_HOME" not in os.environ or (
    "PYTEST_XDIST_WORKER" in os.environ
    and os.environ["AIRFLOW_HOME"] == os.environ.get("NXCLOUD_TESTS_AIRFLOW_HOME")
):
    _home = tempfile.mkdtemp(
        prefix=f"airflow-provider-nxcloud-tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
    )
    os.environ["AIRFLOW_HOME"] = os.environ["NXCLOUD_TESTS_AIRFLOW_HOME"] = _home
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


@pytest.fixture
def one_record_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """NXCloud record and number-check queries ask only the day the simulator files under.

    A client asks both the UTC and the UTC+8 reading of a moment's day (ASSUMPTION [NX-2]); from
    16:00 to 24:00 UTC they differ and every query is made twice. Tests that count requests
    per round or per page pin the client to the simulator's one zone so that they hold at any
    hour; tests/contracts/test_nxcloud_messaging.py proves the two readings themselves.
    """
    from airflow_provider_nxcloud.platforms import nxcloud
    from airflow_provider_nxcloud.testing import nxcloud as simulated

    monkeypatch.setattr(nxcloud, "RECORD_DAY_OFFSETS_HOURS", (simulated.RECORD_DAY_UTC_OFFSET_HOURS,))
