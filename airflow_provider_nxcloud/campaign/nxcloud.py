"""NXCloud SMS campaigns: one send request per batch of at most 100 numbers.

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
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import NumberFormat
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.exceptions import InvalidInputError
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
    if api not in APIS:
        raise InvalidInputError("api", f"must be one of {', '.join(APIS)}, not {api!r}")
    return str(api)


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
