"""Seeded SMS history is what the record queries answer, page by page, as for sent messages."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook


def _day(days_ago: int) -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=days_ago)


@pytest.mark.usefixtures("one_record_day")
def test_getsmscdr_pages_a_seeded_day_oldest_first_or_newest_first(nxcloud_simulator):
    start = _day(2)
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), _day(1).timestamp(), 25)
    hook, day = NXCloudHook(), start.strftime("%Y%m%d")
    seeded = [entry.vendor_id for entry in nxcloud_simulator.ledger.entries("nxcloud", "sms")]

    pages = [hook.list_sms_records(day, page=page, page_size=10) for page in (1, 2, 3, 4)]
    assert [total for total, _ in pages] == [25] * 4
    assert [row["msgid"] for _, rows in pages for row in rows] == seeded
    assert pages[3][1] == []
    newest = [hook.list_sms_records(day, page=page, page_size=10, sort_type=1)[1] for page in (1, 2, 3)]
    assert [row["msgid"] for rows in newest for row in rows] == seeded[::-1]
    assert hook.list_sms_records(_day(1).strftime("%Y%m%d"), page=1, page_size=10) == (0, [])


@pytest.mark.usefixtures("one_record_day")
def test_getsmscdr_queries_are_counted_by_the_day_asked_also_when_refused(nxcloud_simulator):
    hook, kept, gone = NXCloudHook(), _day(1).strftime("%Y%m%d"), _day(40).strftime("%Y%m%d")
    hook.list_sms_records(kept, page=1, page_size=10)
    hook.list_sms_records(kept, page=2, page_size=10)
    with pytest.raises(PermanentAPIError, match="code 3"):
        hook.list_sms_records(gone, page=1, page_size=10)  # older than the 31 days NXCloud keeps

    assert nxcloud_simulator.requests.by_window() == {
        ("nxcloud", "sms_records", kept): 2,
        ("nxcloud", "sms_records", gone): 1,
    }
    body = requests.get(f"{nxcloud_simulator.url}/_simulator/requests", timeout=10).json()
    assert body["by_window"] == {f"nxcloud/sms_records/{gone}": 1, f"nxcloud/sms_records/{kept}": 2}


def test_find_sms_lists_seeded_messages_in_their_window(nxcloud_simulator):
    start, end = _day(3), _day(2)
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 30)
    listed = FoneDynamicsHook().list_messages(int(start.timestamp()), int(end.timestamp()), count=100)
    assert [m["MessageSid"] for m in listed or []] == [
        e.vendor_id for e in nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    ]
    assert all(m["Status"] in ("Delivered", "Failed") for m in listed or [])
    assert FoneDynamicsHook().list_messages(int(end.timestamp()), int(end.timestamp()) + 3600) == []


def test_seeding_over_http_and_its_refusals(nxcloud_simulator):
    url = f"{nxcloud_simulator.url}/_simulator/seed"
    body = {
        "platform": "fonedynamics",
        "since": _day(1).timestamp(),
        "until": _day(0).timestamp(),
        "count": 5,
    }
    assert requests.post(url, json=body, timeout=10).json() == {"seeded": 5}
    assert nxcloud_simulator.ledger.count("fonedynamics", "sms") == 5
    assert requests.post(url, json={**body, "platform": "nowhere"}, timeout=10).status_code == 400
    emails = {key: body[key] for key in ("since", "until", "count")}
    assert requests.post(f"{url}/email", json=emails, timeout=10).json() == {"seeded": 5}
    assert requests.post(f"{url}/email", json={"since": 1}, timeout=10).status_code == 400
    assert nxcloud_simulator.ledger.count("buka", "email") == 5
    assert requests.post(url, json={**body, "until": body["since"]}, timeout=10).status_code == 400


def test_getsentrcd_and_getsendemailrcd_answer_seeded_buka_history(nxcloud_simulator):
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    start, end = _day(3), _day(2)
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 30)
    nxcloud_simulator.seed_email_history(start.timestamp(), end.timestamp(), 30)
    hook, accounts = BukaHook(), nxcloud_simulator.accounts.buka
    rows = hook.get_sent_records(accounts.app_id, start, end)
    assert [row["msgId"] for row in rows] == [
        e.vendor_id for e in nxcloud_simulator.ledger.entries("buka", "sms")
    ]
    assert all(len(row["msgId"]) == 19 and row["msgId"].isdigit() for row in rows)
    emails = nxcloud_simulator.ledger.entries("buka", "email")
    records = hook.get_email_records(accounts.email_app_id, [e.vendor_id for e in emails])
    assert [(r["emailId"], r["toAddress"]) for r in records] == [(e.vendor_id, e.recipient) for e in emails]
    # the first seeded address bounces (one in ten thousand), the rest are sent
    assert [r["status"] for r in records] == [1] + [0] * 29


def test_getvoicecdr_lists_seeded_calls_by_voice_type_in_their_window(nxcloud_simulator):
    start = _day(2)
    hour = start + dt.timedelta(hours=1)
    nxcloud_simulator.seed_call_history(start.timestamp(), hour.timestamp(), 6)
    nxcloud_simulator.seed_call_history(hour.timestamp(), (hour + dt.timedelta(hours=1)).timestamp(), 4)
    seeded = nxcloud_simulator.ledger.entries("nxcloud", "voice")
    assert len({e.vendor_id for e in seeded}) == 10  # two periods, distinct message ids
    hook, text = NXCloudHook(), "%Y-%m-%d %H:%M:%S"
    window = {"start_time": start.strftime(text), "end_time": (hour - dt.timedelta(seconds=1)).strftime(text)}
    for voice_type, row_type in ((0, 0), (1, 2)):  # a notification row says 2
        total, rows = hook.list_voice_records(voice_type, **window, page_size=10)
        assert total == 3 and [row["messageid"] for row in rows] == [
            e.vendor_id for e in seeded[:6] if e.details["voice_type"] == voice_type
        ]
        assert all(row["voice_type"] == row_type for row in rows)
        assert all(row["countryCode"] == "65" and row["show_phone"] for row in rows)


def test_calls_are_seeded_over_http(nxcloud_simulator):
    url = f"{nxcloud_simulator.url}/_simulator/seed"
    body = {
        "platform": "nxcloud",
        "kind": "voice",
        "since": _day(1).timestamp(),
        "until": _day(0).timestamp(),
    }
    assert requests.post(url, json={**body, "count": 4}, timeout=10).json() == {"seeded": 4}
    assert nxcloud_simulator.ledger.count("nxcloud", "voice") == 4
    assert nxcloud_simulator.ledger.count("nxcloud", "sms") == 0
