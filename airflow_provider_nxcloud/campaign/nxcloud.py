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
numbers, ``versend`` (TTS verification code) one number. These APIs take the
national number and the country code apart, so a batch holds numbers of one
country code only: a batch also ends where the country changes (sort a mixed
list by country for fewer requests). One ``messageid`` per request, as for SMS;
each result line carries ``sent_at``, which the call-record query needs.
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
APIS: dict[str, tuple[str, bool]] = {
    "v2": ("sms_send_v2", False),
    "v1": ("sms_send_v1", False),
    "legacy": ("sms_send_legacy", True),
}


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
    """Sends one text to every number of a batch in one request (comma-separated ``phone``)."""

    platform = "nxcloud"
    max_batch = MAX_NUMBERS
    number_format = NumberFormat.DIGITS

    def __init__(
        self,
        hook: NXCloudHook,
        *,
        text: str,
        app_key: str,
        sender_id: str | None = None,
        api: str = "v2",
    ) -> None:
        self.hook = hook
        self.text = text
        self.app_key = app_key
        self.sender_id = sender_id
        self.endpoint, self.legacy = APIS[check_api(api)]

    def body(self, batch: Batch) -> dict[str, Any]:
        reference = self.reference(batch)
        if self.legacy:
            # appkey/secretkey of the connection's SMS app are added by the hook; an
            # explicit appkey here wins (its secret must still be the connection's)
            fields = {
                "appkey": self.app_key,
                "phone": ",".join(batch.numbers),
                "content": self.text,
                "source_address": self.sender_id,
                "sys_messageid": reference,
            }
        else:
            fields = {
                "appKey": self.app_key,
                "phone": ",".join(batch.numbers),
                "content": self.text,
                "sourceAddress": self.sender_id,
                "sysMessageId": reference,
            }
        return {name: value for name, value in fields.items() if value}

    @staticmethod
    def reference(batch: Batch) -> str | None:
        # NXCloud ignores sysMessageId when a request carries several numbers
        return sys_message_id(batch.recipient_reference(0)) if len(batch.recipients) == 1 else None

    def send(self, batch: Batch) -> list[RecipientResult]:
        reference = self.reference(batch)
        reply = self.hook.call(self.endpoint, self.body(batch), client_reference=reference or batch.reference)
        message_id = _message_id(reply)
        return [RecipientResult(number, "accepted", message_id, reference) for number in batch.numbers]

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
    if display_number is not None:
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
    if not vendor.VOICE_LANGUAGE.fullmatch(code):
        raise InvalidInputError(
            "language", f"must be a language code such as 'en' or 'zh-yue', not {language!r}"
        )
    return code


def _show_phone(number: Any) -> str:
    text = str(number).strip() if isinstance(number, str | int) and not isinstance(number, bool) else ""
    if not vendor.VOICE_SHOW_PHONE.fullmatch(text):
        raise InvalidInputError("display_number", "must be 1 to 50 digits (no +)")
    return text


class NXCloudVoiceSender:
    """Calls every number of a batch in one legacy voice request (``phone`` national, ``country_code`` apart)."""

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
        parts = [country_and_national(number) for number in batch.numbers]
        body = {
            "phone": ",".join(national for _, national in parts),
            "country_code": parts[0][0],
            **self.fields,
        }
        # taken before the request: no call of it can be placed earlier
        sent_at = max(self.clock(), self.starts_at or 0.0)
        reply = self.hook.call(self.endpoint, body, client_reference=batch.reference)
        message_id = _message_id(reply)
        when = dt.datetime.fromtimestamp(sent_at, dt.UTC).isoformat(timespec="seconds")
        return [RecipientResult(number, "accepted", message_id, sent_at=when) for number in batch.numbers]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # The legacy voice API takes no client reference, and getVoiceCdr lists calls by
        # messageid and time: it cannot prove which try placed a call. So it cannot tell.
        return None


def _message_id(reply: Any) -> str | None:
    """The request's ``messageid`` (v2/legacy: top level; a ``data`` object is read too, for v1)."""
    if not isinstance(reply, dict):
        return None
    data = reply.get("data")
    for source in (reply, data if isinstance(data, dict) else {}):
        for key in ("messageid", "messageId"):
            if source.get(key):
                return str(source[key])
    return None
