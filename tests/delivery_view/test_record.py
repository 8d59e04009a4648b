"""The campaign record a send task leaves, and the page built from it, against the simulator's ledger."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSensorTimeout, TaskDeferred

from airflow_provider_nxcloud.delivery_view import CAMPAIGN_XCOM_KEY
from airflow_provider_nxcloud.delivery_view.summary import campaign_page
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.transfers.sql_to_sms import SqlToBukaSmsOperator
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import TaskRun, numbers
from tests.operators.test_campaign_compliance import NEW_YORK, SGT_08, SGT_23, SINGAPORE, fixed_clock, quiet

#: the simulator never delivers numbers ending in 0000
UNDELIVERABLE = ["6590000000", "6591230000"]
SECRETS = [
    accounts.BUKA_API_KEY,
    accounts.BUKA_API_SECRET,
    accounts.NXCLOUD_ACCESS_SECRET,
    accounts.NXCLOUD_SMS_APP_SECRET,
    accounts.FONEDYNAMICS_TOKEN,
]


@pytest.fixture
def fast_delivery(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(100)  # the 2 s delivery delay passes in 20 ms
    return nxcloud_simulator


def identity(run: TaskRun) -> dict:
    ti = run.ti
    return {"dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id, "map_index": ti.map_index}


def ledger_outcomes(sim) -> Counter:
    now = sim.clock.now()
    return Counter(entry.status_at(now) for entry in sim.ledger.entries(kind="sms"))


def assert_plain_and_small(record: dict) -> None:
    text = json.dumps(record)  # plain JSON, or this raises
    assert len(text) < 2048, len(text)
    assert not any(secret in text for secret in SECRETS)


def test_a_waited_campaign_page_counts_what_the_ledger_holds(fast_delivery, task_run, tmp_path):
    recipients = [*numbers(2500), *UNDELIVERABLE]
    results, report = tmp_path / "results.jsonl", tmp_path / "report.jsonl"
    summary = BukaSendSmsOperator(
        task_id="send",
        text="hi",
        recipients=recipients,
        results_path=str(results),
        wait_for_delivery=True,
        report_path=str(report),
        min_delivered_ratio=0.5,
        delivery_poll_interval=0.05,
        delivery_timeout=60,
    ).execute(task_run.context())

    record = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert_plain_and_small(record)
    vendor_ids = {entry.vendor_id for entry in fast_delivery.ledger.entries()}
    assert not any(vendor_id in json.dumps(record) for vendor_id in vendor_ids)
    assert (record["platform"], record["kind"], record["operator"]) == ("buka", "sms", "BukaSendSmsOperator")
    assert (record["results_path"], record["report_path"]) == (str(results), str(report))
    assert record["delivery"]["delivered"] == summary["delivery"]["delivered"]
    assert "failed_sample" not in record["delivery"]

    page = campaign_page(record, identity(task_run))
    outcomes = ledger_outcomes(fast_delivery)
    funnel = page["funnel"]
    assert funnel["recipients"] == funnel["valid"] == 2502
    assert funnel["accepted"] == fast_delivery.ledger.count() == 2502
    assert (funnel["delivered"], funnel["failed"], funnel["pending"]) == (
        outcomes["delivered"],
        outcomes["undelivered"],
        0,
    )
    assert funnel["failed"] == 2 and funnel["rejected"] == funnel["skipped"] == 0
    timeline = page["timeline"]
    assert sum(row["accepted"] for row in timeline) == 2502
    assert sum(row["delivered"] for row in timeline) == outcomes["delivered"]
    assert sum(row["failed"] for row in timeline) == 2
    assert page["failures_by_country"] == [{"country": "SG", "count": 2}]
    assert [row["stage"] for row in page["failures_by_reason"]] == ["delivery"]
    assert sum(row["count"] for row in page["failures_by_reason"]) == 2
    assert page["campaign"]["task_id"] == "send" and page["campaign"]["map_index"] == -1
    assert page["source"]["results"]["lines"] == 2502 and page["source"]["report"]["lines"] == 2502


async def test_a_deferred_wait_updates_the_record_when_it_resumes(nxcloud_simulator, task_run, tmp_path):
    nxcloud_simulator.clock.set_time_scale(0)
    results, report = tmp_path / "results.jsonl", tmp_path / "out" / "report.jsonl"
    op = NXCloudSendSmsOperator(
        task_id="send",
        text="hi",
        recipients=[*numbers(150), UNDELIVERABLE[0]],
        results_path=str(results),
        wait_for_delivery=True,
        deferrable=True,
        report_path="{{ params.report }}",
        min_delivered_ratio=0.5,
        delivery_poll_interval=0.05,
        delivery_timeout=60,
    )
    assert "report_path" in op.template_fields
    op.report_path = str(report)  # as rendered
    context = task_run.context()
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    sent = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert sent["delivery"] is None and sent["report_path"] is None and sent["accepted"] == 151
    kwargs = deferred.value.trigger.serialize()[1]
    assert kwargs["options"]["report_path"] == str(report)

    nxcloud_simulator.clock.advance(10)
    [event] = [e async for e in WaitTrigger(**kwargs).run()]
    op.execute_complete(context, event.payload)

    record = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert_plain_and_small(record)
    assert record["report_path"] == str(report) and record["delivery"]["failed"] == 1
    page = campaign_page(record, identity(task_run))
    outcomes = ledger_outcomes(nxcloud_simulator)
    assert (page["funnel"]["delivered"], page["funnel"]["failed"]) == (
        outcomes["delivered"],
        outcomes["undelivered"],
    )


def test_a_failed_delivery_ratio_still_leaves_the_counts(fast_delivery, task_run, tmp_path):
    with pytest.raises(AirflowFailException):
        BukaSendSmsOperator(
            task_id="send",
            text="hi",
            recipients=[*numbers(3), UNDELIVERABLE[0]],
            wait_for_delivery=True,
            delivery_poll_interval=0.05,
            delivery_timeout=60,
        ).execute(task_run.context())
    record = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert (record["delivery"]["delivered"], record["delivery"]["failed"]) == (3, 1)
    page = campaign_page(record, identity(task_run))  # no files: the record's counts
    assert (page["funnel"]["accepted"], page["funnel"]["delivered"], page["funnel"]["failed"]) == (4, 3, 1)
    assert page["source"] == {"results": None, "report": None, "seconds": page["source"]["seconds"]}


def test_without_a_wait_the_delivery_counts_are_unknown(nxcloud_simulator, task_run):
    FoneDynamicsSendSmsOperator(task_id="send", text="hi", recipients=numbers(3)).execute(task_run.context())
    page = campaign_page(task_run.ti.xcoms[CAMPAIGN_XCOM_KEY], identity(task_run))
    assert page["funnel"]["accepted"] == nxcloud_simulator.ledger.count() == 3
    assert (page["funnel"]["delivered"], page["funnel"]["failed"], page["funnel"]["pending"]) == (None,) * 3


def test_a_report_without_a_wait_is_refused_before_any_request(nxcloud_simulator, task_run, tmp_path):
    op = BukaSendSmsOperator(
        task_id="send", text="hi", recipients=numbers(2), report_path=str(tmp_path / "r")
    )
    with pytest.raises(AirflowFailException, match="report_path"):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0
    assert CAMPAIGN_XCOM_KEY not in task_run.ti.xcoms


def test_batches_in_doubt_then_skipped_by_decision_are_in_the_record(nxcloud_simulator, tmp_path):
    # batch 1 never reached the vendor; an empty list cannot prove it: in doubt, the task fails
    run = TaskRun()
    recipients, results = numbers(150), tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={2: "reset_before"})

    def send(**kwargs):
        return FoneDynamicsSendSmsOperator(
            task_id="send",
            text="hi",
            recipients=recipients,
            results_path=str(results),
            settle_delay=0.2,
            **kwargs,
        )

    with pytest.raises(AirflowFailException) as failed:
        send().execute(run.context())
    failed_record = run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert failed_record["in_doubt"] == 50 and failed_record["decisions"] == []
    assert campaign_page(failed_record, identity(run))["funnel"]["in_doubt"] == 50

    reference = failed.value.__cause__.reference
    send(in_doubt_decisions={reference: "skip"}).execute(run.retry())
    record = run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert record["decisions"] == [
        {"batch": 1, "reference": reference, "decision": "skip", "by": "in_doubt_decisions", "recipients": 50}
    ]
    page = campaign_page(record, identity(run))
    assert (page["funnel"]["accepted"], page["funnel"]["skipped"]) == (nxcloud_simulator.ledger.count(), 50)
    assert page["decisions"] == record["decisions"]


def test_the_sql_transfers_leave_the_record_too(nxcloud_simulator, tmp_path, monkeypatch):
    pytest.importorskip("airflow.providers.sqlite.hooks.sqlite")
    db = tmp_path / "audience.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, phone TEXT)")
        connection.executemany("INSERT INTO customers (phone) VALUES (?)", [(n,) for n in numbers(30)])
    connection.close()
    monkeypatch.setenv("AIRFLOW_CONN_AUDIENCE_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    run, results = TaskRun(), tmp_path / "results.jsonl"
    SqlToBukaSmsOperator(
        task_id="send",
        sql="SELECT phone FROM customers ORDER BY id",
        sql_conn_id="audience_db",
        number_column="phone",
        text="Sale at noon",
        results_path=str(results),
    ).execute(run.context())
    record = run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert record["operator"] == "SqlToBukaSmsOperator" and record["recipients"] == 30
    assert (
        campaign_page(record, identity(run))["funnel"]["accepted"] == nxcloud_simulator.ledger.count() == 30
    )


@pytest.mark.parametrize("deferrable", [False, True])
async def test_a_wait_that_times_out_leaves_what_it_saw(nxcloud_simulator, task_run, tmp_path, deferrable):
    nxcloud_simulator.clock.set_time_scale(0)  # no report ever becomes final
    report = tmp_path / "report.jsonl"
    op = BukaSendSmsOperator(
        task_id="send",
        text="hi",
        recipients=numbers(3),
        wait_for_delivery=True,
        deferrable=deferrable,
        report_path=str(report),
        delivery_poll_interval=0.05,
        delivery_timeout=0.3,
    )
    context = task_run.context()
    if deferrable:
        with pytest.raises(TaskDeferred) as deferred:
            op.execute(context)
        [event] = [e async for e in WaitTrigger(**deferred.value.trigger.serialize()[1]).run()]
        assert event.payload["status"] == "timeout"
        with pytest.raises(AirflowSensorTimeout):
            op.execute_complete(context, event.payload)
    else:
        with pytest.raises(AirflowSensorTimeout):
            op.execute(context)
    record = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert (record["delivery"]["pending"], record["report_path"]) == (3, str(report))
    page = campaign_page(record, identity(task_run))
    assert (page["funnel"]["accepted"], page["funnel"]["pending"], page["funnel"]["delivered"]) == (3, 3, 0)


def test_a_send_paused_for_quiet_hours_shows_its_progress_and_keeps_its_start(
    nxcloud_simulator, task_run, tmp_path
):
    clock = fixed_clock(SGT_23)  # Singapore is inside quiet hours, New York is not
    op = quiet(clock, deferrable=True, results_path=str(tmp_path / "results.jsonl"))
    with pytest.raises(TaskDeferred):
        op.execute(task_run.context())
    paused = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert paused["paused"] is True and paused["accepted"] == len(NEW_YORK)
    page = campaign_page(paused, identity(task_run))
    assert page["funnel"]["accepted"] == nxcloud_simulator.ledger.count() == len(NEW_YORK)

    paused["started_at"] = "2026-12-03T14:59:00Z"  # as the first part of the send left it
    clock.advance(SGT_08.timestamp() - SGT_23.timestamp())
    op.resume_after_quiet_hours(task_run.context(), {"status": "success"})
    record = task_run.ti.xcoms[CAMPAIGN_XCOM_KEY]
    assert (record["paused"], record["started_at"]) == (False, "2026-12-03T14:59:00Z")
    page = campaign_page(record, identity(task_run))
    assert page["funnel"]["accepted"] == nxcloud_simulator.ledger.count() == len(SINGAPORE) + len(NEW_YORK)
