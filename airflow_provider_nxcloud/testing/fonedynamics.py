"""Fone Dynamics REST v2 as the simulator serves it, under ``/v2``.

Auth is HTTP Basic with AccountSid and Token; a missing or wrong one answers
HTTP 401 ``{"ResponseStatus": {"ErrorCode": "UNAUTHORIZED", ...}}``. Errors are
an HTTP status plus ``ResponseStatus.ErrorCode`` and, for a field at fault,
``Errors: [{"FieldName": ...}]`` (reference B.2). Timestamps are epoch seconds
of the progress clock.

Messages go Processing -> Submitted (after half the delivery delay) ->
Delivered or Failed (after the whole delay); with ``DeliveryReceipt: false``
they stay Submitted, as the vendor documents.
"""

from __future__ import annotations

import base64
import binascii
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from airflow_provider_nxcloud.platforms import fonedynamics as vendor
from airflow_provider_nxcloud.platforms import fonedynamics_contracts
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import Reason
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.formats import sms_segments
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.progress import DELIVERED, PENDING, SUBMITTED, UNDELIVERED
from airflow_provider_nxcloud.testing.routing import (
    RETRY_AFTER_STATUSES,
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
SERVICE = vendor.SERVICE
PREFIXES = ("/v2/",)

UNAUTHORIZED = {
    "ResponseStatus": {"ErrorCode": "UNAUTHORIZED", "Message": "Wrong or missing credentials.", "Errors": []}
}
#: above it -> 400 PARAMETER_INVALID (the limit itself is an assumption, see platforms)
MAX_BATCH = vendor.BATCH_MAX_MESSAGES
SCHEDULE_AHEAD_S = vendor.SCHEDULE_AHEAD_S
SCHEDULE_BEHIND_S = vendor.SCHEDULE_BEHIND_S
DEFAULT_RESULTS_COUNT = 50

STATUS_WORDS = {PENDING: "Processing", SUBMITTED: "Submitted", DELIVERED: "Delivered", UNDELIVERED: "Failed"}

_E164 = vendor.E164_NUMBER
_ALPHA_SENDER = vendor.ALPHANUMERIC_SENDER

#: what ``vendor_rate_limit`` / ``vendor_busy`` look like here: the vendor signals them by HTTP status.
#: The ErrorCode words are the simulator's own; clients go by the status.
FAULT_STATUS: dict[FaultKind, tuple[int, str, str]] = {
    FaultKind.VENDOR_RATE_LIMIT: (429, "TOO_MANY_REQUESTS", "Too many requests; slow down."),
    FaultKind.VENDOR_BUSY: (503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
}
#: the HTTP status an ErrorCode comes with, by its reason; any other reason gets 400.
#: ASSUMPTION: the errors page pairs no ErrorCode with a status; these follow its status table
#: (401 credentials, 403 permissions, 400 missing or invalid data) and 404 for "not found"
ERROR_CODE_STATUS: dict[Reason, int] = {Reason.AUTH: 401, Reason.PERMISSION: 403, Reason.NOT_FOUND: 404}


# ----- envelopes ------------------------------------------------------------------------------


def error_reply(status: int, code: str, *fields: str, message: str | None = None) -> Response:
    if message is None:
        info = lookup_code(PLATFORM, SERVICE, code)
        message = info.meaning if info else code
    errors = [{"FieldName": name} for name in fields]
    return json_reply({"ResponseStatus": {"ErrorCode": code, "Message": message, "Errors": errors}}, status)


def reject(status: int, code: str, *fields: str, message: str | None = None) -> Reject:
    return Reject(error_reply(status, code, *fields, message=message))


# ----- auth -----------------------------------------------------------------------------------


def authenticate(call: Call) -> Endpoint:
    account = call.state.accounts.fonedynamics
    scheme, _, encoded = call.headers.get("Authorization", "").partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    sid, sep, token = decoded.partition(":")
    if (
        scheme.lower() != "basic"
        or not sep
        or not same_secret(sid, account.account_sid)
        or not same_secret(token, account.token)
    ):
        raise Reject(json_reply(UNAUTHORIZED, 401, {"WWW-Authenticate": 'Basic realm="api"'}))
    call.account = sid
    return call.endpoint


def bad_body(call: Call, exc: BadBody) -> Response:
    return error_reply(400, "INVALID_MODEL_STATE", message=f"The request body is invalid: {exc}")


router = VendorRouter(
    PLATFORM,
    vendor.ENDPOINTS,
    authenticate=authenticate,
    bad_body=bad_body,
    contracts=fonedynamics_contracts.CONTRACTS,
)


def _property(call: Call) -> str:
    sid = call.path_params.get("property_sid", "")
    if sid != call.state.accounts.fonedynamics.property_sid:
        raise reject(404, "PROPERTY_NOT_FOUND", "PropertySid")
    return sid


# ----- properties -----------------------------------------------------------------------------


def _property_resource(call: Call) -> dict[str, Any]:
    account = call.state.accounts.fonedynamics
    return {
        "PropertySid": account.property_sid,
        "AccountSid": account.account_sid,
        "Name": account.property_name,
        "SmsEnabled": True,
    }


@router.handler("list_properties")
def list_properties(call: Call) -> Reply:
    count, skip = _paging(call)
    properties = [_property_resource(call)]
    # the vendor's list calls its items "Projects" (a property is a project/site)
    return {"Projects": properties[skip : skip + count], "TotalCount": len(properties), "NextPageToken": None}


@router.handler("get_property")
def get_property(call: Call) -> Reply:
    _property(call)
    return {"Property": _property_resource(call)}


def _paging(call: Call) -> tuple[int, int]:
    try:
        count = int(call.query.get("Results_Count", DEFAULT_RESULTS_COUNT))
        skip = int(call.query.get("Results_Skip", 0))
    except ValueError:
        raise reject(400, "PARAMETER_INVALID", "Results_Count") from None
    if count < 1 or skip < 0:
        raise reject(400, "PARAMETER_INVALID", "Results_Count")
    return count, skip


# ----- messages -------------------------------------------------------------------------------


def _problem(message: Any, now: float) -> tuple[str, str] | None:
    """(ErrorCode, FieldName) of the first thing wrong with one message, or None."""
    if not isinstance(message, dict):
        return "PARAMETER_INVALID", "Messages"
    to = message.get("To")
    if to in (None, ""):
        return "PARAMETER_REQUIRED", "To"
    if not isinstance(to, str) or not _E164.fullmatch(to):
        return "INVALID_PHONENUMBER_FORMAT", "To"
    text = message.get("Text")
    if text is None:
        return "PARAMETER_REQUIRED", "Text"
    if not isinstance(text, str) or not text.strip():
        return "INVALID_SMS_TEXT", "Text"
    sender = message.get("From")
    if sender not in (None, "") and not (
        isinstance(sender, str) and (_E164.fullmatch(sender) or _ALPHA_SENDER.fullmatch(sender))
    ):
        return "INVALID_SMS_SENDER", "From"
    schedule = message.get("Schedule")
    if schedule is not None:
        if not isinstance(schedule, int | float) or isinstance(schedule, bool):
            return "PARAMETER_INVALID", "Schedule"
        if not now - SCHEDULE_BEHIND_S <= schedule <= now + SCHEDULE_AHEAD_S:
            return "SCHEDULED_TIME_OUT_OF_RANGE", "Schedule"
    receipt = message.get("DeliveryReceipt")
    if receipt is not None and not isinstance(receipt, bool):
        return "PARAMETER_INVALID", "DeliveryReceipt"
    return None


def _accept(call: Call, property_sid: str, message: dict[str, Any]) -> LedgerEntry:
    now = call.now
    receipt = message.get("DeliveryReceipt", True)
    schedule = message.get("Schedule")
    starts = max(now, float(schedule)) if schedule is not None else now
    sid = "MS" + call.state.ids.hex(32).upper()
    return call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="sms",
            account=str(call.account),
            app=property_sid,
            recipient=message["To"],
            content=message["Text"],
            vendor_id=sid,
            client_reference=message.get("ExternalId") or None,
            endpoint=call.endpoint.name,
            time=now,
            status=PENDING,
            sender=message.get("From") or None,
            timeline=call.state.delivery.sms_timeline(message["To"], starts, receipt=receipt),
            details={"delivery_receipt": receipt, "scheduled": schedule},
        )
    )


def message_resource(entry: LedgerEntry, now: float) -> dict[str, Any]:
    """The MessageResource of a ledger entry, as of ``now``."""
    submitted = entry.reached_at(SUBMITTED, now)
    final = entry.reached_at(DELIVERED, now) or entry.reached_at(UNDELIVERED, now)
    scheduled = entry.details.get("scheduled")
    return {
        "MessageSid": entry.vendor_id,
        "AccountSid": entry.account,
        "PropertySid": entry.app,
        "Direction": "Transmit",
        "From": entry.sender,
        "To": entry.recipient,
        "Text": entry.content,
        "ExternalId": entry.client_reference,
        "Status": STATUS_WORDS.get(entry.status, "Processing"),
        "NumSegments": sms_segments(entry.content),
        "DeliveryReceipt": entry.details.get("delivery_receipt", True),
        "Scheduled": int(scheduled) if scheduled is not None else None,
        "Created": int(entry.time),
        "Submitted": int(submitted) if submitted is not None else None,
        "Delivered": int(final) if final is not None and entry.status == DELIVERED else None,
        "ErrorCode": None,
    }


@router.handler("send_message")
def send_message(call: Call) -> Reply:
    property_sid = _property(call)
    message = call.json_object()
    problem = _problem(message, call.now)
    if problem is not None:
        raise reject(400, problem[0], problem[1])
    entry = _accept(call, property_sid, message)
    return {"Message": message_resource(entry, call.now)}


@router.handler("send_batch")
def send_batch(call: Call) -> Reply:
    property_sid = _property(call)
    body = call.json_object()
    messages = body.get("Messages")
    if messages is None:
        raise reject(400, "PARAMETER_REQUIRED", "Messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_BATCH:
        raise reject(
            400, "PARAMETER_INVALID", "Messages", message=f"Messages must hold 1 to {MAX_BATCH} messages."
        )
    now = call.now
    results: list[dict[str, Any]] = []
    for message in messages:
        problem = _problem(message, now)
        if problem is not None:
            info = lookup_code(PLATFORM, SERVICE, problem[0])
            results.append({"ErrorCode": problem[0], "ErrorMessage": info.meaning if info else problem[0]})
            continue
        results.append(message_resource(_accept(call, property_sid, message), now))
    # partial failure comes with HTTP 200: the caller checks each element
    return json_reply(results)


@router.handler("get_message")
def get_message(call: Call) -> Reply:
    entry = call.state.ledger.get(PLATFORM, call.path_params.get("message_sid", ""))
    if entry is None or entry.account != call.account:
        raise reject(404, "MESSAGE_NOT_FOUND", "MessageSid")
    return {"Message": message_resource(entry, call.now)}


@router.handler("list_messages")
def list_messages(call: Call) -> Reply:
    property_sid = _property(call)
    count, skip = _paging(call)
    try:
        since = float(call.query.get("Date_From", "-inf"))
        until = float(call.query.get("Date_To", "inf"))
    except ValueError:
        raise reject(400, "PARAMETER_INVALID", "Date_From") from None
    now = call.now
    # one page, not the whole ledger: a lookup in a large campaign reads many pages
    chosen, total = call.state.ledger.page(PLATFORM, "sms", property_sid, since, until, skip, count)
    return {"Messages": [message_resource(e, now) for e in chosen], "TotalCount": total}


# ----- faults ---------------------------------------------------------------------------------


def fault_reply(kind: FaultKind, endpoint: Endpoint | None) -> Response | None:
    if kind in HTTP_STATUS_OF:
        return gateway_reply(kind)
    if kind in FAULT_STATUS:
        status, code, message = FAULT_STATUS[kind]
        response = error_reply(status, code, message=message)
        response.headers["Retry-After"] = "1"
        return response
    return None  # no timestamps to expire on Fone Dynamics


def code_reply(endpoint: Endpoint, code: str) -> Response:
    """``code`` as Fone Dynamics answers it (the ``vendor_code`` fault): an ErrorCode with its HTTP
    status, or an HTTP status (digits) alone, its envelope naming no ErrorCode."""
    if code.isdigit():
        status = int(code)
        info = lookup_code(PLATFORM, SERVICE, code)
        message = info.meaning if info else HTTPStatus(status).phrase
        response = json_reply({"ResponseStatus": {"Message": message, "Errors": []}}, status)
        if status in RETRY_AFTER_STATUSES:
            response.headers["Retry-After"] = "1"
        return response
    info = lookup_code(PLATFORM, SERVICE, code)
    return error_reply(ERROR_CODE_STATUS.get(info.reason, 400) if info else 400, code)


SIM = PlatformSim(PLATFORM, PREFIXES, router, fault_reply, code_reply)
