"""How each platform is asked about delivery: one poller per (platform, kind) pair (:data:`POLLERS`).

What is waited for is ``sms`` on every platform, ``email`` (Buka) and ``voice`` calls
(Buka, NXCloud), where an answered call counts as delivered and a call that ended
unanswered as failed. The wait itself is
:class:`~airflow_provider_nxcloud.campaign.delivery.watch.DeliveryWatch`: it asks a
poller about the messages not final yet, a window of the poller's
:attr:`Poller.request_size` at a time, through the sensor's synchronous hook or the
trigger's async transport (the conversations here are the same code for both).

How each platform is asked (each poller plans its requests as :data:`Exchange` generators, free of I/O):

* Buka ``getReport`` (SMS) and ``getSendEmailRcd`` (email): up to 200 ids per
  request; ``0`` delivered (email: sent), ``1`` failed, ``-1`` still sending;
* Buka ``GET voice/recordGroup/{voiceId}`` (calls): one per call; ``terminationCode``
  200 (established) or an ``answerTime`` is answered, any other final code failed, no
  record yet (``-24``) pending;
* NXCloud ``getVoiceCdr`` (calls): one request per ``messageid`` (paged), over the 24
  hours from the send time the results line carries (``sent_at``; unknown: the last
  24 hours), at most one request a second (:class:`~airflow_provider_nxcloud.polling.Pacer`); rows matched on the
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
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from airflow_provider_nxcloud.campaign.delivery.messages import (
    DELIVERED,
    FAILED,
    NOT_FOUND,
    PENDING,
    SAMPLE_SIZE,
    MessageRef,
    MessageStatus,
    text_or_none,
)
from airflow_provider_nxcloud.exceptions import InvalidInputError, PermanentAPIError, check_one_of
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.polling import Call

PLATFORMS = ("buka", "nxcloud", "fonedynamics")

BUKA_REPORT_MAX_IDS = buka.REPORT_MAX_IDS
#: NXCloud getSmsCdr: rows per page (the vendor takes fewer than 1000) and pages read per day at most
NXCLOUD_RECORDS_PAGE_SIZE = 500
NXCLOUD_RECORDS_MAX_PAGES = 2000
#: NXCloud getVoiceCdr: rows per page (a request's numbers fit one) and pages read per id at most
NXCLOUD_CALLS_PAGE_SIZE = nxcloud.VOICE_MAX_NUMBERS
NXCLOUD_CALLS_MAX_PAGES = 100
#: a call-record window opens this long before the recorded send time (worker and vendor clocks differ)
NXCLOUD_CALLS_SLACK_S = 600

#: an SMS record's vendor time may follow the send time a results line carries by this much
#: (ASSUMPTION [NX-3]: not documented)
NXCLOUD_SEND_SLACK_S = 300


# ----- how to ask ------------------------------------------------------------------------------


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
    #: how many messages one request asks about (a delivery watch reads its messages in windows of this many)
    request_size: int

    def expect(self, refs: Sequence[MessageRef]) -> None:
        """Called with the messages of a wait (a delivery watch: of one window) before they are asked about."""

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
        self.request_size = report.max_ids

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
        number = ref.number or text_or_none(row.get(self.report.to_field))
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
    request_size = 1

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
        number = ref.number or text_or_none(record.get("callee"))
        code = text_or_none(record.get("terminationCode"))
        if code == "200" or text_or_none(record.get("answerTime")):
            return MessageStatus(ref.message_id, DELIVERED, number, code)
        if code in (None, "0") and not text_or_none(record.get("hangupTime")):
            return MessageStatus(ref.message_id, PENDING, number, code)
        why = text_or_none(record.get("terminationReason")) or "no reason given"
        return MessageStatus(
            ref.message_id, FAILED, number, code, f"not answered: terminationCode {code}, {why}"
        )


class AwaitedRecords(Protocol):
    """The messages a read of NXCloud's day records looks for (:meth:`NXCloudPoller.list_records`)."""

    def waiting(self) -> bool:
        """Whether some message is still not found."""
        ...

    def claim(self, keys: Sequence[tuple[tuple[str, str], ...]]) -> list[MessageRef | None]:
        """For each record row's candidate ``(message id, number digits)`` keys, the awaited message
        it is (no longer awaited from now on) or None."""
        ...

    def record(self, ref: MessageRef, status: MessageStatus, day: str) -> None:
        """What the record found on ``day`` says about ``ref``."""
        ...


class _AwaitedRecords:
    def __init__(self, refs: Sequence[MessageRef]) -> None:
        self.missing = {(ref.message_id, _digits(ref.number)): ref for ref in refs}
        self.found: dict[tuple[str, str], MessageStatus] = {}
        self.days: dict[str, str] = {}

    def waiting(self) -> bool:
        return bool(self.missing)

    def claim(self, keys: Sequence[tuple[tuple[str, str], ...]]) -> list[MessageRef | None]:
        claimed: list[MessageRef | None] = []
        for candidates in keys:
            key = next((k for k in candidates if k in self.missing), None)
            claimed.append(None if key is None else self.missing.pop(key))
        return claimed

    def record(self, ref: MessageRef, status: MessageStatus, day: str) -> None:
        self.found[(ref.message_id, _digits(ref.number))] = status
        self.days[ref.message_id] = day


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
    request_size = 1

    def __init__(self, app_key: str, app_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._keys = (app_key, app_secret)
        self.clock = clock
        #: ids shared by several numbers (a request's messageid); a delivery watch keeps them in its
        #: store and asks about them with :meth:`list_records` once a round, never through here
        self.shared: set[str] = set()
        #: the day that answered for a message; a delivery watch sets and reads it per window
        self.found_on: dict[str, str] = {}

    def expect(self, refs: Sequence[MessageRef]) -> None:
        seen: set[str] = set()
        for ref in refs:
            if ref.message_id in seen:
                self.shared.add(ref.message_id)
            seen.add(ref.message_id)

    def days_to_try(self, ref: MessageRef) -> tuple[str, ...]:
        """The record days (yyyyMMdd) that may hold ``ref``, in both readings of the vendor's day."""
        found = self.found_on.get(ref.message_id)
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
            if ref.message_id in self.shared:
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
            self.found_on[ref.message_id] = day
            row = (reply or {}).get("row") or {}
            if isinstance(row, list):  # one row is documented; accept a list of one
                row = row[0] if row else {}
            return [self.status(ref, row)]
        if out_of_range and len(out_of_range) == len(days):
            raise out_of_range[-1]
        return [_not_found(ref)]

    def _list(self, days: Sequence[str], refs: Sequence[MessageRef]) -> Exchange:
        awaited = _AwaitedRecords(refs)
        try:
            yield from self.list_records(days, awaited)
        finally:
            self.found_on.update(awaited.days)
        return [awaited.found.get((r.message_id, _digits(r.number))) or _not_found(r) for r in refs]

    def list_records(self, days: Sequence[str], awaited: AwaitedRecords) -> Generator[Call, Any, None]:
        """Read the records of ``days`` page by page while ``awaited`` still waits for some; hand it
        each row that is one of its messages (by ``msgid`` or its ``<messageid>-`` prefix and the number)."""
        out_of_range: list[PermanentAPIError] = []
        for day in days:
            page = 1
            while awaited.waiting() and page <= NXCLOUD_RECORDS_MAX_PAGES:
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
                keys = []
                for row in rows:
                    msgid, phone = str(row.get("msgid") or ""), _digits(row.get("phone"))
                    keys.append(((msgid, phone), (msgid.rsplit("-", 1)[0], phone)))
                for row, ref in zip(rows, awaited.claim(keys), strict=True):
                    if ref is not None:
                        awaited.record(ref, self.status(ref, row), day)
                total = info.get("total")
                if not rows or (isinstance(total, int) and page * NXCLOUD_RECORDS_PAGE_SIZE >= total):
                    break
                page += 1
        if out_of_range and len(out_of_range) == len(days):
            raise out_of_range[-1]

    @staticmethod
    def status(ref: MessageRef, row: Mapping[str, Any]) -> MessageStatus:
        """A message's status from its record row (``/api/sms/get`` or ``getSmsCdr``)."""
        number = ref.number or text_or_none(row.get("phone"))
        receipt = str(row.get("dr") or "").strip().upper()
        summary = str(row.get("dr_status") or "").strip()
        if receipt == nxcloud.SMS_DELIVERED_RECEIPT or (not receipt and summary.lower() == "successful"):
            return MessageStatus(ref.message_id, DELIVERED, number, receipt or summary)
        if receipt in nxcloud.SMS_FAILED_RECEIPTS:
            reason = f"{receipt}: {nxcloud.SMS_FAILED_RECEIPTS[receipt]}"
            return MessageStatus(ref.message_id, FAILED, number, receipt, reason)
        if not receipt and summary.lower() == "failed":
            return MessageStatus(ref.message_id, FAILED, number, summary, "Failed (no operator receipt)")
        note = None if receipt in nxcloud.SMS_PENDING_RECEIPTS else f"unrecognised receipt {receipt!r}"
        return MessageStatus(ref.message_id, PENDING, number, receipt or None, note)


class NXCloudVoicePoller:
    """``getVoiceCdr``: one messageid at a time, over the 24 hours from its send time, one request a second.

    A request's numbers share its messageid, so the rows are matched on it and the
    number (``countryCode`` + ``phone``). A call's row appears once the call has ended.
    """

    platform = "nxcloud"
    kind = "voice"
    #: one messageid per request (all numbers of the send that had it)
    request_size = 1

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
    # the vendor does not say which zone its times are in; UTC is assumed (ASSUMPTION [NX-24])
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
        number = ref.number or text_or_none(message.get("To"))
        status = str(message.get("Status") or "").strip()
        word = status.lower()
        if word == fonedynamics.STATUS_DELIVERED.lower():
            return MessageStatus(ref.message_id, DELIVERED, number, status)
        if word == fonedynamics.STATUS_FAILED.lower():
            code = text_or_none(message.get("ErrorCode"))
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
