"""Buka SMS sent records of a simulated month exported once each, in the fewest getSentRcd queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports import buka_sms
from airflow_provider_nxcloud.exports.buka_sms import LINE_KEYS
from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.operators.exports import BukaSmsRecordsToStorageOperator
from airflow_provider_nxcloud.platforms import buka
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
ROWS = buka.SMS_SENT_RECORDS_PAGE_ROWS
SETTLE = buka.SMS_SENT_RECORDS_SETTLE_S


def _operator(path: object, **kwargs: object) -> BukaSmsRecordsToStorageOperator:
    return BukaSmsRecordsToStorageOperator(task_id="export_sms", output_path=str(path), **kwargs)


def _month() -> tuple[dt.datetime, dt.datetime]:
    """30 days that ended yesterday at midnight: settled at any hour the test runs."""
    start, end = month_interval()
    return start - dt.timedelta(days=1), end - dt.timedelta(days=1)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """``(startTime, endTime, startIndex)`` of every getSentRcd query, each still sent to the simulator."""
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    queries: list[tuple[dt.datetime, dt.datetime, int]] = []
    real = BukaHook.get_sent_records

    def get_sent_records(self, app_id, start, end, *, start_index=0):
        queries.append((start, end, start_index))
        return real(self, app_id, start, end, start_index=start_index)

    monkeypatch.setattr(BukaHook, "get_sent_records", get_sent_records)
    return queries


def _lagging(sim: object, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    accounts = sim.state.accounts
    lagging = dataclasses.replace(
        accounts, buka=dataclasses.replace(accounts.buka, sent_records_lag_s=seconds)
    )
    monkeypatch.setattr(sim.state, "accounts", lagging)


@pytest.mark.parametrize(
    ("records", "queries"),
    # the month (a long proof) and its small version for make test: one 30-day window,
    # 50,000 rows a page, floor(N / 50,000) + 1 queries
    [pytest.param(MONTH_RECORDS, 3, marks=pytest.mark.long, id="100k"), pytest.param(10_000, 1, id="10k")],
)
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = _month()
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), records)
    path = tmp_path / "sms.jsonl"

    summary = _operator(path).execute(export_context(TaskRun(), start, end))

    entries = nxcloud_simulator.ledger.entries("buka", "sms")
    lines = list(read_records(path))
    assert len(lines) == len(entries) == records == summary["records"]
    assert Counter((line["message_id"], line["number"]) for line in lines) == Counter(
        (entry.vendor_id, entry.recipient) for entry in entries
    )
    assert all(tuple(line) == LINE_KEYS for line in lines[:100])
    assert {line["status"] for line in lines} == {"sent", "failed"}  # numbers ending 0000 fail
    assert {line["status_meaning"] for line in lines} == {"sent successfully", "sending failed"}
    asked = nxcloud_simulator.requests.count("buka", "sms_sent_records")
    assert asked == summary["queries"] == pages_to_short_page(records, ROWS) == queries
    assert summary["windows"] == 1
    print(f"buka sms: {len(lines)} records, {asked} queries")


def test_an_interval_over_31_days_is_read_in_31_day_windows(nxcloud_simulator, tmp_path, asked):
    end = _month()[1]
    start = end - dt.timedelta(days=40)
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 4_000)

    summary = _operator(tmp_path / "sms.jsonl").execute(export_context(TaskRun(), start, end))

    assert summary["records"] == 4_000 and summary["windows"] == 2
    assert nxcloud_simulator.requests.count("buka", "sms_sent_records") == 2
    # both ends inclusive, to the second: the first window's last second is the one before the second's
    assert asked == [
        (start, start + dt.timedelta(days=31, seconds=-1), 0),
        (start + dt.timedelta(days=31), end - dt.timedelta(seconds=1), 0),
    ]


def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path, monkeypatch):
    """Five times the records (full pages alike) and the same peak: the export holds a page, not the interval.

    The account pages 1,000 rows a call (getSentRcd's 50,000 are "as default"), so that five
    times a few pages stays quick under tracemalloc, which slows a 50,000-row reply past the
    client's read timeout."""
    accounts = nxcloud_simulator.state.accounts
    paged = dataclasses.replace(
        accounts, buka=dataclasses.replace(accounts.buka, sent_records_page_rows=1_000)
    )
    monkeypatch.setattr(nxcloud_simulator.state, "accounts", paged)
    start, end = _month()
    per_day = 500
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 30 * per_day)
    _operator(tmp_path / "warm.jsonl", page_size=1_000).execute(
        export_context(TaskRun(), start, start + dt.timedelta(hours=1))
    )
    peaks, sizes = [], []
    for days in (6, 30):
        path = tmp_path / f"{days}.jsonl"
        interval_end = start + dt.timedelta(days=days)
        summary, peak = peak_bytes(
            lambda path=path, interval_end=interval_end: _operator(path, page_size=1_000).execute(
                export_context(TaskRun(), start, interval_end)
            )
        )
        assert summary["records"] == days * per_day
        peaks.append(peak)
        sizes.append(path.stat().st_size)
    assert sizes[1] > 4.9 * sizes[0]
    assert peaks[1] < 1.3 * peaks[0], f"peaks {peaks[0]:,} and {peaks[1]:,} bytes for files of {sizes}"
    print(f"buka sms peak: {peaks[0]:,} bytes for {6 * per_day} records, {peaks[1]:,} for {30 * per_day}")


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch, asked):
    start, end = _month()
    monkeypatch.setattr(buka_sms, "WINDOW_S", 5 * 86_400)  # six windows: the kill lands mid-interval
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 6_000)
    path, run = tmp_path / "sms.jsonl", TaskRun()
    kill_after_pages(monkeypatch, 3)
    with pytest.raises(Killed):
        _operator(path).execute(export_context(run, start, end))
    assert not path.exists()
    assert nxcloud_simulator.requests.count("buka", "sms_sent_records") == 3

    monkeypatch.setattr(IntervalFile, "write_page", WRITE_PAGE)
    summary = _operator(path).execute(export_context(run, start, end, retry=True))

    lines = list(read_records(path))
    entries = nxcloud_simulator.ledger.entries("buka", "sms")
    assert [line["message_id"] for line in lines] == [entry.vendor_id for entry in entries]
    assert summary["resumed"] is True
    # the killed page (window 3) is asked again, nothing before it: 6 windows + 1
    starts = [first for first, _, _ in asked]
    assert len(starts) == 7 and starts[3] == starts[2] and len(set(starts)) == 6


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = _month()
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 3_000)
    path = tmp_path / "sms.jsonl"
    _operator(path).execute(export_context(TaskRun(), start, end))
    first = path.read_bytes()
    _operator(path).execute(export_context(TaskRun(), start, end))
    assert path.read_bytes() == first and first.count(b"\n") == 3_000


def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    end = _month()[1] - dt.timedelta(days=88)  # 89 days ago: its start, 91 days ago, is gone
    with pytest.raises(AirflowFailException, match=r"data_interval_start.*90 days") as failed:
        _operator(tmp_path / "old.jsonl").execute(export_context(TaskRun(), end - dt.timedelta(days=2), end))
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"page_size": 50_001}, "page_size"),
        ({"page_size": "50000"}, "page_size"),
        ({"output_path": " "}, "output_path"),
    ],
)
def test_a_bad_parameter_is_refused_by_name_before_any_request(
    nxcloud_simulator, tmp_path, kwargs, parameter
):
    start, end = _month()
    operator = _operator(tmp_path / "sms.jsonl", **{k: v for k, v in kwargs.items() if k != "output_path"})
    if "output_path" in kwargs:
        operator.output_path = kwargs["output_path"]
    with pytest.raises(AirflowFailException) as failed:
        operator.execute(export_context(TaskRun(), start, end))
    assert failed.value.__cause__.parameter == parameter
    assert nxcloud_simulator.requests.total() == 0


def test_an_interval_not_on_whole_seconds_is_refused_before_any_request(nxcloud_simulator, tmp_path):
    start, end = _month()
    with pytest.raises(AirflowFailException, match="whole second") as failed:
        _operator(tmp_path / "sms.jsonl").execute(
            export_context(TaskRun(), start + dt.timedelta(milliseconds=500), end)
        )
    assert failed.value.__cause__.parameter == "data_interval_start"
    assert nxcloud_simulator.requests.total() == 0


def test_the_lagging_list_is_read_only_once_the_interval_has_settled(
    nxcloud_simulator, tmp_path, monkeypatch
):
    """Buka lists an SMS some time after it is sent. The simulator lags 10 minutes: an interval that
    ended 2 minutes ago would miss its last 8 minutes, so it is held (no request); run after the
    settle time, the same interval is exported whole."""
    lag = 600
    _lagging(nxcloud_simulator, monkeypatch, lag)
    now = int(time.time())
    end = dt.datetime.fromtimestamp(now - 120, dt.UTC)
    start = end - dt.timedelta(hours=1)
    nxcloud_simulator.seed_sms_history("buka", start.timestamp(), end.timestamp(), 3_600)  # one a second
    path, run = tmp_path / "sms.jsonl", TaskRun()

    listed = nxcloud_simulator.ledger.entries("buka", "sms")

    operator = _operator(path)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(export_context(run, start, end))
    assert deferred.value.trigger.moment == end + dt.timedelta(seconds=SETTLE)
    assert nxcloud_simulator.requests.total() == 0 and not path.exists()

    # what a read at once gets: the list does not hold the interval's last 8 minutes yet
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    app = nxcloud_simulator.accounts.buka.app_id
    early = BukaHook().get_sent_records(app, start, end - dt.timedelta(seconds=1))
    assert 3_600 - 490 <= len(early) <= 3_600 - 470
    assert [row["msgId"] for row in early] == [e.vendor_id for e in listed[: len(early)]]

    # resumed when the trigger fires: the vendor's clock and the worker's have both moved on
    nxcloud_simulator.clock.advance(SETTLE)
    operator.clock = lambda: time.time() + SETTLE
    summary = operator.resume_after_settle(export_context(run, start, end), deferred.value.trigger.moment)

    lines = list(read_records(path))
    assert [line["message_id"] for line in lines] == [e.vendor_id for e in listed]
    assert summary["records"] == 3_600 and nxcloud_simulator.requests.count("buka", "sms_sent_records") == 2


def test_the_simulator_answers_the_documented_codes_for_windows_the_vendor_refuses(nxcloud_simulator):
    from airflow_provider_nxcloud.exceptions import PermanentAPIError
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    hook, now = BukaHook(), dt.datetime.now(dt.UTC)
    app = nxcloud_simulator.accounts.buka.app_id
    with pytest.raises(PermanentAPIError) as too_long:
        hook.get_sent_records(app, now - dt.timedelta(days=32), now - dt.timedelta(hours=1))
    with pytest.raises(PermanentAPIError) as too_old:
        hook.get_sent_records(app, now - dt.timedelta(days=91), now - dt.timedelta(days=80))
    assert (too_long.value.code, too_old.value.code) == ("-25", "-25")
    rows = hook.get_sent_records(app, now - dt.timedelta(days=31), now - dt.timedelta(seconds=1))
    assert rows == []
