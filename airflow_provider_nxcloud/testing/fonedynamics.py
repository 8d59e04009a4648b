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
import math
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from airflow_provider_nxcloud.platforms import fonedynamics as vendor
from airflow_provider_nxcloud.platforms import fonedynamics_contracts
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import Reason
from airflow_provider_nxcloud.platforms.endpoints import BodyFormat, Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.formats import sms_segments
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.progress import DELIVERED, PENDING, SUBMITTED, UNDELIVERED
from airflow_provider_nxcloud.testing.routing import (
    RETRY_AFTER_STATUSES,
    BadBody,
    Call,
    Handler,
    Reject,
    Reply,
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
#: ASSUMPTION [SIM-7]: the errors page pairs no ErrorCode with a status; these follow its status table
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


#: the ErrorCode for a field present but malformed, by the field's name (seed 004's table);
#: any other field gets PARAMETER_INVALID, a missing one PARAMETER_REQUIRED
MALFORMED_FIELD_CODES = {
    "To": "INVALID_PHONENUMBER_FORMAT",
    "From": "INVALID_SMS_SENDER",
    "Text": "INVALID_SMS_TEXT",
    "Status": "INVALID_SMS_STATUS",
    "Direction": "INVALID_SMS_DIRECTION",
}
CONTRACTS = {contract.endpoint: contract for contract in fonedynamics_contracts.CONTRACTS}


def bad_body(call: Call, exc: BadBody) -> Response:
    """A body that is no JSON object: INVALID_MODEL_STATE; one that breaks a documented field
    rule: the seed's code for that field (PARAMETER_REQUIRED when it is missing), naming it
    in ``Errors[].FieldName`` as the errors page describes."""
    contract = CONTRACTS.get(call.endpoint.name)
    payload = _payload_or_none(call)
    if contract is not None and payload is not None:
        text_values = call.endpoint.body is not BodyFormat.JSON
        for rule in contract.fields:
            if not replace(contract, fields=(rule,)).violations(payload, text_values=text_values):
                continue
            name = rule.path.rsplit(".", 1)[-1].removesuffix("[]")
            top_level = rule.path == name
            value = payload.get(name) if top_level and isinstance(payload, dict) else None
            if top_level and (value is None or (value == "" and name != "Text")):
                return error_reply(400, "PARAMETER_REQUIRED", name, message=f"{name} is required.")
            code = MALFORMED_FIELD_CODES.get(name, "PARAMETER_INVALID")
            return error_reply(400, code, name)
    return error_reply(400, "INVALID_MODEL_STATE", message=f"The request body is invalid: {exc}")


def _payload_or_none(call: Call) -> Any:
    try:
        return call.payload()
    except BadBody:
        return None


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


def list_properties(call: Call) -> Reply:
    count, skip = _paging(call, vendor.PROJECTS_PAGE_DEFAULT)
    properties = [_property_resource(call)]
    # the vendor's list calls its items "Projects" (a property is a project), get-projects page
    return {"Projects": properties[skip : skip + count], "TotalCount": len(properties), "NextPageToken": None}


def get_property(call: Call) -> Reply:
    # "a single object" (get-projects page); the bare Project object is an assumption
    _property(call)
    return _property_resource(call)


def _paging(call: Call, default: int) -> tuple[int, int]:
    try:
        count = int(call.query.get("Results_Count", default))
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
    # MessageSids look like the SDK README's "MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE": MG and 30 more
    sid = "MG" + call.state.ids.hex(30).upper()
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


def send_message(call: Call) -> Reply:
    property_sid = _property(call)
    message = call.json_object()
    problem = _problem(message, call.now)
    if problem is not None:
        raise reject(400, problem[0], problem[1])
    entry = _accept(call, property_sid, message)
    return {"Message": message_resource(entry, call.now)}


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
            # BatchMessageResource.cs: the error text is the element's "Message"
            results.append({"ErrorCode": problem[0], "Message": info.meaning if info else problem[0]})
            continue
        results.append(message_resource(_accept(call, property_sid, message), now))
    # partial failure comes with HTTP 200: the caller checks each element
    return json_reply(results)


def get_message(call: Call) -> Reply:
    entry = call.state.ledger.get(PLATFORM, call.path_params.get("message_sid", ""))
    if entry is None or entry.account != call.account:
        raise reject(404, "MESSAGE_NOT_FOUND", "MessageSid")
    return {"Message": message_resource(entry, call.now)}


def list_messages(call: Call) -> Reply:
    """Find SMS: ``Date_From`` inclusive, ``Date_To`` exclusive (both required by the contract),
    ``Status`` and ``Direction`` filters, ``Results_Count`` (default 200) and ``Results_Skip``.
    The reply is ``{"Messages": [...]}`` (the wrapper is an assumption, see the contract), in
    acceptance order: the vendor documents no order, and the provider relies on none (FD-7)."""
    property_sid = _property(call)
    count, skip = _paging(call, vendor.MESSAGES_PAGE_DEFAULT)
    since = float(call.query["Date_From"])
    # exclusive: the largest time before Date_To, so a message is listed iff its whole-second
    # Created stamp is in [Date_From, Date_To)
    until = math.nextafter(float(call.query["Date_To"]), -math.inf)
    # a lagging list: what was accepted in the last list_lag_s seconds is not listed yet
    until = min(until, call.now - call.state.accounts.fonedynamics.list_lag_s)
    status, direction = call.query.get("Status"), call.query.get("Direction")
    now = call.now
    if direction == vendor.DIRECTION_RECEIVE:
        return {"Messages": []}  # the simulator receives no inbound messages
    if status is None:
        # one page, not the whole ledger: a lookup in a large campaign reads many pages
        chosen, _total = call.state.ledger.page(PLATFORM, "sms", property_sid, since, until, skip, count)
        return {"Messages": [message_resource(e, now) for e in chosen]}
    everything, _total = call.state.ledger.page(PLATFORM, "sms", property_sid, since, until, 0, 1 << 62)
    matching = [m for m in (message_resource(e, now) for e in everything) if m["Status"] == status]
    return {"Messages": matching[skip : skip + count]}


def get_call(call: Call) -> Reply:
    # the simulator has no calls: every CallSid is unknown
    raise reject(404, "CALL_NOT_FOUND", "CallSid")


def list_calls(call: Call) -> Reply:
    _property(call)
    _paging(call, vendor.PROJECTS_PAGE_DEFAULT)
    # ASSUMPTION [FD-6, SIM-7]: the reply's shape is not shown on the calls page; the simulator has no calls
    return {"Calls": [], "TotalCount": 0}


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


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "list_properties": list_properties,
    "get_property": get_property,
    "send_message": send_message,
    "send_batch": send_batch,
    "get_message": get_message,
    "list_messages": list_messages,
    "get_call": get_call,
    "list_calls": list_calls,
}
