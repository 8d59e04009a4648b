"""An interval's export: every page of every query window, once, into one file.

A :class:`RecordSource` knows one vendor's record query: which query windows an interval
needs (:meth:`~RecordSource.windows`, as few as the vendor's documented limits allow) and
how to read one window page by page (:meth:`~RecordSource.pages`, one vendor query per
page, resuming from a cursor). :func:`run_export` drives it: each page is written as a
part, then recorded in the progress, so a retry resumes after the last page written and a
page is never merged twice; at the end the parts become the interval's file.

Besides its query, a source declares three vendor facts: ``columns``, its lines' ``(name,
type)`` schema for Parquet output; ``settle_s``, how long after an interval's end its records
are complete in the vendor's list (the operator's default ``settle``); and
``min_query_interval_s``, the documented rate, which :class:`QueryPacing` keeps its queries to.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.files import IntervalFile
from airflow_provider_nxcloud.exports.progress import ExportProgress, WindowProgress
from airflow_provider_nxcloud.state import TaskInstanceState


@dataclass(frozen=True)
class Interval:
    """A data interval in epoch seconds: ``start`` inclusive, ``end`` exclusive."""

    start: float
    end: float

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> Interval:
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        for name, value in (("data_interval_start", start), ("data_interval_end", end)):
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise InvalidInputError(
                    name, f"must be a timezone-aware datetime (a scheduled run's), not {value!r}"
                )
        assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
        if end <= start:
            raise InvalidInputError(
                "data_interval_end",
                f"must be after data_interval_start ({start}), not {end}: schedule the DAG with a timetable "
                "whose runs cover an interval (e.g. CronDataIntervalTimetable; Airflow 3's cron schedules "
                "default to runs at a point in time)",
            )
        return cls(start.timestamp(), end.timestamp())

    def check_over(self, now: float) -> None:
        """An interval that has not ended yet has records still to come: refused before any request.

        (One that ended less than its source's ``settle_s`` ago is waited for by the operator,
        which defers until :meth:`settled_at`.)
        """
        if self.end > now:
            raise InvalidInputError(
                "data_interval_end",
                f"{iso(self.end)} is after now ({iso(now)}): the interval's records are not complete yet",
            )

    def settled_at(self, settle_s: float) -> float:
        """When the interval's records are all listed: ``settle_s`` after its end."""
        return self.end + settle_s

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


def iso(epoch: float) -> str:
    """ISO 8601 UTC, whole seconds (``2026-12-02T00:00:00Z``)."""
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Page:
    """What one vendor query returned that belongs to the interval, and where the next query starts."""

    records: list[dict[str, Any]]
    #: JSON value the source resumes from (the next page number, the records skipped, ...)
    cursor: Any
    #: no query follows in this window
    last: bool


#: the types a source's ``columns`` may name (Parquet column types: :mod:`.parquet`)
COLUMN_TYPES = ("string", "int64", "float64", "bool", "timestamp")


def columns_of(keys: Sequence[str], types: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A line schema as ``(name, type)`` columns: each of ``keys`` in order, typed as ``types``
    says, or a string column."""
    return tuple((key, types.get(key, "string")) for key in keys)


class RecordSource(Protocol):
    """One vendor's record query over one interval."""

    platform: str
    record_type: str
    # read-only members: a source declares them as class attributes

    @property
    def columns(self) -> Sequence[tuple[str, str]]:
        """Each line key with one of :data:`COLUMN_TYPES`, in line order (Parquet output's schema)."""

    @property
    def settle_s(self) -> float:
        """Seconds after an interval's end before the vendor's list holds all its records (the
        operator's default ``settle``; 0: at once)."""

    @property
    def min_query_interval_s(self) -> float:
        """The vendor's documented rate: at least this many seconds between two queries (0: none documented)."""

    def check(self, now: float) -> None:
        """Refuse, before any request, an interval or a parameter the vendor cannot answer."""

    def settings(self) -> dict[str, Any]:
        """What else makes two exports of one interval differ (the page size): JSON."""

    def windows(self) -> list[str]:
        """The query windows the interval needs, in order (labels, JSON text)."""

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        """The window's pages from ``cursor`` (None: the first), one vendor query each."""


#: a source's hook type
H = TypeVar("H")


class PagedRecordSource(Generic[H]):
    """What every source holds: its vendor's hook, the interval, and the page size asked for.

    The page size is the one setting every source has (:meth:`RecordSource.settings`); a
    source with more (an app id, a property) adds its own.
    """

    def __init__(self, hook: H, interval: Interval, page_size: int) -> None:
        self.hook = hook
        self.interval = interval
        self.page_size = page_size

    def settings(self) -> dict[str, Any]:
        return {"page_size": self.page_size}


def settle_seconds(value: Any, default: float) -> float:
    """The ``settle`` parameter in seconds (a timedelta or a number; None: ``default``)."""
    if value is None:
        return default
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise InvalidInputError("settle", f"must be a timedelta or a number of seconds, not {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidInputError("settle", f"must be 0 or more seconds, not {value!r}")
    return seconds


class QueryPacing:
    """Keeps a source's vendor queries at least ``min_interval`` seconds apart.

    Measured from the end of one query (its page handed back) to the start of the next, so the
    requests reach the vendor that far apart whatever the network's latency. The first query
    waits too: the account's previous export (the interval before, in a backfill) may have
    queried an instant ago.
    """

    def __init__(
        self,
        min_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.min_interval = min_interval
        self.clock = clock
        self.sleep = sleep
        self._last = clock()

    def paced(self, pages: Iterator[Page]) -> Iterator[Page]:
        """``pages`` with the wait before each query; stops after the last page (no query follows it)."""
        while True:
            if self.min_interval > 0 and (wait := self._last + self.min_interval - self.clock()) > 0:
                self.sleep(wait)
            try:
                page = next(pages, None)
            finally:
                self._last = self.clock()
            if page is None:
                return
            yield page
            if page.last:
                return


@dataclass(frozen=True)
class ExportSummary:
    platform: str
    record_type: str
    path: str
    interval_start: str
    interval_end: str
    records: int
    windows: int
    #: vendor queries of every try (those of a page a killed try did not record are not counted)
    queries: int
    resumed: bool

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


def run_export(
    source: RecordSource,
    interval: Interval,
    file: IntervalFile,
    record: TaskInstanceState,
    now: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> ExportSummary:
    """Export ``source``'s records of ``interval`` into ``file``, resuming what ``record`` says is written.

    ``clock`` and ``sleep`` pace the queries (:class:`QueryPacing`).
    """
    interval.check_over(now)
    source.check(now)
    columns = source.columns
    file.check_format(columns)
    windows = source.windows()
    identity = {
        "platform": source.platform,
        "record_type": source.record_type,
        "path": str(file.path),
        "start": interval.start,
        "end": interval.end,
        "windows": windows,
        **source.settings(),
    }
    progress = ExportProgress.from_json(record.get(), identity)
    resumed = progress is not None
    if progress is None:
        file.discard_parts()  # another export's pages, or a finished one's leftovers
    file.check_writable()
    if progress is None:
        progress = ExportProgress(identity, [WindowProgress() for _ in windows])
        record.set(progress.to_json())
    pacing = QueryPacing(source.min_query_interval_s, clock, sleep)
    for index, window in enumerate(windows):
        state = progress.windows[index]
        for page in [] if state.done else pacing.paced(source.pages(window, state.cursor)):
            progress.queries += 1
            state.records += file.write_page(index, state.pages + 1, page.records)
            state.pages += 1
            state.cursor, state.done = page.cursor, page.last
            record.set(progress.to_json())
        if not state.done:
            state.done = True
            record.set(progress.to_json())
    lines = file.finish([state.pages for state in progress.windows], columns)
    record.delete()
    return ExportSummary(
        platform=source.platform,
        record_type=source.record_type,
        path=str(file.path),
        interval_start=iso(interval.start),
        interval_end=iso(interval.end),
        records=lines,
        windows=len(windows),
        queries=progress.queries,
        resumed=resumed,
    )
