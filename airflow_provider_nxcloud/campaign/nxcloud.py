"""NXCloud campaigns: SMS, and voice calls through the legacy voice API.

SMS: one send request per batch of at most 100 numbers.

Three send APIs take the same fields: the signed JSON ``mtsend_v2`` (default),
the signed JSON v1 ``/v1/sms/mt`` and the legacy form ``mtsend`` with the SMS
app's appkey/secretkey (snake_case field names).

Client reference: NXCloud's ``sysMessageId`` is ignored on requests with
several numbers, so it is sent only for a batch of one number.

Vendor ids: the reply carries one ``messageid`` per request. For a request
with several numbers each number's delivery report carries
``<messageid>-<10 random digits>``, and those per-number ids are in no reply,
so every number of the batch is recorded with the request's ``messageid``
(match delivery reports on that prefix plus the number).

A batch whose answer was lost in this try is looked up in the SMS app's records
(``getSmsCdr``): it is settled as sent when every number is listed with the campaign's text,
stamped within the seconds of its own request and, for several numbers, under one
request's messageid (:meth:`NXCloudSmsSender.lookup`); otherwise, and for a batch an
earlier try sent, it stays in doubt.

Voice (the voice app's appkey/secretkey, added by the hook): ``notsend`` (TTS
notification) and ``gpsend`` (an uploaded audio file) call a comma list of
numbers, ``versend`` (TTS verification code) one number. ``phone`` carries the
international numbers (as every vendor example and the Java SDK do) and
``country_code`` their country code beside them, so a batch holds numbers of one
country code only: a batch also ends where the country changes (sort a mixed
list by country for fewer requests). ``show_phone`` is required by all three and
has no documented default, so ``display_number`` is required. One ``messageid``
per request, as for SMS; each result line carries ``sent_at``, which the
call-record query needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, country_and_national
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.campaign.schedule import schedule_moment
from airflow_provider_nxcloud.exceptions import (
    InvalidInputError,
    NXCloudProviderError,
    PermanentAPIError,
    check_one_of,
)
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import nxcloud as vendor

MAX_NUMBERS = vendor.SMS_MAX_NUMBERS
MAX_CONTENT = vendor.SMS_MAX_CONTENT
SENDER_ID = vendor.SMS_SENDER_ID
#: sysMessageId: 10-50 characters of [0-9a-zA-Z-] (vendor.SYS_MESSAGE_ID)
SYS_MESSAGE_ID_LENGTH = range(10, 51)
_NOT_IN_SYS_MESSAGE_ID = re.compile(r"[^0-9A-Za-z-]")

#: api value -> (endpoint name, whether the body is the legacy snake_case form)
APIS = vendor.SMS_APIS

log = logging.getLogger(__name__)

#: seconds a lookup waits after a send before it looks again (the engine's settle delay): how soon
#: getSmsCdr lists a sent SMS (ASSUMPTION [NX-20]). A longer lag only leaves the batch in doubt (a
#: person is asked): absence is never concluded
SMS_SETTLE_DELAY_S = vendor.SMS_RECORD_LIST_LAG_S
#: seconds before a send's request (and after its stamp bound) a record still counts as that
#: send's: the clock difference between worker and vendor, and whole-second stamps
SMS_LOOKUP_SLACK_S = 5.0
#: ASSUMPTION [NX-3]: the vendor stamps an SMS record at most this long after the send
SMS_RECORD_STAMP_LAG_S = 300.0
#: getSmsCdr page size (below 1,000: Demon-2012/NXcloud-API-document:SMS Record Query.md) and
#: how many pages of a day a lookup reads before it gives up (cannot tell)
SMS_LOOKUP_PAGE_SIZE = 500
SMS_LOOKUP_MAX_PAGES = 200
#: the record queries' code 3: a ``date`` outside the recent 31 days on the single-record page
#: (Demon-2012/NXcloud-API-document:SMS Single Record Query.md; the delivery poller reads it so),
#: "page_size or page_index invalid" on the records page. Either way that day's rows are not
#: read (one reading of today may be tomorrow, not a vendor day yet): a row it hides only
#: leaves the batch in doubt
SMS_RECORD_DAY_OUT_OF_RANGE = "3"
#: getSmsCdr ``date`` stamps (the page's example: "2019-06-15 23:40:00", no zone)
SMS_RECORD_STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
#: answered sends kept to learn the zone of the record stamps from
SMS_ANSWERED_KEPT = 16
#: the per-number id of a request with several numbers: ``<messageid>-<10 random digits>``
#: (Demon-2012/NXcloud-API-document:SMS Delivery Receipt Callback.md, remarks)
_PER_NUMBER_ID = re.compile(r"(?P<request>.+)-[0-9]{10}")


def check_api(api: Any) -> str:
    return check_one_of("api", api, APIS)


def check_sms_content(text: Any, sender_id: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text", "is empty; give the message text")
    if len(text) > MAX_CONTENT:
        raise InvalidInputError("text", f"has {len(text)} characters; NXCloud accepts at most {MAX_CONTENT}")
    if sender_id is not None and not (isinstance(sender_id, str) and SENDER_ID.fullmatch(sender_id)):
        raise InvalidInputError("sender_id", "must be 1 to 20 letters or digits (NXCloud's sourceAddress)")


def sys_message_id(reference: str) -> str:
    """A client reference reshaped to what ``sysMessageId`` allows: 10-50 of ``[0-9a-zA-Z-]``.

    Stable: the same reference always gives the same id. A reference too long
    is shortened with a digest of the whole, so distinct references stay distinct.
    """
    text = _NOT_IN_SYS_MESSAGE_ID.sub("-", reference)
    if len(text) > SYS_MESSAGE_ID_LENGTH.stop - 1:
        digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()[:32]
        text = f"{text[:17]}-{digest}"
    return text.ljust(SYS_MESSAGE_ID_LENGTH.start, "0")


class NXCloudSmsSender:
    """Sends one text to every number of a batch in one request (comma-separated ``phone``).

    ``verification_app``: the SMS app is a verification-code channel app, which takes at
    most 5 numbers a request (code 104), so batches hold 5.
    """

    platform = "nxcloud"
    number_format = NumberFormat.DIGITS
    #: a lookup that does not find the whole batch looks again this long after the send;
    #: absence is never concluded, whatever the delay (see :meth:`lookup`)
    settle_delay = SMS_SETTLE_DELAY_S

    def __init__(
        self,
        hook: NXCloudHook,
        *,
        text: str,
        app_key: str,
        sender_id: str | None = None,
        api: str = "v2",
        verification_app: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hook = hook
        self.clock = clock
        self.text = text
        self.app_key = app_key
        self.sender_id = sender_id
        self.api = check_api(api)
        self.endpoint, self.legacy = APIS[self.api]
        self.max_batch = vendor.SMS_VERIFICATION_APP_MAX_NUMBERS if verification_app else MAX_NUMBERS
        self._lock = threading.Lock()
        #: batch reference -> (before its request was written, after its answer came or was lost),
        #: this process's clock; the last send of each batch in this try only
        self._sends: dict[str, tuple[float, float]] = {}
        #: messageid -> when its request was written, for the latest answered sends
        self._answered: dict[str, float] = {}

    def body(self, batch: Batch) -> dict[str, Any]:
        """The request body of a batch (for the legacy form the hook adds the SMS app's keys;
        an explicit appkey here wins, its secret must still be the connection's)."""
        return vendor.sms_send_body(
            legacy=self.legacy,
            app_key=self.app_key,
            numbers=list(batch.numbers),
            content=self.text,
            sender_id=self.sender_id,
            sys_message_id=self.reference(batch),
        )

    @staticmethod
    def reference(batch: Batch) -> str | None:
        # NXCloud ignores sysMessageId when a request carries several numbers
        return sys_message_id(batch.recipient_reference(0)) if len(batch.recipients) == 1 else None

    def send(self, batch: Batch) -> list[RecipientResult]:
        if len(batch.numbers) > self.max_batch:
            raise InvalidInputError(
                "recipients", f"a batch of {len(batch.numbers)}; at most {self.max_batch}"
            )
        reference = self.reference(batch)
        started = self.clock()
        # the record queries ask by day: the send time tells which day(s) to ask for
        sent_at = _iso(started)
        try:
            message_id = self.hook.send_sms(
                list(batch.numbers),
                self.text,
                app_key=self.app_key,
                sender_id=self.sender_id,
                sys_message_id=reference,
                api=self.api,
                client_reference=reference or batch.reference,
            )
        finally:
            # noted whatever the outcome: a lost answer is looked up within this window
            with self._lock:
                self._sends[batch.reference] = (started, self.clock())
        if message_id:
            with self._lock:
                self._answered[message_id] = started
                while len(self._answered) > SMS_ANSWERED_KEPT:
                    del self._answered[next(iter(self._answered))]
        return [
            RecipientResult(number, "accepted", message_id, reference, sent_at=sent_at)
            for number in batch.numbers
        ]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """The batch's results when the SMS app's records prove this try's request went out; else None.

        Never ``[]``: getSmsCdr documents no freshness (a message sent moments ago may not
        be listed yet), so a number missing from it is not proof that it was not sent.

        getSmsCdr (Demon-2012/NXcloud-API-document:SMS Record Query.md) lists one day's
        messages of the SMS app (its appkey/secretkey: the connection's ``sms_app_key`` and
        ``sms_app_secret``; without them, or when the campaign sends through another app,
        it cannot tell). A row carries ``phone``, ``body``, ``senderid``, ``msgid`` and its
        send ``date`` ("yyyy-MM-dd HH:mm:ss", no zone), but not the ``sysMessageId`` a
        single-number send sets (nor could it: a request with several numbers drops it).
        A number counts as sent by this batch only when a row has its number, the campaign's
        text (and sender id, if the campaign sets one) and a stamp no earlier than just
        before the batch's request was written and no later than
        :data:`SMS_RECORD_STAMP_LAG_S` after its answer came back or was lost
        (ASSUMPTION [NX-3]). The same text to the same number stamped before proves nothing.
        For a batch of several numbers the rows must also come from one request: their
        ``msgid`` is ``<messageid>-<10 digits>`` (the delivery-receipt page), one messageid
        for all. ASSUMPTION [NX-21]: no other request sends the same text to the same
        numbers through the app within those seconds (else a lost batch may be recorded as
        sent when it was not: a message missed, never one sent twice).

        The stamp names no zone: UTC or UTC+8, like the ``date`` of the query
        (ASSUMPTION [NX-2]). A stamp read in the wrong zone is 8 hours off, and an SMS of the same
        text sent 8 hours earlier would look like this batch's, so the zone is learnt
        from the rows themselves: a stamp that reads later than now in UTC is a UTC+8 one;
        the row of a request this try sent and got the answer to reads at its own send time.
        When neither tells, or they disagree, the batch stays in doubt.

        Only the request's time makes rows evidence, and only the try that sent it knows
        that time (:meth:`send` notes it): the engine passes the batch alone. A batch from
        an earlier try is therefore not looked up: any window wide enough to hold its
        send could hold an earlier SMS of the same text to the same number, so it stays
        in doubt and a person decides.
        """
        with self._lock:
            window = self._sends.get(batch.reference)
            answered = dict(self._answered)
        if window is None:
            log.warning(
                "batch %d: sent by an earlier try, at a time this try does not know; the SMS records "
                "cannot tell its messages from earlier ones of the same text: it stays in doubt",
                batch.index,
            )
            return None
        start, end = window[0] - SMS_LOOKUP_SLACK_S, window[1] + SMS_RECORD_STAMP_LAG_S + SMS_LOOKUP_SLACK_S
        earliest = min([start, *(sent - SMS_LOOKUP_SLACK_S for sent in answered.values())])
        rows = self._records(earliest, start, end)
        if rows is None:
            return None
        offset = self._stamp_offset(rows, answered)
        if offset is None:
            log.warning(
                "batch %d: the SMS records do not show which zone their stamps are in; it stays in doubt",
                batch.index,
            )
            return None
        candidates: dict[str, list[dict[str, Any]]] = {number: [] for number in batch.numbers}
        for row in rows:
            stamp = _stamp_epoch(row.get("date"), offset)
            number = str(row.get("phone") or "").strip().lstrip("+")
            if (
                number in candidates
                and row.get("msgid")
                and stamp is not None
                and start <= stamp <= end
                and row.get("body") == self.text
                and (self.sender_id is None or row.get("senderid") == self.sender_id)
            ):
                candidates[number].append(row)
        message_ids = _one_request(batch.numbers, candidates)
        if message_ids is None:
            log.warning(
                "batch %d: the SMS records show %d of its %d numbers sent by its request; it stays in doubt",
                batch.index,
                sum(1 for rows_of in candidates.values() if rows_of),
                len(batch.numbers),
            )
            return None
        reference = self.reference(batch)
        sent_at = _iso(window[0])
        return [
            RecipientResult(number, "accepted", message_ids[number], reference, sent_at=sent_at)
            for number in batch.numbers
        ]

    def _records(self, earliest: float, start: float, latest: float) -> list[dict[str, Any]] | None:
        """The SMS app's record rows of the days (in either reading) of ``earliest``, ``start``,
        ``latest`` and now; None when they cannot be read."""
        try:
            if self.hook.app_key("sms_app_key") != self.app_key:
                log.warning("the campaign sends through another SMS app than the connection's: no records")
                return None
            self.hook.app_key("sms_app_secret")
        except NXCloudProviderError as exc:
            log.warning("the SMS records cannot be read (%s)", exc)
            return None
        now = self.clock()
        days = sorted(
            {
                *vendor.record_days(earliest),
                *vendor.record_days(start),
                *vendor.record_days(min(latest, now)),
                *vendor.record_days(now),
            }
        )
        rows: dict[str, dict[str, Any]] = {}
        for day in days:
            got = self._day(day, earliest)
            if got is None:
                return None
            for row in got:
                rows.setdefault(str(row.get("msgid") or id(row)), row)
        return list(rows.values())

    def _day(self, day: str, earliest: float) -> list[dict[str, Any]] | None:
        """One day's rows, newest first, down to ``earliest`` in any reading of their stamps."""
        rows: list[dict[str, Any]] = []
        for page in range(1, SMS_LOOKUP_MAX_PAGES + 1):
            try:
                total, got = self.hook.list_sms_records(
                    day, page=page, page_size=SMS_LOOKUP_PAGE_SIZE, sort_type=1
                )
            except PermanentAPIError as exc:
                if exc.code == SMS_RECORD_DAY_OUT_OF_RANGE:
                    return rows
                log.warning("the SMS records of %s cannot be read (%s)", day, exc)
                return None
            except NXCloudProviderError as exc:
                log.warning("the SMS records of %s cannot be read (%s)", day, exc)
                return None
            rows.extend(got)
            if len(got) < SMS_LOOKUP_PAGE_SIZE or page * SMS_LOOKUP_PAGE_SIZE >= total:
                return rows
            # newest first: once a page ends before the window in the latest reading, the rest does too
            oldest = _stamp_epoch(got[-1].get("date"), 0)
            if oldest is not None and oldest < earliest:
                return rows
        return None

    def _stamp_offset(self, rows: Iterable[dict[str, Any]], answered: dict[str, float]) -> int | None:
        """The hours the record stamps are ahead of UTC (one of NX-2's readings), as the rows show; else None."""
        now = self.clock()
        seen: set[int] = set()
        for row in rows:
            as_utc = _stamp_epoch(row.get("date"), 0)
            if as_utc is None:
                continue
            if as_utc > now + SMS_LOOKUP_SLACK_S:
                # not a UTC stamp: no record is stamped in the future
                seen.add(max(vendor.RECORD_DAY_OFFSETS_HOURS))
            sent = answered.get(_request_id(str(row.get("msgid") or "")))
            if sent is None:
                sent = answered.get(str(row.get("msgid") or ""))
            if sent is None:
                continue
            for hours in vendor.RECORD_DAY_OFFSETS_HOURS:
                lag = as_utc - hours * 3600 - sent
                if -SMS_LOOKUP_SLACK_S <= lag <= SMS_RECORD_STAMP_LAG_S + SMS_LOOKUP_SLACK_S:
                    seen.add(hours)
        return seen.pop() if len(seen) == 1 else None


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")


def _stamp_epoch(value: Any, offset_hours: int) -> float | None:
    """A getSmsCdr ``date`` stamp read as ``offset_hours`` ahead of UTC, in epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.strptime(value.strip(), SMS_RECORD_STAMP_FORMAT)
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=offset_hours))).timestamp()


def _request_id(msgid: str) -> str:
    """The request's messageid of a per-number id (``<messageid>-<10 digits>``), else the id itself."""
    match = _PER_NUMBER_ID.fullmatch(msgid)
    return match["request"] if match else msgid


def _one_request(numbers: list[str], candidates: dict[str, list[dict[str, Any]]]) -> dict[str, str] | None:
    """``{number: messageid}`` when one request's rows cover every number; else None.

    One number: its row's ``msgid`` (the send's messageid). Several: rows whose ``msgid``
    has the per-number form, grouped by request; a request covering every number wins
    (the earliest such row each). Rows of different requests prove no single send.
    """
    if any(not candidates[number] for number in numbers):
        return None
    if len(numbers) == 1:
        return {numbers[0]: str(candidates[numbers[0]][0]["msgid"])}
    covering: dict[str, set[str]] = {}
    for number in numbers:
        for row in candidates[number]:
            msgid = str(row["msgid"])
            if _PER_NUMBER_ID.fullmatch(msgid):
                covering.setdefault(_request_id(msgid), set()).add(number)
    requests = [request for request, covered in covering.items() if len(covered) == len(numbers)]
    if len(requests) != 1:
        # none (not one send) or several (the same text went out twice in the window): cannot tell
        return None
    return dict.fromkeys(numbers, requests[0])


# ----- voice ----------------------------------------------------------------------------------

#: mode -> (endpoint, numbers per request)
VOICE_MODES: dict[str, tuple[str, int]] = {
    "notification": ("voice_notify", vendor.VOICE_MAX_NUMBERS),
    "verification": ("voice_verify", vendor.VOICE_VERIFY_MAX_NUMBERS),
    "broadcast": ("voice_broadcast", vendor.VOICE_MAX_NUMBERS),
}
_SPOKEN = ("text", "language")
_PLAYED = ("audio_url", "schedule_time")


def check_voice_mode(mode: Any) -> str:
    return check_one_of("mode", mode, VOICE_MODES)


def voice_fields(
    mode: Any,
    *,
    now: float,
    text: Any = None,
    language: Any = None,
    audio_url: Any = None,
    display_number: Any = None,
    schedule_time: Any = None,
) -> dict[str, Any]:
    """The form fields of a voice send (all but the keys, phone and country_code), or InvalidInputError."""
    mode = check_voice_mode(mode)
    given = {"text": text, "language": language, "audio_url": audio_url, "schedule_time": schedule_time}
    for name in _PLAYED if mode != "broadcast" else _SPOKEN:
        if given[name] not in (None, ""):
            raise InvalidInputError(name, f"does not apply to mode={mode!r}")
    fields: dict[str, Any] = {}
    if mode == "broadcast":
        fields["url"] = _audio_url(audio_url)
        fields.update(task_time(schedule_moment(schedule_time), now))
    else:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError("text", "is empty; give the text to speak")
        fields["content"] = text
        fields["lang"] = _voice_language(language)
    fields["show_phone"] = _show_phone(display_number)
    return fields


def task_time(moment: dt.datetime | None, now: float) -> dict[str, str]:
    """``task_time`` and ``time_zone`` of a scheduled broadcast; ``{}`` calls at once.

    ``time_zone`` takes whole hours from UTC: a time with another offset is sent in UTC.
    """
    if moment is None:
        return {}
    if moment.timestamp() <= now:
        raise InvalidInputError("schedule_time", "is not in the future; NXCloud refuses it (code 29)")
    offset = moment.utcoffset() or dt.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        moment, hours = moment.astimezone(dt.UTC), 0
    return {"task_time": moment.strftime(vendor.VOICE_TIME_FORMAT), "time_zone": str(hours)}


def _audio_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInputError("audio_url", "is empty; give the URL of an uploaded audio file")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError("audio_url", "must be an http(s) URL (the upload API returns one)")
    return url.strip()


def _voice_language(language: Any) -> str:
    code = language.strip().lower() if isinstance(language, str) else ""
    if code not in vendor.VOICE_LANGUAGES:
        raise InvalidInputError(
            "language",
            f"must be one of NXCloud's voice language codes such as 'en' or 'zh-yue', not {language!r}",
        )
    return code


def _show_phone(number: Any) -> str:
    if number is None or number == "":
        # notsend, versend and gpsend all require show_phone and document no default
        raise InvalidInputError(
            "display_number", "is required: NXCloud's voice APIs need the caller number to show (show_phone)"
        )
    text = str(number).strip() if isinstance(number, str | int) and not isinstance(number, bool) else ""
    if not vendor.VOICE_SHOW_PHONE.fullmatch(text):
        raise InvalidInputError("display_number", "must be 1 to 50 digits (no +)")
    return text


class NXCloudVoiceSender:
    """Calls every number of a batch in one legacy voice request (international ``phone``, ``country_code`` beside)."""

    platform = "nxcloud"
    number_format = NumberFormat.DIGITS

    def __init__(
        self,
        hook: NXCloudHook,
        *,
        mode: str = "notification",
        clock: Callable[[], float] = time.time,
        **parameters: Any,
    ) -> None:
        self.hook = hook
        self.mode = check_voice_mode(mode)
        self.endpoint, self.max_batch = VOICE_MODES[self.mode]
        self.clock = clock
        self.fields = voice_fields(self.mode, now=clock(), **parameters)
        moment = schedule_moment(parameters.get("schedule_time"))
        #: a scheduled broadcast's calls start then, not when the request is sent
        self.starts_at = moment.timestamp() if moment is not None else None

    @staticmethod
    def batch_group(number: str) -> str:
        """The country code: one request takes numbers of one country."""
        return country_and_national(number)[0]

    def send(self, batch: Batch) -> list[RecipientResult]:
        numbers = list(batch.numbers)
        if len(numbers) > self.max_batch:
            raise InvalidInputError(
                "recipients", f"a batch of {len(numbers)}; {self.endpoint} takes {self.max_batch}"
            )
        countries = {country_and_national(number)[0] for number in numbers}
        if len(countries) != 1:
            raise InvalidInputError("recipients", f"a batch mixes country codes {sorted(countries)}")
        country_code = countries.pop()
        fields = self.fields
        # taken before the request: no call of it can be placed earlier
        sent_at = max(self.clock(), self.starts_at or 0.0)
        if self.mode == "verification":
            message_id = self.hook.send_voice_verification_code(
                numbers[0],
                country_code=country_code,
                text=fields["content"],
                language=fields["lang"],
                display_number=fields["show_phone"],
                client_reference=batch.reference,
            )
        elif self.mode == "notification":
            message_id = self.hook.send_voice_notification(
                numbers,
                country_code=country_code,
                text=fields["content"],
                language=fields["lang"],
                display_number=fields["show_phone"],
                client_reference=batch.reference,
            )
        else:
            message_id = self.hook.send_voice_broadcast(
                numbers,
                country_code=country_code,
                audio_url=fields["url"],
                display_number=fields["show_phone"],
                task_time=fields.get("task_time"),
                time_zone=fields.get("time_zone"),
                client_reference=batch.reference,
            )
        when = dt.datetime.fromtimestamp(sent_at, dt.UTC).isoformat(timespec="seconds")
        return [RecipientResult(number, "accepted", message_id, sent_at=when) for number in batch.numbers]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # The legacy voice API takes no client reference, and getVoiceCdr lists calls by
        # messageid and time: it cannot prove which try placed a call. So it cannot tell.
        return None
