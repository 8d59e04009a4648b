"""Waiting for vendor jobs (voice campaign tasks, AI voice tasks, number checks), in poke or deferrable mode.

:class:`VendorTaskSensor` is the base of the platform sensors; :class:`JobWaiter`
is the same wait for an operator that created the job itself
(``wait_for_completion``) and therefore also cancels it when a user kills the task.
Both poll through :mod:`airflow_provider_nxcloud.jobs.watch` and defer to one
:class:`~airflow_provider_nxcloud.triggers.task.VendorTaskTrigger`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_nxcloud.exceptions import DeliveryWaitError, RetryableAPIError
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin, hook_class_for
from airflow_provider_nxcloud.jobs.watch import FAILURE, SUCCESS, JobState, Watch, watch_for
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.overrides import plain_overrides
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.triggers.delivery import ERROR, TIMEOUT
from airflow_provider_nxcloud.triggers.task import VendorTaskTrigger

EVENT_STATUSES = (SUCCESS, FAILURE, TIMEOUT, ERROR)


class JobWaiter:
    """One wait for one job: polls through a hook, ends in a result or an Airflow outcome."""

    def __init__(self, operator: Any, platform: str, watch_name: str, hook: Any, watch: Watch) -> None:
        self.operator = operator
        self.platform = platform
        self.watch_name = watch_name
        self.hook = hook
        self.watch = watch
        self.pacer = Pacer()

    @property
    def log(self) -> Any:
        return self.operator.log

    def poll(self) -> JobState | None:
        """One poll; None when the vendor was transiently unreadable (asked again next time)."""
        with airflow_outcome():
            try:
                return drive(self.watch.poll(), self.hook.request, self.pacer)
            except RetryableAPIError as exc:
                self.log.warning(
                    "%s: not readable this time, asking again later: %s", self.watch.subject, exc
                )
                return None

    def result(self, state: JobState) -> dict[str, Any]:
        """The XCom of an ended job, or AirflowFailException for a failed one."""
        if state.outcome == FAILURE:
            raise AirflowFailException(state.message)
        self.log.info("%s", state.message)
        return state.to_json()

    def wait_here(self, poll_interval: float, timeout: float) -> JobState:
        """Poll on the worker until the job ends (or ``timeout`` seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.poll()
            if state is not None and state.ended:
                return state
            if state is not None:
                self.log.info("%s", state.message)
            if time.monotonic() >= deadline:
                seen = f"; last seen: {state.message}" if state else ""
                raise AirflowSensorTimeout(f"{self.watch.subject} did not end within {timeout} s{seen}")
            time.sleep(poll_interval)

    def defer(
        self,
        *,
        conn_id: str,
        poll_interval: float,
        timeout: float,
        max_consecutive_errors: int,
        disposition_overrides: Mapping[Any, Any] | None,
        cancel_on_kill: bool,
        method_name: str = "execute_complete",
    ) -> None:
        self.operator.defer(
            trigger=VendorTaskTrigger(
                platform=self.platform,
                watch=self.watch_name,
                options=self.watch.options(),
                conn_id=conn_id,
                poll_interval=poll_interval,
                end_time=time.time() + timeout,
                max_consecutive_errors=max_consecutive_errors,
                disposition_overrides=plain_overrides(disposition_overrides),
                cancel_on_kill=cancel_on_kill,
            ),
            method_name=method_name,
            timeout=timedelta(seconds=timeout),
        )


def event_result(event: Any, timeout: float) -> JobState:
    """The trigger's one event as an ended job, or the Airflow outcome it means."""
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise AirflowFailException(f"unexpected event from the task trigger: {event!r}")
    status = event["status"]
    message = str(event.get("message") or "the task trigger failed")
    if status in (SUCCESS, FAILURE):
        job = {k: v for k, v in event.items() if k not in ("status", "platform", "watch")}
        job["status"] = job.pop("job_status", "")
        return JobState.from_json(job)
    if status == TIMEOUT:
        raise AirflowSensorTimeout(f"Timed out after {timeout} seconds: {message}")
    if event.get("retryable"):
        raise DeliveryWaitError(message)
    raise AirflowFailException(message)


class VendorTaskSensor(BaseSensorOperator, PlatformHookMixin[CPaaSHook]):
    """Base of the job sensors; use a platform's sensor.

    :param max_consecutive_errors: deferrable mode: transient failed polls in a row
        the trigger tolerates before the task fails (and may be retried).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param deferrable: wait in the triggerer instead of a worker slot (poke once first).

    ``poke_interval`` is also the trigger's poll interval; ``timeout`` is the deadline
    of the whole wait in either mode. Returns (XCom) the job's final state:
    ``outcome``, ``status``, ``message`` and the watch's details.
    """

    ui_color = "#e3f4e1"

    platform: ClassVar[str]
    #: a name in :data:`airflow_provider_nxcloud.jobs.watch.WATCHES`
    watch_name: ClassVar[str]

    def __init__(
        self,
        *,
        conn_id: str,
        max_consecutive_errors: int = 5,
        disposition_overrides: Mapping[str | int, str] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.max_consecutive_errors = max_consecutive_errors
        self.disposition_overrides = disposition_overrides
        self.deferrable = deferrable
        self._waiter: JobWaiter | None = None

    # ----- what a platform sensor says -----------------------------------------------------------

    def watch_options(self, context: Any) -> dict[str, Any]:
        """The watch's options from the (rendered, validated) parameters; raise InvalidInputError."""
        raise NotImplementedError

    def finish(self, context: Any, state: JobState, hook: Any | None) -> dict[str, Any]:
        """The XCom of a job that ended well (a subclass may write files first). ``hook`` is None after a deferral."""
        return state.to_json()

    # ----- the wait ------------------------------------------------------------------------------

    @property
    def hook_class(self) -> type[CPaaSHook]:
        """The hook of this sensor's :attr:`platform`."""
        return hook_class_for(self.platform)

    @property
    def hook_conn_id(self) -> str:
        return self.conn_id

    def waiter(self, context: Any) -> JobWaiter:
        if self._waiter is None:
            with airflow_outcome():
                options = self.watch_options(context)
                hook = self.hook
                watch = watch_for(self.watch_name, hook, options)
            self._waiter = JobWaiter(self, self.platform, self.watch_name, hook, watch)
        return self._waiter

    def _ended(self, context: Any, state: JobState, hook: Any | None) -> dict[str, Any]:
        if state.outcome == FAILURE:
            raise AirflowFailException(state.message)
        self.log.info("%s", state.message)
        with airflow_outcome():
            return self.finish(context, state, hook)

    def poke(self, context: Any) -> bool | PokeReturnValue:
        waiter = self.waiter(context)
        state = waiter.poll()
        if state is None:
            return False
        if state.ended:
            return PokeReturnValue(is_done=True, xcom_value=self._ended(context, state, waiter.hook))
        self.log.info("%s", state.message)
        return False

    def execute(self, context: Any) -> Any:
        self._waiter = None
        if not self.deferrable:
            return super().execute(context)
        try:
            done = self.poke(context)
        except AirflowFailException as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise
        if isinstance(done, PokeReturnValue) and done.is_done:
            return done.xcom_value
        self.waiter(context).defer(
            conn_id=self.conn_id,
            poll_interval=self.poke_interval,
            timeout=self.timeout,
            max_consecutive_errors=self.max_consecutive_errors,
            disposition_overrides=self.disposition_overrides,
            cancel_on_kill=False,
        )
        return None  # not reached: defer() raises TaskDeferred

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Turn the trigger's one event into the task's result."""
        state = event_result(event, self.timeout)
        return self._ended(context, state, None)


__all__: Sequence[str] = ["JobWaiter", "VendorTaskSensor", "event_result"]
