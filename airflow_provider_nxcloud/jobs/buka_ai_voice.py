"""Buka AI voice (intelligent outbound) tasks: the checked ``taskAdd`` fields, the customer
import, finding a task, and watching it until every customer was called.

Buka has no task-detail call for AI tasks: ``taskList`` (100 a page, filtered by name)
is the only way to read a task, so finding one by jobId pages through the app's tasks
unless its name is known. No I/O of its own: the read is the hook's ``ai_task_list_call``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pendulum

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import Entry, NumberFormat, open_recipients
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.exceptions import InvalidInputError, PermanentAPIError, check_one_of
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.watch import FAILURE, RUNNING, SUCCESS, JobState
from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.polling import Conversation, Pacer, drive

PLATFORM = vendor.PLATFORM
SERVICE = "ai_voice"
#: the seed's code for "task name already exists": a create that meets it looks the task up
NAME_EXISTS_CODES = frozenset({"-33"})
#: a bad reply (``pages`` never ending) must not page forever: 1,000 pages are 100,000 tasks
MAX_PAGES = 1000
#: polls in a row that must miss a task before a wait calls it deleted (a task can slip
#: between pages while other tasks are created or deleted)
MISSES_BEFORE_GONE = 2

_ZONE = dt.timezone(dt.timedelta(hours=vendor.AI_UTC_OFFSET_HOURS))
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_CONDITION = re.compile(r"[A-Z][A-Z_]*")
_CUSTOMER_KEYS = ("phone_number", "phoneNumber", "name", "gender", "properties")


def job_id_value(value: Any) -> int | str:
    """A jobId as the SDK sends it (a number); kept as text if the vendor ever answers otherwise."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def check_job_id(value: Any, parameter: str = "job_id") -> int | str:
    """A jobId given to an operator or sensor: a number, or the digits a template renders."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise InvalidInputError(parameter, f"must be a Buka AI voice jobId (a whole number), not {value!r}")
    return job_id_value(value)


def same_job(left: Any, right: Any) -> bool:
    return str(left).strip() == str(right).strip()


# ----- taskAdd fields ----------------------------------------------------------------------------


def _whole(parameter: str, value: Any, minimum: int = 1) -> int:
    """A whole number, also as the text a template renders."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise InvalidInputError(parameter, f"must be a whole number >= {minimum}, not {value!r}")
    number = int(str(value).strip())
    if number < minimum:
        raise InvalidInputError(parameter, f"must be a whole number >= {minimum}, not {value!r}")
    return number


def flag(parameter: str, value: Any) -> bool:
    """A bool, also as the text a template renders."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInputError(parameter, f"must be True or False, not {value!r}")


def _moment(parameter: str, value: Any) -> dt.datetime:
    """An aware datetime from a datetime or any text pendulum parses; a naive one is refused."""
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value, tz=None)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(parameter, f"is not a date-time ({exc})") from None
        if not isinstance(parsed, dt.datetime):
            raise InvalidInputError(parameter, f"is a {type(parsed).__name__}, not a date-time")
        value = parsed
    if not isinstance(value, dt.datetime):
        raise InvalidInputError(parameter, f"must be a date-time, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        # Buka reads China time; guessing the zone of a naive time could call people at night
        raise InvalidInputError(
            parameter, "has no time zone: write it with one, e.g. 2026-05-04T10:00:00+08:00"
        )
    return value


def vendor_datetime(moment: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in the zone Buka reads it in."""
    return moment.astimezone(_ZONE).strftime(vendor.AI_DATETIME_FORMAT)


def _clock(parameter: str, value: Any) -> str:
    """``"HH:mm"`` from ``"9:00"``, ``"09:00"`` or a ``datetime.time``."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidInputError(parameter, f"times must be written HH:MM, not {value!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _pair(parameter: str, value: Any, keys: tuple[str, ...]) -> tuple[Any, Any]:
    """``(start, end)`` from a 2-item sequence or a dict with start/end (or the vendor's) keys."""
    if isinstance(value, Mapping):
        start = value.get("start", value.get(keys[0]))
        end = value.get("end", value.get(keys[1]))
        return start, end
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return value[0], value[1]
    raise InvalidInputError(parameter, f"each period must be (start, end), not {value!r}")


def check_daily_window(value: Any) -> tuple[str, str]:
    """The daily dialling window, checked against Buka's 09:00-20:00 before anything is sent (-48).

    ``("09:00", "18:00")``, or ``"09:00-18:00"`` as a template renders it.
    """
    if isinstance(value, str) and value.count("-") == 1:
        value = value.split("-")
    start, end = (_clock("daily_window", v) for v in _pair("daily_window", value, ("start", "end")))
    earliest, latest = vendor.AI_DAILY_WINDOW
    if start < earliest or end > latest:
        raise InvalidInputError(
            "daily_window", f"must lie inside {earliest}-{latest} (Buka refuses any other), not {start}-{end}"
        )
    if start >= end:
        raise InvalidInputError("daily_window", f"must start before it ends, not {start}-{end}")
    return start, end


def _periods(
    parameter: str, value: Any, read: Callable[[str, Any], str], keys: tuple[str, str]
) -> list[dict[str, str]]:
    if isinstance(value, Mapping) or not isinstance(value, Iterable) or isinstance(value, str):
        raise InvalidInputError(parameter, "must be a list of (start, end) periods")
    periods = []
    for item in value:
        start, end = (read(parameter, v) for v in _pair(parameter, item, keys))
        if start > end:
            raise InvalidInputError(parameter, f"a period must not end before it starts: {start} to {end}")
        periods.append({keys[0]: start, keys[1]: end})
    if len(periods) > vendor.AI_MAX_INACTIVE_PERIODS:
        raise InvalidInputError(parameter, f"Buka takes at most {vendor.AI_MAX_INACTIVE_PERIODS} periods")
    return periods


def _date(parameter: str, value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime(vendor.AI_DATE_FORMAT)
    try:
        return dt.datetime.strptime(str(value).strip(), vendor.AI_DATE_FORMAT).strftime(vendor.AI_DATE_FORMAT)
    except ValueError:
        raise InvalidInputError(parameter, f"dates must be written YYYY-MM-DD, not {value!r}") from None


def _names(parameter: str, value: Any) -> list[str]:
    """A list of upper-case names from a list or a comma-separated string, duplicates dropped."""
    items = value.split(",") if isinstance(value, str) else value
    if isinstance(items, Mapping) or not isinstance(items, Iterable):
        raise InvalidInputError(parameter, "must be a list of names")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidInputError(parameter, f"names must be text, not {item!r}")
        if (name := item.strip().upper()) not in names:
            names.append(name)
    return names


def _redial_fields(redial: Any, conditions: Any, interval: Any, times: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"redial": flag("redial", redial)}
    given = [
        name
        for name, v in (
            ("redial_conditions", conditions),
            ("redial_interval", interval),
            ("redial_times", times),
        )
        if v is not None
    ]
    if not fields["redial"]:
        if given:
            raise InvalidInputError("redial", f"is False, but {', '.join(given)} was given")
        return fields
    names = _names("redial_conditions", conditions) if conditions is not None else []
    if not names:
        raise InvalidInputError(
            "redial_conditions", "needs at least one condition to redial on when redial=True"
        )
    # The vendor's list of conditions was captured truncated: the shape is checked, Buka checks the names (-31).
    for name in names:
        if not _CONDITION.fullmatch(name):
            raise InvalidInputError(
                "redial_conditions", f"{name!r} is not a condition name such as NO_ANSWER"
            )
    fields["redialCondition"] = names
    if interval is not None:
        fields["redialInterval"] = _whole("redial_interval", interval)
    if times is not None:
        fields["redialTimes"] = _whole("redial_times", times)
    return fields


def task_fields(
    *,
    dialog_flow_id: Any,
    robot_count: Any,
    line_id: Any,
    mode: Any,
    daily_window: Any,
    redial: Any = False,
    redial_conditions: Any = None,
    redial_interval: Any = None,
    redial_times: Any = None,
    start_time: Any = None,
    end_time: Any = None,
    days_of_week: Any = None,
    inactive_times: Any = None,
    inactive_dates: Any = None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The ``taskAdd`` body without appId and name, every field checked; InvalidInputError names the parameter."""
    mode_name = check_one_of(
        "mode", str(mode).strip().upper() if isinstance(mode, str) else mode, vendor.AI_MODES
    )
    start, end = check_daily_window(daily_window)
    fields: dict[str, Any] = {
        "dialogFlowId": _whole("dialog_flow_id", dialog_flow_id),
        "robotCount": _whole("robot_count", robot_count),
        "jobPhoneNumberId": _whole("line_id", line_id),
        "mode": mode_name,
        "dailyStartDateTime": start,
        "dailyEndDateTime": end,
        **_redial_fields(redial, redial_conditions, redial_interval, redial_times),
    }
    starts = None
    if mode_name == "AUTO":
        if start_time is None:
            raise InvalidInputError("start_time", "is required with mode AUTO: the task starts itself then")
        starts = _moment("start_time", start_time)
        if starts <= now:
            raise InvalidInputError("start_time", f"is in the past ({starts.isoformat()})")
        fields["startDateTime"] = vendor_datetime(starts)
    elif start_time is not None:
        raise InvalidInputError(
            "start_time", "is only used with mode AUTO; a MANUAL task starts with start=True"
        )
    if end_time is not None:
        ends = _moment("end_time", end_time)
        if ends <= (starts or now):
            raise InvalidInputError("end_time", f"must be after {'start_time' if starts else 'now'}")
        fields["endDateTime"] = vendor_datetime(ends)
    if days_of_week is not None:
        days = _names("days_of_week", days_of_week)
        for day in days:
            check_one_of("days_of_week", day, vendor.AI_DAYS_OF_WEEK)
        fields["daysOfWeek"] = days
    if inactive_times is not None:
        fields["inactiveTimeList"] = _periods(
            "inactive_times", inactive_times, _clock, ("startTime", "endTime")
        )
    if inactive_dates is not None:
        fields["inactiveDateList"] = _periods(
            "inactive_dates", inactive_dates, _date, ("startDate", "endDate")
        )
    return fields


# ----- customers ---------------------------------------------------------------------------------


def open_customers(customers: Any) -> Iterator[str]:
    """The raw entries of ``customers``: numbers (a list, comma string or file, as for SMS
    recipients), or a list of dicts ``{phone_number, name, gender, properties}`` whose other
    fields ride along in each entry's ``content`` (as JSON) to :func:`customer_person`."""
    if isinstance(customers, list | tuple) and any(isinstance(item, Mapping) for item in customers):
        return _customer_dicts(customers)
    return open_recipients(customers, parameter="customers")


def _customer_dicts(items: Sequence[Any]) -> Iterator[str]:
    for position, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidInputError(
                "customers", f"entry {position} is a {type(item).__name__}; give all as dicts"
            )
        unknown = sorted(set(item) - set(_CUSTOMER_KEYS))
        if unknown:
            raise InvalidInputError("customers", f"entry {position} has unknown keys {unknown}")
        number = item.get("phone_number", item.get("phoneNumber"))
        if isinstance(number, bool) or not isinstance(number, str | int) or not str(number).strip():
            raise InvalidInputError("customers", f"entry {position} has no phone_number")
        extra: dict[str, Any] = {}
        for field in ("name", "gender"):
            if item.get(field) is not None:
                if not isinstance(item[field], str):
                    raise InvalidInputError("customers", f"entry {position}: {field} must be text")
                extra[field] = item[field]
        if item.get("properties") is not None:
            extra["properties"] = _properties(position, item["properties"])
        yield Entry(str(number).strip(), position, json.dumps(extra, ensure_ascii=False) if extra else None)


def _properties(position: int, value: Any) -> dict[str, str]:
    """The script's customer variables; ASSUMPTION [BK-17]: sent as text, as the SDK's example does."""
    if not isinstance(value, Mapping):
        raise InvalidInputError("customers", f"entry {position}: properties must be a dict")
    checked = {}
    for key, item in value.items():
        if not isinstance(key, str) or isinstance(item, Mapping | list | tuple | set) or item is None:
            raise InvalidInputError(
                "customers", f"entry {position}: property {key!r} must map text to a value"
            )
        checked[key] = str(item)
    return checked


def customer_person(number: str, content: str | None) -> dict[str, Any]:
    """One ``customerPersons`` item."""
    return {"phoneNumber": number, **(json.loads(content) if content else {})}


class CustomerImporter:
    """The campaign engine's sender for ``importCustomer``: 100 customers per request.

    ``importCustomer`` takes no client reference. A batch whose reply was lost is settled
    from the task's ``taskTotal``. ASSUMPTION [BK-18]: taskTotal counts every customer imported into
    the task, at once. Batches are imported in order into a task only this task instance
    fills, so before batch *n* the task holds exactly the customers of batches 0..n-1:
    taskTotal equal to that means the batch is not there (import it), that plus the batch
    means it is (record it), anything else cannot be told (the task fails naming the batch).
    """

    platform = PLATFORM
    max_batch = vendor.AI_IMPORT_MAX_CUSTOMERS
    number_format = NumberFormat.DIGITS
    #: a taskTotal that shows the batch absent is read again this long after its import was
    #: written: an import the vendor was still processing when the reply was lost counts by then
    settle_delay = 60.0

    def __init__(self, hook: Any, *, app_id: str, job_id: Any, name: str, call_record_dup: bool) -> None:
        self.hook = hook
        self.app_id = app_id
        self.job_id = job_id_value(job_id)
        self.name = name
        self.call_record_dup = call_record_dup

    def send(self, batch: Batch) -> list[RecipientResult]:
        body = {
            "appId": self.app_id,
            "jobId": self.job_id,
            "callRecordDup": self.call_record_dup,
            "customerPersons": [customer_person(r.number, r.content) for r in batch.recipients],
        }
        self.hook.import_ai_customers(body)
        return self._imported(batch)

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        task = find_ai_task(self.hook, self.app_id, job_id=self.job_id, name=self.name)
        if task is None:
            return None
        total = _count(task.get("taskTotal"))
        before = batch.first_position - 1
        if total == before:
            return []
        if total == before + len(batch.recipients):
            return self._imported(batch)
        return None

    def _imported(self, batch: Batch) -> list[RecipientResult]:
        return [RecipientResult(r.number, "accepted", reference=str(self.job_id)) for r in batch.recipients]


# ----- finding a task ----------------------------------------------------------------------------


def find_task(
    app_id: str, *, job_id: Any = None, name: str | None = None
) -> Conversation[dict[str, Any] | None]:
    """The task's ``taskList`` record, by jobId, or by exact name when no jobId is given; None if absent.

    A name narrows the listing on the vendor's side (which may match it loosely); the
    records are compared exactly here.
    """
    if job_id is None and not name:
        raise InvalidInputError("job_id", "or a name is needed to find a task")
    size = vendor.AI_TASK_LIST_MAX_SIZE
    for page in range(1, MAX_PAGES + 1):
        # a poll conversation: the sync and async transports both make the hook's read
        reply = yield BukaHook.ai_task_list_call(app_id, page=page, name=name)
        data = reply.get("data") if isinstance(reply, Mapping) else None
        data = data if isinstance(data, Mapping) else {}
        records = [r for r in data.get("records") or [] if isinstance(r, Mapping)]
        for record in records:
            if same_job(record.get("jobId"), job_id) if job_id is not None else record.get("name") == name:
                return dict(record)
        pages = _count(data.get("pages"))
        if not records or (page >= pages if pages else len(records) < size):
            return None
    return None


def find_ai_task(
    hook: Any, app_id: str, *, job_id: Any = None, name: str | None = None
) -> dict[str, Any] | None:
    """:func:`find_task` through a hook's synchronous transport."""
    return drive(find_task(app_id, job_id=job_id, name=name), hook.request, Pacer())


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def task_state(subject: str, record: Mapping[str, Any]) -> JobState:
    """What a ``taskList`` record says about the task (:data:`~airflow_provider_nxcloud.platforms.buka.AI_TASK_STATUSES`).

    Only the status decides. ``taskCompleted`` counts *successful* calls (itniotech.com/api/
    ai-voice/taskList), so it says nothing about whether every customer was called; and a
    status outside the table (the values are undocumented) is read as still running: the
    wait goes on to its deadline and fails there undecided, never on a guess.
    """
    status = str(record.get("status") or "")
    total, completed = _count(record.get("taskTotal")), _count(record.get("taskCompleted"))
    meaning = vendor.AI_TASK_STATUSES.get(status)
    details = {
        "job_id": job_id_value(record.get("jobId")),
        "name": record.get("name"),
        "task_total": total,
        "task_completed": completed,
        "progress": f"{completed} of {total}",
    }
    line = f"{subject} ({record.get('name')}): {completed} of {total} calls successful, status {status or '(none)'}"
    if meaning == SUCCESS:
        return JobState(SUCCESS, status, line, details)
    if meaning == FAILURE:
        return JobState(FAILURE, status, f"{line}: the task ended before every customer was called", details)
    if status == "PAUSED":
        line += " (paused: taskStart resumes it)"
    elif meaning is None:
        line += " (a status the provider does not know; waiting on)"
    return JobState(RUNNING, status, line, details)


class AiVoiceTaskWatch:
    """Watches one AI voice task through ``taskList`` until every customer was called.

    Success: status COMPLETED. Failure: a failed status of the table (TERMINATED), or the
    task missing from the list in :data:`MISSES_BEFORE_GONE` polls in a row (deleted).
    Anything else (NOT_STARTED, RUNNING, PAUSED, or a status the provider does not know)
    keeps waiting until the wait's timeout. ASSUMPTION [BK-13]: the status names (see
    :data:`~airflow_provider_nxcloud.platforms.buka.AI_TASK_STATUSES`).
    """

    platform = PLATFORM

    def __init__(self, *, app_id: str, job_id: Any, name: str | None = None) -> None:
        self.app_id = app_id
        self.job_id = job_id_value(job_id)
        self.name = name or None
        self.subject = f"Buka AI voice task {self.job_id}"
        self._misses = 0

    @classmethod
    def from_options(cls, hook: Any, options: Mapping[str, Any]) -> AiVoiceTaskWatch:
        return cls(
            app_id=hook.app_id(SERVICE, options.get("app_id")),
            job_id=options["job_id"],
            name=options.get("name"),
        )

    def options(self) -> dict[str, Any]:
        return {"app_id": self.app_id, "job_id": self.job_id, "name": self.name}

    def conclude(self) -> dict[str, Any]:
        return {}

    def poll(self) -> Conversation[JobState]:
        record = yield from find_task(self.app_id, job_id=self.job_id, name=self.name)
        if record is not None:
            self._misses = 0
            return task_state(self.subject, record)
        self._misses += 1
        details = {"job_id": self.job_id, "name": self.name}
        where = f" under the name {self.name!r}" if self.name else ""
        if self._misses < MISSES_BEFORE_GONE:
            return JobState(
                RUNNING, "", f"{self.subject} is not in the task list{where}; looking again", details
            )
        return JobState(
            FAILURE, "", f"{self.subject} is not in the task list{where} any more: deleted?", details
        )

    def cancel(self, hook: Any) -> str:
        """Pause the task (``taskStop``; Buka has no cancel for AI tasks)."""
        try:
            hook.stop_ai_task(self.app_id, self.job_id)
        except PermanentAPIError as exc:
            if exc.code == "-38":
                return f"{self.subject} was not running; nothing to pause"
            raise
        return f"{self.subject} paused (taskStop) because the task waiting on it was killed"
