"""WaitTrigger against the simulator: one event, poll-only, one pooled client, transient errors, deadline, size."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_nxcloud.campaign.delivery import delivery_options
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.sensors.senders import (
    UNDELIVERABLE_SG,
    send,
    send_campaign,
    send_requests,
    sg_numbers,
)

PATH = "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
PLATFORMS = ["buka", "fonedynamics", "nxcloud"]
CONN_IDS = {"buka": "buka_default", "nxcloud": "nxcloud_default", "fonedynamics": "fonedynamics_default"}


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves delivery on
    return nxcloud_simulator


def sleeping_on(sim: Any, trigger: WaitTrigger) -> WaitTrigger:
    """The trigger's waits move the simulator's clock instead of sleeping; they are recorded."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sim.clock.advance(seconds)

    trigger._sleep = sleep  # type: ignore[method-assign]
    trigger.sleeps = sleeps  # type: ignore[attr-defined]
    return trigger


async def all_events(trigger: Any) -> list[TriggerEvent]:
    return [event async for event in trigger.run()]


def delivery_trigger(sim: Any, platform: str, *, end_time: float | None = None, **kwargs: Any) -> WaitTrigger:
    """A delivery wait: ``kwargs`` are :func:`delivery_options`' (a source, the ratio, ...)."""
    poll = {name: kwargs.pop(name) for name in ("poll_interval", "max_consecutive_errors") if name in kwargs}
    trigger = WaitTrigger(
        platform=platform,
        watch="delivery",
        options=delivery_options(platform, **kwargs),
        conn_id=CONN_IDS[platform],
        poll_interval=poll.get("poll_interval", 1.0),
        end_time=end_time if end_time is not None else time.time() + 60,
        max_consecutive_errors=poll.get("max_consecutive_errors", 5),
    )
    return sleeping_on(sim, trigger)


def size(value: Any) -> int:
    return len(json.dumps(value))


# ----- serialisation ---------------------------------------------------------------------------


def test_serialize_is_exact_and_round_trips():
    options = delivery_options("nxcloud", results_path="s3://bucket/results.jsonl", min_delivered_ratio=0.9)
    trigger = WaitTrigger(
        platform="nxcloud",
        watch="delivery",
        options=options,
        conn_id="nx",
        poll_interval=30,
        end_time=1_800_000_000,
        max_consecutive_errors=3,
        disposition_overrides={"sms_report:5": "retry"},
    )
    path, kwargs = trigger.serialize()
    assert path == PATH
    assert kwargs == {
        "platform": "nxcloud",
        "watch": "delivery",
        "options": options,
        "conn_id": "nx",
        "poll_interval": 30.0,
        "end_time": 1_800_000_000.0,
        "max_consecutive_errors": 3,
        "disposition_overrides": {"sms_report:5": "retry"},
        "cancel_on_kill": False,
    }
    assert WaitTrigger(**kwargs).serialize() == (path, kwargs)
    assert json.loads(json.dumps(kwargs)) == kwargs


# ----- outcomes --------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_success_after_a_few_polls(sim, platform):
    ids = send(platform, sg_numbers(3))
    sends, ledger = send_requests(sim), sim.ledger.count()
    trigger = delivery_trigger(sim, platform, message_ids=ids)

    events = await all_events(trigger)

    assert len(events) == 1
    payload = events[0].payload
    assert (payload["status"], payload["platform"], payload["watch"]) == ("success", platform, "delivery")
    assert (payload["total"], payload["delivered"], payload["pending"]) == (3, 3, 0)
    assert payload["report_path"] is None
    assert trigger.sleeps == [1.0, 1.0]  # pending, submitted, then final after 2 simulated seconds
    json.dumps(payload)
    # poll-only: nothing new was sent and only report endpoints were asked
    assert send_requests(sim) == sends and sim.ledger.count() == ledger


async def test_failure_below_the_ratio_names_the_number(sim):
    ids = send("buka", [*sg_numbers(2), UNDELIVERABLE_SG])
    trigger = delivery_trigger(sim, "buka", message_ids=ids)

    [event] = await all_events(trigger)

    assert event.payload["status"] == "failure"
    assert (event.payload["delivered"], event.payload["failed"]) == (2, 1)
    [failure] = event.payload["failed_sample"]
    assert failure["number"] == UNDELIVERABLE_SG and failure["message_id"] == ids[2]
    assert UNDELIVERABLE_SG in event.payload["message"]


async def test_a_lower_ratio_succeeds(sim):
    ids = send("nxcloud", [sg_numbers(1)[0], UNDELIVERABLE_SG])
    [event] = await all_events(delivery_trigger(sim, "nxcloud", message_ids=ids, min_delivered_ratio=0.5))
    assert event.payload["status"] == "success"
    assert event.payload["failure_reasons"] == {"UNDELIV: undeliverable": 1}


async def test_timeout_names_the_last_state_seen(sim):
    ids = send("fonedynamics", sg_numbers(2))
    trigger = delivery_trigger(sim, "fonedynamics", message_ids=ids, end_time=time.time() - 1)

    events = await all_events(trigger)

    assert [e.payload["status"] for e in events] == ["timeout"]
    payload = events[0].payload
    assert (payload["pending"], payload["delivered"]) == (2, 0)
    assert {s["message_id"] for s in payload["pending_sample"]} == set(ids)
    assert "did not end before the deadline; last seen:" in payload["message"]
    assert "0 of 2 delivered" in payload["message"]
    assert trigger.sleeps == []  # asked once, then stopped


async def test_the_report_is_written_once_by_the_trigger(sim, tmp_path):
    ids = send("buka", [*sg_numbers(2), UNDELIVERABLE_SG])
    report = tmp_path / "out" / "report.jsonl"
    trigger = delivery_trigger(sim, "buka", message_ids=ids, min_delivered_ratio=0.5, report_path=str(report))

    [event] = await all_events(trigger)

    assert event.payload["status"] == "success" and event.payload["report_path"] == str(report)
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(line["message_id"], line["outcome"]) for line in lines] == [
        (ids[0], "delivered"),
        (ids[1], "delivered"),
        (ids[2], "failed"),
    ]


async def test_a_large_campaign_keeps_the_trigger_row_and_the_event_small(sim, tmp_path):
    """The kwargs carry the results path, and the event bounded samples, whatever the number of messages."""
    results = tmp_path / "results.jsonl"
    failing = [f"659{i:03d}0000" for i in range(100, 130)]  # 30 undeliverable numbers
    send_campaign("buka", [*sg_numbers(2000), *failing], results)
    trigger = delivery_trigger(sim, "buka", results_path=str(results), min_delivered_ratio=0.9)

    [event] = await all_events(trigger)

    assert size(trigger.serialize()[1]) < 10_000
    assert event.payload["status"] == "success" and event.payload["total"] == 2030
    assert event.payload["failed"] == 30 and len(event.payload["failed_sample"]) == 20
    assert size(event.payload) < 10_000


# ----- one pooled client -----------------------------------------------------------------------


async def test_one_connection_serves_every_request_of_a_run(sim):
    ids = send("fonedynamics", sg_numbers(3))  # one request per message and poll
    before = sim.requests.connections("fonedynamics")
    polls = sim.requests.count("fonedynamics", "get_message")
    trigger = delivery_trigger(sim, "fonedynamics", message_ids=ids)

    [event] = await all_events(trigger)

    assert event.payload["status"] == "success"
    assert sim.requests.count("fonedynamics", "get_message") - polls == 9  # 3 polls of 3 messages
    assert sim.requests.connections("fonedynamics") - before == 1


async def test_a_cancelled_run_closes_its_client_and_a_restart_opens_one(sim):
    ids = send("buka", sg_numbers(2))
    trigger = delivery_trigger(sim, "buka", message_ids=ids)
    stalled = asyncio.Event()

    async def sleep(seconds: float) -> None:
        stalled.set()
        await asyncio.Event().wait()  # the triggerer goes down during this wait

    trigger._sleep = sleep  # type: ignore[method-assign]
    before = sim.requests.connections("buka")
    running = asyncio.ensure_future(all_events(trigger))
    await asyncio.wait_for(stalled.wait(), timeout=10)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert running.cancelled()

    [event] = await all_events(delivery_trigger(sim, "buka", message_ids=ids))

    assert event.payload["status"] == "success"
    assert sim.requests.connections("buka") - before == 2  # the cancelled run's, then the restart's


# ----- errors ----------------------------------------------------------------------------------


async def test_transient_errors_below_the_limit_are_ridden_out(sim):
    ids = send("buka", sg_numbers(2))
    sim.faults.next("http_503", count=2, endpoint="sms_report", platform="buka")
    trigger = delivery_trigger(sim, "buka", message_ids=ids, max_consecutive_errors=3)

    events = await all_events(trigger)

    assert [e.payload["status"] for e in events] == ["success"]
    assert sim.faults.counts() == {"http_503": 2}
    assert sim.requests.count("buka", "sms_report") == 3  # no in-hook retries: one request per poll


async def test_transient_errors_over_the_limit_give_one_error_event(sim):
    ids = send("buka", sg_numbers(2))
    sim.faults.next("http_503", count=4, endpoint="sms_report", platform="buka")
    trigger = delivery_trigger(sim, "buka", message_ids=ids, max_consecutive_errors=3)

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
    trigger = delivery_trigger(sim, "fonedynamics", message_ids=ids, max_consecutive_errors=2)
    [event] = await all_events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is True
    assert len(trigger.sleeps) == 2  # 2 failures ridden out, the 3rd ends the wait


async def test_a_permanent_error_is_not_retried(sim):
    ids = send("buka", sg_numbers(1))
    trigger = delivery_trigger(sim, "buka", message_ids=ids, app_id="someone-elses-app")
    [event] = await all_events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert trigger.sleeps == []


async def test_a_broken_connection_is_an_error_event(sim, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_BUKA_DEFAULT", json.dumps({"conn_type": "buka", "login": "key"}))
    [event] = await all_events(delivery_trigger(sim, "buka", message_ids=["m1"]))
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert "password" in event.payload["message"]
    assert sim.requests.total() == 0


async def test_an_unknown_watch_is_an_error_event(sim):
    trigger = WaitTrigger(platform="buka", watch="nope", options={}, conn_id="buka_default", end_time=0)
    [event] = await all_events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert "watch" in event.payload["message"]
    assert sim.requests.total() == 0


async def test_a_report_that_cannot_be_written_is_a_retryable_error(sim, tmp_path):
    ids = send("buka", sg_numbers(1))
    sim.clock.advance(5)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    trigger = delivery_trigger(sim, "buka", message_ids=ids, report_path=str(blocked / "report.jsonl"))

    [event] = await all_events(trigger)

    assert event.payload["status"] == "error" and event.payload["retryable"] is True
    assert "concluding the wait failed" in event.payload["message"]
    assert event.payload["delivered"] == 1  # the last state seen still travels


async def test_on_kill_cancels_nothing(sim):
    ids = send("buka", sg_numbers(1))
    await delivery_trigger(sim, "buka", message_ids=ids).on_kill()
    assert sim.ledger.count() == 1 and send_requests(sim) == 1
