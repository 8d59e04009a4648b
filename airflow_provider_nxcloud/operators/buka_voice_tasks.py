"""Buka voice group-call tasks (campaigns): create one exactly once, resend it, cancel it."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pendulum
from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context, progress_store_for
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    CreateInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
    check_encodable,
    check_seconds,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.jobs.buka_voice import (
    WATCH_NAME,
    VoiceTasks,
    VoiceTaskWatch,
    audio_source,
    behaviour_fields,
    check_task_id,
    check_task_name,
    collect_numbers,
    hang_up_sms_fields,
    parse_send_time,
    source_fields,
    transfer_fields,
    upload_name,
    vendor_send_time,
    vendor_windows,
)
from airflow_provider_nxcloud.jobs.watch import stable_name
from airflow_provider_nxcloud.operators.deferral import warn_deferrable_without_wait
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.sensors.wait import Waiter, event_result, fail_on_failure

#: XCom key of the created (or found) task's id, pushed before any wait
TASK_ID_KEY = "task_id"
#: where the create result waits while the operator is deferred
CREATE_RESULT_KEY = "voice_task_created"
#: the resend's record in the task instance's progress store ("batch" 0: the one request)
_RESEND = 0


class BukaCreateVoiceTaskOperator(BaseOperator, PlatformHookMixin[BukaHook]):
    """Create a Buka voice group-call task (``voice/group/call/send``) exactly once, optionally wait for it.

    The vendor's task name is ``task_name`` followed by a key of the DAG run, task and
    map index (never the try number), at most 64 characters. Task names are unique per
    account, so every try looks for the task by that name first and creates it only
    when it is not there; a create whose reply was lost is looked up again, and a retry
    never creates a second task. The task id is pushed to XCom (key ``task_id``) before
    any wait. A user's kill cancels the task this try created or found.

    :param numbers: a list of numbers, a comma-separated string, or the path /
        ``ObjectStoragePath`` URL of a file with one number per line; validated and
        streamed. At most 200,000 valid numbers. Templated.
    :param task_name: prefix of the vendor's task name. Templated.
    :param voice_file_id: audio source 1: the id of a file uploaded with ``voice/fileUpload``. Templated.
    :param audio_file: audio source 2: path or ``ObjectStoragePath`` of an .mp3 or .wav file,
        uploaded with the task. Templated.
    :param text: audio source 3: text to speech, at most 1,000 characters (with ``language``). Templated.
    :param language: the text's language: VN, EN, JP, ARB, DE, IN, IT, KR, RU, ES, PT, IDN,
        BD or TH. Templated.
    :param send_time: when calling starts, a datetime or a pendulum-parsable string with a
        timezone, not in the past; None starts at once. Templated.
    :param allowed_windows: daily calling windows, ``[("09:00", "12:00"), ...]`` or
        ``[{"start": "09:00", "end": "12:00"}]``; outside them the task is suspended. Templated.
    :param windows_timezone: the zone the windows are written in (required with them),
        e.g. ``"Asia/Singapore"``. Templated.
    :param display_number: caller number shown, up to 20 digits. Templated.
    :param loop_count: plays of the audio per call, 1 to 9. Buka requires it (onbuka.com/voice-api17);
        default 1, the page's default.
    :param max_call_seconds: hang up this many seconds after the call connects, 1 to 999.
        Buka requires it and documents no default; the provider sends 120 (the ceiling of
        Buka's other audio calls): raise it for audio longer than two minutes.
    :param max_ringing_seconds: seconds a call rings, 20 to 120.
    :param hang_up_sms: send an SMS after calls: ``{"content", "app_id", "sender_id",
        "triggers", "feedback_value"}``; ``triggers`` is a list of ``"success"`` (default),
        ``"failed"``, ``"ring"``, ``"feedback"`` (with ``feedback_value``, the key 0-9);
        ``app_id`` defaults to the connection's SMS appId. Templated.
    :param transfer_to_agent: transfer answered calls to agents: ``{"sip_group_id",
        "callout_rate" (both whole numbers, required), "type": "after_task" | "on_key",
        "key" (on_key: 0-9), "outbound_control" (1 = proportional, the only documented
        value and the default)}``. Templated.
    :param on_invalid: ``"fail"`` (an invalid number fails the task before anything is
        sent) or ``"skip"`` (invalid numbers are left out and counted).
    :param default_region: ISO region for numbers written without a country code.
    :param allowed_regions: refuse numbers of any other country (e.g. ``["SG", "MY"]``).
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the voice appId; defaults to the connection's ``voice_app_id``, else its
        ``app_id``. Templated.
    :param wait_for_completion: wait until the task ends; a cancelled or failed task fails
        the Airflow task.
    :param deferrable: wait in the triggerer instead of a worker slot; defaults to
        ``[operators] default_deferrable``.
    :param poll_interval: seconds between status reads while waiting.
    :param timeout: seconds to wait for the task to end.
    :param max_consecutive_errors: deferrable: transient failed polls in a row tolerated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom) ``{"task_id", "task_name", "numbers", "invalid", "duplicates",
    "created"}``, plus ``"state"`` (status and counts) when it waited.
    """

    template_fields: Sequence[str] = (
        "buka_conn_id",
        "numbers",
        "task_name",
        "voice_file_id",
        "audio_file",
        "text",
        "language",
        "send_time",
        "allowed_windows",
        "windows_timezone",
        "display_number",
        "hang_up_sms",
        "transfer_to_agent",
        "app_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"numbers": "json", "allowed_windows": "json"}
    ui_color = "#e8f4fd"
    hook_class = BukaHook

    def __init__(
        self,
        *,
        numbers: Any,
        task_name: str,
        voice_file_id: str | None = None,
        audio_file: Any = None,
        text: str | None = None,
        language: str | None = None,
        send_time: Any = None,
        allowed_windows: Any = None,
        windows_timezone: str | None = None,
        display_number: str | None = None,
        loop_count: int | None = None,
        max_call_seconds: int | None = None,
        max_ringing_seconds: int | None = None,
        hang_up_sms: Mapping[str, Any] | None = None,
        transfer_to_agent: Mapping[str, Any] | None = None,
        on_invalid: str = "fail",
        default_region: str | None = None,
        allowed_regions: Sequence[str] | None = None,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        wait_for_completion: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 60.0,
        timeout: float = 24 * 3600.0,
        max_consecutive_errors: int = 5,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.numbers = numbers
        self.task_name = task_name
        self.voice_file_id = voice_file_id
        self.audio_file = audio_file
        self.text = text
        self.language = language
        self.send_time = send_time
        self.allowed_windows = allowed_windows
        self.windows_timezone = windows_timezone
        self.display_number = display_number
        self.loop_count = loop_count
        self.max_call_seconds = max_call_seconds
        self.max_ringing_seconds = max_ringing_seconds
        self.hang_up_sms = hang_up_sms
        self.transfer_to_agent = transfer_to_agent
        self.on_invalid = on_invalid
        self.default_region = default_region
        self.allowed_regions = allowed_regions
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        warn_deferrable_without_wait(
            self.task_id, deferrable, wait_for_completion, "wait_for_completion=True"
        )
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_consecutive_errors = max_consecutive_errors
        self.disposition_overrides = disposition_overrides
        self._voice_task_id: str | None = None

    def _request(self, context: Any, hook: BukaHook) -> tuple[dict[str, Any], dict[str, int]]:
        """The create body, every parameter checked; reads files and the connection, sends nothing."""
        for name in self.template_fields:
            check_encodable(name, getattr(self, name, None))
        if self.wait_for_completion:
            check_seconds("poll_interval", self.poll_interval, allow_zero=False)
            check_seconds("timeout", self.timeout)
        prefix = check_task_name(self.task_name)
        source = audio_source(
            voice_file_id=self.voice_file_id,
            audio_file=self.audio_file,
            text=self.text,
            language=self.language,
        )
        now = pendulum.now("UTC")
        starts = parse_send_time(self.send_time)
        # A retry may come after the send time passed; the task it looks for was asked for in time.
        first_try = getattr(context["ti"], "try_number", 1) <= 1
        send_time = vendor_send_time(starts, now=now, check_past=first_try)
        windows = vendor_windows(self.allowed_windows, self.windows_timezone, on=starts or now)
        fields = {
            **behaviour_fields(
                display_number=self.display_number,
                loop_count=self.loop_count,
                max_call_seconds=self.max_call_seconds,
                max_ringing_seconds=self.max_ringing_seconds,
            ),
            **transfer_fields(self.transfer_to_agent),
        }
        key = campaign_key_from_context(context)
        upload = read_audio_file(self.audio_file, key) if source == "audio_file" else None
        audio = source_fields(
            source, voice_file_id=self.voice_file_id, text=self.text, language=self.language, upload=upload
        )
        numbers, report = collect_numbers(
            self.numbers,
            on_invalid=self.on_invalid,
            default_region=self.default_region,
            allowed_regions=self.allowed_regions,
        )
        app_id = hook.app_id("voice", self.app_id)
        sms = hang_up_sms_fields(self.hang_up_sms, lambda given: hook.app_id("sms", given))
        body = {
            "appId": app_id,
            "taskName": stable_name(key, prefix, max_length=buka.VOICE_TASK_NAME_LENGTH[1]),
            # numberList is a List<String> (onbuka.com/voice-api17): a JSON array of numbers as text
            "numberList": numbers,
            **audio,
            **({"sendTime": send_time} if send_time else {}),
            **({"allowSendTime": windows} if windows else {}),
            **fields,
            **sms,
        }
        return body, {"invalid": report.invalid, "duplicates": report.duplicates}

    def execute(self, context: Any) -> dict[str, Any]:
        self._voice_task_id = None
        with airflow_outcome():
            apply_rate_budget(self, context)
            hook = self.hook
            body, dropped = self._request(context, hook)
            task_id, created = VoiceTasks(hook).find_or_create(body)
        self._voice_task_id = task_id
        name = body["taskName"]
        self.log.info(
            "Buka voice task %s (%s) %s with %d numbers (%d invalid, %d duplicates left out)",
            task_id,
            name,
            "created" if created else "already existed: not created again",
            len(body["numberList"]),
            dropped["invalid"],
            dropped["duplicates"],
        )
        result = {
            "task_id": task_id,
            "task_name": name,
            "numbers": len(body["numberList"]),
            **dropped,
            "created": created,
        }
        context["ti"].xcom_push(key=TASK_ID_KEY, value=task_id)
        if not self.wait_for_completion:
            return result
        context["ti"].xcom_push(key=CREATE_RESULT_KEY, value=result)
        waiter = Waiter(self, WATCH_NAME, hook, VoiceTaskWatch(task_id))
        if self.deferrable:
            waiter.defer(
                conn_id=self.buka_conn_id,
                poll_interval=self.poll_interval,
                timeout=self.timeout,
                max_consecutive_errors=self.max_consecutive_errors,
                disposition_overrides=self.disposition_overrides,
                cancel_on_kill=True,
            )
        state = fail_on_failure(self.log, waiter.wait_here(self.poll_interval, self.timeout))
        return {**result, "state": state.to_json()}

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the task trigger fired."""
        state = fail_on_failure(self.log, event_result(event, self.timeout))
        result = context["ti"].xcom_pull(task_ids=self.task_id, key=CREATE_RESULT_KEY) or {}
        return {**result, "state": state.to_json()}

    def on_kill(self) -> None:
        """Cancel the task this try created or found (a deferred wait's trigger cancels it itself)."""
        if self._voice_task_id is None:
            return
        try:
            self.log.info("%s", VoiceTaskWatch(self._voice_task_id).cancel(self.hook))
        except Exception as exc:
            self.log.warning("Buka voice task %s could not be cancelled: %s", self._voice_task_id, exc)


def read_audio_file(source: Any, key: str) -> tuple[str, str]:
    """``(uploadName, base64 content)`` of a local path, an ``ObjectStoragePath`` or a URL."""
    path = _audio_path(source)
    name = upload_name(str(path.name), key)
    try:
        data = path.read_bytes()
    except OSError as exc:
        why = "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or type(exc).__name__)
        raise InvalidInputError("audio_file", f"{path.name!r} cannot be read: {why}") from None
    if not data:
        raise InvalidInputError("audio_file", f"{path.name!r} is empty")
    return name, base64.b64encode(data).decode("ascii")


def _audio_path(source: Any) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    if isinstance(source, ObjectStoragePath):
        return source
    if isinstance(source, str) and "://" in source:
        return ObjectStoragePath(source.strip())
    if isinstance(source, str | os.PathLike) and str(source).strip():
        return Path(os.fspath(source)).expanduser()
    raise InvalidInputError("audio_file", "must be a file path, a URL or an ObjectStoragePath")


class BukaResendVoiceTaskOperator(BaseOperator, PlatformHookMixin[BukaHook]):
    """Call a finished Buka voice task's numbers again (``voice/group/call/resend``), once per task instance.

    Buka allows it for a completed or cancelled task. Its page (onbuka.com/voice-api21)
    requires the task's appId, taskName, audio source and maxCalls along with the id: the
    operator reads them from the task's detail first (a read), so the numbers are called
    again with the task's own audio and settings. The request is recorded as in
    flight in the task instance's ``task_state_store`` (a Variable before Airflow 3.3)
    before it is written. A retry that finds it in flight, or a reply that was lost,
    reads the task: calling or submitting again means the resend took effect and it is
    not repeated; a task still ended means it did not (ASSUMPTION [BK-10]: the vendor shows the
    re-call at once), so it is sent on the retry. A task instance resends once: a later
    try after a successful one sends nothing.

    :param voice_task_id: the task's id (e.g. the create operator's XCom ``task_id``). Templated.
    :param failed_only: call only the numbers whose call failed (default) or all of them.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom) ``{"task_id", "resent", "failed_only", "resolution"}``; ``resent`` is
    False when the vendor had no number left to call.
    """

    template_fields: Sequence[str] = (
        "buka_conn_id",
        "voice_task_id",
    )
    ui_color = "#e8f4fd"
    hook_class = BukaHook

    def __init__(
        self,
        *,
        voice_task_id: str | int,
        failed_only: bool = True,
        buka_conn_id: str = BukaHook.default_conn_name,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.voice_task_id = voice_task_id
        self.failed_only = failed_only
        self.buka_conn_id = buka_conn_id
        self.disposition_overrides = disposition_overrides

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            task_id = check_task_id(self.voice_task_id, "voice_task_id")
            if not isinstance(self.failed_only, bool):
                raise InvalidInputError("failed_only", f"must be True or False, not {self.failed_only!r}")
            tasks = VoiceTasks(self.hook)
            resolution = self._resend(context, tasks, task_id)
        self.log.info("Buka voice task %s: %s", task_id, resolution)
        return {
            "task_id": task_id,
            "resent": resolution != "nothing to resend",
            "failed_only": self.failed_only,
            "resolution": resolution,
        }

    def _resend(self, context: Any, tasks: VoiceTasks, task_id: str) -> str:
        store = progress_store_for(context)
        progress = store.load()
        if progress.is_done(_RESEND):
            return "resent by an earlier try"
        if progress.is_in_flight(_RESEND):
            if not tasks.state(task_id).ended:
                progress.finish(_RESEND, 1, 0)
                store.seal(progress)
                return "the resend of an earlier try took effect"
            self.log.info(
                "Buka voice task %s: the earlier try's resend did not take effect; sending it", task_id
            )
        # a read before the in-flight record: what the resend repeats (appId, taskName, audio,
        # maxCalls, all required by voice-api21) comes from the task as the vendor holds it
        detail = tasks.detail(task_id)
        progress.start(_RESEND)
        store.save(progress)
        try:
            tasks.resend(task_id, detail, failed_only=self.failed_only)
        except AmbiguousSendError as exc:
            if tasks.state(task_id).ended:
                # not visible yet or not accepted: a retry looks again before sending
                raise CreateInDoubtError(f"Buka voice task {task_id} resend", str(exc)) from exc
        except (PermanentAPIError, RetryableAPIError) as exc:
            # the vendor answered: the resend was not accepted
            progress.abandon(_RESEND)
            store.save(progress)
            if exc.code in buka.VOICE_TASK_NOTHING_TO_RESEND_CODES:
                return "nothing to resend"
            raise
        progress.finish(_RESEND, 1, 0)
        # sealed: a clear after success (task state cleared on success) must not resend again
        store.seal(progress)
        return "resent"


class BukaCancelVoiceTaskOperator(BaseOperator, PlatformHookMixin[BukaHook]):
    """Cancel Buka voice tasks (``voice/group/call/cancel``); tasks that already ended stay as they are.

    :param voice_task_ids: one task id or a list of them. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Cancelling is idempotent (ASSUMPTION [BK-11]: the vendor accepts a cancel of an ended task),
    so a reply that was lost is resolved by reading the tasks and cancelling those still
    running again. Returns (XCom) ``{"cancelled": [ids]}``.
    """

    template_fields: Sequence[str] = (
        "buka_conn_id",
        "voice_task_ids",
    )
    ui_color = "#e8f4fd"
    hook_class = BukaHook

    def __init__(
        self,
        *,
        voice_task_ids: str | int | Sequence[str | int],
        buka_conn_id: str = BukaHook.default_conn_name,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.voice_task_ids = voice_task_ids
        self.buka_conn_id = buka_conn_id
        self.disposition_overrides = disposition_overrides

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            ids = _task_ids(self.voice_task_ids)
            tasks = VoiceTasks(self.hook)
            try:
                tasks.cancel(ids)
            except AmbiguousSendError:
                running = [task_id for task_id in ids if not tasks.state(task_id).ended]
                if running:
                    tasks.cancel(running)
        self.log.info("Buka voice tasks cancelled: %s", ", ".join(ids))
        return {"cancelled": ids}


def _task_ids(value: Any) -> list[str]:
    items = [value] if isinstance(value, str | int) else value
    if isinstance(items, Mapping) or not isinstance(items, Sequence) or not items:
        raise InvalidInputError("voice_task_ids", f"must be a task id or a list of them, not {value!r}")
    return list(dict.fromkeys(check_task_id(item, "voice_task_ids") for item in items))


__all__ = ["BukaCancelVoiceTaskOperator", "BukaCreateVoiceTaskOperator", "BukaResendVoiceTaskOperator"]
