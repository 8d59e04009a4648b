"""NXCloud SMS records of a simulated month exported once each, in the fewest getSmsCdr queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import nxcloud
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

pytestmark = pytest.mark.usefixtures("one_record_day")

CASE = shared.CASES["nxcloud-sms"]
_operator = CASE.make


def _expected_queries(sim: object, start: dt.datetime, end: dt.datetime) -> int:
    per_day = Counter(dt.datetime.fromtimestamp(entry.time, dt.UTC).date() for entry in CASE.entries(sim))
    days = [start.date() + dt.timedelta(days=n) for n in range((end - start).days)]
    return sum(shared.pages_by_total(per_day[day], nxcloud.SMS_RECORDS_MAX_PAGE_SIZE) for day in days)


# the month (a long proof, ~12 s) and its small version for make test
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(30 * 4, 30 * 1))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    path = tmp_path / "sms.jsonl"

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


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    per_day = 3 * nxcloud.SMS_RECORDS_MAX_PAGE_SIZE  # full pages alike
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * per_day)
    shared.assert_memory_flat(_operator, tmp_path, start, days=(1, 5), per_day=per_day, label="nxcloud sms")


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 20_000)
    shared.kill_then_retry(nxcloud_simulator, CASE, monkeypatch, tmp_path / "sms.jsonl", start, end, pages=7)
    # the killed page is asked again, nothing before it
    assert CASE.asked(nxcloud_simulator) == _expected_queries(nxcloud_simulator, start, end) + 1


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, tmp_path / "sms.jsonl", start, end, records=3_000
    )


def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=31)
    context = shared.export_context(TaskRun(), end - dt.timedelta(days=1), end)
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl"),
        context,
        parameter="data_interval_start",
        match=r"data_interval_start.*31 days",
    )


def test_an_interval_not_over_yet_fails_before_any_request(nxcloud_simulator, tmp_path):
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    context = shared.export_context(TaskRun(), start, start + dt.timedelta(hours=2))
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "now.jsonl"),
        context,
        parameter="data_interval_end",
        match=r"data_interval_end.*not complete",
    )


def test_records_of_neighbouring_days_are_left_to_their_interval(nxcloud_simulator, tmp_path):
    """A day's query returns the whole vendor day; only the interval's stamps are written."""
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 2_400)  # one per 18 min
    noon = start + dt.timedelta(days=3, hours=12)
    _operator(tmp_path / "half.jsonl").execute(
        shared.export_context(TaskRun(), noon, noon + dt.timedelta(hours=6))
    )
    inside = [
        e for e in CASE.entries(nxcloud_simulator) if noon.timestamp() <= e.time < noon.timestamp() + 6 * 3600
    ]
    lines = list(read_records(tmp_path / "half.jsonl"))
    assert [line["message_id"] for line in lines] == [e.vendor_id for e in inside] and len(inside) == 20
    assert {line["status"] for line in lines} == {"delivered"}
