"""Waiting on what the campaign operators wrote, and the pure parts of the delivery logic."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, PokeReturnValue

from airflow_provider_nxcloud.campaign.delivery import (
    DELIVERED,
    FAILED,
    PENDING,
    MessageRef,
    NXCloudPoller,
    compact_date,
    refs_from_ids,
    verdict,
)
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.sensors.delivery import (
    BukaSmsDeliverySensor,
    FoneDynamicsMessageStatusSensor,
    NXCloudSmsDeliverySensor,
)
from tests.campaign.test_delivery_watch import watch_over
from tests.sensors.senders import UNDELIVERABLE_SG, context, send_campaign, sg_numbers

# request counts below assume one record day: see tests/conftest.py
pytestmark = pytest.mark.usefixtures("one_record_day")

SENSORS = {
    "buka": BukaSmsDeliverySensor,
    "nxcloud": NXCloudSmsDeliverySensor,
    "fonedynamics": FoneDynamicsMessageStatusSensor,
}


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    return nxcloud_simulator


@pytest.mark.parametrize("platform", sorted(SENSORS))
def test_every_campaign_operators_results_can_be_waited_on(sim, tmp_path, platform):
    results = tmp_path / "results.jsonl"
    sent = send_campaign(platform, [*sg_numbers(5), UNDELIVERABLE_SG], results)
    assert sent["accepted"] == 6
    wait = SENSORS[platform](task_id="wait", send_task_id="send", min_delivered_ratio=0.8)
    ctx = context(send=sent)

    assert wait.poke(ctx) is False
    sim.clock.advance(5)
    done = wait.poke(ctx)

    assert isinstance(done, PokeReturnValue)
    summary = done.xcom_value
    assert (summary["total"], summary["delivered"], summary["failed"]) == (6, 5, 1)
    assert summary["failed_sample"][0]["number"].lstrip("+") == UNDELIVERABLE_SG


def test_nxcloud_batches_share_an_id_and_are_found_in_the_days_records(sim, tmp_path):
    results = tmp_path / "results.jsonl"
    numbers = [*sg_numbers(599), UNDELIVERABLE_SG]
    send_campaign("nxcloud", numbers, results)
    lines = list(read_results(results))
    assert len({line["vendor_id"] for line in lines}) == 6  # one messageid per request of 100

    wait = NXCloudSmsDeliverySensor(task_id="wait", results_path=str(results))
    ctx = context()
    assert wait.poke(ctx) is False
    assert sim.requests.count("nxcloud", "sms_records") == 2  # 600 records, 500 a page
    assert sim.requests.count("nxcloud", "sms_record") == 0
    sim.clock.advance(5)
    with pytest.raises(AirflowFailException) as failed:
        wait.poke(ctx)
    assert f"{UNDELIVERABLE_SG} (UNDELIV: undeliverable)" in str(failed.value)
    assert "599 of 600 delivered" in str(failed.value)


def test_nxcloud_xcom_without_results_path_is_refused(sim):
    from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

    sent = NXCloudSendSmsOperator(task_id="send", text="hi", recipients=sg_numbers(3)).execute(context())
    assert len(sent["vendor_ids"]) == 1
    with pytest.raises(AirflowFailException, match="names 1 message ids for 3 accepted"):
        NXCloudSmsDeliverySensor(task_id="wait", send_task_id="send").poke(context(send=sent))


# ----- the NXCloud send day --------------------------------------------------------------------


def not_found() -> PermanentAPIError:
    return PermanentAPIError(
        platform="nxcloud",
        service="sms_report",
        code="1",
        meaning="Query parameters invalid",
        disposition=Disposition.FAIL,
        endpoint="sms_record",
    )


def test_nxcloud_tries_today_then_yesterday_and_remembers():
    now = dt.datetime(2026, 11, 23, 0, 5, tzinfo=dt.UTC).timestamp()
    poller = NXCloudPoller("key", "secret", clock=lambda: now)
    asked: list[str] = []

    def request(endpoint, form):
        asked.append(form["date"])
        if form["date"] != "20261122":
            raise not_found()
        return {"code": "0", "row": {"msgid": "m1", "phone": "6591000001", "dr": ""}}

    found = watch_over(poller, [MessageRef("m1")])
    state = drive(found.poll(), request, Pacer())
    assert asked == ["20261123", "20261122"]
    assert next(found.statuses()).number == "6591000001" and state.details["pending"] == 1
    drive(found.poll(), request, Pacer())
    assert asked == ["20261123", "20261122", "20261122"]


def test_nxcloud_unknown_on_every_day_stays_pending_as_not_found():
    poller = NXCloudPoller("key", "secret")

    def request(endpoint, form):
        raise not_found()

    found = watch_over(poller, [MessageRef("m1")])
    drive(found.poll(), request, Pacer())
    [status] = found.statuses()
    assert (status.outcome, status.reason) == (PENDING, "not found at the vendor (yet)")


def test_nxcloud_other_permanent_errors_propagate():
    def request(endpoint, form):
        error = not_found()
        error.code = "2"
        raise error

    with pytest.raises(PermanentAPIError):
        drive(watch_over(NXCloudPoller("key", "secret"), [MessageRef("m1")]).poll(), request, Pacer())


@pytest.mark.parametrize(
    "row,outcome,reason",
    [
        ({"dr": "DELIVRD"}, DELIVERED, None),
        ({"dr": "REJECTD"}, FAILED, "REJECTD: rejected by the operator"),
        ({"dr": "EXPIRED"}, FAILED, "EXPIRED: validity period expired"),
        ({"dr": "", "dr_status": "Failed"}, FAILED, "Failed (no operator receipt)"),
        ({"dr": "ENROUTE"}, PENDING, None),
        ({"dr": "NEWSTATE"}, PENDING, "unrecognised receipt 'NEWSTATE'"),
    ],
)
def test_nxcloud_receipts(row, outcome, reason):
    status = NXCloudPoller.status(MessageRef("m1", "6591000001"), {"msgid": "m1", **row})
    assert (status.outcome, status.reason) == (outcome, reason)


# ----- small pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("20261123", "20261123"),
        ("2026-11-23", "20261123"),
        ("2026-11-23T23:30:00-02:00", "20261124"),
        ("2026-11-23T01:00:00Z", "20261123"),
        (dt.datetime(2026, 11, 17, 23, 59, tzinfo=dt.UTC).timestamp(), "20261117"),
        ("yesterday", None),
        (None, None),
    ],
)
def test_compact_date(value, expected):
    assert compact_date(value) == expected


def test_refs_from_ids_forms():
    assert [r.message_id for r in refs_from_ids("a, b,a")] == ["a", "b"]
    assert refs_from_ids('[{"message_id": "x", "number": "65", "date": "2026-11-23"}]') == [
        MessageRef("x", "65", "20261123")
    ]
    assert MessageRef.from_json(MessageRef("x", "65", "20261123").to_json()) == MessageRef(
        "x", "65", "20261123"
    )


def test_the_ratio_is_lost_before_everything_is_final():
    def report(*outcomes: str, ratio: float) -> str:
        return verdict(len(outcomes), outcomes.count(DELIVERED), outcomes.count(FAILED), ratio)

    assert report(FAILED, PENDING, PENDING, PENDING, ratio=0.75) == "pending"
    assert report(FAILED, FAILED, PENDING, PENDING, ratio=0.75) == "failure"
    assert report(FAILED, DELIVERED, DELIVERED, DELIVERED, ratio=0.75) == "success"
    assert report(DELIVERED, PENDING, ratio=0.0) == "pending"  # still waits for finality
