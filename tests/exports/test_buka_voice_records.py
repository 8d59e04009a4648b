"""Buka group/OTP call records of a simulated month exported once each, in the fewest recordGroupQuery queries."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_nxcloud.exceptions import UnreadableRecordError
from airflow_provider_nxcloud.exports.buka_voice import WINDOW_PART_S, interval_parts
from airflow_provider_nxcloud.exports.engine import Interval
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.operators.exports import BukaVoiceRecordsToStorageOperator
from airflow_provider_nxcloud.platforms import buka, sip
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

CASE = shared.CASES["buka-voice"]
PAGE = buka.VOICE_RECORDS_MAX_PAGE_SIZE
SETTLE = buka.VOICE_RECORD_SETTLE_S


def _operator(path: object, **kwargs: Any) -> BukaVoiceRecordsToStorageOperator:
    return CASE.make(path, **kwargs)


def settled_month(days: int = shared.MONTH_DAYS) -> tuple[dt.datetime, dt.datetime]:
    """``days`` days ending at yesterday's UTC midnight: settled (its calls have all ended) at any
    hour the test runs, and well within the two months Buka keeps records."""
    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    return end - dt.timedelta(days=days), end


def _expected_queries(sim: Any, start: dt.datetime, end: dt.datetime) -> int:
    """The documented limits' minimum: each window (the interval cut into as few parts as 31 days
    less the settle margin allow) asks for the calls placed from its start to its end plus the
    margin, 100 a page; the simulator answers by submitTime, both bounds inclusive."""
    times = [entry.time for entry in CASE.entries(sim)]
    queries = 0
    for low, high in interval_parts(Interval(start.timestamp(), end.timestamp())):
        listed = sum(1 for moment in times if low <= moment <= high + SETTLE)
        queries += shared.pages_by_total(listed, PAGE)
    return queries


def _ledger_calls(sim: Any) -> Counter[tuple[str, str]]:
    return Counter((entry.vendor_id, entry.recipient) for entry in CASE.entries(sim))


# the month (a long proof) and its small version for make test: one window, 100 rows a query
@pytest.mark.parametrize(
    ("records", "queries"), shared.month_sizes(shared.MONTH_RECORDS // PAGE, 10_000 // PAGE)
)
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    path = tmp_path / "calls.jsonl"

    summary = CASE.run(path, start, end)

    shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        fewest=_expected_queries(nxcloud_simulator, start, end),
        queries=queries,
    )
    assert summary["windows"] == 1


def test_each_line_says_how_the_call_ended_through_the_sip_table(nxcloud_simulator, tmp_path):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 2_000)
    _operator(tmp_path / "calls.jsonl").execute(shared.export_context(TaskRun(), start, end))

    lines = {line["voice_id"]: line for line in read_records(tmp_path / "calls.jsonl")}
    entries = CASE.entries(nxcloud_simulator)
    assert len(lines) == len(entries) == 2_000
    by_code = Counter(entry.details["sip"] for entry in entries)
    assert set(by_code) == {"200", "480", "486", "487", "603", "404"}  # every ending occurs in a month
    for entry in entries:
        line, call = lines[entry.vendor_id], entry.details
        assert line["termination_code"] == call["sip"]
        assert line["termination_meaning"] == sip.RESPONSES[call["sip"]][0]
        assert line["submitted_at"] == dt.datetime.fromtimestamp(entry.time, dt.UTC).isoformat().replace(
            "+00:00", "Z"
        )
        if call["sip"] == "200":
            assert line["status"] == "answered" and line["answered_at"] is not None
            assert line["call_seconds"] == call["talk_s"] > 0
            period = int(call["bill_period"].split("+")[1])
            assert line["charged_seconds"] == math.ceil(call["talk_s"] / period) * period
            assert float(line["cost"]) == pytest.approx(
                float(call["rate"]) * line["charged_seconds"] / 60, abs=1e-4
            )
        else:
            assert line["answered_at"] is None and line["call_seconds"] == 0 and float(line["cost"]) == 0
            assert line["status"] == ("failed" if call["sip"] == "404" else "unanswered")
        assert line["key_pressed"] == (None if call["feedback"] == "-1" else call["feedback"])
        assert line["cost_currency"] == "EUR"
        assert (line["voice_file_id"] is not None) == (call["mode"] == "audio")


def test_an_interval_over_31_days_is_read_in_two_windows_each_call_once(nxcloud_simulator, tmp_path):
    """Windows reach the settle margin past their part; calls on and just after the boundary
    (listed by both windows) are written once, by the window their submitTime belongs to."""
    start, end = settled_month(45)
    boundary = start.timestamp() + WINDOW_PART_S
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 4_500)
    nxcloud_simulator.seed_voice_history(boundary - 1, boundary, 1)
    nxcloud_simulator.seed_voice_history(boundary, boundary + 1, 1)
    nxcloud_simulator.seed_voice_history(boundary + 60, boundary + 61, 1)
    path = tmp_path / "calls.jsonl"

    summary = _operator(path).execute(shared.export_context(TaskRun(), start, end))

    lines = list(read_records(path))
    assert Counter((line["voice_id"], line["callee"]) for line in lines) == _ledger_calls(nxcloud_simulator)
    assert summary["windows"] == 2 == math.ceil(45 * 86400 / WINDOW_PART_S)
    asked = CASE.asked(nxcloud_simulator)
    assert asked == summary["queries"] == _expected_queries(nxcloud_simulator, start, end)


def test_calls_placed_outside_the_interval_are_left_to_their_own(nxcloud_simulator, tmp_path):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)  # one per 864 s
    noon = start + dt.timedelta(days=3, hours=12)
    _operator(tmp_path / "half.jsonl").execute(
        shared.export_context(TaskRun(), noon, noon + dt.timedelta(hours=6))
    )
    inside = [
        entry
        for entry in CASE.entries(nxcloud_simulator)
        if noon.timestamp() <= entry.time < noon.timestamp() + 6 * 3600
    ]
    lines = list(read_records(tmp_path / "half.jsonl"))
    assert sorted(line["voice_id"] for line in lines) == sorted(entry.vendor_id for entry in inside)
    assert len(inside) == 25


def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    start, end = settled_month()
    per_day = 3 * PAGE  # full pages alike
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), shared.MONTH_DAYS * per_day)
    shared.assert_memory_flat(_operator, tmp_path, start, days=(1, 5), per_day=per_day, label="buka voice")


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 2_000)
    shared.kill_then_retry(
        nxcloud_simulator, CASE, monkeypatch, tmp_path / "calls.jsonl", start, end, pages=7
    )
    # the killed page is asked again, nothing before it
    total = CASE.asked(nxcloud_simulator)
    assert total == _expected_queries(nxcloud_simulator, start, end) + 1 == 2_000 // PAGE + 1


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_500)
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, tmp_path / "calls.jsonl", start, end, records=1_500
    )


def test_an_interval_older_than_buka_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=buka.VOICE_RECORDS_KEPT_DAYS, minutes=5)
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl"),
        shared.export_context(TaskRun(), start, start + dt.timedelta(days=1)),
        parameter="data_interval_start",
        match=r"data_interval_start.*59 days",
    )


def test_an_interval_whose_calls_may_still_be_ringing_is_read_after_the_settle_delay(
    nxcloud_simulator, tmp_path
):
    """Run 29 minutes after its end, the export defers (no request) to 30 minutes after it (ASSUMPTION [BK-46])."""
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=SETTLE - 60)
    with pytest.raises(TaskDeferred) as deferred:
        _operator(tmp_path / "now.jsonl").execute(
            shared.export_context(TaskRun(), end - dt.timedelta(hours=1), end)
        )
    assert deferred.value.trigger.moment == end + dt.timedelta(seconds=SETTLE)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize("size", [0, PAGE + 1, "100", True, 2.5])
def test_a_page_size_the_vendor_does_not_take_fails_before_any_request(nxcloud_simulator, tmp_path, size):
    start, end = settled_month()
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "calls.jsonl", page_size=size),
        shared.export_context(TaskRun(), start, end),
        parameter="page_size",
        match=r"page_size.*1 to 100",
    )


def test_a_smaller_page_size_is_sent_and_costs_the_pages_it_needs(nxcloud_simulator, tmp_path):
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 250)
    summary = _operator(tmp_path / "calls.jsonl", page_size=25).execute(
        shared.export_context(TaskRun(), start, end)
    )
    assert summary["records"] == 250
    assert summary["queries"] == CASE.asked(nxcloud_simulator) == 10


def test_a_gateway_error_or_a_vendor_fault_mid_export_is_read_again_without_gaps_or_duplicates(
    nxcloud_simulator, tmp_path
):
    """The 4th query meets a 503, the 7th Buka's -18 (port program unusual): reads, so asked again."""
    start, end = settled_month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_000)
    nxcloud_simulator.faults.set(at={4: "http_503", 7: "vendor_busy"})
    path = tmp_path / "calls.jsonl"
    summary = _operator(path).execute(shared.export_context(TaskRun(), start, end))
    assert nxcloud_simulator.faults.counts() == {"http_503": 1, "vendor_busy": 1}
    lines = list(read_records(path))
    assert [line["voice_id"] for line in lines] == [
        entry.vendor_id for entry in CASE.entries(nxcloud_simulator)
    ]
    assert summary["queries"] == 10  # pages recorded; the two refused requests are the vendor's two more
    assert CASE.asked(nxcloud_simulator) == 12


def _row(voice_id: str, submitted: dt.datetime) -> dict[str, Any]:
    return {
        "voiceId": voice_id,
        "callee": "6591000001",
        "submitTime": submitted.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(),
        "terminationCode": "486",
        "terminationReason": "User busy",
    }


def test_a_list_that_shifts_while_paged_fails_the_try_and_the_retry_reads_on(
    monkeypatch, requests_mock, tmp_path
):
    """Page 2 starts with page 1's last call (ASSUMPTION BK-47): the try fails with nothing merged;
    the retry asks page 2 again, not page 1, and writes each call once."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_BUKA_DEFAULT",
        '{"conn_type": "buka", "login": "key", "password": "secret", "host": "https://vendor.test"}',
    )
    start, end = settled_month(1)
    at = [start + dt.timedelta(hours=n) for n in range(1, 5)]
    rows = [_row(f"v{n}", moment) for n, moment in enumerate(at, 1)]

    def page(records: list[dict[str, Any]], current: int) -> dict[str, Any]:
        data = {
            "total": 4,
            "size": 2,
            "current": current,
            "pages": 2,
            "searchCount": True,
            "records": records,
        }
        return {"json": {"status": "0", "reason": "success", "data": data}}

    url = "https://vendor.test/v3/voice/recordGroupQuery"
    requests_mock.post(url, [page(rows[:2], 1), page(rows[1:3], 2), page(rows[2:], 2)])
    path, run = tmp_path / "calls.jsonl", TaskRun()
    with pytest.raises(UnreadableRecordError, match="v2 again on page 2"):
        _operator(path, page_size=2).execute(shared.export_context(run, start, end))
    assert not path.exists()

    summary = _operator(path, page_size=2).execute(shared.export_context(run, start, end, retry=True))
    assert [line["voice_id"] for line in read_records(path)] == ["v1", "v2", "v3", "v4"]
    assert {line["status"] for line in read_records(path)} == {"unanswered"}
    assert [request.json()["current"] for request in requests_mock.request_history] == [1, 2, 2]
    assert summary["resumed"] is True


def test_the_operator_stores_its_arguments_unchanged_and_reaches_nothing_until_it_runs(nxcloud_simulator):
    operator = BukaVoiceRecordsToStorageOperator(
        task_id="calls",
        output_path="{{ params.lake }}/calls.jsonl",
        buka_conn_id="{{ params.conn }}",
        page_size="{{ params.size }}",
    )
    assert (operator.output_path, operator.buka_conn_id, operator.page_size) == (
        "{{ params.lake }}/calls.jsonl",
        "{{ params.conn }}",
        "{{ params.size }}",
    )
    assert set(operator.template_fields) == {"buka_conn_id", "output_path", "page_size", "output_format"}
    assert "hook" not in vars(operator)  # built in execute(), never in __init__
    assert nxcloud_simulator.requests.total() == 0
    assert _operator("x.jsonl").page_size == PAGE  # the largest page the vendor documents
