"""The one poll-only trigger: waits in the triggerer for any watch (delivery reports, a vendor job).

It reads and never sends: its only client is the hook's read-only async transport,
which refuses send endpoints, so a trigger that runs twice (the triggerer may
duplicate or restart it) only asks twice. The one exception is a user's kill: with
``cancel_on_kill`` (set by an operator that created the job) :meth:`on_kill`
cancels the job at the vendor, through the synchronous hook in a thread.

Its kwargs are the watch's name and small options (references such as a results
path, never the list of messages), so the trigger row stays small at any campaign size.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_nxcloud.exceptions import (
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import hook_class_for
from airflow_provider_nxcloud.jobs.watch import (
    FAILURE,
    RUNNING,
    SUCCESS,
    JobState,
    Watch,
    is_cancellable,
    watch_for,
)
from airflow_provider_nxcloud.polling import AsyncRequest, Pacer, adrive

#: errors worth asking again about: the vendor said "later", or the network failed
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (RetryableAPIError, httpx.TransportError, OSError)

#: event statuses besides the watch's outcomes SUCCESS and FAILURE
TIMEOUT = "timeout"
ERROR = "error"
EVENT_STATUSES = (SUCCESS, FAILURE, TIMEOUT, ERROR)
#: transient failed polls in a row a wait tolerates by default
MAX_CONSECUTIVE_ERRORS = 5


class WaitTrigger(BaseTrigger):
    """Polls one watch until it ends, time is up, or polls keep failing.

    Yields exactly one event: ``{"status": "success" | "failure" | "timeout" | "error",
    "platform", "watch", "message", ...}``. Whenever the watch was polled, the event
    carries the last :class:`~airflow_provider_nxcloud.jobs.watch.JobState` it saw
    (``outcome``, ``job_status`` and the watch's bounded details) and what the watch's
    ``conclude()`` returned (a delivery report's path); an ``error`` event says whether
    a task retry may help (``retryable``).

    Transient poll errors (vendor "busy"/rate limits, HTTP 429/5xx, connection
    failures) are retried at the next poll, up to ``max_consecutive_errors`` in a row;
    then one ``error`` event. The transport makes one attempt per request here, so the
    poll interval is the back-off. One pooled HTTP client serves the whole run.

    :param platform: ``buka``, ``nxcloud`` or ``fonedynamics``.
    :param watch: a name in :data:`~airflow_provider_nxcloud.jobs.watch.WATCHES`.
    :param options: the watch's small plain-JSON options.
    :param conn_id: the platform's connection id.
    :param poll_interval: seconds between polls.
    :param end_time: absolute deadline, epoch seconds.
    :param max_consecutive_errors: transient failed polls in a row before giving up.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param cancel_on_kill: cancel the job at the vendor when a user kills the task.
    """

    def __init__(
        self,
        *,
        platform: str,
        watch: str,
        options: Mapping[str, Any],
        conn_id: str,
        poll_interval: float = 60.0,
        end_time: float,
        max_consecutive_errors: int = MAX_CONSECUTIVE_ERRORS,
        disposition_overrides: Mapping[str, str] | None = None,
        cancel_on_kill: bool = False,
    ) -> None:
        super().__init__()
        self.platform = platform
        self.watch = watch
        self.options = dict(options)
        self.conn_id = conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)
        self.max_consecutive_errors = int(max_consecutive_errors)
        self.disposition_overrides: dict[str | int, str] | None = (
            {code: value for code, value in disposition_overrides.items()} if disposition_overrides else None
        )
        self.cancel_on_kill = bool(cancel_on_kill)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "platform": self.platform,
                "watch": self.watch,
                "options": self.options,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "max_consecutive_errors": self.max_consecutive_errors,
                "disposition_overrides": self.disposition_overrides,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    async def _sleep(self, seconds: float) -> None:
        """The trigger's only way to wait (tests replace it)."""
        await asyncio.sleep(seconds)

    async def _hook(self) -> CPaaSHook:
        """The platform's hook, its settings read from the connection without blocking the event loop."""
        hook = hook_class_for(self.platform)(self.conn_id, disposition_overrides=self.disposition_overrides)
        await hook.aget_settings()
        return hook

    def _event(self, status: str, **payload: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "platform": self.platform, "watch": self.watch, **payload})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            hook = await self._hook()
            # one request per poll: the poll interval is the back-off
            transport = await hook.get_async_transport(sleep=self._sleep, max_attempts=1)
            watch = watch_for(self.watch, hook, self.options)
        except (InvalidInputError, PermanentAPIError) as exc:
            yield self._event(ERROR, retryable=False, message=str(exc))
            return
        except Exception as exc:
            yield self._event(ERROR, retryable=True, message=_text(exc))
            return
        # one pooled client for the whole run; closed when the run ends or is cancelled
        async with transport:
            status, payload = await self._wait(watch, transport.request)
        yield self._event(status, **payload)

    async def _wait(self, watch: Watch, request: AsyncRequest) -> tuple[str, dict[str, Any]]:
        """Poll until the wait ends; ``(status, payload)`` of the one event, the watch concluded."""
        # the sensor may have polled just before it deferred
        pacer = Pacer(handed_over=True)
        errors = 0
        last: JobState | None = None
        while True:
            try:
                state = await adrive(watch.poll(), request, pacer, self._sleep)
                errors = 0
            except TRANSIENT_ERRORS as exc:
                errors += 1
                self.log.warning(
                    "%s: poll failed (%d of %d in a row allowed): %s",
                    watch.subject,
                    errors,
                    self.max_consecutive_errors,
                    exc,
                )
                if errors > self.max_consecutive_errors:
                    message = f"{watch.subject}: {errors} polls in a row failed; the last: {_text(exc)}"
                    return self._concluded(watch, ERROR, last, retryable=True, message=message)
            except VendorAPIError as exc:
                return self._concluded(watch, ERROR, last, retryable=False, message=str(exc))
            except Exception as exc:
                return self._concluded(watch, ERROR, last, retryable=True, message=_text(exc))
            else:
                last = state
                if state.outcome != RUNNING:
                    return self._concluded(watch, state.outcome, state, message=state.message)
                self.log.info("%s", state.message)
            remaining = self.end_time - time.time()
            if remaining <= 0:
                seen = f"; last seen: {last.message}" if last else ""
                message = f"{watch.subject} did not end before the deadline{seen}"
                return self._concluded(watch, TIMEOUT, last, message=message)
            await self._sleep(min(self.poll_interval, remaining))

    def _concluded(
        self, watch: Watch, status: str, last: JobState | None, *, message: str, **extra: Any
    ) -> tuple[str, dict[str, Any]]:
        """The event's payload once the wait ended: the last state seen and the watch's conclusion.

        ``conclude()`` runs here, once, in the process that polled (not on a cancellation: a
        cancelled trigger is restarted elsewhere, and that run concludes).
        """
        payload: dict[str, Any] = state_payload(last) if last is not None else {}
        try:
            payload.update(watch.conclude())
        except Exception as exc:
            self.log.exception("%s: concluding the wait failed", watch.subject)
            return ERROR, {
                **payload,
                "retryable": not isinstance(exc, InvalidInputError),
                "message": f"{message}; then concluding the wait failed: {_text(exc)}",
            }
        return status, {**payload, **extra, "message": message}

    async def on_kill(self) -> None:
        """A user killed the waiting task: cancel the job too, when the task created it."""
        if not self.cancel_on_kill:
            return
        hook = await self._hook()
        watch = watch_for(self.watch, hook, self.options)
        if is_cancellable(watch):
            line = await asyncio.to_thread(watch.cancel, hook)  # type: ignore[attr-defined]
            self.log.info("%s", line)


def state_payload(state: JobState) -> dict[str, Any]:
    """A job state as event fields: the event's ``status`` is the wait's, the job's own is ``job_status``."""
    payload = state.to_json()
    payload["job_status"] = payload.pop("status")
    return payload


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


__all__ = [
    "ERROR",
    "EVENT_STATUSES",
    "MAX_CONSECUTIVE_ERRORS",
    "TIMEOUT",
    "TRANSIENT_ERRORS",
    "WaitTrigger",
    "state_payload",
]
