"""NXCloud call records of a simulated month exported once each, in the fewest getVoiceCdr queries, one a second.

NXCloud keeps call records 7 days (the wiki's 语音记录查询), so the month is seeded with its last
days denser: the issue's 100,000 calls fall in the :data:`KEPT_DAYS` days an export can still
read, and an interval older than the vendor keeps is refused before any request. The proofs of
the record count run with the pacing lowered to :data:`FAST` seconds through the source's
``min_query_interval_s`` and the simulator enforcing the same interval; the vendor's own second
is proven on a few queries (:func:`test_queries_reach_the_vendor_a_second_apart`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.exports.nxcloud_voice import NXCloudVoiceRecords
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.exports import NXCloudVoiceRecordsToStorageOperator
from airflow_provider_nxcloud.platforms import nxcloud
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

CASE = shared.CASES["nxcloud-voice"]
#: full UTC days before today an export can read at any hour: the vendor's 7 days, counted in
#: UTC+8, less the hour the export keeps to read them, reach back 6 days and 15 hours
KEPT_DAYS = 5
#: seconds between queries in the record-count proofs, client and simulator alike
FAST = 0.01


def _today() -> dt.datetime:
    """Today's UTC midnight; yesterday's in the first hour of a day, whose last calls are still
    settling (the export reads 30 minutes after an interval's end, ASSUMPTION [NX-26])."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def kept_interval() -> tuple[dt.datetime, dt.datetime]:
    today = _today()
    return today - dt.timedelta(days=KEPT_DAYS), today


def seed_month(sim: Any, kept_calls: int) -> None:
    """A month of calls: ``kept_calls`` in the kept days, a quarter as many over the 25 days before."""
    start, end = kept_interval()
    month_start = end - dt.timedelta(days=shared.MONTH_DAYS)
    sim.seed_call_history(month_start.timestamp(), start.timestamp(), kept_calls // 4)
    sim.seed_call_history(start.timestamp(), end.timestamp(), kept_calls)


@pytest.fixture
def fast(nxcloud_simulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries FAST seconds apart, and the simulator refusing any sooner (the reset undoes it)."""
    monkeypatch.setattr(NXCloudVoiceRecords, "min_query_interval_s", FAST)
    nxcloud_simulator.enforce_query_interval("nxcloud", "voice_records", FAST)


def _operator(path: object, **kwargs: Any) -> NXCloudVoiceRecordsToStorageOperator:
    return CASE.make(path, **kwargs)


def _windows(start: dt.datetime, end: dt.datetime) -> Iterator[tuple[float, float, int]]:
    """The export's windows: 24 hours from the start, each for voiceType 0 then 1."""
    at = start.timestamp()
    while at < end.timestamp():
        until = min(at + 86400, end.timestamp())
        for kind in (0, 1):
            yield at, until, kind
        at = until


def _started(calls: list[Any], since: float, until: float, kind: int, *, inclusive: bool) -> list[Any]:
    return [
        e
        for e in calls
        if e.details["voice_type"] == kind
        and since <= e.details["starts_at"]
        and (e.details["starts_at"] <= until if inclusive else e.details["starts_at"] < until)
    ]


def expected_calls(sim: Any, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """The interval's calls in the export's order: window by window, each by start time."""
    calls = sim.ledger.entries("nxcloud", "voice")
    return [
        e
        for since, until, kind in _windows(start, end)
        for e in sorted(
            _started(calls, since, until, kind, inclusive=False), key=lambda e: e.details["starts_at"]
        )
    ]


def fewest_queries(sim: Any, start: dt.datetime, end: dt.datetime, page_size: int) -> int:
    """Each window's calls as the vendor counts them (both ends inclusive, ASSUMPTION [NX-25]), a page at a time."""
    calls = sim.ledger.entries("nxcloud", "voice")
    return sum(
        shared.pages_by_total(len(_started(calls, since, until, kind, inclusive=True)), page_size)
        for since, until, kind in _windows(start, end)
    )


def _min_gap(sim: Any) -> float:
    arrivals = sim.requests.arrivals("nxcloud", "voice_records")
    return min((b - a for a, b in itertools.pairwise(arrivals)), default=math.inf)


@pytest.mark.usefixtures("fast")
# the month (a long proof) and its small version for make test
# no literal query count: the seeding spreads the calls over the windows, the count is bounded below
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(None, None))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    seed_month(nxcloud_simulator, records)
    start, end = kept_interval()
    path = tmp_path / "calls.jsonl"

    summary = _operator(path).execute(shared.export_context(TaskRun(), start, end))

    assert nxcloud_simulator.ledger.count("nxcloud", "voice") == records + records // 4
    fewest = fewest_queries(nxcloud_simulator, start, end, nxcloud.VOICE_CDR_MAX_PAGE_SIZE)
    lines = shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        fewest=fewest,
        queries=queries,
        entries=expected_calls(nxcloud_simulator, start, end),
        ordered=True,
    )
    assert Counter(line["service"] for line in lines) == {
        "group_call": records // 2,
        "notification": records // 2,
    }
    assert Counter(line["status"] for line in lines)["answered"] >= records - records // 10_000
    # every window once per voice type, and a page per 1000 calls
    assert fewest >= max(KEPT_DAYS * 2, math.ceil(records / nxcloud.VOICE_CDR_MAX_PAGE_SIZE))
    assert _min_gap(nxcloud_simulator) >= FAST


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
@pytest.mark.usefixtures("fast")
def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    """Five times the records (full pages alike) and the same peak: the export holds a page, not the interval."""
    start, end = kept_interval()
    page_size = 200  # full pages at a fifth of the largest: the same proof, traced five times faster
    per_day = 2 * 3 * page_size
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), KEPT_DAYS * per_day)
    shared.assert_memory_flat(
        lambda path: _operator(path, page_size=page_size),
        tmp_path,
        start,
        days=(1, 5),
        per_day=per_day,
        label="nxcloud voice",
    )


@pytest.mark.usefixtures("fast")
def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = kept_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 20_000)
    shared.kill_then_retry(
        nxcloud_simulator,
        CASE,
        monkeypatch,
        tmp_path / "calls.jsonl",
        start,
        end,
        pages=7,
        expected=lambda: expected_calls(nxcloud_simulator, start, end),
    )
    assert len(expected_calls(nxcloud_simulator, start, end)) == 20_000
    # the killed page is asked again, nothing before it
    total = CASE.asked(nxcloud_simulator)
    assert total == fewest_queries(nxcloud_simulator, start, end, nxcloud.VOICE_CDR_MAX_PAGE_SIZE) + 1


@pytest.mark.usefixtures("fast")
def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = kept_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, tmp_path / "calls.jsonl", start, end, records=3_000
    )


@pytest.mark.usefixtures("fast")
def test_a_call_started_at_an_interval_end_is_in_the_next_interval_only(nxcloud_simulator, tmp_path):
    """A window is inclusive at both ends (ASSUMPTION [NX-25]): the call at the boundary is asked
    by both intervals and written by the later one."""
    start, end = kept_interval()
    middle = start + dt.timedelta(days=2)
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), KEPT_DAYS * 24)  # one an hour
    _operator(tmp_path / "a.jsonl").execute(shared.export_context(TaskRun(), start, middle))
    _operator(tmp_path / "b.jsonl").execute(shared.export_context(TaskRun(), middle, end))
    lines = [*read_records(tmp_path / "a.jsonl"), *read_records(tmp_path / "b.jsonl")]
    assert sorted(line["message_id"] for line in lines) == sorted(
        e.vendor_id for e in CASE.entries(nxcloud_simulator)
    )
    [boundary] = [e.vendor_id for e in CASE.entries(nxcloud_simulator) if e.time == middle.timestamp()]
    assert boundary in {line["message_id"] for line in read_records(tmp_path / "b.jsonl")}


@pytest.mark.usefixtures("fast")
def test_one_voice_type_is_exported_alone(nxcloud_simulator, tmp_path):
    start, end = kept_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_000)
    summary = _operator(tmp_path / "group.jsonl", voice_types=[0]).execute(
        shared.export_context(TaskRun(), start, end)
    )
    lines = list(read_records(tmp_path / "group.jsonl"))
    assert {line["service"] for line in lines} == {"group_call"} and len(lines) == 500
    assert summary["windows"] == KEPT_DAYS == CASE.asked(nxcloud_simulator)


@pytest.mark.parametrize("days_ago", [7, shared.MONTH_DAYS])
def test_an_interval_older_than_the_vendor_keeps_fails_before_any_request(
    nxcloud_simulator, tmp_path, days_ago
):
    """The month is seeded, but NXCloud answers 7 days: older intervals are refused, nothing asked."""
    seed_month(nxcloud_simulator, 1_000)
    start = _today() - dt.timedelta(days=days_ago)
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl"),
        shared.export_context(TaskRun(), start, start + dt.timedelta(days=1)),
        parameter="data_interval_start",
        match=r"data_interval_start.*7 days",
    )


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"page_size": nxcloud.VOICE_CDR_MAX_PAGE_SIZE + 1}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"voice_types": [2]}, "voice_types"),
        ({"voice_types": []}, "voice_types"),
        ({"voice_types": [1, 1]}, "voice_types"),
        ({"voice_types": "01"}, "voice_types"),
        ({"voice_types": [True]}, "voice_types"),
    ],
)
def test_a_bad_parameter_is_refused_by_name_before_any_request(
    nxcloud_simulator, tmp_path, kwargs, parameter
):
    start, end = kept_interval()
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "bad.jsonl", **kwargs),
        shared.export_context(TaskRun(), start, end),
        parameter=parameter,
    )


def test_a_backfill_runs_one_interval_at_a_time_by_default():
    assert _operator("calls.jsonl").max_active_tis_per_dag == 1
    assert _operator("calls.jsonl", max_active_tis_per_dag=2).max_active_tis_per_dag == 2


# ----- the vendor's rate: one getVoiceCdr a second -------------------------------------------------


def test_the_simulator_refuses_a_second_query_within_the_second(nxcloud_simulator):
    """The enforcement the export is held to is real: two queries back to back, the second refused "0"."""
    nxcloud_simulator.enforce_query_interval("nxcloud", "voice_records", nxcloud.VOICE_CDR_MIN_INTERVAL_S)
    hook = NXCloudHook()
    now = dt.datetime.now(dt.UTC)
    window = {
        "start_time": (now - dt.timedelta(hours=2)).strftime(nxcloud.VOICE_TIME_FORMAT),
        "end_time": (now - dt.timedelta(hours=1)).strftime(nxcloud.VOICE_TIME_FORMAT),
    }
    assert hook.list_voice_records(1, **window) == (0, [])
    with pytest.raises(PermanentAPIError) as refused:
        hook.list_voice_records(1, **window)
    assert refused.value.code == "0" and "too frequent" in str(refused.value)


def test_queries_reach_the_vendor_a_second_apart(nxcloud_simulator, tmp_path):
    """The documented second, unlowered: four pages, each request a second or more after the one before."""
    nxcloud_simulator.enforce_query_interval("nxcloud", "voice_records", nxcloud.VOICE_CDR_MIN_INTERVAL_S)
    start = kept_interval()[0]
    first_call = start + dt.timedelta(hours=1)
    nxcloud_simulator.seed_call_history(
        first_call.timestamp(), (first_call + dt.timedelta(hours=1)).timestamp(), 8
    )
    path = tmp_path / "calls.jsonl"

    summary = _operator(path, page_size=2).execute(
        shared.export_context(TaskRun(), start, start + dt.timedelta(days=1))
    )

    assert summary["records"] == 8 and summary["queries"] == 4  # 4 calls of each type, 2 a page
    arrivals = nxcloud_simulator.requests.arrivals("nxcloud", "voice_records")
    assert len(arrivals) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= nxcloud.VOICE_CDR_MIN_INTERVAL_S, gaps
    print(f"getVoiceCdr gaps: {', '.join(f'{gap:.3f}' for gap in gaps)} s")


def test_windows_are_24_hours_each_voice_type_oldest_first():
    start = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    source = NXCloudVoiceRecords(None, _interval(start, start + dt.timedelta(hours=30)), 1000, (0, 1))  # type: ignore[arg-type]
    assert [json.loads(w) for w in source.windows()] == [
        {"voice_type": 0, "start": "2026-11-20 06:00:00", "end": "2026-11-21 06:00:00"},
        {"voice_type": 1, "start": "2026-11-20 06:00:00", "end": "2026-11-21 06:00:00"},
        {"voice_type": 0, "start": "2026-11-21 06:00:00", "end": "2026-11-21 12:00:00"},
        {"voice_type": 1, "start": "2026-11-21 06:00:00", "end": "2026-11-21 12:00:00"},
    ]


def _interval(start: dt.datetime, end: dt.datetime) -> Any:
    from airflow_provider_nxcloud.exports.engine import Interval

    return Interval(start.timestamp(), end.timestamp())
