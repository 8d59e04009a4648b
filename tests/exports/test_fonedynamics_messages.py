"""Fone Dynamics messages of a simulated month exported once each, in the fewest find-SMS queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.exports.fonedynamics_messages import LINE_KEYS
from airflow_provider_nxcloud.operators.exports import FoneDynamicsMessagesToStorageOperator
from airflow_provider_nxcloud.platforms import fonedynamics
from tests.exports.conftest import (
    MONTH_RECORDS,
    Killed,
    export_context,
    kill_after_pages,
    month_interval,
    pages_to_short_page,
    peak_bytes,
)
from tests.operators.conftest import TaskRun

WRITE_PAGE = IntervalFile.write_page


def _operator(path: object, **kwargs: object) -> FoneDynamicsMessagesToStorageOperator:
    return FoneDynamicsMessagesToStorageOperator(task_id="export_messages", output_path=str(path), **kwargs)


@pytest.mark.parametrize(
    ("records", "queries"),
    # the month (a long proof, ~13 s) and its small version for make test
    [pytest.param(MONTH_RECORDS, 501, marks=pytest.mark.long, id="100k"), pytest.param(10_000, 51, id="10k")],
)
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), records)
    path = tmp_path / "messages.jsonl"

    summary = _operator(path).execute(export_context(TaskRun(), start, end))

    entries = nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    lines = list(read_records(path))
    assert len(lines) == len(entries) == records == summary["records"]
    assert Counter((line["message_id"], line["to"], line["text"]) for line in lines) == Counter(
        (entry.vendor_id, entry.recipient, entry.content) for entry in entries
    )
    assert all(tuple(line) == LINE_KEYS for line in lines[:100])
    assert {line["status"] for line in lines} == {"delivered", "failed"}  # numbers ending 0000 fail
    asked = nxcloud_simulator.requests.count("fonedynamics", "list_messages")
    # one window (the interval), 200 a page: floor(records / 200) + 1
    assert asked == summary["queries"] == pages_to_short_page(records, fonedynamics.MESSAGES_PAGE_DEFAULT)
    assert asked == queries
    print(f"fonedynamics messages: {len(lines)} records, {asked} queries")


def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 30 * 1_000)
    # a first export untraced: imports and connection set-up are not the records' cost
    _operator(tmp_path / "warm.jsonl").execute(
        export_context(TaskRun(), start, start + dt.timedelta(hours=1))
    )
    peaks, sizes = [], []
    for days in (2, 10):
        path = tmp_path / f"{days}.jsonl"
        interval_end = start + dt.timedelta(days=days)
        summary, peak = peak_bytes(
            lambda path=path, interval_end=interval_end: _operator(path).execute(
                export_context(TaskRun(), start, interval_end)
            )
        )
        assert summary["records"] == days * 1_000
        peaks.append(peak)
        sizes.append(path.stat().st_size)
    assert sizes[1] > 4.9 * sizes[0]
    assert peaks[1] < 1.3 * peaks[0], f"peaks {peaks[0]:,} and {peaks[1]:,} bytes for files of {sizes}"
    print(f"fonedynamics peak: {peaks[0]:,} bytes for 2000 records, {peaks[1]:,} for 10000")


def test_a_page_size_above_the_documented_default_reads_on_to_an_empty_page(nxcloud_simulator, tmp_path):
    """ASSUMPTION [FD-10]: a vendor that capped pages below the size asked would end a short-page
    reading early; above the documented default the export stops only on an empty page."""
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 2_500)
    summary = _operator(tmp_path / "m.jsonl", page_size=1_000).execute(export_context(TaskRun(), start, end))
    assert summary["records"] == 2_500
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 4  # 1000, 1000, 500, 0


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 5_000)
    path, run = tmp_path / "messages.jsonl", TaskRun()
    kill_after_pages(monkeypatch, 9)
    with pytest.raises(Killed):
        _operator(path).execute(export_context(run, start, end))
    assert not path.exists()
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 9

    monkeypatch.setattr(IntervalFile, "write_page", WRITE_PAGE)
    summary = _operator(path).execute(export_context(run, start, end, retry=True))

    lines = list(read_records(path))
    entries = nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    assert [line["message_id"] for line in lines] == [entry.vendor_id for entry in entries]
    assert summary["resumed"] is True and summary["records"] == 5_000
    # the 9th page (written, never recorded) is asked again; nothing before it
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 26 + 1


def test_a_page_size_the_vendor_does_not_take_fails_before_any_request(nxcloud_simulator, tmp_path):
    from airflow.providers.common.compat.sdk import AirflowFailException

    start, end = month_interval()
    with pytest.raises(AirflowFailException, match="page_size"):
        _operator(tmp_path / "m.jsonl", page_size=0).execute(export_context(TaskRun(), start, end))
    assert nxcloud_simulator.requests.total() == 0


def test_a_gateway_error_mid_export_is_read_again_without_gaps_or_duplicates(nxcloud_simulator, tmp_path):
    """The 4th find-SMS request meets a 503: the hook reads that page again (a read may be retried)."""
    start, end = month_interval()
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 1_500)
    nxcloud_simulator.faults.set(at={4: "http_503"})
    path = tmp_path / "messages.jsonl"
    summary = _operator(path).execute(export_context(TaskRun(), start, end))
    assert nxcloud_simulator.faults.counts() == {"http_503": 1}
    lines = list(read_records(path))
    assert [line["message_id"] for line in lines] == [
        entry.vendor_id for entry in nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    ]
    assert summary["queries"] == 8  # pages recorded; the refused request is the one more the vendor saw
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 9
