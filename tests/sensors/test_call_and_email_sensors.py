"""The email and call sensors on the delivery framework: Buka email status, Buka and NXCloud call records."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    PokeReturnValue,
    TaskDeferred,
)

from airflow_provider_nxcloud.campaign.delivery import (
    DELIVERED,
    FAILED,
    PENDING,
    MessageRef,
    NXCloudVoicePoller,
    poller_for,
    refs_from_results,
)
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.sensors.delivery import (
    BukaEmailStatusSensor,
    BukaVoiceCallSensor,
    DeliverySensor,
    NXCloudVoiceCallSensor,
)
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.campaign.test_delivery_watch import watch_over
from tests.sensors.senders import (
    UNDELIVERABLE_EMAIL,
    UNDELIVERABLE_SG,
    context,
    emails,
    send_buka_calls,
    send_buka_emails,
    send_nxcloud_calls,
    send_requests,
    sg_numbers,
)
from tests.triggers.test_wait import all_events, sleeping_on

#: case -> (sensor class, recipients(count), a recipient that never gets through)
CASES: dict[str, tuple[type[DeliverySensor], Any, str]] = {
    "buka_email": (BukaEmailStatusSensor, emails, UNDELIVERABLE_EMAIL),
    "buka_voice": (BukaVoiceCallSensor, sg_numbers, UNDELIVERABLE_SG),
    "nxcloud_voice": (NXCloudVoiceCallSensor, sg_numbers, UNDELIVERABLE_SG),
}
#: what each case's sensor reads per poll
QUERIES = {
    "buka_email": ("buka", "email_records"),
    "buka_voice": ("buka", "voice_record"),
    "nxcloud_voice": ("nxcloud", "voice_records"),
}


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves calls and emails on
    return nxcloud_simulator


SENDERS = {"buka_email": send_buka_emails, "buka_voice": send_buka_calls, "nxcloud_voice": send_nxcloud_calls}


def send(case: str, recipients: list[str], tmp_path) -> dict[str, Any]:
    """Send with the case's real operator, writing a results file; the sensor kwargs that name it."""
    results = tmp_path / "results.jsonl"
    SENDERS[case](recipients, results)
    return {"results_path": str(results)}


def sensor(case: str, **kwargs) -> DeliverySensor:
    kwargs.setdefault("poke_interval", 1)
    kwargs.setdefault("timeout", 60)
    return CASES[case][0](task_id="wait", **kwargs)


def recipients(case: str, count: int, *, failing: bool = False) -> list[str]:
    _, make, undeliverable = CASES[case]
    return [*make(count), undeliverable] if failing else make(count)


def done_value(result) -> dict:
    assert isinstance(result, PokeReturnValue) and result.is_done
    json.dumps(result.xcom_value)
    return result.xcom_value


# ----- poke mode -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_pending_then_final(sim, tmp_path, case):
    source = send(case, recipients(case, 3), tmp_path)
    sent = sim.ledger.count()
    wait = sensor(case, **source)
    ctx = context()

    assert wait.poke(ctx) is False  # just sent: no record or report is final yet
    sim.clock.advance(5)
    summary = done_value(wait.poke(ctx))

    assert (summary["total"], summary["delivered"], summary["failed"], summary["pending"]) == (3, 3, 0, 0)
    assert summary["kind"] == ("email" if case == "buka_email" else "voice")
    assert sim.ledger.count() == sent  # waiting sent nothing
    assert sim.requests.count(*QUERIES[case]) >= 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_below_the_ratio_fails_naming_the_recipient(sim, tmp_path, case):
    source = send(case, recipients(case, 3, failing=True), tmp_path)
    sim.clock.advance(5)

    with pytest.raises(AirflowFailException) as failed:
        sensor(case, **source).poke(context())
    text = str(failed.value)
    assert CASES[case][2] in text
    reached = "delivered" if case == "buka_email" else "answered"
    assert f"3 of 4 {reached}" in text
    expected = {
        "buka_email": "Buka email status 1: not sent",
        "buka_voice": "not answered: terminationCode 480",
        "nxcloud_voice": "not answered: Unsuccessful connection",
    }[case]
    assert expected in text


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_lower_ratio_lets_it_pass(sim, tmp_path, case):
    source = send(case, recipients(case, 1, failing=True), tmp_path)
    sim.clock.advance(5)
    summary = done_value(sensor(case, min_delivered_ratio=0.5, **source).poke(context()))
    assert (summary["delivered"], summary["failed"], summary["delivered_ratio"]) == (1, 1, 0.5)
    [failure] = summary["failed_sample"]
    assert failure["number"] == CASES[case][2]


@pytest.mark.parametrize("case", ["buka_email", "buka_voice"])
def test_the_send_tasks_xcom_names_the_messages(sim, case):
    sender = send_buka_emails if case == "buka_email" else send_buka_calls
    summary_of_send = sender(recipients(case, 2))
    sim.clock.advance(5)
    summary = done_value(sensor(case, send_task_id="send").poke(context(send=summary_of_send)))
    assert summary["total"] == summary["delivered"] == 2


def test_nxcloud_calls_are_found_from_the_send_tasks_results(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    summary_of_send = send_nxcloud_calls(sg_numbers(2), results)
    sim.clock.advance(5)
    summary = done_value(sensor("nxcloud_voice", send_task_id="send").poke(context(send=summary_of_send)))
    assert summary["total"] == summary["delivered"] == 2


# ----- vendor limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "count", "per_poll"),
    [
        ("buka_email", 450, 3),  # getSendEmailRcd: at most 200 ids a request
        ("buka_voice", 3, 3),  # one call record a request
        ("nxcloud_voice", 150, 2),  # one getVoiceCdr a messageid: 100 numbers, then 50
    ],
)
def test_each_poll_keeps_to_the_vendor_limits(sim, tmp_path, case, count, per_poll):
    wait = sensor(case, **send(case, recipients(case, count), tmp_path))
    ctx = context()

    assert wait.poke(ctx) is False
    assert sim.requests.count(*QUERIES[case]) == per_poll
    sim.clock.advance(5)
    assert done_value(wait.poke(ctx))["delivered"] == count
    assert sim.requests.count(*QUERIES[case]) == 2 * per_poll


def test_an_unknown_call_stays_pending_as_not_found(sim):
    wait = sensor("buka_voice", message_ids=["1234567890123456789"], poke_interval=0.05, timeout=0.1)
    with pytest.raises(
        AirflowSensorTimeout, match=r"1234567890123456789 \(not found at the vendor \(yet\)\)"
    ):
        wait.execute(context())


def test_nxcloud_requests_are_a_second_apart():
    """getVoiceCdr allows one request a second: the tracker waits between messageids and polls."""
    now = [1_000.0]
    asked: list[float] = []

    def request(endpoint, form):
        asked.append(now[0])
        return {"code": "1", "info": {"total": 0, "rows": []}}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    poller = NXCloudVoicePoller("key", "secret", 1)
    refs = [MessageRef(f"m{i}", "6591000001") for i in range(3)]
    found, pacer = watch_over(poller, refs), Pacer(lambda: now[0])
    drive(found.poll(), request, pacer, sleep)
    now[0] += 0.25  # the next poke comes soon after
    drive(found.poll(), request, pacer, sleep)

    assert len(asked) == 6
    assert all(
        later - earlier >= nxcloud.VOICE_CDR_MIN_INTERVAL_S for earlier, later in itertools.pairwise(asked)
    )
    handed_over = Pacer(lambda: now[0], handed_over=True)
    assert handed_over.delay(next(poller.exchanges(refs[:1])[0][1])) == 1.0


def test_nxcloud_window_opens_at_the_send_time(tmp_path):
    sent = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    poller = NXCloudVoicePoller("key", "secret", 0, clock=lambda: sent.timestamp() + 3600)
    ref = MessageRef("m1", "6591000001", sent_at=sent.timestamp())
    assert poller.window([ref]) == ("2026-11-23 08:50:00", "2026-11-24 08:50:00")
    # unknown send time: the last 24 hours
    assert poller.window([MessageRef("m1")]) == ("2026-11-22 10:00:00", "2026-11-23 10:00:00")
    # the results file carries the send time
    results = tmp_path / "results.jsonl"
    results.write_text(
        json.dumps(
            {"number": "6591000001", "status": "accepted", "vendor_id": "m1", "sent_at": sent.isoformat()}
        )
        + "\n"
    )
    assert refs_from_results(results) == [MessageRef("m1", "6591000001", "20261123", sent.timestamp())]
    assert MessageRef.from_json(ref.to_json()) == MessageRef("m1", "6591000001", None, sent.timestamp())
    assert MessageRef("m1").to_json() == ["m1", None, None]


def test_nxcloud_calls_older_than_the_record_window_are_refused_before_asking():
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp()
    poller = NXCloudVoicePoller("key", "secret", 0, clock=lambda: now)
    day = 86400
    old, fresh = MessageRef("m-old", sent_at=now - 8 * day), MessageRef("m-new", sent_at=now - day)
    with pytest.raises(InvalidInputError, match="7 days; these calls are older: m-old"):
        poller.expect([old, fresh])
    poller.expect([fresh])
    # a send just inside the 7 days: the window's slack is clipped to what the query covers
    edge = MessageRef("m-edge", sent_at=now - 7 * day + 120)
    start, _ = poller.window([edge])
    assert start == "2026-11-16 09:01:00"


@pytest.mark.parametrize(
    ("row", "outcome"),
    [
        ({"result": "Successful connection"}, DELIVERED),
        ({"result": "Unsuccessful connection"}, FAILED),
        ({"result": "Ringing"}, PENDING),
    ],
)
def test_nxcloud_rows_are_matched_on_the_number(row, outcome):
    ids = {"messageid": "m1", "countryCode": "65"}
    rows = [
        {**ids, "phone": "91000002", "result": "Successful connection"},
        {**ids, "phone": "91000001", **row},
    ]

    def request(endpoint, form):
        assert (form["messageid"], form["voiceType"]) == ("m1", "0")  # form values are text
        return {"code": "1", "info": {"total": 2, "rows": rows}}

    refs = [MessageRef("m1", "6591000001"), MessageRef("m1", "6591000003")]
    found = watch_over(NXCloudVoicePoller("key", "secret", 0), refs)
    drive(found.poll(), request, Pacer(lambda: 0.0), lambda s: None)
    first, missing = found.statuses()
    assert first.outcome == outcome and first.number == "6591000001"
    assert (missing.outcome, missing.reason) == (PENDING, "not found at the vendor (yet)")


def test_calls_older_than_the_vendors_records_fail_the_poke_without_asking(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send_nxcloud_calls(sg_numbers(1), results)
    line = next(iter(read_results(results)))
    too_old = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    wait = sensor(
        "nxcloud_voice", message_ids=[{"message_id": line["vendor_id"], "sent_at": too_old.isoformat()}]
    )
    with pytest.raises(AirflowFailException, match=r"^message_ids: NXCloud keeps call records for 7 days"):
        wait.poke(context())
    assert sim.requests.count("nxcloud", "voice_records") == 0


@pytest.mark.parametrize(
    ("case", "kwargs", "parameter"),
    [
        ("nxcloud_voice", {"message_ids": ["1"], "mode": "sms"}, "mode"),
        ("buka_email", {}, "message_ids"),
        ("buka_voice", {"message_ids": ["1"], "min_delivered_ratio": 2}, "min_delivered_ratio"),
    ],
)
def test_bad_input_fails_without_a_request(sim, case, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        sensor(case, **kwargs).poke(context())
    assert str(failed.value).startswith(parameter)
    assert sim.requests.total() == 0


def test_pollers_by_platform_and_kind():
    with pytest.raises(InvalidInputError, match="buka reports on sms, email, voice, not 'fax'"):
        poller_for("buka", None, kind="fax")
    assert poller_for("buka", None, kind="voice").kind == "voice"


# ----- deferrable mode -------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
async def test_defer_run_and_resume(sim, tmp_path, case):
    source = send(case, recipients(case, 3, failing=True), tmp_path)
    sends = send_requests(sim)
    report = tmp_path / "report.jsonl"
    wait = sensor(case, deferrable=True, min_delivered_ratio=0.75, report_path=str(report), **source)
    ctx = context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    path, kwargs = deferred.value.trigger.serialize()
    assert path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
    assert kwargs["options"]["kind"] == CASES[case][0].kind
    assert kwargs["options"]["source"] == source  # the results file travels, never its lines
    json.dumps(kwargs)
    trigger = sleeping_on(sim, WaitTrigger(**kwargs))

    [event] = await all_events(trigger)
    result = wait.execute_complete(ctx, event.payload)

    assert (result["total"], result["delivered"], result["failed"]) == (4, 3, 1)
    assert result["failed_sample"][0]["number"] == CASES[case][2]
    assert len(report.read_text().splitlines()) == 4
    assert send_requests(sim) == sends  # the trigger only read


async def test_the_nxcloud_trigger_carries_the_results_path_and_the_voice_type(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    send_nxcloud_calls(
        sg_numbers(2),
        results,
        mode="broadcast",
        text=None,
        language=None,
        audio_url="https://f.example.com/a.mp3",
    )
    wait = sensor("nxcloud_voice", results_path=str(results), mode="broadcast", deferrable=True)
    ctx = context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["options"]["poller_options"] == {"voice_type": 0}
    # the send times the record windows open at are read from the results file in the triggerer
    assert kwargs["options"]["source"] == {"results_path": str(results)}
    assert all(line["sent_at"] for line in read_results(results))

    trigger = sleeping_on(sim, WaitTrigger(**kwargs))
    [event] = await all_events(trigger)
    assert wait.execute_complete(ctx, event.payload)["delivered"] == 2
    assert trigger.sleeps[0] == pytest.approx(1.0, abs=0.2)  # the sensor's poke was just before
