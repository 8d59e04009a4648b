"""A poll-only trigger that waits in the triggerer for one vendor job (voice task, AI task, number check).

It reads through the hooks' read-only async transport, so a duplicated or
restarted trigger only asks twice. The one exception is a user's kill: with
``cancel_on_kill`` (set by an operator that created the job) :meth:`on_kill`
cancels the job at the vendor, through the synchronous hook in a thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_nxcloud.exceptions import InvalidInputError, PermanentAPIError, VendorAPIError
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import hook_class_for
from airflow_provider_nxcloud.jobs.watch import RUNNING, JobState, Watch, is_cancellable, watch_for
from airflow_provider_nxcloud.polling import Pacer, adrive
from airflow_provider_nxcloud.triggers.delivery import ERROR, TIMEOUT, TRANSIENT_ERRORS


class VendorTaskTrigger(BaseTrigger):
    """Polls one job until it ends, time is up, or polls keep failing.

    Yields exactly one event: ``{"status": "success" | "failure" | "timeout" |
    "error", "message": ..., **details}``; ``success``/``failure`` carry the
    :class:`~airflow_provider_nxcloud.jobs.watch.JobState` (``outcome``,
    ``job_status`` and the watch's details); ``error`` says whether a retry may help
    (``retryable``).

    :param platform: ``buka`` or ``nxcloud``.
    :param watch: a name in :data:`~airflow_provider_nxcloud.jobs.watch.WATCHES`.
    :param options: the watch's plain-JSON options.
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
        max_consecutive_errors: int = 5,
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

    async def _open(self) -> tuple[Watch, Any]:
        hook = await self._hook()
        # one request per poll: the poll interval is the back-off
        transport = await hook.get_async_transport(sleep=self._sleep, max_attempts=1)
        return watch_for(self.watch, hook, self.options), transport.request

    def _event(self, status: str, **payload: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "platform": self.platform, "watch": self.watch, **payload})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            watch, request = await self._open()
        except (InvalidInputError, PermanentAPIError) as exc:
            yield self._event(ERROR, retryable=False, message=str(exc))
            return
        except Exception as exc:
            yield self._event(ERROR, retryable=True, message=_text(exc))
            return
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
                    yield self._event(ERROR, retryable=True, message=message)
                    return
            except VendorAPIError as exc:
                yield self._event(ERROR, retryable=False, message=str(exc))
                return
            except Exception as exc:
                yield self._event(ERROR, retryable=True, message=_text(exc))
                return
            else:
                last = state
                if state.outcome != RUNNING:
                    # the event's "status" is the outcome; the job's own status travels as "job_status"
                    job = state.to_json()
                    job["job_status"] = job.pop("status")
                    yield self._event(state.outcome, **job)
                    return
                self.log.info("%s", state.message)
            remaining = self.end_time - time.time()
            if remaining <= 0:
                seen = f"; last seen: {last.message}" if last else ""
                yield self._event(TIMEOUT, message=f"{watch.subject} did not end before the deadline{seen}")
                return
            await self._sleep(min(self.poll_interval, remaining))

    async def on_kill(self) -> None:
        """A user killed the waiting task: cancel the job too, when the task created it."""
        if not self.cancel_on_kill:
            return
        hook = await self._hook()
        watch = watch_for(self.watch, hook, self.options)
        if is_cancellable(watch):
            line = await asyncio.to_thread(watch.cancel, hook)  # type: ignore[attr-defined]
            self.log.info("%s", line)


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


__all__ = ["ERROR", "TIMEOUT", "VendorTaskTrigger"]
