"""Buka family (onbuka and its white-label hosts): signing, endpoints and envelopes.

Facts from onbuka.com's API pages and the official Java SDK; white-label
hosts serve the same paths, some without the ``/v3`` segment (hence the
``base_path`` connection extra).
"""

from __future__ import annotations

import hashlib
from typing import Any

from airflow_provider_nxcloud.platforms.codes import normalize_code
from airflow_provider_nxcloud.platforms.endpoints import (
    Auth,
    BodyFormat,
    Endpoint,
    Kind,
    Reply,
    endpoint_table,
    first_text,
)

PLATFORM = "buka"
ORIGIN = "https://api.onbuka.com"
BASE_PATH = "/v3"

#: the server accepts timestamps within this many seconds of its clock
TIMESTAMP_WINDOW_S = 30 * 60
CONTENT_TYPE = "application/json;charset=UTF-8"

# ----- documented limits (the client checks them before sending; the simulator enforces them) -----

#: sendSms over POST (the SDK and onbuka's page; GET allows only 100): numbers per request (-7)
SMS_MAX_NUMBERS = 1000
#: sendSms/batch: numbers per request, over all its elements. Buka documents no overall cap
#: (only each element's sendSms rules), so the client keeps to sendSms's 1,000.
SMS_BATCH_MAX_NUMBERS = 1000
#: SMS content characters (-5) and senderId characters
SMS_MAX_CONTENT = 1024
SMS_MAX_SENDER_ID = 32
#: getReport: message ids per request
REPORT_MAX_IDS = 200
#: voice/sendGroup callees per request: the official SDK's cap. onbuka's English page says
#: 1,000 and its Chinese page 500; the lowest documented value is the one every host accepts.
VOICE_GROUP_MAX_CALLEES = 200
#: voice/sendCode calls one callee per request (the SDK and onbuka's page document ``callee``
#: as a single 7-15 digit number, not a list)
VOICE_CODE_MAX_CALLEES = 1
VOICE_MAX_TTS_TEXT = 1000
#: sendCode's language codes (the SDK's list; TH is in onbuka's list for group-call TTS)
VOICE_LANGUAGES = ("VN", "EN", "JP", "ARB", "DE", "IN", "IT", "KR", "RU", "ES", "PT", "IDN", "BD", "TH")
#: email/sendEmail: addresses per request (-14), subject length (-17); getSendEmailRcd ids (-28)
EMAIL_MAX_ADDRESSES = 50
EMAIL_MAX_SUBJECT = 100
EMAIL_QUERY_MAX_IDS = 200

#: task-style endpoints answer ``{"code": ..., "msg": ...}``; some use 200 for success
_TASK_SUCCESS = frozenset({"0", "200"})


def sign(api_key: str, api_secret: str, timestamp: str | int) -> str:
    """md5 of the plain concatenation API key + API secret + timestamp (seconds), lower-case hex."""
    return hashlib.md5(f"{api_key}{api_secret}{timestamp}".encode()).hexdigest()


def signed_headers(api_key: str, api_secret: str, timestamp_s: int) -> dict[str, str]:
    ts = str(timestamp_s)
    return {"Api-Key": api_key, "Timestamp": ts, "Sign": sign(api_key, api_secret, ts)}


def parse_reply(endpoint: Endpoint, http_status: int, payload: Any) -> Reply:
    """Accept both envelopes: ``status``/``reason`` and ``code``/``msg``."""
    body = payload if isinstance(payload, dict) else {}
    message = first_text(body, ("reason", "msg", "message")) or ""
    if http_status != 200:
        return Reply(False, str(http_status), "http", message)
    raw = body.get("status", body.get("code"))
    if raw is None or isinstance(raw, dict | list):
        return Reply(False, None, None, "reply has neither status nor code")
    code = normalize_code(raw)
    if code in endpoint.success_codes:
        return Reply(True)
    return Reply(False, code, endpoint.service, message)


def _ep(
    name: str, service: str, method: str, path: str, kind: Kind, body: BodyFormat = BodyFormat.JSON, **kw: Any
) -> Endpoint:
    return Endpoint(
        name, PLATFORM, service, method, path, kind, Auth.BUKA_SIGNED, body=body, origin=ORIGIN, **kw
    )


S, R, Q = Kind.SEND, Kind.READ, BodyFormat.NONE

ENDPOINTS: dict[str, Endpoint] = endpoint_table(
    [
        _ep("balance", "sms", "GET", "/getBalance", R, Q),
        # SMS
        _ep("sms_send", "sms", "POST", "/sendSms", S),
        _ep("sms_send_batch", "sms", "POST", "/sendSms/batch", S),
        _ep("sms_report", "sms", "GET", "/getReport", R, Q),
        _ep("sms_sent_records", "sms", "GET", "/getSentRcd", R, Q),
        # Voice
        _ep("voice_send_code", "voice", "POST", "/voice/sendCode", S),
        _ep("voice_send_group", "voice", "POST", "/voice/sendGroup", S),
        _ep("voice_file_upload", "voice", "POST", "/voice/fileUpload", S),
        _ep("voice_record", "voice", "GET", "/voice/recordGroup/{voice_id}", R, Q),
        _ep("voice_records", "voice", "POST", "/voice/recordGroupQuery", R),
        _ep("voice_task_create", "voice", "POST", "/voice/group/call/send", S, success_codes=_TASK_SUCCESS),
        _ep("voice_task_list", "voice", "POST", "/voice/group/call/query", R, success_codes=_TASK_SUCCESS),
        _ep(
            "voice_task_detail",
            "voice",
            "GET",
            "/voice/group/call/detail/{task_id}",
            R,
            Q,
            success_codes=_TASK_SUCCESS,
        ),
        _ep("voice_task_resend", "voice", "POST", "/voice/group/call/resend", S, success_codes=_TASK_SUCCESS),
        _ep("voice_task_cancel", "voice", "POST", "/voice/group/call/cancel", S, success_codes=_TASK_SUCCESS),
        # Email
        _ep("email_send", "email", "POST", "/email/sendEmail", S),
        _ep("email_records", "email", "POST", "/email/getSendEmailRcd", R),
        # AI voice
        _ep("ai_task_add", "ai_voice", "POST", "/AiVoice/taskAdd", S),
        _ep("ai_import_customer", "ai_voice", "POST", "/AiVoice/importCustomer", S),
        _ep("ai_task_start", "ai_voice", "POST", "/AiVoice/taskStart", S),
        _ep("ai_task_stop", "ai_voice", "POST", "/AiVoice/taskStop", S),
        _ep("ai_task_delete", "ai_voice", "POST", "/AiVoice/taskDel", S),
        _ep("ai_task_list", "ai_voice", "POST", "/AiVoice/taskList", R),
        _ep("ai_record_query", "ai_voice", "POST", "/AiVoice/recordQuery", R),
    ]
)
