"""The provider's retry policy under ``airflow dags test`` (Airflow 3.3+): a permanent vendor error
fails the task on its first try despite ``retries=3``; a transient one is retried and the SMS is
accepted exactly once. Task states and tries are read from the metadata DB, never from logs.

How ``airflow dags test`` (3.3.2) treats retries, as observed here: it runs every try inside the
command's own process (``run_task_in_process``, no worker) and the task runner evaluates the task's ``retry_policy`` exactly
as on a worker ("Retry policy decision action=retry reason=..." in the output). A RETRY decision
leaves the task ``up_for_retry`` with the policy's delay and reason stored on the task instance
(``retry_delay_override``, ``retry_reason``); the command's loop then polls about once a second
("No tasks to run. unrunnable tasks: ...") until that delay has passed and runs the next try
itself, under a new task-instance id; the earlier try is kept in ``task_instance_history`` (as
"failed", with the policy's delay and reason). A FAIL decision ends the task and the run at once
(the command exits 1). The delays are real waits, so the DAG caps them with ``max_delay``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import REPO, airflow_env, migrate, run_dag

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not version_compat.HAS_RETRY_POLICY, reason="retry policies need Airflow 3.3+"),
]

DAGS = REPO / "tests" / "e2e" / "dags"


@pytest.fixture(scope="module")
def simulator():
    with run_simulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory, simulator):
    home = tmp_path_factory.mktemp("airflow-home-retry-policy")
    migrate(environment(home, simulator))
    return home


def environment(home: Path, simulator) -> dict[str, str]:
    return airflow_env(home, simulator.connection_env(), AIRFLOW__CORE__DAGS_FOLDER=str(DAGS))


def task_instance(home: Path, dag_id: str) -> dict:
    with sqlite3.connect(home / "airflow.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT task_id, state, try_number, max_tries FROM task_instance WHERE dag_id = ?", (dag_id,)
        ).fetchone()
    return dict(row)


def earlier_tries(home: Path, dag_id: str) -> list[dict]:
    with sqlite3.connect(home / "airflow.db") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT try_number, state, retry_delay_override, retry_reason FROM task_instance_history "
            "WHERE dag_id = ? ORDER BY try_number",
            (dag_id,),
        ).fetchall()
    return [dict(row) for row in rows]


@pytest.mark.long
def test_a_permanent_vendor_error_fails_on_the_first_try(simulator, airflow_home):
    simulator.reset()
    result = run_dag("retry_policy_permanent", environment(airflow_home, simulator), timeout=300)

    assert result.state == "failed", result.output[-4000:]
    ti = task_instance(airflow_home, "retry_policy_permanent")
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == ("failed", 1, 3)  # no retry used
    assert earlier_tries(airflow_home, "retry_policy_permanent") == []
    assert simulator.requests.count("buka", "sms_send") == 1
    assert simulator.ledger.count() == 0


def test_a_transient_vendor_error_is_retried_and_sent_once(simulator, airflow_home):
    simulator.reset()
    simulator.faults.next("vendor_busy", endpoint="sms_send", platform="buka")
    result = run_dag("retry_policy_transient", environment(airflow_home, simulator), timeout=300)

    assert result.state == "success", result.output[-4000:]
    assert simulator.faults.counts() == {"vendor_busy": 1}
    ti = task_instance(airflow_home, "retry_policy_transient")
    assert (ti["state"], ti["try_number"]) == ("success", 2)
    [first] = earlier_tries(airflow_home, "retry_policy_transient")
    # the history keeps an up_for_retry try as "failed" (TaskInstanceHistory.record_ti), with the
    # policy's decision on it
    assert (first["try_number"], first["state"]) == (1, "failed")
    assert first["retry_delay_override"] == 1.0  # the policy's delay, capped by its max_delay
    assert first["retry_reason"].startswith("buka/sms code -18 ")
    assert simulator.requests.count("buka", "sms_send") == 2
    [sms] = simulator.ledger.entries(platform="buka", kind="sms")
    assert sms.recipient == "6591234567"
    assert sms.client_reference.startswith("rp-transient-")
