"""Settle: an export of a lagging record list waits (deferred) until the interval's records are all listed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from airflow.providers.standard.triggers.temporal import DateTimeTrigger

from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.exports.fonedynamics_messages import FoneDynamicsMessages
from airflow_provider_nxcloud.operators.exports import FoneDynamicsMessagesToStorageOperator
from tests.exports.conftest import CASES, assert_refused_before_any_request, export_context
from tests.operators.conftest import TaskRun

#: the simulated list shows a message ten minutes after it was accepted
LAG_S = 600
#: one message every 10 s over the hour before the interval's end
MESSAGES = 360


@pytest.fixture
def lagging(nxcloud_simulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The simulator, its Fone Dynamics message list lagging :data:`LAG_S` behind the sends."""
    accounts = nxcloud_simulator.state.accounts
    slow = dataclasses.replace(accounts.fonedynamics, list_lag_s=LAG_S)
    monkeypatch.setattr(nxcloud_simulator.state, "accounts", dataclasses.replace(accounts, fonedynamics=slow))
    return nxcloud_simulator


def _just_ended_hour(sim: Any) -> tuple[dt.datetime, dt.datetime]:
    """An hour that ended a minute ago on the simulator's clock, its messages seeded."""
    end = dt.datetime.fromtimestamp(int(sim.clock.now()) - 60, dt.UTC)
    start = end - dt.timedelta(hours=1)
    sim.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), MESSAGES)
    return start, end


def _operator(sim: Any, path: object, **kwargs: Any) -> FoneDynamicsMessagesToStorageOperator:
    op = CASES["fonedynamics-messages"].make(path, **kwargs)
    assert isinstance(op, FoneDynamicsMessagesToStorageOperator)
    op.clock = sim.clock.now  # the operator and the vendor's list read the same clock
    return op


def test_without_settling_the_lagging_list_loses_the_intervals_last_records(lagging, tmp_path):
    start, end = _just_ended_hour(lagging)
    summary = _operator(lagging, tmp_path / "m.jsonl").execute(export_context(TaskRun(), start, end))
    # what the list did not show yet: the messages of the last LAG_S - 60 s of the interval
    assert MESSAGES - 60 <= summary["records"] < MESSAGES - 50


@pytest.mark.parametrize("settle", [900, dt.timedelta(minutes=15)], ids=["seconds", "timedelta"])
def test_an_export_run_early_defers_to_the_settled_moment_and_then_reads_every_record(
    lagging, tmp_path, settle
):
    start, end = _just_ended_hour(lagging)
    path, run = tmp_path / "m.jsonl", TaskRun()
    op = _operator(lagging, path, settle=settle)

    with pytest.raises(TaskDeferred) as deferred:
        op.execute(export_context(run, start, end))
    trigger = deferred.value.trigger
    assert isinstance(trigger, DateTimeTrigger)
    assert trigger.moment == end + dt.timedelta(seconds=900)
    assert deferred.value.method_name == "resume_after_settle"
    assert lagging.requests.total() == 0 and not path.exists()

    lagging.clock.advance(900)  # the trigger fires at its moment
    summary = op.resume_after_settle(export_context(run, start, end), trigger.moment)

    entries = lagging.ledger.entries("fonedynamics", "sms")
    assert summary["records"] == MESSAGES == len(entries)
    assert [line["message_id"] for line in read_records(path)] == [e.vendor_id for e in entries]


def test_the_settle_delay_defaults_to_the_sources_own(lagging, tmp_path, monkeypatch):
    monkeypatch.setattr(FoneDynamicsMessages, "settle_s", 1200, raising=False)
    start, end = _just_ended_hour(lagging)
    with pytest.raises(TaskDeferred) as deferred:
        _operator(lagging, tmp_path / "m.jsonl").execute(export_context(TaskRun(), start, end))
    assert deferred.value.trigger.moment == end + dt.timedelta(seconds=1200)
    # settle=0 overrides the source's delay: read at once
    summary = _operator(lagging, tmp_path / "now.jsonl", settle=0).execute(
        export_context(TaskRun(), start, end)
    )
    assert summary["records"] < MESSAGES


def test_an_export_run_after_the_settled_moment_does_not_defer(lagging, tmp_path):
    start, end = _just_ended_hour(lagging)
    lagging.clock.advance(900)
    summary = _operator(lagging, tmp_path / "m.jsonl", settle=840).execute(
        export_context(TaskRun(), start, end)
    )
    assert summary["records"] == MESSAGES


@pytest.mark.parametrize(
    "settle", [-1, -0.5, dt.timedelta(seconds=-5), "600", True, float("nan"), float("inf"), [600]]
)
def test_a_bad_settle_is_refused_by_name_before_any_request(nxcloud_simulator, tmp_path, settle):
    start, end = _just_ended_hour(nxcloud_simulator)
    assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(nxcloud_simulator, tmp_path / "m.jsonl", settle=settle),
        export_context(TaskRun(), start, end),
        parameter="settle",
    )


def test_an_interval_not_over_is_refused_even_with_a_settle_delay(nxcloud_simulator, tmp_path):
    end = dt.datetime.fromtimestamp(int(nxcloud_simulator.clock.now()) + 600, dt.UTC)
    assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(nxcloud_simulator, tmp_path / "m.jsonl", settle=900),
        export_context(TaskRun(), end - dt.timedelta(hours=1), end),
        parameter="data_interval_end",
        match=r"data_interval_end.*not complete",
    )


def test_what_waiting_cannot_fix_is_refused_before_deferring(nxcloud_simulator, tmp_path):
    start, end = _just_ended_hour(nxcloud_simulator)
    assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(nxcloud_simulator, tmp_path / "m.jsonl", settle=900, page_size=0),
        export_context(TaskRun(), start, end),
        parameter="page_size",
    )
