"""Buka SMS campaigns: one ``sendSms`` per batch of at most 1,000 numbers."""

from __future__ import annotations

from typing import Any

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import NumberFormat
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.buka import BukaHook

#: sendSms over POST (the SDK and onbuka's page); GET allows only 100
MAX_NUMBERS = 1000
MAX_CONTENT = 1024
MAX_SENDER_ID = 32


def check_sms_content(text: Any, sender_id: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text", "is empty; give the message text")
    if len(text) > MAX_CONTENT:
        raise InvalidInputError("text", f"has {len(text)} characters; Buka accepts at most {MAX_CONTENT}")
    if sender_id is not None and (not isinstance(sender_id, str) or not 0 < len(sender_id) <= MAX_SENDER_ID):
        raise InvalidInputError("sender_id", f"must be 1 to {MAX_SENDER_ID} characters")


class BukaSmsSender:
    """Sends one text to every number of a batch; each number carries its own ``orderId``."""

    platform = "buka"
    max_batch = MAX_NUMBERS
    number_format = NumberFormat.DIGITS

    def __init__(self, hook: BukaHook, *, text: str, app_id: str, sender_id: str | None = None) -> None:
        self.hook = hook
        self.text = text
        self.app_id = app_id
        self.sender_id = sender_id

    def send(self, batch: Batch) -> list[RecipientResult]:
        references = [batch.recipient_reference(i) for i in range(len(batch.recipients))]
        body: dict[str, Any] = {
            "appId": self.app_id,
            "numbers": ",".join(batch.numbers),
            "content": self.text,
            "orderId": ",".join(references),
        }
        if self.sender_id:
            body["senderId"] = self.sender_id
        reply = self.hook.call("sms_send", body, client_reference=batch.reference)
        accepted = {item.get("orderId") or item.get("number"): item for item in reply.get("array") or []}
        results = []
        for number, reference in zip(batch.numbers, references, strict=True):
            item = accepted.get(reference) or accepted.get(number)
            if item and item.get("msgId"):
                results.append(RecipientResult(number, "accepted", str(item["msgId"]), reference))
            else:
                results.append(RecipientResult(number, "rejected", None, reference, "not accepted by Buka"))
        return results

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # Buka documents no query by orderId (getReport needs the msgIds the lost
        # answer carried, getSentRcd lists no orderId), so it cannot tell.
        return None
