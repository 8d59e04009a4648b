"""Buka group/OTP call records (``voice/recordGroupQuery``) as export lines.

The query (onbuka.com/voice-api12; the SDK's ``VoiceSdkClient.recordGroupQuery``) takes a
window ``params.strTime`` .. ``params.endTime`` (ISO 8601 with an offset, at most 31 days
apart, within the last two months) and pages it (``current``, ``size`` 1-100; the reply's
page carries ``total`` and ``pages``). Buka writes a call's record when the call ends.

The page does not say which of a record's stamps the window compares, nor whether its
bounds are inclusive (ASSUMPTION [BK-44]). So a record belongs to the interval its
``submitTime`` falls in (the earliest stamp, set when the call was placed), and each query
window reaches :data:`~.platforms.buka.VOICE_RECORD_SETTLE_S` past the part of the interval
it covers: a call placed in that part has every stamp in the window, whichever the vendor
filters on, and rows placed outside the part are left to their own window or interval. The
interval is cut into parts of 31 days less that margin, so an interval of length L takes
ceil(L / (31 d - 30 min)) windows (one for any interval up to 30 days 23.5 hours), and a
window whose query lists N rows costs max(1, ceil(N / page size)) queries at 100 rows a page.
Before any request the export refuses an interval that starts more than
:data:`~.platforms.buka.VOICE_RECORDS_KEPT_DAYS` days ago (ASSUMPTION [BK-45]). Its records
are read :data:`~.platforms.buka.VOICE_RECORD_SETTLE_S` after the interval's end (``settle_s``:
the operator defers until then), when its calls have ended (ASSUMPTION [BK-46]); a ``settle``
set lower reads sooner and may miss calls still ringing.

Line schema (keys always in this order; absent values are null):

``platform`` "buka", ``record_type`` "voice_call", ``voice_id`` (``voiceId``), ``callee``,
``display_number`` (``displayNum``), ``area`` (``code``, the operator's area), ``submitted_at``,
``called_at``, ``ringing_at``, ``answered_at``, ``hung_up_at`` (``submitTime``, ``callTime``,
``ringingTime``, ``answerTime``, ``hangupTime`` as ISO 8601 UTC), ``status`` (``answered``,
``unanswered``, ``failed`` or ``unknown``), ``termination_code`` (``terminationCode``, a SIP
code), ``termination_reason`` (``terminationReason`` as the vendor wrote it),
``termination_meaning`` (the code's meaning in the provider's SIP table,
:mod:`~airflow_provider_nxcloud.platforms.sip`, or Buka's voice code catalog),
``call_seconds`` (``callDuration``), ``charged_seconds`` (``chargedDuration``), ``key_pressed``
(``feedbackValue``; null for the vendor's -1, "nothing pressed"), ``cost`` (``costEur``, or a
white-label host's ``cost``, text as given), ``cost_currency`` ("EUR" for ``costEur``, null when
the host gives ``cost`` in the account's quoted currency), ``bill_period`` (``billPeriod``, e.g.
"60+60"), ``rate``, ``base_cost`` (``baseCost``), ``voice_file_id`` (``voiceFileId``),
``called_info`` (``calledInfo``), ``vendor_submit_time`` (``submitTime`` as the vendor wrote it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_nxcloud.exceptions import UnreadableRecordError
from airflow_provider_nxcloud.exports import values
from airflow_provider_nxcloud.exports.checks import (
    check_kept,
    check_not_shifted,
    check_page_size,
    unplaceable,
)
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.values import as_text, iso_or_none
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka, sip
from airflow_provider_nxcloud.platforms.catalogs import lookup_code

LINE_KEYS = (
    "platform",
    "record_type",
    "voice_id",
    "callee",
    "display_number",
    "area",
    "submitted_at",
    "called_at",
    "ringing_at",
    "answered_at",
    "hung_up_at",
    "status",
    "termination_code",
    "termination_reason",
    "termination_meaning",
    "call_seconds",
    "charged_seconds",
    "key_pressed",
    "cost",
    "cost_currency",
    "bill_period",
    "rate",
    "base_cost",
    "voice_file_id",
    "called_info",
    "vendor_submit_time",
)
#: the typed columns of a line (Parquet output); the others are text
LINE_TYPES = {
    "submitted_at": "timestamp",
    "called_at": "timestamp",
    "ringing_at": "timestamp",
    "answered_at": "timestamp",
    "hung_up_at": "timestamp",
    "call_seconds": "int64",
    "charged_seconds": "int64",
}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
RECORD_TYPE = "voice_call"
PAGE_SIZE_MAX = buka.VOICE_RECORDS_MAX_PAGE_SIZE
#: the part of an interval one query window covers: the documented 31 days less the settle
#: margin every window reaches past its part (ASSUMPTION [BK-44])
WINDOW_PART_S = buka.VOICE_RECORDS_MAX_WINDOW_DAYS * 86400 - buka.VOICE_RECORD_SETTLE_S
#: ``feedbackValue`` when no key was pressed ("-1: nothing", onbuka.com/voice-api11)
_NO_KEY = "-1"


def stamp_epoch(value: Any) -> float | None:
    """A record stamp (ISO 8601 with an offset, as every sample on voice-api11/12) in epoch
    seconds; None when empty or not such a stamp (a stamp without a zone is not guessed at)."""
    return values.stamp_epoch(value)


def _time(value: Any) -> str | None:
    return iso_or_none(stamp_epoch(value))


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def termination(code: str | None, answered: bool) -> tuple[str, str | None]:
    """``(status, meaning)`` of a record's ``terminationCode``, through the provider's catalogs.

    A SIP code is read in :data:`~.platforms.sip.RESPONSES`; a white-label host's "0" is its
    documented success; a negative code is one of Buka's voice codes (``buka_codes``). An
    ``answerTime`` makes the call answered whatever the code says (the delivery poller reads
    a record the same way). A code no catalog knows keeps its vendor text in
    ``termination_reason`` and its status ``unknown``.
    """
    if code in sip.RESPONSES:
        meaning, outcome = sip.RESPONSES[code]
        return (sip.ANSWERED if answered else outcome), meaning
    if code == buka.VOICE_RECORD_WHITE_LABEL_SUCCESS_CODE:
        return (sip.ANSWERED if answered else sip.UNKNOWN), "success (a white-label host's code 0)"
    info = lookup_code(buka.PLATFORM, "voice", code) if code and code.startswith("-") else None
    if info is not None:
        return (sip.ANSWERED if answered else sip.FAILED), info.meaning
    return (sip.ANSWERED if answered else sip.UNKNOWN), None


def record_line(row: Mapping[str, Any]) -> dict[str, Any]:
    """One recordGroupQuery record as a line of the schema (:data:`LINE_KEYS`)."""
    code = as_text(row.get("terminationCode"))
    code = code.strip() if code else None
    answered_at = _time(row.get("answerTime"))
    status, meaning = termination(code, answered_at is not None)
    key = as_text(row.get("feedbackValue"))
    euro = as_text(row.get("costEur"))
    return {
        "platform": buka.PLATFORM,
        "record_type": RECORD_TYPE,
        "voice_id": as_text(row.get("voiceId")),
        "callee": as_text(row.get("callee")),
        "display_number": as_text(row.get("displayNum")),
        "area": as_text(row.get("code")),
        "submitted_at": _time(row.get("submitTime")),
        "called_at": _time(row.get("callTime")),
        "ringing_at": _time(row.get("ringingTime")),
        "answered_at": answered_at,
        "hung_up_at": _time(row.get("hangupTime")),
        "status": status,
        "termination_code": code,
        "termination_reason": as_text(row.get("terminationReason")),
        "termination_meaning": meaning,
        "call_seconds": _seconds(row.get("callDuration")),
        "charged_seconds": _seconds(row.get("chargedDuration")),
        "key_pressed": None if key in (None, _NO_KEY) else key,
        "cost": euro if euro is not None else as_text(row.get("cost")),
        "cost_currency": "EUR" if euro is not None else None,
        "bill_period": as_text(row.get("billPeriod")),
        "rate": as_text(row.get("rate")),
        "base_cost": as_text(row.get("baseCost")),
        "voice_file_id": as_text(row.get("voiceFileId")),
        "called_info": as_text(row.get("calledInfo")),
        "vendor_submit_time": as_text(row.get("submitTime")),
    }


def interval_parts(interval: Interval) -> list[tuple[float, float]]:
    """The interval cut into parts one query window each covers, oldest first (as few as the
    31-day limit allows with each window's settle margin)."""
    count = max(1, math.ceil((interval.end - interval.start) / WINDOW_PART_S))
    bounds = [interval.start + n * WINDOW_PART_S for n in range(count)] + [interval.end]
    return list(itertools.pairwise(bounds))


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class BukaVoiceCallRecords(PagedRecordSource[BukaHook]):
    """The group/OTP call records of one interval (see the module docstring)."""

    platform = buka.PLATFORM
    record_type = RECORD_TYPE
    #: recordGroupQuery: Buka publishes no QPS (reference A.12)
    min_query_interval_s = 0.0
    columns = COLUMNS
    #: the operator reads the interval this long after its end: its calls have ended (BK-46)
    settle_s = buka.VOICE_RECORD_SETTLE_S

    def windows(self) -> list[str]:
        return [f"{iso(start)}/{iso(end)}" for start, end in interval_parts(self.interval)]

    def check(self, now: float) -> None:
        check_page_size(self.page_size, PAGE_SIZE_MAX)
        check_kept(
            self.interval,
            now - buka.VOICE_RECORDS_KEPT_DAYS * 86400,
            f"Buka keeps call records (the last two months, read as {buka.VOICE_RECORDS_KEPT_DAYS} days)",
        )

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        start, end = interval_parts(self.interval)[self.windows().index(window)]
        query_start = dt.datetime.fromtimestamp(start, dt.UTC)
        query_end = dt.datetime.fromtimestamp(end + buka.VOICE_RECORD_SETTLE_S, dt.UTC)
        page = int((cursor or {}).get("page", 1))
        previous_last = (cursor or {}).get("last")
        while True:
            data = self.hook.voice_calls_page(query_start, query_end, page=page, size=self.page_size)
            rows = data.get("records")
            if not isinstance(rows, list):
                raise UnreadableRecordError(
                    f"recordGroupQuery answered no record list for {window}, page {page}: {sorted(data)}"
                )
            # ASSUMPTION [BK-47]: one window's pages keep one order; a call listed again fails the try
            previous_last = check_not_shifted(
                previous_last,
                [row.get("voiceId") for row in rows if isinstance(row, Mapping)],
                f"recordGroupQuery listed call {previous_last} again on page {page} of {window}",
                "BK-47",
            )
            records = []
            for row in rows:
                submitted = stamp_epoch(row.get("submitTime")) if isinstance(row, Mapping) else None
                if submitted is None:
                    raise unplaceable(f"recordGroupQuery record {row!r:.200} of {window}", "submitTime")
                if start <= submitted < end:
                    records.append(record_line(row))
            pages = _whole(data.get("pages"))
            total = _whole(data.get("total"))
            if pages is None and total is not None:
                pages = math.ceil(total / self.page_size)
            last = not rows or (page >= pages if pages is not None else len(rows) < self.page_size)
            yield Page(records, {"page": page + 1, "last": previous_last}, last)
            if last:
                return
            page += 1
