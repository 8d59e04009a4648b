"""wait_for_delivery: the send operators wait as the platform's delivery sensor would, in both modes."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
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
