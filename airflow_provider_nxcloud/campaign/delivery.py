"""Waiting for delivery reports: which messages to ask about, how to ask, and when the wait is over.

What is waited for is a (platform, kind) pair, one poller each (:data:`POLLERS`):
``sms`` on every platform, ``email`` (Buka) and ``voice`` calls (Buka, NXCloud), where
an answered call counts as delivered and a call that ended unanswered as failed.

Shared by the delivery sensors (synchronous hook, on a worker) and the delivery
trigger (async read-only transport, in the triggerer): both hand a
:class:`DeliveryTracker` a ``request(endpoint, **kwargs)`` callable and poll.

Where the message ids come from (the sensor picks exactly one):

* an explicit list (:func:`refs_from_ids`): ids, or ``{"message_id", "number",
  "date", "sent_at"}`` objects, or a comma-separated / JSON-array string;
* a send task's ``results_path`` (:func:`refs_from_results`): the ``accepted``
  lines' ``vendor_id``, ``number`` and ``sent_at``;
* a send task's XCom summary (:func:`refs_from_send_result`): its
  ``results_path`` when set, else its ``vendor_ids``. The summary keeps at most
  100 ids, so a larger campaign without ``results_path`` is refused rather than
  half-checked.

How each platform is asked (each poller plans its requests as :data:`Exchange` generators, free of I/O):

* Buka ``getReport`` (SMS) and ``getSendEmailRcd`` (email): up to 200 ids per
  request; ``0`` delivered (email: sent), ``1`` failed, ``-1`` still sending;
* Buka ``GET voice/recordGroup/{voiceId}`` (calls): one per call; ``terminationCode``
  200 (established) or an ``answerTime`` is answered, any other final code failed, no
  record yet (``-24``) pending;
* NXCloud ``getVoiceCdr`` (calls): one request per ``messageid`` (paged), over the 24
  hours from the send time the results line carries (``sent_at``; unknown: the last
  24 hours), at most one request a second (:class:`Pacer`); rows matched on the
  messageid and the number; ``Successful connection`` answered, ``Unsuccessful
  connection`` failed, no row yet pending;
* NXCloud ``/api/sms/get``: one messageid per request, with the day it was sent
  (``yyyyMMdd``). An id shared by several numbers (a request with several
  numbers gets one ``messageid``; its numbers' reports carry
  ``<messageid>-<10 digits>``) is found instead in the day's records
  (``/api/sms/getSmsCdr``, paged) by that prefix and the number. The pages do not
  say which zone the day is in (ASSUMPTION [NX-2]: UTC or the platform's UTC+8), so both
  readings are asked when they differ (:func:`~airflow_provider_nxcloud.platforms.nxcloud.record_days`)
  and their rows merged, each message counted once: from the send time (``sent_at``)
  when known; from a UTC ``date`` (or ``send_date``) that day and the next; when
  nothing is known, today in both readings and yesterday (UTC). The day that
  answered is remembered for later polls. ``dr`` ``DELIVRD`` is delivered, an
  empty ``dr`` pending, the operator's other final receipts (``UNDELIV``,
  ``REJECTD``, ``EXPIRED``, ...) failed;
* Fone Dynamics ``GET /v2/Messages/{sid}``: one per message; ``Delivered``
  delivered, ``Failed`` failed, ``Processing``/``Submitted`` pending, except
  that ``Submitted`` is final (counted delivered) when no receipt was requested.

A message the vendor does not know (Buka ``nofound`` or ``-24``, NXCloud code 1 on
every day tried or no call row, Fone Dynamics 404) stays *pending*: reports can lag
behind the send, and a wait that ends names such messages as ``not found`` in its
summary.

The wait succeeds when every message is final and ``delivered / total >=
min_delivered_ratio``; it fails as soon as so many have failed that the ratio
can no longer be reached.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_nxcloud.exceptions import InvalidInputError, PermanentAPIError, check_one_of
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.polling import AsyncRequest, Call, Pacer, Request, adrive, drive

PLATFORMS = ("buka", "nxcloud", "fonedynamics")

DELIVERED = "delivered"
FAILED = "failed"
PENDING = "pending"

#: verdicts of a wait (the trigger's event statuses add "timeout" and "error")
SUCCESS = "success"
FAILURE = "failure"

BUKA_REPORT_MAX_IDS = buka.REPORT_MAX_IDS
#: NXCloud getSmsCdr: rows per page (the vendor takes fewer than 1000) and pages read per day at most
NXCLOUD_RECORDS_PAGE_SIZE = 500
NXCLOUD_RECORDS_MAX_PAGES = 2000
#: how many failed / pending messages a summary names; the rest go to report_path
SAMPLE_SIZE = 20
#: what a message the vendor does not know (yet) is noted as
NOT_FOUND = "not found at the vendor (yet)"
#: NXCloud getVoiceCdr: rows per page (a request's numbers fit one) and pages read per id at most
NXCLOUD_CALLS_PAGE_SIZE = nxcloud.VOICE_MAX_NUMBERS
NXCLOUD_CALLS_MAX_PAGES = 100
#: a call-record window opens this long before the recorded send time (worker and vendor clocks differ)
NXCLOUD_CALLS_SLACK_S = 600

#: an SMS record's vendor time may follow the send time a results line carries by this much
#: (ASSUMPTION [NX-3]: not documented)
NXCLOUD_SEND_SLACK_S = 300

#: NXCloud operator receipts (reference §5.4) that end a message without delivering it
NXCLOUD_FAILED_RECEIPTS = {
    "UNDELIV": "undeliverable",
    "REJECTD": "rejected by the operator",
    "EXPIRED": "validity period expired",
    "DELETED": "deleted by the operator",
    "DND": "recipient is on a do-not-disturb list",
    "ESME_RINVDSTADR": "invalid destination number",
    "ESME_RINVSRCADR": "invalid sender",
    "UNKNOWN": "final state unknown",
}
#: SMPP states that are not final yet
NXCLOUD_PENDING_RECEIPTS = frozenset({"", "ENROUTE", "ACCEPTD", "SUBMITD"})


# ----- what to ask about ------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    """One message to wait for: the vendor's id, and what else is known about it."""

    message_id: str
    number: str | None = None
    #: the UTC day it was sent, ``yyyyMMdd`` (NXCloud's SMS query needs it)
    date: str | None = None
    #: when it was sent (a scheduled call: when it starts), epoch seconds (NXCloud's call records)
    sent_at: float | None = None

    def to_json(self) -> list[Any]:
        """Compact plain-JSON form (trigger kwargs): ``[message_id, number, date]``, then ``sent_at`` if known."""
        row: list[Any] = [self.message_id, self.number, self.date]
        return row if self.sent_at is None else [*row, self.sent_at]

    @classmethod
    def from_json(cls, value: Any) -> MessageRef:
        if isinstance(value, Mapping):
            return _ref_from_mapping(value, "message_ids")
        if isinstance(value, list | tuple) and value and isinstance(value[0], str):
            number, date, sent_at = [*value[1:4], None, None, None][:3]
            return cls(value[0], _text(number), compact_date(date), send_epoch(sent_at))
        raise InvalidInputError("messages", f"cannot read a message reference from {value!r}")


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def compact_date(value: Any) -> str | None:
    """A send day as ``yyyyMMdd`` (UTC) from ``yyyyMMdd``, ``yyyy-MM-dd``, ISO date-times or epoch seconds.

    Anything unreadable gives None (the NXCloud query then tries today and yesterday).
    """
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return text
    epoch = send_epoch(value)
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y%m%d")


def send_epoch(value: Any) -> float | None:
    """A send time as epoch seconds, from epoch seconds or ISO 8601 text (UTC unless it names a zone).

    Anything unreadable gives None.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _send_date(item: Mapping[str, Any]) -> str | None:
    for key in ("date", "send_date", "sent_at"):
        date = compact_date(item.get(key))
        if date:
            return date
    return None


def _ref_from_mapping(item: Mapping[str, Any], parameter: str) -> MessageRef:
    message_id = _text(item.get("message_id") or item.get("vendor_id") or item.get("id"))
    if message_id is None:
        raise InvalidInputError(parameter, f"an entry has no message_id: {dict(item)!r}")
    return MessageRef(
        message_id, _text(item.get("number")), _send_date(item), send_epoch(item.get("sent_at"))
    )


def _unique(refs: Iterable[MessageRef]) -> list[MessageRef]:
    # keyed by id and number: NXCloud gives every number of one request the same id
    seen: dict[tuple[str, str | None], MessageRef] = {}
    for ref in refs:
        seen.setdefault((ref.message_id, ref.number), ref)
    return list(seen.values())


def refs_from_ids(value: Any, parameter: str = "message_ids") -> list[MessageRef]:
    """Message ids given directly: a list of ids or objects, or a comma-separated / JSON-array string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise InvalidInputError(parameter, "looks like a JSON array but is not valid JSON") from None
        else:
            value = [part for part in text.replace("\n", ",").split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidInputError(parameter, f"must be a list of message ids, not {type(value).__name__}")
    refs = []
    for item in value:
        if isinstance(item, Mapping):
            refs.append(_ref_from_mapping(item, parameter))
        elif isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            refs.append(MessageRef(str(item).strip()))
        else:
            raise InvalidInputError(parameter, f"holds {item!r}, which is not a message id")
    return _unique(refs)


def refs_from_results(results_path: Any) -> list[MessageRef]:
    """The accepted recipients of a send task's results file (lines without a vendor id are skipped)."""
    from airflow_provider_nxcloud.campaign.results import read_results

    try:
        lines = list(read_results(results_path))
    except FileNotFoundError:
        raise InvalidInputError("results_path", f"{results_path} does not exist") from None
    except ValueError as exc:
        raise InvalidInputError("results_path", f"{results_path} is not JSON Lines ({exc})") from None
    return _unique(
        MessageRef(
            str(line["vendor_id"]),
            _text(line.get("number")),
            _send_date(line),
            send_epoch(line.get("sent_at")),
        )
        for line in lines
        if line.get("status", "accepted") == "accepted" and _text(line.get("vendor_id"))
    )


def refs_from_send_result(result: Any, platform: str, parameter: str = "send_task_id") -> list[MessageRef]:
    """The messages of a send task's XCom summary (one dict, or a list of them from a mapped task)."""
    results = result if isinstance(result, list | tuple) else [result]
    refs: list[MessageRef] = []
    for item in results:
        if not isinstance(item, Mapping):
            raise InvalidInputError(parameter, f"its XCom is not a send summary: {item!r}")
        sent_by = item.get("platform")
        if sent_by and sent_by != platform:
            raise InvalidInputError(parameter, f"sent through {sent_by}, but this waits on {platform}")
        if item.get("results_path"):
            refs.extend(refs_from_results(item["results_path"]))
            continue
        ids = [str(i) for i in item.get("vendor_ids") or [] if i]
        accepted = item.get("accepted")
        if isinstance(accepted, int) and accepted > len(ids):
            # the XCom keeps at most 100 ids, and NXCloud gives all numbers of a request one id
            raise InvalidInputError(
                parameter,
                f"its XCom names {len(ids)} message ids for {accepted} accepted messages; give the send "
                "task a results_path so that every message can be checked",
            )
        date, sent_at = _send_date(item), send_epoch(item.get("sent_at"))
        refs.extend(MessageRef(i, None, date, sent_at) for i in ids)
    return _unique(refs)


# ----- what the vendor says ---------------------------------------------------------------------


@dataclass(frozen=True)
class MessageStatus:
    message_id: str
    #: delivered, failed or pending
    outcome: str
    number: str | None = None
    #: the vendor's own word for it (Buka 0/1/-1, NXCloud dr, Fone Dynamics Status)
    vendor_status: str | None = None
    #: why it failed; for a pending message, a note (``not found``) if any
    reason: str | None = None

    def to_row(self) -> list[str | None]:
        return [self.message_id, self.number, self.outcome, self.vendor_status, self.reason]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> MessageStatus:
        message_id, number, outcome, vendor_status, reason = [*row, None, None, None, None, None][:5]
        return cls(str(message_id), outcome or PENDING, number, vendor_status, reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "number": self.number,
            "outcome": self.outcome,
            "vendor_status": self.vendor_status,
            "reason": self.reason,
        }


#: A conversation about some messages, written without I/O: it yields the
#: :class:`Call` it needs, is sent the parsed reply (or has the vendor's
#: :class:`PermanentAPIError` thrown in), and returns one status per message it
#: was given, in order. The sensors drive it synchronously, the trigger with await.
Exchange = Generator[Call, Any, list[MessageStatus]]
#: an exchange with the messages it answers for
Planned = tuple[Sequence[MessageRef], Exchange]


class Poller(Protocol):
    """How one platform is asked about one kind of message; pure, no I/O."""

    platform: str
    #: "sms", "email" or "voice"
    kind: str

    def expect(self, refs: Sequence[MessageRef]) -> None:
        """Called once with every message of the wait, before the first poll."""

    def exchanges(self, refs: Sequence[MessageRef]) -> list[Planned]:
        """The conversations of one poll round about ``refs`` (the messages not final yet)."""
        ...


def _not_found(ref: MessageRef) -> MessageStatus:
    return MessageStatus(ref.message_id, PENDING, ref.number, None, NOT_FOUND)


def _digits(number: Any) -> str:
    return "".join(ch for ch in str(number or "") if ch.isdigit())


@dataclass(frozen=True)
class BukaReport:
    """One of Buka's status queries: ids in, ``0`` / ``1`` / ``-1`` per known id out."""

    kind: str
    #: the hook's read of up to ``max_ids`` ids: ``call(app_id, ids)``
    call: Callable[[str, Sequence[str]], Call]
    #: the row fields naming the id and the recipient
    id_field: str
    to_field: str
    max_ids: int
    #: the reason given for status 1
    failed: str


BUKA_REPORTS = {
    "sms": BukaReport(
        "sms",
        BukaHook.report_call,
        "msgId",
        "number",
        BUKA_REPORT_MAX_IDS,
        "Buka report status 1: not delivered",
    ),
    "email": BukaReport(
        "email",
        BukaHook.email_records_call,
        "emailId",
        "toAddress",
        buka.EMAIL_QUERY_MAX_IDS,
        "Buka email status 1: not sent",
    ),
}


class BukaPoller:
    """``getReport`` (SMS) or ``getSendEmailRcd`` (email): up to 200 ids per request; unknown ids are left out."""

    platform = "buka"

    def __init__(self, app_id: str, report: BukaReport = BUKA_REPORTS["sms"]) -> None:
        self.app_id = app_id
        self.report = report
        self.kind = report.kind

    def expect(self, refs: Sequence[MessageRef]) -> None:
        pass

    def exchanges(self, refs: Sequence[MessageRef]) -> list[Planned]:
        step = self.report.max_ids
        chunks = [refs[i : i + step] for i in range(0, len(refs), step)]
        return [(chunk, self._report(chunk)) for chunk in chunks]

    def _report(self, refs: Sequence[MessageRef]) -> Exchange:
        spec = self.report
        reply = yield spec.call(self.app_id, [r.message_id for r in refs])
        rows = {
            str(row.get(spec.id_field)): row
            for row in (reply or {}).get("array") or []
            if isinstance(row, dict)
        }
        return [self._status(ref, rows.get(ref.message_id)) for ref in refs]

    def _status(self, ref: MessageRef, row: Mapping[str, Any] | None) -> MessageStatus:
        if row is None:
            return _not_found(ref)
        number = ref.number or _text(row.get(self.report.to_field))
        raw = str(row.get("status")).strip()
        if raw == "0":
            return MessageStatus(ref.message_id, DELIVERED, number, raw)
        if raw == "1":
            return MessageStatus(ref.message_id, FAILED, number, raw, self.report.failed)
        return MessageStatus(ref.message_id, PENDING, number, raw)


class _OneByOnePoller:
    """One ``GET`` per message, its id in the path; an id the vendor does not know (yet) stays pending."""

    platform: str
    kind: str
    #: the codes that mean "no such id"
    not_found: frozenset[str]

    def expect(self, refs: Sequence[MessageRef]) -> None:
        pass

    def exchanges(self, refs: Sequence[MessageRef]) -> list[Planned]:
        return [((ref,), self._get(ref)) for ref in refs]

    def _get(self, ref: MessageRef) -> Exchange:
        try:
            reply = yield self.call(ref.message_id)
        except PermanentAPIError as exc:
            if exc.code in self.not_found:
                return [_not_found(ref)]
            raise
        return [self.status(ref, reply or {})]

    def call(self, message_id: str) -> Call:
        """The hook's read of one message."""
        raise NotImplementedError

    def status(self, ref: MessageRef, reply: Mapping[str, Any]) -> MessageStatus:
        raise NotImplementedError


class BukaCallPoller(_OneByOnePoller):
    """``GET voice/recordGroup/{voiceId}``: a call's record, written once it has ended."""

    platform = "buka"
    kind = "voice"
    not_found = frozenset({"-24"})

    def call(self, message_id: str) -> Call:
        return BukaHook.voice_call_record_call(message_id)

    def status(self, ref: MessageRef, reply: Mapping[str, Any]) -> MessageStatus:
        record = reply.get("data")
        if isinstance(record, list):  # one record is documented; accept a list of one
            record = record[0] if record else None
        if not isinstance(record, Mapping):
            return _not_found(ref)
        number = ref.number or _text(record.get("callee"))
        code = _text(record.get("terminationCode"))
        if code == "200" or _text(record.get("answerTime")):
            return MessageStatus(ref.message_id, DELIVERED, number, code)
        if code in (None, "0") and not _text(record.get("hangupTime")):
            return MessageStatus(ref.message_id, PENDING, number, code)
        why = _text(record.get("terminationReason")) or "no reason given"
        return MessageStatus(
            ref.message_id, FAILED, number, code, f"not answered: terminationCode {code}, {why}"
        )


class NXCloudPoller:
    """The legacy report API, with the SMS app's appkey/secretkey in the form.

    A message id that names one message is asked about with ``/api/sms/get``. An
    id shared by several numbers is the ``messageid`` of a request with several
    numbers: its numbers' reports carry ``<messageid>-<10 digits>``, which no
    reply returned, so the day's records (``getSmsCdr``) are read page by page and
    matched on that prefix and the number.
    """

    platform = "nxcloud"
    kind = "sms"

    def __init__(self, app_key: str, app_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._keys = (app_key, app_secret)
        self.clock = clock
        #: ids shared by several numbers (a request's messageid)
        self._shared: set[str] = set()
        #: the day that answered for a message whose send day was unknown
        self._found_on: dict[str, str] = {}

    def expect(self, refs: Sequence[MessageRef]) -> None:
        seen: set[str] = set()
        for ref in refs:
            if ref.message_id in seen:
                self._shared.add(ref.message_id)
            seen.add(ref.message_id)

    def days_to_try(self, ref: MessageRef) -> tuple[str, ...]:
        """The record days (yyyyMMdd) that may hold ``ref``, in both readings of the vendor's day."""
        found = self._found_on.get(ref.message_id)
        if found:
            return (found,)
        now = self.clock()
        if ref.sent_at is not None:
            # the send time is taken before the request: the vendor stamps it a little later
            days = (
                *nxcloud.record_days(ref.sent_at),
                *nxcloud.record_days(ref.sent_at + NXCLOUD_SEND_SLACK_S),
            )
        elif ref.date:
            # a UTC day: the UTC+8 reading of any moment of it is that day or the next
            utc_day = dt.datetime.strptime(ref.date, nxcloud.SMS_RECORD_DATE_FORMAT)
            days = (ref.date, (utc_day + dt.timedelta(days=1)).strftime(nxcloud.SMS_RECORD_DATE_FORMAT))
        else:
            days = (*nxcloud.record_days(now), *nxcloud.record_days(now - 86400))
        latest = max(nxcloud.record_days(now))  # no reading has reached a later day yet
        return tuple(sorted({day for day in days if day <= latest}, reverse=True))

    def exchanges(self, refs: Sequence[MessageRef]) -> list[Planned]:
        planned: list[Planned] = []
        by_days: dict[tuple[str, ...], list[MessageRef]] = {}
        for ref in refs:
            if ref.message_id in self._shared:
                by_days.setdefault(self.days_to_try(ref), []).append(ref)
            else:
                planned.append(((ref,), self._get(ref)))
        return planned + [(group, self._list(days, group)) for days, group in by_days.items()]

    def _get(self, ref: MessageRef) -> Exchange:
        days = self.days_to_try(ref)
        out_of_range: list[PermanentAPIError] = []
        for day in days:
            try:
                reply = yield NXCloudHook.sms_record_call(*self._keys, ref.message_id, day)
            except PermanentAPIError as exc:
                if exc.code == "1":  # also the answer for an id unknown on that day
                    continue
                if exc.code == "3":  # that day is outside the 31 days in one reading of it
                    out_of_range.append(exc)
                    continue
                raise
            self._found_on[ref.message_id] = day
            row = (reply or {}).get("row") or {}
            if isinstance(row, list):  # one row is documented; accept a list of one
                row = row[0] if row else {}
            return [self._status(ref, row)]
        if out_of_range and len(out_of_range) == len(days):
            raise out_of_range[-1]
        return [_not_found(ref)]

    def _list(self, days: Sequence[str], refs: Sequence[MessageRef]) -> Exchange:
        missing = {(ref.message_id, _digits(ref.number)): ref for ref in refs}
        found: dict[tuple[str, str], MessageStatus] = {}
        out_of_range: list[PermanentAPIError] = []
        for day in days:
            page = 1
            while missing and page <= NXCLOUD_RECORDS_MAX_PAGES:
                call = NXCloudHook.sms_records_call(*self._keys, day, page, NXCLOUD_RECORDS_PAGE_SIZE)
                try:
                    reply = yield call
                except PermanentAPIError as exc:
                    if exc.code != "3":
                        raise
                    out_of_range.append(exc)  # that day is outside the 31 days in one reading of it
                    break
                info = (reply or {}).get("info") or {}
                rows = [row for row in info.get("rows") or [] if isinstance(row, dict)]
                for row in rows:
                    msgid, phone = str(row.get("msgid") or ""), _digits(row.get("phone"))
                    key = next(
                        (k for k in ((msgid, phone), (msgid.rsplit("-", 1)[0], phone)) if k in missing), None
                    )
                    if key is not None:
                        ref = missing.pop(key)
                        found[key] = self._status(ref, row)
                        self._found_on[ref.message_id] = day
                total = info.get("total")
                if not rows or (isinstance(total, int) and page * NXCLOUD_RECORDS_PAGE_SIZE >= total):
                    break
                page += 1
        if out_of_range and len(out_of_range) == len(days):
            raise out_of_range[-1]
        return [found.get((r.message_id, _digits(r.number))) or _not_found(r) for r in refs]

    @staticmethod
    def _status(ref: MessageRef, row: Mapping[str, Any]) -> MessageStatus:
        number = ref.number or _text(row.get("phone"))
        receipt = str(row.get("dr") or "").strip().upper()
        summary = str(row.get("dr_status") or "").strip()
        if receipt == "DELIVRD" or (not receipt and summary.lower() == "successful"):
            return MessageStatus(ref.message_id, DELIVERED, number, receipt or summary)
        if receipt in NXCLOUD_FAILED_RECEIPTS:
            reason = f"{receipt}: {NXCLOUD_FAILED_RECEIPTS[receipt]}"
            return MessageStatus(ref.message_id, FAILED, number, receipt, reason)
        if not receipt and summary.lower() == "failed":
            return MessageStatus(ref.message_id, FAILED, number, summary, "Failed (no operator receipt)")
        note = None if receipt in NXCLOUD_PENDING_RECEIPTS else f"unrecognised receipt {receipt!r}"
        return MessageStatus(ref.message_id, PENDING, number, receipt or None, note)


class NXCloudVoicePoller:
    """``getVoiceCdr``: one messageid at a time, over the 24 hours from its send time, one request a second.

    A request's numbers share its messageid, so the rows are matched on it and the
    number (``countryCode`` + ``phone``). A call's row appears once the call has ended.
    """

    platform = "nxcloud"
    kind = "voice"

    def __init__(
        self, app_key: str, app_secret: str, voice_type: int, clock: Callable[[], float] = time.time
    ) -> None:
        if voice_type not in set(nxcloud.VOICE_CDR_TYPES.values()):
            raise InvalidInputError(
                "voice_type", f"must be 0 (group call) or 1 (notification), not {voice_type!r}"
            )
        self._keys = (app_key, app_secret)
        self.voice_type = voice_type
        self.clock = clock

    def expect(self, refs: Sequence[MessageRef]) -> None:
        # getVoiceCdr reaches back 7 days; older calls would only ever answer "query failed"
        oldest = self.clock() - nxcloud.VOICE_CDR_DAYS * 86400
        stale = sorted({ref.message_id for ref in refs if ref.sent_at is not None and ref.sent_at < oldest})
        if stale:
            raise InvalidInputError(
                "message_ids",
                f"NXCloud keeps call records for {nxcloud.VOICE_CDR_DAYS} days; these calls are older: "
                + ", ".join(stale[:SAMPLE_SIZE]),
            )

    def exchanges(self, refs: Sequence[MessageRef]) -> list[Planned]:
        by_id: dict[str, list[MessageRef]] = {}
        for ref in refs:
            by_id.setdefault(ref.message_id, []).append(ref)
        return [(group, self._calls(group)) for group in by_id.values()]

    def window(self, refs: Sequence[MessageRef]) -> tuple[str, str]:
        """``start_time`` and ``end_time``: 24 hours from the earliest send time, else the last 24 hours."""
        sent = [ref.sent_at for ref in refs if ref.sent_at is not None]
        span = nxcloud.VOICE_CDR_MAX_WINDOW_S
        now = self.clock()
        start = min(sent) - NXCLOUD_CALLS_SLACK_S if sent else now - span
        # the slack must not reach past the 7 days the query covers
        start = max(start, now - nxcloud.VOICE_CDR_DAYS * 86400 + 60)
        return _cdr_time(start), _cdr_time(start + span)

    def _calls(self, refs: Sequence[MessageRef]) -> Exchange:
        message_id = refs[0].message_id
        start, end = self.window(refs)
        missing = {_digits(ref.number): ref for ref in refs}
        found: dict[str, MessageStatus] = {}
        page = 1
        while missing and page <= NXCLOUD_CALLS_MAX_PAGES:
            reply = yield NXCloudHook.voice_records_call(
                *self._keys,
                self.voice_type,
                start_time=start,
                end_time=end,
                page=page,
                page_size=NXCLOUD_CALLS_PAGE_SIZE,
                message_id=message_id,
            )
            info = (reply or {}).get("info") or {}
            rows = [row for row in info.get("rows") or [] if isinstance(row, dict)]
            for row in rows:
                key = (
                    _call_key(row, missing) if str(row.get("messageid") or message_id) == message_id else None
                )
                if key is not None:
                    found[key] = self._status(missing.pop(key), row)
            if not rows or page * NXCLOUD_CALLS_PAGE_SIZE >= _whole(info.get("total"), len(rows)):
                break
            page += 1
        return [found.get(_digits(ref.number)) or _not_found(ref) for ref in refs]

    @staticmethod
    def _status(ref: MessageRef, row: Mapping[str, Any]) -> MessageStatus:
        number = ref.number or _digits(f"{row.get('countryCode') or ''}{row.get('phone') or ''}") or None
        result = str(row.get("result") or "").strip()
        if result.lower() == nxcloud.VOICE_CDR_ANSWERED.lower():
            return MessageStatus(ref.message_id, DELIVERED, number, result)
        if result.lower() == nxcloud.VOICE_CDR_UNANSWERED.lower():
            return MessageStatus(ref.message_id, FAILED, number, result, f"not answered: {result}")
        return MessageStatus(
            ref.message_id, PENDING, number, result or None, f"unrecognised result {result!r}"
        )


def _cdr_time(epoch: float) -> str:
    # the vendor does not say which zone its times are in; UTC is assumed, as for the SMS records
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime(nxcloud.VOICE_TIME_FORMAT)


def _call_key(row: Mapping[str, Any], missing: Mapping[str, MessageRef]) -> str | None:
    """Which awaited number a call row is for: country code and phone, the phone alone, or any (no number known).

    ASSUMPTION [NX-19]: rows show the national number and ``countryCode``, as the record page's example.
    """
    phone = _digits(row.get("phone"))
    for key in (_digits(row.get("countryCode")) + phone, phone, ""):
        if key in missing:
            return key
    return None


def _whole(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class FoneDynamicsPoller(_OneByOnePoller):
    """``GET /v2/Messages/{sid}``, one per message (the hook's ``get_message``, as a poll
    conversation: the request goes through :data:`Call` so sensor and trigger share it)."""

    platform = "fonedynamics"
    kind = "sms"
    not_found = frozenset({"MESSAGE_NOT_FOUND", "404"})

    def call(self, message_id: str) -> Call:
        return FoneDynamicsHook.get_message_call(message_id)

    def status(self, ref: MessageRef, reply: Mapping[str, Any]) -> MessageStatus:
        # Status values: fonedynamics-csharp MessageStatus.cs, the get-SMS page
        message = fonedynamics.message_of(reply)
        number = ref.number or _text(message.get("To"))
        status = str(message.get("Status") or "").strip()
        word = status.lower()
        if word == fonedynamics.STATUS_DELIVERED.lower():
            return MessageStatus(ref.message_id, DELIVERED, number, status)
        if word == fonedynamics.STATUS_FAILED.lower():
            code = _text(message.get("ErrorCode"))
            reason = f"Failed ({code})" if code else "Failed: could not be submitted"
            return MessageStatus(ref.message_id, FAILED, number, status, reason)
        if word == fonedynamics.STATUS_SUBMITTED.lower() and message.get("DeliveryReceipt") is False:
            # without a receipt requested, Submitted is as far as a message's status goes
            return MessageStatus(ref.message_id, DELIVERED, number, status, "no delivery receipt requested")
        if word == fonedynamics.STATUS_RECEIVED.lower():
            return MessageStatus(ref.message_id, FAILED, number, status, "an inbound message, not a send")
        return MessageStatus(ref.message_id, PENDING, number, status or None)


#: builds a poller from (hook with its connection loaded, appId override, clock, options)
PollerBuilder = Callable[[Any, "str | None", Callable[[], float], Mapping[str, Any]], Poller]


def _nxcloud_voice(
    hook: Any, app_id: str | None, clock: Callable[[], float], options: Mapping[str, Any]
) -> Poller:
    voice_type = options.get("voice_type", nxcloud.VOICE_CDR_TYPES["voice_notify"])
    return NXCloudVoicePoller(
        hook.app_key("voice_app_key"), hook.app_key("voice_app_secret"), voice_type, clock
    )


#: (platform, kind) -> its poller
POLLERS: dict[tuple[str, str], PollerBuilder] = {
    ("buka", "sms"): lambda hook, app_id, clock, options: BukaPoller(hook.app_id("sms", app_id)),
    ("buka", "email"): lambda hook, app_id, clock, options: BukaPoller(
        hook.app_id("email", app_id), BUKA_REPORTS["email"]
    ),
    ("buka", "voice"): lambda hook, app_id, clock, options: BukaCallPoller(),
    ("nxcloud", "sms"): lambda hook, app_id, clock, options: NXCloudPoller(
        hook.app_key("sms_app_key"), hook.app_key("sms_app_secret"), clock
    ),
    ("nxcloud", "voice"): _nxcloud_voice,
    ("fonedynamics", "sms"): lambda hook, app_id, clock, options: FoneDynamicsPoller(),
}


def poller_for(
    platform: str,
    hook: Any,
    *,
    kind: str = "sms",
    app_id: str | None = None,
    clock: Callable[[], float] = time.time,
    options: Mapping[str, Any] | None = None,
) -> Poller:
    """The poller of (platform, kind), its app credentials read from the hook's (already loaded) connection.

    ``options`` are the poller's own settings (NXCloud calls: ``voice_type``).
    """
    builder = POLLERS.get((check_one_of("platform", platform, PLATFORMS), kind))
    if builder is None:
        kinds = ", ".join(k for p, k in POLLERS if p == platform)
        raise InvalidInputError("kind", f"{platform} reports on {kinds}, not {kind!r}")
    return builder(hook, app_id, clock, options or {})


# ----- the verdict ---------------------------------------------------------------------------------


def check_ratio(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInputError("min_delivered_ratio", f"must be a number from 0 to 1, not {value!r}")
    return float(value)


@dataclass
class DeliveryReport:
    """Where a set of messages stands, and whether that is good enough."""

    platform: str
    statuses: list[MessageStatus]
    min_delivered_ratio: float = 1.0
    #: "sms", "email" or "voice" (where "delivered" means answered)
    kind: str = "sms"

    def _count(self, outcome: str) -> int:
        return sum(1 for s in self.statuses if s.outcome == outcome)

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def delivered(self) -> int:
        return self._count(DELIVERED)

    @property
    def failed(self) -> int:
        return self._count(FAILED)

    @property
    def pending(self) -> int:
        return self._count(PENDING)

    @property
    def delivered_ratio(self) -> float:
        return self.delivered / self.total if self.total else 1.0

    def verdict(self) -> str:
        """``success`` (all final, ratio met), ``failure`` (ratio can no longer be met) or ``pending``."""
        total = self.total
        if total == 0:
            return SUCCESS
        if (total - self.failed) / total < self.min_delivered_ratio:
            return FAILURE
        if self.pending:
            return PENDING
        return SUCCESS if self.delivered_ratio >= self.min_delivered_ratio else FAILURE

    def failures(self) -> list[MessageStatus]:
        return [s for s in self.statuses if s.outcome == FAILED]

    def failure_reasons(self) -> dict[str, int]:
        reasons: dict[str, int] = {}
        for status in self.failures():
            key = status.reason or "failed"
            reasons[key] = reasons.get(key, 0) + 1
        return reasons

    def summary(self) -> dict[str, Any]:
        """The small plain-JSON summary (XCom, trigger events); samples, never every message."""
        pending = [s for s in self.statuses if s.outcome == PENDING]
        return {
            "platform": self.platform,
            "kind": self.kind,
            "total": self.total,
            "delivered": self.delivered,
            "failed": self.failed,
            "pending": len(pending),
            "delivered_ratio": round(self.delivered_ratio, 6),
            "min_delivered_ratio": self.min_delivered_ratio,
            "failure_reasons": self.failure_reasons(),
            "failed_sample": [_sample(s) for s in self.failures()[:SAMPLE_SIZE]],
            "pending_sample": [_sample(s) for s in pending[:SAMPLE_SIZE]],
        }


def _sample(status: MessageStatus) -> dict[str, Any]:
    return {"number": status.number, "message_id": status.message_id, "reason": status.reason}


def describe(summary: Mapping[str, Any]) -> str:
    """One readable sentence from a summary: counts, then the failed numbers and why."""
    total = summary.get("total", 0)
    reached = "answered" if summary.get("kind") == "voice" else "delivered"
    text = (
        f"{summary.get('platform')}: {summary.get('delivered', 0)} of {total} {reached} "
        f"({float(summary.get('delivered_ratio', 0)):.1%}, at least "
        f"{float(summary.get('min_delivered_ratio', 1)):.1%} required), {summary.get('failed', 0)} failed, "
        f"{summary.get('pending', 0)} pending"
    )
    failed = summary.get("failed_sample") or []
    if failed:
        names = ", ".join(f"{s.get('number') or s.get('message_id')} ({s.get('reason')})" for s in failed)
        more = int(summary.get("failed", 0)) - len(failed)
        text += f". Failed: {names}" + (f" and {more} more" if more > 0 else "")
    pending = summary.get("pending_sample") or []
    if pending:
        names = ", ".join(
            str(s.get("number") or s.get("message_id")) + (f" ({s['reason']})" if s.get("reason") else "")
            for s in pending
        )
        more = int(summary.get("pending", 0)) - len(pending)
        text += f". Pending: {names}" + (f" and {more} more" if more > 0 else "")
    if summary.get("report_path"):
        text += f". Every message: {summary['report_path']}"
    return text


def write_report(path: Any, statuses: Iterable[MessageStatus]) -> int:
    """One JSON line per message at ``path`` (any ``ObjectStoragePath``); returns the line count."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    target = path if isinstance(path, ObjectStoragePath) else ObjectStoragePath(str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(s.to_json(), ensure_ascii=False) for s in statuses]
    target.write_text("".join(f"{line}\n" for line in lines))
    return len(lines)


# ----- polling -------------------------------------------------------------------------------------


def _key(ref: MessageRef) -> tuple[str, str | None]:
    return (ref.message_id, ref.number)


@dataclass
class DeliveryTracker:
    """The state of one wait: every message's latest status; each poll asks only about unfinished ones.

    A poll that raises part-way keeps what the exchanges before the error found.
    """

    poller: Poller
    refs: list[MessageRef]
    min_delivered_ratio: float = 1.0
    pacer: Pacer = field(default_factory=Pacer)
    statuses: dict[tuple[str, str | None], MessageStatus] = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = {_key(ref): MessageStatus(ref.message_id, PENDING, ref.number) for ref in self.refs}
        self.poller.expect(self.refs)

    def unfinished(self) -> list[MessageRef]:
        return [ref for ref in self.refs if self.statuses[_key(ref)].outcome == PENDING]

    def _record(self, refs: Sequence[MessageRef], found: Sequence[MessageStatus]) -> None:
        for ref, status in zip(refs, found, strict=True):
            self.statuses[_key(ref)] = status

    def poll(self, request: Request, sleep: Callable[[float], Any] = time.sleep) -> DeliveryReport:
        """One round through a synchronous ``request(endpoint, **kwargs)`` (a hook's)."""
        for refs, exchange in self.poller.exchanges(self.unfinished()):
            self._record(refs, drive(exchange, request, self.pacer, sleep))
        return self.report()

    async def apoll(
        self, request: AsyncRequest, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    ) -> DeliveryReport:
        """One round through an async ``request(endpoint, **kwargs)`` (a read-only async transport's)."""
        for refs, exchange in self.poller.exchanges(self.unfinished()):
            self._record(refs, await adrive(exchange, request, self.pacer, sleep))
        return self.report()

    def report(self) -> DeliveryReport:
        return DeliveryReport(
            self.poller.platform,
            [self.statuses[_key(r)] for r in self.refs],
            self.min_delivered_ratio,
            self.poller.kind,
        )
