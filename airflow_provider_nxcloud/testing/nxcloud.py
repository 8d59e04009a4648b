"""NXCloud as the simulator serves it: open-platform signature, legacy appkey API, SMS, voice.

Auth of signed endpoints, checked in this order (reference §2, §4.2):

* a missing ``accessKey``, ``ts``, ``bizType``, ``action`` or ``sign`` header -> 1001
  (header names are case-insensitive);
* an unknown ``accessKey`` -> 1005;
* ``bizType``/``action`` not those of the path's endpoint -> 1002 (the PNS path
  serves several endpoints: the ``action`` header picks one);
* a Content-Type other than the endpoint's (``application/json`` or
  ``multipart/form-data``), an unknown ``algorithm`` or a ``sign`` that is not
  the signature of the raw body bytes as received -> 1003;
* ``ts`` not an integer or more than 60 000 ms from the vendor clock -> 1004;
* a service the account has not bought (``NXCloudAccount.products``) -> 1005, the common
  code's "the account lacks this business permission" (ASSUMPTION [SIM-8]: the vendor checks
  the permission after the signature; the page lists the code, not the order).

Legacy endpoints check ``appkey``/``secretkey`` in the form body and answer the
service's auth code (SMS send "1", SMS reports and balance "2", voice "1"; the voice
record query answers every failure "0", its success being "1").

Voice (legacy form API, the voice app's keys; reference §6.1): ``notsend`` (TTS
notification, at most :data:`MAX_VOICE_NUMBERS` numbers), ``versend`` (TTS
verification code, one number) and ``gpsend`` (audio file URL, at most
:data:`MAX_VOICE_NUMBERS`) take international numbers (country code + number) in
``phone`` and their ``country_code`` beside them, and require ``show_phone`` (every
page's example; a request without one breaks the contract: code "2"). Codes: "23"
country code not 1-4 digits or unknown, "24" no phone, "2" more numbers than allowed
or a bad ``lang``, ``url``, ``task_time`` or ``time_zone``, "6" a number that is not
7-15 digits or not of ``country_code`` (the simulator is stricter here than the
pages, which never show a mismatch), "21" ``show_phone`` not 1-50 digits, "4" no content, "20" an audio URL that is not http(s), "31" ``task_time``
without ``time_zone``, "29" a ``task_time`` not later than now. Each number called is
a ledger entry of kind "voice" whose vendor id is the request's ``messageid`` (shared
by the request's numbers) and whose recipient is country code and number. A call
starts at once (or at ``task_time``) and ends after the delivery delay, unanswered for
numbers the delivery model marks undeliverable. ``getVoiceCdr`` lists the calls that
have ended, of the app and ``voiceType`` (0 group call, 1 notification and
verification), optionally one ``messageid``, whose start lies in
``start_time``..``end_time`` (UTC, both ends inclusive, at most 24 hours apart, within
the last 7 days; both missing: the last 24 hours), in order of their start, paged
(``page_size`` at most :data:`~airflow_provider_nxcloud.platforms.nxcloud.VOICE_CDR_MAX_PAGE_SIZE`,
ASSUMPTION [SIM-9]). Its rate of one request a second is enforced per app when
``state.query_intervals`` sets it (``Simulator.enforce_query_interval``): a request sooner
than that after the app's previous one answers "0" (ASSUMPTION [SIM-9]: the page documents
the limit, not the answer; "0" is its only failure code).

The v1 ``uploadFile`` (signed multipart: plain field ``appkey`` of the voice app, file
part ``file``) answers the file's URL in ``data``; 9003 for another appkey, 15001 for
a file above 2,000,000 bytes, 9000 for a request that breaks the contract (a file part
where the plain ``appkey`` field is documented included).

Record days: ``/api/sms/get``, ``getSmsCdr`` and the number-check query name a day
without a zone; the simulator files a record under its day at
:data:`RECORD_DAY_UTC_OFFSET_HOURS` only (default 0, UTC; set 8 for the platform's UTC+8
reading), so a client that asks for one reading alone misses records under the other.

Replies use the endpoint's envelope: ``{"code": int, "msg", "requestId"}`` for
signed endpoints, the legacy ``{"code": "<text>", "result"}`` for the legacy
API and for ``mtsend_v2`` (signed, but it answers in the legacy shape). The v1
send (``/v1/sms/mt``) takes v2's body; its reply format was not read (reference
§5.1), so the simulator answers it exactly as v2. Report times are UTC.

The auth, envelopes and record days here are shared with the other NXCloud modules
(:mod:`~airflow_provider_nxcloud.testing.nxcloud_chat`, ``nxcloud_number_check``,
``nxcloud_pns``), which import them; this module imports none of those. Each exports its
``HANDLERS`` table and :mod:`~airflow_provider_nxcloud.testing.platform_index` merges them
into the platform's router.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import phonenumbers
from starlette.datastructures import Headers
from starlette.responses import Response

from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.platforms import nxcloud_contracts
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.endpoints import Auth, BodyFormat, Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.formats import sms_segments, utc_text
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.progress import DELIVERED, UNDELIVERED
from airflow_provider_nxcloud.testing.routing import (
    BadBody,
    Call,
    Handler,
    Reject,
    Reply,
    gateway_reply,
    gateway_status_reply,
    json_reply,
    same_secret,
)

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.state import SimulatorState

PLATFORM = vendor.PLATFORM
PREFIXES = ("/api/", "/v1/")

REQUIRED_HEADERS = ("accessKey", "ts", "bizType", "action", "sign")
#: signed endpoints that nevertheless answer in the legacy ``{"result", "code": "<text>"}`` shape
#: (v1's reply was not read: assumed to be v2's, like its body)
LEGACY_SHAPED = frozenset({"sms_send_v2", "sms_send_v1"})
#: the auth code of each legacy service (wrong or missing appkey/secretkey)
LEGACY_AUTH_CODE = {"sms": "1", "sms_report": "2", "voice": "1"}
#: getVoiceCdr answers any failure, wrong keys included, with "0" (its success is "1")
VOICE_REPORT_FAILURE = "0"
_MEDIA_TYPES = {BodyFormat.JSON: "application/json", BodyFormat.MULTIPART: "multipart/form-data"}

#: the service codes injected by ``vendor_rate_limit`` / ``vendor_busy`` (absent = kind does not apply)
FAULT_CODES: dict[FaultKind, dict[str, str]] = {
    FaultKind.VENDOR_RATE_LIMIT: {"sms": "28", "voice": "28", "sms_report": "5"},
    FaultKind.VENDOR_BUSY: {
        "sms": "99",
        "voice": "99",
        "number_check": "299",
        "whatsapp": "9001",
        "viber": "9001",
        # PNS documents no busy code; 10009 "failed to retrieve data" is its generic platform fault
        "pns": "10009",
    },
}
TIMESTAMP_EXPIRED_CODE = "1004"
#: services whose replies use the chat envelope {code, message, data} (WhatsApp-API-mt, Viber-API-mt)
CHAT_SERVICES = frozenset({"whatsapp", "viber", "zalo"})

MAX_CONTENT = vendor.SMS_MAX_CONTENT
MAX_NUMBERS = vendor.SMS_MAX_NUMBERS
RECORD_DAYS = vendor.SMS_RECORD_DAYS

_PHONE = re.compile(r"[0-9]{7,15}")
_SENDER = vendor.SMS_SENDER_ID
_SYS_MESSAGE_ID = vendor.SYS_MESSAGE_ID
_DATE_COMPACT = re.compile(r"\d{8}")
#: ASSUMPTION [NX-2] (vendor.RECORD_DAY_OFFSETS_HOURS): the zone of the record queries' ``date``;
#: UTC by default (dates a test writes by hand stay right at any hour), 8 models the UTC+8 reading
RECORD_DAY_UTC_OFFSET_HOURS = 0


def record_day(epoch: float) -> dt.date:
    """The day a record at ``epoch`` is filed under (see :data:`RECORD_DAY_UTC_OFFSET_HOURS`)."""
    return dt.datetime.fromtimestamp(
        epoch, dt.timezone(dt.timedelta(hours=RECORD_DAY_UTC_OFFSET_HOURS))
    ).date()


# ----- envelopes ------------------------------------------------------------------------------


def meaning(service: str, code: str | int) -> str:
    info = lookup_code(PLATFORM, service, code)
    return info.meaning if info else "error"


def error_reply(endpoint: Endpoint, code: str | int, request_id: str, detail: str = "") -> Response:
    text = meaning(endpoint.service, code)
    if detail:
        text = f"{text}: {detail}"
    if endpoint.auth is Auth.NXCLOUD_APPKEY or endpoint.name in LEGACY_SHAPED:
        return json_reply({"code": str(code), "result": text})
    return json_reply({"code": int(code), "msg": text, "requestId": request_id})


def reject(call: Call, code: str | int, detail: str = "") -> Reject:
    return Reject(error_reply(call.endpoint, code, call.request_id, detail))


# ----- auth -----------------------------------------------------------------------------------


def authenticate(call: Call) -> Endpoint:
    if call.candidates[0].auth is Auth.NXCLOUD_APPKEY:
        return _check_appkey(call)
    return _check_signed(call)


def _check_signed(call: Call) -> Endpoint:
    headers = call.headers
    if any(not headers.get(name) for name in REQUIRED_HEADERS):
        raise reject(call, 1001)
    account = call.state.accounts.nxcloud
    if headers["accessKey"] != account.access_key:
        raise reject(call, 1005)
    endpoint = _by_headers(headers, call.candidates)
    if endpoint is None:
        raise reject(call, 1002, "bizType and action do not match this URL")
    call.endpoint = endpoint
    if call.media_type() != _MEDIA_TYPES.get(endpoint.body, "application/json"):
        raise reject(call, 1003, f"Content-Type must be {_MEDIA_TYPES.get(endpoint.body)}")
    algorithm = headers.get("algorithm", "md5").strip().lower()
    if algorithm not in vendor.ALGORITHMS:
        raise reject(call, 1003, f"unknown algorithm {algorithm}")
    signed = {name: headers[name] for name in vendor.SIGNED_HEADERS}
    body = call.body if endpoint.body is BodyFormat.JSON else None
    expected = vendor.digest(vendor.string_to_sign(signed, body, account.access_secret), algorithm)
    if not same_secret(headers["sign"].strip().lower(), expected):
        raise reject(call, 1003)
    try:
        ts = int(headers["ts"])
    except ValueError:
        raise reject(call, 1004, "ts must be epoch milliseconds") from None
    if abs(ts - call.state.clock.vendor_now_ms()) > vendor.TIMESTAMP_WINDOW_MS:
        raise reject(call, 1004)
    if endpoint.service not in account.products:
        raise reject(call, 1005, f"the account has no {endpoint.service} product")
    call.account = account.access_key
    return endpoint


def _by_headers(headers: Headers, candidates: Sequence[Endpoint]) -> Endpoint | None:
    biz_type, action = headers.get("bizType"), headers.get("action")
    for endpoint in candidates:
        if endpoint.biz_type == biz_type and endpoint.action == action:
            return endpoint
    return None


def select_endpoint(headers: Headers, candidates: Sequence[Endpoint]) -> Endpoint | None:
    """Which endpoint a request is for, before auth (for the request log and faults)."""
    if len(candidates) == 1:
        return candidates[0]
    action = headers.get("action")
    return next((e for e in candidates if e.action == action), None)


def _check_appkey(call: Call) -> Endpoint:
    endpoint = call.candidates[0]
    form = call.form
    apps = call.state.accounts.nxcloud.legacy_apps().get(endpoint.service, {})
    appkey, secretkey = form.get("appkey", ""), form.get("secretkey", "")
    if not appkey or not secretkey or appkey not in apps or not same_secret(secretkey, apps[appkey]):
        raise reject(call, LEGACY_AUTH_CODE.get(endpoint.service, VOICE_REPORT_FAILURE))
    call.account = appkey
    return endpoint


#: the code a messaging endpoint answers for a request that breaks its contract, by the first field
#: at fault: ``{endpoint: ({field: (code if missing, code if malformed)}, code otherwise)}``, from
#: each page's code table (voice 24 "no callee" is nxtele/nxcloud-java-sdk's)
_VOICE_FIELD_CODES = {
    "phone": ("24", "6"),
    "country_code": ("23", "23"),
    "show_phone": ("2", "21"),
    "content": ("4", "4"),
    "url": ("2", "20"),
}
_SMS_FIELD_CODES = {
    "content": ("4", "5"),
    "phone": ("2", "6"),
    "sourceAddress": ("2", "8"),
    "source_address": ("2", "8"),
}
_CONTRACT_CODES: dict[str, tuple[dict[str, tuple[str, str]], str]] = {
    **{name: (_VOICE_FIELD_CODES, "2") for name in ("voice_notify", "voice_verify", "voice_broadcast")},
    **{name: (_SMS_FIELD_CODES, "2") for name in ("sms_send_v2", "sms_send_v1", "sms_send_legacy")},
    "sms_record": ({"date": ("1", "3")}, "1"),
    "sms_records": ({"date": ("1", "3"), "page": ("3", "3"), "page_size": ("4", "4")}, "1"),
    "voice_records": ({}, VOICE_REPORT_FAILURE),
    "voice_upload": ({}, "9000"),
    "number_check_submit": ({"checkLevel": ("201", "207")}, "201"),
    "number_check_query": ({}, "88"),
}


def _messaging_contract_code(call: Call, endpoint: Endpoint) -> str:
    """The documented code of the first field at fault of a messaging request that breaks its contract."""
    by_field, otherwise = _CONTRACT_CODES[endpoint.name]
    contract = next((c for c in nxcloud_contracts.CONTRACTS if c.endpoint == endpoint.name), None)
    text_values = endpoint.body is not BodyFormat.JSON
    problems = contract.violations(call.payload(), text_values=text_values) if contract else []
    first = problems[0] if problems else ""
    field = first.split(":", 1)[0].split("[", 1)[0]
    missing, malformed = by_field.get(field, (otherwise, otherwise))
    if field == "batchNo" and "documented maximum" in first:
        return "212"  # batch number longer than 64 characters
    return missing if first.endswith("required and missing") else malformed


def bad_body(call: Call, exc: BadBody) -> Response:
    endpoint = call.endpoint
    if endpoint.service in CHAT_SERVICES:
        # the chat channels' parameter error: 9000 in their {code, message, data} envelope
        text = f"{meaning(endpoint.service, 9000)}: {exc}"
        return json_reply({"code": 9000, "message": text, "data": None})
    code = "2" if endpoint.auth is Auth.NXCLOUD_APPKEY or endpoint.name in LEGACY_SHAPED else 1002
    if endpoint.name in _CONTRACT_CODES:
        code = _messaging_contract_code(call, endpoint)
    return error_reply(endpoint, code, call.request_id, str(exc))


# ----- account --------------------------------------------------------------------------------


def balance(call: Call) -> Reply:
    return {"code": "0", "balance": call.state.accounts.nxcloud.balance, "credit_balance": "0"}


# ----- SMS ------------------------------------------------------------------------------------


def sms_send_json(call: Call) -> Reply:
    """v2 and v1: the same JSON body, the same checks and effects."""
    body = call.json_object()
    if body.get("appKey") != call.state.accounts.nxcloud.sms_app_key:
        raise reject(call, "1")
    return _send_sms(
        call,
        body["appKey"],
        body.get("phone"),
        body.get("content"),
        body.get("sourceAddress"),
        body.get("sysMessageId"),
    )


def sms_send_legacy(call: Call) -> Reply:
    form = call.form  # appkey/secretkey were checked by the legacy auth
    return _send_sms(
        call,
        str(call.account),
        form.get("phone"),
        form.get("content"),
        form.get("source_address"),
        form.get("sys_messageid"),
    )


def _send_sms(call: Call, app_key: str, phone: Any, content: Any, sender: Any, reference: Any) -> Reply:
    """The checks and effects both send APIs share (reference §5.2, §5.3)."""
    if content is None or content == "":
        raise reject(call, "4")
    if not isinstance(content, str):
        raise reject(call, "2", "content must be text")
    if len(content) > MAX_CONTENT:
        raise reject(call, "5")
    if not isinstance(phone, str) or not phone.strip():
        raise reject(call, "2", "phone is empty")
    numbers = [number.strip() for number in phone.split(",")]
    if len(numbers) > MAX_NUMBERS:
        raise reject(call, "7", f"at most {MAX_NUMBERS} numbers per request")
    if not all(_PHONE.fullmatch(number) for number in numbers):
        raise reject(call, "6")
    if sender not in (None, "") and not (isinstance(sender, str) and _SENDER.fullmatch(sender)):
        raise reject(call, "8")
    if reference not in (None, "") and not (
        isinstance(reference, str) and _SYS_MESSAGE_ID.fullmatch(reference)
    ):
        raise reject(call, "2", "sysMessageId must be 10-50 letters, digits or '-'")
    message_id = call.state.ids.hex(32)
    single = len(numbers) == 1
    for number in numbers:
        vendor_id = message_id if single else f"{message_id}-{call.state.ids.digits(10)}"
        _record_sms(call, number, content, vendor_id, app_key, sender or None, message_id, single, reference)
    return {"result": "success", "code": "0", "messageid": message_id}


def _record_sms(
    call: Call,
    number: str,
    content: str,
    vendor_id: str,
    app_key: str,
    sender: str | None,
    message_id: str,
    single: bool,
    reference: str | None,
) -> None:
    now = call.now
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="sms",
            account=str(call.account),
            app=app_key,
            recipient=number,
            content=content,
            vendor_id=vendor_id,
            # the vendor ignores sysMessageId on requests with several numbers
            client_reference=(reference or None) if single else None,
            endpoint=call.endpoint.name,
            time=now,
            status="pending",
            sender=sender,
            batch_id=None if single else message_id,
            timeline=call.state.delivery.sms_timeline(number, now),
        )
    )


def sms_record(call: Call) -> Reply:
    form = call.form
    message_id = form.get("messageid", "").strip()
    if not message_id:
        raise reject(call, "1", "messageid is required")
    query_date = _compact_date(form.get("date", ""))
    today = record_day(call.now)
    if query_date is None or not (today - dt.timedelta(days=RECORD_DAYS) <= query_date <= today):
        raise reject(call, "3")
    entry = call.state.ledger.get(PLATFORM, message_id)
    # filed under one reading of its day only: a client must ask for the right one
    if (
        entry is None
        or entry.kind != "sms"
        or entry.app != call.account
        or record_day(entry.time) != query_date
    ):
        raise reject(call, "1", "no such message")
    return {"code": "0", "row": sms_row(entry, call.now)}


#: getSmsCdr: page_size must stay below this (code 4)
RECORD_PAGE_SIZE_LIMIT = 1000


def sms_records(call: Call) -> Reply:
    """getSmsCdr (reference §5.5): one day of the app's SMS records (see :func:`record_day`), paged, oldest first.

    The only report that carries the per-number ids (``<messageid>-<10 digits>``)
    of a request with several numbers.
    """
    form = call.form
    # before any check: a query for a day the vendor no longer keeps is counted against that day
    call.state.requests.note_window(PLATFORM, call.endpoint.name, form.get("date", "").strip())
    query_date = _compact_date(form.get("date", ""))
    today = record_day(call.now)
    if query_date is None or not (today - dt.timedelta(days=RECORD_DAYS) <= query_date <= today):
        raise reject(call, "3")
    page, page_size = form.get("page", "").strip(), form.get("page_size", "").strip()
    if not page.isdigit() or int(page) < 1:
        raise reject(call, "3")
    if not page_size.isdigit() or not 1 <= int(page_size) < RECORD_PAGE_SIZE_LIMIT:
        raise reject(call, "4")
    number, size = int(page), int(page_size)
    # one page through the ledger's time index, not a pass over the whole ledger: a month
    # of records is read a page at a time (an export reads it all)
    zone = dt.timezone(dt.timedelta(hours=RECORD_DAY_UTC_OFFSET_HOURS))
    day_start = dt.datetime.combine(query_date, dt.time(), zone).timestamp()
    day_end = math.nextafter(day_start + 86400.0, -math.inf)
    skip = (number - 1) * size
    _, total = call.state.ledger.page(PLATFORM, "sms", call.account, day_start, day_end, 0, 0)
    if form.get("sort_type", "0").strip() == "1":
        low = max(total - skip - size, 0)
        chosen, _ = call.state.ledger.page(
            PLATFORM, "sms", call.account, day_start, day_end, low, max(total - skip - low, 0)
        )
        chosen.reverse()
    else:
        chosen, _ = call.state.ledger.page(PLATFORM, "sms", call.account, day_start, day_end, skip, size)
    info = {
        "total": total,
        "page": number,
        "pageSize": size,
        "rows": [sms_row(e, call.now) for e in chosen],
    }
    return {"code": "0", "info": info}


def sms_row(entry: LedgerEntry, now: float) -> dict[str, Any]:
    """A record row of the legacy query API, as of ``now``."""
    final_at = entry.reached_at(DELIVERED, now) or entry.reached_at(UNDELIVERED, now)
    dr, dr_status = {DELIVERED: ("DELIVRD", "Successful"), UNDELIVERED: ("UNDELIV", "Failed")}.get(
        entry.status, ("", "")
    )
    return {
        "phone": entry.recipient,
        "msgid": entry.vendor_id,
        "dr": dr,
        "dr_status": dr_status,
        "dr_time": utc_text(final_at) if final_at is not None else "",
        "date": utc_text(entry.time),
        "body": entry.content,
        "senderid": entry.sender or "",
        "billing_size": sms_segments(entry.content),
        "billing_price": "0.0100",
        "billing_status": "Yes",
        "network": "",
    }


def _compact_date(text: str) -> dt.date | None:
    if not _DATE_COMPACT.fullmatch(text.strip()):
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        return None


# ----- voice ----------------------------------------------------------------------------------

MAX_VOICE_NUMBERS = vendor.VOICE_MAX_NUMBERS
_URL = re.compile(r"https?://[^\s/]+\S*")
#: the mode a send endpoint records, and the CDR row's voice_type (1 verification, 2 notification, 0 group)
VOICE_SENDS = {
    "voice_notify": ("notification", 2),
    "voice_verify": ("verification", 1),
    "voice_broadcast": ("broadcast", 0),
}
CDR_DEFAULT_PAGE_SIZE = 20


def voice_notify(call: Call) -> Reply:
    return _place_calls(call, _spoken(call), MAX_VOICE_NUMBERS, start=call.now)


def voice_verify(call: Call) -> Reply:
    return _place_calls(call, _spoken(call), vendor.VOICE_VERIFY_MAX_NUMBERS, start=call.now)


def voice_broadcast(call: Call) -> Reply:
    form = call.form
    url = form.get("url", "").strip()
    if not url:
        raise reject(call, "2", "url is required")
    if not _URL.fullmatch(url):
        raise reject(call, "20")
    start = _task_start(call, form.get("task_time", "").strip(), form.get("time_zone", "").strip())
    return _place_calls(call, (url, {}), MAX_VOICE_NUMBERS, start=start)


def _spoken(call: Call) -> tuple[str, dict[str, Any]]:
    """The TTS content and lang of notsend / versend."""
    form = call.form
    content, lang = form.get("content", ""), form.get("lang", "").strip()
    if not content.strip():
        raise reject(call, "4")
    if lang not in vendor.VOICE_LANGUAGES:
        raise reject(call, "2", "lang must be a language code of the page's table, such as en")
    return content, {"lang": lang}


def _task_start(call: Call, task_time: str, time_zone: str) -> float:
    """When a group call starts: now, or its task_time (local time at time_zone hours from UTC)."""
    if not task_time:
        return call.now
    if not time_zone:
        raise reject(call, "31")
    try:
        hours = int(time_zone)
        local = dt.datetime.strptime(task_time, vendor.VOICE_TIME_FORMAT)
    except ValueError:
        raise reject(call, "2", "task_time must be yyyy-MM-dd HH:mm:ss and time_zone whole hours") from None
    if not -12 <= hours <= 14:
        raise reject(call, "2", "time_zone must be -12 to 14")
    start = local.replace(tzinfo=dt.timezone(dt.timedelta(hours=hours))).timestamp()
    if start <= call.now:
        raise reject(call, "29")
    return start


def _place_calls(call: Call, what: tuple[str, dict[str, Any]], max_numbers: int, *, start: float) -> Reply:
    """The checks every voice send shares, then one ledger entry per number (reference §6.1)."""
    form = call.form
    country = form.get("country_code", "").strip()
    if not vendor.VOICE_COUNTRY_CODE.fullmatch(country) or not _known_country(country):
        raise reject(call, "23")
    phones = [phone.strip() for phone in form.get("phone", "").split(",") if phone.strip()]
    if not phones:
        raise reject(call, "24")
    if len(phones) > max_numbers:
        raise reject(call, "2", f"at most {max_numbers} numbers per request")
    if not all(vendor.VOICE_PHONE.fullmatch(phone) and phone.startswith(country) for phone in phones):
        raise reject(call, "6", f"phone must be international numbers of country code {country}")
    show_phone = form.get("show_phone", "").strip()
    if not vendor.VOICE_SHOW_PHONE.fullmatch(show_phone):
        raise reject(call, "21")
    content, extra = what
    message_id = call.state.ids.hex(32)
    mode, _ = VOICE_SENDS[call.endpoint.name]
    voice_type = vendor.VOICE_CDR_TYPES[call.endpoint.name]
    for recipient in phones:
        # the call records show the national number with countryCode apart (Voice Record Query.md)
        phone = recipient[len(country) :]
        file_call(
            call.state,
            LedgerEntry(
                platform=PLATFORM,
                kind="voice",
                account=str(call.account),
                app=str(call.account),
                recipient=recipient,
                content=content,
                vendor_id=message_id,
                client_reference=None,  # the legacy voice API takes none
                endpoint=call.endpoint.name,
                time=call.now,
                status="pending",
                sender=show_phone or None,
                timeline=call.state.delivery.sms_timeline(recipient, start),
                details={
                    "mode": mode,
                    "voice_type": voice_type,
                    "country_code": country,
                    "phone": phone,
                    "starts_at": start,
                    **extra,
                    **{k: form[k] for k in ("task_time", "time_zone") if form.get(k)},
                },
            ),
        )
    return {"result": "success", "code": "0", "messageid": message_id}


def voice_upload(call: Call) -> Reply:
    """v1 uploadFile: the voice app's ``appkey`` (a plain field; the contract refuses a file part)
    and the ``file`` part; answers the file's URL in ``data``."""
    parts = call.multipart or {}
    if parts.get("appkey") != call.state.accounts.nxcloud.voice_app_key:
        raise reject(call, 9003)
    upload = parts["file"]
    size = getattr(upload, "size", None)
    if size is None or size > vendor.VOICE_UPLOAD_MAX_BYTES:
        raise reject(call, 15001)
    name = call.state.ids.digits(13)
    suffix = str(getattr(upload, "filename", "") or "").rpartition(".")[2] or "mp3"
    url = f"https://nxcloudhk.oss-cn-hongkong.aliyuncs.com/voice_group/{name}.{suffix}"
    return {"code": 0, "message": "Success", "data": url, "traceId": call.request_id}


def _known_country(code: str) -> bool:
    return phonenumbers.region_code_for_country_code(int(code)) != "ZZ"


#: the store table of the calls getVoiceCdr lists: "<app>:<voiceType>" -> (start times, entries), by start
CALLS_BY_START = "calls_by_start"
#: the store table of each app's last getVoiceCdr arrival (monotonic seconds)
LAST_QUERY = "last_query"


def file_call(state: SimulatorState, entry: LedgerEntry) -> None:
    """File a call in the ledger and in the start-time index getVoiceCdr reads (a month of calls
    is read a page at a time, not by a pass over the ledger per query)."""
    state.ledger.add(entry)
    if state.ledger.keep == "counts":
        return
    starts_at = float(entry.details["starts_at"])
    with state.store.lock:
        table = state.store.table(PLATFORM, CALLS_BY_START)
        starts, entries = table.setdefault(f"{entry.app}:{entry.details['voice_type']}", ([], []))
        at = bisect.bisect_right(starts, starts_at)
        starts.insert(at, starts_at)
        entries.insert(at, entry)


def _check_rate(call: Call) -> None:
    """One getVoiceCdr a second per app, where the simulator is told to enforce it."""
    interval = call.state.query_intervals.get((PLATFORM, call.endpoint.name), 0.0)
    arrived = time.monotonic()
    with call.state.store.lock:
        last = call.state.store.table(PLATFORM, LAST_QUERY)
        previous = last.get(f"{call.endpoint.name}:{call.account}")
        last[f"{call.endpoint.name}:{call.account}"] = arrived
    if interval > 0 and previous is not None and arrived - previous < interval:
        raise reject(
            call,
            VOICE_REPORT_FAILURE,
            f"too frequent: one request every {interval:g} s ({arrived - previous:.3f} s)",
        )


def voice_records(call: Call) -> Reply:
    """getVoiceCdr (reference §6.2): the app's ended calls of one voiceType in a window of at most 24 hours."""
    _check_rate(call)
    form = call.form
    voice_type = form.get("voiceType", "").strip()
    if voice_type not in ("0", "1"):
        raise reject(call, VOICE_REPORT_FAILURE, "voiceType must be 0 (group call) or 1")
    start, end = _cdr_window(call, form.get("start_time", "").strip(), form.get("end_time", "").strip())
    page, size = form.get("page", "1").strip(), form.get("page_size", str(CDR_DEFAULT_PAGE_SIZE)).strip()
    if not page.isdigit() or not size.isdigit() or int(page) < 1 or int(size) < 1:
        raise reject(call, VOICE_REPORT_FAILURE, "page and page_size must be positive whole numbers")
    if int(size) > vendor.VOICE_CDR_MAX_PAGE_SIZE:
        raise reject(
            call, VOICE_REPORT_FAILURE, f"page_size must be at most {vendor.VOICE_CDR_MAX_PAGE_SIZE}"
        )
    message_id = form.get("messageid", "").strip()
    now = call.now
    with call.state.store.lock:
        starts, entries = call.state.store.table(PLATFORM, CALLS_BY_START).get(
            f"{call.account}:{voice_type}", ([], [])
        )
        started = entries[bisect.bisect_left(starts, start) : bisect.bisect_right(starts, end)]
    rows = [
        entry
        for entry in started
        if (not message_id or entry.vendor_id == message_id)
        and entry.status_at(now) in (DELIVERED, UNDELIVERED)
    ]
    number, per_page = int(page), int(size)
    chosen = rows[(number - 1) * per_page : number * per_page]
    info = {
        "total": len(rows),
        "page": number,
        "pageSize": per_page,
        "rows": [voice_row(replace(e, status=e.status_at(now)), now) for e in chosen],
    }
    return {"code": "1", "info": info}


def _cdr_window(call: Call, start_text: str, end_text: str) -> tuple[float, float]:
    if not start_text and not end_text:
        return call.now - vendor.VOICE_CDR_MAX_WINDOW_S, call.now
    try:
        start, end = (
            dt.datetime.strptime(text, vendor.VOICE_TIME_FORMAT).replace(tzinfo=dt.UTC).timestamp()
            for text in (start_text, end_text)
        )
    except ValueError:
        raise reject(
            call, VOICE_REPORT_FAILURE, "start_time and end_time must be yyyy-MM-dd HH:mm:ss"
        ) from None
    if not 0 <= end - start <= vendor.VOICE_CDR_MAX_WINDOW_S:
        raise reject(call, VOICE_REPORT_FAILURE, "end_time must follow start_time by at most 24 hours")
    if start < call.now - vendor.VOICE_CDR_DAYS * 86400:
        raise reject(call, VOICE_REPORT_FAILURE, "only the last 7 days can be queried")
    return start, end


def voice_row(entry: LedgerEntry, now: float) -> dict[str, Any]:
    """A getVoiceCdr row of an ended call: answered at once and hung up after the delivery delay, or not answered."""
    answered = entry.status == DELIVERED
    started = float(entry.details["starts_at"])
    ended = entry.reached_at(entry.status, now) or started
    seconds = max(1, round(ended - started)) if answered else 0
    _, row_type = VOICE_SENDS[entry.endpoint]
    return {
        "id": f"{entry.vendor_id}-{entry.recipient}",
        "result": vendor.VOICE_CDR_ANSWERED if answered else vendor.VOICE_CDR_UNANSWERED,
        "cycle": 60,
        "time": utc_text(ended),
        "start_time": utc_text(started),
        "end_time": utc_text(ended),
        "phone": entry.details["phone"],
        "countryCode": entry.details["country_code"],
        "messageid": entry.vendor_id,
        "second": seconds,
        "size": -(-seconds // 60),
        "customer_price": "0.0300" if answered else "0",
        "basic_price": "0.0300" if answered else "0",
        "show_phone": entry.sender or "",
        "ivr_result": "",
        "voice_type": row_type,
    }


# ----- faults ---------------------------------------------------------------------------------


def fault_reply(kind: FaultKind, endpoint: Endpoint | None) -> Response | None:
    if kind in HTTP_STATUS_OF:
        return gateway_reply(kind)
    if endpoint is None:
        return None
    if kind is FaultKind.TIMESTAMP_EXPIRED:
        if endpoint.auth is not Auth.NXCLOUD_SIGNED:
            return None  # the legacy API carries no timestamp
        code = TIMESTAMP_EXPIRED_CODE
    else:
        found = FAULT_CODES.get(kind, {}).get(endpoint.service)
        if found is None:
            return None
        code = found
    return error_reply(endpoint, code, uuid.uuid4().hex)


def code_reply(endpoint: Endpoint, code: str) -> Response:
    """``code`` as NXCloud answers it on ``endpoint`` (the ``vendor_code`` fault): in the endpoint's
    envelope, or, for an HTTP status that is no code of the service, as the gateway's error page."""
    if lookup_code(PLATFORM, endpoint.service, code) is None and lookup_code(PLATFORM, "http", code):
        return gateway_status_reply(int(code))
    return error_reply(endpoint, code, uuid.uuid4().hex)


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "balance": balance,
    "sms_send_v1": sms_send_json,
    "sms_send_v2": sms_send_json,
    "sms_send_legacy": sms_send_legacy,
    "sms_record": sms_record,
    "sms_records": sms_records,
    "voice_notify": voice_notify,
    "voice_verify": voice_verify,
    "voice_broadcast": voice_broadcast,
    "voice_upload": voice_upload,
    "voice_records": voice_records,
}
