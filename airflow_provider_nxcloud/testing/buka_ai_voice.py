"""Buka AI voice (intelligent outbound, ``/v3/AiVoice/...``) as the simulator serves it.

Every body is JSON and every reply ``{"status": "<code>", "reason": ...}`` (reference A.7);
codes are the AI-voice catalog's (``platforms/buka_codes.py``), whose numbers differ from SMS.

``taskAdd``: "-37" an appId that is not the account's AI voice app; "-27" a required field
missing or of the wrong type (``name``, ``dialogFlowId``/``robotCount``/``jobPhoneNumberId``
whole numbers >= 1, ``redial`` a bool, ``mode`` MANUAL or AUTO, ``dailyStartDateTime`` /
``dailyEndDateTime`` "HH:mm", dates "yyyy-MM-dd HH:mm:ss", at most 3 inactive periods, known
``daysOfWeek``); "-28" AUTO without ``startDateTime`` (the seed's own code for it); "-48" a
daily window that starts before 09:00, ends after 20:00 or is empty; "-29"/"-30"/"-31" redial
times / interval / conditions out of range (and ``redial`` true without a condition: -29);
"-52" ``robotCount`` above the account's maximum :data:`MAX_ROBOTS`; "-33" a name the app
already has. It answers ``data: {"jobId": <number>}`` (ASSUMPTION [BK-16]: the reference says only
"returns jobId"). Each task is one ledger entry of kind ``ai_voice_task`` (recipient and
client reference: the name; vendor id: the jobId).

``importCustomer``: "-56" more than 100 customers (the seed's code; the reference's
generic -27 is for malformed ones), "-27" a customer without a 6-15 digit ``phoneNumber``
or with ``properties`` that are not a flat object, "-32" a job the app does not have, "-54"
a task that already ended. A number already in the task is imported again (the vendor's
-53 "customer already exists" is not simulated), so a client that imports twice shows up
as ledger duplicates: each customer is one entry of kind ``ai_customer`` (recipient: the
number; content and client reference: the jobId). It answers ``data: {"total": <imported>}``
(ASSUMPTION [SIM-6]).

``taskStart`` (MANUAL start, and resume after a pause): "-39" unless the task is NOT_STARTED
or PAUSED, then "-45" when it holds no customers. ``taskStop`` (pause): "-38" unless it is
RUNNING. ``taskDel``: "-32" unknown, "-44" while it is RUNNING (ASSUMPTION [SIM-6]: the catalog's
"the current task cannot be deleted"; pause it first).

Progress, over the progress clock: a running task calls ``robotCount`` customers every
delivery delay (at once when the delay is 0) until every customer was called and the
status turns COMPLETED; ``taskCompleted`` counts the successful calls among them (a number
the delivery model marks undeliverable is called without success); an AUTO task starts at its ``startDateTime``; a task still
calling at its ``endDateTime`` is TERMINATED. Daily windows and blackout periods are
accepted but do not pause the simulated dialler. Date-times are read as China time (UTC+8,
:data:`~airflow_provider_nxcloud.platforms.buka.AI_UTC_OFFSET_HOURS`).

``taskList`` ``{current, size 1-100, params{appId, name}}``: "-27" bad paging, "-37" another
app; a page of the app's tasks, newest first. ASSUMPTION [SIM-6]: ``name`` filters like a console
search box, by substring, so clients compare names exactly themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.testing.buka import PLATFORM, reject
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.routing import Call, Handler, Reply

#: the store table of AI voice tasks, ``{str(jobId): task}``
TASKS = "ai_task"
#: the simulated account's AI concurrency maximum (robotCount); above it taskAdd answers -52
MAX_ROBOTS = 10

_ZONE = dt.timezone(dt.timedelta(hours=vendor.AI_UTC_OFFSET_HOURS))
_HH_MM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_PHONE = re.compile(r"[0-9]{6,15}")
_ENDED = ("COMPLETED", "TERMINATED")


def _ok(**payload: Any) -> dict[str, Any]:
    return {"status": "0", "reason": "success", **payload}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _app(call: Call, value: Any) -> str:
    if not isinstance(value, str) or value not in call.state.accounts.buka.app_ids("ai_voice"):
        raise reject(call, "-37")
    return value


def _job_id(call: Call, value: Any) -> int:
    """The SDK sends jobId as a number; a string of digits is taken too."""
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise reject(call, "-27")


def _task(call: Call, app_id: str, job_id: int) -> dict[str, Any]:
    """The stored task (hold the store lock), or -32."""
    task = call.state.store.table(PLATFORM, TASKS).get(str(job_id))
    if task is None or task["appId"] != app_id:
        raise reject(call, "-32")
    return task


# ----- time ---------------------------------------------------------------------------------


def _epoch(call: Call, value: Any, fmt: str = vendor.AI_DATETIME_FORMAT) -> float | None:
    """A vendor date-time (China time) as epoch seconds; None when absent, -27 when malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise reject(call, "-27")
    try:
        return dt.datetime.strptime(value, fmt).replace(tzinfo=_ZONE).timestamp()
    except ValueError:
        raise reject(call, "-27") from None


def vendor_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, _ZONE).strftime(vendor.AI_DATETIME_FORMAT)


# ----- progress -----------------------------------------------------------------------------


def _ran_for(task: dict[str, Any], now: float) -> float:
    """Seconds the task has been calling: its running periods up to now (and its end time)."""
    cap = now if task["endAt"] is None else min(now, task["endAt"])
    return sum(
        max(0.0, min(cap, stop if stop is not None else cap) - start) for start, stop in task["periods"]
    )


def progress(call: Call, task: dict[str, Any]) -> tuple[str, int]:
    """``(status, customers called)`` of a stored task now."""
    now = call.now
    total = len(task["customers"])
    if not any(start <= now for start, _ in task["periods"]):
        return "NOT_STARTED", 0
    step = call.state.delivery.delay
    called = total if step <= 0 else min(total, task["robotCount"] * int(_ran_for(task, now) // step))
    if total and called >= total:
        return "COMPLETED", total
    if task["endAt"] is not None and now >= task["endAt"]:
        return "TERMINATED", called
    calling = any(stop is None and start <= now for start, stop in task["periods"])
    return ("RUNNING" if calling else "PAUSED"), called


def _record(call: Call, task: dict[str, Any]) -> dict[str, Any]:
    """A taskList record (the field list of itniotech's taskList page)."""
    status, called = progress(call, task)
    return {
        "jobId": task["jobId"],
        "name": task["name"],
        "dialogFlowName": f"Dialog flow {task['dialogFlowId']}",
        "jobPhoneNumberName": f"Line {task['jobPhoneNumberId']}",
        "robotCount": task["robotCount"],
        "mode": task["mode"],
        "hangupSms": False,
        "taskTotal": len(task["customers"]),
        # "Number of successful calls" (itniotech.com/api/ai-voice/taskList): the called customers
        # whose calls connected, not every customer called
        "taskCompleted": sum(
            1 for number in task["customers"][:called] if not call.state.delivery.is_undeliverable(number)
        ),
        "status": status,
        "isDialogFlowUnbind": "false",
        "createTime": vendor_time(task["createdAt"]),
    }


# ----- taskAdd ------------------------------------------------------------------------------


def _daily_window(call: Call, body: dict[str, Any]) -> None:
    start, end = body.get("dailyStartDateTime"), body.get("dailyEndDateTime")
    if not (isinstance(start, str) and isinstance(end, str) and _is_hh_mm(start) and _is_hh_mm(end)):
        raise reject(call, "-27")
    earliest, latest = vendor.AI_DAILY_WINDOW
    if start < earliest or end > latest or start >= end:  # "HH:mm" compares as text
        raise reject(call, "-48")


def _periods(call: Call, value: Any, keys: tuple[str, str], valid: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list) or len(value) > vendor.AI_MAX_INACTIVE_PERIODS:
        raise reject(call, "-27")
    for period in value:
        if not isinstance(period, dict):
            raise reject(call, "-27")
        start, end = (str(period.get(key)) for key in keys)
        if not (valid(period.get(keys[0])) and valid(period.get(keys[1]))) or start > end:
            raise reject(call, "-27")


def _is_hh_mm(value: Any) -> bool:
    return isinstance(value, str) and bool(_HH_MM.fullmatch(value))


def _is_date(value: Any) -> bool:
    try:
        dt.datetime.strptime(value, vendor.AI_DATE_FORMAT)
    except (TypeError, ValueError):
        return False
    return True


def _redial(call: Call, body: dict[str, Any]) -> None:
    conditions = body.get("redialCondition")
    if conditions is not None and (
        not isinstance(conditions, list) or any(c not in vendor.AI_REDIAL_CONDITIONS for c in conditions)
    ):
        raise reject(call, "-31")
    interval, times = body.get("redialInterval"), body.get("redialTimes")
    if interval is not None and (not _is_int(interval) or interval < 1):
        raise reject(call, "-30")
    if times is not None and (not _is_int(times) or times < 1):
        raise reject(call, "-29")
    # ASSUMPTION [SIM-6]: redialling needs at least one condition to redial on
    if body["redial"] and not conditions:
        raise reject(call, "-29")


def _checked_task_fields(call: Call, body: dict[str, Any]) -> tuple[float | None, float | None]:
    """Checks every field of a taskAdd body; returns its (start, end) epochs."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > vendor.AI_TASK_NAME_MAX:
        raise reject(call, "-27")
    for field in ("dialogFlowId", "robotCount", "jobPhoneNumberId"):
        if not _is_int(body.get(field)) or body[field] < 1:
            raise reject(call, "-27")
    if not isinstance(body.get("redial"), bool) or body.get("mode") not in vendor.AI_MODES:
        raise reject(call, "-27")
    start_at, end_at = _epoch(call, body.get("startDateTime")), _epoch(call, body.get("endDateTime"))
    if body["mode"] == "AUTO" and start_at is None:
        raise reject(call, "-28")
    if start_at is not None and end_at is not None and end_at <= start_at:
        raise reject(call, "-27")
    _daily_window(call, body)
    _periods(call, body.get("inactiveTimeList"), ("startTime", "endTime"), _is_hh_mm)
    _periods(call, body.get("inactiveDateList"), ("startDate", "endDate"), _is_date)
    days = body.get("daysOfWeek")
    if days is not None and (
        not isinstance(days, list) or any(d not in vendor.AI_DAYS_OF_WEEK for d in days)
    ):
        raise reject(call, "-27")
    _redial(call, body)
    if body["robotCount"] > MAX_ROBOTS:
        raise reject(call, "-52")
    return start_at, end_at


def ai_task_add(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app(call, body.get("appId"))
    start_at, end_at = _checked_task_fields(call, body)
    now = call.now
    with call.state.store.lock:
        tasks = call.state.store.table(PLATFORM, TASKS)
        if any(task["appId"] == app_id and task["name"] == body["name"] for task in tasks.values()):
            raise reject(call, "-33")
        job_id = int(call.state.ids.digits(9))
        while str(job_id) in tasks:
            job_id = int(call.state.ids.digits(9))
        tasks[str(job_id)] = {
            "jobId": job_id,
            "appId": app_id,
            "name": body["name"],
            "dialogFlowId": body["dialogFlowId"],
            "jobPhoneNumberId": body["jobPhoneNumberId"],
            "robotCount": body["robotCount"],
            "mode": body["mode"],
            "createdAt": now,
            "endAt": end_at,
            "customers": [],
            # calling periods [start, stop or None]; an AUTO task's starts at its start time
            "periods": [[start_at, None]] if body["mode"] == "AUTO" and start_at is not None else [],
        }
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="ai_voice_task",
            account=str(call.account),
            app=app_id,
            recipient=body["name"],
            content=str(body["dialogFlowId"]),
            vendor_id=str(job_id),
            client_reference=body["name"],
            endpoint=call.endpoint.name,
            time=now,
            status="created",
            details={"mode": body["mode"], "robotCount": body["robotCount"]},
        )
    )
    return _ok(data={"jobId": job_id})


# ----- importCustomer -----------------------------------------------------------------------


def _person(call: Call, person: Any) -> dict[str, Any]:
    if not isinstance(person, dict):
        raise reject(call, "-27")
    number = person.get("phoneNumber")
    if not isinstance(number, str) or not _PHONE.fullmatch(number):
        raise reject(call, "-27")
    for field in ("name", "gender"):
        if person.get(field) is not None and not isinstance(person[field], str):
            raise reject(call, "-27")
    properties = person.get("properties")
    if properties is not None and (
        not isinstance(properties, dict)
        or any(isinstance(value, dict | list) for value in properties.values())
    ):
        raise reject(call, "-27")
    return person


def ai_import_customer(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app(call, body.get("appId"))
    job_id = _job_id(call, body.get("jobId"))
    if body.get("callRecordDup") is not None and not isinstance(body["callRecordDup"], bool):
        raise reject(call, "-27")
    persons = body.get("customerPersons")
    if not isinstance(persons, list) or not persons:
        raise reject(call, "-27")
    if len(persons) > vendor.AI_IMPORT_MAX_CUSTOMERS:
        raise reject(call, "-56")
    customers = [_person(call, person) for person in persons]
    now = call.now
    with call.state.store.lock:
        task = _task(call, app_id, job_id)
        if progress(call, task)[0] in _ENDED:
            raise reject(call, "-54")
        first = len(task["customers"])
        task["customers"].extend(person["phoneNumber"] for person in customers)
    for index, person in enumerate(customers, start=first):
        call.state.ledger.add(
            LedgerEntry(
                platform=PLATFORM,
                kind="ai_customer",
                account=str(call.account),
                app=app_id,
                recipient=person["phoneNumber"],
                content=str(job_id),
                vendor_id=f"{job_id}-{index}",
                client_reference=str(job_id),
                endpoint=call.endpoint.name,
                time=now,
                status="imported",
                details={"name": person.get("name"), "properties": dict(person.get("properties") or {})},
            )
        )
    return _ok(data={"total": len(customers)})


# ----- start, pause, delete -----------------------------------------------------------------


def _job(call: Call) -> tuple[str, int]:
    body = call.json_object()
    return _app(call, body.get("appId")), _job_id(call, body.get("jobId"))


def ai_task_start(call: Call) -> Reply:
    app_id, job_id = _job(call)
    now = call.now
    with call.state.store.lock:
        task = _task(call, app_id, job_id)
        if progress(call, task)[0] not in vendor.AI_STARTABLE_STATUSES:
            raise reject(call, "-39")
        if not task["customers"]:
            raise reject(call, "-45")
        # an AUTO task started by hand before its time starts now instead
        task["periods"] = [[start, stop] for start, stop in task["periods"] if start <= now]
        task["periods"].append([now, None])
    return _ok()


def ai_task_stop(call: Call) -> Reply:
    app_id, job_id = _job(call)
    now = call.now
    with call.state.store.lock:
        task = _task(call, app_id, job_id)
        if progress(call, task)[0] not in vendor.AI_PAUSABLE_STATUSES:
            raise reject(call, "-38")
        task["periods"] = [[start, now if stop is None else stop] for start, stop in task["periods"]]
    return _ok()


def ai_task_delete(call: Call) -> Reply:
    app_id, job_id = _job(call)
    with call.state.store.lock:
        task = _task(call, app_id, job_id)
        if progress(call, task)[0] == "RUNNING":
            raise reject(call, "-44")
        del call.state.store.table(PLATFORM, TASKS)[str(job_id)]
    return _ok()


# ----- taskList -----------------------------------------------------------------------------


def ai_task_list(call: Call) -> Reply:
    """``{current, size 1-100, params{appId, name}}`` -> a page of the app's tasks, newest first."""
    body = call.json_object()
    current, size, params = body.get("current", 1), body.get("size", 10), body.get("params") or {}
    if (
        not _is_int(current)
        or not _is_int(size)
        or not isinstance(params, dict)
        or current < 1
        or not 1 <= size <= vendor.AI_TASK_LIST_MAX_SIZE
    ):
        raise reject(call, "-27")
    app_id = _app(call, params.get("appId"))
    name = params.get("name") or ""
    if not isinstance(name, str):
        raise reject(call, "-27")
    with call.state.store.lock:
        tasks = [
            _record(call, task)
            for task in reversed(call.state.store.table(PLATFORM, TASKS).values())
            if task["appId"] == app_id and name in task["name"]
        ]
    page = tasks[(current - 1) * size : current * size]
    data = {"total": len(tasks), "size": size, "current": current, "pages": -(-len(tasks) // size)}
    return _ok(data={**data, "records": page})


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "ai_task_add": ai_task_add,
    "ai_import_customer": ai_import_customer,
    "ai_task_start": ai_task_start,
    "ai_task_stop": ai_task_stop,
    "ai_task_delete": ai_task_delete,
    "ai_task_list": ai_task_list,
}
