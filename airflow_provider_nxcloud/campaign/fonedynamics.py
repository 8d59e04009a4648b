"""Fone Dynamics SMS campaigns: one ``BatchMessages`` request per batch of at most 100 messages.

Every message carries its recipient's client reference as ``ExternalId``, so
a batch whose answer was lost is looked up in the property's message list.

The reply is a JSON array, one element per message in request order, under
HTTP 200 even when some messages failed: an element with ``MessageSid`` was
accepted, one with ``ErrorCode``/``ErrorMessage`` was not. Every element is
checked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import NumberFormat
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.campaign.schedule import schedule_moment
from airflow_provider_nxcloud.exceptions import AmbiguousSendError, InvalidInputError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.platforms import fonedynamics as vendor
from airflow_provider_nxcloud.platforms.codes import Disposition

log = logging.getLogger(__name__)

MAX_MESSAGES = vendor.BATCH_MAX_MESSAGES
SCHEDULE_AHEAD_S = vendor.SCHEDULE_AHEAD_S
SCHEDULE_BEHIND_S = vendor.SCHEDULE_BEHIND_S
E164_SENDER = vendor.E164_NUMBER
ALPHANUMERIC_SENDER = vendor.ALPHANUMERIC_SENDER

#: how far back a lookup searches the property's messages. The progress record
#: keeps no send time, so the window must cover the time between the lost
#: answer and the try that looks it up (retries, or a task cleared days later)
LOOKUP_WINDOW_S = 7 * 24 * 3600
#: slack after "now" for clock differences between worker and vendor
LOOKUP_SLACK_S = 3600
LOOKUP_PAGE_SIZE = 100
#: a lookup reading more pages than this gives up (cannot tell) rather than scan forever
LOOKUP_MAX_PAGES = 1000


def check_sms_content(text: Any, sender_id: Any) -> None:
    # Fone Dynamics publishes no length limit for Text: none is enforced here
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text", "is empty; give the message text")
    if sender_id is not None and not (
        isinstance(sender_id, str)
        and (E164_SENDER.fullmatch(sender_id) or ALPHANUMERIC_SENDER.fullmatch(sender_id))
    ):
        raise InvalidInputError(
            "sender_id",
            "must be an E.164 number (+61400000000) or 1 to 11 letters, digits or spaces "
            "with at least one letter",
        )


def schedule_epoch(value: Any) -> int | None:
    """``schedule_time`` as UTC epoch seconds; it must name its timezone."""
    moment = schedule_moment(value)
    return None if moment is None else int(moment.timestamp())


def check_schedule(epoch: int | None, now: float) -> None:
    """The vendor's rule: at most 14 days ahead, at most 1 hour in the past."""
    if epoch is None:
        return
    if epoch > now + SCHEDULE_AHEAD_S:
        raise InvalidInputError("schedule_time", "is more than 14 days ahead; Fone Dynamics refuses it")
    if epoch < now - SCHEDULE_BEHIND_S:
        raise InvalidInputError("schedule_time", "is more than 1 hour in the past; Fone Dynamics refuses it")


class FoneDynamicsSmsSender:
    """Sends one text to every number of a batch through ``BatchMessages``."""

    platform = "fonedynamics"
    max_batch = MAX_MESSAGES
    number_format = NumberFormat.E164

    def __init__(
        self,
        hook: FoneDynamicsHook,
        *,
        text: str,
        property_sid: str,
        sender_id: str | None = None,
        schedule: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hook = hook
        self.text = text
        self.property_sid = property_sid
        self.sender_id = sender_id
        self.schedule = schedule
        self.clock = clock

    def message(self, number: str, reference: str) -> dict[str, Any]:
        message: dict[str, Any] = {"To": number, "Text": self.text}
        if self.sender_id:
            message["From"] = self.sender_id
        message["ExternalId"] = reference
        message["DeliveryReceipt"] = True
        if self.schedule is not None:
            message["Schedule"] = self.schedule
        return message

    def send(self, batch: Batch) -> list[RecipientResult]:
        references = [batch.recipient_reference(i) for i in range(len(batch.recipients))]
        messages = [self.message(n, r) for n, r in zip(batch.numbers, references, strict=True)]
        reply = self.hook.call(
            "send_batch",
            {"Messages": messages},
            path_params={"property_sid": self.property_sid},
            client_reference=batch.reference,
        )
        if not isinstance(reply, list) or len(reply) != len(messages):
            # accepted, but which messages? The lookup by ExternalId can tell
            raise _unreadable_reply(batch, reply)
        return [
            _result(number, reference, item)
            for number, reference, item in zip(batch.numbers, references, reply, strict=True)
        ]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """The batch's messages found in the property's message list, by ``ExternalId``.

        All found: their results. None found: ``[]`` (the vendor has none of the
        batch). Some found: ``None``. One request is processed as a whole, so
        the missing ones were most likely refused, but the list may not show
        every accepted message yet, and a refusal cannot be proven from it;
        sending them again could send twice, so the batch stays in doubt.
        Also ``None`` when a found message went to another number than the
        batch's (the recipients changed between tries) or the list is too long
        to scan.
        """
        wanted = {batch.recipient_reference(i): n for i, n in enumerate(batch.numbers)}
        found = self._find(set(wanted))
        if found is None:
            return None
        if not found:
            return []
        if len(found) < len(wanted):
            log.warning(
                "batch %d: Fone Dynamics holds %d of its %d messages; cannot tell about the others",
                batch.index,
                len(found),
                len(wanted),
            )
            return None
        results = []
        for reference, number in wanted.items():
            message = found[reference]
            if str(message.get("To") or "").lstrip("+") != number.lstrip("+"):
                log.warning("batch %d: %s was sent to another number", batch.index, reference)
                return None
            results.append(RecipientResult(number, "accepted", str(message["MessageSid"]), reference))
        return results

    def _find(self, references: set[str]) -> dict[str, dict[str, Any]] | None:
        """Messages of the last :data:`LOOKUP_WINDOW_S` with these ExternalIds; None if it cannot tell."""
        now = self.clock()
        window = {"Date_From": int(now - LOOKUP_WINDOW_S), "Date_To": int(now + LOOKUP_SLACK_S)}
        found: dict[str, dict[str, Any]] = {}
        skip = 0
        for _ in range(LOOKUP_MAX_PAGES):
            page = self.hook.call(
                "list_messages",
                params={**window, "Results_Count": LOOKUP_PAGE_SIZE, "Results_Skip": skip},
                path_params={"property_sid": self.property_sid},
            )
            messages = page.get("Messages") if isinstance(page, dict) else None
            if not isinstance(messages, list):
                return None
            for message in messages:
                if isinstance(message, dict) and message.get("MessageSid"):
                    reference = message.get("ExternalId")
                    if reference in references:
                        found[reference] = message
            skip += len(messages)
            total = page.get("TotalCount")
            # a short page is not the end: the vendor may cap Results_Count below ours
            if len(found) == len(references) or not messages or (isinstance(total, int) and skip >= total):
                return found
        return None


def _result(number: str, reference: str, item: Any) -> RecipientResult:
    if isinstance(item, dict) and item.get("MessageSid"):
        return RecipientResult(number, "accepted", str(item["MessageSid"]), reference)
    if isinstance(item, dict) and (item.get("ErrorCode") or item.get("ErrorMessage")):
        code, message = item.get("ErrorCode") or "ERROR", item.get("ErrorMessage")
        error = f"{code}: {message}" if message else str(code)
        return RecipientResult(number, "rejected", None, reference, error)
    return RecipientResult(
        number, "rejected", None, reference, "not accepted by Fone Dynamics (no MessageSid)"
    )


def _unreadable_reply(batch: Batch, reply: Any) -> AmbiguousSendError:
    size = len(reply) if isinstance(reply, list) else None
    return AmbiguousSendError(
        client_reference=batch.reference,
        platform="fonedynamics",
        service="rest",
        code="MALFORMED_REPLY",
        meaning="BatchMessages answered 2xx without one element per message",
        disposition=Disposition.FAIL,
        endpoint="send_batch",
        detail=f"{len(batch.recipients)} messages sent, {size if size is not None else 'no'} elements back",
    )
