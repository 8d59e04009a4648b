"""wait_for_delivery: the send operators (SMS, voice, email) wait as the platform's sensor would, in both modes."""

from __future__ import annotations

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
from airflow_provider_nxcloud.triggers.delivery import SmsDeliveryTrigger
from tests.operators.conftest import numbers

UNDELIVERABLE = "6590000000"  # the simulator never delivers numbers ending in 0000


def buka(**kwargs) -> BukaSendSmsOperator:
    return BukaSendSmsOperator(
        task_id="send",
        text="hi",
        wait_for_delivery=True,
        delivery_poll_interval=0.05,
        delivery_timeout=30,
        **kwargs,
    )


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


async def test_deferrable_mode_hands_over_to_the_trigger_and_resumes(nxcloud_simulator, task_run, tmp_path):
    nxcloud_simulator.clock.set_time_scale(0)
    op = buka(recipients=numbers(150), deferrable=True, results_path=str(tmp_path / "r.jsonl"))
    context = task_run.context()
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, SmsDeliveryTrigger) and deferred.value.method_name == "execute_complete"
    assert len(trigger.serialize()[1]["messages"]) == 150

    nxcloud_simulator.clock.advance(10)
    event = await trigger.run().__anext__()
    result = op.execute_complete(context, event.payload)
    assert result["accepted"] == 150 and result["delivery"]["delivered"] == 150
    assert nxcloud_simulator.ledger.count() == 150  # the trigger only read


@pytest.mark.parametrize(
    ("operator", "recipients", "parameter"),
    [
        (buka, numbers(101), "results_path"),
        (
            lambda **kw: NXCloudSendSmsOperator(task_id="send", text="hi", wait_for_delivery=True, **kw),
            numbers(2),
            "results_path",
        ),
    ],
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
    assert (kwargs["platform"], kwargs["kind"], kwargs["options"]) == ("nxcloud", "voice", {"voice_type": 1})

    nxcloud_simulator.clock.advance(10)
    event = await SmsDeliveryTrigger(**kwargs).run().__anext__()
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
