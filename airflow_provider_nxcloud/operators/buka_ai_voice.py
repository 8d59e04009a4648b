"""Buka AI voice (intelligent outbound) task operators: create a task with its customers, start,
pause and delete it. Waiting on a task: :class:`~airflow_provider_nxcloud.sensors.buka_ai_voice.BukaAiVoiceTaskSensor`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator, conf

from airflow_provider_nxcloud.campaign.engine import make_batches
from airflow_provider_nxcloud.campaign.progress import (
    ProgressStore,
    campaign_key_from_context,
    progress_store_for,
)
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, RecipientSpool, spool_recipients
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    CreateInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    check_encodable,
    check_seconds,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.jobs.buka_ai_voice import (
    NAME_EXISTS_CODES,
    SERVICE,
    AiVoiceTaskWatch,
    CustomerImporter,
    check_job_id,
    find_ai_task,
    flag,
    job_id_value,
    open_customers,
    task_fields,
)
from airflow_provider_nxcloud.jobs.watch import find_or_create, stable_name
from airflow_provider_nxcloud.operators.deferral import warn_deferrable_without_wait
from airflow_provider_nxcloud.operators.in_doubt import DEFAULT_RESPONSE_TIMEOUT, InDoubtQuestions
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.sensors.wait import Waiter, event_result, fail_on_failure
from airflow_provider_nxcloud.state import TaskInstanceState

WATCH_NAME = "buka_ai_voice_task"
#: where the create result waits while the operator is deferred
CREATE_RESULT_KEY = "ai_voice_task"
#: statuses that show a start already took effect (an earlier try's, or a lost reply's)
_STARTED = tuple(s for s in vendor.AI_TASK_STATUSES if s not in vendor.AI_STARTABLE_STATUSES)


def _status(hook: BukaHook, app_id: str, job_id: Any) -> str | None:
    """The task's status now; None when it is not in the task list (deleted)."""
    task = find_ai_task(hook, app_id, job_id=job_id)
    return None if task is None else str(task.get("status") or "")


def run_task_action(
    hook: BukaHook, app_id: str, job_id: Any, action: vendor.AiTaskAction, done: Sequence[str | None]
) -> bool:
    """Start, pause or delete a task once: True when done now, False when it already was.

    The vendor checks the task's status on every action, so repeating one cannot do it
    twice: a lost reply is settled by the task's status (``done``), else sent once more.
    The wrong status (-39, -38, -44) fails naming the status, unless it is already ``done``.
    """
    subject = f"Buka AI voice task {job_id}"
    for attempt in (1, 2):
        try:
            hook.run_ai_task_action(action, app_id, job_id)
            return True
        except AmbiguousSendError:
            status = _status(hook, app_id, job_id)
            if status in done:
                return True
            if attempt == 2:
                raise
        except PermanentAPIError as exc:
            if exc.code != action.wrong_state_code:
                raise
            status = _status(hook, app_id, job_id)
            if status in done:
                return False
            now = "it is not in the task list" if status is None else f"its status is {status or '(none)'}"
            raise AirflowFailException(f"{subject}: {exc.meaning}: {now}") from exc
    raise AssertionError("not reached")  # pragma: no cover


def _import_progress(context: Any, job_id: Any) -> ProgressStore:
    """The import's progress, per task: a task re-created under the same name starts afresh."""
    return progress_store_for(context, f"_ai_voice_{job_id}")


class BukaCreateAiVoiceTaskOperator(BaseOperator, PlatformHookMixin[BukaHook], InDoubtQuestions):
    """Create a Buka AI voice (intelligent outbound) task, import its customers, optionally start it.

    Exactly once per task instance: the task is named ``<name>-<key>``, the key derived
    from the DAG run, task and map index (never the try number). Each try looks the name
    up first, and a create whose reply was lost (or that Buka answers -33, name exists) is
    settled by looking again, so a retry never makes a second task. Customers are imported
    100 per request and each accepted request is recorded in ``task_state_store`` (an
    Airflow Variable before 3.3), so a retry resumes after the last imported one; a request
    whose reply was lost is settled from the task's ``taskTotal`` (see
    :class:`~airflow_provider_nxcloud.jobs.buka_ai_voice.CustomerImporter`), else the task
    fails naming it rather than import anyone twice.

    :param name: the task name's prefix (Buka wants unique names). Templated.
    :param dialog_flow_id: the script (``dialogFlowList``). Templated.
    :param robot_count: AI concurrency of the task. Templated.
    :param line_id: the outbound line (``channelList``'s jobPhoneNumberId). Templated.
    :param redial: redial customers who meet ``redial_conditions``.
    :param redial_conditions: e.g. ``["NO_ANSWER", "BUSY"]`` (needed when ``redial``).
    :param redial_interval: minutes between redials (redial only).
    :param redial_times: redials per customer (redial only).
    :param mode: ``"MANUAL"`` (started by ``start=True`` or a start operator) or ``"AUTO"``
        (starts itself at ``start_time``). Templated.
    :param start_time: AUTO only: when the task starts, with a time zone (a datetime or text
        pendulum parses, e.g. ``"2026-05-04T10:00:00+08:00"``); not in the past. Templated.
    :param end_time: optional: when calling stops, with a time zone. Templated.
    :param daily_window: ``("HH:MM", "HH:MM")`` calling hours each day, inside Buka's
        09:00-20:00. Templated.
    :param days_of_week: e.g. ``["MONDAY", "TUESDAY"]``; None = every day. Templated.
    :param inactive_times: at most 3 daily ``(start, end)`` "HH:MM" breaks.
    :param inactive_dates: at most 3 ``(start, end)`` "YYYY-MM-DD" date ranges without calls.
    :param customers: whom to call: numbers (a list, a comma-separated string, or a file
        path / ``ObjectStoragePath`` with one per line), or a list of dicts
        ``{"phone_number", "name", "gender", "properties": {script variable: value}}``.
        None creates the task without customers. Templated.
    :param on_invalid: ``"fail"`` (an invalid number fails the task before any request) or ``"skip"``.
    :param default_region: ISO region for numbers written without a country code.
    :param allowed_regions: refuse numbers of any other country (e.g. ``["SG"]``).
    :param call_record_dup: passed as importCustomer's ``callRecordDup``. ASSUMPTION [BK-19]: a
        vendor-side duplicate check against earlier call records; the docs do not explain it.
    :param start: MANUAL: start the task after the import (``taskStart``).
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the AI voice appId; defaults to the connection's ``ai_voice_app_id``,
        else its ``app_id``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param in_doubt_decisions: ``{batch reference: "skip"|"resend"}`` for import requests in
        doubt that taskTotal cannot settle (the failure names them). Templated.
    :param wait_for_completion: after starting, wait until every customer was called (as
        :class:`~airflow_provider_nxcloud.sensors.buka_ai_voice.BukaAiVoiceTaskSensor`);
        a kill of the waiting task pauses the Buka task.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param poll_interval: seconds between polls while waiting.
    :param wait_timeout: seconds to wait for the task to end.
    :param max_consecutive_errors: deferred: transient failed polls in a row before failing.

    Returns (XCom) ``{"job_id", "name", "imported", "invalid", "created", "started"}``:
    ``name`` is the vendor name, ``imported`` the customers in the task from this task
    instance, ``created`` False when the task was found rather than created by this try's
    answered request; with ``wait_for_completion`` also ``"completion"``, the final state.
    """

    template_fields: Sequence[str] = (
        "buka_conn_id",
        "name",
        "dialog_flow_id",
        "robot_count",
        "line_id",
        "mode",
        "start_time",
        "end_time",
        "daily_window",
        "days_of_week",
        "customers",
        "app_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"customers": "json"}
    ui_color = "#e3f4e1"
    hook_class = BukaHook
    # An import in doubt fails naming its batch: the question would need the import's own
    # record, which exists only once the task is found; in_doubt_decisions settles it.
    in_doubt = "fail"
    in_doubt_response_timeout = DEFAULT_RESPONSE_TIMEOUT
    settle_delay = None

    def __init__(
        self,
        *,
        name: str,
        dialog_flow_id: int | str,
        robot_count: int | str,
        line_id: int | str,
        redial: bool = False,
        redial_conditions: Sequence[str] | None = None,
        redial_interval: int | None = None,
        redial_times: int | None = None,
        mode: str = "MANUAL",
        start_time: Any = None,
        end_time: Any = None,
        daily_window: Sequence[str] = ("09:00", "18:00"),
        days_of_week: Sequence[str] | None = None,
        inactive_times: Sequence[Any] | None = None,
        inactive_dates: Sequence[Any] | None = None,
        customers: Any = None,
        on_invalid: str = "fail",
        default_region: str | None = None,
        allowed_regions: Sequence[str] | None = None,
        call_record_dup: bool = False,
        start: bool = False,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        disposition_overrides: Mapping[str | int, str] | None = None,
        in_doubt_decisions: Mapping[str, str] | None = None,
        wait_for_completion: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 60.0,
        wait_timeout: float = 24 * 3600.0,
        max_consecutive_errors: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dialog_flow_id = dialog_flow_id
        self.robot_count = robot_count
        self.line_id = line_id
        self.redial = redial
        self.redial_conditions = redial_conditions
        self.redial_interval = redial_interval
        self.redial_times = redial_times
        self.mode = mode
        self.start_time = start_time
        self.end_time = end_time
        self.daily_window = daily_window
        self.days_of_week = days_of_week
        self.inactive_times = inactive_times
        self.inactive_dates = inactive_dates
        self.customers = customers
        self.on_invalid = on_invalid
        self.default_region = default_region
        self.allowed_regions = allowed_regions
        self.call_record_dup = call_record_dup
        self.start = start
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id
        self.disposition_overrides = disposition_overrides
        self.in_doubt_decisions = in_doubt_decisions
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        warn_deferrable_without_wait(
            self.task_id, deferrable, wait_for_completion, "wait_for_completion=True"
        )
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.max_consecutive_errors = max_consecutive_errors

    def _fields(self) -> dict[str, Any]:
        return task_fields(
            dialog_flow_id=self.dialog_flow_id,
            robot_count=self.robot_count,
            line_id=self.line_id,
            mode=self.mode,
            daily_window=self.daily_window,
            redial=self.redial,
            redial_conditions=self.redial_conditions,
            redial_interval=self.redial_interval,
            redial_times=self.redial_times,
            start_time=self.start_time,
            end_time=self.end_time,
            days_of_week=self.days_of_week,
            inactive_times=self.inactive_times,
            inactive_dates=self.inactive_dates,
            now=dt.datetime.now(dt.UTC),
        )

    def _check(self, fields: Mapping[str, Any]) -> tuple[bool, bool, bool]:
        """``(start, call_record_dup, wait)``, refusing combinations that cannot work."""
        start = flag("start", self.start)
        wait = flag("wait_for_completion", self.wait_for_completion)
        if wait:
            check_seconds("poll_interval", self.poll_interval, allow_zero=False)
            check_seconds("wait_timeout", self.wait_timeout)
        for name in self.template_fields:
            check_encodable(name, getattr(self, name, None))
        if start and fields["mode"] == "AUTO":
            raise InvalidInputError("start", "is for MANUAL tasks; an AUTO task starts itself at start_time")
        if start and self.customers is None:
            raise InvalidInputError(
                "customers", "are needed to start the task (Buka refuses to start it empty)"
            )
        if wait and not start and fields["mode"] == "MANUAL":
            raise InvalidInputError(
                "wait_for_completion", "needs start=True: a MANUAL task never starts itself"
            )
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInputError(
                "name", f"must be a non-empty prefix for the task name, not {self.name!r}"
            )
        return start, flag("call_record_dup", self.call_record_dup), wait

    def _customers(self) -> RecipientSpool | None:
        """The one pass over the customers before the task is created: checked, and spooled for the import."""
        if self.customers is None:
            return None
        return spool_recipients(
            open_customers(self.customers),
            NumberFormat.DIGITS,
            on_invalid=self.on_invalid,
            default_region=self.default_region,
            allowed_regions=self.allowed_regions,
            parameter="customers",
        )

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            fields = self._fields()
            start, call_record_dup, wait = self._check(fields)
            customers = self._customers()
            report = customers.report if customers is not None else None
            apply_rate_budget(self, context)
            hook = self.hook
            app_id = hook.app_id(SERVICE, self.app_id)
            key = campaign_key_from_context(context)
            name = stable_name(key, self.name, max_length=vendor.AI_TASK_NAME_MAX)
            task, created = find_or_create(
                lambda: find_ai_task(hook, app_id, name=name),
                lambda: self._create(hook, {"appId": app_id, "name": name, **fields}),
                what=f"Buka AI voice task {name!r}",
                exists_codes=NAME_EXISTS_CODES,
            )
            job_id = job_id_value(task["jobId"])
            self.log.info("Buka AI voice task %s (%s) %s", job_id, name, "created" if created else "found")
            imported = 0
            if customers is not None:
                importer = CustomerImporter(
                    hook, app_id=app_id, job_id=job_id, name=name, call_record_dup=call_record_dup
                )
                stream = customers.drain()
                summary, _ = self.run_campaign(
                    context,
                    importer,
                    make_batches(stream, importer.max_batch, key),
                    store=_import_progress(context, job_id),
                    source_parameter="customers",
                )
                imported = summary.accepted
                self.log.info(
                    "Buka AI voice task %s: %d customers imported (%d requests resumed), %s",
                    job_id,
                    imported,
                    summary.resumed_batches,
                    customers.report.summary(),
                )
            started = start and self._start(hook, app_id, job_id)
        result = {
            "job_id": job_id,
            "name": name,
            "imported": imported,
            "invalid": report.invalid if report is not None else 0,
            "created": created,
            "started": started,
        }
        if not wait:
            return result
        return self._wait(context, result, hook, AiVoiceTaskWatch(app_id=app_id, job_id=job_id, name=name))

    def _create(self, hook: BukaHook, body: dict[str, Any]) -> dict[str, Any]:
        data = hook.add_ai_task(body)
        # ASSUMPTION [BK-16]: data is {"jobId": n}; a bare id is taken too, and without one the list has it
        job_id = data.get("jobId") if isinstance(data, Mapping) else data
        if job_id is not None and not isinstance(job_id, bool) and str(job_id).strip():
            return {"jobId": job_id, "name": body["name"]}
        found = find_ai_task(hook, body["appId"], name=body["name"])
        if found is None:
            raise CreateInDoubtError(f"Buka AI voice task {body['name']!r}", "the reply named no jobId")
        return found

    def _start(self, hook: BukaHook, app_id: str, job_id: Any) -> bool:
        if not run_task_action(hook, app_id, job_id, vendor.AiTaskAction.START, _STARTED):
            self.log.info("Buka AI voice task %s was started before (an earlier try)", job_id)
        return True

    def _wait(
        self, context: Any, result: dict[str, Any], hook: BukaHook, watch: AiVoiceTaskWatch
    ) -> dict[str, Any]:
        # the ids must outlive a deferral, and be visible while the task waits
        context["ti"].xcom_push(key=CREATE_RESULT_KEY, value=result)
        waiter = Waiter(self, WATCH_NAME, hook, watch)
        if self.deferrable:
            waiter.defer(
                conn_id=self.buka_conn_id,
                poll_interval=self.poll_interval,
                timeout=self.wait_timeout,
                max_consecutive_errors=self.max_consecutive_errors,
                disposition_overrides=self.disposition_overrides,
                cancel_on_kill=True,
            )
        state = fail_on_failure(self.log, waiter.wait_here(self.poll_interval, self.wait_timeout))
        return {**result, "completion": state.to_json()}

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the task trigger fired."""
        result = context["ti"].xcom_pull(task_ids=self.task_id, key=CREATE_RESULT_KEY) or {}
        state = fail_on_failure(self.log, event_result(event, self.wait_timeout))
        return {**result, "completion": state.to_json()}


class _AiVoiceTaskActionOperator(BaseOperator, PlatformHookMixin[BukaHook]):
    """Base of the start, pause and delete operators."""

    template_fields: Sequence[str] = ("buka_conn_id", "job_id", "app_id")
    ui_color = "#e3f4e1"
    hook_class = BukaHook
    #: the action, the statuses that mean it is already done, and the words for the result
    vendor_action: ClassVar[vendor.AiTaskAction]
    done: ClassVar[tuple[str | None, ...]]
    action: ClassVar[str]
    past: ClassVar[tuple[str, str]]

    def __init__(
        self,
        *,
        job_id: int | str,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id
        self.disposition_overrides = disposition_overrides

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            job_id = check_job_id(self.job_id)
            hook = self.hook
            app_id = hook.app_id(SERVICE, self.app_id)
            now = self.act(context, hook, app_id, job_id)
        result = self.past[0] if now else self.past[1]
        self.log.info("Buka AI voice task %s: %s", job_id, result)
        return {"job_id": job_id, "action": self.action, "result": result}

    def act(self, context: Any, hook: BukaHook, app_id: str, job_id: Any) -> bool:
        return run_task_action(hook, app_id, job_id, self.vendor_action, self.done)


class BukaStartAiVoiceTaskOperator(_AiVoiceTaskActionOperator):
    """Start a MANUAL Buka AI voice task, or resume a paused one (``taskStart``).

    A task that is already running counts as started (a retry after a lost reply finds it
    so); any other status Buka refuses (-39), and the task fails naming it. A task without
    customers fails with -45.

    :param job_id: the task's jobId. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the AI voice appId; defaults to the connection's. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom) ``{"job_id", "action": "start", "result": "started" | "already running"}``.
    """

    vendor_action = vendor.AiTaskAction.START
    done = ("RUNNING",)
    action = "start"
    past = ("started", "already running")


class BukaPauseAiVoiceTaskOperator(_AiVoiceTaskActionOperator):
    """Pause a running Buka AI voice task (``taskStop``; the start operator resumes it).

    A task that is already paused counts as paused; any other status Buka refuses (-38),
    and the task fails naming it.

    :param job_id: the task's jobId. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the AI voice appId; defaults to the connection's. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom) ``{"job_id", "action": "pause", "result": "paused" | "already paused"}``.
    """

    vendor_action = vendor.AiTaskAction.PAUSE
    done = ("PAUSED",)
    action = "pause"
    past = ("paused", "already paused")


class BukaDeleteAiVoiceTaskOperator(_AiVoiceTaskActionOperator):
    """Delete a Buka AI voice task (``taskDel``); a running one must be paused first (-44).

    Before sending, the try records in ``task_state_store`` that it deletes this job.
    ASSUMPTION [BK-20]: Buka answers -32 ("task does not exist") for a task already deleted, so a
    -32 after an earlier try (or this one) sent the delete, and lost the reply, counts as
    deleted; a -32 for a job never deleted here fails (a wrong jobId). Without a
    ``task_state_store`` (Airflow before 3.3) only a lost reply within the same try is
    settled that way, by looking the task up.

    :param job_id: the task's jobId. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the AI voice appId; defaults to the connection's. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom) ``{"job_id", "action": "delete", "result": "deleted" | "already deleted"}``.
    """

    vendor_action = vendor.AiTaskAction.DELETE
    #: a deleted task is not in the task list
    done = (None,)
    action = "delete"
    past = ("deleted", "already deleted")

    def act(self, context: Any, hook: BukaHook, app_id: str, job_id: Any) -> bool:
        marker = TaskInstanceState.in_task_state_store(context, f"buka_ai_voice_delete_{job_id}")
        sent_before = bool(marker is not None and marker.get())
        if marker is not None and not sent_before:
            marker.set(True)
        try:
            return run_task_action(hook, app_id, job_id, self.vendor_action, self.done)
        except PermanentAPIError as exc:
            if exc.code == vendor.AI_NO_SUCH_TASK and sent_before:
                self.log.info("Buka AI voice task %s: gone; an earlier try's delete took effect", job_id)
                return False
            raise
