"""Buka voice group-call tasks (``voice/group/call/...``): the create request, finding a task
by its name, resend and cancel, and :class:`VoiceTaskWatch`, which reads a task's progress.

The user's parameters are checked here, each error naming the parameter, and
turned into the vendor's fields; vendor limits and formats come from
:mod:`airflow_provider_nxcloud.platforms.buka`. Times are converted to the
vendor's zone (ASSUMPTION [BK-1]: China time, UTC+8, see ``VOICE_TASK_UTC_OFFSET_HOURS``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pendulum

from airflow_provider_nxcloud.campaign.recipients import (
    NumberFormat,
    ValidationReport,
    open_recipients,
    validate_recipients,
)
from airflow_provider_nxcloud.exceptions import CreateInDoubtError, InvalidInputError, check_one_of
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.watch import RUNNING, SUCCESS, JobState, find_or_create
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.polling import Conversation, Pacer, drive

PLATFORM = buka.PLATFORM
WATCH_NAME = "buka_voice_task"
VENDOR_ZONE = dt.timezone(dt.timedelta(hours=buka.VOICE_TASK_UTC_OFFSET_HOURS))
SUSPENDED = 5

_DAY = 24 * 60
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])|24:00")
#: the audio source parameters and the vendor's ``source`` value of each
SOURCES = {"voice_file_id": 1, "audio_file": 2, "text": 3}


def subject(task_id: str) -> str:
    return f"Buka voice task {task_id}"


def check_task_id(value: Any, parameter: str = "task_id") -> str:
    """A task's id as a template renders it; the vendor's ``jobId`` is an Integer (voice-api18)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip().isdigit():
        raise InvalidInputError(
            parameter, f"must be the id (jobId, a whole number) of a Buka voice task, not {value!r}"
        )
    return str(value).strip()


# ----- reading a task ---------------------------------------------------------------------------


def _count(record: Mapping[str, Any], name: str) -> int:
    try:
        return int(record.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def _status_code(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw)
    return None


def task_state(task_id: str, record: Mapping[str, Any]) -> JobState:
    """What a task record (detail or query) means for a wait.

    The documented names (onbuka.com/voice-api18, voice-api19): ``numCnt`` the task's
    numbers, ``success`` / ``fail`` the calls' outcomes, ``callNum`` the numbers called (in
    the query's records; the detail has no such field, so there it is ``success + fail``).
    """
    raw = record.get("status")
    code = _status_code(raw)
    known = buka.VOICE_TASK_STATUSES.get(code) if code is not None else None
    # ASSUMPTION [BK-9]: a status outside the documented table is read as still running; the wait's
    # timeout bounds it, where guessing "ended" could pass or fail a task that is still calling
    meaning, outcome = known or ("not documented", RUNNING)
    total = _count(record, "numCnt")
    answered, failed = _count(record, "success"), _count(record, "fail")
    called = _count(record, "callNum") if record.get("callNum") is not None else answered + failed
    counts = f"{called} of {total} numbers called ({answered} answered, {failed} failed)"
    name = subject(task_id)
    if outcome == SUCCESS:
        message = f"{name} completed: {counts}"
    elif outcome != RUNNING:
        message = f"{name} ended with status {code} ({meaning}): {counts}"
    elif code == SUSPENDED:
        message = f"{name} is suspended (paused, or outside its allowed calling windows): {counts}"
    elif known is None:
        message = f"{name} has status {raw!r}, which Buka does not document; waiting on: {counts}"
    else:
        message = f"{name} is {meaning} (status {code}): {counts}"
    details = {
        "task_id": task_id,
        "task_name": record.get("taskName"),
        "status_code": code,
        "numbers": total,
        "called": called,
        "answered": answered,
        "failed": failed,
    }
    return JobState(outcome, f"{raw} {meaning}", message, details)


def _data(reply: Any) -> Any:
    return reply.get("data") if isinstance(reply, Mapping) else None


def _record(task_id: str, reply: Any) -> Mapping[str, Any]:
    data = _data(reply)
    if not isinstance(data, Mapping):
        raise ValueError(f"{subject(task_id)}: the detail reply carries no task record")
    return data


class VoiceTaskWatch:
    """Reads one task through ``voice/group/call/detail/{id}``; cancellable (``voice/group/call/cancel``).

    2 completed is success; 3 submission failed and 4 cancelled are failures;
    0, 1, 5 (suspended) and 6 keep the wait going.
    """

    platform = PLATFORM

    def __init__(self, task_id: Any) -> None:
        self.task_id = check_task_id(task_id)
        self.subject = subject(self.task_id)

    def poll(self) -> Conversation[JobState]:
        # a poll conversation: the sync and async transports both make the hook's read
        reply = yield BukaHook.voice_task_detail_call(self.task_id)
        return task_state(self.task_id, _record(self.task_id, reply))

    def options(self) -> dict[str, Any]:
        return {"task_id": self.task_id}

    def conclude(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_options(cls, hook: Any, options: Mapping[str, Any]) -> VoiceTaskWatch:
        return cls(options.get("task_id"))

    def cancel(self, hook: Any) -> str:
        VoiceTasks(hook).cancel([self.task_id])
        return f"{self.subject}: cancelled at the vendor"


class VoiceTasks:
    """The task actions of a :class:`~airflow_provider_nxcloud.hooks.buka.BukaHook`, with the
    by-name lookup that makes a create exactly-once."""

    def __init__(self, hook: Any) -> None:
        self.hook = hook

    def find(self, task_name: str) -> str | None:
        """The id (``jobId``) of the account's task named exactly ``task_name`` (names are unique),
        or None. The query covers the tasks created in the last 31 days (see
        :data:`~airflow_provider_nxcloud.platforms.buka.VOICE_TASK_QUERY_WINDOW_DAYS`)."""
        for record in self.hook.find_voice_tasks(task_name):
            if record.get("taskName") == task_name and record.get("jobId") not in (None, ""):
                return str(record["jobId"])
        return None

    def create(self, body: Mapping[str, Any]) -> str:
        name = str(body["taskName"])
        task_id = self.hook.create_voice_task(body)
        if task_id is not None:
            return task_id
        # accepted without saying the id: the name finds it
        found = self.find(name)
        if found is None:
            raise CreateInDoubtError(f"Buka voice task {name!r}", "the create reply carried no task id")
        return found

    def find_or_create(self, body: Mapping[str, Any]) -> tuple[str, bool]:
        """``(task id, created)``: the task named ``body["taskName"]``, created only if it does not exist."""
        name = str(body["taskName"])
        return find_or_create(
            lambda: self.find(name),
            lambda: self.create(body),
            what=f"Buka voice task {name!r}",
            exists_codes=buka.VOICE_TASK_EXISTS_CODES,
        )

    def state(self, task_id: str) -> JobState:
        return drive(VoiceTaskWatch(task_id).poll(), self.hook.request, Pacer())

    def detail(self, task_id: str) -> dict[str, Any]:
        """The task's detail record (a read: what a resend must repeat comes from it), checked
        to carry every field the resend must send (InvalidInputError, nothing sent, if not)."""
        record = self.hook.get_voice_task(task_id)
        try:
            buka.voice_task_resend_body({"jobId": task_id, **record}, resend_type=buka.VOICE_TASK_RESEND_ALL)
        except ValueError as exc:
            raise InvalidInputError("voice_task_id", f"Buka voice task {task_id}: {exc}") from None
        return record

    def resend(self, task_id: str, detail: Mapping[str, Any], *, failed_only: bool) -> None:
        try:
            self.hook.resend_voice_task(task_id, failed_only=failed_only, detail=detail)
        except ValueError as exc:  # the task's detail lacks a field the resend must send
            raise InvalidInputError("voice_task_id", f"Buka voice task {task_id}: {exc}") from None

    def cancel(self, task_ids: Sequence[str]) -> None:
        self.hook.cancel_voice_tasks(list(task_ids))


# ----- the create request -------------------------------------------------------------------------


def collect_numbers(
    source: Any,
    *,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
) -> tuple[list[str], ValidationReport]:
    """The task's numbers (country code and number, digits), streamed from ``source`` and validated.

    A task holds them all in one request, so more than the vendor's 200,000 valid
    numbers fail here, before anything is sent.
    """
    report = ValidationReport()
    limit = buka.VOICE_TASK_MAX_NUMBERS
    numbers: list[str] = []
    for recipient in validate_recipients(
        open_recipients(source, parameter="numbers"),
        NumberFormat.DIGITS,
        on_invalid=on_invalid,
        default_region=default_region,
        allowed_regions=allowed_regions,
        parameter="numbers",
        report=report,
    ):
        if len(numbers) == limit:
            raise InvalidInputError(
                "numbers", f"has more than {limit:,} valid numbers; a Buka task takes at most {limit:,}"
            )
        numbers.append(recipient.number)
    return numbers, report


def check_task_name(prefix: Any) -> str:
    if not isinstance(prefix, str) or not prefix.strip():
        raise InvalidInputError("task_name", "is empty; give a prefix for the vendor's task name")
    return prefix.strip()


def audio_source(*, voice_file_id: Any, audio_file: Any, text: Any, language: Any) -> str:
    """Which one audio source is given: ``voice_file_id``, ``audio_file`` or ``text``."""
    given = [
        name
        for name, value in (("voice_file_id", voice_file_id), ("audio_file", audio_file), ("text", text))
        if value not in (None, "")
    ]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise InvalidInputError(
            "voice_file_id | audio_file | text", f"give exactly one audio source (given: {found})"
        )
    if language not in (None, "") and given != ["text"]:
        raise InvalidInputError("language", "applies to text (text to speech) only")
    return given[0]


def upload_name(file_name: str, key: str) -> str:
    """The ``uploadName`` of an audio file: its name, shortened, tagged with the task's key.

    ASSUMPTION [BK-3]: upload names, like voice/fileUpload's file names, are 5-32 characters and
    unique in the account's audio library; the tag keeps two tasks that upload the same
    file apart and stays the same on every try of one task.
    """
    suffix = next((s for s in buka.VOICE_TASK_AUDIO_SUFFIXES if file_name.lower().endswith(s)), None)
    if suffix is None:
        allowed = " or ".join(buka.VOICE_TASK_AUDIO_SUFFIXES)
        raise InvalidInputError("audio_file", f"must be an {allowed} file, not {file_name!r}")
    tag = f"-{key[:8]}"
    room = buka.VOICE_TASK_UPLOAD_NAME_LENGTH[1] - len(suffix) - len(tag)
    stem = file_name[: -len(suffix)][:room]
    return f"{stem}{tag}{suffix.lower()}"


def source_fields(
    source: str,
    *,
    voice_file_id: Any = None,
    text: Any = None,
    language: Any = None,
    upload: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """``source`` and its fields; ``upload`` is (uploadName, base64 content) for ``audio_file``."""
    if source == "voice_file_id":
        if not isinstance(voice_file_id, str | int) or isinstance(voice_file_id, bool):
            raise InvalidInputError("voice_file_id", "must be the id voice/fileUpload returned")
        return {"source": SOURCES[source], "voiceFileId": str(voice_file_id).strip()}
    if source == "audio_file":
        if upload is None:
            raise InvalidInputError("audio_file", "was not read")
        return {"source": SOURCES[source], "uploadName": upload[0], "baseFile": upload[1]}
    limit = buka.VOICE_TASK_MAX_TEXT
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text", "is empty")
    if len(text) > limit:
        raise InvalidInputError("text", f"has {len(text)} characters; Buka accepts at most {limit}")
    code = language.strip().upper() if isinstance(language, str) else language
    if code not in buka.VOICE_LANGUAGES:
        choices = ", ".join(buka.VOICE_LANGUAGES)
        raise InvalidInputError("language", f"must be one of {choices} with text, not {language!r}")
    return {"source": SOURCES[source], "text": text, "lan": code}


def parse_send_time(value: Any) -> dt.datetime | None:
    """``send_time`` as an aware datetime (a pendulum-parsable string or a datetime with a zone)."""
    if value in (None, ""):
        return None
    parsed: Any = value
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value, tz=None)
        except ValueError as exc:
            raise InvalidInputError("send_time", f"is not a date and time: {exc}") from None
    if not isinstance(parsed, dt.datetime):
        raise InvalidInputError("send_time", f"must be a date and time, not {value!r}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInputError(
            "send_time", f"{value!s} has no timezone; write it with one, e.g. 2026-11-23T09:00:00+08:00"
        )
    return parsed


def vendor_send_time(when: dt.datetime | None, *, now: dt.datetime, check_past: bool) -> str | None:
    """``sendTime`` in the vendor's zone and format; None starts the task at once."""
    if when is None:
        return None
    if check_past and when < now:
        raise InvalidInputError("send_time", f"{when.isoformat()} is in the past")
    return when.astimezone(VENDOR_ZONE).strftime(buka.VOICE_TASK_TIME_FORMAT)


def _minutes(parameter: str, text: Any) -> int:
    if not isinstance(text, str) or not _CLOCK.fullmatch(text.strip()):
        raise InvalidInputError(parameter, f"times must be written HH:MM, not {text!r}")
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _window(index: int, item: Any) -> tuple[int, int]:
    parameter = f"allowed_windows[{index}]"
    if isinstance(item, Mapping):
        unknown = set(item) - {"start", "end"}
        if unknown:
            raise InvalidInputError(parameter, f"has unknown keys {sorted(unknown)}; use start and end")
        pair: Any = (item.get("start"), item.get("end"))
    else:
        pair = item
    if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
        raise InvalidInputError(parameter, 'must be ("HH:MM", "HH:MM") or {"start": ..., "end": ...}')
    start, end = _minutes(parameter, pair[0]), _minutes(parameter, pair[1])
    if start % _DAY == end:
        raise InvalidInputError(parameter, "starts and ends at the same time")
    return start % _DAY, end


def vendor_windows(windows: Any, timezone: Any, *, on: dt.datetime) -> list[dict[str, str]]:
    """``allowSendTime``: the daily windows moved from ``timezone`` to the vendor's zone.

    The offset is the one ``timezone`` has at ``on`` (the send time, else now). A window
    that crosses midnight (before or after the move) becomes two, one on each side.
    """
    if windows in (None, [], ()):
        if timezone not in (None, ""):
            raise InvalidInputError("windows_timezone", "applies to allowed_windows only")
        return []
    if isinstance(windows, str | Mapping) or not isinstance(windows, Iterable):
        raise InvalidInputError("allowed_windows", 'must be a list of ("HH:MM", "HH:MM") windows')
    if not isinstance(timezone, str) or not timezone.strip():
        raise InvalidInputError(
            "windows_timezone",
            "is needed with allowed_windows: the zone they are written in, e.g. 'Asia/Singapore'",
        )
    try:
        zone = pendulum.timezone(timezone.strip())
    except ValueError:
        raise InvalidInputError("windows_timezone", f"{timezone!r} is not a known timezone") from None
    offset = on.astimezone(zone).utcoffset() or dt.timedelta()
    shift = buka.VOICE_TASK_UTC_OFFSET_HOURS * 60 - int(offset.total_seconds()) // 60
    ranges: list[tuple[int, int]] = []
    for index, item in enumerate(windows):
        start, end = _window(index, item)
        length = (end - start) % _DAY or _DAY
        moved = (start + shift) % _DAY
        if moved + length <= _DAY:
            ranges.append((moved, moved + length))
        else:
            ranges += [(moved, _DAY), (0, moved + length - _DAY)]
    return [
        {"strTime": _clock(low, end=False), "endTime": _clock(high, end=True)}
        for low, high in _merged(ranges)
    ]


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return [(low, high) for low, high in merged]


def _clock(minutes: int, *, end: bool) -> str:
    if end and minutes >= _DAY:
        return buka.VOICE_TASK_END_OF_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _whole(parameter: str, value: Any, bounds: tuple[int, int]) -> int | None:
    if value in (None, ""):
        return None
    low, high = bounds
    try:
        number = int(value) if not isinstance(value, bool | float) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise InvalidInputError(parameter, f"must be a whole number from {low} to {high}, not {value!r}")
    return number


def behaviour_fields(
    *, display_number: Any, loop_count: Any, max_call_seconds: Any, max_ringing_seconds: Any
) -> dict[str, Any]:
    """The call-behaviour fields; ``loopCount`` and ``maxCalls`` are required by the create page
    (onbuka.com/voice-api17), so they default to
    :data:`~airflow_provider_nxcloud.platforms.buka.VOICE_TASK_DEFAULT_LOOP_COUNT` (1) and
    :data:`~airflow_provider_nxcloud.platforms.buka.VOICE_TASK_DEFAULT_MAX_CALL_SECONDS` (120 s)."""
    loops = _whole("loop_count", loop_count, buka.VOICE_TASK_LOOP_COUNT)
    calls = _whole("max_call_seconds", max_call_seconds, buka.VOICE_TASK_MAX_CALL_SECONDS)
    fields: dict[str, Any] = {
        "loopCount": buka.VOICE_TASK_DEFAULT_LOOP_COUNT if loops is None else loops,
        "maxCalls": buka.VOICE_TASK_DEFAULT_MAX_CALL_SECONDS if calls is None else calls,
        "maxRingingTime": _whole("max_ringing_seconds", max_ringing_seconds, buka.VOICE_TASK_RINGING_SECONDS),
    }
    if display_number not in (None, ""):
        text = str(display_number).strip() if isinstance(display_number, str | int) else ""
        limit = buka.VOICE_TASK_DISPLAY_NUMBER_DIGITS
        if isinstance(display_number, bool) or not text.isdigit() or len(text) > limit:
            raise InvalidInputError("display_number", f"must be up to {limit} digits (no +)")
        fields["displayNum"] = text
    return {name: value for name, value in fields.items() if value is not None}


def _settings(parameter: str, value: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(parameter, f"must be a dict with {', '.join(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InvalidInputError(parameter, f"has unknown keys {unknown}; known: {', '.join(allowed)}")
    return value


#: hang_up_sms "triggers" -> the create field that turns that trigger on (onbuka.com/voice-api17)
SMS_TRIGGERS = {
    "feedback": "feedbackPush",
    "success": "successPush",
    "failed": "failedPush",
    "ring": "ringPush",
}


def hang_up_sms_fields(value: Any, sms_app_id: Callable[[str | None], str]) -> dict[str, Any]:
    """``hang_up_sms={"content", "app_id", "sender_id", "triggers", "feedback_value"}``: an SMS after calls.

    onbuka.com/voice-api17: with ``hangUpSms`` 1, ``smsAppId`` and ``smsContent`` are required
    and so are all four triggers (``feedbackPush``, ``successPush``, ``failedPush``,
    ``ringPush``, each 0 or 1, at least one 1: -53); ``feedbackValue`` (0-9) with
    ``feedbackPush``. ``triggers`` defaults to ``["success"]`` (after an answered call).
    ``sms_app_id(given)`` resolves the SMS appId (the connection's when not given).
    """
    if value in (None, {}):
        return {}
    settings = _settings(
        "hang_up_sms", value, ("content", "app_id", "sender_id", "triggers", "feedback_value")
    )
    content, sender = settings.get("content"), settings.get("sender_id")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInputError("hang_up_sms", "needs content, the SMS text")
    if len(content) > buka.VOICE_TASK_MAX_SMS_CONTENT:
        raise InvalidInputError(
            "hang_up_sms", f"content has {len(content)} characters; at most {buka.VOICE_TASK_MAX_SMS_CONTENT}"
        )
    triggers = settings.get("triggers", ["success"])
    if isinstance(triggers, str):
        triggers = [triggers]
    if not isinstance(triggers, Sequence) or not triggers or any(t not in SMS_TRIGGERS for t in triggers):
        raise InvalidInputError(
            "hang_up_sms", f"triggers must be a non-empty list of {', '.join(SMS_TRIGGERS)}, not {triggers!r}"
        )
    fields: dict[str, Any] = {
        "hangUpSms": 1,
        "smsAppId": sms_app_id(settings.get("app_id")),
        "smsContent": content,
        **{field: int(name in triggers) for name, field in SMS_TRIGGERS.items()},
    }
    feedback = settings.get("feedback_value")
    if "feedback" in triggers:
        if isinstance(feedback, bool) or str(feedback) not in tuple("0123456789"):
            raise InvalidInputError(
                "hang_up_sms", f"trigger feedback needs feedback_value, a digit 0-9, not {feedback!r}"
            )
        fields["feedbackValue"] = str(feedback)
    elif feedback is not None:
        raise InvalidInputError("hang_up_sms", "feedback_value applies to the feedback trigger only")
    if sender not in (None, ""):
        if not isinstance(sender, str) or len(sender) > buka.SMS_MAX_SENDER_ID:
            raise InvalidInputError(
                "hang_up_sms", f"sender_id must be text of at most {buka.SMS_MAX_SENDER_ID} characters"
            )
        fields["senderId"] = sender
    return fields


def _positive_whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        return None
    number = int(str(value).strip())
    return number if number > 0 else None


def transfer_fields(value: Any) -> dict[str, Any]:
    """``transfer_to_agent={"sip_group_id", "callout_rate", "type", "key", "outbound_control"}``.

    onbuka.com/voice-api17: with ``toSeat`` 1, ``sipGroupId`` (Integer), ``outboundControl``
    (1 = proportional, the one documented value, the default here) and ``calloutRate``
    (Integer) are required; ``toSeatType`` 1 after the group call ends, 2 on a key press.
    """
    if value in (None, {}):
        return {}
    known = ("sip_group_id", "type", "key", "outbound_control", "callout_rate")
    settings = _settings("transfer_to_agent", value, known)
    group = _positive_whole(settings.get("sip_group_id"))
    if group is None:
        raise InvalidInputError(
            "transfer_to_agent",
            "needs sip_group_id, the id (a whole number) of the agent group to transfer to",
        )
    kind = check_one_of(
        "transfer_to_agent", settings.get("type", "after_task"), buka.VOICE_TASK_TRANSFER_TYPES
    )
    control, rate = settings.get("outbound_control", 1), settings.get("callout_rate")
    if control != 1 or isinstance(control, bool):
        raise InvalidInputError(
            "transfer_to_agent", "outbound_control must be 1 (proportional), the documented value"
        )
    callout_rate = _positive_whole(rate)
    if callout_rate is None:
        raise InvalidInputError(
            "transfer_to_agent",
            f"needs callout_rate, the outgoing call multiplier (a whole number >= 1), not {rate!r}",
        )
    fields: dict[str, Any] = {
        "toSeat": 1,
        "sipGroupId": group,
        "toSeatType": buka.VOICE_TASK_TRANSFER_TYPES[kind],
        "outboundControl": 1,
        "calloutRate": callout_rate,
    }
    key = settings.get("key")
    if kind == "on_key":
        if str(key) not in tuple("0123456789") or isinstance(key, bool):
            raise InvalidInputError("transfer_to_agent", f"type on_key needs key, one digit 0-9, not {key!r}")
        # ASSUMPTION [BK-21]: toSeatKey is not on onbuka's page (a third-party copy lists it); the
        # key press itself is what the page's toSeatType 2 transfers on
        fields["toSeatKey"] = str(key)
    elif key is not None:
        raise InvalidInputError("transfer_to_agent", "key applies to type on_key only")
    return fields


__all__ = [
    "WATCH_NAME",
    "VoiceTaskWatch",
    "VoiceTasks",
    "audio_source",
    "behaviour_fields",
    "check_task_id",
    "check_task_name",
    "collect_numbers",
    "hang_up_sms_fields",
    "parse_send_time",
    "source_fields",
    "task_state",
    "transfer_fields",
    "upload_name",
    "vendor_send_time",
    "vendor_windows",
]
