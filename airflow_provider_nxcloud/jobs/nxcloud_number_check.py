"""NXCloud number check (bizType 1): the submitted batches, how far their results are, and result lines.

A number check is asynchronous: ``/api/number/check`` takes up to 5,000 numbers and
answers with a ``requestId`` (and the numbers it refused up front, ``failNumber``);
each checked number's result appears later, typically 10 s to 5 min after the submit,
as a row of ``/api/number/query`` (by ``batchNo`` or ``requestId`` and the ``date``
of the submit, at most one request every 3 seconds, 14 days back).

NXCloud has no batch status (reference §8.3, §15), so a batch is complete when its
result rows cover every number it took, i.e. ``totalSize`` reaches the numbers
submitted minus those in ``failNumber``. When that count is unknown (a batch named
by its ``batchNo`` alone, or one whose submit reply was lost) the batch counts as
complete once it has rows and their number did not change between two polls of the
same wait. ASSUMPTION [NX-16]: NXCloud documents no better signal; a wait in ``reschedule``
mode starts each poke afresh and so needs the counts.

No I/O of its own: the reads are the hook's ``number_check_query_call``; the sensor and
the trigger run the conversations through a hook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.jobs.watch import RUNNING, SUCCESS, JobState
from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import normalize_code
from airflow_provider_nxcloud.polling import Call, Conversation

PLATFORM = vendor.PLATFORM
#: while waiting only ``totalSize`` matters: the smallest page is the cheapest reply
COUNT_PAGE_SIZE = 1
#: reading the results: the largest page the vendor allows, for the fewest requests
READ_PAGE_SIZE = vendor.NUMBER_CHECK_MAX_PAGE_SIZE


# ----- levels, dates, pacing ---------------------------------------------------------------------


def check_level(level: Any) -> int:
    """The ``checkLevel`` of a level name (``basic`` or ``hlr``), or InvalidInputError naming ``level``."""
    if not isinstance(level, str) or level.strip().lower() not in vendor.NUMBER_CHECK_LEVELS:
        choices = ", ".join(vendor.NUMBER_CHECK_LEVELS)
        raise InvalidInputError("level", f"must be one of {choices}, not {level!r}")
    return vendor.NUMBER_CHECK_LEVELS[level.strip().lower()]


def submit_interval(numbers: int) -> float:
    """Seconds to keep between submits of batches this size (the submit page's suggested rate)."""
    for largest, seconds in vendor.NUMBER_CHECK_SUBMIT_INTERVALS:
        if numbers <= largest:
            return seconds
    return vendor.NUMBER_CHECK_SUBMIT_INTERVALS[-1][1]


def query_date(moment: float) -> str:
    """The UTC day of a submit at ``moment`` (epoch seconds), yyyy-MM-dd."""
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime(vendor.NUMBER_CHECK_DATE_FORMAT)


def query_dates(moment: float) -> tuple[str, ...]:
    """Every ``date`` the results of a submit at ``moment`` may be filed under.

    ASSUMPTION [NX-2]: the query page names no zone for ``date``; UTC and the platform's UTC+8
    readings are both asked when they differ (:data:`~airflow_provider_nxcloud.platforms.nxcloud.RECORD_DAY_OFFSETS_HOURS`).
    """
    return vendor.record_days(moment, vendor.NUMBER_CHECK_DATE_FORMAT)


def check_date(value: Any, *, today: dt.date, parameter: str = "date") -> str:
    """``value`` as yyyy-MM-dd within the days the vendor keeps results, or InvalidInputError."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value or "").strip()
    try:
        day = dt.datetime.strptime(text, vendor.NUMBER_CHECK_DATE_FORMAT).date()
    except ValueError:
        raise InvalidInputError(parameter, f"must be a date written yyyy-MM-dd, not {value!r}") from None
    oldest = today - dt.timedelta(days=vendor.NUMBER_CHECK_RESULT_DAYS)
    if day < oldest:
        raise InvalidInputError(
            parameter,
            f"{text} is more than {vendor.NUMBER_CHECK_RESULT_DAYS} days ago; NXCloud keeps no results",
        )
    if day > today + dt.timedelta(days=1):
        raise InvalidInputError(parameter, f"{text} is in the future")
    return day.isoformat()


def query_call(
    batch_no: str, date: str, *, page: int = 1, page_size: int = READ_PAGE_SIZE, app_key: str | None = None
) -> Call:
    """One result query, kept the documented 3 seconds after the previous one (the hook's read)."""
    return NXCloudHook.number_check_query_call(
        batch_no, date, page=page, page_size=page_size, app_key=app_key
    )


def page_of(reply: Any) -> tuple[int, list[dict[str, Any]]]:
    """``(totalSize, rows)`` of a query reply."""
    return vendor.number_check_page(reply)


# ----- the batches of one check --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedBatch:
    """One submitted batch, as the wait needs it."""

    batch_no: str
    #: the query's ``date``: the (UTC) day of the submit
    date: str
    #: result rows to expect (numbers submitted minus failNumber); None = unknown
    expected: int | None = None
    #: the other readings of the submit's day (see :func:`query_dates`), asked too
    also_dates: tuple[str, ...] = ()

    @property
    def dates(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.date, *self.also_dates)))

    def to_json(self) -> list[Any]:
        row: list[Any] = [self.batch_no, self.date, self.expected]
        return [*row, list(self.also_dates)] if self.also_dates else row

    @classmethod
    def from_json(cls, value: Any) -> CheckedBatch:
        batch_no, date, expected, *rest = value
        also = tuple(str(day) for day in (rest[0] if rest else ()) or ())
        return cls(str(batch_no), str(date), None if expected is None else int(expected), also)


def batches_from(
    value: Any, *, date: Any = None, today: dt.date, parameter: str = "batches"
) -> list[CheckedBatch]:
    """The batches to wait for from what a DAG hands over, validated.

    ``value`` is the check operator's XCom (a dict with ``batches``), its ``batches``
    list, a list of ``batchNo`` strings, or a comma-separated string of them. ``date``
    overrides every batch's date; without one a batch keeps its own, then the XCom's,
    then today's (UTC).
    """
    default_date = None
    if isinstance(value, Mapping):
        default_date = value.get("date")
        value = value.get("batches")
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, Iterable) or isinstance(value, Mapping | bytes) or not value:
        raise InvalidInputError(parameter, "names no batch: give batchNo values or the check task's XCom")
    fallback = date or default_date or today.isoformat()
    found: dict[str, CheckedBatch] = {}
    for position, item in enumerate(value, start=1):
        batch = _batch(item, position, date, fallback, today, parameter)
        found.setdefault(batch.batch_no, batch)
    return list(found.values())


def _batch(
    item: Any, position: int, date: Any, fallback: Any, today: dt.date, parameter: str
) -> CheckedBatch:
    if isinstance(item, str):
        item = {"batch_no": item}
    if not isinstance(item, Mapping):
        raise InvalidInputError(parameter, f"entry {position} is a {type(item).__name__}, not a batchNo")
    batch_no = str(item.get("batch_no") or "").strip()
    if not batch_no or len(batch_no) > vendor.NUMBER_CHECK_MAX_BATCH_NO:
        raise InvalidInputError(
            parameter,
            f"entry {position}: batch_no must be 1 to {vendor.NUMBER_CHECK_MAX_BATCH_NO} characters",
        )
    day = check_date(date or item.get("date") or fallback, today=today, parameter="date")
    # an explicit date is asked alone; a batch's own readings of its day (``dates``) are all asked
    others = () if date else item.get("dates") or ()
    if isinstance(others, str) or not isinstance(others, Iterable):
        raise InvalidInputError(parameter, f"entry {position}: dates must be a list of yyyy-MM-dd")
    also = tuple(
        d for d in dict.fromkeys(check_date(o, today=today, parameter="dates") for o in others) if d != day
    )
    return CheckedBatch(batch_no, day, _expected(item, position, parameter), also)


def _expected(item: Mapping[str, Any], position: int, parameter: str) -> int | None:
    numbers, failed = item.get("numbers"), item.get("fail_numbers")
    if numbers is None or failed is None:
        return None
    try:
        expected = int(numbers) - int(failed)
    except (TypeError, ValueError):
        raise InvalidInputError(
            parameter, f"entry {position}: numbers and fail_numbers must be counts"
        ) from None
    if expected < 0:
        raise InvalidInputError(parameter, f"entry {position}: more fail_numbers than numbers")
    return expected


# ----- the watch -----------------------------------------------------------------------------------


class NumberCheckWatch:
    """Waits until every batch of a number check has its result rows (one count query per open batch)."""

    platform = PLATFORM

    def __init__(self, batches: Iterable[CheckedBatch], *, app_key: str | None = None) -> None:
        self.batches = list(batches)
        if not self.batches:
            raise InvalidInputError("batches", "names no batch")
        self.app_key = app_key or None
        #: what the last poll counted per batch (complete ones are not asked again)
        self.seen: dict[str, int] = {}
        self.complete: set[str] = set()

    @property
    def subject(self) -> str:
        first = self.batches[0].batch_no
        more = len(self.batches) - 1
        return f"NXCloud number check batch {first}" + (f" (+{more} more)" if more else "")

    def options(self) -> dict[str, Any]:
        # only an explicit app key travels; without one the connection's is read again
        return {"batches": [b.to_json() for b in self.batches], "app_key": self.app_key}

    def conclude(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_options(cls, hook: Any, options: Mapping[str, Any]) -> NumberCheckWatch:
        batches = [CheckedBatch.from_json(value) for value in options.get("batches") or []]
        app_key = options.get("app_key") or hook.settings.extras.get("number_check_app_key")
        return cls(batches, app_key=app_key)

    def poll(self) -> Conversation[JobState]:
        for batch in self.batches:
            if batch.batch_no in self.complete:
                continue
            if batch.expected == 0:  # every number was refused up front: nothing will come
                self.complete.add(batch.batch_no)
                continue
            total = 0
            for date in batch.dates:
                reply = yield query_call(
                    batch.batch_no, date, page_size=COUNT_PAGE_SIZE, app_key=self.app_key
                )
                # the most any one date holds: a count never adds the same rows up twice, so a
                # batch is never taken for complete early (rows split over two dates wait longer)
                total = max(total, page_of(reply)[0])
            if self._is_complete(batch, total):
                self.complete.add(batch.batch_no)
            self.seen[batch.batch_no] = total
        return self.state()

    def _is_complete(self, batch: CheckedBatch, total: int) -> bool:
        if batch.expected is not None:
            return total >= batch.expected
        # unknown count: rows that stopped coming (see the module docstring)
        return total > 0 and self.seen.get(batch.batch_no) == total

    def state(self) -> JobState:
        checked = sum(self.seen.values())
        known = [b.expected for b in self.batches]
        expected = None if None in known else sum(e or 0 for e in known)
        details = {"batches": len(self.batches), "checked": checked, "expected": expected}
        of = f" of {expected}" if expected is not None else ""
        progress = (
            f"{checked}{of} numbers checked, {len(self.complete)} of {len(self.batches)} batches complete"
        )
        if len(self.complete) == len(self.batches):
            return JobState(SUCCESS, "complete", f"{self.subject}: {progress}", details)
        return JobState(RUNNING, "checking", f"{self.subject}: {progress}", details)

    def read(
        self, batch: CheckedBatch, page: int, date: str | None = None
    ) -> Conversation[tuple[int, list[dict[str, Any]]]]:
        """One page of a batch's result rows on ``date`` (default: its first): ``(totalSize, rows)``."""
        reply = yield query_call(batch.batch_no, date or batch.date, page=page, app_key=self.app_key)
        return page_of(reply)


# ----- result lines --------------------------------------------------------------------------------


def result_line(row: Mapping[str, Any], batch_no: str) -> dict[str, Any]:
    """One number's result as the sensor writes it (one JSON line).

    ``{"number", "valid", "number_type", "operator", "country", "active", "ported",
    "mcc", "mnc", "check_level", "batch_no", "error"}``; ``active``, ``ported``, ``mcc``
    and ``mnc`` come with an HLR check only (else null). ``valid`` is what a campaign
    should keep: a number type other than ``invalid``, not ``active: NO`` (HLR) and no
    per-number error code.
    """
    number_type = _text(row.get("numberType"))
    active, ported = _yes_no(row.get("active")), _yes_no(row.get("ported"))
    error = _row_error(row)
    valid = number_type is not None and number_type.lower() != vendor.NUMBER_CHECK_INVALID_TYPE
    return {
        "number": "".join(ch for ch in str(row.get("phone") or "") if ch.isdigit()),
        "valid": valid and active is not False and error is None,
        "number_type": number_type.lower() if number_type else None,
        "operator": _text(row.get("operator")),
        "country": _text(row.get("country")),
        "active": active,
        "ported": ported,
        "mcc": _text(row.get("mcc")),
        "mnc": _text(row.get("mnc")),
        "check_level": _text(row.get("checkLevel")),
        "batch_no": _text(row.get("batchNo")) or batch_no,
        "error": error,
    }


def is_valid(line: Mapping[str, Any]) -> bool:
    """Whether a result line's number is worth sending to."""
    return bool(line.get("valid"))


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _yes_no(value: Any) -> bool | None:
    text = _text(value)
    return None if text is None else text.strip().upper() == vendor.NUMBER_CHECK_YES


def _row_error(row: Mapping[str, Any]) -> str | None:
    """The meaning of a row's per-number error code (callback codes 103-122, 266), if it has one."""
    code = row.get("code")
    if code is None or code == "" or normalize_code(code) == "0":
        return None
    info = lookup_code(PLATFORM, "number_check", code)
    return f"{normalize_code(code)} {info.meaning if info else 'error'}"


__all__ = [
    "CheckedBatch",
    "NumberCheckWatch",
    "batches_from",
    "check_date",
    "check_level",
    "is_valid",
    "query_call",
    "query_date",
    "query_dates",
    "result_line",
    "submit_interval",
]
