"""The simulator's Buka recordGroupQuery: ended calls by submitTime, in pages, within the documented limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.testing.buka import SEEDED_LONGEST_CALL_S
from tests.testing.clients import buka_call

ZONE = dt.timezone(dt.timedelta(hours=8))


def _day(days_ago: int) -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=days_ago)


def _query(sim: Any, start: dt.datetime, end: dt.datetime, **page: Any) -> dict[str, Any]:
    params = {"strTime": start.astimezone(ZONE).isoformat(), "endTime": end.astimezone(ZONE).isoformat()}
    return buka_call(sim.url, "voice_records", {**page, "params": params}).json()


def test_seeded_calls_are_listed_by_submit_time_in_pages(nxcloud_simulator):
    start = _day(3)
    nxcloud_simulator.seed_voice_history(start.timestamp(), start.timestamp() + 3600, 60)  # one a minute
    seeded = [entry.vendor_id for entry in nxcloud_simulator.ledger.entries("buka", "voice")]

    first = _query(nxcloud_simulator, start, start + dt.timedelta(hours=1))
    assert first["status"] == "0"
    page = first["data"]
    # size defaults to 25, as documented; the envelope says how many pages there are
    assert (page["total"], page["size"], page["current"], page["pages"]) == (60, 25, 1, 3)
    assert [r["voiceId"] for r in page["records"]] == seeded[:25]
    hook = BukaHook()
    listed = [
        record["voiceId"]
        for number in (1, 2)
        for record in hook.voice_calls_page(start, start + dt.timedelta(hours=1), page=number, size=40)[
            "records"
        ]
    ]
    assert listed == seeded
    # both bounds inclusive: the calls placed exactly at 00:10 and 00:20
    ten = start + dt.timedelta(minutes=10)
    window = hook.voice_calls_page(ten, ten + dt.timedelta(minutes=10))
    assert [r["voiceId"] for r in window["records"]] == seeded[10:21]
    assert set(buka.VOICE_RECORD_FIELDS) <= set(window["records"][0])


def test_a_call_is_listed_once_it_has_ended(nxcloud_simulator):
    reply = buka_call(
        nxcloud_simulator.url,
        "voice_send_code",
        {
            "appId": nxcloud_simulator.accounts.buka.voice_app_id,
            "callee": "6591234567",
            "text": "Hi",
            "language": "EN",
        },
    ).json()
    voice_id = reply["data"][0]["voiceId"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    window = (now - dt.timedelta(minutes=5), now + dt.timedelta(minutes=5))
    assert _query(nxcloud_simulator, *window)["data"]["records"] == []
    nxcloud_simulator.clock.advance(max(nxcloud_simulator.delivery.delay, SEEDED_LONGEST_CALL_S) + 1)
    [record] = _query(nxcloud_simulator, *window)["data"]["records"]
    assert (record["voiceId"], record["terminationCode"]) == (voice_id, "200")


@pytest.mark.parametrize(
    ("start_days", "length", "code"),
    [
        (40, dt.timedelta(days=31, seconds=1), "-25"),  # a window over 31 days
        (60, dt.timedelta(days=1), "-25"),  # older than the two months Buka keeps
        (5, -dt.timedelta(seconds=1), "-25"),  # ends before it starts
    ],
    ids=["over-31-days", "older-than-kept", "backwards"],
)
def test_windows_outside_the_documented_limits_are_refused(nxcloud_simulator, start_days, length, code):
    start = _day(start_days)
    reply = _query(nxcloud_simulator, start, start + length, current=1, size=10)
    assert reply["status"] == code and reply["reason"] == "Out of time range"


def test_the_longest_documented_window_is_answered(nxcloud_simulator):
    reply = _query(nxcloud_simulator, _day(40), _day(9), current=1, size=100)
    assert reply["status"] == "0" and reply["data"]["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"current": 1, "size": 101},
        {"current": 1, "size": 0},
        {"current": 0, "size": 10},
        {
            "current": 1,
            "size": 10,
            "params": {"strTime": "2026-12-01 00:00:00", "endTime": "2026-12-02 00:00:00"},
        },
        {"current": 1, "size": 10, "params": {"endTime": "2026-12-02T00:00:00+08:00"}},
    ],
    ids=["size-101", "size-0", "current-0", "not-iso", "no-strTime"],
)
def test_parameters_outside_the_documented_contract_answer_parameter_exception(nxcloud_simulator, body):
    params = {
        "strTime": _day(2).astimezone(ZONE).isoformat(),
        "endTime": _day(1).astimezone(ZONE).isoformat(),
    }
    reply = buka_call(nxcloud_simulator.url, "voice_records", {"params": params, **body}).json()
    assert reply["status"] == "-22"


def test_seeding_calls_over_http_and_its_refusals(nxcloud_simulator):
    url = f"{nxcloud_simulator.url}/_simulator/seed/voice"
    body = {"since": _day(2).timestamp(), "until": _day(1).timestamp(), "count": 7}
    assert requests.post(url, json=body, timeout=10).json() == {"seeded": 7}
    assert requests.post(url, json=body, timeout=10).json() == {"seeded": 7}
    entries = nxcloud_simulator.ledger.entries("buka", "voice")
    assert len({entry.vendor_id for entry in entries}) == len(entries) == 14  # seeding again adds calls
    assert requests.post(url, json={**body, "until": body["since"]}, timeout=10).status_code == 400
    assert requests.post(url, json={"since": 0}, timeout=10).status_code == 400
