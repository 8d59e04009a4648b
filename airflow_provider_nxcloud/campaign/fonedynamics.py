"""Fone Dynamics SMS campaigns: one ``BatchMessages`` request per batch of at most 100 messages.

The reply is a JSON array, one element per message in request order, under
HTTP 200 even when some messages failed: an element with ``MessageSid`` was
accepted, one without it was refused with ``ErrorCode`` and the error text in
``Message`` (``fonedynamics/fonedynamics-csharp:.../BatchMessageResource.cs``).
Every element is checked.

A batch whose answer was lost is never sent again on the strength of the
vendor's message list: the list can lag behind the send, and the only per-message
client reference, ``ExternalId``, is in neither official SDK. The lookup can
only prove *presence* (every message of the batch listed with its reference,
number and text); anything less leaves the batch in doubt.
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

# A lookup reads the property's messages from the batch's recorded send time on, never the
# property's history: Date_From / Date_To bound the find-SMS list (platforms DOC_FIND_SMS).
# It reads from LOOKUP_NEAR_S before the send first and, only when that finds less than the
# whole batch, the slice from LOOKUP_SKEW_S before it (disjoint: nothing is read twice).
# ASSUMPTION [FD-7]: the vendor filters on the message's ``Created`` stamp, and its clock is
# less than LOOKUP_SKEW_S behind the worker's and less than LOOKUP_SLACK_S ahead. A message
# stamped outside the window is not found, and its batch stays in doubt: never sent again.
# The list's order is not documented and nothing relies on it.

#: stamps are whole seconds and NTP keeps clocks within milliseconds: one second covers both
#: while reading little of a fast campaign's traffic before the send
LOOKUP_NEAR_S = 1
#: the widest clock difference a lookup still settles
LOOKUP_SKEW_S = 300
#: slack after "now" (or a later schedule) for a vendor clock ahead of the worker's
LOOKUP_SLACK_S = 3600
#: how far back a lookup searches when the progress record holds no send time for the batch
LOOKUP_WINDOW_S = 7 * 24 * 3600
#: the find-SMS page's documented default size: one the vendor is known to serve
LOOKUP_PAGE_SIZE = vendor.MESSAGES_PAGE_DEFAULT
#: a lookup reading more pages than this gives up (cannot tell) rather than scan forever
LOOKUP_MAX_PAGES = 1000


def check_sms_content(text: Any, sender_id: Any) -> None:
    problem = vendor.text_problem(text)
    if problem is not None:
        raise InvalidInputError("text", problem)
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

    #: a lookup that does not find the whole batch looks again this long after the send, so a
    #: message list that lags by less settles the batch without a person; absence is never
    #: concluded (FD-2), whatever the delay
    settle_delay = 60.0

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
        # ExternalId: a label for a person reading the vendor's records, and the only
        # way a lookup can prove a message is this batch's (an ASSUMPTION [FD-1], see lookup)
        return vendor.message_body(
            number,
            self.text,
            sender=self.sender_id,
            schedule=self.schedule,
            delivery_receipt=True,
            external_id=reference,
        )

    def send(self, batch: Batch) -> list[RecipientResult]:
        references = [batch.recipient_reference(i) for i in range(len(batch.recipients))]
        messages = [self.message(n, r) for n, r in zip(batch.numbers, references, strict=True)]
        items = self.hook.send_batch(
            messages, property_sid=self.property_sid, client_reference=batch.reference
        )
        if items is None or len(items) != len(messages):
            # accepted, but which messages? The lookup may prove them present; else in doubt
            raise _unreadable_reply(batch, items)
        return [
            _result(number, reference, item)
            for number, reference, item in zip(batch.numbers, references, items, strict=True)
        ]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """The batch's results if the property's message list proves every message present; else None.

        Never ``[]`` ("the vendor has none of it"): the find-SMS page documents no
        freshness, so a message sent moments ago may not be listed yet, and a batch
        missing from the list may still be delivered. Sending it again could
        deliver it twice, so an unproven batch stays in doubt (the engine's
        ``in_doubt`` policy decides).

        A listed message proves one recipient only when its ``ExternalId`` is that
        recipient's reference (unique to this task instance, batch and position),
        its ``To`` is the number and its ``Text`` the campaign's text. ASSUMPTION [FD-1]:
        the vendor keeps the ``ExternalId`` a send sets (the get-SMS page lists it
        in the MessageResource; the SDKs do not know it). If it does not, nothing
        is proven and the batch stays in doubt. Number, text and time alone prove
        nothing: the same text may have gone to the same number before.

        Only the batch's window is read (:meth:`_windows`, from its recorded send time),
        however long the property's history is: with W messages in the window and pages of
        P, a lookup that proves the batch makes at most ceil(W / P) + 1 requests, one that
        cannot at most floor(W / P) + 2 (each of the two slices ends on a short page).
        """
        wanted = {batch.recipient_reference(i): n for i, n in enumerate(batch.numbers)}
        found = self._find(wanted, self._windows(batch.sent_at))
        if found is None or len(found) < len(wanted):
            log.warning(
                "batch %d: the message list shows %s of its %d messages; it stays in doubt",
                batch.index,
                "none" if not found else len(found),
                len(wanted),
            )
            return None
        return [
            RecipientResult(number, "accepted", found[reference], reference)
            for reference, number in wanted.items()
        ]

    def _windows(self, sent_at: float | None) -> list[tuple[int, int]]:
        """The ``(Date_From, Date_To)`` slices a lookup reads, nearest the send first.

        They are disjoint (Date_From inclusive, Date_To exclusive), so a message is read
        at most once. Without a recorded send time: the last :data:`LOOKUP_WINDOW_S`.
        """
        now = self.clock()
        if sent_at is None:
            return [(int(now - LOOKUP_WINDOW_S), int(now + LOOKUP_SLACK_S))]
        sent = int(sent_at)
        # a scheduled batch: if the vendor stamps or filters by the schedule, it is inside too
        until = int(max(now, sent, self.schedule or 0)) + LOOKUP_SLACK_S
        return [(sent - LOOKUP_NEAR_S, until), (sent - LOOKUP_SKEW_S, sent - LOOKUP_NEAR_S)]

    def _find(self, wanted: dict[str, str], windows: list[tuple[int, int]]) -> dict[str, str] | None:
        """``{reference: MessageSid}`` of the wanted messages listed in ``windows``, read in
        order until every one is found; None when the list cannot be read."""
        found: dict[str, str] = {}
        pages = 0
        for date_from, date_to in windows:
            for page in self.hook.iter_message_pages(
                date_from,
                date_to,
                direction=vendor.DIRECTION_TRANSMIT,
                page_size=LOOKUP_PAGE_SIZE,
                max_pages=LOOKUP_MAX_PAGES - pages,
                property_sid=self.property_sid,
            ):
                if page is None:
                    return None
                pages += 1
                for message in page:
                    reference = message.get("ExternalId")
                    if reference in wanted and self._is_ours(message, wanted[reference]):
                        found[reference] = str(message["MessageSid"])
                # an early stop only leaves the batch in doubt: absence is never concluded here
                if len(found) == len(wanted):
                    return found
            if pages >= LOOKUP_MAX_PAGES:
                break
        return found

    def _is_ours(self, message: dict[str, Any], number: str) -> bool:
        return (
            bool(message.get("MessageSid"))
            and str(message.get("To") or "").lstrip("+") == number.lstrip("+")
            and message.get("Text") == self.text
        )


def _result(number: str, reference: str, item: vendor.BatchItem) -> RecipientResult:
    if item.accepted:
        return RecipientResult(number, "accepted", item.message_sid, reference)
    if item.error_code or item.error_message:
        code = item.error_code or "ERROR"
        error = f"{code}: {item.error_message}" if item.error_message else code
        return RecipientResult(number, "rejected", None, reference, error)
    return RecipientResult(
        number, "rejected", None, reference, "not accepted by Fone Dynamics (no MessageSid)"
    )


def _unreadable_reply(batch: Batch, items: list[vendor.BatchItem] | None) -> AmbiguousSendError:
    size = len(items) if items is not None else None
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
