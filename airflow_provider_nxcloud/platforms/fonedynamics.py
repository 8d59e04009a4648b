"""Fone Dynamics REST v2: endpoints and the ResponseStatus error envelope.

Auth is HTTP Basic (AccountSid, Token); errors are an HTTP status plus
``ResponseStatus.ErrorCode`` (seed 004).
"""

from __future__ import annotations

import re
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

# ----- documented limits (the client checks them before sending; the simulator enforces them) -----

#: An assumption: Fone Dynamics publishes no limit on BatchMessages. 100 keeps
#: clients chunking and leaves little in doubt when an answer is lost.
BATCH_MAX_MESSAGES = 100
#: ``Schedule`` may be at most 14 days ahead; less than 1 hour in the past sends at once
SCHEDULE_AHEAD_S = 14 * 24 * 3600
SCHEDULE_BEHIND_S = 3600
#: ``From``: an E.164 number, or 1-11 of [A-Za-z0-9 ] with at least one letter
E164_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


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
