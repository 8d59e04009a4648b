"""A simulated month of records, and the task context an export runs in."""

from __future__ import annotations

import datetime as dt
import math
import tracemalloc
from collections.abc import Callable
from typing import Any

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
    from airflow_provider_nxcloud.exports.files import IntervalFile

    real = IntervalFile.write_page
    written = {"count": 0}

    def write_page(self: IntervalFile, window: int, page: int, records: Any) -> int:
        count = real(self, window, page, records)
        written["count"] += 1
        if written["count"] == pages:
            raise Killed(f"killed after page {page} of window {window}")
        return count

    monkeypatch.setattr(IntervalFile, "write_page", write_page)
