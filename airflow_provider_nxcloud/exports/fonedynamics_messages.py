"""Fone Dynamics messages (find SMS, ``GET /v2/Properties/{PropertySid}/Messages``) as export lines.

The query (https://www.fonedynamics.com/docs/rest-api/find-sms/) takes the interval itself:
``Date_From`` inclusive and ``Date_To`` exclusive, epoch seconds UTC (no zone to convert,
no documented window limit: one window), pages of ``Results_Count`` messages (default 200)
after ``Results_Skip`` of them. The first page shorter than the page size is the last, so an
interval of N messages costs floor(N / 200) + 1 queries. The vendor documents no order
(ASSUMPTION [FD-8]: one query's pages keep one order) and no retention (ASSUMPTION [FD-9]).
A page size above the documented default rests on ASSUMPTION [FD-10] and costs one more
query: paging then ends only on an empty page.

Line schema (keys always in this order; absent values are null):

``platform`` "fonedynamics", ``record_type`` "sms", ``message_id`` (``MessageSid``),
``property_sid``, ``direction`` (``Transmit`` or ``Receive``), ``from``, ``to``, ``text``,
``status`` (``delivered``, ``failed``, ``pending`` or ``received``), ``vendor_status``
(``Status`` as given), ``error_code`` (``ErrorCode``), ``error_meaning`` (its meaning in the
provider's Fone Dynamics catalog), ``segments`` (``NumSegments``), ``delivery_receipt``,
``created_at``, ``scheduled_at``, ``submitted_at``, ``delivered_at`` (ISO 8601 UTC from the
epoch stamps), ``external_id`` (``ExternalId``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_provider_nxcloud.exceptions import UnreadableRecordError
from airflow_provider_nxcloud.exports.checks import check_not_shifted, check_page_size, check_whole_seconds
from airflow_provider_nxcloud.exports.engine import Interval, Page, PagedRecordSource, columns_of, iso
from airflow_provider_nxcloud.exports.values import as_text
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.platforms import fonedynamics
from airflow_provider_nxcloud.platforms.catalogs import lookup_code

LINE_KEYS = (
    "platform",
    "record_type",
    "message_id",
    "property_sid",
    "direction",
    "from",
    "to",
    "text",
    "status",
    "vendor_status",
    "error_code",
    "error_meaning",
    "segments",
    "delivery_receipt",
    "created_at",
    "scheduled_at",
    "submitted_at",
    "delivered_at",
    "external_id",
)
#: the lines' typed keys for Parquet output (every other key is a string column)
LINE_TYPES = {
    "segments": "int64",
    "delivery_receipt": "bool",
    "created_at": "timestamp",
    "scheduled_at": "timestamp",
    "submitted_at": "timestamp",
    "delivered_at": "timestamp",
}
#: the line schema as ``(name, type)`` columns (:data:`~.engine.COLUMN_TYPES`)
COLUMNS = columns_of(LINE_KEYS, LINE_TYPES)
#: the largest page size the export asks for (:data:`~.platforms.fonedynamics.MESSAGES_PAGE_MAX`)
PAGE_SIZE_MAX = fonedynamics.MESSAGES_PAGE_MAX
_STATUS = {
    fonedynamics.STATUS_DELIVERED: "delivered",
    fonedynamics.STATUS_FAILED: "failed",
    fonedynamics.STATUS_PROCESSING: "pending",
    fonedynamics.STATUS_SUBMITTED: "pending",
    fonedynamics.STATUS_RECEIVED: "received",
}


def _time(value: Any) -> str | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int | float):
        return iso(float(value))
    return str(value)  # a stamp in another form is kept as the vendor wrote it


def record_line(message: dict[str, Any]) -> dict[str, Any]:
    """One MessageResource as a line of the schema (:data:`LINE_KEYS`)."""
    vendor_status = as_text(message.get("Status"))
    code = as_text(message.get("ErrorCode"))
    info = lookup_code(fonedynamics.PLATFORM, fonedynamics.SERVICE, code) if code else None
    segments = message.get("NumSegments")
    receipt = message.get("DeliveryReceipt")
    return {
        "platform": fonedynamics.PLATFORM,
        "record_type": "sms",
        "message_id": as_text(message.get("MessageSid")),
        "property_sid": as_text(message.get("PropertySid")),
        "direction": as_text(message.get("Direction")),
        "from": as_text(message.get("From")),
        "to": as_text(message.get("To")),
        "text": message.get("Text") if isinstance(message.get("Text"), str) else None,
        "status": _STATUS.get(
            vendor_status or "", "pending" if vendor_status is None else vendor_status.lower()
        ),
        "vendor_status": vendor_status,
        "error_code": code,
        "error_meaning": info.meaning if info else None,
        "segments": segments if isinstance(segments, int) and not isinstance(segments, bool) else None,
        "delivery_receipt": receipt if isinstance(receipt, bool) else None,
        "created_at": _time(message.get("Created")),
        "scheduled_at": _time(message.get("Scheduled")),
        "submitted_at": _time(message.get("Submitted")),
        "delivered_at": _time(message.get("Delivered")),
        "external_id": as_text(message.get("ExternalId")),
    }


class FoneDynamicsMessages(PagedRecordSource[FoneDynamicsHook]):
    """A property's messages of one interval, in one window (see the module docstring)."""

    platform = fonedynamics.PLATFORM
    record_type = "sms"
    columns = COLUMNS
    #: find SMS documents no rate
    min_query_interval_s = 0.0
    #: a message is a resource of the property from its creation: listed at once
    settle_s = 0.0

    def __init__(
        self, hook: FoneDynamicsHook, interval: Interval, page_size: int, property_sid: str | None = None
    ) -> None:
        super().__init__(hook, interval, page_size)
        self.property_sid = property_sid

    def settings(self) -> dict[str, Any]:
        return {"page_size": self.page_size, "property_sid": self.hook.property_sid(self.property_sid)}

    def windows(self) -> list[str]:
        return [f"{int(self.interval.start)}-{int(self.interval.end)}"]

    def check(self, now: float) -> None:
        check_page_size(self.page_size, PAGE_SIZE_MAX)
        check_whole_seconds(self.interval, "find SMS takes epoch seconds")

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        skip = int((cursor or {}).get("skip", 0))
        previous_last = (cursor or {}).get("last")
        # a documented page ends on the first short page; a larger one only on an empty page (FD-10)
        assumed = self.page_size > fonedynamics.MESSAGES_PAGE_DEFAULT
        while True:
            messages = self.hook.list_messages(
                int(self.interval.start),
                int(self.interval.end),
                count=self.page_size,
                skip=skip,
                property_sid=self.property_sid,
            )
            if messages is None:
                raise UnreadableRecordError(
                    f"find SMS answered no message list for {window} after {skip} messages (ASSUMPTION [FD-2])"
                )
            previous_last = check_not_shifted(
                previous_last,
                [message.get("MessageSid") for message in messages],
                f"find SMS for {window} listed {previous_last} again after {skip} messages",
                "FD-8",
            )
            skip += len(messages)
            last = not messages if assumed else len(messages) < self.page_size
            yield Page([record_line(m) for m in messages], {"skip": skip, "last": previous_last}, last)
            if last:
                return
