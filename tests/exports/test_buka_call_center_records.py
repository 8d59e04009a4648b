"""Buka call-center records of a simulated month exported once each, in the fewest cc/record/query queries."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from airflow_provider_nxcloud.exceptions import UnreadableRecordError
from airflow_provider_nxcloud.exports.buka_call_center import record_line, stamp_epoch, windows_of
from airflow_provider_nxcloud.exports.engine import Interval
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import buka
from tests.contracts.capture import vendor_network
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun
from tests.testing.clients import buka_call

CASE = shared.CASES["buka-call-center"]
_operator = CASE.make
_calls = CASE.entries
DAY = 86400


def _expected_queries(sim: object, start: dt.datetime, end: dt.datetime, page_size: int = 100) -> int:
    """The documented limits' minimum: the fewest windows of at most 32 days, each read in pages of
    ``page_size``, a page per started ``page_size`` of the records the window holds (bounds inclusive)."""
    times = [entry.time for entry in _calls(sim)]
    windows = windows_of(Interval(start.timestamp(), end.timestamp()))
    return sum(
        shared.pages_by_total(sum(1 for t in times if low <= t <= high), page_size) for low, high in windows
    )


def _today() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# the month (a long proof) and its small version for make test: one 30-day window
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(1_000, 100))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    path = tmp_path / "calls.jsonl"

    summary = CASE.run(path, start, end)

    lines = shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        fewest=_expected_queries(nxcloud_simulator, start, end),
        queries=queries,
    )
    # every documented call type and hang-up reason, each with its meaning from the tables
    assert {line["call_type"]: line["direction"] for line in lines} == {
        1: "outbound",
        2: "inbound",
        3: "outbound",
    }
    assert {
        line["hangup_reason"]: line["hangup_reason_meaning"] for line in lines
    } == buka.CALL_HANGUP_REASONS
    assert {line["hung_up_by"] for line in lines} == {"customer", "agent", "system"}
    assert summary["windows"] == 1


def test_an_interval_over_32_days_is_read_in_the_fewest_windows_each_record_once(nxcloud_simulator, tmp_path):
    """40 days: a 32-day window and an 8-day one. A call started at the inner boundary is in both
    queries' answers (inclusive bounds) and written once; one started at the interval's end is left
    to the next interval."""
    end = _today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=40)
    # one call every 864 s, the last at the interval's end
    CASE.seed(nxcloud_simulator, start.timestamp(), start.timestamp() + 4_001 * 864, 4_001)
    calls = _calls(nxcloud_simulator)
    boundary = start.timestamp() + 32 * DAY
    assert {call.time for call in calls} >= {start.timestamp(), boundary, end.timestamp()}
    path = tmp_path / "calls.jsonl"

    summary = _operator(path).execute(shared.export_context(TaskRun(), start, end))

    lines = list(read_records(path))
    inside = [call for call in calls if start.timestamp() <= call.time < end.timestamp()]
    assert [line["session_id"] for line in lines] == [call.vendor_id for call in inside]
    assert len(inside) == 4_000 == summary["records"]
    assert summary["windows"] == 2
    asked = CASE.asked(nxcloud_simulator)
    # 32 days hold 3,201 calls with both ends (33 pages), the last 8 days 801 (9 pages)
    assert asked == summary["queries"] == _expected_queries(nxcloud_simulator, start, end) == 33 + 9

    # the call at the interval's end is the next interval's first, and only its
    following = _operator(tmp_path / "next.jsonl").execute(
        shared.export_context(TaskRun(), end, end + dt.timedelta(hours=1))
    )
    [line] = read_records(tmp_path / "next.jsonl")
    assert following["records"] == 1 and line["session_id"] == calls[-1].vendor_id


def test_consecutive_intervals_partition_the_calls(nxcloud_simulator, tmp_path):
    start = _today() - dt.timedelta(days=3)
    CASE.seed(nxcloud_simulator, start.timestamp(), start.timestamp() + DAY, 96)  # every 15 min
    written = []
    for hours in range(0, 24, 6):
        path = tmp_path / f"{hours}.jsonl"
        at = start + dt.timedelta(hours=hours)
        _operator(path).execute(shared.export_context(TaskRun(), at, at + dt.timedelta(hours=6)))
        written += [line["session_id"] for line in read_records(path)]
    assert written == [call.vendor_id for call in _calls(nxcloud_simulator)]


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * 1_000)
    shared.assert_memory_flat(
        _operator, tmp_path, start, days=(2, 10), per_day=1_000, label="buka call center"
    )


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 5_000)
    summary = shared.kill_then_retry(
        nxcloud_simulator, CASE, monkeypatch, tmp_path / "calls.jsonl", start, end, pages=9
    )
    assert summary["records"] == 5_000
    # the 9th page (written, never recorded) is asked again; nothing before it
    assert CASE.asked(nxcloud_simulator) == 50 + 1


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, tmp_path / "calls.jsonl", start, end, records=3_000
    )


def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    start = _today() - dt.timedelta(days=buka.CALL_RECORD_DAYS + 1)
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl"),
        shared.export_context(TaskRun(), start, start + dt.timedelta(days=1)),
        parameter="data_interval_start",
        match=r"data_interval_start.*59 days",
    )


@pytest.mark.parametrize("page_size", [0, 101, "100", True])
def test_a_page_size_the_vendor_does_not_take_fails_before_any_request(
    nxcloud_simulator, tmp_path, page_size
):
    start, end = shared.month_interval()
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "calls.jsonl", page_size=page_size),
        shared.export_context(TaskRun(), start, end),
        parameter="page_size",
    )


def test_a_smaller_page_size_costs_its_pages(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_000)
    summary = _operator(tmp_path / "calls.jsonl", page_size=30).execute(
        shared.export_context(TaskRun(), start, end)
    )
    assert summary["records"] == 1_000
    assert summary["queries"] == CASE.asked(nxcloud_simulator) == 34


# ----- the simulator keeps the documented limits ---------------------------------------------------


def _query(sim: object, start: dt.datetime, end: dt.datetime, **change: object) -> dict:
    body = {"current": 1, "size": 100, "params": {"startTime": start.isoformat(), "endTime": end.isoformat()}}
    return buka_call(sim.url, "cc_record_query", {**body, **change}).json()


def test_the_simulator_keeps_the_documented_window_page_and_retention_limits(nxcloud_simulator):
    end = _today()
    assert _query(nxcloud_simulator, end - dt.timedelta(days=32), end)["status"] == "0"
    assert _query(nxcloud_simulator, end - dt.timedelta(days=32, seconds=1), end)["status"] == "-35"
    old = end - dt.timedelta(days=buka.CALL_RECORD_DAYS + 1)
    assert _query(nxcloud_simulator, old, old + dt.timedelta(days=1))["status"] == "-25"
    assert _query(nxcloud_simulator, end - dt.timedelta(days=1), end, size=101)["status"] == "-22"
    assert _query(nxcloud_simulator, end - dt.timedelta(days=1), end, current=0)["status"] == "-22"
    assert _query(nxcloud_simulator, end, end - dt.timedelta(days=1))["status"] == "-22"
    no_end = {"startTime": (end - dt.timedelta(days=1)).isoformat()}
    assert _query(nxcloud_simulator, end, end, params=no_end)["status"] == "-22"


def test_seeding_call_center_history_over_http(nxcloud_simulator):
    url = f"{nxcloud_simulator.url}/_simulator/seed/call_center"
    since = (_today() - dt.timedelta(days=1)).timestamp()
    body = {"since": since, "until": since + DAY, "count": 7}
    assert requests.post(url, json=body, timeout=10).json() == {"seeded": 7}
    assert nxcloud_simulator.ledger.count("buka", "call_center") == 7
    assert requests.post(url, json={**body, "until": since}, timeout=10).status_code == 400
    assert requests.post(url, json={"since": since}, timeout=10).status_code == 400


# ----- a reply that breaks the assumptions fails the try, never drops a call -----------------------


def _reply(*records: dict, total: int | None = None) -> dict:
    data = {"size": 100, "current": 1, "records": list(records)}
    return {"status": "0", "reason": "success", "data": data if total is None else {**data, "total": total}}


def _record(session: str, started: str) -> dict:
    return {"callSessionId": session, "callStartTime": started, "callType": 3, "hangupReason": 1}


@pytest.fixture
def buka_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_BUKA_DEFAULT", '{"conn_type": "buka", "login": "buka-key", "password": "buka-secret"}'
    )


@pytest.mark.usefixtures("buka_connection")
def test_a_record_stamped_outside_the_window_asked_fails_the_try(tmp_path):
    """ASSUMPTIONs [BK-41, BK-42]: the window selects by callStartTime in China time. A vendor that
    selected by another stamp, or wrote another zone, answers a call outside the window: the try
    fails naming it, instead of dropping the call from both intervals."""
    start = _today() - dt.timedelta(days=2)
    before = (start - dt.timedelta(minutes=5)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    outside = _record("early", before.strftime("%Y-%m-%d %H:%M:%S"))
    with vendor_network(_reply(outside, total=1)), pytest.raises(UnreadableRecordError, match="'early'"):
        _operator(tmp_path / "calls.jsonl").execute(
            shared.export_context(TaskRun(), start, start + dt.timedelta(days=1))
        )
    assert not (tmp_path / "calls.jsonl").exists()


@pytest.mark.usefixtures("buka_connection")
def test_a_reply_without_a_total_is_read_to_a_short_page(tmp_path):
    """A reply that names no total cannot end the paging early: a full page asks the next one."""
    start = _today() - dt.timedelta(days=2)
    local = (start + dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    full = [_record(f"s{n}", local.strftime("%Y-%m-%d %H:%M:%S")) for n in range(100)]
    with vendor_network(_reply(*full)) as network:
        network.register_uri(
            "POST",
            f"{buka.ORIGIN}{buka.BASE_PATH}/cc/record/query",
            [{"json": _reply(*full)}, {"json": _reply(_record("last", local.strftime("%Y-%m-%d %H:%M:%S")))}],
        )
        summary = _operator(tmp_path / "calls.jsonl").execute(
            shared.export_context(TaskRun(), start, start + dt.timedelta(days=1))
        )
    assert (summary["records"], summary["queries"]) == (101, 2)


def test_codes_outside_the_tables_are_kept_without_a_meaning():
    line = record_line(
        {
            "callSessionId": "s1",
            "callType": 9,
            "hangupReason": "7",
            "hangingDirection": 2,
            "answerTime": "",
            "callEndTime": "2026-12-01T10:00:30+08:00",
            "labels": "vip",
        },
        started_at=1_764_554_400.0,
    )
    assert (line["call_type"], line["call_type_meaning"], line["direction"]) == (9, None, None)
    assert (line["hangup_reason"], line["hangup_reason_meaning"]) == (7, "the called party is busy")
    assert (line["hung_up_by"], line["answered"], line["labels"]) == (None, False, None)
    # a stamp written with an offset is read with it
    assert line["ended_at"] == "2026-12-01T02:00:30Z"
    assert stamp_epoch("2026-12-01 10:00:30") == stamp_epoch("2026-12-01T02:00:30Z")
    assert stamp_epoch("yesterday") is None
