"""NXCloud SMS records of a simulated month exported once each, in the fewest getSmsCdr queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.exports.nxcloud_sms import LINE_KEYS
from airflow_provider_nxcloud.operators.exports import NXCloudSmsRecordsToStorageOperator
from airflow_provider_nxcloud.platforms import nxcloud
from tests.exports.conftest import (
    MONTH_RECORDS,
    Killed,
    export_context,
    kill_after_pages,
    month_interval,
    pages_by_total,
    peak_bytes,
)
from tests.operators.conftest import TaskRun

pytestmark = pytest.mark.usefixtures("one_record_day")

WRITE_PAGE = IntervalFile.write_page


def _operator(path: object) -> NXCloudSmsRecordsToStorageOperator:
    return NXCloudSmsRecordsToStorageOperator(task_id="export_sms", output_path=str(path))


def _expected_queries(sim: object, start: dt.datetime, end: dt.datetime) -> int:
    per_day = Counter(
        dt.datetime.fromtimestamp(entry.time, dt.UTC).date() for entry in sim.ledger.entries("nxcloud", "sms")
    )
    days = [start.date() + dt.timedelta(days=n) for n in range((end - start).days)]
    return sum(pages_by_total(per_day[day], nxcloud.SMS_RECORDS_MAX_PAGE_SIZE) for day in days)


@pytest.mark.parametrize(
    ("records", "queries"),
    # the month (a long proof, ~12 s) and its small version for make test
    [
        pytest.param(MONTH_RECORDS, 30 * 4, marks=pytest.mark.long, id="100k"),
        pytest.param(10_000, 30 * 1, id="10k"),
    ],
)
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), end.timestamp(), records)
    path = tmp_path / "sms.jsonl"

    summary = _operator(path).execute(export_context(TaskRun(), start, end))

    entries = nxcloud_simulator.ledger.entries("nxcloud", "sms")
    lines = list(read_records(path))
    assert len(lines) == len(entries) == records == summary["records"]
    assert Counter((line["message_id"], line["number"]) for line in lines) == Counter(
        (entry.vendor_id, entry.recipient) for entry in entries
    )
    assert all(tuple(line) == LINE_KEYS for line in lines[:100])
    asked = nxcloud_simulator.requests.count("nxcloud", "sms_records")
    assert asked == summary["queries"] == _expected_queries(nxcloud_simulator, start, end) == queries
    assert not (tmp_path / "sms.jsonl.parts").exists() and not (tmp_path / "sms.jsonl.incomplete").exists()
    print(f"nxcloud sms: {len(lines)} records, {asked} queries")


def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    """Five times the records (full pages alike) and the same peak: the export holds a page, not the interval."""
    start, end = month_interval()
    per_day = 3 * nxcloud.SMS_RECORDS_MAX_PAGE_SIZE
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), end.timestamp(), 30 * per_day)
    # a first export untraced: imports and connection set-up are not the records' cost
    _operator(tmp_path / "warm.jsonl").execute(
        export_context(TaskRun(), start, start + dt.timedelta(hours=1))
    )
    peaks, sizes = [], []
    for days in (1, 5):
        path = tmp_path / f"{days}.jsonl"
        interval_end = start + dt.timedelta(days=days)
        summary, peak = peak_bytes(
            lambda path=path, interval_end=interval_end: _operator(path).execute(
                export_context(TaskRun(), start, interval_end)
            )
        )
        assert summary["records"] == days * per_day
        peaks.append(peak)
        sizes.append(path.stat().st_size)
    assert sizes[1] > 4.9 * sizes[0]
    assert peaks[1] < 1.3 * peaks[0], f"peaks {peaks[0]:,} and {peaks[1]:,} bytes for files of {sizes}"
    print(f"nxcloud sms peak: {peaks[0]:,} bytes for {per_day} records, {peaks[1]:,} for {5 * per_day}")


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), end.timestamp(), 20_000)
    path, run = tmp_path / "sms.jsonl", TaskRun()
    kill_after_pages(monkeypatch, 7)
    with pytest.raises(Killed):
        _operator(path).execute(export_context(run, start, end))
    assert not path.exists()
    first_try = nxcloud_simulator.requests.count("nxcloud", "sms_records")
    assert first_try == 7

    monkeypatch.setattr(IntervalFile, "write_page", WRITE_PAGE)
    summary = _operator(path).execute(export_context(run, start, end, retry=True))

    lines = list(read_records(path))
    entries = nxcloud_simulator.ledger.entries("nxcloud", "sms")
    assert [line["message_id"] for line in lines] == [entry.vendor_id for entry in entries]
    assert summary["resumed"] is True
    # the killed page is asked again, nothing before it
    total = nxcloud_simulator.requests.count("nxcloud", "sms_records")
    assert total == _expected_queries(nxcloud_simulator, start, end) + 1


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), end.timestamp(), 3_000)
    path = tmp_path / "sms.jsonl"
    _operator(path).execute(export_context(TaskRun(), start, end))
    first = path.read_bytes()
    _operator(path).execute(export_context(TaskRun(), start, end))
    assert path.read_bytes() == first and first.count(b"\n") == 3_000


def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=31)
    with pytest.raises(AirflowFailException, match=r"data_interval_start.*31 days") as failed:
        _operator(tmp_path / "old.jsonl").execute(export_context(TaskRun(), end - dt.timedelta(days=1), end))
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert nxcloud_simulator.requests.total() == 0


def test_an_interval_not_over_yet_fails_before_any_request(nxcloud_simulator, tmp_path):
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    with pytest.raises(AirflowFailException, match=r"data_interval_end.*not complete") as failed:
        _operator(tmp_path / "now.jsonl").execute(
            export_context(TaskRun(), start, start + dt.timedelta(hours=2))
        )
    assert failed.value.__cause__.parameter == "data_interval_end"
    assert nxcloud_simulator.requests.total() == 0


def test_records_of_neighbouring_days_are_left_to_their_interval(nxcloud_simulator, tmp_path):
    """A day's query returns the whole vendor day; only the interval's stamps are written."""
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("nxcloud", start.timestamp(), end.timestamp(), 2_400)  # one per 18 min
    noon = start + dt.timedelta(days=3, hours=12)
    _operator(tmp_path / "half.jsonl").execute(export_context(TaskRun(), noon, noon + dt.timedelta(hours=6)))
    inside = [
        e
        for e in nxcloud_simulator.ledger.entries("nxcloud", "sms")
        if noon.timestamp() <= e.time < noon.timestamp() + 6 * 3600
    ]
    lines = list(read_records(tmp_path / "half.jsonl"))
    assert [line["message_id"] for line in lines] == [e.vendor_id for e in inside] and len(inside) == 20
    assert {line["status"] for line in lines} == {"delivered"}
