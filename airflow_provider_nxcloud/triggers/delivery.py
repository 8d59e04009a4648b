"""A poll-only trigger that waits in the triggerer for delivery reports (SMS, email) and call records.

It reads and never sends: its only client is the hooks' read-only async
transport, which refuses send endpoints, so a trigger that runs twice (the
triggerer may duplicate or restart it) only asks twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_nxcloud.campaign.delivery import (
    FAILURE,
    PENDING,
    SUCCESS,
    AsyncRequest,
    DeliveryReport,
    DeliveryTracker,
    MessageRef,
    Pacer,
    describe,
    poller_for,
)
from airflow_provider_nxcloud.exceptions import (
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.mixin import hook_class_for

#: errors worth asking again about: the vendor said "later", or the network failed
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (RetryableAPIError, httpx.TransportError, OSError)

#: event statuses
TIMEOUT = "timeout"
ERROR = "error"


class SmsDeliveryTrigger(BaseTrigger):
    """Polls one platform's reports on one kind of message until every one is final, the ratio is lost,
    or time is up. (Named when it served SMS only; ``kind`` picks SMS, email or calls.)

    Yields exactly one event, ``{"status": "success" | "failure" | "timeout" |
    "error", "message": ..., **summary}`` where the summary is
    :meth:`~airflow_provider_nxcloud.campaign.delivery.DeliveryReport.summary`;
    with ``include_details`` it also carries ``details``: every message as
    ``[message_id, number, outcome, vendor_status, reason]``. An ``error`` event
    says whether a task retry may help (``retryable``).

    Transient poll errors (vendor "busy"/rate limits, HTTP 429/5xx, connection
    failures) are retried at the next poll, up to ``max_consecutive_errors`` in a
    row; then one ``error`` event. The transport does no in-hook retries here, so
    each failed request counts once and the poll interval is the back-off.

    :param platform: ``buka``, ``nxcloud`` or ``fonedynamics``.
    :param kind: ``sms`` (default), ``email`` or ``voice``.
    :param conn_id: the platform's connection id.
    :param messages: ``[[message_id, number, send_day_yyyyMMdd, sent_at_epoch], ...]`` (number and
        day may be null; ``sent_at`` may be left out).
    :param min_delivered_ratio: delivered / total needed for success, 0 to 1.
    :param poll_interval: seconds between poll rounds.
    :param end_time: absolute deadline, epoch seconds.
    :param max_consecutive_errors: transient failed polls in a row before giving up.
    :param app_id: Buka only: the appId of the kind's service (default: the connection's).
    :param options: the poller's own settings (NXCloud calls: ``{"voice_type": 0 | 1}``).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param include_details: put every message's status in the event (for a report file).
    """

    def __init__(
        self,
        *,
        platform: str,
        conn_id: str,
        messages: Sequence[Sequence[Any]],
        min_delivered_ratio: float = 1.0,
        poll_interval: float = 60.0,
        end_time: float,
        max_consecutive_errors: int = 5,
        app_id: str | None = None,
        disposition_overrides: Mapping[str, str] | None = None,
        include_details: bool = False,
        kind: str = "sms",
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.platform = platform
        self.kind = kind
        self.conn_id = conn_id
        self.messages = [list(m) for m in messages]
        self.min_delivered_ratio = float(min_delivered_ratio)
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)
        self.max_consecutive_errors = int(max_consecutive_errors)
        self.app_id = app_id
        self.disposition_overrides: dict[str | int, str] | None = (
            {code: value for code, value in disposition_overrides.items()} if disposition_overrides else None
        )
        self.include_details = bool(include_details)
        self.options = dict(options) if options else None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "platform": self.platform,
                "kind": self.kind,
                "conn_id": self.conn_id,
                "messages": self.messages,
                "min_delivered_ratio": self.min_delivered_ratio,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "max_consecutive_errors": self.max_consecutive_errors,
                "app_id": self.app_id,
                "disposition_overrides": self.disposition_overrides,
                "include_details": self.include_details,
                "options": self.options,
            },
        )

    async def _sleep(self, seconds: float) -> None:
        """The trigger's only way to wait (tests replace it)."""
        await asyncio.sleep(seconds)

    async def _open(self) -> tuple[DeliveryTracker, AsyncRequest]:
        """The tracker and a read-only request function; the connection is looked up without blocking."""
        hook = hook_class_for(self.platform)(self.conn_id, disposition_overrides=self.disposition_overrides)
        # one request per poll: the poll interval is the back-off. The connection is looked up
        # once and kept by the hook, so the poller's app ids and app keys come from it too,
        # never from a synchronous lookup inside the event loop.
        transport = await hook.get_async_transport(sleep=self._sleep, max_attempts=1)
        poller = poller_for(self.platform, hook, kind=self.kind, app_id=self.app_id, options=self.options)
        refs = [MessageRef.from_json(m) for m in self.messages]
        # the sensor may have asked a rate-limited endpoint just before it deferred
        tracker = DeliveryTracker(poller, refs, self.min_delivered_ratio, Pacer(handed_over=True))
        return tracker, transport.request

    def _event(self, status: str, report: DeliveryReport | None, **extra: Any) -> TriggerEvent:
        payload: dict[str, Any] = {"status": status}
        if report is not None:
            payload.update(report.summary())
            if self.include_details:
                payload["details"] = [s.to_row() for s in report.statuses]
        payload.update(extra)
        if "message" not in payload:
            payload["message"] = describe(payload)
        return TriggerEvent(payload)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            tracker, request = await self._open()
        except (InvalidInputError, PermanentAPIError) as exc:
            yield self._event(ERROR, None, platform=self.platform, retryable=False, message=str(exc))
            return
        except Exception as exc:
            yield self._event(ERROR, None, platform=self.platform, retryable=True, message=_text(exc))
            return
        errors = 0
        while True:
            try:
                report = await tracker.apoll(request, self._sleep)
                errors = 0
            except TRANSIENT_ERRORS as exc:
                errors += 1
                self.log.warning(
                    "poll failed (%d of %d in a row allowed): %s", errors, self.max_consecutive_errors, exc
                )
                if errors > self.max_consecutive_errors:
                    message = f"{errors} polls in a row failed; the last: {_text(exc)}"
                    yield self._event(ERROR, tracker.report(), retryable=True, message=message)
                    return
                report = tracker.report()
            except VendorAPIError as exc:
                yield self._event(ERROR, tracker.report(), retryable=False, message=str(exc))
                return
            except Exception as exc:
                yield self._event(ERROR, tracker.report(), retryable=True, message=_text(exc))
                return
            else:
                verdict = report.verdict()
                if verdict in (SUCCESS, FAILURE):
                    yield self._event(verdict, report)
                    return
                self.log.info(
                    "%s: %d delivered, %d failed, %d pending of %d",
                    self.platform,
                    report.delivered,
                    report.failed,
                    report.pending,
                    report.total,
                )
            remaining = self.end_time - time.time()
            if remaining <= 0:
                yield self._event(TIMEOUT, report)
                return
            await self._sleep(min(self.poll_interval, remaining))

    async def on_kill(self) -> None:
        """Nothing to cancel: the messages are already with the vendor and cannot be recalled."""


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


__all__ = ["ERROR", "FAILURE", "PENDING", "SUCCESS", "TIMEOUT", "SmsDeliveryTrigger"]
