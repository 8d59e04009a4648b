"""Fone Dynamics REST v2: endpoints, request bodies, reply fields and the ResponseStatus error envelope.

Auth is HTTP Basic (AccountSid, Token); errors are an HTTP status plus
``ResponseStatus.ErrorCode`` and ``ResponseStatus.Message`` (seed 004;
``fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Errors/ResponseStatus.cs``).

Where each fact comes from (the vendor's pages and its two official SDKs):

- send one SMS: :data:`DOC_SEND_SMS`; the body is a MessageResource as the SDKs
  serialise it (:data:`SDK_MESSAGE`, nulls left out), the reply ``{"Message": ...}``
  (``MessageResponse.cs``);
- send a batch: :data:`DOC_SEND_BATCH`; the body ``{"Messages": [...]}``
  (``BatchMessageRequest.cs``), the reply a JSON array in request order, an element
  with ``MessageSid`` accepted, one without it failed with ``ErrorCode`` and the
  error text in ``Message`` (:data:`SDK_BATCH`: ``[JsonProperty("Message")]``);
- get one SMS: :data:`DOC_GET_SMS`; find SMS: :data:`DOC_FIND_SMS`;
- projects (properties): :data:`DOC_PROJECTS`; calls: :data:`DOC_CALLS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.endpoints import (
    Auth,
    BodyFormat,
    Endpoint,
    Kind,
    Reply,
    endpoint_table,
)

PLATFORM = "fonedynamics"
SERVICE = "rest"
ORIGIN = "https://api.fonedynamics.com"
#: where a person checks a campaign (the vendor's site; the Fone Dynamics Portal is reached from there).
#: ASSUMPTION [X-4]: no page documents a deep link to a message or a send
CONSOLE_URL = "https://www.fonedynamics.com/"
#: the REST API's documentation (the provider info's external-doc-url)
DOC_URL = "https://www.fonedynamics.com/docs/rest-api/"

# ----- sources --------------------------------------------------------------------------------

DOC_SEND_SMS = "https://www.fonedynamics.com.au/docs/rest-api/send-sms/"
DOC_SEND_BATCH = "https://www.fonedynamics.com/docs/rest-api/send-sms-batch"
DOC_GET_SMS = "https://fonedynamics.com/docs/rest-api/get-sms"
DOC_FIND_SMS = "https://www.fonedynamics.com/docs/rest-api/find-sms/"
DOC_PROJECTS = "https://www.fonedynamics.com/docs/rest-api/get-projects"
DOC_CALLS = "https://www.fonedynamics.com/docs/rest-api/get-calls/"
SDK_MESSAGE = "fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Messaging/MessageResource.cs"
SDK_BATCH = "fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Messaging/BatchMessageResource.cs"
SDK_STATUS = "fonedynamics/fonedynamics-csharp:src/FoneDynamics/Rest/V2/Messaging/MessageStatus.cs"

# ----- documented limits (the client checks them before sending; the simulator enforces them) -----

#: ASSUMPTION [FD-3]: Fone Dynamics publishes no limit on BatchMessages. 100 keeps
#: clients chunking and leaves little in doubt when an answer is lost; if the
#: real limit is lower, the vendor refuses the request (a 400: nothing sent).
BATCH_MAX_MESSAGES = 100
#: ``Schedule`` may be at most 14 days ahead; less than 1 hour in the past sends at once
#: (:data:`DOC_SEND_SMS`, :data:`SDK_MESSAGE` ``Schedule``)
SCHEDULE_AHEAD_S = 14 * 24 * 3600
SCHEDULE_BEHIND_S = 3600
#: ``To``: E.164 with its ``+`` (:data:`DOC_SEND_SMS`). The 7-digit minimum is ours:
#: no real number is shorter, and a refusal before sending costs nothing.
E164_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
#: ``From``: an E.164 number, or 1-11 of [A-Za-z0-9 ] with at least one letter (:data:`DOC_SEND_SMS`)
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
#: ASSUMPTION [FD-4]: neither the pages nor the SDKs give a limit for ``Text``. This is the
#: SMS protocol's own ceiling (3GPP TS 23.040: at most 255 concatenated segments of
#: 153 GSM-7 characters), so no longer text can be one message anywhere; it keeps a
#: runaway template (a 10 MB file) from being posted 100 times per request. A text
#: under it the vendor still refuses comes back per message (``INVALID_SMS_TEXT``).
TEXT_MAX_CHARS = 255 * 153

#: ``Status`` of a MessageResource (:data:`SDK_STATUS`, :data:`DOC_GET_SMS`)
STATUS_PROCESSING, STATUS_SUBMITTED, STATUS_DELIVERED, STATUS_FAILED, STATUS_RECEIVED = (
    "Processing",
    "Submitted",
    "Delivered",
    "Failed",
    "Received",
)
MESSAGE_STATUSES = (STATUS_PROCESSING, STATUS_SUBMITTED, STATUS_DELIVERED, STATUS_FAILED, STATUS_RECEIVED)
#: ``Direction`` (``MessageDirection.cs``, :data:`DOC_FIND_SMS`)
DIRECTION_TRANSMIT, DIRECTION_RECEIVE = "Transmit", "Receive"
DIRECTIONS = (DIRECTION_TRANSMIT, DIRECTION_RECEIVE)
#: ``WebhookMethod`` / ``DeliveryReceiptWebhookMethod`` (:data:`DOC_SEND_SMS`: POST or GET)
WEBHOOK_METHODS = ("POST", "GET")
#: ``Disposition`` filter of the call lists (:data:`DOC_CALLS`), comma-delimited
CALL_DISPOSITIONS = ("Answered", "IVR", "Busy", "NoAnswer", "Failed")
#: default page sizes: find SMS 200 (:data:`DOC_FIND_SMS`), projects 50 (:data:`DOC_PROJECTS`)
MESSAGES_PAGE_DEFAULT = 200
#: ASSUMPTION [FD-10]: find SMS documents a default page (200) but no largest one; the record
#: exports ask at most this many and, above the default, read on until an empty page
MESSAGES_PAGE_MAX = 1000
PROJECTS_PAGE_DEFAULT = 50


# ----- request bodies and queries (pure: the hook sends what these build) -----------------------


def message_body(
    to: str,
    text: str,
    *,
    sender: str | None = None,
    schedule: int | None = None,
    delivery_receipt: bool = True,
    external_id: str | None = None,
) -> dict[str, Any]:
    """One message as the SDKs serialise a MessageResource: PascalCase, nulls left out.

    ``DeliveryReceipt`` is always written, as both SDKs do (default ``true``).
    ``From`` left out sends from a leased number (:data:`DOC_SEND_SMS`).
    ``ExternalId``: ASSUMPTION [FD-1]. The get-SMS page lists it in the MessageResource as
    the "user-defined id provided when sending the message", but neither SDK
    (:data:`SDK_MESSAGE`, fonedynamics-java ``MessageResource.java``) has it, and no
    captured send page shows it. It is sent as a label only: nothing relies on it
    being kept, and an API that ignores unknown fields loses nothing.
    """
    body: dict[str, Any] = {"To": to, "Text": text}
    if sender:
        body["From"] = sender
    if schedule is not None:
        body["Schedule"] = int(schedule)
    body["DeliveryReceipt"] = bool(delivery_receipt)
    if external_id:
        body["ExternalId"] = external_id
    return body


def text_problem(text: object) -> str | None:
    """What is wrong with a message ``Text`` before it is sent, or None (:data:`TEXT_MAX_CHARS`)."""
    if not isinstance(text, str) or not text.strip():
        return "is empty; give the message text"
    if len(text) > TEXT_MAX_CHARS:
        return (
            f"has {len(text)} characters; at most {TEXT_MAX_CHARS} can go in one SMS "
            "(255 concatenated segments)"
        )
    return None


def batch_body(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """``BatchMessages`` body (:data:`DOC_SEND_BATCH`, ``BatchMessageRequest.cs``)."""
    return {"Messages": list(messages)}


def find_messages_query(
    date_from: int,
    date_to: int,
    *,
    status: str | None = None,
    direction: str | None = None,
    count: int | None = None,
    skip: int | None = None,
) -> dict[str, Any]:
    """Find SMS query (:data:`DOC_FIND_SMS`): ``Date_From`` (inclusive) and ``Date_To``
    (exclusive) are required, epoch seconds UTC; the rest optional. ``Results_Count`` is
    the page size (default :data:`MESSAGES_PAGE_DEFAULT`), ``Results_Skip`` how many
    messages to pass over: the pages of a window are read by skipping those already read."""
    query: dict[str, Any] = {"Date_From": int(date_from), "Date_To": int(date_to)}
    if status is not None:
        query["Status"] = status
    if direction is not None:
        query["Direction"] = direction
    if count is not None:
        query["Results_Count"] = int(count)
    if skip is not None:
        query["Results_Skip"] = int(skip)
    return query


def paging_query(count: int | None = None, skip: int | None = None) -> dict[str, Any]:
    """``Results_Count`` / ``Results_Skip`` (:data:`DOC_PROJECTS`, :data:`DOC_CALLS`)."""
    query: dict[str, Any] = {}
    if count is not None:
        query["Results_Count"] = int(count)
    if skip is not None:
        query["Results_Skip"] = int(skip)
    return query


def find_calls_query(
    *,
    date_from: int | None = None,
    date_to: int | None = None,
    disposition: list[str] | tuple[str, ...] | None = None,
    count: int | None = None,
    skip: int | None = None,
) -> dict[str, Any]:
    """Call list filters (:data:`DOC_CALLS`; the date names as in the reference notes), all optional."""
    query: dict[str, Any] = {}
    if date_from is not None:
        query["Date_From"] = int(date_from)
    if date_to is not None:
        query["Date_To"] = int(date_to)
    if disposition:
        query["Disposition"] = ",".join(disposition)
    return {**query, **paging_query(count, skip)}


# ----- replies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchItem:
    """One element of a ``BatchMessages`` reply (:data:`SDK_BATCH`)."""

    #: set iff the message was accepted (``Successful => MessageSid != null``)
    message_sid: str | None
    error_code: str | None = None
    #: the error text: the element's ``Message`` field (the SDKs' ``ErrorMessage``)
    error_message: str | None = None

    @property
    def accepted(self) -> bool:
        return bool(self.message_sid)


def batch_items(reply: Any) -> list[BatchItem] | None:
    """The elements of a ``BatchMessages`` reply, in request order; None when it is no JSON array."""
    if not isinstance(reply, list):
        return None
    items = []
    for item in reply:
        element = item if isinstance(item, dict) else {}
        sid = element.get("MessageSid")
        code, text = element.get("ErrorCode"), element.get("Message")
        items.append(
            BatchItem(
                str(sid) if sid else None,
                str(code) if code else None,
                text if isinstance(text, str) and text else None,
            )
        )
    return items


def message_of(reply: Any) -> dict[str, Any]:
    """The MessageResource of a send or get reply (``{"Message": {...}}``, ``MessageResponse.cs``)."""
    message = reply.get("Message") if isinstance(reply, dict) else None
    return dict(message) if isinstance(message, dict) else {}


def messages_of(reply: Any) -> list[dict[str, Any]] | None:
    """The MessageResources of a find-SMS reply; None when the reply holds no list.

    :data:`DOC_FIND_SMS` answers "a JSON formatted array of Messages Resource objects".
    ASSUMPTION [FD-2]: whether that array comes bare or under ``Messages`` (as the project
    list's come under ``Projects``) is not shown; both are read. A reply in neither
    shape reads as None, and a caller proving presence then proves nothing.
    """
    if isinstance(reply, dict):
        reply = reply.get("Messages")
    if not isinstance(reply, list):
        return None
    return [dict(item) for item in reply if isinstance(item, dict)]


def project_of(reply: Any) -> dict[str, Any]:
    """The project (property) of a single-project reply.

    ASSUMPTION [FD-5]: :data:`DOC_PROJECTS` says a request answers "either a single object or
    a list of objects" without an example of the single one: read a bare Project
    object, or the first of ``Projects``.
    """
    if isinstance(reply, dict) and isinstance(reply.get("Projects"), list):
        first = next((p for p in reply["Projects"] if isinstance(p, dict)), None)
        return dict(first) if first else {}
    return dict(reply) if isinstance(reply, dict) else {}


def parse_reply(endpoint: Endpoint, http_status: int, payload: Any) -> Reply:
    """2xx is success; otherwise a catalogued ErrorCode names the problem, else the HTTP status does.

    A 429 or 5xx keeps the HTTP status as its code: whatever ErrorCode came
    with it, what the client must do is decided by the status. An ErrorCode
    the catalog does not know (a 401 carries none of the documented ones)
    also falls back to the status, whose meaning is documented.
    """
    if 200 <= http_status < 300:
        return Reply(True)
    status = payload.get("ResponseStatus") if isinstance(payload, dict) else None
    status = status if isinstance(status, dict) else {}
    message = str(status.get("Message") or "")
    error_code = status.get("ErrorCode")
    if (
        http_status == 429
        or http_status >= 500
        or not error_code
        or not lookup_code(PLATFORM, SERVICE, error_code)
    ):
        return Reply(False, str(http_status), SERVICE, message)
    return Reply(False, str(error_code), SERVICE, message)


def _ep(name: str, method: str, path: str, kind: Kind) -> Endpoint:
    body = BodyFormat.JSON if method == "POST" else BodyFormat.NONE
    return Endpoint(name, PLATFORM, SERVICE, method, path, kind, Auth.BASIC, body=body, origin=ORIGIN)


S, R = Kind.SEND, Kind.READ

ENDPOINTS: dict[str, Endpoint] = endpoint_table(
    [
        _ep("send_message", "POST", "/v2/Properties/{property_sid}/Messages", S),
        _ep("send_batch", "POST", "/v2/Properties/{property_sid}/BatchMessages", S),
        _ep("get_message", "GET", "/v2/Messages/{message_sid}", R),
        _ep("list_messages", "GET", "/v2/Properties/{property_sid}/Messages", R),
        _ep("list_properties", "GET", "/v2/Properties", R),
        _ep("get_property", "GET", "/v2/Properties/{property_sid}", R),
        _ep("get_call", "GET", "/v2/Calls/{call_sid}", R),
        _ep("list_calls", "GET", "/v2/Properties/{property_sid}/Calls", R),
    ]
)
