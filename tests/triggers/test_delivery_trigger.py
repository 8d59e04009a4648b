"""SmsDeliveryTrigger against the simulator: one event, poll-only, transient errors, deadline."""

from __future__ import annotations

import json
import time

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from airflow.triggers.base import TriggerEvent

from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor, NXCloudSmsDeliverySensor
from airflow_provider_nxcloud.triggers.delivery import SmsDeliveryTrigger
from tests.sensors.senders import (
    UNDELIVERABLE_SG,
    context,
    send,
    send_campaign,
    send_requests,
    sg_numbers,
)

PATH = "airflow_provider_nxcloud.triggers.delivery.SmsDeliveryTrigger"
PLATFORMS = ["buka", "fonedynamics", "nxcloud"]
CONN_IDS = {"buka": "buka_default", "nxcloud": "nxcloud_default", "fonedynamics": "fonedynamics_default"}


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves delivery on
    return nxcloud_simulator


def make_trigger(sim, platform: str, ids: list[str], **kwargs) -> SmsDeliveryTrigger:
    """A trigger whose waits move the simulator's clock instead of sleeping."""
    kwargs.setdefault("poll_interval", 1.0)
    kwargs.setdefault("end_time", time.time() + 60)
    trigger = SmsDeliveryTrigger(
        platform=platform, conn_id=CONN_IDS[platform], messages=[[i, None, None] for i in ids], **kwargs
    )
    return sleeping_on(sim, trigger)


def sleeping_on(sim, trigger: SmsDeliveryTrigger) -> SmsDeliveryTrigger:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sim.clock.advance(seconds)

    trigger._sleep = sleep  # type: ignore[method-assign]
    trigger.sleeps = sleeps  # type: ignore[attr-defined]
    return trigger


async def all_events(trigger: SmsDeliveryTrigger) -> list[TriggerEvent]:
    return [event async for event in trigger.run()]


# ----- serialisation ---------------------------------------------------------------------------


def test_serialize_is_exact_and_round_trips():
    trigger = SmsDeliveryTrigger(
        platform="nxcloud",
        conn_id="nx",
        messages=[["abc", "6591000001", "20261123"], ["def", None, None]],
        min_delivered_ratio=0.9,
        poll_interval=30,
        end_time=1_800_000_000,
        max_consecutive_errors=3,
        disposition_overrides={"sms_report:5": "retry"},
        include_details=True,
    )
    path, kwargs = trigger.serialize()
    assert path == PATH
    assert kwargs == {
        "platform": "nxcloud",
        "kind": "sms",
        "conn_id": "nx",
        "messages": [["abc", "6591000001", "20261123"], ["def", None, None]],
        "min_delivered_ratio": 0.9,
        "poll_interval": 30.0,
        "end_time": 1_800_000_000.0,
        "max_consecutive_errors": 3,
        "app_id": None,
        "disposition_overrides": {"sms_report:5": "retry"},
        "include_details": True,
        "options": None,
    }
    assert SmsDeliveryTrigger(**kwargs).serialize() == (path, kwargs)
    assert json.loads(json.dumps(kwargs)) == kwargs


# ----- outcomes --------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_success_after_a_few_polls(sim, platform):
    ids = send(platform, sg_numbers(3))
    sends, ledger = send_requests(sim), sim.ledger.count()
    trigger = make_trigger(sim, platform, ids)

    events = await all_events(trigger)

    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "success"
    assert (payload["total"], payload["delivered"], payload["pending"]) == (3, 3, 0)
    assert trigger.sleeps == [1.0, 1.0]  # pending, submitted, then final after 2 simulated seconds
    json.dumps(payload)
    # poll-only: nothing new was sent and only report endpoints were asked
    assert send_requests(sim) == sends and sim.ledger.count() == ledger


async def test_failure_below_the_ratio_names_the_number(sim):
    ids = send("buka", [*sg_numbers(2), UNDELIVERABLE_SG])
    trigger = make_trigger(sim, "buka", ids)

    event = await trigger.run().__anext__()

    assert event.payload["status"] == "failure"
    assert (event.payload["delivered"], event.payload["failed"]) == (2, 1)
    [failure] = event.payload["failed_sample"]
    assert failure["number"] == UNDELIVERABLE_SG and failure["message_id"] == ids[2]
    assert UNDELIVERABLE_SG in event.payload["message"]


async def test_a_lower_ratio_succeeds(sim):
    ids = send("nxcloud", [sg_numbers(1)[0], UNDELIVERABLE_SG])
    event = await make_trigger(sim, "nxcloud", ids, min_delivered_ratio=0.5).run().__anext__()
    assert event.payload["status"] == "success"
    assert event.payload["failure_reasons"] == {"UNDELIV: undeliverable": 1}


async def test_timeout_when_the_deadline_has_passed(sim):
    ids = send("fonedynamics", sg_numbers(2))
    trigger = make_trigger(sim, "fonedynamics", ids, end_time=time.time() - 1)

    events = await all_events(trigger)

    assert [e.payload["status"] for e in events] == ["timeout"]
    assert (events[0].payload["pending"], events[0].payload["delivered"]) == (2, 0)
    assert {s["message_id"] for s in events[0].payload["pending_sample"]} == set(ids)
    assert trigger.sleeps == []  # asked once, then stopped


async def test_details_carry_every_message(sim):
    ids = send("buka", sg_numbers(2))
    sim.clock.advance(5)
    event = await make_trigger(sim, "buka", ids, include_details=True).run().__anext__()
    assert [row[:3] for row in event.payload["details"]] == [
        [i, n, "delivered"] for i, n in zip(ids, sg_numbers(2), strict=True)
    ]


# ----- errors ----------------------------------------------------------------------------------


async def test_transient_errors_below_the_limit_are_ridden_out(sim):
    ids = send("buka", sg_numbers(2))
    sim.faults.next("http_503", count=2, endpoint="sms_report", platform="buka")
    trigger = make_trigger(sim, "buka", ids, max_consecutive_errors=3)

    events = await all_events(trigger)

    assert [e.payload["status"] for e in events] == ["success"]
    assert sim.faults.counts() == {"http_503": 2}
    assert sim.requests.count("buka", "sms_report") == 3  # no in-hook retries: one request per poll


async def test_transient_errors_over_the_limit_give_one_error_event(sim):
    ids = send("buka", sg_numbers(2))
    sim.faults.next("http_503", count=4, endpoint="sms_report", platform="buka")
    trigger = make_trigger(sim, "buka", ids, max_consecutive_errors=3)

    events = await all_events(trigger)

    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "error" and payload["retryable"] is True
    assert "4 polls in a row failed" in payload["message"]
    assert sim.requests.count("buka", "sms_report") == 4
    assert send_requests(sim) == 1  # the one send of the test itself


async def test_a_connection_failure_is_transient(sim, monkeypatch):
    ids = send("fonedynamics", sg_numbers(1))
    monkeypatch.setenv(
        "AIRFLOW_CONN_FONEDYNAMICS_DEFAULT",
        json.dumps(
            {"conn_type": "fonedynamics", "host": "http://127.0.0.1:9", "login": "a", "password": "b"}
        ),
    )
    trigger = make_trigger(sim, "fonedynamics", ids, max_consecutive_errors=2)
    [event] = await all_events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is True
    assert len(trigger.sleeps) == 2  # 2 failures ridden out, the 3rd ends the wait


async def test_a_permanent_error_is_not_retried(sim):
    ids = send("buka", sg_numbers(1))
    trigger = make_trigger(sim, "buka", ids, app_id="someone-elses-app")
    [event] = await all_events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert trigger.sleeps == []


async def test_a_broken_connection_is_an_error_event(sim, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_BUKA_DEFAULT", json.dumps({"conn_type": "buka", "login": "key"}))
    [event] = await all_events(make_trigger(sim, "buka", ["m1"]))
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert "password" in event.payload["message"]
    assert sim.requests.total() == 0


async def test_on_kill_cancels_nothing(sim):
    ids = send("buka", sg_numbers(1))
    await make_trigger(sim, "buka", ids).on_kill()
    assert sim.ledger.count() == 1 and send_requests(sim) == 1


# ----- the whole deferrable path ---------------------------------------------------------------


@pytest.mark.parametrize("sensor_class", [BukaSmsDeliverySensor, NXCloudSmsDeliverySensor])
async def test_defer_run_and_resume(sim, tmp_path, sensor_class):
    platform = sensor_class.platform
    ids = send(platform, [*sg_numbers(3), UNDELIVERABLE_SG])
    report = tmp_path / "report.jsonl"
    wait = sensor_class(
        task_id="wait",
        message_ids=ids,
        min_delivered_ratio=0.75,
        deferrable=True,
        poke_interval=1,
        timeout=60,
        report_path=str(report),
    )
    ctx = context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    path, kwargs = deferred.value.trigger.serialize()
    assert path == PATH
    trigger = sleeping_on(sim, SmsDeliveryTrigger(**kwargs))

    [event] = await all_events(trigger)
    result = wait.execute_complete(ctx, event.payload)

    assert (result["total"], result["delivered"], result["failed"]) == (4, 3, 1)
    assert result["report_path"] == str(report)
    assert len(report.read_text().splitlines()) == 4


async def test_nxcloud_campaign_batches_through_the_trigger(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send_campaign("nxcloud", [*sg_numbers(150), UNDELIVERABLE_SG], results)
    sends = send_requests(sim)
    wait = NXCloudSmsDeliverySensor(
        task_id="wait", results_path=str(results), min_delivered_ratio=0.99, deferrable=True, poke_interval=1
    )
    ctx = context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    _, kwargs = deferred.value.trigger.serialize()
    assert len(kwargs["messages"]) == 151 and all(number for _, number, *_ in kwargs["messages"])
    # the send time travels too: the record days to ask for come from it
    assert all(len(message) == 4 for message in kwargs["messages"])

    [event] = await all_events(sleeping_on(sim, SmsDeliveryTrigger(**kwargs)))
    result = wait.execute_complete(ctx, event.payload)

    assert (result["total"], result["delivered"], result["failed"]) == (151, 150, 1)
    assert sim.requests.count("nxcloud", "sms_record") == 0  # batch ids: read from the day's records
    assert send_requests(sim) == sends
