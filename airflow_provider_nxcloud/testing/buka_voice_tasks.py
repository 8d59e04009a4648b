"""Buka voice group-call TASKS (``voice/group/call/...``) as the simulator serves them.

These endpoints answer the task-style envelope ``{"code": 0, "msg": "success",
"data": ...}``; errors carry the voice catalog's code and meaning in ``code``/``msg``
(the hook reads both envelopes).

``send`` (create) checks, in this order: ``appId`` ("-22" empty, "-32" not the
account's voice app), ``taskName`` ("-22" not 2-64 characters, "-41" already used
by the account), ``numberList`` (an array or a comma-separated string; "-35" none,
"-22" over 200,000, "-21" an entry that is not 7-15 digits), ``source`` ("-49"
not 1/2/3; "-50" / "-51" / "-38" its fields missing; "-22" an unknown ``lan``, TTS
text over 1,000, an ``uploadName`` that is not 5-32 characters ending in .mp3/.wav,
``baseFile`` that is not base64), ``sendTime`` ("-22" not ``yyyy-MM-dd HH:mm:ss``,
"-25" in the past), ``allowSendTime`` ("-22" not ``[{strTime, endTime}]`` of
``HH:mm`` with start before end), ``loopCount`` 1-9, ``maxCalls`` 1-999,
``maxRingingTime`` 20-120, ``displayNum`` 0-20 digits, ``hangUpSms`` (1 needs
``smsAppId``, the account's SMS app, and ``smsContent``; "-53" when none of its four
triggers is 1), ``toSeat`` (1 needs ``sipGroupId``; ``toSeatType`` 1 or 2): all "-22"
when wrong. Before all that, a request that breaks the endpoint's documented contract
(:mod:`~airflow_provider_nxcloud.platforms.buka_contracts`: e.g. no ``loopCount`` /
``maxCalls`` on create, no ``params.strTime`` on query, a resend without ``taskName``)
answers "-22". It answers ``data`` = the task's ``jobId``, an Integer. Each task is one ledger entry of kind
``voice_task`` (recipient and client reference: the task name; content: the file
id, upload name or TTS text; details ``{"numbers": n}``).

Progress, over the progress clock (``delay`` = the delivery delay): 0 waiting until
``sendTime``; then 6 submitting for ``delay / 2`` seconds of calling time, 1
calling (the numbers are called in order) until ``delay`` seconds, then 2
completed. With ``allowSendTime`` only the time inside the windows counts, and
outside every window the task shows 5 suspended. A number ending in 0000 is
not answered (failed); every other one is answered.

``detail/{id}`` answers the documented detail record (onbuka.com/voice-api19, the fields
of :data:`~airflow_provider_nxcloud.platforms.buka.VOICE_TASK_DETAIL_FIELDS`; "-24"
unknown id). ``query`` takes ``{current >= 1, size 1-100, params{strTime, endTime,
statusList, idxAppId, searchCondition}}`` (``strTime``/``endTime`` required,
``yyyy-MM-dd HH:mm:ss`` in the vendor's zone, bounding the create time as the vendor's
clock wrote it; ``searchCondition`` matches part of the task name) and answers
``{records, total, size, current, pages}`` of the documented list records
(:data:`~airflow_provider_nxcloud.platforms.buka.VOICE_TASK_LIST_RECORD_FIELDS`), newest
first. ``resend`` (the documented body: keyId, appId, taskName, source and its fields,
maxCalls, resendType) calls the numbers again (0 all, 1 only the failed ones): "-24"
unknown task, "-42" a task that is not completed or cancelled, "-34" nothing to call; it
is one ledger entry of kind ``voice_task_resend`` and the task goes through 6, 1 and 2
again (ASSUMPTION [SIM-4]: the create fields sent along with it are accepted and not applied).
``cancel {taskIdList: [Integer]}`` moves every task that has not ended to 4 ("-54" when
a listed id is not one of the account's tasks).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from typing import Any

from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing.buka import PLATFORM
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.routing import Call, Handler, Reject, Reply, json_reply

TABLE = "voice_task"
VENDOR_ZONE = dt.timezone(dt.timedelta(hours=vendor.VOICE_TASK_UTC_OFFSET_HOURS))
LIST_RECORD_FIELDS = vendor.VOICE_TASK_LIST_RECORD_FIELDS
DETAIL_FIELDS = vendor.VOICE_TASK_DETAIL_FIELDS

WAITING, CALLING, COMPLETED, CANCELLED, SUSPENDED, SUBMITTING = 0, 1, 2, 4, 5, 6
ENDED = frozenset(code for code, (_, outcome) in vendor.VOICE_TASK_STATUSES.items() if outcome != "running")
ANSWERED, FAILED = "answered", "failed"

#: ASSUMPTION [SIM-4]: a sendTime up to a minute old is taken as "now" (clocks differ); older is -25
SEND_TIME_GRACE_S = 60

_NUMBER = re.compile(r"[0-9]{7,15}")
_WINDOW = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_DAY_MINUTES = 24 * 60


# ----- envelopes ------------------------------------------------------------------------------


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "msg": "success", "data": data}


def task_reject(call: Call, code: str) -> Reject:
    info = lookup_code(PLATFORM, call.endpoint.service, code)
    return Reject(json_reply({"code": int(code), "msg": info.meaning if info else "error", "data": None}))


# ----- checks of the create body ----------------------------------------------------------------


def _whole(call: Call, body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise task_reject(call, "-22")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _numbers(call: Call, value: Any) -> list[str]:
    if isinstance(value, str):
        entries = [n.strip() for n in value.split(",") if n.strip()]
    elif isinstance(value, list):
        entries = [str(n).strip() for n in value if not isinstance(n, bool)]
    elif value is None:
        entries = []
    else:
        raise task_reject(call, "-22")
    if not entries:
        raise task_reject(call, "-35")
    if len(entries) > vendor.VOICE_TASK_MAX_NUMBERS:
        raise task_reject(call, "-22")
    if not all(_NUMBER.fullmatch(n) for n in entries):
        raise task_reject(call, "-21")
    return list(dict.fromkeys(entries))


def _source(call: Call, body: dict[str, Any]) -> tuple[int, str]:
    """The audio source and what the ledger shows of it (file id, upload name or TTS text)."""
    source = body.get("source")
    if isinstance(source, bool) or source not in vendor.VOICE_TASK_SOURCES:
        raise task_reject(call, vendor.VOICE_TASK_BAD_SOURCE_CODE)
    fields = vendor.VOICE_TASK_SOURCES[source]
    if not all(_text(body.get(name)) for name in fields):
        raise task_reject(call, vendor.VOICE_TASK_SOURCE_CODES[source])
    if source == 1:
        return source, body["voiceFileId"]
    if source == 2:
        name: str = body["uploadName"]
        low, high = vendor.VOICE_TASK_UPLOAD_NAME_LENGTH
        if not low <= len(name) <= high or not name.lower().endswith(vendor.VOICE_TASK_AUDIO_SUFFIXES):
            raise task_reject(call, "-22")
        try:
            base64.b64decode(body["baseFile"], validate=True)
        except (binascii.Error, ValueError):
            raise task_reject(call, "-22") from None
        return source, name
    text: str = body["text"]
    if body["lan"] not in vendor.VOICE_LANGUAGES or len(text) > vendor.VOICE_TASK_MAX_TEXT:
        raise task_reject(call, "-22")
    return source, text


def _send_at(call: Call, value: Any) -> tuple[float, str]:
    """When calling starts (epoch) and the sendTime as given ("" = now)."""
    if value in (None, ""):
        return call.now, ""
    if not isinstance(value, str):
        raise task_reject(call, "-22")
    try:
        local = dt.datetime.strptime(value, vendor.VOICE_TASK_TIME_FORMAT).replace(tzinfo=VENDOR_ZONE)
    except ValueError:
        raise task_reject(call, "-22") from None
    if local.timestamp() < call.now - SEND_TIME_GRACE_S:
        raise task_reject(call, "-25")
    return max(local.timestamp(), call.now), value


def _minute(text: Any, *, end: bool) -> int | None:
    if not isinstance(text, str) or not (match := _WINDOW.fullmatch(text)):
        return None
    if end and text == vendor.VOICE_TASK_END_OF_DAY:
        return _DAY_MINUTES
    return int(match[1]) * 60 + int(match[2])


def _windows(call: Call, value: Any) -> list[list[int]]:
    """allowSendTime as merged ``[start, end)`` minute ranges of the vendor's day."""
    if value in (None, []):
        return []
    if not isinstance(value, list):
        raise task_reject(call, "-22")
    ranges = []
    for item in value:
        if not isinstance(item, dict):
            raise task_reject(call, "-22")
        start, end = _minute(item.get("strTime"), end=False), _minute(item.get("endTime"), end=True)
        if start is None or end is None or start >= end:
            raise task_reject(call, "-22")
        ranges.append([start, end])
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _options(call: Call, body: dict[str, Any]) -> None:
    """The optional call-behaviour, SMS and transfer fields: checked, then kept as given."""
    _whole(call, body, "loopCount", *vendor.VOICE_TASK_LOOP_COUNT)
    _whole(call, body, "maxCalls", *vendor.VOICE_TASK_MAX_CALL_SECONDS)
    _whole(call, body, "maxRingingTime", *vendor.VOICE_TASK_RINGING_SECONDS)
    display = body.get("displayNum")
    if display not in (None, "") and not (
        isinstance(display, str)
        and display.isdigit()
        and len(display) <= vendor.VOICE_TASK_DISPLAY_NUMBER_DIGITS
    ):
        raise task_reject(call, "-22")
    if _whole(call, body, "hangUpSms", 0, 1) == 1:
        sms_app, content = body.get("smsAppId"), _text(body.get("smsContent"))
        if not _text(sms_app) or content is None or len(content) > vendor.VOICE_TASK_MAX_SMS_CONTENT:
            raise task_reject(call, "-22")
        if sms_app not in call.state.accounts.buka.app_ids("sms"):
            raise task_reject(call, "-32")
        if not any(body.get(name) == 1 for name in ("feedbackPush", "successPush", "failedPush", "ringPush")):
            raise task_reject(call, "-53")
    if _whole(call, body, "toSeat", 0, 1) == 1:
        if not _text(str(body.get("sipGroupId") or "")):
            raise task_reject(call, "-22")
        if body.get("toSeatType") not in (None, *vendor.VOICE_TASK_TRANSFER_TYPES.values()):
            raise task_reject(call, "-22")


def _app_id(call: Call, value: Any) -> str:
    if not _text(value):
        raise task_reject(call, "-22")
    if value not in call.state.accounts.buka.app_ids("voice"):
        raise task_reject(call, "-32")
    return str(value)


# ----- progress ---------------------------------------------------------------------------------


def _local(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, VENDOR_ZONE)


def _in_window(windows: list[list[int]], when: float) -> bool:
    local = _local(when)
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(start <= minute < end for start, end in windows)


def _calling_seconds(windows: list[list[int]], start: float, end: float) -> float:
    """Seconds between ``start`` and ``end`` in which the task may call."""
    if end <= start:
        return 0.0
    if not windows:
        return end - start
    total = 0.0
    day = _local(start).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.timestamp() < end:
        midnight = day.timestamp()
        for low, high in windows:
            total += max(0.0, min(midnight + high * 60, end) - max(midnight + low * 60, start))
        day += dt.timedelta(days=1)
    return total


def _run_state(run: dict[str, Any], windows: list[list[int]], delay: float, now: float) -> tuple[int, int]:
    """(status, numbers called so far) of one calling round."""
    when = now if run["cancelled_at"] is None else min(now, run["cancelled_at"])
    if when < run["start"]:
        status, called = WAITING, 0
    else:
        calling = _calling_seconds(windows, run["start"], when)
        half = delay / 2
        if calling >= delay:
            status, called = COMPLETED, len(run["numbers"])
        else:
            share = max(0.0, calling - half) / half if half else 1.0
            called = math.floor(len(run["numbers"]) * min(1.0, share))
            if windows and not _in_window(windows, when):
                status = SUSPENDED
            else:
                status = SUBMITTING if calling < half else CALLING
    if run["cancelled_at"] is not None and now >= run["cancelled_at"]:
        status = CANCELLED
    return status, called


def progress(call: Call, task: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """The task's status now and each called number's outcome (its last round decides)."""
    now, delivery = call.now, call.state.delivery
    outcomes: dict[str, str] = {}
    status = WAITING
    for run in task["runs"]:
        status, called = _run_state(run, task["windows"], delivery.delay, now)
        if now < run["start"]:
            continue
        for index, number in enumerate(run["numbers"]):
            if index < called:
                outcomes[number] = FAILED if delivery.is_undeliverable(number) else ANSWERED
            else:
                outcomes.pop(number, None)  # called again in this round, not yet
    return status, outcomes


def _values(call: Call, task: dict[str, Any]) -> dict[str, Any]:
    status, outcomes = progress(call, task)
    answered = sum(1 for outcome in outcomes.values() if outcome == ANSWERED)
    total = len(task["numbers"])
    settings = task["settings"]
    return {
        "jobId": task["id"],
        "taskName": task["taskName"],
        "appId": task["appId"],
        "displayNum": settings.get("displayNum") or "",
        "status": status,
        "rate": f"{round(100 * len(outcomes) / total) if total else 0}%",
        "numCnt": total,
        "callNum": len(outcomes),
        "success": answered,
        "fail": len(outcomes) - answered,
        "sendTime": task["sendTime"] or None,
        "createdTime": _local(task["createdWall"]).strftime(vendor.VOICE_TASK_TIME_FORMAT),
        "source": task["source"],
        "voiceFileId": settings.get("voiceFileId") or "",
        "uploadName": settings.get("uploadName") or "",
        "baseFile": task.get("baseFile") or "",
        "text": settings.get("text") or "",
        "lan": settings.get("lan") or "",
        "maxCalls": settings.get("maxCalls"),
        "loopCount": settings.get("loopCount"),
    }


def record(call: Call, task: dict[str, Any]) -> dict[str, Any]:
    """The task as the query lists it (onbuka.com/voice-api18): :data:`LIST_RECORD_FIELDS`."""
    values = _values(call, task)
    return {name: values[name] for name in LIST_RECORD_FIELDS}


def detail_record(call: Call, task: dict[str, Any]) -> dict[str, Any]:
    """The task as its detail shows it (onbuka.com/voice-api19): :data:`DETAIL_FIELDS` (no callNum)."""
    values = _values(call, task)
    return {name: values[name] for name in DETAIL_FIELDS}


def _tasks(call: Call) -> dict[str, Any]:
    return call.state.store.table(PLATFORM, TABLE)


def _task(call: Call, task_id: Any) -> dict[str, Any] | None:
    task = _tasks(call).get(str(task_id).strip()) if isinstance(task_id, str | int) else None
    return task if task is not None and task["account"] == call.account else None


# ----- handlers ---------------------------------------------------------------------------------


def voice_task_create(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app_id(call, body.get("appId"))
    name = body.get("taskName")
    low, high = vendor.VOICE_TASK_NAME_LENGTH
    if not isinstance(name, str) or not low <= len(name) <= high:
        raise task_reject(call, "-22")
    with call.state.store.lock:
        if any(t["taskName"] == name and t["account"] == call.account for t in _tasks(call).values()):
            raise task_reject(call, "-41")
        numbers = _numbers(call, body.get("numberList"))
        source, content = _source(call, body)
        start, send_time = _send_at(call, body.get("sendTime"))
        windows = _windows(call, body.get("allowSendTime"))
        _options(call, body)
        task_id = int(call.state.ids.digits(12))
        now = call.now
        _tasks(call)[str(task_id)] = {
            "id": task_id,
            "account": call.account,
            "appId": app_id,
            "taskName": name,
            "numbers": numbers,
            "source": source,
            "sendTime": send_time,
            "createdAt": now,
            # the vendor writes createdTime with its own clock (which the query's window is held to)
            "createdWall": float(call.state.clock.vendor_now_s()),
            "windows": windows,
            "baseFile": body.get("baseFile") if source == 2 else None,
            "settings": {k: v for k, v in body.items() if k not in ("numberList", "baseFile")},
            "runs": [{"start": start, "numbers": numbers, "cancelled_at": None}],
        }
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="voice_task",
            account=str(call.account),
            app=app_id,
            recipient=name,
            content=content,
            vendor_id=str(task_id),
            client_reference=name,
            endpoint=call.endpoint.name,
            time=now,
            status="pending",
            sender=body.get("displayNum") or None,
            details={"numbers": len(numbers)},
        )
    )
    return ok(task_id)


def voice_task_detail(call: Call) -> Reply:
    with call.state.store.lock:
        task = _task(call, call.path_params.get("task_id", ""))
        if task is None:
            raise task_reject(call, "-24")
        return ok(detail_record(call, task))


def _create_time_bound(call: Call, value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        local = dt.datetime.strptime(str(value), vendor.VOICE_TASK_TIME_FORMAT)
    except ValueError:
        raise task_reject(call, "-22") from None
    return local.replace(tzinfo=VENDOR_ZONE).timestamp()


def voice_task_list(call: Call) -> Reply:
    body = call.json_object()
    current, size, params = body.get("current", 1), body.get("size", 10), body.get("params") or {}
    if (
        isinstance(current, bool)
        or isinstance(size, bool)
        or not isinstance(current, int)
        or not isinstance(size, int)
        or not isinstance(params, dict)
        or current < 1
        or not 1 <= size <= vendor.VOICE_TASK_LIST_MAX_SIZE
    ):
        raise task_reject(call, "-22")
    statuses = params.get("statusList")
    if statuses is not None and not isinstance(statuses, list):
        raise task_reject(call, "-22")
    search = params.get("searchCondition") or ""
    app_id = params.get("idxAppId") or None
    earliest = _create_time_bound(call, params.get("strTime"))
    latest = _create_time_bound(call, params.get("endTime"))
    with call.state.store.lock:
        records = [
            record(call, task)
            for task in sorted(_tasks(call).values(), key=lambda t: t["createdAt"], reverse=True)
            if task["account"] == call.account
            and str(search) in task["taskName"]
            and (app_id is None or task["appId"] == app_id)
            and (earliest is None or task["createdWall"] >= earliest)
            and (latest is None or task["createdWall"] <= latest)
        ]
    if statuses:
        records = [r for r in records if r["status"] in statuses]
    page = records[(current - 1) * size : current * size]
    pages = -(-len(records) // size)
    return ok({"records": page, "total": len(records), "size": size, "current": current, "pages": pages})


def voice_task_resend(call: Call) -> Reply:
    body = call.json_object()
    kind = body.get("resendType")
    if kind not in (vendor.VOICE_TASK_RESEND_ALL, vendor.VOICE_TASK_RESEND_FAILED) or isinstance(kind, bool):
        raise task_reject(call, "-22")
    with call.state.store.lock:
        key = body.get("keyId")
        task = _task(call, key) if isinstance(key, int) and not isinstance(key, bool) else None
        if task is None:
            raise task_reject(call, "-24")
        status, outcomes = progress(call, task)
        if status not in vendor.VOICE_TASK_RESENDABLE:
            raise task_reject(call, "-42")
        if kind == vendor.VOICE_TASK_RESEND_FAILED:
            numbers = [n for n in task["numbers"] if outcomes.get(n) == FAILED]
        else:
            numbers = list(task["numbers"])
        if not numbers:
            raise task_reject(call, "-34")
        now = call.now
        task["runs"].append({"start": now, "numbers": numbers, "cancelled_at": None})
        rounds = len(task["runs"])
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="voice_task_resend",
            account=str(call.account),
            app=task["appId"],
            recipient=str(task["id"]),
            content=str(kind),
            vendor_id=f"{task['id']}-resend-{rounds - 1}",
            client_reference=None,
            endpoint=call.endpoint.name,
            time=now,
            status="pending",
            details={"numbers": len(numbers)},
        )
    )
    return ok(None)


def voice_task_cancel(call: Call) -> Reply:
    body = call.json_object()
    ids = body.get("taskIdList")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise task_reject(call, "-22")
    with call.state.store.lock:
        tasks = [_task(call, task_id) for task_id in ids]
        # ASSUMPTION [BK-11]: -54 ("the task you submitted is wrong") is what the cancel page shows for an id
        # that is not one of the account's tasks; nothing is cancelled then
        if any(task is None for task in tasks):
            raise task_reject(call, "-54")
        now = call.now
        for task in filter(None, tasks):
            status, _ = progress(call, task)
            # ASSUMPTION [BK-11]: cancelling a task that already ended changes nothing and is not an error
            if status not in ENDED:
                task["runs"][-1]["cancelled_at"] = now
    return ok(None)


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "voice_task_create": voice_task_create,
    "voice_task_detail": voice_task_detail,
    "voice_task_list": voice_task_list,
    "voice_task_resend": voice_task_resend,
    "voice_task_cancel": voice_task_cancel,
}
