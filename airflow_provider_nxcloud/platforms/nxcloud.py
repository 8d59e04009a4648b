"""NXCloud open platform: signing, endpoints and the reply envelope.

Facts from the vendor's "API Interface Invocation Convention" page and the
help-centre signing page; published test vectors are in the tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
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

PLATFORM = "nxcloud"

API2_ORIGIN = "https://api2.nxcloud.com"
API_ORIGIN = "https://api.nxcloud.com"
PNS_ORIGIN = "https://number.nxcloud.com"

#: the server accepts at most this difference between ``ts`` and its clock
TIMESTAMP_WINDOW_MS = 60_000
#: ``algorithm`` header values; md5 is the default when the header is absent
ALGORITHMS = ("md5", "sha256")
#: headers that enter the string to sign; ``sign`` and ``algorithm`` never do
SIGNED_HEADERS = ("accessKey", "action", "bizType", "ts")

BIZ_NUMBER_CHECK = "1"
BIZ_WHATSAPP = "2"
BIZ_SMS = "3"
BIZ_PNS = "5"
BIZ_VIBER = "7"
BIZ_VOICE = "8"
BIZ_ZALO = "9"

# ----- documented limits (the client checks them before sending; the simulator enforces them) -----

#: numbers per SMS request: the official Java SDK documents code 7 as "more than 100"
#: (the TS SDK says 50,000; the lower limit, from the vendor's own SDK, is kept)
SMS_MAX_NUMBERS = 100
#: SMS content length (code 5 above it)
SMS_MAX_CONTENT = 1000
#: sourceAddress: 1-20 letters or digits (code 8 otherwise)
SMS_SENDER_ID = re.compile(r"[0-9A-Za-z]{1,20}")
#: sysMessageId: 10-50 characters of [0-9a-zA-Z-]; ignored on multi-number requests
SYS_MESSAGE_ID = re.compile(r"[0-9A-Za-z-]{10,50}")
#: number-check result query page size (code 88 above it)
NUMBER_CHECK_MAX_PAGE_SIZE = 100
#: the legacy SMS record queries reach back this many days (code 3 beyond)
SMS_RECORD_DAYS = 31

#: numbers per notsend / gpsend request. ASSUMPTION: the voice pages document no limit
#: (phone is "a comma list"); 100, the SMS send's documented limit, is used until one is found
VOICE_MAX_NUMBERS = 100
#: versend calls one number per request (its page: "one number only")
VOICE_VERIFY_MAX_NUMBERS = 1
#: show_phone, the caller id shown: at most 50 digits (code 21 otherwise)
VOICE_SHOW_PHONE = re.compile(r"[0-9]{1,50}")
#: country_code: digits, no plus (code 23 otherwise)
VOICE_COUNTRY_CODE = re.compile(r"[0-9]{1,4}")
#: lang: lower-case language codes such as en, zh, id or zh-yue (about 60 are accepted)
VOICE_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,4})?")
#: task_time (with time_zone, whole hours from UTC) and the getVoiceCdr start_time/end_time
VOICE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: getVoiceCdr voiceType of each send endpoint: 0 group call, 1 verification or notification
VOICE_CDR_TYPES = {"voice_broadcast": 0, "voice_notify": 1, "voice_verify": 1}
#: getVoiceCdr: at most one request a second, a window of at most 24 hours within the last 7 days
VOICE_CDR_MIN_INTERVAL_S = 1.0
VOICE_CDR_MAX_WINDOW_S = 24 * 3600
VOICE_CDR_DAYS = 7
#: getVoiceCdr row ``result`` of a call that was answered, and of one that was not
VOICE_CDR_ANSWERED = "Successful connection"
VOICE_CDR_UNANSWERED = "Unsuccessful connection"

#: legacy appkey/secretkey endpoints answer the voice CDR query with "1" for success
_VOICE_CDR_SUCCESS = frozenset({"1"})


def serialize_body(body: Any) -> str:
    """The one JSON text that is both signed and sent.

    Compact separators and unescaped UTF-8, as the vendor's Java/PHP/Go samples
    produce; what matters is that the same text is signed and sent.
    """
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def string_to_sign(headers: Mapping[str, str], body: str | bytes | None, access_secret: str) -> bytes:
    """``k=v&...`` over the signed headers in ASCII order, ``&body=<json>`` if any, ``&accessSecret=``."""
    names = sorted(name for name in headers if name not in ("sign", "algorithm"))
    text = "&".join(f"{name}={headers[name]}" for name in names).encode("utf-8")
    if body:
        text += b"&body=" + (body.encode("utf-8") if isinstance(body, str) else body)
    return text + b"&accessSecret=" + access_secret.encode("utf-8")


def digest(data: bytes, algorithm: str = "md5") -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
    return hashlib.new(algorithm, data).hexdigest()


def sign(
    access_key: str,
    access_secret: str,
    biz_type: str | int,
    action: str,
    ts: str | int,
    body: str | bytes | None,
    algorithm: str = "md5",
) -> str:
    """Lower-case hex signature of one request; ``body=None`` for multipart and body-less calls."""
    headers = {"accessKey": access_key, "action": action, "bizType": str(biz_type), "ts": str(ts)}
    return digest(string_to_sign(headers, body, access_secret), algorithm)


def signed_headers(
    access_key: str,
    access_secret: str,
    endpoint: Endpoint,
    ts_ms: int,
    body: bytes | None,
    algorithm: str = "md5",
) -> dict[str, str]:
    """The five (or six) auth headers of one request to a signed endpoint."""
    if endpoint.biz_type is None or endpoint.action is None:
        raise ValueError(f"endpoint {endpoint.name} is not a signed NXCloud endpoint")
    signed_body = body if endpoint.body is BodyFormat.JSON else None
    headers = {
        "accessKey": access_key,
        "action": endpoint.action,
        "bizType": endpoint.biz_type,
        "ts": str(ts_ms),
    }
    headers["sign"] = digest(string_to_sign(headers, signed_body, access_secret), algorithm)
    if algorithm != "md5":
        headers["algorithm"] = algorithm
    return headers


def parse_reply(endpoint: Endpoint, http_status: int, payload: Any) -> Reply:
    """Reduce any NXCloud envelope (``code``/``msg``, ``code``/``message``, legacy ``result``)."""
    body = payload if isinstance(payload, dict) else {}
    message = first_text(body, ("msg", "message", "result", "info")) or ""
    request_id = first_text(body, ("requestId", "traceId", "reqId"))
    if http_status != 200:
        return Reply(False, str(http_status), "http", message, request_id)
    if "code" not in body:
        return Reply(False, None, None, "reply has no code field", request_id)
    code = normalize_code(body["code"])
    if code in endpoint.success_codes:
        return Reply(True, request_id=request_id)
    return Reply(False, code, endpoint.service, message, request_id)


def _signed(
    name: str,
    service: str,
    path: str,
    kind: Kind,
    biz: str,
    action: str,
    origin: str = API2_ORIGIN,
    **kw: Any,
) -> Endpoint:
    return Endpoint(
        name,
        PLATFORM,
        service,
        "POST",
        path,
        kind,
        Auth.NXCLOUD_SIGNED,
        origin=origin,
        biz_type=biz,
        action=action,
        **kw,
    )


def _legacy(name: str, service: str, path: str, kind: Kind, origin: str = API2_ORIGIN, **kw: Any) -> Endpoint:
    return Endpoint(
        name,
        PLATFORM,
        service,
        "POST",
        path,
        kind,
        Auth.NXCLOUD_APPKEY,
        body=BodyFormat.FORM,
        origin=origin,
        **kw,
    )


def _pns(name: str, kind: Kind) -> Endpoint:
    # Generation A: one URL, the operation chosen by the action header.
    return _signed(f"pns_{name}", "pns", "/api/pns/", kind, BIZ_PNS, name, origin=PNS_ORIGIN)


S, R = Kind.SEND, Kind.READ

ENDPOINTS: dict[str, Endpoint] = endpoint_table(
    [
        # SMS
        _signed("sms_send_v2", "sms", "/api/sms/mtsend_v2", S, BIZ_SMS, "mtsend"),
        _signed("sms_send_v1", "sms", "/v1/sms/mt", S, BIZ_SMS, "mtsend", origin=API_ORIGIN),
        _legacy("sms_send_legacy", "sms", "/api/sms/mtsend", S),
        _legacy("sms_record", "sms_report", "/api/sms/get", R),
        _legacy("sms_records", "sms_report", "/api/sms/getSmsCdr", R),
        _legacy("balance", "sms_report", "/api/common/getBalance", R, origin=API_ORIGIN),
        # Voice (legacy appkey API; the signed v1 API only documents uploads)
        _legacy("voice_notify", "voice", "/api/voiceSms/notsend", S, origin=API_ORIGIN),
        _legacy("voice_verify", "voice", "/api/voiceSms/versend", S),
        _legacy("voice_broadcast", "voice", "/api/voiceSms/gpsend", S, origin=API_ORIGIN),
        _legacy(
            "voice_records", "voice_report", "/api/voiceSms/getVoiceCdr", R, success_codes=_VOICE_CDR_SUCCESS
        ),
        _signed(
            "voice_upload",
            "voice",
            "/v1/voice/uploadFile",
            S,
            BIZ_VOICE,
            "upload",
            origin=API_ORIGIN,
            body=BodyFormat.MULTIPART,
        ),
        # Number check
        _signed(
            "number_check_submit", "number_check", "/api/number/check", S, BIZ_NUMBER_CHECK, "numbercheck"
        ),
        _signed(
            "number_check_query", "number_check", "/api/number/query", R, BIZ_NUMBER_CHECK, "numbercheck"
        ),
        # Privacy numbers
        _pns("bindAXB", S),
        _pns("bindAXBExtension", S),
        _pns("bindAXG", S),
        _pns("unbindAXB", S),
        _pns("queryAXB", R),
        _pns("getAXBList", R),
        _pns("createGroup", S),
        _pns("updateGroup", S),
        _pns("deleteGroup", S),
        _pns("listGroup", R),
        # Chat channels
        _signed("whatsapp_send", "whatsapp", "/api/wa/mt", S, BIZ_WHATSAPP, "mt"),
        _signed("viber_send", "viber", "/api/viber/mt", S, BIZ_VIBER, "mt"),
        _signed("zalo_send", "zalo", "/v1/zalo/mt", S, BIZ_ZALO, "mt", origin=API_ORIGIN),
    ]
)
