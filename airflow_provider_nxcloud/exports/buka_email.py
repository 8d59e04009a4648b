"""Buka email records (``email/getSendEmailRcd``) of the emails a send task sent in the interval.

Buka documents no email record query over a period: its email API (the official SDK's
EmailSdkClient: sendEmail, batchSendEmail, getSendEmailRcd, and three list calls for
templates, recipient lists and sender addresses; itnio.cn's mail pages) reads records only
by id: ``getSendEmailRcd`` takes ``appId`` and ``emailId``, at most 200 ids comma-separated
(-28 above), and answers ``array[{emailId, toAddress, receiveTime, status}]`` for the ids it
knows; the others it only counts (``nofound``, "including the emails still queued").

The interval's email ids therefore come from the provider's own send results:
:class:`~airflow_provider_nxcloud.operators.buka.BukaSendEmailOperator` writes one JSON line per
address to its ``results_path`` (``campaign/results.py``: ``status`` "accepted" with the
``vendor_id`` = emailId, and ``recorded_at``, when Buka's answer to the send was written). The
export reads the results files it is given, in order, one line at a time, and takes every
accepted email whose ``recorded_at`` lies in the interval (so consecutive intervals split the
emails of a long campaign between them, each email in one file). It asks about them 200 at a
time, across the files, so an interval of N emails costs ceil(N / 200) queries (none when it
has none); no more than one query's ids are held at once. Its one window is the list of files;
its cursor is the file and the line after the last email asked about, so a retry reads on
from there.

A status is what Buka says at the time of the export: an email still sending then is written
``sending``; run the interval again later for its final status (the file is replaced).

Line schema (keys always in this order; absent values are null):

``platform`` "buka", ``record_type`` "email", ``email_id``, ``to_address`` (``toAddress``; the
results line's address when Buka does not list the email), ``app_id``, ``accepted_at`` (the
results line's ``recorded_at``: when Buka accepted the send, ISO 8601 UTC), ``sent_at``
(``receiveTime``, "发送时间" the send time, as ISO 8601 UTC), ``status`` (``sent``, ``failed``,
``sending``, or ``not_found`` when Buka does not list the id: unknown, or still queued),
``vendor_status`` (``status`` as given: 0 sent, -1 sending, 1 failed), ``status_meaning`` (its
meaning in :data:`~airflow_provider_nxcloud.platforms.buka.EMAIL_RECORD_STATUSES`),
``vendor_time`` (``receiveTime`` as the vendor wrote it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.checks import check_kept, check_page_size
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.files import as_path
from airflow_provider_nxcloud.exports.values import as_text, iso_or_none, stamp_epoch
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka

LINE_KEYS = (
    "platform",
    "record_type",
    "email_id",
    "to_address",
    "app_id",
    "accepted_at",
    "sent_at",
    "status",
    "vendor_status",
    "status_meaning",
    "vendor_time",
)
#: the typed columns of a line (Parquet output); the others are text
LINE_TYPES = {"accepted_at": "timestamp", "sent_at": "timestamp"}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
NOT_FOUND = ("not_found", "not listed by getSendEmailRcd: an id it does not know, or an email still queued")
#: the one window: the results files, in the order given
WINDOW = "results"


def results_paths(value: Any) -> list[str]:
    """The results files ``results_path`` names: a path, a send task's XCom summary (its
    ``results_path``), or a list of either (a mapped send task's XComs)."""
    items = value if isinstance(value, list | tuple) else [value]
    paths: list[str] = []
    for given in items:
        item = given
        if isinstance(given, Mapping):
            platform = given.get("platform")
            if platform not in (None, buka.PLATFORM):
                raise InvalidInputError(
                    "results_path", f"names a send through {platform}; these are Buka email records"
                )
            item = given.get("results_path")
            if not item:
                raise InvalidInputError(
                    "results_path",
                    "names a send summary without a results_path: give the send task a results_path, "
                    "the only complete list of the emails it sent",
                )
        text = str(item).strip() if item is not None and not isinstance(item, bool) else ""
        if not text:
            raise InvalidInputError("results_path", f"holds {item!r}, which is not a results file")
        paths.append(text)
    if not paths:
        raise InvalidInputError("results_path", "is required: the send results that name the emails")
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        raise InvalidInputError("results_path", f"names {', '.join(repeated)} more than once")
    return paths


def record_line(
    email_id: str, address: str | None, accepted_at: float, app_id: str, row: Mapping[str, Any] | None
) -> dict[str, Any]:
    """One email as a line of the schema (:data:`LINE_KEYS`): Buka's row, or none when it does not list it."""
    vendor_status = as_text(row.get("status")) if row is not None else None
    status: str | None
    meaning: str | None
    if row is None:
        status, meaning = NOT_FOUND
    else:
        # a status no catalog knows is kept as it is, without a meaning
        status, meaning = buka.EMAIL_RECORD_STATUSES.get(vendor_status or "", (vendor_status, None))
    # ``receiveTime``: ISO 8601 with an offset, as getSentRcd writes it
    vendor_time = as_text(row.get("receiveTime")) if row is not None else None
    return {
        "platform": buka.PLATFORM,
        "record_type": "email",
        "email_id": email_id,
        "to_address": (as_text(row.get("toAddress")) if row is not None else None) or address,
        "app_id": app_id,
        "accepted_at": iso(accepted_at),
        "sent_at": iso_or_none(stamp_epoch(vendor_time)),
        "status": status,
        "vendor_status": vendor_status,
        "status_meaning": meaning,
        "vendor_time": vendor_time,
    }


class BukaEmailRecords(PagedRecordSource[BukaHook]):
    """The records of the emails the results files name as accepted in one interval (see the module docstring)."""

    platform = buka.PLATFORM
    record_type = "email"
    #: getSendEmailRcd: Buka publishes no QPS (reference A.12)
    min_query_interval_s = 0.0
    columns = COLUMNS
    #: statuses are read when the export runs; an email not sent yet is ``sending``, not missing
    settle_s = 0.0

    def __init__(
        self,
        hook: BukaHook,
        interval: Interval,
        page_size: int,
        results_path: Any,
        app_id: str | None = None,
    ) -> None:
        super().__init__(hook, interval, page_size)
        self.results_path = results_path
        self.app_id = app_id

    def settings(self) -> dict[str, Any]:
        return {
            "page_size": self.page_size,
            "app_id": self.hook.app_id("email", self.app_id),
            "results_paths": results_paths(self.results_path),
        }

    def windows(self) -> list[str]:
        return [WINDOW]

    def check(self, now: float) -> None:
        check_page_size(self.page_size, buka.EMAIL_QUERY_MAX_IDS)
        check_kept(
            self.interval,
            now - buka.EMAIL_RECORDS_DAYS * 86_400,
            f"Buka is taken to keep email records ({buka.EMAIL_RECORDS_DAYS} days, ASSUMPTION [BK-52])",
        )
        for path in results_paths(self.results_path):
            try:
                found = as_path(path).is_file()
            except OSError as exc:
                raise InvalidInputError("results_path", f"{path} cannot be read: {exc}") from exc
            if not found:
                raise InvalidInputError("results_path", f"{path} is not a file")

    def _accepted(
        self, paths: Sequence[str], cursor: Any
    ) -> Iterator[tuple[int, int, str, str | None, float]]:
        """``(file, line after it, email id, address, accepted at)`` of each email of the interval, from ``cursor``."""
        first_file = int((cursor or {}).get("file", 0))
        skip = int((cursor or {}).get("line", 0))
        for number in range(first_file, len(paths)):
            path = paths[number]
            with as_path(path).open("r", encoding="utf-8") as lines:
                for line_number, text in enumerate(lines, start=1):
                    if line_number <= skip or not text.strip():
                        continue
                    try:
                        line = json.loads(text)
                    except ValueError as exc:
                        raise InvalidInputError(
                            "results_path", f"{path} line {line_number} is not JSON ({exc})"
                        ) from None
                    if not isinstance(line, dict) or line.get("status") != "accepted":
                        continue
                    email_id = as_text(line.get("vendor_id"))
                    if email_id is None:
                        continue
                    # ``recorded_at``: ISO 8601 UTC (``2026-12-03T07:01:02Z``)
                    accepted_at = stamp_epoch(line.get("recorded_at"))
                    if accepted_at is None:
                        raise InvalidInputError(
                            "results_path",
                            f"{path} line {line_number} has no readable recorded_at "
                            f"({line.get('recorded_at')!r}): its email cannot be placed in an interval",
                        )
                    if self.interval.holds(accepted_at):
                        yield number, line_number, email_id, as_text(line.get("number")), accepted_at
            skip = 0

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        paths = results_paths(self.results_path)
        app_id = self.hook.app_id("email", self.app_id)
        emails = self._accepted(paths, cursor)
        while True:
            batch = [item for _, item in zip(range(self.page_size), emails, strict=False)]
            if not batch:
                return
            rows = {
                str(row.get("emailId")): row
                for row in self.hook.get_email_records(app_id, [item[2] for item in batch])
            }
            records = [
                record_line(eid, address, at, app_id, rows.get(eid)) for _, _, eid, address, at in batch
            ]
            file_number, line_number = batch[-1][0], batch[-1][1]
            full = len(batch) == self.page_size
            # a short batch is the last; a full one may be too, found by reading on to the files' end
            yield Page(records, {"file": file_number, "line": line_number}, not full)
            if not full:
                return
