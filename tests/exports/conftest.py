"""A simulated month of records, and the task context an export runs in."""

from __future__ import annotations

import datetime as dt
import math
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports import (
    buka_call_center,
    buka_email,
    buka_sms,
    buka_voice,
    fonedynamics_messages,
    nxcloud_sms,
    nxcloud_voice,
)
from airflow_provider_nxcloud.exports.engine import iso
from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.operators import exports as operators
from airflow_provider_nxcloud.operators.exports import RecordsToStorageOperator
from tests.operators.conftest import TaskRun

#: a month of records: the issue's bar for every record type
MONTH_RECORDS = 100_000
MONTH_DAYS = 30


def month_interval() -> tuple[dt.datetime, dt.datetime]:
    """The 30 days before today (UTC midnights): within NXCloud's 31 days of records. In the
    first hour of a UTC day, the 30 days before yesterday: a month ended seconds ago would still
    be settling (the SMS export reads a minute after the end, ASSUMPTION [NX-20])."""
    today = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return today - dt.timedelta(days=MONTH_DAYS), today


def export_context(
    run: TaskRun, start: dt.datetime, end: dt.datetime, *, retry: bool = False
) -> dict[str, Any]:
    context = run.retry() if retry else run.context()
    return {**context, "data_interval_start": start, "data_interval_end": end}


def peak_bytes(action: Callable[[], Any]) -> tuple[Any, int]:
    """``action()``'s result and the peak of Python allocations while it ran (every thread)."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def month_sizes(month_queries: int | None, small_queries: int | None) -> list[Any]:
    """``(records, queries)`` of the issue's month (a long proof, marked ``long``) and of its small
    version for make test (10,000 records, unmarked), each with the queries its type needs."""
    return [
        pytest.param(MONTH_RECORDS, month_queries, marks=pytest.mark.long, id="100k"),
        pytest.param(10_000, small_queries, id="10k"),
    ]


def pages_by_total(records: int, page_size: int) -> int:
    """Queries to read ``records`` when the first page's total says how many pages follow."""
    return max(1, math.ceil(records / page_size))


def pages_to_short_page(records: int, page_size: int) -> int:
    """Queries to read ``records`` in pages that end at the first page shorter than ``page_size``."""
    return records // page_size + 1


class Killed(Exception):
    """The worker died (injected): not a provider error, so nothing maps it to an outcome."""


def kill_after_pages(monkeypatch: Any, pages: int) -> None:
    """The try dies right after writing its ``pages``-th part, before recording it as written."""
    real = IntervalFile.write_page
    written = {"count": 0}

    def write_page(self: IntervalFile, window: int, page: int, records: Any) -> int:
        count = real(self, window, page, records)
        written["count"] += 1
        if written["count"] == pages:
            raise Killed(f"killed after page {page} of window {window}")
        return count

    monkeypatch.setattr(IntervalFile, "write_page", write_page)


# ----- the shared shapes of the per-type export tests ----------------------------------------------
#
# Each record type's file proves the same things (a month exported once each in the fewest queries,
# memory flat in the record count, a killed try resumed, a rerun replacing its file with the same
# bytes, bad input refused before any request) around its own vendor's windows, codes and limits.
# The mechanics of those proofs live here once; the numbers stay in the per-type files.

#: the engine's own page writer, put back after :func:`kill_after_pages` replaced it
WRITE_PAGE = IntervalFile.write_page


@dataclass(frozen=True)
class ExportCase:
    """One record type as the shared export proofs drive it."""

    #: the export's module: its LINE_KEYS and COLUMNS
    module: ModuleType
    operator: type[RecordsToStorageOperator[Any]]
    #: the simulator ledger's (platform, kind) of its records
    ledger: tuple[str, str]
    #: the simulator's (platform, action) counting the export's vendor queries
    queries: tuple[str, str]
    #: the line key holding the vendor's id of a record (the ledger entry's vendor_id)
    id_key: str
    #: files ``count`` records of the type in ``[since, until)``
    seed: Callable[[Any, float, float, int], Any]
    #: what names a record in a line of the file, and the same in a ledger entry
    line_key: Callable[[dict[str, Any]], Any]
    entry_key: Callable[[Any], Any]

    @property
    def name(self) -> str:
        return self.module.__name__.rsplit(".", 1)[-1].replace("_", " ")

    def make(self, path: object, **kwargs: Any) -> RecordsToStorageOperator[Any]:
        return self.operator(task_id="export", output_path=str(path), **kwargs)

    def run(
        self,
        path: object,
        start: dt.datetime,
        end: dt.datetime,
        *,
        run: TaskRun | None = None,
        retry: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The summary of an export of ``[start, end)`` to ``path`` (a fresh task run unless ``run``)."""
        context = export_context(run or TaskRun(), start, end, retry=retry)
        return self.make(path, **kwargs).execute(context)

    def entries(self, sim: Any) -> list[Any]:
        return sim.ledger.entries(*self.ledger)

    def asked(self, sim: Any) -> int:
        return sim.requests.count(*self.queries)


def _seed_sms(platform: str) -> Callable[[Any, float, float, int], Any]:
    return lambda sim, since, until, count: sim.seed_sms_history(platform, since, until, count)


def _call_center_line(line: dict[str, Any]) -> tuple[Any, ...]:
    """A call-center line's session, customer (the caller of an incoming call, the called of the
    others) and start."""
    customer = line["caller"] if line["direction"] == "inbound" else line["called"]
    return line["session_id"], customer, line["started_at"]


def _call_center_entry(call: Any) -> tuple[Any, ...]:
    return call.vendor_id, call.recipient, iso(call.time)


#: every record type of the export family, by the name its tests use
CASES: dict[str, ExportCase] = {
    "nxcloud-sms": ExportCase(
        nxcloud_sms,
        operators.NXCloudSmsRecordsToStorageOperator,
        ("nxcloud", "sms"),
        ("nxcloud", "sms_records"),
        "message_id",
        _seed_sms("nxcloud"),
        itemgetter("message_id", "number"),
        attrgetter("vendor_id", "recipient"),
    ),
    "nxcloud-voice": ExportCase(
        nxcloud_voice,
        operators.NXCloudVoiceRecordsToStorageOperator,
        ("nxcloud", "voice"),
        ("nxcloud", "voice_records"),
        "message_id",
        lambda sim, since, until, count: sim.seed_call_history(since, until, count),
        itemgetter("message_id", "number"),
        attrgetter("vendor_id", "recipient"),
    ),
    "fonedynamics-messages": ExportCase(
        fonedynamics_messages,
        operators.FoneDynamicsMessagesToStorageOperator,
        ("fonedynamics", "sms"),
        ("fonedynamics", "list_messages"),
        "message_id",
        _seed_sms("fonedynamics"),
        itemgetter("message_id", "to", "text"),
        attrgetter("vendor_id", "recipient", "content"),
    ),
    "buka-sms": ExportCase(
        buka_sms,
        operators.BukaSmsRecordsToStorageOperator,
        ("buka", "sms"),
        ("buka", "sms_sent_records"),
        "message_id",
        _seed_sms("buka"),
        itemgetter("message_id", "number"),
        attrgetter("vendor_id", "recipient"),
    ),
    "buka-voice": ExportCase(
        buka_voice,
        operators.BukaVoiceRecordsToStorageOperator,
        ("buka", "voice"),
        ("buka", "voice_records"),
        "voice_id",
        lambda sim, since, until, count: sim.seed_voice_history(since, until, count),
        itemgetter("voice_id", "callee"),
        attrgetter("vendor_id", "recipient"),
    ),
    "buka-call-center": ExportCase(
        buka_call_center,
        operators.BukaCallCenterRecordsToStorageOperator,
        ("buka", "call_center"),
        ("buka", "cc_record_query"),
        "session_id",
        lambda sim, since, until, count: sim.seed_call_center_history(since, until, count),
        _call_center_line,
        _call_center_entry,
    ),
    "buka-email": ExportCase(
        buka_email,
        operators.BukaEmailRecordsToStorageOperator,
        ("buka", "email"),
        ("buka", "email_records"),
        "email_id",
        lambda sim, since, until, count: sim.seed_email_history(since, until, count),
        itemgetter("email_id", "to_address"),
        attrgetter("vendor_id", "recipient"),
    ),
}


def assert_exported_once(
    sim: Any,
    case: ExportCase,
    path: Path,
    summary: dict[str, Any],
    *,
    records: int,
    fewest: int,
    queries: int | None,
    entries: list[Any] | None = None,
    ordered: bool = False,
) -> list[dict[str, Any]]:
    """The file at ``path`` holds each of ``entries`` (default: the type's whole ledger) once, as
    the case's line and entry keys name them (in the same order if ``ordered``),
    in the type's line keys; the vendor was asked ``fewest`` times (the documented limits' minimum),
    as the summary counts, and that is the test's literal ``queries`` (None: a count the seeding
    decides, bounded by the caller). Returns the lines."""
    entries = case.entries(sim) if entries is None else entries
    lines = list(read_records(path))
    assert len(lines) == len(entries) == records == summary["records"]
    if ordered:
        assert [case.line_key(line) for line in lines] == [case.entry_key(entry) for entry in entries]
    else:
        assert Counter(map(case.line_key, lines)) == Counter(map(case.entry_key, entries))
    assert all(tuple(line) == case.module.LINE_KEYS for line in lines[:100])
    asked = case.asked(sim)
    assert asked == summary["queries"] == fewest
    assert queries is None or fewest == queries
    # the parts and the unfinished file are gone once the file is whole
    assert not Path(f"{path}.parts").exists() and not Path(f"{path}.incomplete").exists()
    print(f"{case.name}: {len(lines)} records, {asked} queries, {summary['windows']} windows")
    return lines


def assert_memory_flat(
    make: Callable[[Path], RecordsToStorageOperator[Any]],
    folder: Path,
    start: dt.datetime,
    *,
    days: tuple[int, int],
    per_day: int,
    label: str,
) -> None:
    """Five times the records (``days`` of ``per_day`` each, from ``start``) and the same peak: the
    export built by ``make`` holds a page, not the interval."""
    assert days[1] == 5 * days[0]
    # a first export untraced: imports and connection set-up are not the records' cost
    make(folder / "warm.jsonl").execute(export_context(TaskRun(), start, start + dt.timedelta(hours=1)))
    peaks, sizes = [], []
    for count in days:
        path = folder / f"{count}.jsonl"
        interval_end = start + dt.timedelta(days=count)
        summary, peak = peak_bytes(
            lambda path=path, interval_end=interval_end: make(path).execute(
                export_context(TaskRun(), start, interval_end)
            )
        )
        assert summary["records"] == count * per_day
        peaks.append(peak)
        sizes.append(path.stat().st_size)
    assert sizes[1] > 4.9 * sizes[0]
    assert peaks[1] < 1.3 * peaks[0], f"peaks {peaks[0]:,} and {peaks[1]:,} bytes for files of {sizes}"
    print(
        f"{label} peak: {peaks[0]:,} bytes for {days[0] * per_day} records, {peaks[1]:,} for {days[1] * per_day}"
    )


def kill_then_retry(
    sim: Any,
    case: ExportCase,
    monkeypatch: Any,
    path: Path,
    start: dt.datetime,
    end: dt.datetime,
    *,
    pages: int,
    expected: Callable[[], list[Any]] | None = None,
    read: Callable[[Path], Iterable[dict[str, Any]]] = read_records,
    **kwargs: Any,
) -> dict[str, Any]:
    """A try killed right after writing its ``pages``-th page (``pages`` queries asked, no file),
    then its retry, which writes the ``expected`` entries (default: the type's ledger) in order and
    says it resumed. Returns the retry's summary: the caller counts the queries it asked."""
    run = TaskRun()
    kill_after_pages(monkeypatch, pages)
    with pytest.raises(Killed):
        case.run(path, start, end, run=run, **kwargs)
    assert not path.exists()
    assert case.asked(sim) == pages

    monkeypatch.setattr(IntervalFile, "write_page", WRITE_PAGE)
    summary = case.run(path, start, end, run=run, retry=True, **kwargs)

    entries = case.entries(sim) if expected is None else expected()
    assert [line[case.id_key] for line in read(path)] == [entry.vendor_id for entry in entries]
    assert summary["resumed"] is True
    return summary


def assert_rerun_replaces_with_the_same_content(
    case: ExportCase,
    path: Path,
    start: dt.datetime,
    end: dt.datetime,
    *,
    records: int,
    rows: Callable[[bytes], int] = lambda content: content.count(b"\n"),
    **kwargs: Any,
) -> None:
    """Running the interval again replaces its file with the same bytes, ``records`` rows."""
    case.run(path, start, end, **kwargs)
    first = path.read_bytes()
    case.run(path, start, end, **kwargs)
    assert path.read_bytes() == first and rows(first) == records


def assert_refused_before_any_request(
    sim: Any,
    operator: RecordsToStorageOperator[Any],
    context: dict[str, Any],
    *,
    parameter: str,
    match: str | None = None,
) -> None:
    """The export fails naming ``parameter`` (its message matching ``match``, default the name)
    before the vendor sees any request."""
    with pytest.raises(AirflowFailException, match=match or parameter) as failed:
        operator.execute(context)
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == parameter
    assert sim.requests.total() == 0
