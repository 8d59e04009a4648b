"""Buka SMS sent records of a simulated month exported once each, in the fewest getSentRcd queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_nxcloud.exports import buka_sms
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import buka
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

CASE = shared.CASES["buka-sms"]
_operator = CASE.make
ROWS = buka.SMS_SENT_RECORDS_PAGE_ROWS
SETTLE = buka.SMS_SENT_RECORDS_SETTLE_S


def _month() -> tuple[dt.datetime, dt.datetime]:
    """30 days that ended yesterday at midnight: settled at any hour the test runs."""
    start, end = shared.month_interval()
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


# the month (a long proof) and its small version for make test: one 30-day window,
# 50,000 rows a page, floor(N / 50,000) + 1 queries
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(3, 1))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = _month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    path = tmp_path / "sms.jsonl"

    summary = CASE.run(path, start, end)

    lines = shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        fewest=shared.pages_to_short_page(records, ROWS),
        queries=queries,
    )
    assert {line["status"] for line in lines} == {"sent", "failed"}  # numbers ending 0000 fail
    assert {line["status_meaning"] for line in lines} == {"sent successfully", "sending failed"}
    assert summary["windows"] == 1


def test_an_interval_over_31_days_is_read_in_31_day_windows(nxcloud_simulator, tmp_path, asked):
    end = _month()[1]
    start = end - dt.timedelta(days=40)
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 4_000)

    summary = _operator(tmp_path / "sms.jsonl").execute(shared.export_context(TaskRun(), start, end))

    assert summary["records"] == 4_000 and summary["windows"] == 2
    assert CASE.asked(nxcloud_simulator) == 2
    # both ends inclusive, to the second: the first window's last second is the one before the second's
    assert asked == [
        (start, start + dt.timedelta(days=31, seconds=-1), 0),
        (start + dt.timedelta(days=31), end - dt.timedelta(seconds=1), 0),
    ]


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
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
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * per_day)
    shared.assert_memory_flat(
        lambda path: _operator(path, page_size=1_000),
        tmp_path,
        start,
        days=(6, 30),
        per_day=per_day,
        label="buka sms",
    )


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch, asked):
    start, end = _month()
    monkeypatch.setattr(buka_sms, "WINDOW_S", 5 * 86_400)  # six windows: the kill lands mid-interval
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 6_000)
    shared.kill_then_retry(nxcloud_simulator, CASE, monkeypatch, tmp_path / "sms.jsonl", start, end, pages=3)
    # the killed page (window 3) is asked again, nothing before it: 6 windows + 1
    starts = [first for first, _, _ in asked]
    assert len(starts) == 7 and starts[3] == starts[2] and len(set(starts)) == 6


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = _month()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, tmp_path / "sms.jsonl", start, end, records=3_000
    )


def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(nxcloud_simulator, tmp_path):
    end = _month()[1] - dt.timedelta(days=88)  # 89 days ago: its start, 91 days ago, is gone
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl"),
        shared.export_context(TaskRun(), end - dt.timedelta(days=2), end),
        parameter="data_interval_start",
        match=r"data_interval_start.*90 days",
    )


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
    shared.assert_refused_before_any_request(
        nxcloud_simulator, operator, shared.export_context(TaskRun(), start, end), parameter=parameter
    )


def test_an_interval_not_on_whole_seconds_is_refused_before_any_request(nxcloud_simulator, tmp_path):
    start, end = _month()
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "sms.jsonl"),
        shared.export_context(TaskRun(), start + dt.timedelta(milliseconds=500), end),
        parameter="data_interval_start",
        match="whole second",
    )


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
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_600)  # one a second
    path, run = tmp_path / "sms.jsonl", TaskRun()

    listed = CASE.entries(nxcloud_simulator)

    operator = _operator(path)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(shared.export_context(run, start, end))
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
    summary = operator.resume_after_settle(
        shared.export_context(run, start, end), deferred.value.trigger.moment
    )

    lines = list(read_records(path))
    assert [line["message_id"] for line in lines] == [e.vendor_id for e in listed]
    assert summary["records"] == 3_600 and CASE.asked(nxcloud_simulator) == 2


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
