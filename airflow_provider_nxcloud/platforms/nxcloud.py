"""NXCloud open platform: signing, endpoints and the reply envelope.

Facts from the vendor's "API Interface Invocation Convention" page and the
help-centre signing page; published test vectors are in the tests.
"""

from __future__ import annotations

import datetime as dt
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
#: where a person checks a campaign: NXCloud's console login (help.nxlink.ai, "register an account").
#: ASSUMPTION [X-4]: no page documents a deep link to a message or a send
CONSOLE_URL = "https://app.nxcloud.com/#/login"
#: the API's documentation: NXCloud's English wiki (the provider info's external-doc-url)
DOC_URL = "https://github.com/nxtele/nxcloud-doc-en/wiki"
#: PNS generation A: every English page (nxtele/nxcloud-doc-en PNS-API-*) posts to
#: https://number.nxcloud.com/api/pns/; the Chinese master pages (nxtele/http-api-document wiki
#: PNS-API-unbind, PNS-API-list, edited May 2024, under "隐私号(旧)") give https://api.nxcloud.com/v1/api/pns/.
#: ASSUMPTION [NX-1]: the English address still answers. Fail-safe: a connection whose host is
#: ``https://api.nxcloud.com/v1`` reaches the other one (the host replaces this origin, the path stays).
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
#: results appear "typically 10 s to 5 min" after a submit (the submit page): a batch whose reply
#: was lost is looked up again this long after its submit before a person is asked
NUMBER_CHECK_RESULTS_WITHIN_S = 300.0
#: results can be queried for this many days (the query's ``date``, yyyy-MM-dd, within them; code 88)
NUMBER_CHECK_RESULT_DAYS = 14
NUMBER_CHECK_DATE_FORMAT = "%Y-%m-%d"
#: result rows' ``numberType``: mobile, others or invalid (the 2024 shape)
NUMBER_CHECK_INVALID_TYPE = "invalid"
#: HLR rows' ``active`` and ``ported``: YES or NO
NUMBER_CHECK_YES = "YES"
#: the legacy SMS record queries reach back this many days (code 3 beyond)
SMS_RECORD_DAYS = 31
#: getSmsCdr rows per page: ``page_size`` must be below 1000 (code 4 otherwise). Source:
#: Demon-2012/NXcloud-API-document:SMS Record Query.md (``page_size`` row and code table)
SMS_RECORDS_MAX_PAGE_SIZE = 999
#: getSmsCdr row ``date`` / ``dr_time`` stamps: "2019-06-15 23:40:00" (the page's example), no zone.
#: ASSUMPTION [NX-22]: a stamp is in the zone its record's day is filed in (:data:`RECORD_DAY_OFFSETS_HOURS`);
#: the exports read it as UTC, the reading the simulator and the delivery code take first
SMS_RECORD_STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
SMS_RECORD_STAMP_OFFSET_HOURS = 0
#: ASSUMPTION [NX-20]: getSmsCdr lists a sent SMS within this many seconds (not documented; the
#: page only says records are kept 31 days): the send lookups look again, the SMS export reads, after it
SMS_RECORD_LIST_LAG_S = 60.0
#: the operator receipt (``dr``) of a delivered SMS (reference §5.4)
SMS_DELIVERED_RECEIPT = "DELIVRD"
#: operator receipts (reference §5.4) that end a message without delivering it
SMS_FAILED_RECEIPTS = {
    "UNDELIV": "undeliverable",
    "REJECTD": "rejected by the operator",
    "EXPIRED": "validity period expired",
    "DELETED": "deleted by the operator",
    "DND": "recipient is on a do-not-disturb list",
    "ESME_RINVDSTADR": "invalid destination number",
    "ESME_RINVSRCADR": "invalid sender",
    "UNKNOWN": "final state unknown",
}
#: SMPP states that are not final yet
SMS_PENDING_RECEIPTS = frozenset({"", "ENROUTE", "ACCEPTD", "SUBMITD"})

#: numbers per SMS request of a verification-code channel app (code 104 above it). Source: the
#: ``phone`` row and code 104 of Demon-2012/NXcloud-API-document:SMS Downstream Sending.md and
#: SMS Downstream Sending_v2..md
SMS_VERIFICATION_APP_MAX_NUMBERS = 5

#: numbers per notsend / gpsend request. ASSUMPTION [NX-4]: the voice pages document no limit
#: (phone is "a comma list"); 100, the SMS send's documented limit, is used until one is found
VOICE_MAX_NUMBERS = 100
#: versend calls one number per request. Source: Demon-2012/NXcloud-API-document:Send Voice
#: Verification Code.md (``phone``: "only single submission is allowed, cannot be submitted in
#: batches"). The 5-number limit of "verification code channel" apps belongs to the SMS send (code 104).
VOICE_VERIFY_MAX_NUMBERS = 1
#: show_phone, the caller id shown: digits, at most 50 (code 21 otherwise). Required on notsend,
#: versend and gpsend (their pages; nxtele/nxcloud-java-sdk:VoiceTypeCode.java lists it among the
#: non-empty fields); the pages give no default ("enter any number of digits, the actual displayed
#: number may be modified"), so the caller must choose one
VOICE_SHOW_PHONE = re.compile(r"[0-9]{1,50}")
#: country_code: digits, no plus (code 23 otherwise)
VOICE_COUNTRY_CODE = re.compile(r"[0-9]{1,4}")
#: voice ``phone``: every page's example sends the full international number with ``country_code``
#: beside it (``phone=6212345678``, ``country_code=62``), as the Java SDK's test does
#: (``versend("84998996123", "84", "84934442648", ...)``): country code + number, digits only
VOICE_PHONE = re.compile(r"[0-9]{7,15}")
#: endpoint -> numbers per request
VOICE_LIMITS = {
    "voice_notify": VOICE_MAX_NUMBERS,
    "voice_verify": VOICE_VERIFY_MAX_NUMBERS,
    "voice_broadcast": VOICE_MAX_NUMBERS,
}
#: v1 uploadFile: at most 2 MB (code 15001). ASSUMPTION [NX-5]: the page does not say whether a MB is
#: 10^6 or 2^20 bytes; the smaller, 2,000,000 bytes, is enforced before sending
VOICE_UPLOAD_MAX_BYTES = 2_000_000
#: lang: the language table of notsend / versend (Demon-2012/NXcloud-API-document:Send Voice
#: Notification.md, Send Voice Verification Code.md)
_VOICE_LANGUAGE_TABLE = """
af ar bn bs ca cs cy da de el en eo es et fi fr gu hi hr hu hy id is it ja jw km kn ko la lv
mk ml mr my ne nl no pl pt ro ru si sk sq sr su sv sw ta te th tl tr uk ur vi zh zh-yue
"""
VOICE_LANGUAGES = frozenset(_VOICE_LANGUAGE_TABLE.split())
#: task_time (with time_zone, whole hours from UTC) and the getVoiceCdr start_time/end_time
VOICE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: getVoiceCdr voiceType of each send endpoint: 0 group call, 1 verification or notification
VOICE_CDR_TYPES = {"voice_broadcast": 0, "voice_notify": 1, "voice_verify": 1}
#: getVoiceCdr: at most one request a second, a window of at most 24 hours within the last 7 days.
#: Source: nxtele/http-api-document wiki 语音记录查询 (每秒只能请求一次; end_time: 时间跨度不能超过24小时,
#: 最多查询7天内的记录; an April 2021 revision said 21 days) and nxtele/nxcloud-doc-en Voice-Record-Query
#: ("a limit of one request per second")
VOICE_CDR_MIN_INTERVAL_S = 1.0
VOICE_CDR_MAX_WINDOW_S = 24 * 3600
VOICE_CDR_DAYS = 7
#: ASSUMPTION [NX-26]: a call's record is listed within 30 minutes of its start (not documented: a
#: record is the call's outcome, written when the call ends, and the pages give no call's longest
#: duration): the call export reads an interval that long after its end
VOICE_CDR_SETTLE_S = 30 * 60
#: getVoiceCdr row ``result`` of a call that was answered, and of one that was not
VOICE_CDR_ANSWERED = "Successful connection"
VOICE_CDR_UNANSWERED = "Unsuccessful connection"
#: getVoiceCdr rows per page. ASSUMPTION [NX-23]: the page documents ``page_size`` without a limit;
#: 1000 is the limit its sibling getSipCdr documents (nxtele/http-api-document-en wiki, WebCall
#: CDR List Page By Page: ``page_size`` "[,1000]"). A vendor that returns fewer rows than asked
#: before the total is reached is caught by the export, which fails rather than skip rows
VOICE_CDR_MAX_PAGE_SIZE = 1000
#: getVoiceCdr ``start_time``/``end_time`` and the rows' stamps carry no zone. ASSUMPTION [NX-24]: the
#: window and the stamps are in one zone, UTC or UTC+8 (:data:`RECORD_DAY_OFFSETS_HOURS`); the
#: exports write and read them as UTC, as the delivery poller and the simulator do
VOICE_CDR_STAMP_OFFSET_HOURS = 0
#: the row stamp a getVoiceCdr window selects on. ASSUMPTION [NX-25]: ``start_time``, both ends
#: inclusive: the page's example asks 09:00:01..09:00:11 and answers a call whose ``start_time`` is
#: 09:00:01 and whose ``end_time`` (09:00:20) lies beyond the window
VOICE_CDR_WINDOW_STAMP = "start_time"
#: getVoiceCdr row ``result`` (lower case) -> (status, meaning). The English page answers
#: "Successful connection"; the Chinese wiki (语音记录查询, 语音回执回调) answers 成功接通 / 未接通
VOICE_CDR_RESULTS = {
    VOICE_CDR_ANSWERED.lower(): ("answered", "the call was answered"),
    "成功接通": ("answered", "the call was answered"),
    VOICE_CDR_UNANSWERED.lower(): ("unanswered", "the call was not answered"),
    "未接通": ("unanswered", "the call was not answered"),
}
#: a row's service: the query's voiceType 0 is a group call; a voiceType 1 row's ``voice_type``
#: says 1 verification or 2 notification (Voice Record Query.md, response table 2)
VOICE_CDR_GROUP_CALL = "group_call"
VOICE_CDR_ROW_SERVICES = {"1": "verification", "2": "notification"}
#: the call's end as the voice receipt (DR) gives it in ``hangup_disposition`` (nxtele/http-api-document
#: wiki 语音回执回调: 终止原因); the record query documents no hangup field, a row that carries one is read
VOICE_HANGUP_DISPOSITIONS = {
    "send_cancel": "the caller side timed out",
    "recv_refuse": "the callee refused the call",
    "recv_bye": "the callee hung up",
    "send_bye": "the caller side hung up",
    "other": "another reason",
}

#: the SMS record queries (``date`` yyyyMMdd) and the number-check result query (``date``
#: yyyy-MM-dd) name a day without a zone. ASSUMPTION [NX-2]: the pages do not say which; the platform
#: is UTC+8 based (its ``time_zone`` examples start at 8, its consoles show Beijing time) and
#: the simulator and older code used UTC. A client asks for both readings of a moment's day
#: (one request when they agree) and merges what they return
RECORD_DAY_OFFSETS_HOURS = (0, 8)
SMS_RECORD_DATE_FORMAT = "%Y%m%d"

# ----- chat channels: WhatsApp (/api/wa/mt), Viber (/api/viber/mt), Zalo ZNS (/v1/zalo/mt) -----
# Each send takes one recipient per request. None offers a status query: status arrives only
# by webhook (WhatsApp statuses, Viber dr_webhook, Zalo drWebhook).
# Sources: WhatsApp-API-mt and Viber-API-mt of NXCloud's English wiki (nxtele/nxcloud-doc-en; file copy
# Demon-2012/NXcloud-API-document@4088e1b:WhatsApp-API-mt.md, Viber-API-mt.md); Viber's rateType
# OtpTemplate from the Chinese master page (nxtele/http-api-document wiki Viber-API-mt, Oct 2024);
# Zalo: https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/Zalo-API-mt and Zalo-webhook.

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
#: videoSize is in bytes, at most 200 MB. ASSUMPTION [NX-6]: MB = 1024 * 1024 bytes (the page does not say)
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
#: ASSUMPTION [NX-7]: ZNS reaches Vietnamese numbers only (ZNS is Vietnam's service; the page only says "with the
#: country code", its journey-token example is "848..."). Fail-safe: other numbers are refused before sending
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
#: customerBindId length. ASSUMPTION [NX-8]: the pages give none; 64 is the common bound of such keys
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
    #: queryAXB ``bindType``. Only 4 (extension) is documented; ASSUMPTION [NX-9]: 1 for AXB, 2 for AXG
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

# ----- PNS and chat-channel request bodies and replies (pure: the hook sends them) -----

#: where the PNS facts come from: NXCloud's English wiki (nxtele/nxcloud-doc-en), read from its file
#: copy Demon-2012/NXcloud-API-document@4088e1b (<page>.md); the Chinese master wiki
#: (nxtele/http-api-document/wiki/<page>) gives the same actions and bodies
PNS_PAGE = "https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki/{page}"


@dataclass(frozen=True)
class PnsBinding:
    """A bind's answer: ``data.bindId`` (what billing and unbindAXB use) and ``data.did``, the X number."""

    bind_id: str
    did: str


def pns_bind_body(
    *,
    phone_a: str,
    expire_second: int,
    phone_b: str | None = None,
    phone_x: str | None = None,
    extension: str | None = None,
    group_id: str | None = None,
    customer_bind_id: str | None = None,
    flag: int = 0,
) -> dict[str, Any]:
    """The body of bindAXB / bindAXBExtension / bindAXG (PNS-API-bind, -bind-extension, -bind-AXG).

    Numbers are text with the country code; ``flag`` and ``expireSecond`` are integers
    (0 = never expires). Fields not given are left out. ``extension``: the pages' table
    writes ``Extension``, their example and queryAXB ``extension``; ASSUMPTION [NX-10]: ``extension``
    (a wrong name is refused with 1002, so nothing is bound).
    """
    body: dict[str, Any] = {"phoneA": phone_a}
    optional = {
        "phoneB": phone_b,
        "phoneX": phone_x,
        "extension": extension,
        "groupId": group_id,
        "customerBindId": customer_bind_id,
    }
    body.update({field: value for field, value in optional.items() if value not in (None, "")})
    body["flag"] = int(flag)
    body["expireSecond"] = int(expire_second)
    return body


def pns_unbind_body(*, bind_id: str | None = None, customer_bind_id: str | None = None) -> dict[str, str]:
    """unbindAXB (PNS-API-unbind): ``bindId`` or ``customerBindId``, exactly one."""
    given = {"bindId": bind_id, "customerBindId": customer_bind_id}
    body = {field: str(value) for field, value in given.items() if value not in (None, "")}
    if len(body) != 1:
        raise ValueError("unbindAXB takes exactly one of bindId and customerBindId")
    return body


def pns_query_body(caller: str, did: str, extension: str | None = None) -> dict[str, str]:
    """queryAXB (PNS-API-query, PNS-API-query-extension): ``caller``, ``did`` and, for extensions, ``extension``."""
    body = {"caller": caller, "did": did}
    if extension not in (None, ""):
        body["extension"] = str(extension)
    return body


def pns_page_body(limit: int, offset: int) -> dict[str, int]:
    """getAXBList / listGroup (PNS-API-list, PNS-API-list-G): both required, unsigned integers."""
    return {"limit": int(limit), "offset": int(offset)}


def pns_create_group_body(
    phones: str, group_name: str | None = None, remark: str | None = None
) -> dict[str, str]:
    """createGroup (PNS-API-create-G): ``phones`` a comma list; ``groupName`` (else the groupId) and ``remark``."""
    body = {"phones": phones}
    if group_name not in (None, ""):
        body["groupName"] = str(group_name)
    if remark not in (None, ""):
        body["remark"] = str(remark)
    return body


def pns_update_group_body(group_id: str, operation: str, phones: str) -> dict[str, Any]:
    """updateGroup (PNS-API-update-G): ``operateType`` 0 add, 1 delete, 2 replace, as an integer."""
    return {"groupId": group_id, "operateType": PNS_GROUP_OPERATIONS[operation], "phones": phones}


def pns_binding(reply: Any) -> PnsBinding:
    """``data.bindId`` and ``data.did`` of a bind's reply; ValueError when either is missing."""
    data = reply.get("data") if isinstance(reply, Mapping) else None
    bind_id = data.get("bindId") if isinstance(data, Mapping) else None
    did = data.get("did") if isinstance(data, Mapping) else None
    if not bind_id or not did:
        raise ValueError(f"NXCloud's bind reply has no data.bindId and data.did: {reply!r}")
    return PnsBinding(str(bind_id), str(did))


def pns_group_id(reply: Any) -> str:
    """createGroup answers ``groupId`` at the top level, beside ``code`` (not inside ``data``)."""
    value = reply.get("groupId") if isinstance(reply, Mapping) else None
    if value in (None, "") and isinstance(reply, Mapping) and isinstance(reply.get("data"), Mapping):
        value = reply["data"].get("groupId")
    if value in (None, ""):
        raise ValueError(f"NXCloud's createGroup reply has no groupId: {reply!r}")
    return str(value)


def pns_list_rows(endpoint: str, reply: Any) -> list[dict[str, Any]]:
    """The rows of a getAXBList / listGroup page: ``data.bindList`` / ``data.groups``.

    The page's ``total`` is the count of rows *returned* (PNS-API-list: "number of binding
    relationships returned"), not of all rows, so it is not read: a short page ends a list.
    An older revision of the Chinese page (nxtele/http-api-document wiki PNS-API-list, revision
    d53e7d82c4dbb75dd06197327d5cbde8940bf5c1, Dec 2022) put ``bindList`` at the top level; it
    is read there when ``data`` has none.
    """
    key = PNS_LIST_KEYS[endpoint]
    body = reply if isinstance(reply, Mapping) else {}
    data = body.get("data")
    rows = data.get(key) if isinstance(data, Mapping) else None
    if rows is None:
        rows = body.get(key)
    return [dict(row) for row in rows or () if isinstance(row, Mapping)]


def whatsapp_send_body(
    app_key: str, business_phone: str, to: str, message: Mapping[str, Any]
) -> dict[str, Any]:
    """/api/wa/mt (WhatsApp-API-mt): the app, the sender, the fixed values, ``to`` and the typed message.

    ``message`` is ``{"type": kind, kind: {...}}`` as :func:`campaign.nxcloud_chat.whatsapp_message` builds it.
    """
    return {
        "appkey": app_key,
        "business_phone": business_phone,
        "messaging_product": WHATSAPP_MESSAGING_PRODUCT,
        "recipient_type": WHATSAPP_RECIPIENT_TYPE,
        "to": to,
        **message,
    }


def viber_send_body(
    app_key: str, phone: str, function_type: str, message_data: Mapping[str, Any]
) -> dict[str, Any]:
    """/api/viber/mt (Viber-API-mt): ``appkey``, ``phone``, ``functionType`` and ``messageData``."""
    return {
        "appkey": app_key,
        "phone": phone,
        "functionType": function_type,
        "messageData": dict(message_data),
    }


def zalo_send_body(app_key: str, phone: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """/v1/zalo/mt (Zalo-API-mt): ``appkey``, ``phone`` and ``functionType``, ``messageData``, ``drWebhook``, ``ext``."""
    return {"appkey": app_key, "phone": phone, **fields}


def whatsapp_message_id(reply: Any) -> str | None:
    """The wamid: ``data.messages[0].id`` (WhatsApp-API-mt success example)."""
    data = reply.get("data") if isinstance(reply, Mapping) else None
    messages = data.get("messages") if isinstance(data, Mapping) else None
    first = messages[0] if isinstance(messages, list) and messages else None
    value = first.get("id") if isinstance(first, Mapping) else None
    return str(value) if value else None


def chat_request_id(reply: Any) -> str | None:
    """Viber's ``data.requestId`` (Viber-API-mt success example), which its receipts carry.

    Zalo: ASSUMPTION [NX-12], the same field (the send page's reply was not readable; the receipts'
    ``requestId`` is ``zalomid.<hex>``): if it is absent the message is still accepted, only
    without an id to match receipts on.
    """
    data = reply.get("data") if isinstance(reply, Mapping) else None
    value = data.get("requestId") if isinstance(data, Mapping) else None
    return str(value) if value else None


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


# ----- messaging request bodies (pure; the hook sends them, the simulator reads the same names) -----


def record_days(moment: float, date_format: str = SMS_RECORD_DATE_FORMAT) -> tuple[str, ...]:
    """The days a record query must ask for to find a message sent at ``moment`` (epoch seconds).

    One per reading of :data:`RECORD_DAY_OFFSETS_HOURS`, without repeats, earliest first.
    """
    days = (
        dt.datetime.fromtimestamp(moment, dt.timezone(dt.timedelta(hours=hours))).strftime(date_format)
        for hours in RECORD_DAY_OFFSETS_HOURS
    )
    return tuple(sorted(dict.fromkeys(days)))


def sms_send_body(
    *,
    legacy: bool,
    app_key: str,
    numbers: list[str],
    content: str,
    sender_id: str | None = None,
    sys_message_id: str | None = None,
) -> dict[str, Any]:
    """The body of an SMS send: snake_case form fields (legacy ``mtsend``) or the v2/v1 JSON.

    Source: Demon-2012/NXcloud-API-document:SMS Downstream Sending.md (form) and
    SMS Downstream Sending_v2..md (JSON; v1 ``/v1/sms/mt`` takes the same body). ``phone`` is
    country code + number, comma-separated; ``sysMessageId`` is ignored on requests with
    several numbers, so it is sent only for one.
    """
    if not numbers or len(numbers) > SMS_MAX_NUMBERS:
        raise ValueError(f"an SMS request takes 1 to {SMS_MAX_NUMBERS} numbers, not {len(numbers)}")
    reference = sys_message_id if len(numbers) == 1 else None
    names = (
        ("appkey", "source_address", "sys_messageid")
        if legacy
        else ("appKey", "sourceAddress", "sysMessageId")
    )
    fields = {
        names[0]: app_key,
        "phone": ",".join(numbers),
        "content": content,
        names[1]: sender_id,
        names[2]: reference,
    }
    return {name: value for name, value in fields.items() if value}


def voice_send_form(
    endpoint: str, *, numbers: list[str], country_code: str, show_phone: str, **fields: str
) -> dict[str, str]:
    """The form of a legacy voice send (``notsend``, ``versend``, ``gpsend``) without the app keys.

    Sources: Demon-2012/NXcloud-API-document:Send Voice Notification.md, Send Voice
    Verification Code.md, Send Voice Broadcast.md; nxtele/nxcloud-java-sdk:NxVoiceClient.java.
    ``numbers`` are international (country code + number, digits), all of ``country_code``;
    ``show_phone`` is required. ``fields``: ``content`` and ``lang`` (notsend, versend) or
    ``url`` and optionally ``task_time`` with ``time_zone`` (gpsend).
    """
    limit = VOICE_LIMITS[endpoint]
    if not 1 <= len(numbers) <= limit:
        raise ValueError(f"{endpoint} takes 1 to {limit} numbers a request, not {len(numbers)}")
    if not VOICE_COUNTRY_CODE.fullmatch(country_code):
        raise ValueError(f"country_code must be 1-4 digits, not {country_code!r}")
    strays = [n for n in numbers if not (VOICE_PHONE.fullmatch(n) and n.startswith(country_code))]
    if strays:
        raise ValueError(f"not international numbers of country code {country_code}: {strays[:3]}")
    if not VOICE_SHOW_PHONE.fullmatch(show_phone):
        raise ValueError("show_phone (the caller number shown) is required: 1 to 50 digits")
    form = {"phone": ",".join(numbers), "country_code": country_code, "show_phone": show_phone}
    return {**form, **{name: value for name, value in fields.items() if value}}


def voice_upload_fields(app_key: str) -> dict[str, str]:
    """The plain multipart fields of the v1 ``uploadFile`` (the audio goes as the ``file`` part).

    Source: https://github.com/nxtele/http-api-document/wiki/上传语音文件_v1 (form-data
    ``appkey`` String, ``file`` File). Plain fields must not travel as file parts.
    """
    return {"appkey": app_key}


def sms_record_form(message_id: str, day: str) -> dict[str, str]:
    """``/api/sms/get``: one message by the ``messageid`` its send returned and its day (yyyyMMdd).

    Source: Demon-2012/NXcloud-API-document:SMS Single Record Query.md.
    """
    return {"date": day, "messageid": message_id}


def sms_records_form(day: str, page: int, page_size: int, sort_type: int = 0) -> dict[str, str]:
    """``/api/sms/getSmsCdr``: one day's records, paged (``page_size`` below 1000).

    Source: Demon-2012/NXcloud-API-document:SMS Record Query.md.
    """
    return {"date": day, "page": str(page), "page_size": str(page_size), "sort_type": str(sort_type)}


def voice_records_form(
    voice_type: int, start_time: str, end_time: str, page: int, page_size: int, message_id: str | None = None
) -> dict[str, str]:
    """``/api/voiceSms/getVoiceCdr``: one voiceType's calls in a window (all but messageid required).

    Source: Demon-2012/NXcloud-API-document:Voice Record Query.md.
    """
    form = {
        "voiceType": str(voice_type),
        "start_time": start_time,
        "end_time": end_time,
        "page_size": str(page_size),
        "page": str(page),
    }
    return {**form, "messageid": message_id} if message_id else form


def number_check_submit_body(
    numbers: list[str], *, app_key: str, batch_no: str | None = None, check_level: int | None = None
) -> dict[str, Any]:
    """``/api/number/check``: up to 5,000 international numbers of one batch.

    Source: Demon-2012/NXcloud-API-document:Number-Check-API-submit.md and
    https://github.com/nxtele/http-api-document/wiki/Number-Check-API-submit (Jun 2024).
    """
    if not 1 <= len(numbers) <= NUMBER_CHECK_MAX_NUMBERS:
        raise ValueError(f"a number check takes 1 to {NUMBER_CHECK_MAX_NUMBERS} numbers, not {len(numbers)}")
    body: dict[str, Any] = {"phone": ",".join(numbers), "appkey": app_key}
    if batch_no:
        body["batchNo"] = batch_no
    if check_level is not None:
        body["checkLevel"] = check_level
    return body


def number_check_query_body(
    batch_no: str,
    date: str,
    *,
    page: int = 1,
    page_size: int = NUMBER_CHECK_MAX_PAGE_SIZE,
    app_key: str | None = None,
) -> dict[str, Any]:
    """``/api/number/query``: one page of a batch's results on one ``date`` (yyyy-MM-dd).

    Source: Demon-2012/NXcloud-API-document:Number-Check-API-query.md and
    https://github.com/nxtele/http-api-document/wiki/Number-Check-API-query (Mar 2025).
    """
    body: dict[str, Any] = {"page": page, "pageSize": page_size, "date": date, "batchNo": batch_no}
    if app_key:
        body["appkey"] = app_key  # the 2023 page asks for it; the 2025 page does not
    return body


#: SMS send api -> (endpoint name, whether the body is the legacy snake_case form)
SMS_APIS: dict[str, tuple[str, bool]] = {
    "v2": ("sms_send_v2", False),
    "v1": ("sms_send_v1", False),
    "legacy": ("sms_send_legacy", True),
}


def reply_message_id(reply: Any) -> str | None:
    """A send reply's ``messageid`` (SMS and voice: top level; a ``data`` object is read too, for v1).

    ASSUMPTION [NX-14]: the v1 send answers like v2.
    """
    if not isinstance(reply, dict):
        return None
    data = reply.get("data")
    for source in (reply, data if isinstance(data, dict) else {}):
        for key in ("messageid", "messageId"):
            if source.get(key):
                return str(source[key])
    return None


def record_page(reply: Any) -> tuple[int, list[dict[str, Any]]]:
    """``(total, rows)`` of a legacy record page (``getSmsCdr``, ``getVoiceCdr``: ``info.total``, ``info.rows``)."""
    info = reply.get("info") if isinstance(reply, dict) else None
    info = info if isinstance(info, dict) else {}
    rows = [dict(row) for row in info.get("rows") or [] if isinstance(row, dict)]
    try:
        total = int(info.get("total", len(rows)))
    except (TypeError, ValueError):
        total = len(rows)
    return total, rows


def number_check_page(reply: Any) -> tuple[int, list[dict[str, Any]]]:
    """``(totalSize, rows)`` of a number-check query reply (``data.totalSize``, ``data.result``)."""
    data = reply.get("data") if isinstance(reply, dict) else None
    if not isinstance(data, dict):
        return 0, []
    rows = [dict(row) for row in data.get("result") or [] if isinstance(row, dict)]
    try:
        total = int(data.get("totalSize") or 0)
    except (TypeError, ValueError):
        total = len(rows)
    return total, rows
