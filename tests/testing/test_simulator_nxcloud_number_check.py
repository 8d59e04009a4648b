"""The simulated NXCloud number check: submit limits and codes, failNumber, the ledger, result rows."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing import nxcloud as simulated_nxcloud
from tests.testing.clients import nx_signed

SG = ["6591000001", "6591000002"]


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # results come only when the test advances the clock
    return nxcloud_simulator


def today(offset_days: int = 0) -> str:
    """The simulator's record day (its reading of the vendor's undocumented zone), shifted."""
    return (simulated_nxcloud.record_day(time.time()) + dt.timedelta(days=offset_days)).isoformat()


def submit(sim, numbers, **fields):
    body = {"phone": ",".join(numbers), "appkey": accounts.NXCLOUD_NUMBER_CHECK_APP_KEY, **fields}
    return nx_signed(sim.url, "number_check_submit", {k: v for k, v in body.items() if v is not None}).json()


def query(sim, **fields):
    body = {"page": 1, "pageSize": 100, "date": today(), **fields}
    return nx_signed(sim.url, "number_check_query", body).json()


# ----- submit ---------------------------------------------------------------------------------------


def test_submit_answers_the_2024_shape_and_records_each_number(sim):
    reply = submit(sim, [*SG, "999123456789", "12ab"], batchNo="b-1", checkLevel=5)

    data = reply["data"]
    assert (reply["code"], reply["message"], data["batchNo"]) == (0, "Success", "b-1")
    assert data["failNumber"] == ["999123456789", "12ab"]  # unknown country code, not digits
    assert len(data["requestId"]) == 32 and reply["traceId"]
    entries = sim.ledger.entries(platform="nxcloud", kind="number_check")
    assert [e.recipient for e in entries] == SG
    assert {(e.content, e.vendor_id, e.batch_id, e.client_reference) for e in entries} == {
        ("5", data["requestId"], data["requestId"], "b-1")
    }


def test_without_a_batch_no_the_vendor_makes_one(sim):
    reply = submit(sim, SG[:1])
    assert len(reply["data"]["batchNo"]) == 12
    assert sim.ledger.entries(kind="number_check")[0].content == "1"  # checkLevel defaults to basic


def test_a_batch_submitted_twice_shows_as_duplicates(sim):
    submit(sim, SG, batchNo="b-1")
    submit(sim, SG, batchNo="b-1")
    assert sim.ledger.duplicates() == {(number, "1", "b-1"): 2 for number in SG}


@pytest.mark.parametrize(
    ("fields", "numbers", "code"),
    [
        ({}, [], 201),
        ({}, ["6591000001"] * 5001, 201),
        ({"batchNo": 7}, SG, 201),
        ({"batchNo": "b" * 65}, SG, 212),
        ({"checkLevel": 4}, SG, 207),
        ({"checkLevel": "5"}, SG, 207),
        ({"checkLevel": True}, SG, 207),
        ({"appkey": "someone-elses-app"}, SG, 202),
        ({}, ["999123456789"], 203),
    ],
)
def test_submit_errors(sim, fields, numbers, code):
    reply = submit(sim, numbers, **fields)
    assert reply["code"] == code
    assert reply["msg"].startswith(lookup_code("nxcloud", "number_check", code).meaning)
    assert sim.ledger.count() == 0


def test_5000_numbers_and_a_64_character_batch_no_are_accepted(sim):
    numbers = [f"6591{i:06d}" for i in range(1, 5001)]
    assert submit(sim, numbers, batchNo="b" * 64)["code"] == 0
    assert sim.ledger.count(kind="number_check") == 5000


# ----- query ----------------------------------------------------------------------------------------


def test_results_come_after_the_delivery_delay(sim):
    request_id = submit(sim, SG, batchNo="b-1")["data"]["requestId"]
    assert query(sim, batchNo="b-1")["data"]["totalSize"] == 0
    sim.clock.advance(5)

    by_batch = query(sim, batchNo="b-1")["data"]
    assert (by_batch["totalSize"], by_batch["totalPage"]) == (2, 1)
    assert query(sim, requestId=request_id)["data"]["result"] == by_batch["result"]
    assert query(sim, messageId=request_id)["data"]["totalSize"] == 2  # the 2023 name of the same id
    assert query(sim, batchNo="b-2")["data"]["totalSize"] == 0
    [one] = query(sim, batchNo="b-1", phone="+65 9100 0002")["data"]["result"]
    assert one["phone"] == "6591000002"


def test_basic_rows(sim):
    submit(sim, ["6591000001", "6591230000", "6561234567"], batchNo="b-1")
    sim.clock.advance(5)
    rows = query(sim, batchNo="b-1")["data"]["result"]
    assert rows[0] == {
        "phone": "6591000001",
        "batchNo": "b-1",
        "requestId": rows[0]["requestId"],
        "checkLevel": 1,
        "country": "SG",
        "numberType": "mobile",
        "operator": rows[0]["operator"],
        "price": "0.0020",
        "currency": "USD",
    }
    assert [row["numberType"] for row in rows] == ["mobile", "invalid", "others"]  # 0000: dead; 6: fixed
    assert "active" not in rows[0]


def test_hlr_rows(sim):
    submit(sim, ["6591000077", "6591230000"], batchNo="b-1", checkLevel=5)
    sim.clock.advance(5)
    live, dead = query(sim, batchNo="b-1")["data"]["result"]
    assert (live["mcc"], live["ported"], live["active"], live["checkLevel"]) == ("525", "YES", "YES", 5)
    assert live["mnc"].isdigit() and live["price"] == "0.0100"
    assert (dead["numberType"], dead["active"], dead["ported"]) == ("invalid", "NO", "NO")


def test_pages(sim):
    submit(sim, [f"6591{i:06d}" for i in range(1, 251)], batchNo="b-1")
    sim.clock.advance(5)
    pages = [query(sim, batchNo="b-1", page=page)["data"] for page in (1, 2, 3, 4)]
    assert [len(p["result"]) for p in pages] == [100, 100, 50, 0]
    assert {(p["totalSize"], p["totalPage"]) for p in pages} == {(250, 3)}
    assert len({row["phone"] for p in pages for row in p["result"]}) == 250


@pytest.mark.parametrize("zone_hours", [8, 0])
@pytest.mark.parametrize(("days", "found"), [(0, 2), (-1, 0), (1, 0), (-2, 0), (-14, 0)])
def test_rows_are_filed_under_one_reading_of_the_submit_day(sim, monkeypatch, zone_hours, days, found):
    # the query page names no zone for ``date``: the simulator files a batch under one reading only
    monkeypatch.setattr(simulated_nxcloud, "RECORD_DAY_UTC_OFFSET_HOURS", zone_hours)
    submit(sim, SG, batchNo="b-1")
    sim.clock.advance(5)
    reply = query(sim, batchNo="b-1", date=today(days))
    assert (reply["code"], reply["data"]["totalSize"]) == (0, found)


# days, not dates: a date computed when the tests are collected is a day nearer once midnight passes
@pytest.mark.parametrize("days", [-15, 2])
def test_the_date_must_be_within_14_days(sim, days):
    reply = query(sim, batchNo="b-1", date=today(days))
    assert reply["code"] == 88 and "14 days" in reply["msg"]
