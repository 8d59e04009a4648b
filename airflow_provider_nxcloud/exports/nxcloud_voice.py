"""NXCloud voice call records (``/api/voiceSms/getVoiceCdr``) as export lines.

The query (Demon-2012/NXcloud-API-document:Voice Record Query.md; the nxtele/http-api-document
wiki 语音记录查询 for its limits) names one ``voiceType`` (0 group calls, 1 verification codes and
notifications) and a window ``start_time``..``end_time`` ("yyyy-MM-dd HH:mm:ss", at most 24
hours, within the last 7 days), paged (``page`` from 1, ``page_size``), at most one request a
second. An interval is therefore read in 24-hour windows from its start, each asked once per
voice type (``voice_types``, both by default), the oldest window first and each page as large
as the vendor allows (ASSUMPTION [NX-23]: 1000 rows): a window of N calls costs
max(1, ceil(N / page_size)) queries, an interval of W windows and T types at least W x T.
The engine keeps the queries a second apart (:attr:`NXCloudVoiceRecords.min_query_interval_s`).

Stamps carry no zone: windows are written and stamps read as UTC (ASSUMPTION [NX-24]); a
window selects calls by their ``start_time``, both ends inclusive (ASSUMPTION [NX-25]). A
call started exactly at a window's end is left to the next window (or the next interval), so
consecutive intervals partition the calls, each in exactly one file. A row whose
``start_time`` lies outside the window it was asked for, or a page shorter than asked before
the total is reached, contradicts those assumptions: the try fails, nothing is dropped.

Retention: the vendor answers only the last 7 days, and if its zone is UTC+8 its "7 days ago"
is 8 hours later than UTC's. An interval is refused before any request unless it starts at
least :data:`RETENTION_MARGIN_S` inside the 7 days in the UTC+8 reading, so its oldest
window's pages, asked first, are still kept when they are asked.

Line schema (keys always in this order; absent values are null):

``platform`` "nxcloud", ``record_type`` "voice", ``call_id`` (``id``), ``message_id``
(``messageid``: the send request's id, shared by its numbers), ``service`` (``group_call``,
``verification``, ``notification``, or ``verification_or_notification`` when a voiceType 1 row
has no ``voice_type``), ``number`` (``countryCode`` + ``phone``, ASSUMPTION [NX-19]),
``country_code`` (``countryCode``), ``phone``, ``caller_id`` (``show_phone``), ``status``
(``answered`` or ``unanswered``; null for a result no catalog knows), ``result`` (as given),
``result_meaning``, ``hangup`` (``hangup_disposition``, which the receipt documents and the query
does not: null unless a row carries it), ``hangup_meaning``, ``connected_at`` (``time``),
``started_at`` (``start_time``), ``ended_at`` (``end_time``, all three ISO 8601 UTC),
``duration_s`` (``second``), ``billing_cycle_s`` (``cycle``), ``billed_cycles`` (``size``),
``unit_price`` (``customer_price``) and ``base_price`` (``basic_price``, group calls; both text as
the vendor gives them), ``keypress`` (``ivr_result``, group calls), ``vendor_start_time`` (the
``start_time`` stamp as the vendor wrote it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError, UnreadableRecordError
from airflow_provider_nxcloud.exports import values
from airflow_provider_nxcloud.exports.checks import check_kept, check_page_size
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of
from airflow_provider_nxcloud.exports.values import as_text, iso_or_none, zone
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import nxcloud

LINE_KEYS = (
    "platform",
    "record_type",
    "call_id",
    "message_id",
    "service",
    "number",
    "country_code",
    "phone",
    "caller_id",
    "status",
    "result",
    "result_meaning",
    "hangup",
    "hangup_meaning",
    "connected_at",
    "started_at",
    "ended_at",
    "duration_s",
    "billing_cycle_s",
    "billed_cycles",
    "unit_price",
    "base_price",
    "keypress",
    "vendor_start_time",
)
#: the typed columns of a line (Parquet output); the others are text
LINE_TYPES = {
    "connected_at": "timestamp",
    "started_at": "timestamp",
    "ended_at": "timestamp",
    "duration_s": "int64",
    "billing_cycle_s": "int64",
    "billed_cycles": "int64",
}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
#: the query's voiceType values: 0 group calls, 1 verification codes and notifications
VOICE_TYPES = (0, 1)
#: an interval must start this far inside the vendor's 7 days (in its strictest reading): its oldest
#: window is asked first, at one query a second, and a retry an hour later still finds it
RETENTION_MARGIN_S = 3600.0
#: the zone of a window bound and a row stamp (ASSUMPTION [NX-24])
_STAMP_ZONE = zone(nxcloud.VOICE_CDR_STAMP_OFFSET_HOURS)


def cdr_time(epoch: float) -> str:
    """A window bound as the query takes it (ASSUMPTION [NX-24])."""
    return dt.datetime.fromtimestamp(epoch, _STAMP_ZONE).strftime(nxcloud.VOICE_TIME_FORMAT)


def stamp_epoch(value: Any) -> float | None:
    """A row stamp in epoch seconds (ASSUMPTION [NX-24]); None when empty or not a stamp."""
    return values.stamp_epoch(value, _STAMP_ZONE, offsets=False)


def interval_windows(interval: Interval, voice_types: Sequence[int]) -> list[str]:
    """The query windows of ``interval``: 24-hour spans from its start, each for every voice type, oldest first."""
    windows = []
    start = interval.start
    while start < interval.end:
        end = min(start + nxcloud.VOICE_CDR_MAX_WINDOW_S, interval.end)
        windows += [
            json.dumps({"voice_type": kind, "start": cdr_time(start), "end": cdr_time(end)}, sort_keys=True)
            for kind in voice_types
        ]
        start = end
    return windows


def _whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _iso(value: Any) -> str | None:
    return iso_or_none(stamp_epoch(value))


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def record_line(row: dict[str, Any], voice_type: int) -> dict[str, Any]:
    """One getVoiceCdr row of query ``voice_type`` as a line of the schema (:data:`LINE_KEYS`)."""
    result = str(row.get("result") or "").strip()
    status, meaning = nxcloud.VOICE_CDR_RESULTS.get(result.lower(), (None, None))
    hangup = str(row.get("hangup_disposition") or "").strip()
    if voice_type == nxcloud.VOICE_CDR_TYPES["voice_broadcast"]:
        service = nxcloud.VOICE_CDR_GROUP_CALL
    else:
        service = nxcloud.VOICE_CDR_ROW_SERVICES.get(
            str(row.get("voice_type") or "").strip(), "verification_or_notification"
        )
    country_code, phone = _digits(row.get("countryCode")), _digits(row.get("phone"))
    return {
        "platform": nxcloud.PLATFORM,
        "record_type": "voice",
        "call_id": as_text(row.get("id")),
        "message_id": as_text(row.get("messageid")),
        "service": service,
        # ASSUMPTION [NX-19]: ``phone`` is the national number, ``countryCode`` beside it
        "number": country_code + phone or None,
        "country_code": country_code or None,
        "phone": phone or None,
        "caller_id": as_text(row.get("show_phone")),
        "status": status,
        "result": result or None,
        "result_meaning": meaning,
        "hangup": hangup or None,
        "hangup_meaning": nxcloud.VOICE_HANGUP_DISPOSITIONS.get(hangup.lower()) if hangup else None,
        "connected_at": _iso(row.get("time")),
        "started_at": _iso(row.get("start_time")),
        "ended_at": _iso(row.get("end_time")),
        "duration_s": _whole(row.get("second")),
        "billing_cycle_s": _whole(row.get("cycle")),
        "billed_cycles": _whole(row.get("size")),
        "unit_price": as_text(row.get("customer_price")),
        "base_price": as_text(row.get("basic_price")),
        "keypress": as_text(row.get("ivr_result")),
        "vendor_start_time": as_text(row.get("start_time")),
    }


class NXCloudVoiceRecords(PagedRecordSource[NXCloudHook]):
    """The call records of one interval, 24-hour window by window (see the module docstring)."""

    platform = nxcloud.PLATFORM
    record_type = "voice"
    #: one getVoiceCdr a second (the wiki's 每秒只能请求一次)
    min_query_interval_s = nxcloud.VOICE_CDR_MIN_INTERVAL_S
    columns = COLUMNS
    #: a call is listed once it has ended: read the interval 30 minutes after its end (ASSUMPTION [NX-26])
    settle_s = nxcloud.VOICE_CDR_SETTLE_S

    def __init__(
        self, hook: NXCloudHook, interval: Interval, page_size: int, voice_types: Sequence[int]
    ) -> None:
        super().__init__(hook, interval, page_size)
        self.voice_types = voice_types

    def settings(self) -> dict[str, Any]:
        return {"page_size": self.page_size, "voice_types": list(self.voice_types)}

    def windows(self) -> list[str]:
        return interval_windows(self.interval, self.voice_types)

    def check(self, now: float) -> None:
        check_page_size(self.page_size, nxcloud.VOICE_CDR_MAX_PAGE_SIZE)
        kinds = self.voice_types
        if (
            isinstance(kinds, (str, bytes))
            or not isinstance(kinds, Sequence)
            or not kinds
            or any(isinstance(k, bool) or k not in VOICE_TYPES for k in kinds)
            or len(set(kinds)) != len(kinds)
        ):
            raise InvalidInputError(
                "voice_types",
                f"must list 0 (group calls), 1 (verification codes and notifications) or both, once each, "
                f"not {kinds!r}",
            )
        # the vendor's 7 days in the reading whose now is latest (UTC+8 if NX-24's zone is that)
        ahead = max(nxcloud.RECORD_DAY_OFFSETS_HOURS) * 3600
        oldest = now + ahead - nxcloud.VOICE_CDR_DAYS * 86400 + RETENTION_MARGIN_S
        check_kept(
            self.interval,
            oldest,
            f"NXCloud keeps call records ({nxcloud.VOICE_CDR_DAYS} days, counted in UTC+{ahead // 3600}, "
            "less an hour to read them)",
        )

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        asked = json.loads(window)
        voice_type, start_time, end_time = asked["voice_type"], asked["start"], asked["end"]
        start, end = stamp_epoch(start_time), stamp_epoch(end_time)
        assert start is not None and end is not None
        page = int(cursor or 1)
        while True:
            total, rows = self.hook.list_voice_records(
                voice_type, start_time=start_time, end_time=end_time, page=page, page_size=self.page_size
            )
            records = []
            for row in rows:
                started = stamp_epoch(row.get(nxcloud.VOICE_CDR_WINDOW_STAMP))
                if started is None or not start <= started <= end:
                    raise UnreadableRecordError(
                        f"getVoiceCdr row {row.get('id')!r} of voiceType {voice_type} {start_time}..{end_time} "
                        f"has {nxcloud.VOICE_CDR_WINDOW_STAMP} {row.get(nxcloud.VOICE_CDR_WINDOW_STAMP)!r}, "
                        "outside the window asked (ASSUMPTION [NX-25]): it cannot be placed in one interval"
                    )
                if started < end:  # a call started at the end belongs to the next window
                    records.append(record_line(row, voice_type))
            last = not rows or page * self.page_size >= total
            if not last and len(rows) < self.page_size:
                raise UnreadableRecordError(
                    f"getVoiceCdr answered {len(rows)} rows for page_size {self.page_size} on page {page} of "
                    f"{total} calls (voiceType {voice_type} {start_time}..{end_time}): the vendor pages "
                    "smaller than asked (ASSUMPTION [NX-23]); set a smaller page_size"
                )
            yield Page(records, page + 1, last)
            if last:
                return
            page += 1
