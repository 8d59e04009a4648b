"""The one trigger (WaitTrigger) under the triggerer's worst habits, for every kind of wait.

Every wait here is a real deferral: a deferrable sensor or operator (a send operator with
wait_for_delivery, a job operator with wait_for_completion) runs against the simulator, raises TaskDeferred, and the trigger is rebuilt from its serialised kwargs, as
the triggerer does. Then: transient poll errors up to ``max_consecutive_errors`` are
ridden out and one more ends the wait with exactly one retryable error event; a
duplicated trigger (two instances at once) and a restarted one (cancelled mid-wait, then
started again) end with the same event; and none of it sends: the request log shows no
request to any endpoint the platform tables mark ``Kind.SEND``. Finally, on_kill sends
nothing unless ``cancel_on_kill``, and then exactly the cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaCreateVoiceTaskOperator
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.platforms.endpoints import Kind
from airflow_provider_nxcloud.sensors.delivery import (
    BukaSmsDeliverySensor,
    FoneDynamicsMessageStatusSensor,
    NXCloudSmsDeliverySensor,
)
from airflow_provider_nxcloud.sensors.nxcloud_number_check import NXCloudNumberCheckSensor
from tests.operators.conftest import TaskRun
from tests.sensors.senders import context, send, sg_numbers
from tests.triggers.test_wait import all_events, sleeping_on

#: every (platform, endpoint) that sends, bills or changes something, from the platforms' tables
SEND_ENDPOINTS = frozenset(
    (endpoint.platform, endpoint.name)
    for table in (buka.ENDPOINTS, nxcloud.ENDPOINTS, fonedynamics.ENDPOINTS)
    for endpoint in table.values()
    if endpoint.kind is Kind.SEND
)
#: the waits' max_consecutive_errors
LIMIT = 3


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only the triggers' sleeps move time on
    return nxcloud_simulator


# ----- real deferrals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """A trigger as the triggerer gets it: class path and serialised kwargs; and the endpoint it polls."""

    path: str
    kwargs: dict[str, Any]
    platform: str
    poll: str
    #: the platform's own "try later" code on the poll endpoint, as a simulator fault kind
    vendor_fault: str = "vendor_busy"

    def trigger(self, **changes: Any) -> BaseTrigger:
        module, _, name = self.path.rpartition(".")
        return getattr(importlib.import_module(module), name)(**{**self.kwargs, **changes})


def deferral(run: Callable[[], Any]) -> tuple[str, dict[str, Any]]:
    with pytest.raises(TaskDeferred) as deferred:
        run()
    return deferred.value.trigger.serialize()


DELIVERY_SENSORS = {
    "buka": (BukaSmsDeliverySensor, "sms_report", "vendor_busy"),
    # NXCloud's report query documents no busy code; its transient code is the rate limit (5)
    "nxcloud": (NXCloudSmsDeliverySensor, "sms_record", "vendor_rate_limit"),
    "fonedynamics": (FoneDynamicsMessageStatusSensor, "get_message", "vendor_busy"),
}


def sms_delivery(platform: str) -> Callable[[Path], Wait]:
    """One SMS sent, then its platform's deferrable delivery sensor (it pokes once, then defers)."""

    def make(tmp_path: Path) -> Wait:
        sensor_class, poll, vendor_fault = DELIVERY_SENSORS[platform]
        [message_id] = send(platform, sg_numbers(1))
        sensor = sensor_class(
            task_id="wait",
            message_ids=[message_id],
            deferrable=True,
            poke_interval=1,
            timeout=600,
            max_consecutive_errors=LIMIT,
        )
        return Wait(*deferral(lambda: sensor.execute(context())), platform, poll, vendor_fault)

    return make


def buka_voice_task(tmp_path: Path) -> Wait:
    """A Buka voice task created by the operator, which then defers its wait (cancel_on_kill)."""
    op = BukaCreateVoiceTaskOperator(
        task_id="create",
        numbers=sg_numbers(2),
        task_name="renewal",
        text="Your policy renews next week",
        language="EN",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=1,
        timeout=600,
        max_consecutive_errors=LIMIT,
    )
    return Wait(*deferral(lambda: op.execute(TaskRun().context())), "buka", "voice_task_detail")


def nxcloud_number_check(tmp_path: Path) -> Wait:
    """Numbers submitted by the operator, then the deferrable number-check sensor."""
    summary = NXCloudNumberCheckOperator(task_id="check", numbers=sg_numbers(3)).execute(TaskRun().context())
    sensor = NXCloudNumberCheckSensor(
        task_id="checked",
        check_task_id="check",
        results_path=str(tmp_path / "checked.jsonl"),
        deferrable=True,
        poke_interval=1,
        timeout=600,
        max_consecutive_errors=LIMIT,
    )
    return Wait(*deferral(lambda: sensor.execute(context(check=summary))), "nxcloud", "number_check_query")


def sent_and_waiting(tmp_path: Path) -> Wait:
    """A Buka campaign sent by the operator, which then defers its own delivery wait."""
    op = BukaSendSmsOperator(
        task_id="send",
        text="Your parcel is on its way",
        recipients=sg_numbers(120),
        results_path=str(tmp_path / "results.jsonl"),
        wait_for_delivery=True,
        deferrable=True,
        delivery_poll_interval=1,
        delivery_timeout=600,
    )
    return Wait(*deferral(lambda: op.execute(TaskRun().context())), "buka", "sms_report")


WAITS: dict[str, Callable[[Path], Wait]] = {
    "sms-delivery-buka": sms_delivery("buka"),
    "sms-delivery-nxcloud": sms_delivery("nxcloud"),
    "sms-delivery-fonedynamics": sms_delivery("fonedynamics"),
    "sent-and-waiting-buka": sent_and_waiting,
    "voice-task-buka": buka_voice_task,
    "number-check-nxcloud": nxcloud_number_check,
}


# ----- poll-only: the request log ------------------------------------------------------------------


def requests_since(sim: Any, before: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    return Counter(sim.requests.by_endpoint()) - before


def assert_poll_only(sim: Any, before: Counter[tuple[str, str]], wait: Wait) -> Counter[tuple[str, str]]:
    """The triggers asked (at least the poll endpoint) and sent nothing."""
    made = requests_since(sim, before)
    assert made[(wait.platform, wait.poll)] >= 1, made
    sends = {key: n for key, n in made.items() if key in SEND_ENDPOINTS}
    assert sends == {}, f"a trigger called send endpoints: {sends}"
    return made


def test_the_send_endpoints_come_from_the_tables():
    assert {
        ("buka", "sms_send"),
        ("nxcloud", "sms_send_v2"),
        ("fonedynamics", "send_message"),
    } <= SEND_ENDPOINTS
    assert {("buka", "voice_task_cancel"), ("nxcloud", "number_check_submit")} <= SEND_ENDPOINTS
    assert not {("buka", "sms_report"), ("buka", "voice_task_detail")} & SEND_ENDPOINTS


@pytest.mark.parametrize("name", sorted(WAITS))
def test_every_wait_defers_to_the_one_trigger(sim, tmp_path, name):
    assert WAITS[name](tmp_path).path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"


# ----- transient poll errors ----------------------------------------------------------------------


def statuses(events: list[TriggerEvent]) -> list[str]:
    return [event.payload["status"] for event in events]


def fault_kind(wait: Wait, kind: str) -> str:
    """``"vendor"`` is the platform's own busy (or rate-limit) code on the poll endpoint."""
    return wait.vendor_fault if kind == "vendor" else kind


@pytest.mark.parametrize("kind", ["http_503", "vendor"])
@pytest.mark.parametrize("name", sorted(WAITS))
async def test_transient_errors_up_to_the_limit_are_ridden_out(sim, tmp_path, name, kind):
    wait = WAITS[name](tmp_path)
    kind = fault_kind(wait, kind)
    before = Counter(sim.requests.by_endpoint())
    sim.faults.next(kind, count=LIMIT, platform=wait.platform, endpoint=wait.poll)

    events = await all_events(sleeping_on(sim, wait.trigger()))

    assert statuses(events) == ["success"]
    assert sim.faults.counts() == {kind: LIMIT}  # every one of them was injected, and survived
    made = assert_poll_only(sim, before, wait)
    assert made[(wait.platform, wait.poll)] > LIMIT  # the failed polls, then those that succeeded


@pytest.mark.parametrize("extra", [1, 2], ids=["one-more", "two-more"])
@pytest.mark.parametrize("kind", ["http_503", "vendor"])
@pytest.mark.parametrize("name", ["sms-delivery-buka", "voice-task-buka", "number-check-nxcloud"])
async def test_one_error_more_than_the_limit_gives_exactly_one_error_event(sim, tmp_path, name, kind, extra):
    wait = WAITS[name](tmp_path)
    kind = fault_kind(wait, kind)
    before = Counter(sim.requests.by_endpoint())
    sim.faults.next(kind, count=LIMIT + extra, platform=wait.platform, endpoint=wait.poll)

    events = await all_events(sleeping_on(sim, wait.trigger()))

    [event] = events
    assert event.payload["status"] == "error" and event.payload["retryable"] is True
    assert f"{LIMIT + 1} polls in a row failed" in event.payload["message"]
    # it stopped at the first error over the limit: the rest of the faults were never asked for
    made = assert_poll_only(sim, before, wait)
    assert made[(wait.platform, wait.poll)] == LIMIT + 1
    assert sum(rule["count"] for rule in sim.faults.to_json()["remaining_rules"]) == extra - 1


# ----- duplicated and restarted triggers -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WAITS))
async def test_a_duplicated_trigger_ends_with_the_same_event_and_sends_nothing(sim, tmp_path, name):
    wait = WAITS[name](tmp_path)
    before = Counter(sim.requests.by_endpoint())
    first, second = (sleeping_on(sim, wait.trigger()) for _ in range(2))

    one, two = await asyncio.gather(all_events(first), all_events(second))

    assert len(one) == len(two) == 1
    assert one[0].payload == two[0].payload
    assert one[0].payload["status"] == "success"
    assert_poll_only(sim, before, wait)


def stalled(sim: Any, trigger: BaseTrigger, polled: Callable[[], int]) -> asyncio.Event:
    """The trigger's first wait after a poll never ends; the returned event is set when it starts.

    Waits before the first poll (pacing after the sensor's own poke) pass as usual.
    """
    waiting = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if not polled():
            sim.clock.advance(seconds)
            return
        waiting.set()
        await asyncio.Event().wait()  # the triggerer goes down during this wait

    trigger._sleep = sleep  # type: ignore[method-assign]
    return waiting


@pytest.mark.parametrize("name", sorted(WAITS))
async def test_a_restarted_trigger_ends_with_the_same_event_and_sends_nothing(
    sim, tmp_path, monkeypatch, name
):
    # results take a while, so that the first trigger's first poll finds the wait unfinished
    monkeypatch.setattr(sim.delivery, "delay", 30.0)
    wait = WAITS[name](tmp_path)
    before = Counter(sim.requests.by_endpoint())

    # the first triggerer polls, then is cancelled while it waits for the next poll
    first = wait.trigger()
    waiting = stalled(sim, first, lambda: requests_since(sim, before)[(wait.platform, wait.poll)])
    running = asyncio.ensure_future(all_events(first))
    stall = asyncio.ensure_future(waiting.wait())
    await asyncio.wait([stall, running], timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert waiting.is_set(), "the first trigger ended before it waited for a second poll"
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert running.cancelled()  # no event came out of it
    polled_before_restart = requests_since(sim, before)[(wait.platform, wait.poll)]
    assert polled_before_restart >= 1

    # another triggerer starts the same serialised trigger from scratch
    [restarted] = await all_events(sleeping_on(sim, wait.trigger()))
    # and one that was never interrupted (started once everything is final) says the same
    [uninterrupted] = await all_events(sleeping_on(sim, wait.trigger()))

    assert restarted.payload["status"] == "success"
    assert restarted.payload == uninterrupted.payload
    assert_poll_only(sim, before, wait)


# ----- on_kill -------------------------------------------------------------------------------------


async def test_on_kill_without_cancel_on_kill_sends_nothing(sim, tmp_path):
    wait = buka_voice_task(tmp_path)
    before = Counter(sim.requests.by_endpoint())

    await wait.trigger(cancel_on_kill=False).on_kill()

    assert requests_since(sim, before) == Counter()  # not even a read


async def test_on_kill_with_cancel_on_kill_sends_exactly_the_cancel(sim, tmp_path):
    wait = buka_voice_task(tmp_path)
    assert wait.kwargs["cancel_on_kill"] is True  # set by the operator that created the task
    before = Counter(sim.requests.by_endpoint())

    await wait.trigger().on_kill()

    assert requests_since(sim, before) == Counter({("buka", "voice_task_cancel"): 1})
    detail = BukaHook().call("voice_task_detail", path_params={"task_id": wait.kwargs["options"]["task_id"]})
    assert detail["data"]["status"] == 4  # cancelled at the vendor


async def test_the_delivery_trigger_has_nothing_to_cancel(sim, tmp_path):
    wait = sms_delivery("buka")(tmp_path)
    before = Counter(sim.requests.by_endpoint())

    await wait.trigger().on_kill()

    assert requests_since(sim, before) == Counter()


async def test_a_sensor_waits_trigger_never_cancels(sim, tmp_path):
    """A sensor did not create the job: its trigger's on_kill leaves the job alone."""
    wait = nxcloud_number_check(tmp_path)
    assert wait.kwargs["cancel_on_kill"] is False
    before = Counter(sim.requests.by_endpoint())

    await wait.trigger().on_kill()

    assert requests_since(sim, before) == Counter()
