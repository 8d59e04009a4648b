"""Every example DAG parses, runs with ``airflow dags test`` against the simulator, and leaves the
ledger it should: asserted on what the simulator accepted, never on log text."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import pytest

from airflow_provider_nxcloud.testing import Simulator, run_simulator
from tests.e2e.harness import airflow_env, example_dag_ids, migrate, run_dag

pytestmark = pytest.mark.e2e


def expect_quickstart(sim: Simulator) -> None:
    entries = sim.ledger.entries(kind="sms")
    assert Counter(entry.platform for entry in entries) == {"nxcloud": 1, "buka": 1, "fonedynamics": 1}
    assert {entry.recipient for entry in entries} == {"6591234567", "6591234568", "+61491570156"}
    assert sim.ledger.duplicates() == {}


#: what each example DAG must leave on the simulator's ledger
EXPECTATIONS: dict[str, Callable[[Simulator], None]] = {
    "example_hooks_quickstart": expect_quickstart,
}


@pytest.fixture(scope="module")
def simulator():
    with run_simulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory, simulator):
    home = tmp_path_factory.mktemp("airflow-home")
    migrate(airflow_env(home, simulator.connection_env()))
    return home


def test_every_example_dag_parses_and_has_ledger_expectations():
    assert set(example_dag_ids()) == set(EXPECTATIONS)


@pytest.mark.parametrize("dag_id", sorted(EXPECTATIONS))
def test_example_dag_runs_against_the_simulator(dag_id, simulator, airflow_home):
    simulator.reset()
    result = run_dag(dag_id, airflow_env(airflow_home, simulator.connection_env()))
    assert result.state == "success", result.output[-4000:]
    EXPECTATIONS[dag_id](simulator)


def test_a_failing_dag_is_reported_and_sends_nothing(simulator, airflow_home):
    simulator.reset()
    connections = simulator.connection_env()
    buka = json.loads(connections["AIRFLOW_CONN_BUKA_DEFAULT"])
    connections["AIRFLOW_CONN_BUKA_DEFAULT"] = json.dumps({**buka, "password": "wrong-secret"})
    result = run_dag("example_hooks_quickstart", airflow_env(airflow_home, connections))
    assert result.state == "failed"
    assert simulator.ledger.count() == 0
    assert "wrong-secret" not in result.output
