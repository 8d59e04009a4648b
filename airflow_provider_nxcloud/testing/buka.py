"""Buka (onbuka) as the simulator serves it, under ``/v3``.

Auth (reference A.2): ``Api-Key``, ``Timestamp`` (seconds) and
``Sign = md5(key + secret + timestamp)``, checked in this order:

* a missing header -> "-1"; on AI voice paths (``/v3/AiVoice/...``) a missing
  ``Api-Key`` / ``Timestamp`` / ``Sign`` -> "-59" / "-58" / "-57";
* an unknown ``Api-Key`` or a wrong ``Sign`` (hex case ignored) -> "-1";
* a ``Timestamp`` more than 30 minutes from the vendor clock (or not a number)
  -> the service's code: "-16" SMS and voice, "-6" email, "-4" AI voice.

Every reply is HTTP 200 with ``{"status": "<code>", "reason": <meaning>}``.

SMS numbers that are not 6-15 digits are counted in ``fail`` and the others
are sent; a request with no valid number answers "-9". (The vendor's reply
carries success/fail counters; which numbers it rejects one by one is not
documented.)
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.platforms.codes import lookup_code
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.formats import iso_with_offset
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.progress import DELIVERED, UNDELIVERED
from airflow_provider_nxcloud.testing.routing import (
    BadBody,
    Call,
    PlatformSim,
    Reject,
    Reply,
    VendorRouter,
    gateway_reply,
    json_reply,
    same_secret,
)

PLATFORM = vendor.PLATFORM
PREFIXES = (vendor.BASE_PATH + "/",)

#: the timestamp-expired code of each service
TIMESTAMP_CODE = {"sms": "-16", "voice": "-16", "call_center": "-16", "email": "-6", "ai_voice": "-4"}
#: AI voice names the missing header
MISSING_HEADER_CODE = {"Api-Key": "-59", "Timestamp": "-58", "Sign": "-57"}

#: the service codes injected by ``vendor_rate_limit`` / ``vendor_busy`` (absent = kind does not apply)
FAULT_CODES: dict[FaultKind, dict[str, str]] = {
    FaultKind.VENDOR_RATE_LIMIT: {"sms": "-15", "ai_voice": "-52"},
    FaultKind.VENDOR_BUSY: {
        "sms": "-18",
        "voice": "-18",
        "call_center": "-18",
        "email": "-23",
        "ai_voice": "-47",
    },
    FaultKind.TIMESTAMP_EXPIRED: TIMESTAMP_CODE,
}

#: sendSms limits (POST): numbers per request, content characters, senderId characters
MAX_NUMBERS = 1000
MAX_CONTENT = 1024
MAX_SENDER = 32
#: getReport: message ids per call
MAX_REPORT_IDS = 200

_NUMBER = re.compile(r"[0-9]{6,15}")
#: getReport's per-message status
REPORT_STATUS = {DELIVERED: 0, UNDELIVERED: 1}
REPORT_PENDING = -1
#: Buka writes report times in China time, as its examples do
REPORT_OFFSET_HOURS = 8


# ----- envelopes ------------------------------------------------------------------------------


def error_reply(service: str, code: str) -> Response:
    info = lookup_code(PLATFORM, service, code)
    return json_reply({"status": code, "reason": info.meaning if info else "error"})


def reject(call: Call, code: str) -> Reject:
    return Reject(error_reply(call.endpoint.service, code))


# ----- auth -----------------------------------------------------------------------------------


def authenticate(call: Call) -> Endpoint:
    endpoint = call.endpoint
    headers = call.headers
    values = {name: headers.get(name, "").strip() for name in ("Api-Key", "Timestamp", "Sign")}
    for name, value in values.items():
        if not value:
            raise reject(call, MISSING_HEADER_CODE[name] if endpoint.service == "ai_voice" else "-1")
    account = call.state.accounts.buka
    if values["Api-Key"] != account.api_key:
        raise reject(call, "-1")
    expected = vendor.sign(account.api_key, account.api_secret, values["Timestamp"])
    if not same_secret(values["Sign"].lower(), expected):
        raise reject(call, "-1")
    try:
        skew = abs(int(values["Timestamp"]) - call.state.clock.vendor_now_s())
    except ValueError:
        skew = vendor.TIMESTAMP_WINDOW_S + 1
    if skew > vendor.TIMESTAMP_WINDOW_S:
        raise reject(call, TIMESTAMP_CODE.get(endpoint.service, "-16"))
    call.account = account.api_key
    return endpoint


def bad_body(call: Call, exc: BadBody) -> Response:
    return error_reply(call.endpoint.service, "-22")


router = VendorRouter(
    PLATFORM, vendor.ENDPOINTS, prefix=vendor.BASE_PATH, authenticate=authenticate, bad_body=bad_body
)


def _app_id(call: Call, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reject(call, "-22")
    if value not in call.state.accounts.buka.app_ids(call.endpoint.service):
        raise reject(call, "-32")
    return value


# ----- account --------------------------------------------------------------------------------


@router.handler("balance")
def balance(call: Call) -> Reply:
    account = call.state.accounts.buka
    return {"status": "0", "reason": "success", "balance": account.balance, "gift": "0", "credit": "0"}


# ----- SMS ------------------------------------------------------------------------------------


class _Send:
    """One validated sendSms unit: numbers with their order ids, the content and sender."""

    def __init__(self, call: Call, item: Any) -> None:
        if not isinstance(item, dict):
            raise reject(call, "-22")
        content = item.get("content")
        if content is None or content == "":
            raise reject(call, "-4")
        if not isinstance(content, str):
            raise reject(call, "-22")
        if len(content) > MAX_CONTENT:
            raise reject(call, "-5")
        numbers_text = item.get("numbers")
        if numbers_text is None or (isinstance(numbers_text, str) and not numbers_text.strip()):
            raise reject(call, "-8")
        if not isinstance(numbers_text, str):
            raise reject(call, "-22")
        numbers = [n.strip() for n in numbers_text.split(",")]
        if len(numbers) > MAX_NUMBERS:
            raise reject(call, "-7")
        order_ids: list[str | None] = [None] * len(numbers)
        order_text = item.get("orderId")
        if order_text not in (None, ""):
            if not isinstance(order_text, str):
                raise reject(call, "-22")
            given = [o.strip() for o in order_text.split(",")]
            if len(given) != len(numbers):
                raise reject(call, "-22")
            order_ids = [o or None for o in given]
        sender = item.get("senderId")
        if sender not in (None, "") and (not isinstance(sender, str) or len(sender) > MAX_SENDER):
            raise reject(call, "-22")
        self.content = content
        self.sender = sender or None
        self.targets = [(n, o) for n, o in zip(numbers, order_ids, strict=True) if _NUMBER.fullmatch(n)]
        self.failed = len(numbers) - len(self.targets)


def _accept(call: Call, app_id: str, sends: list[_Send]) -> Reply:
    if not any(send.targets for send in sends):
        raise reject(call, "-9")
    accepted: list[dict[str, Any]] = []
    now = call.now
    for send in sends:
        for number, order_id in send.targets:
            msg_id = call.state.ids.digits(19)
            call.state.ledger.add(
                LedgerEntry(
                    platform=PLATFORM,
                    kind="sms",
                    account=str(call.account),
                    app=app_id,
                    recipient=number,
                    content=send.content,
                    vendor_id=msg_id,
                    client_reference=order_id,
                    endpoint=call.endpoint.name,
                    time=now,
                    status="pending",
                    sender=send.sender,
                    timeline=call.state.delivery.sms_timeline(number, now),
                )
            )
            accepted.append({"msgId": msg_id, "number": number, "orderId": order_id or ""})
    failed = sum(send.failed for send in sends)
    return {"status": "0", "reason": "success", "success": len(accepted), "fail": failed, "array": accepted}


@router.handler("sms_send")
def sms_send(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app_id(call, body.get("appId"))
    return _accept(call, app_id, [_Send(call, body)])


@router.handler("sms_send_batch")
def sms_send_batch(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app_id(call, body.get("appId"))
    items = body.get("array")
    if not isinstance(items, list) or not items:
        raise reject(call, "-22")
    # every element is checked before any is sent: one bad element fails the whole batch
    sends = [_Send(call, item) for item in items]
    return _accept(call, app_id, sends)


@router.handler("sms_report")
def sms_report(call: Call) -> Reply:
    app_id = _app_id(call, call.query.get("appId"))
    ids = [i.strip() for i in call.query.get("msgIds", "").split(",") if i.strip()]
    if not ids:
        raise reject(call, "-14")
    if len(ids) > MAX_REPORT_IDS:
        raise reject(call, "-22")
    now = call.now
    rows: list[dict[str, Any]] = []
    counters = {"success": 0, "fail": 0, "sending": 0, "nofound": 0}
    for msg_id in ids:
        entry = call.state.ledger.get(PLATFORM, msg_id)
        if entry is None or entry.kind != "sms" or entry.app != app_id:
            counters["nofound"] += 1
            continue
        status = REPORT_STATUS.get(entry.status, REPORT_PENDING)
        counters[{0: "success", 1: "fail"}.get(status, "sending")] += 1
        final_at = entry.reached_at(entry.status, now) if status != REPORT_PENDING else None
        rows.append(
            {
                "msgId": entry.vendor_id,
                "number": entry.recipient,
                "receiveTime": iso_with_offset(final_at, REPORT_OFFSET_HOURS) if final_at else "",
                "status": status,
            }
        )
    return {"status": "0", "reason": "success", **counters, "array": rows}


# ----- AI voice -------------------------------------------------------------------------------


@router.handler("ai_task_list")
def ai_task_list(call: Call) -> Reply:
    """``{current, size 1-100, params{appId, name}}`` -> a page of the stored AI voice tasks."""
    body = call.json_object()
    current, size, params = body.get("current", 1), body.get("size", 10), body.get("params") or {}
    if (
        not isinstance(current, int)
        or not isinstance(size, int)
        or not isinstance(params, dict)
        or current < 1
        or not 1 <= size <= 100
    ):
        raise reject(call, "-27")
    app_id = params.get("appId")
    if app_id not in call.state.accounts.buka.app_ids("ai_voice"):
        raise reject(call, "-37")
    with call.state.store.lock:
        tasks = [
            dict(task)
            for task in call.state.store.table(PLATFORM, "ai_task").values()
            if task.get("appId") == app_id and (not params.get("name") or task.get("name") == params["name"])
        ]
    page = tasks[(current - 1) * size : current * size]
    data = {"total": len(tasks), "size": size, "current": current, "pages": -(-len(tasks) // size)}
    return {"status": "0", "reason": "success", "data": {**data, "records": page}}


# ----- faults ---------------------------------------------------------------------------------


def fault_reply(kind: FaultKind, endpoint: Endpoint | None) -> Response | None:
    if kind in HTTP_STATUS_OF:
        return gateway_reply(kind)
    if endpoint is None:
        return None
    code = FAULT_CODES.get(kind, {}).get(endpoint.service)
    return None if code is None else error_reply(endpoint.service, code)


SIM = PlatformSim(PLATFORM, PREFIXES, router, fault_reply)
