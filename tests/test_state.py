"""TaskInstanceState: one record every try of a task instance sees, in Airflow 3.3's task_state_store
or, without one, in a Variable named after the task instance; and the records the operators keep in
it, found under the names an earlier version of the provider wrote them."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.campaign.progress import STORE_KEY, Progress, campaign_key
from airflow_provider_nxcloud.operators.buka_ai_voice import _import_progress
from airflow_provider_nxcloud.operators.nxcloud_number_check import RECORDS_KEY, BatchRecords
from airflow_provider_nxcloud.operators.nxcloud_pns import RECORD_KEY, NXCloudBindNumberOperator
from airflow_provider_nxcloud.state import MemoryStateStore, TaskInstanceState, VariableStateStore


class AirflowTaskStateStore:
    """What Airflow 3.3 puts in ``context["task_state_store"]``: JSON values by key, None refused,
    deleting a missing key a no-op (``airflow.sdk.execution_time.context.TaskStateStoreAccessor``)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.retentions: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(self.values[key]) if key in self.values else default

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.values[key] = json.dumps(value)
        self.retentions[key] = retention

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@pytest.fixture
def variables(airflow_variables: Any) -> Any:
    """The suite's Variable store (tests/conftest.py), as a task sees it."""
    return airflow_variables


@dataclass
class TI:
    dag_id: str = "state_dag"
    run_id: str = "manual__2026-12-01T00:00:00+00:00"
    task_id: str = "bind"
    map_index: int = -1
    try_number: int = 1


class Tries:
    """Successive tries of one task instance, with Airflow 3.3's store or (3.1, 3.2) without one."""

    def __init__(self, *, store: bool) -> None:
        self.ti = TI()
        self.store = AirflowTaskStateStore() if store else None

    def context(self) -> dict[str, Any]:
        self.ti.try_number += 1
        return {"ti": self.ti} if self.store is None else {"ti": self.ti, "task_state_store": self.store}

    @property
    def key(self) -> str:
        return campaign_key(self.ti.dag_id, self.ti.run_id, self.ti.task_id, self.ti.map_index)


RECORD = {"state": "in_flight", "batches": [[0, 3]], "note": "ünïcode"}


# ----- the record ---------------------------------------------------------------------------------


def test_with_a_task_state_store_every_try_reads_what_an_earlier_one_wrote(variables):
    tries = Tries(store=True)
    first = TaskInstanceState.for_context(tries.context(), "rec", variable="rec_var")
    assert first.get() is None
    first.set(RECORD)

    later = TaskInstanceState.for_context(tries.context(), "rec", variable="rec_var")
    assert later.get() == RECORD
    assert tries.store is not None and list(tries.store.values) == ["rec"]
    assert variables.values == {}  # no Variable where Airflow has the store

    later.delete()
    assert first.get() is None and later.get() is None
    later.delete()  # nothing to delete: no error


def test_without_one_the_record_is_the_named_variable_every_try_reads(variables):
    tries = Tries(store=False)
    first = TaskInstanceState.for_context(tries.context(), "rec", variable="rec_var")
    assert first.get() is None
    first.set(RECORD)
    assert json.loads(variables.values["rec_var"]) == RECORD and list(variables.values) == ["rec_var"]

    later = TaskInstanceState.for_context(tries.context(), "rec", variable="rec_var")
    assert later.get() == RECORD
    later.set({**RECORD, "state": "done"})
    assert first.get()["state"] == "done"

    later.delete()
    assert first.get() is None and variables.values == {}
    later.delete()


@pytest.mark.parametrize("store", [True, False], ids=["task_state_store", "Variable"])
def test_a_record_is_one_json_value_and_never_none(variables, store):
    state = TaskInstanceState.for_context(Tries(store=store).context(), "rec", variable="rec_var")
    for value in (True, 3, "text", [1, [2]], {"a": {"b": None}}):
        state.set(value)
        assert state.get() == value
    with pytest.raises(ValueError, match="cannot be None"):
        state.set(None)
    assert state.get() == {"a": {"b": None}}


def test_a_record_only_worth_keeping_in_the_task_state_store(variables):
    assert TaskInstanceState.in_task_state_store(Tries(store=False).context(), "rec") is None

    tries = Tries(store=True)
    state = TaskInstanceState.in_task_state_store(tries.context(), "rec")
    assert state is not None
    state.set(True)
    again = TaskInstanceState.in_task_state_store(tries.context(), "rec")
    assert again is not None and again.get() is True
    assert variables.values == {}


def test_in_memory_records_are_seen_by_no_other_try():
    state = TaskInstanceState.in_memory()
    assert state.get() is None
    state.set(RECORD)
    assert state.get() == RECORD
    assert TaskInstanceState.in_memory().get() is None
    assert TaskInstanceState.in_memory(RECORD).get() == RECORD
    state.delete()
    assert state.get() is None


def test_each_store_is_the_task_state_store_surface():
    assert isinstance(TaskInstanceState.in_memory().store, MemoryStateStore)
    assert isinstance(
        TaskInstanceState.for_context({"ti": TI()}, "rec", variable="rec_var").store, VariableStateStore
    )
    accessor = AirflowTaskStateStore()
    record = TaskInstanceState.for_context({"ti": TI(), "task_state_store": accessor}, "rec", variable="v")
    record.set({"done": True})
    assert accessor.values == {"rec": '{"done": true}'}


@pytest.mark.skipif(
    not version_compat.HAS_TASK_STATE_STORE, reason="retention is Airflow 3.3's task_state_store's"
)
def test_records_in_the_task_state_store_never_expire():
    """A record the store's retention removed would let a task cleared later act again."""
    from airflow.sdk.execution_time.context import NEVER_EXPIRE

    accessor = AirflowTaskStateStore()
    TaskInstanceState.for_context({"ti": TI(), "task_state_store": accessor}, "rec", variable="v").set(1)
    TaskInstanceState.in_task_state_store({"ti": TI(), "task_state_store": accessor}, "marker").set(2)  # type: ignore[union-attr]
    assert accessor.retentions == {"rec": NEVER_EXPIRE, "marker": NEVER_EXPIRE}


def test_a_sealed_record_outlives_the_task_state_cleared_on_success(variables):
    accessor = AirflowTaskStateStore()
    context = {"ti": TI(), "task_state_store": accessor}
    record = TaskInstanceState.for_context(context, "rec", variable="rec_var")
    record.set({"step": 1})
    assert variables.values == {}  # only a finished record is sealed
    record.seal({"step": 2, "finished": True})
    accessor.values.clear()  # [state_store] clear_on_success=True, on success
    assert TaskInstanceState.for_context(context, "rec", variable="rec_var").get() == {
        "step": 2,
        "finished": True,
    }
    record.delete()
    assert TaskInstanceState.for_context(context, "rec", variable="rec_var").get() is None


# ----- the operators' records, where an earlier version of the provider wrote them --------------


@pytest.mark.parametrize("store", [True, False], ids=["task_state_store", "Variable"])
def test_a_bind_recorded_done_by_an_earlier_version_is_not_sent_again(nxcloud_simulator, variables, store):
    tries = Tries(store=store)
    reference = f"airflow-{tries.key}"
    result = {"bind_id": "b-1", "did": "6580000001", "customer_bind_id": reference, "mode": "AXB"}
    written = {"state": "done", "customer_bind_id": reference, "result": result}
    if tries.store is not None:
        tries.store.set(RECORD_KEY, written)
    else:
        variables.set(f"{RECORD_KEY}_{tries.key}", written, serialize_json=True)

    op = NXCloudBindNumberOperator(
        task_id="bind", phone_a="6591000001", phone_b="6591000002", expire_seconds=3600
    )
    assert op.execute(tries.context()) == {**result, "created": False}
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize("store", [True, False], ids=["task_state_store", "Variable"])
def test_a_bind_records_itself_where_an_earlier_version_looks(nxcloud_simulator, variables, store):
    tries = Tries(store=store)
    op = NXCloudBindNumberOperator(
        task_id="bind", phone_a="6591000001", phone_b="6591000002", expire_seconds=3600
    )
    op.execute(tries.context())
    if tries.store is not None:
        assert list(tries.store.values) == [RECORD_KEY] and variables.values == {}
        assert tries.store.get(RECORD_KEY)["state"] == "done"
    else:
        assert list(variables.values) == [f"nxcloud_pns_binding_{tries.key}"]
        assert json.loads(variables.values[f"nxcloud_pns_binding_{tries.key}"])["state"] == "done"


@pytest.mark.parametrize("store", [True, False], ids=["task_state_store", "Variable"])
def test_number_check_batches_are_found_where_an_earlier_version_kept_them(variables, store):
    tries = Tries(store=store)
    batch = {"index": 0, "batch_no": "n-0", "numbers": 2, "date": "20261201"}
    if tries.store is not None:
        tries.store.set("nxcloud_number_check_batches", [batch])
    else:
        variables.set(f"nxcloud_number_check_batches_{tries.key}", [batch], serialize_json=True)

    records = BatchRecords.for_context(tries.context())
    assert records.get(0) == batch
    records.put({**batch, "index": 1})
    again = BatchRecords.for_context(tries.context())
    assert [again.get(0), again.get(1)] == [batch, {**batch, "index": 1}]
    assert len(variables.values) == (0 if store else 1) and RECORDS_KEY == "nxcloud_number_check_batches"


@pytest.mark.parametrize("store", [True, False], ids=["task_state_store", "Variable"])
def test_ai_voice_import_progress_is_found_where_an_earlier_version_kept_it(variables, store):
    tries = Tries(store=store)
    earlier = Progress(done=[[0, 2]], accepted=300)
    if tries.store is not None:
        tries.store.set(f"{STORE_KEY}_ai_voice_7", earlier.to_json())
    else:
        variables.set(
            f"nxcloud_campaign_progress_{tries.key}_ai_voice_7", earlier.to_json(), serialize_json=True
        )

    progress = _import_progress(tries.context(), 7)
    assert progress.load().to_json() == earlier.to_json()
    assert _import_progress(tries.context(), 8).load().to_json() == Progress().to_json()  # another job


# ----- in a real Airflow: two tries of one task instance ------------------------------------------

E2E_DAG_ID = "task_instance_state_e2e"
E2E_DAG = textwrap.dedent(
    f"""
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG, task

    from airflow_provider_nxcloud.state import TaskInstanceState


    def tries(context, name):
        state = TaskInstanceState.for_context(context, name, variable=name + "_variable")
        earlier = state.get()
        if earlier is None:
            state.set({{"written_by_try": context["ti"].try_number}})
            raise RuntimeError("the first try fails after writing its record")
        return earlier


    with DAG(
        dag_id="{E2E_DAG_ID}",
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        default_args={{"retries": 1, "retry_delay": timedelta(seconds=1)}},
    ):

        @task
        def in_the_store(**context):
            return tries(context, "in_store")

        @task
        def in_a_variable(**context):
            # what Airflow 3.1 and 3.2 give a task: no task_state_store
            return tries({{k: v for k, v in context.items() if k != "task_state_store"}}, "in_variable")

        in_the_store()
        in_a_variable()
    """
)


@pytest.mark.e2e
def test_the_second_try_reads_what_the_first_wrote_in_a_real_airflow(tmp_path):
    """``airflow dags test``: each task writes its record and fails, Airflow retries it, and the
    retry returns the record. Then the metadata database shows where each was kept."""
    from cryptography.fernet import Fernet

    from tests.e2e.harness import airflow_env, migrate, return_values, run_dag

    fernet_key = Fernet.generate_key().decode()
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "task_instance_state_e2e.py").write_text(E2E_DAG)
    home = tmp_path / "airflow-home"
    env = airflow_env(home, {}, AIRFLOW__CORE__DAGS_FOLDER=str(dags), AIRFLOW__CORE__FERNET_KEY=fernet_key)
    migrate(env)
    result = run_dag(E2E_DAG_ID, env, timeout=300)
    assert result.state == "success", result.output[-4000:]

    for task_id in ("in_the_store", "in_a_variable"):
        assert return_values(home, E2E_DAG_ID, task_id) == {-1: {"written_by_try": 1}}
    with sqlite3.connect(home / "airflow.db") as db:
        tries = dict(
            db.execute("SELECT task_id, try_number FROM task_instance WHERE dag_id = ?", (E2E_DAG_ID,))
        )
        rows = db.execute("SELECT key, val, is_encrypted FROM variable").fetchall()
    assert tries == {"in_the_store": 2, "in_a_variable": 2}
    fernet = Fernet(fernet_key)
    stored = {
        key: fernet.decrypt(val.encode()).decode() if encrypted else val for key, val, encrypted in rows
    }
    expected = (
        {"in_variable_variable"}
        if version_compat.HAS_TASK_STATE_STORE
        else {"in_store_variable", "in_variable_variable"}
    )
    assert set(stored) == expected  # Airflow 3.3+ keeps the first task's record in its store
    assert json.loads(stored["in_variable_variable"]) == {"written_by_try": 1}  # kept when the task ends
