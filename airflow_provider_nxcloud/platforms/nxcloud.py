"""NXCloud open platform: signing, endpoints and the reply envelope.

Facts from the vendor's "API Interface Invocation Convention" page and the
help-centre signing page; published test vectors are in the tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
#: number-check submit (Number-Check-API-submit, Jun 2024): at most 5,000 numbers per request (code 201)
NUMBER_CHECK_MAX_NUMBERS = 5_000
#: batchNo: at most 64 characters (code 212); the vendor makes a 12-character one when it is absent
NUMBER_CHECK_MAX_BATCH_NO = 64
#: checkLevel of each level name: 1 basic (type, operator, country), 5 HLR (adds mcc, mnc, ported, active)
NUMBER_CHECK_LEVELS: dict[str, int] = {"basic": 1, "hlr": 5}
#: the submit page's suggested rate, as (largest batch, seconds between submits): at most 10 requests
#: a second for batches of up to 2,000 numbers, 1 a second above (4-5 million numbers a day in all)
NUMBER_CHECK_SUBMIT_INTERVALS: tuple[tuple[int, float], ...] = ((2_000, 0.1), (NUMBER_CHECK_MAX_NUMBERS, 1.0))
#: number-check result query (Number-Check-API-query, Mar 2025): one request per 3 seconds
NUMBER_CHECK_QUERY_MIN_INTERVAL_S = 3.0
#: results can be queried for this many days (the query's ``date``, yyyy-MM-dd, within them; code 88)
NUMBER_CHECK_RESULT_DAYS = 14
NUMBER_CHECK_DATE_FORMAT = "%Y-%m-%d"
#: result rows' ``numberType``: mobile, others or invalid (the 2024 shape)
NUMBER_CHECK_INVALID_TYPE = "invalid"
#: HLR rows' ``active`` and ``ported``: YES or NO
NUMBER_CHECK_YES = "YES"
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

# ----- chat channels: WhatsApp (/api/wa/mt), Viber (/api/viber/mt), Zalo ZNS (/v1/zalo/mt) -----
# Each send takes one recipient per request. None offers a status query: status arrives only
# by webhook (WhatsApp statuses, Viber dr_webhook, Zalo drWebhook).

#: WhatsApp mt: fixed body values (Meta's Cloud API shape)
WHATSAPP_MESSAGING_PRODUCT = "whatsapp"
WHATSAPP_RECIPIENT_TYPE = "individual"
#: template.language.policy: the one value the page allows
WHATSAPP_LANGUAGE_POLICY = "deterministic"
#: message types the mt page documents; the object named after the type carries the message
WHATSAPP_MESSAGE_TYPES = ("text", "image", "video", "audio", "document", "location", "sticker", "template")
#: media types and the optional fields of their object besides ``link`` or ``id`` (one is required)
WHATSAPP_MEDIA_FIELDS: dict[str, tuple[str, ...]] = {
    "image": ("caption",),
    "video": ("caption",),
    "audio": (),
    "document": ("filename",),
    "sticker": (),
}
#: text.body: Meta's Cloud API limit (the NXCloud page states none)
WHATSAPP_TEXT_MAX = 4096
#: template names as Meta creates them: lower-case letters, digits and underscores, at most 512
WHATSAPP_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
#: (component type, button sub_type) -> the parameter types the mt page allows there
WHATSAPP_TEMPLATE_PARAMETERS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("header", None): ("text", "image", "video", "document"),
    ("body", None): ("text",),
    ("button", "url"): ("text",),
    ("button", "quick_reply"): ("payload",),
}
#: a button component's ``index``: its position, "0" to "2"
WHATSAPP_BUTTON_INDEXES = ("0", "1", "2")
#: template language codes the mt page lists
_WHATSAPP_LANGUAGE_TABLE = """
af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr de
el gu he hi hu id ga it ja kn kk ko lo lv lt mk ms mr nb fa pl
pt_BR pt_PT pa ro ru sr sk sl es es_AR es_ES es_MX sw sv ta te th tr uk ur uz vi
"""
WHATSAPP_TEMPLATE_LANGUAGES = frozenset(_WHATSAPP_LANGUAGE_TABLE.split())

#: Viber mt: functionType -> (messageData fields required, rateType values allowed), as the mt page
#: lists them per type (video_text_button documents buttonText without buttonLink)
VIBER_FUNCTION_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "text": (("text",), ("Transactional", "Session", "OtpTemplate")),
    "image": (("image",), ("Promotional", "Session")),
    "text_image": (("text", "image"), ("Promotional",)),
    "text_image_button": (("text", "image", "buttonText", "buttonLink"), ("Promotional",)),
    "text_button": (("text", "buttonText", "buttonLink"), ("Promotional",)),
    "file": (("fileName", "fileLink", "fileType"), ("Transactional", "Session")),
    "video": (("thumbnail", "videoLink", "videoSize", "duration"), ("Promotional",)),
    "video_text": (("thumbnail", "videoLink", "videoSize", "duration", "text"), ("Promotional",)),
    "video_text_button": (
        ("thumbnail", "videoLink", "videoSize", "duration", "text", "buttonText"),
        ("Promotional",),
    ),
}
#: messageData fields a function type takes besides its required ones and rateType
VIBER_OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {"video_text_button": ("buttonLink",)}
#: rateType OtpTemplate (text only, added 2024): these fields replace ``text``
VIBER_OTP_RATE_TYPE = "OtpTemplate"
VIBER_OTP_FIELDS = ("templateId", "templateParams", "templateLang")
#: every messageData field the page documents
VIBER_MESSAGE_FIELDS = frozenset(
    {"rateType", "buttonLink", *VIBER_OTP_FIELDS}
    | {name for required, _ in VIBER_FUNCTION_TYPES.values() for name in required}
)
#: messageData fields that hold an http(s) link
VIBER_LINK_FIELDS = ("image", "buttonLink", "fileLink", "thumbnail", "videoLink")
#: videoSize is in bytes, at most 200 MB. ASSUMPTION: MB = 1024 * 1024 bytes (the page does not say)
VIBER_VIDEO_MAX_BYTES = 200 * 1024 * 1024
#: duration: seconds, at most 600
VIBER_VIDEO_MAX_SECONDS = 600
#: fileType: the extensions of the page's supported file list (each at most 200 MB)
_VIBER_FILE_TABLE = """
documents: doc docx rtf dot dotx odt odf fodt txt info
PDF: pdf xps pdax eps
spreadsheets: xls xlsx ods fods csv xlsm xltx
"""
VIBER_FILE_TYPES = frozenset(word for word in _VIBER_FILE_TABLE.split() if not word.endswith(":"))

#: Zalo ZNS mt: the one functionType
ZALO_FUNCTION_TYPE = "template"
#: drWebhook: at most 256 characters
ZALO_DR_WEBHOOK_MAX = 256
#: ext (echoed in the receipts): at most 65,535 bytes
ZALO_EXT_MAX_BYTES = 65_535
#: ASSUMPTION: ZNS reaches Vietnamese numbers only (the page's phone is "84..."; ZNS is Vietnam's service)
ZALO_REGIONS = ("VN",)
ZALO_COUNTRY_CODE = "84"

#: legacy appkey/secretkey endpoints answer the voice CDR query with "1" for success
_VOICE_CDR_SUCCESS = frozenset({"1"})

# ----- privacy numbers (PNS, bizType 5; generation A: one URL, the action header names the operation) -----

#: getAXBList / listGroup ``limit``: 0 (all, capped at 1000) to 1000, else code 10011;
#: ``offset`` must be >= 0, else code 10012
PNS_LIST_MAX_LIMIT = 1000
#: the list inside ``data`` of each PNS list endpoint
PNS_LIST_KEYS = {"pns_getAXBList": "bindList", "pns_listGroup": "groups"}
#: bindAXBExtension ``extension``: what a caller dials after the virtual number, exactly 3 digits
PNS_EXTENSION = re.compile(r"[0-9]{3}")
#: ``flag`` bits of a binding (bind bodies, queryAXB, getAXBList rows); 0 = none
PNS_FLAG_RECORD = 1
#: ``expireSecond`` 0 binds for ever; getAXBList then shows ``expireAt`` 0
PNS_NEVER_EXPIRES = 0
#: customerBindId length. ASSUMPTION: the pages give none; 64 is the common bound of such keys
PNS_CUSTOMER_BIND_ID_MAX = 64
#: updateGroup ``operateType`` of each operation
PNS_GROUP_OPERATIONS = {"add": 0, "delete": 1, "replace": 2}
#: the codes a client acts on: no virtual number left for this A/B, and no such binding
PNS_NUMBERS_EXHAUSTED = "10010"
PNS_NO_BINDING = "10013"


@dataclass(frozen=True)
class PnsMode:
    """One way of binding numbers: its endpoint, body fields, and the ``bindType`` queryAXB reports."""

    endpoint: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    #: queryAXB ``bindType``. Only 4 (extension) is documented; ASSUMPTION: 1 for AXB, 2 for AXG
    bind_type: int


#: every bind also takes customerBindId, flag and expireSecond (required; 0 = never)
PNS_MODES: dict[str, PnsMode] = {
    # A and B call each other through X, which the platform picks
    "AXB": PnsMode("pns_bindAXB", ("phoneA", "phoneB"), (), 1),
    # callers dial X and then the extension; X is one of the account's numbers, shared by extensions
    "AXB_EXTENSION": PnsMode("pns_bindAXBExtension", ("phoneA", "phoneX", "extension"), ("phoneB",), 4),
    # A and a group G of numbers (createGroup); phoneB, if given, must be in G
    "AXG": PnsMode("pns_bindAXG", ("phoneA", "groupId"), ("phoneB", "phoneX"), 2),
}


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
    return Reply(False, code, endpoint.service, _with_meta_error(message, body.get("data")), request_id)


def _with_meta_error(message: str, data: Any) -> str:
    """WhatsApp 9099 says only "WhatsApp error": Meta's own error in ``data.error`` says what is wrong."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return message
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    meta = "; ".join(str(part) for part in (error.get("message"), details) if part)
    return f"{message} (Meta error {error.get('code')}: {meta})" if meta else message


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
