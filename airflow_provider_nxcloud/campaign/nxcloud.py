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
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, country_and_national
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.campaign.schedule import schedule_moment
from airflow_provider_nxcloud.exceptions import InvalidInputError, check_one_of
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
        # the record queries ask by day: the send time tells which day(s) to ask for
        sent_at = dt.datetime.fromtimestamp(self.clock(), dt.UTC).isoformat(timespec="seconds")
        message_id = self.hook.send_sms(
            list(batch.numbers),
            self.text,
            app_key=self.app_key,
            sender_id=self.sender_id,
            sys_message_id=reference,
            api=self.api,
            client_reference=reference or batch.reference,
        )
        return [
            RecipientResult(number, "accepted", message_id, reference, sent_at=sent_at)
            for number in batch.numbers
        ]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # NXCloud has no query by client reference: the record queries take the
        # messageid the lost answer carried (or list a whole day of the app's
        # messages without sysMessageId), and sysMessageId is dropped anyway on
        # requests with several numbers. So it cannot tell.
        return None


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
