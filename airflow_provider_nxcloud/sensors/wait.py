"""The one wait of the task layer: poll a watch here, or defer to :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger`.

:class:`Waiter` is one wait on one :class:`~airflow_provider_nxcloud.jobs.watch.Watch`
for a task: a sensor, or an operator that waits for what it started (a send with
``wait_for_delivery``, a job with ``wait_for_completion``) and defers itself.
:class:`WaitSensor` is the base of every sensor: poke once, then defer
(or poke until done); the platform sensors only say which watch and options.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, NoReturn, Protocol

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    TaskDeferred,
    conf,
)

from airflow_provider_nxcloud.exceptions import DeliveryWaitError, RetryableAPIError
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin, hook_class_for
from airflow_provider_nxcloud.jobs.watch import FAILURE, SUCCESS, JobState, Watch, watch_for
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.overrides import plain_overrides
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.triggers.wait import EVENT_STATUSES, TIMEOUT, WaitTrigger


class TaskLog(Protocol):
    """The part of a task's logger a wait uses."""

    def info(self, msg: Any, /, *args: Any) -> Any: ...

    def warning(self, msg: Any, /, *args: Any) -> Any: ...


class WaitingTask(Protocol):
    """What a :class:`Waiter` needs of its task (any operator or sensor)."""

    @property
    def log(self) -> TaskLog: ...

    def defer(
        self, *, trigger: Any, method_name: str, kwargs: Any = None, timeout: Any = None
    ) -> NoReturn: ...


class Waiter:
    """One wait on one watch for one task: polls through the task's hook, ends in a state or an Airflow outcome.

    The watch's ``conclude()`` runs once when the wait ends here (ended, timed out or
    failed); :meth:`defer` hands the wait to the triggerer, which concludes it there.
    """

    def __init__(self, task: WaitingTask, watch_name: str, hook: CPaaSHook, watch: Watch) -> None:
        self.task = task
        self.watch_name = watch_name
        self.hook = hook
        self.watch = watch
        self.pacer = Pacer()
        self.last: JobState | None = None
        self.concluded: dict[str, Any] | None = None

    @classmethod
    def for_options(
        cls, task: WaitingTask, watch_name: str, hook: CPaaSHook, options: Mapping[str, Any]
    ) -> Waiter:
        """The wait on the watch ``watch_name`` built from ``options`` (InvalidInputError for bad ones)."""
        return cls(task, watch_name, hook, watch_for(watch_name, hook, options))

    @property
    def log(self) -> TaskLog:
        return self.task.log

    def poll(self) -> JobState | None:
        """One poll; None when the vendor was transiently unreadable (asked again next time)."""
        with airflow_outcome():
            try:
                state = drive(self.watch.poll(), self.hook.request, self.pacer)
            except RetryableAPIError as exc:
                self.log.warning(
                    "%s: not readable this time, asking again later: %s", self.watch.subject, exc
                )
                return None
        self.last = state
        if not state.ended:
            self.log.info("%s", state.message)
        return state

    @property
    def running(self) -> bool:
        """Whether the last poll found the watch still running (or could not read it)."""
        return self.last is None or not self.last.ended

    def conclude(self) -> dict[str, Any]:
        """The watch's conclusion (files written, small details), asked once however the wait ended."""
        if self.concluded is None:
            with airflow_outcome():
                self.concluded = dict(self.watch.conclude())
        return self.concluded

    def ended(self, state: JobState) -> JobState:
        """``state`` with the watch's conclusion in its details (the wait ended here)."""
        return JobState(state.outcome, state.status, state.message, {**state.details, **self.conclude()})

    def timed_out(self, timeout: float) -> AirflowSensorTimeout:
        """The timeout outcome, naming the last state seen (the watch concluded)."""
        self.conclude()
        seen = f"; last seen: {self.last.message}" if self.last else ""
        return AirflowSensorTimeout(f"{self.watch.subject} did not end within {timeout} s{seen}")

    def wait_here(self, poll_interval: float, timeout: float) -> JobState:
        """Poll on the worker until the watch ends (or ``timeout`` seconds pass); the ended state."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                state = self.poll()
                if state is not None and state.ended:
                    return self.ended(state)
                if time.monotonic() >= deadline:
                    raise self.timed_out(timeout)
                time.sleep(poll_interval)
        finally:
            # an error (or a kill) ends the wait too
            self.conclude()

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
    ) -> NoReturn:
        """Hand the wait to the triggerer; the task resumes in ``method_name`` with the trigger's event."""
        self.task.defer(
            trigger=WaitTrigger(
                platform=self.watch.platform,
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
    """The trigger's one event as the ended state (SUCCESS or FAILURE), or the Airflow outcome it means.

    The event is checked before use: anything but a :class:`WaitTrigger` event fails the task.
    """
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise AirflowFailException(f"unexpected event from the wait trigger: {event!r}")
    status = event["status"]
    message = str(event.get("message") or "the wait trigger failed")
    if status in (SUCCESS, FAILURE):
        job = {k: v for k, v in event.items() if k not in ("status", "platform", "watch", "retryable")}
        job["status"] = job.pop("job_status", "")
        job["outcome"] = status
        return JobState.from_json(job)
    if status == TIMEOUT:
        raise AirflowSensorTimeout(f"Timed out after {timeout} seconds: {message}")
    if event.get("retryable"):
        raise DeliveryWaitError(message)
    raise AirflowFailException(message)


def fail_on_failure(log: TaskLog, state: JobState) -> JobState:
    """``state`` if the wait ended well (logged); AirflowFailException (no retries) if it failed."""
    if state.outcome == FAILURE:
        raise AirflowFailException(state.message)
    log.info("%s", state.message)
    return state


class WaitSensor(BaseSensorOperator, PlatformHookMixin[CPaaSHook]):
    """Base of every sensor of this provider; use a platform's sensor.

    :param max_consecutive_errors: deferrable mode: transient failed polls in a row
        the trigger tolerates before the task fails (and may be retried).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param deferrable: wait in the triggerer instead of a worker slot (poke once first).

    ``poke_interval`` is also the trigger's poll interval; ``timeout`` is the deadline
    of the whole wait in either mode. Returns (XCom) the final state: ``outcome``,
    ``status``, ``message`` and the watch's details (a subclass may shape it in :meth:`finish`).
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
        self._waiter: Waiter | None = None

    # ----- what a platform sensor says -----------------------------------------------------------

    def watch_options(self, context: Any) -> dict[str, Any]:
        """The watch's options from the (rendered, validated) parameters; raise InvalidInputError."""
        raise NotImplementedError

    def finish(self, context: Any, state: JobState, hook: CPaaSHook | None) -> dict[str, Any]:
        """The XCom of a wait that ended well (a subclass may write files first). ``hook`` is None after a deferral."""
        return state.to_json()

    def failed(self, state: JobState) -> str:
        """The failure message of a wait that ended in FAILURE."""
        return state.message

    # ----- the wait ------------------------------------------------------------------------------

    @property
    def hook_class(self) -> type[CPaaSHook]:
        """The hook of this sensor's :attr:`platform`."""
        return hook_class_for(self.platform)

    @property
    def hook_conn_id(self) -> str:
        """The connection id as rendered: a platform sensor's own templated name for it (``buka_conn_id``, ...)."""
        return str(getattr(self, self.hook_class.conn_name_attr, self.conn_id))

    def waiter(self, context: Any) -> Waiter:
        """The wait of this try, built on the first poke and kept across pokes."""
        if self._waiter is None:
            with airflow_outcome():
                self._waiter = Waiter.for_options(
                    self, self.watch_name, self.hook, self.watch_options(context)
                )
        return self._waiter

    def record_end(self, context: Any, state: JobState) -> None:
        """Leave what the wait found where others read it, however it ended (a subclass's choice)."""

    def _ended(self, context: Any, state: JobState, hook: CPaaSHook | None) -> dict[str, Any]:
        self.record_end(context, state)
        if state.outcome == FAILURE:
            raise AirflowFailException(self.failed(state))
        self.log.info("%s", state.message)
        with airflow_outcome():
            return self.finish(context, state, hook)

    def poke(self, context: Any) -> bool | PokeReturnValue:
        waiter = self.waiter(context)
        state = waiter.poll()
        if state is None or not state.ended:
            return False
        return PokeReturnValue(
            is_done=True, xcom_value=self._ended(context, waiter.ended(state), waiter.hook)
        )

    def execute(self, context: Any) -> Any:
        self._waiter = None
        handed_over = False
        try:
            if self.deferrable:
                return self._execute_deferrable(context)
            return super().execute(context)
        except TaskDeferred:
            handed_over = True  # the trigger concludes the wait
            raise
        except AirflowSensorTimeout as exc:
            if self._waiter is None:
                raise
            raise AirflowSensorTimeout(f"{exc} {self._waiter.timed_out(self.timeout)}") from exc
        except Exception:
            # reschedule mode: a poke that found the wait still running ends this process, not the wait
            handed_over = self.reschedule and self._waiter is not None and self._waiter.running
            raise
        finally:
            # however else the wait ended in this process: done, failed, errored
            if self._waiter is not None and not handed_over:
                self._waiter.conclude()

    def _execute_deferrable(self, context: Any) -> Any:
        try:
            done = self.poke(context)
        except AirflowFailException as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise
        if isinstance(done, PokeReturnValue) and done.is_done:
            return done.xcom_value
        self.waiter(context).defer(
            conn_id=self.hook_conn_id,
            poll_interval=self.poke_interval,
            timeout=self.timeout,
            max_consecutive_errors=self.max_consecutive_errors,
            disposition_overrides=self.disposition_overrides,
            cancel_on_kill=False,
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Turn the trigger's one event into the task's result (Airflow applies soft_fail/never_fail)."""
        return self._ended(context, event_result(event, self.timeout), None)


__all__: Sequence[str] = ["WaitSensor", "Waiter", "WaitingTask", "event_result", "fail_on_failure"]
