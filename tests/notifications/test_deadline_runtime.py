"""A Deadline Alert whose ``AsyncCallback`` is ``SmsNotifier``, on Airflow's real runtime.

``airflow dags test`` cannot run a DAG with a deadline (apache/airflow#73428, tests/e2e/harness.py),
so this runs the scheduler (LocalExecutor), dag-processor, api-server and triggerer of
tests/reliability/runtime, in a private home, with the simulator host behind the connections.
Two DAGs in the shape of dags_examples/example_deadline_sms.py, triggered together through the
REST API:

* ``deadline_sms_late``: the deadline is a few seconds after the run was queued and a task sleeps
  past it. The scheduler marks the deadline missed, the triggerer runs the notifier, and the
  on-call number gets one text, rendered from the deadline's context, while the run still runs.
* ``deadline_sms_on_time``: the run finishes well before its deadline. The scheduler prunes the
  deadline when the run succeeds, and nobody is texted, also after the deadline time has passed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_nxcloud.testing.accounts import BUKA_API_SECRET
from tests.reliability.runtime.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.long]

LATE, ON_TIME = "deadline_sms_late", "deadline_sms_on_time"
#: (deadline after the run was queued, how long the first task sleeps, on-call number, customers)
DAGS: dict[str, tuple[int, int, str, list[str]]] = {
    LATE: (5, 25, "+65 9123 4500", ["+65 9123 4501", "+65 9123 4502", "+65 9123 4503"]),
    # a run of one send takes seconds; a minute leaves room on a busy machine
    ON_TIME: (60, 0, "+65 9123 4510", ["+65 9123 4511", "+65 9123 4512"]),
}
ALERT_TEXT = "{{ dag_run.dag_id }} run {{ dag_run.dag_run_id }} is late"
REMINDER = "Your appointment is tomorrow at 10:00."
TERMINAL = {"success", "failed"}
#: time for a missed deadline to reach the triggerer and its text the simulator (scheduler loop 1 s)
ALERT_SETTLE_S = 15


def ledger_number(number: str) -> str:
    """How the Buka ledger writes a number: digits only, country code first."""
    return "".join(ch for ch in number if ch.isdigit())


def dag_source(dag_id: str) -> str:
    deadline_s, sleep_s, on_call, customers = DAGS[dag_id]
    sleep_task = (
        f"""
    @task
    def outlast_the_deadline():
        time.sleep({sleep_s})

    outlast_the_deadline() >> send_reminders
"""
        if sleep_s
        else ""
    )
    return f'''"""Written by {__name__}: example_deadline_sms with a deadline of {deadline_s} s."""

import time
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference

from airflow_provider_nxcloud.notifications.sms import SmsNotifier
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator


@dag(
    dag_id={dag_id!r},
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(seconds={deadline_s}),
        callback=AsyncCallback(
            SmsNotifier,
            kwargs={{"conn_id": "buka_default", "recipients": [{on_call!r}], "text": {ALERT_TEXT!r}}},
        ),
    ),
)
def deadline_dag():
    send_reminders = BukaSendSmsOperator(
        task_id="send_reminders", recipients={customers!r}, text={REMINDER!r}
    )
{sleep_task}

deadline_dag()
'''


@dataclass
class Run:
    dag_id: str
    run_id: str
    state: str
    end_date: datetime
    #: the deadline row as the scheduler wrote it when the run was created
    deadline_time: datetime


@dataclass
class Outcome:
    runs: dict[str, Run]
    #: every SMS the simulator accepted
    sms: list[dict[str, Any]]
    #: the state of each deadline's callback, by DAG, once everything settled (None: no deadline left)
    callbacks: dict[str, list[str | None]]
    #: every component and task log of the stack (left out of the repr a failure prints)
    logs: dict[str, str] = field(repr=False)


def _when(value: object) -> datetime:
    """An API or metadata-database time (SQLite keeps them as text, UTC) as an aware UTC datetime."""
    when = datetime.fromisoformat(str(value).replace(" ", "T").replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def deadline_of(stack: Stack, dag_id: str, run_id: str) -> datetime:
    with stack.db() as db:
        rows = db.execute(
            "SELECT d.deadline_time FROM deadline d JOIN dag_run r ON d.dagrun_id = r.id"
            " WHERE r.dag_id = ? AND r.run_id = ?",
            (dag_id, run_id),
        ).fetchall()
    assert len(rows) == 1, f"{dag_id}: expected one deadline for the run, found {rows}"
    [(deadline_time,)] = rows
    return _when(deadline_time)


def callback_states(stack: Stack, dag_id: str) -> list[str | None]:
    with stack.db() as db:
        return [
            state
            for (state,) in db.execute(
                "SELECT c.state FROM deadline d JOIN callback c ON d.callback_id = c.id"
                " JOIN dag_run r ON d.dagrun_id = r.id WHERE r.dag_id = ?",
                (dag_id,),
            )
        ]


def run_both(stack: Stack) -> Outcome:
    stack.wait_for_dags(list(DAGS), timeout=300)
    run_ids = {
        dag_id: stack.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None})["dag_run_id"]
        for dag_id in DAGS
    }
    # written with the run, by the api-server (DAGRUN_QUEUED_AT: the run is queued at creation)
    deadlines = {dag_id: deadline_of(stack, dag_id, run_id) for dag_id, run_id in run_ids.items()}
    replies: dict[str, dict[str, Any]] = {}
    give_up = time.monotonic() + 300
    while len(replies) < len(DAGS) and time.monotonic() < give_up:
        stack.check_alive()
        for dag_id, run_id in run_ids.items():
            reply = stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if reply["state"] in TERMINAL:
                replies[dag_id] = reply
        time.sleep(1)
    assert len(replies) == len(DAGS), f"runs not finished within 300 s: {sorted(set(DAGS) - set(replies))}"
    # the on-time run's deadline passes with the run long finished: nothing may fire after it either
    while datetime.now(UTC) < deadlines[ON_TIME] + timedelta(seconds=ALERT_SETTLE_S):
        stack.check_alive()
        time.sleep(1)
    # the late alert ran in the triggerer: its callback is done (or failed: asserted below)
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up and any(state not in TERMINAL for state in callback_states(stack, LATE)):
        time.sleep(1)
    runs = {
        dag_id: Run(
            dag_id,
            run_ids[dag_id],
            reply["state"],
            _when(reply["end_date"]),
            deadlines[dag_id],
        )
        for dag_id, reply in replies.items()
    }
    sms = [entry for entry in stack.sim("GET", "/ledger")["entries"] if entry["kind"] == "sms"]
    return Outcome(runs, sms, {dag_id: callback_states(stack, dag_id) for dag_id in DAGS}, {})


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    work = tmp_path_factory.mktemp("deadline-runtime")
    dags = work / "dags"
    dags.mkdir()
    for dag_id in DAGS:
        (dags / f"{dag_id}.py").write_text(dag_source(dag_id), encoding="utf-8")
    with running_stack(work, parallelism=4) as stack:
        result = run_both(stack)
    # read once every process has stopped and flushed
    result.logs = {
        str(path.relative_to(work)): path.read_text(errors="replace")
        for root in (stack.logs, stack.home / "logs")
        for path in sorted(root.rglob("*.log"))
    }
    yield result


def texts_to(outcome: Outcome, number: str) -> list[dict[str, Any]]:
    return [entry for entry in outcome.sms if entry["recipient"] == ledger_number(number)]


def test_the_late_run_texts_the_on_call_number_once_while_it_runs(outcome: Outcome) -> None:
    run = outcome.runs[LATE]
    assert run.state == "success"
    assert outcome.callbacks[LATE] == ["success"]
    _deadline_s, _sleep_s, on_call, _customers = DAGS[LATE]
    [alert] = texts_to(outcome, on_call)
    assert alert["content"] == f"{LATE} run {run.run_id} is late"
    # sent after the deadline, before the run finished: the alert is about a run still late
    sent = datetime.fromtimestamp(alert["time"], UTC)
    assert run.deadline_time <= sent < run.end_date, (run, sent)


def test_each_run_texts_its_customers_once(outcome: Outcome) -> None:
    for dag_id, (_deadline_s, _sleep_s, _on_call, customers) in DAGS.items():
        assert outcome.runs[dag_id].state == "success"
        reminders = Counter(entry["recipient"] for entry in outcome.sms if entry["content"] == REMINDER)
        assert {ledger_number(number): reminders[ledger_number(number)] for number in customers} == {
            ledger_number(number): 1 for number in customers
        }
    # and nothing else went anywhere: the customers' reminders and the one alert
    assert len(outcome.sms) == sum(len(customers) for *_, customers in DAGS.values()) + 1


def test_a_run_that_finishes_before_its_deadline_texts_nobody(outcome: Outcome) -> None:
    run = outcome.runs[ON_TIME]
    assert run.end_date < run.deadline_time, f"the on-time run finished after its deadline: {run}"
    _deadline_s, _sleep_s, on_call, _customers = DAGS[ON_TIME]
    assert texts_to(outcome, on_call) == []
    # the scheduler dropped the deadline when the run succeeded: no callback was ever queued
    assert outcome.callbacks[ON_TIME] == []


def test_the_secret_is_in_no_log(outcome: Outcome) -> None:
    # the logs read are those the notifier and the send task wrote to
    assert any("SMS notification via buka: 1 accepted" in text for text in outcome.logs.values()), sorted(
        outcome.logs
    )
    assert any("send_reminders" in name for name in outcome.logs)
    leaking = [name for name, text in outcome.logs.items() if BUKA_API_SECRET in text]
    assert leaking == []
