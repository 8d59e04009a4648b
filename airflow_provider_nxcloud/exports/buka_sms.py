"""Buka SMS sent records (``getSentRcd``) as export lines.

The query (onbuka.com/sms-api5; its white-label copies itniotech.com and laaffic.com say the
same) takes a period (``startTime`` / ``endTime``, ISO 8601 with an offset, both ends
inclusive as its example ``00:00:00`` to ``23:59:59`` shows), answers the SMS of the last 90
days, at most 31 days per query, and at most 50,000 rows per call: the next call starts
``startIndex`` rows on. An interval is therefore cut into windows of at most 31 days (one for
a month), each read from index 0 until the first page shorter than 50,000 rows, so a window
of N records costs floor(N / 50,000) + 1 queries (the reply carries no total).

The list lags: its Chinese copy (itniotech.cn/api/sms/getSentRcd) lists the SMS "whose sending
has completed" in the period, and no page says how soon. The source's ``settle_s``
(ASSUMPTION [BK-50], :data:`~airflow_provider_nxcloud.platforms.buka.SMS_SENT_RECORDS_SETTLE_S`)
is the operator's default ``settle``: an interval is read that long after its end, from a list that no
longer grows. The rows carry no order the page documents: one window's pages are taken to keep
one order (ASSUMPTION [BK-53]), and a page that repeats the previous page's last row stops the
export (a retry reads on from the last page written).

Line schema (keys always in this order; absent values are null):

``platform`` "buka", ``record_type`` "sms", ``message_id`` (``msgId``), ``number``, ``app_id``,
``sent_at`` (``receiveTime`` as ISO 8601 UTC: "发送时间", the send time, on the Chinese page),
``status`` (``sent``, ``failed`` or ``sending``; a status no catalog knows is kept as it is),
``vendor_status`` (``status`` as given: 0 sent, 2 failed), ``status_meaning`` (its meaning in
:data:`~airflow_provider_nxcloud.platforms.buka.SMS_SENT_STATUSES`), ``vendor_time``
(``receiveTime`` as the vendor wrote it, with its offset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from airflow_provider_nxcloud.exports.checks import (
    check_kept,
    check_not_shifted,
    check_page_size,
    check_whole_seconds,
    unplaceable,
)
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.values import as_text, stamp_epoch
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka

LINE_KEYS = (
    "platform",
    "record_type",
    "message_id",
    "number",
    "app_id",
    "sent_at",
    "status",
    "vendor_status",
    "status_meaning",
    "vendor_time",
)
#: the typed columns of a line (Parquet output); the others are text
LINE_TYPES = {"sent_at": "timestamp"}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
#: the longest window one query may span (its ``endTime`` is the window's last second)
WINDOW_S = buka.SMS_SENT_RECORDS_MAX_WINDOW_DAYS * 86_400
#: the oldest start the export asks is this much younger than the vendor's 90 days: the first
#: query goes out moments after the check, and must not meet a window gone out of range
RETENTION_SLACK_S = 600


def windows(interval: Interval) -> list[tuple[int, int]]:
    """The interval as ``(start, end)`` windows of at most 31 days, end exclusive, oldest first."""
    spans, start, end = [], int(interval.start), int(interval.end)
    while start < end:
        spans.append((start, min(start + WINDOW_S, end)))
        start = spans[-1][1]
    return spans


def receive_epoch(value: Any) -> float | None:
    """A row's ``receiveTime`` (ISO 8601 with an offset) in epoch seconds; None when unreadable."""
    return stamp_epoch(value)


def record_line(row: dict[str, Any], app_id: str, sent_at: float) -> dict[str, Any]:
    """One getSentRcd row as a line of the schema (:data:`LINE_KEYS`)."""
    vendor_status = as_text(row.get("status"))
    status, meaning = buka.SMS_SENT_STATUSES.get(vendor_status or "", (vendor_status, None))
    return {
        "platform": buka.PLATFORM,
        "record_type": "sms",
        "message_id": as_text(row.get("msgId")),
        "number": as_text(row.get("number")),
        "app_id": app_id,
        "sent_at": iso(sent_at),
        "status": status,
        "vendor_status": vendor_status,
        "status_meaning": meaning,
        "vendor_time": as_text(row.get("receiveTime")),
    }


class BukaSmsSentRecords(PagedRecordSource[BukaHook]):
    """An SMS app's sent records of one interval, in windows of at most 31 days (see the module docstring)."""

    platform = buka.PLATFORM
    record_type = "sms"
    #: getSentRcd: Buka publishes no QPS (reference A.12)
    min_query_interval_s = 0.0
    columns = COLUMNS
    #: how long after an interval's end getSentRcd is taken to list all of it (ASSUMPTION [BK-50])
    settle_s: float = buka.SMS_SENT_RECORDS_SETTLE_S

    def __init__(self, hook: BukaHook, interval: Interval, page_size: int, app_id: str | None = None) -> None:
        super().__init__(hook, interval, page_size)
        self.app_id = app_id

    def settings(self) -> dict[str, Any]:
        return {"page_size": self.page_size, "app_id": self.hook.app_id("sms", self.app_id)}

    def windows(self) -> list[str]:
        return [f"{start}-{end}" for start, end in windows(self.interval)]

    def check(self, now: float) -> None:
        check_page_size(self.page_size, buka.SMS_SENT_RECORDS_PAGE_ROWS)
        check_whole_seconds(self.interval, "getSentRcd takes times to the second")
        check_kept(
            self.interval,
            now - buka.SMS_SENT_RECORDS_DAYS * 86_400 + RETENTION_SLACK_S,
            f"Buka keeps sent SMS records ({buka.SMS_SENT_RECORDS_DAYS} days, less "
            f"{RETENTION_SLACK_S // 60} minutes for the first query to go out)",
        )

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        first, _, end = window.partition("-")
        start = dt.datetime.fromtimestamp(int(first), dt.UTC)
        # both ends are inclusive: the window's last second is the one before its end
        last_second = dt.datetime.fromtimestamp(int(end) - 1, dt.UTC)
        app_id = self.hook.app_id("sms", self.app_id)
        index = int((cursor or {}).get("index", 0))
        previous_last = (cursor or {}).get("last")
        while True:
            rows = self.hook.get_sent_records(app_id, start, last_second, start_index=index)
            previous_last = check_not_shifted(
                previous_last,
                [row.get("msgId") for row in rows],
                f"getSentRcd for {window} listed {previous_last} again after {index} rows",
                "BK-53",
            )
            records = []
            for row in rows:
                sent_at = receive_epoch(row.get("receiveTime"))
                if sent_at is None:
                    raise unplaceable(
                        f"getSentRcd row {row.get('msgId')!r} of {window}",
                        f"receiveTime ({row.get('receiveTime')!r})",
                    )
                if self.interval.holds(sent_at):
                    records.append(record_line(row, app_id, sent_at))
            index += len(rows)
            last = len(rows) < self.page_size
            yield Page(records, {"index": index, "last": previous_last}, last)
            if last:
                return
