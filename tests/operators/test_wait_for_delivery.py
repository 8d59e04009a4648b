"""wait_for_delivery: the send operators (SMS, voice, email) wait through the one wait stack, in both modes.

Poke mode polls the delivery watch on the worker; deferrable mode defers the operator itself to
WaitTrigger and resumes in its own execute_complete: no sensor runs inside the operator.
"""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSensorTimeout, TaskDeferred

from airflow_provider_nxcloud.operators.buka import (
    BukaSendEmailOperator,
    BukaSendSmsOperator,
    BukaSendVoiceOperator,
)
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator, NXCloudSendVoiceOperator
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import numbers

UNDELIVERABLE = "6590000000"  # the simulator never delivers numbers ending in 0000


def buka(**kwargs) -> BukaSendSmsOperator:
    kwargs.setdefault("delivery_poll_interval", 0.05)
    kwargs.setdefault("delivery_timeout", 30)
    return BukaSendSmsOperator(task_id="send", text="hi", wait_for_delivery=True, **kwargs)


@pytest.fixture
def fast_delivery(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(100)  # the 2 s delivery delay passes in 20 ms
    return nxcloud_simulator


def test_poke_mode_waits_until_every_report_is_final(fast_delivery, task_run):
    result = buka(recipients=[*numbers(3), UNDELIVERABLE], min_delivered_ratio=0.5).execute(
        task_run.context()
    )
    assert result["accepted"] == 4
    delivery = result["delivery"]
    assert (delivery["delivered"], delivery["failed"], delivery["pending"]) == (3, 1, 0)
    assert delivery["failed_sample"][0]["number"] == UNDELIVERABLE
    assert fast_delivery.requests.count("buka", "sms_report") >= 1


def test_below_the_ratio_the_task_fails_naming_the_number(fast_delivery, task_run):
    with pytest.raises(AirflowFailException, match=UNDELIVERABLE):
        buka(recipients=[*numbers(3), UNDELIVERABLE]).execute(task_run.context())
    assert fast_delivery.ledger.count() == 4  # sent once; only the wait failed


async def test_deferrable_mode_defers_the_operator_itself_and_resumes(nxcloud_simulator, task_run, tmp_path):
    nxcloud_simulator.clock.set_time_scale(0)
    results = tmp_path / "r.jsonl"
    op = buka(recipients=numbers(1500), deferrable=True, results_path=str(results))
    context = task_run.context()
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, WaitTrigger) and deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout.total_seconds() == 30
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
    assert (kwargs["platform"], kwargs["watch"], kwargs["conn_id"]) == ("buka", "delivery", "buka_default")
    assert kwargs["options"]["source"] == {"results_path": str(results)}  # a reference, not the ids
    assert len(json.dumps(kwargs)) < 10_000
    # the send summary is kept for execute_complete (another process may resume the task)
    summary = task_run.ti.xcom_pull(task_ids="send", key="send_summary")
    assert summary["accepted"] == 1500 and summary["results_path"] == str(results)
    assert nxcloud_simulator.requests.count("buka", "sms_report") == 0  # deferred without polling here

    nxcloud_simulator.clock.advance(10)
    [event] = [e async for e in WaitTrigger(**kwargs).run()]
    result = op.execute_complete(context, event.payload)

    assert {k: v for k, v in result.items() if k != "delivery"} == summary
    delivery = result["delivery"]
    assert (delivery["platform"], delivery["kind"], delivery["total"], delivery["delivered"]) == (
        "buka",
        "sms",
        1500,
        1500,
    )
    assert delivery["report_path"] is None
    json.dumps(result)
    assert nxcloud_simulator.ledger.count() == 1500  # the trigger only read


def test_execute_complete_fails_below_the_ratio_and_on_a_timeout(nxcloud_simulator, task_run):
    op = buka(recipients=numbers(2), deferrable=True)
    context = task_run.context()
    task_run.ti.xcom_push(key="send_summary", value={"platform": "buka", "accepted": 2})
    failure = {
        "status": "failure",
        "platform": "buka",
        "watch": "delivery",
        "kind": "sms",
        "total": 2,
        "delivered": 1,
        "failed": 1,
        "pending": 0,
        "delivered_ratio": 0.5,
        "min_delivered_ratio": 1.0,
        "failed_sample": [{"number": UNDELIVERABLE, "message_id": "m2", "reason": "undeliverable"}],
        "message": "...",
    }
    with pytest.raises(AirflowFailException, match=f"{UNDELIVERABLE} \\(undeliverable\\)"):
        op.execute_complete(context, failure)
    timeout = {"status": "timeout", "message": "did not end before the deadline; last seen: 1 pending"}
    with pytest.raises(AirflowSensorTimeout, match="1 pending"):
        op.execute_complete(context, timeout)
    with pytest.raises(AirflowFailException, match="unexpected event"):
        op.execute_complete(context, {"status": "done"})


@pytest.mark.parametrize(
    ("operator", "recipients", "parameter"),
    [
        (buka, numbers(101), "results_path"),
        (
            lambda **kw: FoneDynamicsSendSmsOperator(task_id="send", text="hi", wait_for_delivery=True, **kw),
            [f"+{n}" for n in numbers(101)],
            "results_path",
        ),
        (
            lambda **kw: NXCloudSendSmsOperator(task_id="send", text="hi", wait_for_delivery=True, **kw),
            numbers(2),
            "results_path",
        ),
        (lambda **kw: buka(min_delivered_ratio=1.5, **kw), numbers(2), "min_delivered_ratio"),
        (lambda **kw: buka(delivery_poll_interval=0, **kw), numbers(2), "delivery_poll_interval"),
    ],
    ids=["buka-101", "fonedynamics-101", "nxcloud", "ratio", "interval"],
)
def test_a_wait_that_could_not_follow_every_message_fails_before_sending(
    nxcloud_simulator, task_run, operator, recipients, parameter
):
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=recipients).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_fonedynamics_waits_on_message_status(fast_delivery, task_run):
    op = FoneDynamicsSendSmsOperator(
        task_id="send",
        text="hi",
        recipients=["+6591234567"],
        wait_for_delivery=True,
        delivery_poll_interval=0.05,
    )
    assert op.execute(task_run.context())["delivery"]["delivered"] == 1


# ----- calls and email -------------------------------------------------------------------------


def test_buka_voice_waits_for_the_calls_to_be_answered(fast_delivery, task_run):
    op = BukaSendVoiceOperator(
        task_id="call",
        recipients=[*numbers(2), UNDELIVERABLE],
        text="Your parcel is here",
        language="EN",
        wait_for_delivery=True,
        min_delivered_ratio=0.5,
        delivery_poll_interval=0.05,
    )
    delivery = op.execute(task_run.context())["delivery"]
    assert (delivery["kind"], delivery["delivered"], delivery["failed"]) == ("voice", 2, 1)
    assert delivery["failed_sample"][0]["number"] == UNDELIVERABLE
    assert fast_delivery.requests.count("buka", "voice_record") >= 3


def test_buka_email_below_the_ratio_fails_naming_the_address(fast_delivery, task_run):
    op = BukaSendEmailOperator(
        task_id="mail",
        recipients=["ann@example.com", "bob@mail.invalid"],
        subject="Welcome",
        template_id=1001,
        from_address=DEFAULT_EMAIL_SENDER,
        wait_for_delivery=True,
        delivery_poll_interval=0.05,
    )
    with pytest.raises(AirflowFailException, match=r"bob@mail\.invalid"):
        op.execute(task_run.context())
    assert fast_delivery.ledger.count(kind="email") == 2  # sent once; only the wait failed


async def test_nxcloud_voice_defers_on_the_call_records_and_resumes(nxcloud_simulator, task_run, tmp_path):
    nxcloud_simulator.clock.set_time_scale(0)
    op = NXCloudSendVoiceOperator(
        task_id="call",
        recipients=[*numbers(3), UNDELIVERABLE],
        text="Your parcel is here",
        language="en",
        display_number="6561234567",
        results_path=str(tmp_path / "calls.jsonl"),
        wait_for_delivery=True,
        deferrable=True,
        min_delivered_ratio=0.75,
    )
    context = task_run.context()
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    kwargs = deferred.value.trigger.serialize()[1]
    assert (kwargs["platform"], kwargs["options"]["kind"]) == ("nxcloud", "voice")
    assert kwargs["options"]["poller_options"] == {"voice_type": 1}

    nxcloud_simulator.clock.advance(10)
    event = await WaitTrigger(**kwargs).run().__anext__()
    result = op.execute_complete(context, event.payload)
    assert result["accepted"] == 4
    assert (result["delivery"]["delivered"], result["delivery"]["failed"]) == (3, 1)
    assert nxcloud_simulator.ledger.count() == 4  # the trigger only read


def test_nxcloud_voice_needs_a_results_file_to_wait(nxcloud_simulator, task_run):
    op = NXCloudSendVoiceOperator(
        task_id="call",
        recipients=numbers(2),
        text="hi",
        language="en",
        display_number="6561234567",
        wait_for_delivery=True,
    )
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    assert str(failed.value).startswith("results_path")
    assert nxcloud_simulator.requests.total() == 0


# ----- a later try of a campaign whose sends were all done -------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        lambda **kw: NXCloudSendSmsOperator(task_id="send", text="hi", **kw),
        lambda **kw: BukaSendSmsOperator(task_id="send", text="hi", **kw),
    ],
    ids=["nxcloud", "buka"],
)
def test_a_try_after_the_wait_failed_keeps_the_results_file_and_sends_nothing(
    nxcloud_simulator, task_run, tmp_path, operator
):
    """The results file is evidence: the retry (or a cleared task) appends, never truncates it."""
    results = tmp_path / "results.jsonl"
    recipients = numbers(150)  # two NXCloud batches
    op = operator(
        recipients=recipients,
        results_path=str(results),
        wait_for_delivery=True,
        delivery_poll_interval=0.05,
        delivery_timeout=0.3,
    )
    nxcloud_simulator.clock.set_time_scale(0)  # no report becomes final: the first try's wait times out
    with pytest.raises(AirflowSensorTimeout):
        op.execute(task_run.context())
    first_try = results.read_text().splitlines()
    assert len(first_try) == 150 and nxcloud_simulator.ledger.count() == 150

    nxcloud_simulator.clock.set_time_scale(100)
    result = op.execute(task_run.retry())

    assert result["resumed_batches"] == result["batches"] and result["results_lines"] == 150
    assert results.read_text().splitlines() == first_try
    assert nxcloud_simulator.ledger.count() == 150 and nxcloud_simulator.ledger.duplicates() == {}
    assert result["delivery"]["delivered"] == 150


def test_the_report_credentials_are_checked_before_sending(nxcloud_simulator, task_run, monkeypatch):
    """NXCloud's SMS report query signs with the SMS app's key: without it nothing is sent."""
    conn = json.loads(nxcloud_simulator.connection_env()["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    conn["extra"] = {k: v for k, v in conn.get("extra", {}).items() if k != "sms_app_secret"}
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    op = NXCloudSendSmsOperator(
        task_id="send", text="hi", recipients=numbers(2), wait_for_delivery=True, results_path="r.jsonl"
    )
    with pytest.raises(AirflowFailException, match="sms_app_secret"):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0
