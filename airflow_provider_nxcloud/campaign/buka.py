"""Buka campaigns: SMS, voice (TTS and audio file calls) and template email.

* SMS: one ``sendSms`` per batch of at most 1,000 numbers, each with its own ``orderId``;
  personalised (a text per number): one ``sendSms/batch`` per 1,000 numbers.
* Voice: ``voice/sendCode`` (TTS, one callee per request) or ``voice/sendGroup``
  (an uploaded audio file, at most 200 callees per request).
* Email: one ``email/sendEmail`` per batch of at most 50 addresses.

An SMS batch whose answer was lost in this try is looked up in getSentRcd, the sent-SMS
list (onbuka.com/sms-api5): it is settled as sent when every number is listed within the
seconds of its own request (:meth:`BukaSmsSender.lookup`); otherwise, and for a batch an
earlier try sent, it stays in doubt. Buka voice and email take no client reference and
offer no query by one, so a batch whose answer was lost cannot be looked up (``lookup``
says ``None``): a retry relies on the campaign's progress record alone, and a batch in
flight when a try died is settled by the ``in_doubt`` policy.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import IO, Any

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import (
    ON_INVALID,
    NumberFormat,
    RecipientSpool,
    chunked,
    content_of,
    is_object_storage_path,
    last_line,
    open_messages,
    open_recipients,
    redacted_location,
    spool_valid,
    storage_path_of,
    with_lines,
)
from airflow_provider_nxcloud.campaign.results import AcceptedRun, RecipientResult
from airflow_provider_nxcloud.exceptions import InvalidInputError, NXCloudProviderError, check_one_of
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka as vendor

_ONLY_DICT = {dict}
#: entries tested for their own texts at once
_TEXT_CHECK_CHUNK = 4096

MAX_NUMBERS = vendor.SMS_MAX_NUMBERS
MAX_BATCH_NUMBERS = vendor.SMS_BATCH_MAX_NUMBERS
MAX_CONTENT = vendor.SMS_MAX_CONTENT
MAX_SENDER_ID = vendor.SMS_MAX_SENDER_ID

log = logging.getLogger(__name__)

#: seconds a lookup waits after a send before it looks again (the engine's settle delay).
#: ASSUMPTION [BK-23]: how soon getSentRcd lists a sent SMS is not documented; 60 s is taken.
#: A longer lag only leaves the batch in doubt (a person is asked): absence is never concluded
SMS_SETTLE_DELAY_S = 60.0
#: seconds either side of a send's own request within which a getSentRcd row counts as that
#: send's: clock difference between worker and vendor, and whole-second stamps.
#: ASSUMPTION [BK-22]: a row's ``receiveTime`` is when Buka accepted the message, and the two
#: clocks agree within this. A row stamped outside (a later delivery time, a larger skew) proves
#: nothing: the batch stays in doubt
SMS_LOOKUP_SLACK_S = 5.0
#: a lookup reading more pages than this gives up (cannot tell) rather than read for ever
SMS_LOOKUP_MAX_PAGES = 20


def check_sms_content(text: Any, sender_id: Any) -> None:
    """``text`` None means personalised: each recipient's text is checked as it is read (:func:`sms_entries`)."""
    if text is not None and (problem := _content_problem(text)):
        raise InvalidInputError("text", problem)
    if sender_id is not None and (not isinstance(sender_id, str) or not 0 < len(sender_id) <= MAX_SENDER_ID):
        raise InvalidInputError("sender_id", f"must be 1 to {MAX_SENDER_ID} characters")


def _content_problem(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return "is empty; give the message text"
    if len(text) > MAX_CONTENT:
        return f"has {len(text)} characters; Buka accepts at most {MAX_CONTENT}"
    return None


def sms_entries(recipients: Any, text: Any) -> Iterator[str]:
    """The raw entries of an SMS campaign: numbers for one ``text``, or, with ``text`` None,
    numbers with their own texts (:func:`open_messages`), each text checked as Buka would."""
    if text is None:
        return checked_texts(open_messages(recipients))
    if isinstance(recipients, list | tuple) and any(isinstance(item, Mapping) for item in recipients):
        raise _text_twice("a list entry")
    return _without_texts(open_recipients(recipients))


def checked_texts(entries: Iterator[str], parameter: str = "recipients") -> Iterator[str]:
    """``entries``, each one's own text checked as Buka would; an error names ``parameter`` and the entry."""
    for line, entry in with_lines(entries):
        if problem := _content_problem(content_of(entry)):
            raise InvalidInputError(parameter, f"entry {line}: text {problem}")
        yield entry


def _without_texts(entries: Iterator[str]) -> Iterator[str]:
    line = 0
    # read a chunk at a time (validation does too): the usual chunk is tested as one text, in C
    for chunk in chunked(entries, _TEXT_CHECK_CHUNK):
        if "\n{" in "\n" + "\n".join(chunk):
            for at, entry in with_lines(chunk, after=line):
                # a JSON Lines object: no number starts with "{"
                if entry.startswith("{"):
                    raise _text_twice(f"entry {at}")
        line = last_line(chunk, line)
        yield from chunk


def _text_twice(where: str) -> InvalidInputError:
    return InvalidInputError(
        "text", f"is given, but recipients {where} carries its own text: give text=None or plain numbers"
    )


class BukaSmsSender:
    """Sends a batch through ``sendSms`` (one ``text`` for all) or, with ``text`` None,
    ``sendSms/batch`` (one element per recipient, with the recipient's own text).

    Either way each number carries its own ``orderId``.
    """

    platform = "buka"
    number_format = NumberFormat.DIGITS
    #: a lookup that does not find the whole batch looks again this long after the send;
    #: absence is never concluded, whatever the delay (see :meth:`lookup`)
    settle_delay = SMS_SETTLE_DELAY_S

    def __init__(
        self,
        hook: BukaHook,
        *,
        text: str | None,
        app_id: str,
        sender_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hook = hook
        self.text = text
        self.app_id = app_id
        self.sender_id = sender_id
        self.clock = clock
        self.max_batch = MAX_NUMBERS if text is not None else MAX_BATCH_NUMBERS
        #: batch reference -> (before its request was written, after its answer came or was lost),
        #: this process's clock; the last send of each batch in this try only
        self._sends: dict[str, tuple[float, float]] = {}
        self._sends_lock = threading.Lock()

    def send(self, batch: Batch) -> Sequence[RecipientResult]:
        started = self.clock()
        try:
            return self._send(batch)
        finally:
            # noted whatever the outcome: a lost answer is looked up within this window
            with self._sends_lock:
                self._sends[batch.reference] = (started, self.clock())

    def _send(self, batch: Batch) -> Sequence[RecipientResult]:
        numbers = batch.numbers
        # batch.recipient_reference(i) for each, made at once
        prefix = f"{batch.reference}-"
        references = list(map(prefix.__add__, map(str, range(len(numbers)))))
        if self.text is not None:
            message = vendor.sms_message(numbers, self.text, references, self.sender_id)
            reply = self.hook.send_sms(self.app_id, message, client_reference=batch.reference)
        else:
            messages = [
                vendor.sms_message([recipient.number], recipient.content or "", [reference], self.sender_id)
                for recipient, reference in zip(batch.recipients, references, strict=True)
            ]
            reply = self.hook.send_sms_batch(self.app_id, messages, client_reference=batch.reference)
        items = _objects(reply.get("array"))
        # each accepted number is listed as {msgId, number, orderId} (onbuka.com/sms-api3): matched
        # by its orderId, else by the number (a reply that leaves the orderId out)
        in_order = _accepted_in_order(numbers, references, items)
        if in_order is not None:
            return in_order
        by_order = {str(item["orderId"]): item for item in items if item.get("orderId")}
        by_number: dict[str, dict[str, Any]] | None = None
        results = []
        for number, reference in zip(numbers, references, strict=True):
            listed = by_order.get(reference)
            if listed is None:
                if by_number is None:  # made only for a reply that leaves orderIds out
                    by_number = {}
                    for item in items:
                        by_number.setdefault(str(item.get("number")), item)
                listed = by_number.get(number)
            if listed and listed.get("msgId"):
                results.append(RecipientResult(number, "accepted", str(listed["msgId"]), reference))
            else:
                results.append(RecipientResult(number, "rejected", None, reference, "not accepted by Buka"))
        return results

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """The batch's results when getSentRcd proves every number sent by this try's request; else None.

        Never ``[]``: getSentRcd documents no freshness (a message sent moments ago may not
        be listed yet), so a number missing from it is not proof that it was not sent.

        What a row can prove: getSentRcd (onbuka.com/sms-api5) lists ``{msgId, number,
        receiveTime, status}`` per message, and nothing else: no content, senderId or the
        orderId the send set (the orderId is only in the send reply and the delivery push,
        onbuka.com/sms-api3 and sms-api6; getReport needs the msgIds the lost answer carried).
        So text and sender id cannot be compared, and a number alone proves nothing: the
        same number may have had an SMS from this app before. A row counts only when it is
        stamped within the seconds of this batch's own request: from just before the request
        was written to just after its answer came back or was lost (:data:`SMS_LOOKUP_SLACK_S`
        either side, ASSUMPTION [BK-22]). Every number of the batch needs such a row.

        Only the request's time makes rows evidence, and only the try that sent it knows
        that time (:meth:`send` notes it): the engine passes the batch alone, and its
        progress record keeps a whole-second time without the end of the request. A batch
        from an earlier try (that try died, or a plain retry) is therefore not looked up:
        any window wide enough to hold its send (the hours or days since it) could hold an
        earlier SMS to the same number, so it stays in doubt and a person decides.

        ASSUMPTION [BK-24]: no other sender (another task, an OTP service) sends to the same
        number through the same app within those seconds; if one does, a lost batch may be
        recorded as sent when it was not (a message missed, never one sent twice).
        """
        with self._sends_lock:
            window = self._sends.get(batch.reference)
        if window is None:
            log.warning(
                "batch %d: sent by an earlier try, at a time this try does not know; getSentRcd "
                "cannot tell its messages from earlier ones to the same numbers: it stays in doubt",
                batch.index,
            )
            return None
        start, end = window[0] - SMS_LOOKUP_SLACK_S, window[1] + SMS_LOOKUP_SLACK_S
        rows = self._sent_rows(start, end)
        if rows is None:
            return None
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            number = str(row.get("number") or "").strip().lstrip("+")
            stamp = _receive_epoch(row.get("receiveTime"))
            if number and row.get("msgId") and stamp is not None and start <= stamp <= end:
                found.setdefault(number, row)
        missing = [number for number in batch.numbers if number not in found]
        if missing:
            log.warning(
                "batch %d: getSentRcd lists %d of its %d numbers within its request's seconds; "
                "it stays in doubt",
                batch.index,
                len(batch.numbers) - len(missing),
                len(batch.numbers),
            )
            return None
        return [
            _sent_record_result(number, batch.recipient_reference(position), found[number])
            for position, number in enumerate(batch.numbers)
        ]

    def _sent_rows(self, start: float, end: float) -> list[dict[str, Any]] | None:
        """getSentRcd's rows between ``start`` and ``end`` (epoch seconds), every page; None when unreadable."""
        begin = dt.datetime.fromtimestamp(int(start), dt.UTC)
        # whole seconds: the query's end is rounded up so the window is never narrowed
        finish = dt.datetime.fromtimestamp(int(end) + 1, dt.UTC)
        rows: list[dict[str, Any]] = []
        for _ in range(SMS_LOOKUP_MAX_PAGES):
            try:
                page = self.hook.get_sent_records(self.app_id, begin, finish, start_index=len(rows))
            except NXCloudProviderError as exc:
                log.warning("getSentRcd could not be read (%s); the batch stays in doubt", exc)
                return None
            rows.extend(page)
            # 50,000 rows a call (onbuka.com/sms-api5): a full page may have more behind it
            if len(page) < vendor.SMS_SENT_RECORDS_PAGE_ROWS:
                return rows
        return None


def _receive_epoch(value: Any) -> float | None:
    """A getSentRcd ``receiveTime`` (ISO 8601 with its offset, onbuka.com/sms-api5) as epoch seconds."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # a time without an offset is not the documented format: it proves nothing
    return moment.timestamp() if moment.tzinfo is not None else None


def _sent_record_result(number: str, reference: str, row: Mapping[str, Any]) -> RecipientResult:
    """What the send reply would have said of a number, from its getSentRcd row."""
    msg_id = str(row["msgId"])
    if str(row.get("status")) == vendor.SMS_SENT_STATUS_FAILED:
        # accepted, then failed (onbuka.com/sms-api5 "2: sent failed"): sent once, not again
        return RecipientResult(number, "rejected", msg_id, reference, "sent failed (getSentRcd status 2)")
    return RecipientResult(number, "accepted", msg_id, reference)


# ----- voice ----------------------------------------------------------------------------------

MAX_GROUP_CALLEES = vendor.VOICE_GROUP_MAX_CALLEES
#: a TTS campaign sends batches of one (sendCode takes a single callee)
MAX_CODE_CALLEES = vendor.VOICE_CODE_MAX_CALLEES
MAX_TTS_TEXT = vendor.VOICE_MAX_TTS_TEXT
VOICE_LANGUAGES = vendor.VOICE_LANGUAGES
SPEAKING_RATE = (0.25, 4.0)
VOICE_GENDERS = (1, 2)
LOOP_COUNT = range(1, 4)
RECALL_COUNT = range(0, 10)
#: minutes between recalls
RECALL_INTERVAL = range(1, 1000)
#: seconds a connected call may last
MAX_DURATION = range(1, 121)
#: seconds a call may ring
MAX_RINGING_TIME = range(20, 121)
DISPLAY_NUMBER = re.compile(r"[0-9]{7,15}")

#: mode -> (endpoint, callees per request)
VOICE_MODES: dict[str, tuple[str, int]] = {
    "tts": ("voice_send_code", MAX_CODE_CALLEES),
    "audio": ("voice_send_group", MAX_GROUP_CALLEES),
}
_TTS_ONLY = ("text", "language", "speaking_rate", "gender", "recall_count", "recall_interval")
_AUDIO_ONLY = ("file_id",)


def _whole_number(parameter: str, value: Any, allowed: range) -> int:
    bounds = f"{allowed.start} to {allowed.stop - 1}"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInputError(parameter, f"must be a whole number from {bounds}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInputError(parameter, f"must be a whole number from {bounds}, not {value!r}") from None
    if number not in allowed:
        raise InvalidInputError(parameter, f"is {number}; Buka accepts {bounds}")
    return number


def _text(parameter: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(parameter, "is empty")
    if len(value) > limit:
        raise InvalidInputError(parameter, f"has {len(value)} characters; Buka accepts at most {limit}")
    return value


def check_voice_mode(mode: Any) -> str:
    return check_one_of("mode", mode, VOICE_MODES)


def voice_fields(
    mode: Any,
    *,
    text: Any = None,
    language: Any = None,
    file_id: Any = None,
    speaking_rate: Any = None,
    gender: Any = None,
    loop_count: Any = None,
    recall_count: Any = None,
    recall_interval: Any = None,
    max_duration: Any = None,
    max_ringing_time: Any = None,
    display_number: Any = None,
) -> dict[str, Any]:
    """The vendor fields of a voice call (all but appId and callee), or InvalidInputError naming the parameter."""
    mode = check_voice_mode(mode)
    given = {
        "text": text,
        "language": language,
        "file_id": file_id,
        "speaking_rate": speaking_rate,
        "gender": gender,
        "recall_count": recall_count,
        "recall_interval": recall_interval,
    }
    for name in _AUDIO_ONLY if mode == "tts" else _TTS_ONLY:
        if given[name] is not None:
            raise InvalidInputError(name, f"does not apply to mode={mode!r}")
    fields: dict[str, Any] = {}
    if mode == "tts":
        fields["text"] = _text("text", text, MAX_TTS_TEXT)
        fields["language"] = _voice_language(language)
        if speaking_rate is not None:
            fields["speakingRate"] = _speaking_rate(speaking_rate)
        if gender is not None:
            if isinstance(gender, bool) or gender not in VOICE_GENDERS:
                raise InvalidInputError("gender", f"must be 1 (male) or 2 (female), not {gender!r}")
            fields["ssmlGender"] = int(gender)
        if recall_count is not None:
            fields["recallCount"] = _whole_number("recall_count", recall_count, RECALL_COUNT)
        if recall_interval is not None:
            fields["recallInterval"] = _whole_number("recall_interval", recall_interval, RECALL_INTERVAL)
    else:
        if not isinstance(file_id, str) or not file_id.strip():
            raise InvalidInputError("file_id", "is empty; give the id voice/fileUpload returned")
        fields["fileId"] = file_id.strip()
    if loop_count is not None:
        fields["loopCount"] = _whole_number("loop_count", loop_count, LOOP_COUNT)
    if max_duration is not None:
        fields["maxDuration"] = _whole_number("max_duration", max_duration, MAX_DURATION)
    if max_ringing_time is not None:
        fields["maxRingingTime"] = _whole_number("max_ringing_time", max_ringing_time, MAX_RINGING_TIME)
    if display_number is not None:
        fields["displayNum"] = _display_number(display_number)
    return fields


def _voice_language(language: Any) -> str:
    code = language.strip().upper() if isinstance(language, str) else language
    if code not in VOICE_LANGUAGES:
        raise InvalidInputError("language", f"must be one of {', '.join(VOICE_LANGUAGES)}, not {language!r}")
    return str(code)


def _speaking_rate(rate: Any) -> float:
    low, high = SPEAKING_RATE
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not low <= rate <= high:
        raise InvalidInputError("speaking_rate", f"must be a number from {low} to {high}, not {rate!r}")
    return float(rate)


def _display_number(number: Any) -> str:
    text = str(number).strip() if isinstance(number, str | int) and not isinstance(number, bool) else ""
    if not DISPLAY_NUMBER.fullmatch(text):
        raise InvalidInputError("display_number", "must be 7 to 15 digits (country code and number, no +)")
    return text


class BukaVoiceSender:
    """Calls every number of a batch: TTS through ``voice/sendCode`` or an audio file through ``voice/sendGroup``.

    The reply's ``data`` lists ``{voiceId, callee, terminationCode, terminationReason}``
    per callee (onbuka's sendGroup page; sendCode's reply is taken to have the same
    shape, and a bare ``data`` id is accepted for a one-callee request). A callee the
    reply does not list, or lists with a non-zero ``terminationCode``, is rejected.
    """

    platform = "buka"
    number_format = NumberFormat.DIGITS

    def __init__(self, hook: BukaHook, *, app_id: str, mode: str = "tts", **parameters: Any) -> None:
        self.hook = hook
        self.app_id = app_id
        self.mode = check_voice_mode(mode)
        self.fields = voice_fields(self.mode, **parameters)
        self.endpoint, self.max_batch = VOICE_MODES[self.mode]

    def send(self, batch: Batch) -> list[RecipientResult]:
        if self.endpoint == "voice_send_code":
            (callee,) = batch.numbers  # sendCode calls one number (onbuka.com/voice-api7)
            reply = self.hook.send_voice_code(self.app_id, callee, self.fields)
        else:
            reply = self.hook.send_voice_group(self.app_id, batch.numbers, self.fields)
        return voice_results(batch.numbers, reply)

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # Buka voice takes no client reference: the call records (recordGroupQuery) list
        # calls by time and callee, which cannot prove which try placed a call.
        return None


def voice_results(numbers: list[str], reply: Mapping[str, Any]) -> list[RecipientResult]:
    data = reply.get("data")
    if isinstance(data, str | int) and not isinstance(data, bool) and str(data) and len(numbers) == 1:
        return [RecipientResult(numbers[0], "accepted", str(data))]
    if not isinstance(data, list):
        # accepted ("status" 0) without per-callee ids: nothing to match delivery on, but sent
        return [RecipientResult(number, "accepted") for number in numbers]
    items = [item for item in data if isinstance(item, dict)]
    by_callee = {str(item.get("callee", "")): item for item in items}
    results = []
    for number in numbers:
        item = by_callee.get(number) or (items[0] if len(items) == len(numbers) == 1 else None)
        results.append(_voice_result(number, item))
    return results


def _voice_result(number: str, item: Mapping[str, Any] | None) -> RecipientResult:
    if item is None:
        return RecipientResult(number, "rejected", None, None, "not accepted by Buka")
    code = str(item.get("terminationCode", "0"))
    if code == "0" and item.get("voiceId"):
        return RecipientResult(number, "accepted", str(item["voiceId"]))
    reason = item.get("terminationReason") or f"terminationCode {code}"
    return RecipientResult(number, "rejected", None, None, str(reason))


# ----- email ----------------------------------------------------------------------------------

MAX_ADDRESSES = vendor.EMAIL_MAX_ADDRESSES
MAX_SUBJECT = vendor.EMAIL_MAX_SUBJECT
#: 0 no ad tag, 1 before the subject, 2 after it
AD_FLAGS = (0, 1, 2)
MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_PART = 64

# Conservative: dot-atom local part, letter-digit-hyphen domain labels and an alphabetic
# (or punycode) top-level domain. Quoted local parts and IP literals are refused: valid
# by the RFCs, but rare and not something a template-email platform will deliver to.
_ADDRESS = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}))"
)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
_ADDRESS_LOCATION_PREFIXES = ("/", "./", "../", "~")


class InvalidAddress(ValueError):
    """One entry that is not an email address Buka would send to."""

    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"{raw!r}: {reason}")


def normalize_address(raw: str) -> str:
    """``raw`` stripped, with its domain in lower case, or :class:`InvalidAddress` saying why not."""
    text = str(raw).strip()
    if "@" not in text:
        raise InvalidAddress(raw, "not an email address (no @)")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(raw, f"longer than {MAX_ADDRESS_LENGTH} characters")
    match = _ADDRESS.fullmatch(text)
    if match is None:
        raise InvalidAddress(raw, "not a valid email address")
    if len(match["local"]) > MAX_LOCAL_PART:
        raise InvalidAddress(raw, f"part before @ is longer than {MAX_LOCAL_PART} characters")
    return f"{match['local']}@{match['domain'].lower()}"


def open_addresses(source: object, *, parameter: str = "recipients") -> Iterator[str]:
    """The raw entries of an email recipient source: what :func:`open_recipients` accepts.

    A file's first row is taken for column names when it has no ``@`` (the phone
    reader's "no digit" rule would drop a first address such as ``ann@example.com``).
    """
    opened = _address_file(source)
    if opened is None:
        return open_recipients(source, parameter=parameter)
    open_text, where = opened
    return open_recipients(_address_lines(open_text, where, parameter), parameter=parameter)


def _address_file(source: object) -> tuple[Any, str] | None:
    """How to open ``source`` as a text file and how to name it, or None when it is not a file."""
    if isinstance(source, str):
        location = source.strip()
        if "://" in location:
            return (lambda: storage_path_of(location).open("r", encoding="utf-8-sig")), redacted_location(
                location
            )
        if location.startswith(_ADDRESS_LOCATION_PREFIXES):
            return _local_file(Path(location).expanduser())
        return None
    # before os.PathLike: under universal-pathlib < 0.3 (Airflow 3.1) an ObjectStoragePath is one
    if not isinstance(source, list | tuple | Mapping) and is_object_storage_path(source):
        path: Any = source
        return (lambda: path.open("r", encoding="utf-8-sig")), redacted_location(str(path))
    if isinstance(source, os.PathLike):
        return _local_file(Path(os.fspath(source)).expanduser())
    return None


def _local_file(path: Path) -> tuple[Any, str]:
    return (lambda: path.open(encoding="utf-8-sig")), str(path)


def _address_lines(open_text: Any, where: str, parameter: str) -> Iterator[str]:
    """The first column of every line, one item per line (so positions are line numbers)."""
    try:
        handle: IO[str] = open_text()
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInputError(parameter, f"cannot read {where}: {_reason(exc)}") from exc
    with handle:
        seen_first = False
        try:
            for text in handle:
                address = text.split(",", 1)[0].strip().strip('"').strip()
                if not seen_first and address and not address.startswith("#"):
                    seen_first = True
                    if "@" not in address:
                        yield ""  # an exported CSV's column names
                        continue
                yield address
        except UnicodeDecodeError:
            raise InvalidInputError(parameter, f"{where} is not UTF-8 text") from None
        except OSError as exc:
            raise InvalidInputError(parameter, f"cannot read {where}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def spool_addresses(
    entries: Iterable[str], *, on_invalid: str = "fail", parameter: str = "recipients"
) -> RecipientSpool:
    """The one pass over the addresses before the first send (the email twin of ``spool_recipients``).

    A recipient's ``number`` holds its normalised address. ``"fail"`` raises at the
    first invalid entry, naming its line but not the address; ``"skip"`` drops it.
    Duplicates (same address, domain case ignored) are dropped and counted. The send
    pass reads the valid, distinct addresses from the spool.
    """
    if on_invalid not in ON_INVALID:
        raise InvalidInputError("on_invalid", f"must be one of {', '.join(ON_INVALID)}, not {on_invalid!r}")
    return spool_valid(entries, _checked_address, fail=on_invalid == "fail", parameter=parameter)


def _checked_address(raw: str) -> tuple[str, str | None]:
    try:
        return normalize_address(raw), None
    except InvalidAddress as exc:
        return "", exc.reason


def email_fields(
    *,
    subject: Any,
    template_id: Any,
    from_address: Any,
    template_data: Any = None,
    language: Any = None,
    ad_flag: Any = None,
) -> dict[str, Any]:
    """The vendor fields of a template email (all but appId and toAddress), or InvalidInputError."""
    fields: dict[str, Any] = {
        "fromEmailAddress": _from_address(from_address),
        "subject": _subject(subject),
        "templateID": _template_id(template_id),
    }
    if template_data is not None:
        fields["templateData"] = _template_data(template_data)
    if language is not None:
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language.strip()):
            raise InvalidInputError("language", f"must be a language code such as 'en', not {language!r}")
        fields["language"] = language.strip()
    if ad_flag is not None:
        if isinstance(ad_flag, bool) or ad_flag not in AD_FLAGS:
            raise InvalidInputError(
                "ad_flag", f"must be 0 (none), 1 or 2 (ad tag after the subject), not {ad_flag!r}"
            )
        fields["adFlag"] = int(ad_flag)
    return fields


def _subject(subject: Any) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidInputError("subject", "is empty; Buka needs 1 to 100 characters")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInputError(
            "subject", f"has {len(subject)} characters; Buka accepts at most {MAX_SUBJECT}"
        )
    return subject


def _template_id(template_id: Any) -> str:
    text = (
        str(template_id).strip()
        if isinstance(template_id, str | int) and not isinstance(template_id, bool)
        else ""
    )
    if not text.isdigit() or int(text) < 1:
        raise InvalidInputError(
            "template_id", f"must be a positive whole number (an approved template), not {template_id!r}"
        )
    return str(int(text))


def _from_address(address: Any) -> str:
    if not isinstance(address, str) or not address.strip():
        raise InvalidInputError("from_address", "is empty; give a sender address configured in Buka")
    try:
        return normalize_address(address)
    except InvalidAddress as exc:
        raise InvalidInputError("from_address", exc.reason) from None


def _template_data(data: Any) -> str:
    """Buka wants the template variables as a JSON object in a string."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise InvalidInputError(
                "template_data", "is not JSON; give a dict of template variables"
            ) from None
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            "template_data", f"must be a dict of template variables, not {type(data).__name__}"
        )
    for name, value in data.items():
        # a templated value that rendered to nothing would put a blank into every email
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidInputError(
                "template_data", f"{name!r} is empty; every template variable needs a value"
            )
    try:
        return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("template_data", f"cannot be written as JSON: {exc}") from None


class BukaEmailSender:
    """Sends one approved template to every address of a batch through ``email/sendEmail``.

    The reply's ``array`` holds ``{emailId, toAddress, emailState, remark}`` per
    address; an address it does not list, or lists with a non-zero ``emailState``
    or without an ``emailId``, is rejected (``remark`` is the reason).
    """

    platform = "buka"
    max_batch = MAX_ADDRESSES
    #: what the recipients are; the email operator validates addresses, not numbers
    recipient_kind = "email"
    # The Sender protocol asks for a number format. Nothing reads it for an email sender:
    # BukaSendEmailOperator validates them with spool_addresses instead.
    number_format = NumberFormat.DIGITS

    def __init__(
        self,
        hook: BukaHook,
        *,
        app_id: str,
        subject: str,
        template_id: str | int,
        from_address: str,
        template_data: Mapping[str, Any] | str | None = None,
        language: str | None = None,
        ad_flag: int | None = None,
    ) -> None:
        self.hook = hook
        self.app_id = app_id
        self.fields = email_fields(
            subject=subject,
            template_id=template_id,
            from_address=from_address,
            template_data=template_data,
            language=language,
            ad_flag=ad_flag,
        )

    def send(self, batch: Batch) -> list[RecipientResult]:
        reply = self.hook.send_email(self.app_id, batch.numbers, self.fields)
        items = [item for item in reply.get("array") or [] if isinstance(item, dict)]
        by_address = {str(item.get("toAddress", "")).strip().lower(): item for item in items}
        return [_email_result(address, by_address.get(address.lower())) for address in batch.numbers]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # sendEmail takes no client reference and getSendEmailRcd needs the emailIds the
        # lost answer carried, so Buka cannot tell whether a batch was accepted.
        return None


def _email_result(address: str, item: Mapping[str, Any] | None) -> RecipientResult:
    if item is None:
        return RecipientResult(address, "rejected", None, None, "not accepted by Buka")
    state = item.get("emailState")
    if item.get("emailId") and str(state) in ("0", "None", ""):
        return RecipientResult(address, "accepted", str(item["emailId"]))
    reason = item.get("remark") or f"emailState {state}"
    return RecipientResult(address, "rejected", None, None, str(reason))


def _accepted_in_order(
    numbers: list[str], references: list[str], items: list[dict[str, Any]]
) -> AcceptedRun | None:
    """The results when the reply lists every number, in the order sent, each with its own orderId
    and a msgId (all accepted, the usual reply); else None, for the matching by orderId and number.

    The usual reply of a million-recipient campaign, read without a dictionary per batch, its
    fields taken in C (``map``), and its results kept as an :class:`.AcceptedRun`.
    """
    if len(items) != len(numbers) or list(map(dict.get, items, repeat("orderId"))) != references:
        return None
    vendor_ids = list(map(dict.get, items, repeat("msgId")))
    if not all(vendor_ids):
        return None
    return AcceptedRun(numbers, vendor_ids, references)


def _objects(array: Any) -> list[dict[str, Any]]:
    """The objects of a reply's array (anything else in it left out); the usual array, objects
    only, is kept as it is: its items' types are tested in C, not one by one."""
    if not array:
        return []
    if isinstance(array, list) and set(map(type, array)) == _ONLY_DICT:
        return array
    return [item for item in array if isinstance(item, dict)]
