"""Buka call-center call records (``cc/record/query``) as export lines.

The query (onbuka.com/call-api20) takes a window, ``params.startTime`` / ``endTime`` ISO 8601
with an offset (no zone to guess), at most 32 days long (longer answers -35), and pages it
(``current``, ``size`` 1-100; the reply's ``data.total`` counts the window's records). An
interval is therefore read in as few windows as 32 days allow (one for a day or a month: a
window of W seconds costs ceil(W / 32 days) of them), each page as large as the vendor allows
(100 records), so a window holding N records costs max(1, ceil(N / 100)) queries. The query
takes no appId: it reads the account's call center.

How far back the vendor answers is not documented (ASSUMPTION [BK-40]: 59 days, the shortest
"two months" of its sibling record queries): an interval starting earlier is refused before
any request. The bounds are taken as inclusive and the window as selecting calls by
``callStartTime`` (ASSUMPTION [BK-42]): a record stamped at a window's end belongs to the next
window or interval and is left to it, so consecutive intervals partition the calls; a record
stamped outside the window asked fails the try instead of being dropped (it would mean the
vendor selects by another stamp, or writes another zone than ASSUMPTION [BK-41]'s China time).
The pages of one window are taken to keep one order (ASSUMPTION [BK-43]); a record listed
again on the next page fails the try, whose retry reads on from the last page written.

Line schema (keys always in this order; absent values are null):

``platform`` "buka", ``record_type`` "call_center", ``record_id`` (``keyId``), ``session_id``
(``callSessionId``, the record's unique id), ``call_id`` (``callId``, set for calls made through
the call interface), ``call_type`` (``callType`` 1-3), ``call_type_meaning``, ``direction``
(``inbound`` or ``outbound``, from the call type), ``caller``, ``called``, ``called_info``,
``country_code`` (``ccode``), ``country`` (``ccodeName``), ``agent_name``, ``agent_account``,
``agent_group`` (``agentGroupName``), ``started_at``, ``answered_at``, ``ended_at`` (ISO 8601 UTC
from ``callStartTime``, ``answerTime``, ``callEndTime``), ``answered`` (an ``answerTime`` is
given), ``duration_s`` (``callDuration``), ``hangup_reason`` (``hangupReason`` 0-9),
``hangup_reason_meaning``, ``hung_up_by`` (``hangingDirection``: ``customer``, ``agent`` or
``system``), ``sip_code`` (``hangupCode``), ``labels`` (list of text), ``remark``,
``recording_url`` (``voiceUrl``), ``vendor_start_time`` (``callStartTime`` as the vendor wrote
it). Meanings come from the tables in :mod:`~airflow_provider_nxcloud.platforms.buka`; a code
they do not hold is kept with a null meaning.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from airflow_provider_nxcloud.exceptions import UnreadableRecordError
from airflow_provider_nxcloud.exports import values
from airflow_provider_nxcloud.exports.checks import (
    check_kept,
    check_not_shifted,
    check_page_size,
    check_whole_seconds,
    unplaceable,
)
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.values import as_text, zone
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka

LINE_KEYS = (
    "platform",
    "record_type",
    "record_id",
    "session_id",
    "call_id",
    "call_type",
    "call_type_meaning",
    "direction",
    "caller",
    "called",
    "called_info",
    "country_code",
    "country",
    "agent_name",
    "agent_account",
    "agent_group",
    "started_at",
    "answered_at",
    "ended_at",
    "answered",
    "duration_s",
    "hangup_reason",
    "hangup_reason_meaning",
    "hung_up_by",
    "sip_code",
    "labels",
    "remark",
    "recording_url",
    "vendor_start_time",
)
#: the typed columns of a line (Parquet output); the others are text
LINE_TYPES = {
    "call_type": "int64",
    "hangup_reason": "int64",
    "answered": "bool",
    "duration_s": "int64",
    "started_at": "timestamp",
    "answered_at": "timestamp",
    "ended_at": "timestamp",
}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
RECORD_TYPE = "call_center"
#: the largest page the query answers (onbuka.com/call-api20 ``size`` 1-100)
PAGE_SIZE_MAX = buka.CALL_RECORD_PAGE_SIZE
WINDOW_S = buka.CALL_RECORD_MAX_WINDOW_DAYS * 86400
#: the zone of a stamp written without one (ASSUMPTION [BK-41])
_STAMP_ZONE = zone(buka.CALL_RECORD_STAMP_OFFSET_HOURS)


def windows_of(interval: Interval) -> list[tuple[int, int]]:
    """The interval cut into the fewest windows of at most 32 days, oldest first (epoch seconds)."""
    start, end = int(interval.start), int(interval.end)
    count = math.ceil((end - start) / WINDOW_S)
    return [(start + n * WINDOW_S, min(end, start + (n + 1) * WINDOW_S)) for n in range(count)]


def stamp_epoch(value: Any) -> float | None:
    """A record stamp in epoch seconds: ``yyyy-MM-dd HH:mm:ss`` in China time (ASSUMPTION [BK-41]),
    or ISO 8601 with an offset as the vendor's other record queries write; None when neither."""
    return values.stamp_epoch(value, _STAMP_ZONE)


def _code(value: Any) -> int | None:
    """A documented whole-number code given as a number or as digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value.strip())
    return None


def _time(value: Any) -> str | None:
    moment = stamp_epoch(value)
    return iso(moment) if moment is not None else as_text(value)


def record_line(record: dict[str, Any], started_at: float) -> dict[str, Any]:
    """One cc/record/query record as a line of the schema (:data:`LINE_KEYS`)."""
    call_type, reason = _code(record.get("callType")), _code(record.get("hangupReason"))
    kind = buka.CALL_TYPES.get(call_type) if call_type is not None else None
    side = _code(record.get("hangingDirection"))
    labels = record.get("labels")
    return {
        "platform": buka.PLATFORM,
        "record_type": RECORD_TYPE,
        "record_id": as_text(record.get("keyId")),
        "session_id": as_text(record.get("callSessionId")),
        "call_id": as_text(record.get("callId")),
        "call_type": call_type,
        "call_type_meaning": kind[0] if kind else None,
        "direction": kind[1] if kind else None,
        "caller": as_text(record.get("caller")),
        "called": as_text(record.get("called")),
        "called_info": as_text(record.get("calledInfo")),
        "country_code": as_text(record.get("ccode")),
        "country": as_text(record.get("ccodeName")),
        "agent_name": as_text(record.get("agentName")),
        "agent_account": as_text(record.get("agentAccount")),
        "agent_group": as_text(record.get("agentGroupName")),
        "started_at": iso(started_at),
        "answered_at": _time(record.get("answerTime")),
        "ended_at": _time(record.get("callEndTime")),
        "answered": bool(as_text(record.get("answerTime"))),
        "duration_s": _code(record.get("callDuration")),
        "hangup_reason": reason,
        "hangup_reason_meaning": buka.CALL_HANGUP_REASONS.get(reason) if reason is not None else None,
        "hung_up_by": buka.CALL_HANGING_DIRECTIONS.get(side) if side is not None else None,
        "sip_code": as_text(record.get("hangupCode")),
        "labels": [str(label) for label in labels] if isinstance(labels, list) else None,
        "remark": as_text(record.get("remark")),
        "recording_url": as_text(record.get("voiceUrl")),
        "vendor_start_time": as_text(record.get("callStartTime")),
    }


class BukaCallCenterRecords(PagedRecordSource[BukaHook]):
    """The account's call-center records of one interval, window by window (see the module docstring)."""

    platform = buka.PLATFORM
    record_type = RECORD_TYPE
    #: cc/record/query: Buka publishes no QPS (reference A.12: only code -15 "query too frequently")
    min_query_interval_s = 0.0
    columns = COLUMNS
    #: the vendor documents no lag of its list: read at the interval's end
    settle_s = 0.0

    def windows(self) -> list[str]:
        return [json.dumps([start, end]) for start, end in windows_of(self.interval)]

    def check(self, now: float) -> None:
        check_page_size(self.page_size, PAGE_SIZE_MAX)
        check_whole_seconds(self.interval, "cc/record/query takes whole seconds")
        check_kept(
            self.interval,
            now - buka.CALL_RECORD_DAYS * 86400,
            f"Buka is taken to keep call-center records ({buka.CALL_RECORD_DAYS} days, ASSUMPTION [BK-40])",
        )

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        start, end = json.loads(window)
        since, until = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (start, end))
        page = int((cursor or {}).get("page", 1))
        previous_last = (cursor or {}).get("last")
        while True:
            total, rows = self.hook.get_call_record_page(since, until, page=page, size=self.page_size)
            previous_last = check_not_shifted(
                previous_last,
                [as_text(row.get("callSessionId")) for row in rows],
                f"cc/record/query listed {previous_last} again on page {page} of {window}",
                "BK-43",
            )
            records = []
            for row in rows:
                session = as_text(row.get("callSessionId"))
                started = stamp_epoch(row.get("callStartTime"))
                if started is None:
                    raise unplaceable(
                        f"cc/record/query record {session!r} of {window}",
                        f"callStartTime ({row.get('callStartTime')!r})",
                    )
                if not start <= started <= end:
                    raise UnreadableRecordError(
                        f"cc/record/query answered record {session!r} started {iso(started)} for the window "
                        f"{iso(start)}..{iso(end)}: the query selects by another stamp or zone than assumed "
                        "(ASSUMPTIONs [BK-41, BK-42]); nothing is dropped, the try fails"
                    )
                if started < end:  # a call started at the end is the next window's (inclusive bounds)
                    records.append(record_line(row, started))
            # a reply without a total ends only on a short page: never a page left unread
            last = not rows or (
                len(rows) < self.page_size if total is None else page * self.page_size >= total
            )
            yield Page(records, {"page": page + 1, "last": previous_last}, last)
            if last:
                return
            page += 1
