"""The delivery sensors against the simulator: poke mode, message sources, ratio, deferral, resumption."""

from __future__ import annotations

import json
import time

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    PokeReturnValue,
    TaskDeferred,
)

from airflow_provider_nxcloud.campaign.delivery.verdict import NAMES_TOLD
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import DeliveryWaitError, InvalidInputError, PermanentAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.sensors.delivery import (
    BukaSmsDeliverySensor,
    DeliverySensor,
    FoneDynamicsMessageStatusSensor,
    NXCloudSmsDeliverySensor,
)
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.sensors.senders import (
    UNDELIVERABLE_SG,
    context,
    send,
    send_buka,
    send_fonedynamics,
    send_requests,
    sg_numbers,
)

# request counts below assume one record day: see tests/conftest.py
pytestmark = pytest.mark.usefixtures("one_record_day")

SENSORS: dict[str, type[DeliverySensor]] = {
    "buka": BukaSmsDeliverySensor,
    "nxcloud": NXCloudSmsDeliverySensor,
    "fonedynamics": FoneDynamicsMessageStatusSensor,
}
PLATFORMS = sorted(SENSORS)


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves delivery on
    return nxcloud_simulator


def sensor(platform: str, **kwargs) -> DeliverySensor:
    kwargs.setdefault("poke_interval", 1)
    kwargs.setdefault("timeout", 60)
    return SENSORS[platform](task_id="wait", **kwargs)


def done_value(result) -> dict:
    assert isinstance(result, PokeReturnValue) and result.is_done
    json.dumps(result.xcom_value)  # the XCom is plain JSON
    return result.xcom_value


# ----- poke mode, every platform -------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pending_then_delivered(sim, platform):
    numbers = sg_numbers(3)
    ids = send(platform, numbers)
    sent = sim.ledger.count()
    wait = sensor(platform, message_ids=ids)
    ctx = context()

    assert wait.poke(ctx) is False  # just sent: nothing final yet
    sim.clock.advance(5)
    summary = done_value(wait.poke(ctx))

    assert (summary["total"], summary["delivered"], summary["failed"], summary["pending"]) == (3, 3, 0, 0)
    assert summary["delivered_ratio"] == 1.0 and summary["platform"] == platform
    assert sim.ledger.count() == sent  # waiting sent nothing
    assert {s.status for s in sim.ledger.entries()} == {"delivered"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_undelivered_number_fails_at_once_naming_it(sim, platform):
    ids = send(platform, [*sg_numbers(3), UNDELIVERABLE_SG])
    wait = sensor(platform, message_ids=ids)
    sim.clock.advance(5)

    with pytest.raises(AirflowFailException) as failed:
        wait.poke(context())
    assert UNDELIVERABLE_SG in str(failed.value)
    assert "3 of 4 delivered" in str(failed.value)
    expected_reason = {"buka": "status 1", "nxcloud": "UNDELIV", "fonedynamics": "Failed"}[platform]
    assert expected_reason in str(failed.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lower_ratio_lets_it_pass(sim, platform):
    ids = send(platform, [sg_numbers(1)[0], UNDELIVERABLE_SG])
    sim.clock.advance(5)
    summary = done_value(sensor(platform, message_ids=ids, min_delivered_ratio=0.5).poke(context()))

    assert (summary["delivered"], summary["failed"], summary["delivered_ratio"]) == (1, 1, 0.5)
    [failure] = summary["failed_sample"]
    assert failure["message_id"] == ids[1]
    assert failure["number"] and failure["number"].lstrip("+") == UNDELIVERABLE_SG
    assert failure["reason"] in summary["failure_reasons"]


def test_failure_is_known_before_everything_is_final(sim):
    """With a ratio of 1.0 one failure is enough; the rest need not be waited for."""
    ids = send("buka", [UNDELIVERABLE_SG])
    sim.clock.advance(5)
    ids += send("buka", sg_numbers(2))  # still pending
    with pytest.raises(AirflowFailException, match="2 pending"):
        sensor("buka", message_ids=ids).poke(context())


# ----- where the messages come from ------------------------------------------------------------


def test_ids_from_a_results_file(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send_buka([*sg_numbers(4), UNDELIVERABLE_SG], results_path=results)
    sim.clock.advance(5)
    report = tmp_path / "reports" / "delivery.jsonl"
    wait = sensor("buka", results_path=str(results), min_delivered_ratio=0.8, report_path=str(report))
    summary = done_value(wait.poke(context()))

    assert (summary["total"], summary["delivered"], summary["failed"]) == (5, 4, 1)
    assert summary["failed_sample"][0]["number"] == UNDELIVERABLE_SG
    assert summary["report_path"] == str(report)
    lines = list(read_results(report))
    assert [line["number"] for line in lines] == [line["number"] for line in read_results(results)]
    assert [line["outcome"] for line in lines] == ["delivered"] * 4 + ["failed"]


def test_ids_from_the_send_tasks_xcom_results_path(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    summary_of_send = send_buka(sg_numbers(150), results_path=results)
    assert len(summary_of_send["vendor_ids"]) == 100  # the XCom alone would not do
    sim.clock.advance(5)

    summary = done_value(sensor("buka", send_task_id="send").poke(context(send=summary_of_send)))
    assert summary["total"] == summary["delivered"] == 150


def test_ids_from_the_send_tasks_xcom_vendor_ids(sim):
    summary_of_send = send_buka(sg_numbers(3))
    assert summary_of_send["results_path"] is None
    sim.clock.advance(5)

    summary = done_value(sensor("buka", send_task_id="send").poke(context(send=summary_of_send)))
    assert summary["total"] == summary["delivered"] == 3


def test_a_truncated_xcom_without_results_path_is_refused(sim):
    summary_of_send = send_buka(sg_numbers(101))
    with pytest.raises(AirflowFailException, match="names 100 message ids for 101 accepted") as failed:
        sensor("buka", send_task_id="send").poke(context(send=summary_of_send))
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == "send_task_id"
    assert "give the send task a results_path" in str(failed.value)
    assert sim.requests.count("buka", "sms_report") == 0


def test_an_xcom_from_another_platform_is_refused(sim):
    summary_of_send = send_buka(sg_numbers(1))
    with pytest.raises(AirflowFailException, match="sent through buka"):
        sensor("nxcloud", send_task_id="send").poke(context(send=summary_of_send))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({}, "none was given"),
        ({"message_ids": ["1"], "results_path": "/tmp/x"}, "several were given"),
        ({"message_ids": []}, "none was given"),
        ({"message_ids": ["1"], "min_delivered_ratio": 1.5}, "min_delivered_ratio"),
        ({"results_path": "/nonexistent/results.jsonl"}, "does not exist"),
    ],
)
def test_bad_input_fails_without_a_request(sim, kwargs, match):
    with pytest.raises(AirflowFailException, match=match):
        sensor("buka", **kwargs).poke(context())
    assert sim.requests.total() == 0


def test_ids_as_a_templated_string(sim):
    ids = send("fonedynamics", sg_numbers(2))
    sim.clock.advance(5)
    summary = done_value(sensor("fonedynamics", message_ids=json.dumps(ids)).poke(context()))
    assert summary["delivered"] == 2
    summary = done_value(sensor("fonedynamics", message_ids=",".join(ids)).poke(context()))
    assert summary["delivered"] == 2
    assert "message_ids" in FoneDynamicsMessageStatusSensor.template_fields
    assert "app_id" in BukaSmsDeliverySensor.template_fields


# ----- vendor limits and errors ---------------------------------------------------------------


def test_buka_asks_about_200_ids_per_request(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send_buka(sg_numbers(450), results_path=results)
    wait = sensor("buka", results_path=str(results))
    ctx = context()

    assert wait.poke(ctx) is False
    assert sim.requests.count("buka", "sms_report") == 3
    sim.clock.advance(5)
    assert done_value(wait.poke(ctx))["delivered"] == 450
    assert sim.requests.count("buka", "sms_report") == 6


def test_only_unfinished_messages_are_asked_about_again(sim):
    ids = send("fonedynamics", sg_numbers(2))
    sim.clock.advance(5)
    ids += send("fonedynamics", sg_numbers(1, start=50))
    wait = sensor("fonedynamics", message_ids=ids)
    ctx = context()
    assert wait.poke(ctx) is False
    assert sim.requests.count("fonedynamics", "get_message") == 3
    sim.clock.advance(5)
    assert done_value(wait.poke(ctx))["delivered"] == 3
    assert sim.requests.count("fonedynamics", "get_message") == 4


def test_a_transient_error_is_not_done_yet(sim, monkeypatch):
    ids = send("buka", sg_numbers(2))
    sim.clock.advance(5)
    wait = sensor("buka", message_ids=ids)
    monkeypatch.setattr(wait, "hook", BukaHook(sleep=lambda s: None))
    sim.faults.next("http_503", count=4, endpoint="sms_report", platform="buka")  # every in-hook attempt

    ctx = context()
    assert wait.poke(ctx) is False
    assert done_value(wait.poke(ctx))["delivered"] == 2


def test_a_permanent_error_fails_at_once(sim):
    ids = send("buka", sg_numbers(1))
    with pytest.raises(AirflowFailException) as failed:
        sensor("buka", message_ids=ids, app_id="someone-elses-app").poke(context())
    assert isinstance(failed.value.__cause__, PermanentAPIError)


def test_unknown_ids_stay_pending_and_are_named_at_timeout(sim, tmp_path):
    ids = send("fonedynamics", sg_numbers(1))
    sim.clock.advance(5)
    report = tmp_path / "report.jsonl"
    wait = sensor(
        "fonedynamics",
        message_ids=[*ids, "MS-DOES-NOT-EXIST"],
        poke_interval=0.05,
        timeout=0.2,
        report_path=str(report),
    )
    with pytest.raises(AirflowSensorTimeout) as timed_out:
        wait.execute(context())
    assert "MS-DOES-NOT-EXIST (not found" in str(timed_out.value)
    assert "1 of 2 delivered" in str(timed_out.value)
    outcomes = {line["message_id"]: line["outcome"] for line in read_results(report)}
    assert outcomes == {ids[0]: "delivered", "MS-DOES-NOT-EXIST": "pending"}


def test_fonedynamics_without_receipt_counts_submitted_as_delivered(sim):
    ids = send_fonedynamics(sg_numbers(1), receipt=False)
    wait = sensor("fonedynamics", message_ids=ids)
    assert wait.poke(context()) is False  # Processing
    sim.clock.advance(5)
    summary = done_value(wait.poke(context()))
    assert summary["delivered"] == 1


def test_nxcloud_uses_the_send_day_when_known(sim):
    ids = send("nxcloud", sg_numbers(1))
    sim.clock.advance(5)
    today = time.strftime("%Y%m%d", time.gmtime())
    summary = done_value(
        sensor("nxcloud", message_ids=[{"message_id": ids[0], "date": today}]).poke(context())
    )
    assert summary["delivered"] == 1
    assert sim.requests.count("nxcloud", "sms_record") == 1


def test_poke_mode_execute_returns_the_summary(sim):
    ids = send("nxcloud", sg_numbers(2))
    sim.clock.advance(5)
    result = sensor("nxcloud", message_ids=ids).execute(context())
    assert (result["total"], result["delivered"]) == (2, 2)


# ----- deferrable mode -------------------------------------------------------------------------


def test_deferrable_execute_defers_with_the_trigger(sim):
    ids = send("buka", sg_numbers(2))
    before = time.time()
    wait = sensor("buka", message_ids=ids, deferrable=True, poke_interval=7, timeout=600, app_id=None)

    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(context())

    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout.total_seconds() == 600
    trigger = deferred.value.trigger
    assert isinstance(trigger, WaitTrigger)
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
    assert (kwargs["watch"], kwargs["options"]["kind"]) == ("delivery", "sms")
    # explicit ids: number and day unknown
    assert kwargs["options"]["source"] == {"message_ids": [[i, None, None] for i in ids]}
    assert (kwargs["platform"], kwargs["conn_id"], kwargs["poll_interval"]) == ("buka", "buka_default", 7.0)
    assert before + 600 <= kwargs["end_time"] <= time.time() + 600
    json.dumps(kwargs)
    assert sim.requests.count("buka", "sms_report") == 1  # poked once before deferring


def test_the_trigger_carries_the_overrides_as_the_hook_read_them(sim):
    ids = send("buka", sg_numbers(1))
    wait = sensor(
        "buka", message_ids=ids, deferrable=True, disposition_overrides={-15: "retry", " sms : -26 ": "fail"}
    )
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(context())
    assert deferred.value.trigger.serialize()[1]["disposition_overrides"] == {
        "-15": "retry",
        "sms:-26": "fail",
    }


def test_deferrable_execute_returns_at_once_when_already_done(sim):
    ids = send("buka", sg_numbers(2))
    sim.clock.advance(5)
    result = sensor("buka", message_ids=ids, deferrable=True).execute(context())
    assert result["delivered"] == 2


def test_deferrable_execute_fails_at_once_below_the_ratio(sim):
    ids = send("buka", [UNDELIVERABLE_SG])
    sim.clock.advance(5)
    with pytest.raises(AirflowFailException, match=UNDELIVERABLE_SG):
        sensor("buka", message_ids=ids, deferrable=True).execute(context())


def event(status: str, **extra) -> dict:
    """A WaitTrigger event of a delivery wait, as the trigger yields it."""
    base = {
        "status": status,
        "platform": "buka",
        "watch": "delivery",
        "outcome": status,
        "job_status": "1 delivered, 1 failed, 0 pending",
        "kind": "sms",
        "total": 2,
        "delivered": 1,
        "failed": 1,
        "pending": 0,
        "delivered_ratio": 0.5,
        "min_delivered_ratio": 0.5,
        "failure_reasons": {"Buka report status 1: not delivered": 1},
        "failed_sample": [
            {"number": UNDELIVERABLE_SG, "message_id": "m2", "reason": "Buka report status 1: not delivered"}
        ],
        "pending_sample": [],
        "report_path": None,
        "message": "...",
    }
    return {**base, **extra}


def test_execute_complete_success_returns_the_summary(tmp_path):
    report = str(tmp_path / "report.jsonl")  # written by the trigger, which concluded the wait
    wait = sensor("buka", message_ids=["m1", "m2"], report_path=report)
    result = wait.execute_complete(context(), event("success", report_path=report))

    assert result["delivered"] == 1 and result["report_path"] == report and result["platform"] == "buka"
    assert not {"status", "watch", "outcome", "job_status", "message"} & set(result)
    json.dumps(result)


def test_execute_complete_failure_names_the_numbers_and_the_report():
    wait = sensor("buka", message_ids=["m1", "m2"], min_delivered_ratio=1.0)
    with pytest.raises(AirflowFailException, match=f"{UNDELIVERABLE_SG} \\(Buka report status 1") as failed:
        wait.execute_complete(
            context(), event("failure", min_delivered_ratio=1.0, report_path="s3://bucket/report.jsonl")
        )
    assert "Every message: s3://bucket/report.jsonl" in str(failed.value)


def test_execute_complete_timeout():
    wait = sensor("buka", message_ids=["m1"])
    message = (
        "buka sms delivery of 1 messages did not end before the deadline; last seen: ... Pending: 6591000001"
    )
    with pytest.raises(AirflowSensorTimeout, match="6591000001"):
        wait.execute_complete(context(), {"status": "timeout", "message": message})


def test_execute_complete_errors():
    wait = sensor("buka", message_ids=["m1"])
    with pytest.raises(DeliveryWaitError, match="busy"):
        wait.execute_complete(context(), {"status": "error", "retryable": True, "message": "busy"})
    with pytest.raises(AirflowFailException, match="auth"):
        wait.execute_complete(context(), {"status": "error", "retryable": False, "message": "auth"})
    for bad in (None, {}, {"status": "weird"}):
        with pytest.raises(AirflowFailException, match="unexpected event"):
            wait.execute_complete(context(), bad)


async def test_defer_run_and_resume_writes_the_report_in_the_trigger(sim, tmp_path):
    from tests.triggers.test_wait import all_events, sleeping_on

    ids = send("nxcloud", [*sg_numbers(3), UNDELIVERABLE_SG])
    report = tmp_path / "report.jsonl"
    wait = sensor(
        "nxcloud",
        message_ids=ids,
        min_delivered_ratio=0.75,
        deferrable=True,
        report_path=str(report),
    )
    ctx = context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    _, kwargs = deferred.value.trigger.serialize()
    assert not report.exists()  # the wait goes on in the triggerer, which concludes it

    [fired] = await all_events(sleeping_on(sim, WaitTrigger(**kwargs)))
    result = wait.execute_complete(ctx, fired.payload)

    assert (result["total"], result["delivered"], result["failed"]) == (4, 3, 1)
    assert result["report_path"] == str(report)
    assert len(report.read_text().splitlines()) == 4


def test_sampled_failures_are_bounded(sim):
    numbers = [f"659{i:03d}0000" for i in range(1, 31)]  # 30 undeliverable numbers
    ids = send("buka", numbers)
    sim.clock.advance(5)
    with pytest.raises(AirflowFailException) as failed:
        sensor("buka", message_ids=ids).poke(context())
    assert f"and {30 - NAMES_TOLD} more" in str(failed.value)


def test_the_sensor_never_sends(sim):
    ids = send("nxcloud", sg_numbers(2))
    sends = send_requests(sim)
    wait = sensor("nxcloud", message_ids=ids)
    wait.poke(context())
    sim.clock.advance(5)
    wait.poke(context())
    assert send_requests(sim) == sends and sim.ledger.count() == 2


def test_a_failed_wait_writes_the_report_once_and_names_it(sim, tmp_path):
    ids = send("buka", [*sg_numbers(2), UNDELIVERABLE_SG])
    sim.clock.advance(5)
    report = tmp_path / "report.jsonl"
    with pytest.raises(AirflowFailException) as failed:
        sensor("buka", message_ids=ids, report_path=str(report)).execute(context())
    assert f"Every message: {report}" in str(failed.value)
    outcomes = [line["outcome"] for line in read_results(report)]
    assert outcomes == ["delivered", "delivered", "failed"]


def test_a_mapped_send_tasks_xcom():
    from airflow_provider_nxcloud.sensors.delivery import source_of_send

    ids = source_of_send(
        [
            {"platform": "buka", "accepted": 1, "vendor_ids": ["a"]},
            {"platform": "buka", "accepted": 2, "vendor_ids": ["b", "c"]},
        ],
        "buka",
    )
    assert [m["message_id"] for m in ids["message_ids"]] == ["a", "b", "c"]
    files = [{"platform": "buka", "results_path": f"s3://b/{i}.jsonl"} for i in range(2)]
    with pytest.raises(InvalidInputError, match="wait on each with results_path") as refused:
        source_of_send(files, "buka")
    assert refused.value.parameter == "send_task_id"
    assert source_of_send(files[0], "buka") == {"results_path": "s3://b/0.jsonl"}
