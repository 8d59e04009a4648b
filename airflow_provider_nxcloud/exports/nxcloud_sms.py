"""NXCloud SMS records (``/api/sms/getSmsCdr``) as export lines.

The query (Demon-2012/NXcloud-API-document:SMS Record Query.md) names one day
(``date``, yyyyMMdd) and pages it (``page``, ``page_size`` below 1000); it reaches back
31 days. An interval is therefore read day by day: the days it covers in both readings of
the vendor's day (UTC and UTC+8, ASSUMPTION [NX-2], :func:`interval_days`), each day asked
once, each page as large as the vendor allows (999 rows), so a day of N records costs
ceil(N / 999) queries (one for an empty day). Rows whose ``date`` stamp lies outside the
interval belong to a neighbouring interval and are left to its export: consecutive
intervals partition the records by stamp, so each record is in exactly one file.

Line schema (keys always in this order; absent values are null):

``platform`` "nxcloud", ``record_type`` "sms", ``message_id`` (``msgid``: a request's id,
or ``<id>-<10 digits>`` per number of a request with several), ``number`` (``phone``),
``sender_id`` (``senderid``), ``text`` (``body``), ``sent_at`` (``date`` as ISO 8601 UTC),
``status`` (``delivered``, ``failed`` or ``pending``, from the operator receipt), ``receipt``
(``dr``, e.g. ``DELIVRD``), ``receipt_meaning`` (what the receipt means), ``delivered_at``
(``dr_time`` as ISO 8601 UTC), ``segments`` (``billing_size``), ``price`` (``billing_price``,
text as the vendor gives it), ``billed`` (``billing_status`` "Yes"), ``network``,
``vendor_date`` (the ``date`` stamp as the vendor wrote it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from airflow_provider_nxcloud.exports import values
from airflow_provider_nxcloud.exports.checks import check_kept, check_page_size, unplaceable
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.values import as_text, iso_or_none, zone
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import nxcloud

#: a line's keys, in the order they are written
LINE_KEYS = (
    "platform",
    "record_type",
    "message_id",
    "number",
    "sender_id",
    "text",
    "sent_at",
    "status",
    "receipt",
    "receipt_meaning",
    "delivered_at",
    "segments",
    "price",
    "billed",
    "network",
    "vendor_date",
)
#: the lines' typed keys for Parquet output (every other key is a string column)
LINE_TYPES = {"sent_at": "timestamp", "delivered_at": "timestamp", "segments": "int64", "billed": "bool"}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
#: the zone of a stamp of :data:`~.platforms.nxcloud.SMS_RECORD_STAMP_FORMAT` (ASSUMPTION [NX-22])
_STAMP_ZONE = zone(nxcloud.SMS_RECORD_STAMP_OFFSET_HOURS)


def interval_days(interval: Interval) -> list[str]:
    """The vendor days (yyyyMMdd) holding the interval's records in either reading of the day, oldest first."""
    days: set[dt.date] = set()
    for hours in nxcloud.RECORD_DAY_OFFSETS_HOURS:
        first = dt.datetime.fromtimestamp(interval.start, zone(hours)).date()
        last = dt.datetime.fromtimestamp(interval.end - 1, zone(hours)).date()
        days.update(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day.strftime(nxcloud.SMS_RECORD_DATE_FORMAT) for day in sorted(days)]


def stamp_epoch(value: Any) -> float | None:
    """A record stamp (``date``, ``dr_time``) in epoch seconds (ASSUMPTION [NX-22]); None when empty or not a stamp."""
    return values.stamp_epoch(value, _STAMP_ZONE, offsets=False)


def delivery(receipt: str, summary: str) -> tuple[str, str | None]:
    """``(status, receipt meaning)`` of a row's operator receipt ``dr`` and its ``dr_status``."""
    if receipt == nxcloud.SMS_DELIVERED_RECEIPT or (not receipt and summary.lower() == "successful"):
        return "delivered", "delivered to the handset"
    if receipt in nxcloud.SMS_FAILED_RECEIPTS:
        return "failed", nxcloud.SMS_FAILED_RECEIPTS[receipt]
    if not receipt and summary.lower() == "failed":
        return "failed", "failed (no operator receipt)"
    if receipt in nxcloud.SMS_PENDING_RECEIPTS:
        return "pending", "no final receipt yet" if not receipt else "in transit"
    return "pending", None  # a receipt no catalog knows: kept as it is in ``receipt``


def record_line(row: dict[str, Any], sent_at: float) -> dict[str, Any]:
    """One getSmsCdr row as a line of the schema (:data:`LINE_KEYS`)."""
    receipt = str(row.get("dr") or "").strip().upper()
    status, meaning = delivery(receipt, str(row.get("dr_status") or "").strip())
    try:
        segments: int | None = int(row.get("billing_size"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        segments = None
    return {
        "platform": nxcloud.PLATFORM,
        "record_type": "sms",
        "message_id": as_text(row.get("msgid")),
        "number": as_text(row.get("phone")),
        "sender_id": as_text(row.get("senderid")),
        "text": row.get("body") if isinstance(row.get("body"), str) else None,
        "sent_at": iso(sent_at),
        "status": status,
        "receipt": receipt or None,
        "receipt_meaning": meaning,
        "delivered_at": iso_or_none(stamp_epoch(row.get("dr_time"))),
        "segments": segments,
        "price": as_text(row.get("billing_price")),
        "billed": str(row.get("billing_status") or "").strip().lower() == "yes",
        "network": as_text(row.get("network")),
        "vendor_date": as_text(row.get("date")),
    }


class NXCloudSmsRecords(PagedRecordSource[NXCloudHook]):
    """The SMS records of one interval, day by day (see the module docstring)."""

    platform = nxcloud.PLATFORM
    record_type = "sms"
    columns = COLUMNS
    #: getSmsCdr documents no rate (SMS Record Query.md)
    min_query_interval_s = 0.0
    #: getSmsCdr lists a sent SMS within a minute (ASSUMPTION [NX-20]): read a minute after the end
    settle_s = float(nxcloud.SMS_RECORD_LIST_LAG_S)

    def windows(self) -> list[str]:
        return interval_days(self.interval)

    def check(self, now: float) -> None:
        check_page_size(self.page_size, nxcloud.SMS_RECORDS_MAX_PAGE_SIZE)
        # the oldest day the query answers, in the reading whose today is latest (the strictest);
        # a day the interval needs in any reading begins before that day's midnight in the
        # reading whose midnight is latest (the smallest offset)
        offsets = nxcloud.RECORD_DAY_OFFSETS_HOURS
        today = max(dt.datetime.fromtimestamp(now, zone(h)).date() for h in offsets)
        oldest = today - dt.timedelta(days=nxcloud.SMS_RECORD_DAYS)
        midnight = dt.datetime.combine(oldest, dt.time(), zone(min(offsets))).timestamp()
        check_kept(
            self.interval,
            midnight,
            f"NXCloud keeps SMS records {nxcloud.SMS_RECORD_DAYS} days (the oldest day it answers is "
            f"{oldest.strftime(nxcloud.SMS_RECORD_DATE_FORMAT)})",
        )

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        page = int(cursor or 1)
        while True:
            total, rows = self.hook.list_sms_records(window, page=page, page_size=self.page_size)
            records = []
            for row in rows:
                sent_at = stamp_epoch(row.get("date"))
                if sent_at is None:
                    raise unplaceable(
                        f"getSmsCdr row {row.get('msgid')!r} of {window}", f"date stamp ({row.get('date')!r})"
                    )
                if self.interval.holds(sent_at):
                    records.append(record_line(row, sent_at))
            last = not rows or page * self.page_size >= total
            yield Page(records, page + 1, last)
            if last:
                return
            page += 1
