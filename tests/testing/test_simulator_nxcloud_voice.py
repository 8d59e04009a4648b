"""NXCloud legacy voice in the simulator: notsend, versend, gpsend and the getVoiceCdr record query."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from tests.testing.clients import nx_legacy

KEYS = {"appkey": accounts.NXCLOUD_VOICE_APP_KEY, "secretkey": accounts.NXCLOUD_VOICE_APP_SECRET}
FORMAT = nxcloud.VOICE_TIME_FORMAT


def voice(base: str, endpoint: str, **change) -> dict:
    """One voice send to 6591000001 and 6591230000 (which never answers), changed by ``change``.

    ``phone`` carries international numbers, as every page's example does (6212345678, country_code 62).
    """
    form = {"phone": "6591000001,6591230000", "country_code": "65", "show_phone": "6561234567"}
    if endpoint == "voice_broadcast":
        form["url"] = "https://f.example.com/a.mp3"
    else:
        form.update(content="hi", lang="en")
    form.update(change)
    return nx_legacy(base, endpoint, {k: v for k, v in form.items() if v is not None}, **KEYS).json()


def records(url: str, **change) -> dict:
    now = dt.datetime.now(dt.UTC)
    form = {
        "voiceType": "1",
        "start_time": (now - dt.timedelta(hours=1)).strftime(FORMAT),
        "end_time": (now + dt.timedelta(hours=1)).strftime(FORMAT),
        "page": "1",
        "page_size": "100",
        **change,
    }
    return nx_legacy(url, "voice_records", {k: v for k, v in form.items() if v is not None}, **KEYS).json()


def assert_code(reply: dict, code: str, service: str = "voice") -> None:
    assert reply["code"] == code
    assert reply["result"].startswith(lookup_code("nxcloud", service, code).meaning)


def test_notification_calls_each_number_under_one_messageid(nxcloud_simulator):
    reply = voice(nxcloud_simulator.url, "voice_notify", show_phone="6561234567")
    assert (reply["code"], reply["result"]) == ("0", "success")
    entries = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="voice")
    assert [(e.recipient, e.vendor_id, e.content) for e in entries] == [
        ("6591000001", reply["messageid"], "hi"),
        ("6591230000", reply["messageid"], "hi"),
    ]
    assert {(e.app, e.sender, e.endpoint, e.client_reference) for e in entries} == {
        (accounts.NXCLOUD_VOICE_APP_KEY, "6561234567", "voice_notify", None)
    }
    assert entries[0].details["voice_type"] == 1 and entries[0].details["mode"] == "notification"


@pytest.mark.parametrize(
    ("endpoint", "change", "code"),
    [
        ("voice_notify", {"country_code": "+65"}, "23"),
        ("voice_notify", {"country_code": "999"}, "23"),
        ("voice_notify", {"phone": ""}, "24"),
        ("voice_notify", {"phone": ",".join(str(6591000000 + i) for i in range(101))}, "2"),
        ("voice_notify", {"phone": "6591-00001"}, "6"),
        # a national number (the country code apart only) is not what the pages send
        ("voice_notify", {"phone": "91000001"}, "6"),
        ("voice_notify", {"phone": "6091000001"}, "6"),
        ("voice_notify", {"show_phone": "1" * 51}, "21"),
        # show_phone is required ("Parameter error or empty")
        ("voice_notify", {"show_phone": None}, "2"),
        ("voice_verify", {"phone": "6591000001", "show_phone": None}, "2"),
        ("voice_broadcast", {"show_phone": None}, "2"),
        ("voice_notify", {"lang": "xx"}, "2"),
        ("voice_notify", {"content": ""}, "4"),
        ("voice_notify", {"lang": ""}, "2"),
        ("voice_verify", {}, "2"),  # versend: one number only
        ("voice_broadcast", {"url": ""}, "2"),
        ("voice_broadcast", {"url": "ftp://f.example.com/a.mp3"}, "20"),
        ("voice_broadcast", {"task_time": "2099-01-01 09:00:00"}, "31"),
        ("voice_broadcast", {"task_time": "2020-01-01 09:00:00", "time_zone": "8"}, "29"),
        ("voice_broadcast", {"task_time": "tomorrow", "time_zone": "8"}, "2"),
    ],
)
def test_send_codes(nxcloud_simulator, endpoint, change, code):
    assert_code(voice(nxcloud_simulator.url, endpoint, **change), code)
    assert nxcloud_simulator.ledger.count() == 0


def test_limits_are_accepted_at_their_bounds(nxcloud_simulator):
    phones = ",".join(str(6591000000 + i) for i in range(100))
    assert voice(nxcloud_simulator.url, "voice_notify", phone=phones, show_phone="1" * 50)["code"] == "0"
    assert voice(nxcloud_simulator.url, "voice_verify", phone="6591000001", lang="zh-yue")["code"] == "0"
    assert nxcloud_simulator.ledger.count(kind="voice") == 101


def test_the_voice_app_keys_are_required(nxcloud_simulator):
    form = {"phone": "91000001", "country_code": "65", "content": "hi", "lang": "en"}
    assert_code(nx_legacy(nxcloud_simulator.url, "voice_notify", form).json(), "1")  # the SMS app's keys
    reply = nx_legacy(nxcloud_simulator.url, "voice_records", {"voiceType": "1"}).json()
    assert_code(reply, "0", "voice_report")


def test_a_scheduled_broadcast_calls_at_its_task_time(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    start = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0) + dt.timedelta(hours=1)
    task_time = start.strftime(FORMAT)
    reply = voice(nxcloud_simulator.url, "voice_broadcast", task_time=task_time, time_zone="8")
    assert reply["code"] == "0"
    nxcloud_simulator.clock.advance(10)
    assert {e.status for e in nxcloud_simulator.ledger.entries()} == {"pending"}  # not started yet
    assert records(nxcloud_simulator.url, voiceType="0")["info"]["total"] == 0
    nxcloud_simulator.clock.advance(3600)
    assert [e.status for e in nxcloud_simulator.ledger.entries()] == ["delivered", "undelivered"]


def test_records_list_ended_calls_by_messageid_and_voice_type(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    first = voice(nxcloud_simulator.url, "voice_notify")["messageid"]
    second = voice(nxcloud_simulator.url, "voice_notify", phone="6591000002")["messageid"]
    voice(nxcloud_simulator.url, "voice_broadcast")
    assert records(nxcloud_simulator.url)["info"]["rows"] == []  # nothing has ended yet

    nxcloud_simulator.clock.advance(5)
    reply = records(nxcloud_simulator.url, messageid=first)
    assert reply["code"] == "1"
    rows = reply["info"]["rows"]
    assert [(r["phone"], r["countryCode"], r["messageid"], r["result"]) for r in rows] == [
        ("91000001", "65", first, nxcloud.VOICE_CDR_ANSWERED),
        ("91230000", "65", first, nxcloud.VOICE_CDR_UNANSWERED),
    ]
    assert rows[0]["second"] > 0 and rows[1]["second"] == 0 and rows[0]["voice_type"] == 2
    assert records(nxcloud_simulator.url)["info"]["total"] == 3
    assert records(nxcloud_simulator.url, voiceType="0")["info"]["total"] == 2
    page = records(nxcloud_simulator.url, page="2", page_size="2")["info"]
    assert (page["total"], [r["messageid"] for r in page["rows"]]) == (3, [second])


@pytest.mark.parametrize(
    "change",
    [
        {"voiceType": "2"},
        {"start_time": "2026-11-23 00:00:00", "end_time": "2026-11-24 00:00:01"},  # over 24 hours
        {"start_time": "2026-11-23 10:00:00", "end_time": "2026-11-23 09:00:00"},
        {"start_time": "2026-11-23", "end_time": "2026-11-24"},
        {"start_time": "2020-01-01 00:00:00", "end_time": "2020-01-01 12:00:00"},  # older than 7 days
        {"page": "0"},
        {"page_size": str(nxcloud.VOICE_CDR_MAX_PAGE_SIZE + 1)},  # ASSUMPTION [SIM-9]
    ],
)
def test_bad_record_queries_answer_0(nxcloud_simulator, change):
    assert_code(records(nxcloud_simulator.url, **change), "0", "voice_report")


def test_the_one_query_a_second_is_enforced_only_when_set(nxcloud_simulator):
    assert [records(nxcloud_simulator.url)["code"] for _ in range(3)] == [
        "1"
    ] * 3  # not set: tests of other things
    nxcloud_simulator.enforce_query_interval("nxcloud", "voice_records", 0.5)
    assert records(nxcloud_simulator.url)["code"] == "0"  # the previous query came an instant ago
    time.sleep(0.5)
    assert records(nxcloud_simulator.url)["code"] == "1"
    nxcloud_simulator.reset()
    assert [records(nxcloud_simulator.url)["code"] for _ in range(2)] == ["1"] * 2  # a reset forgets it


def test_a_window_of_exactly_24_hours_is_accepted(nxcloud_simulator):
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(hours=23), now + dt.timedelta(hours=1)
    reply = records(nxcloud_simulator.url, start_time=start.strftime(FORMAT), end_time=end.strftime(FORMAT))
    assert reply["code"] == "1"


def test_rate_limit_and_busy_faults_use_the_voice_codes(nxcloud_simulator):
    nxcloud_simulator.faults.set(at={1: "vendor_rate_limit", 2: "vendor_busy"})
    assert_code(voice(nxcloud_simulator.url, "voice_notify"), "28")
    assert_code(voice(nxcloud_simulator.url, "voice_notify"), "99")
    assert nxcloud_simulator.ledger.count() == 0
