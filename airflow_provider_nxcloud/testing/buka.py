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

Voice (``voice/sendCode`` TTS, one callee; ``voice/sendGroup`` audio file, at most
200 callees, the SDK's cap) answers ``data: [{voiceId, callee, terminationCode,
terminationReason}]`` per callee, the shape onbuka documents for sendGroup (taken
for sendCode too). Codes: "-35" no callee, "-38" TTS text or language missing,
"-50" no fileId, "-22" any other field out of its documented range (callee not
7-15 digits, a list on sendCode, more than 200 on sendGroup, text over 1,000,
unknown language, speakingRate, ssmlGender, loopCount 1-3, recallCount 0-9,
recallInterval 1-999, maxDuration 1-120, maxRingingTime 20-120, displayNum 7-15
digits), "-32" another account's appId. A sendGroup callee that is not 7-15
digits is listed with terminationCode "-21" and not called. Any fileId is taken
(the simulator keeps no audio library). Each call is one ledger entry of kind
"voice" (content: the text or the fileId); calls to numbers the delivery model
marks undeliverable end unanswered. ``GET voice/recordGroup/{voiceId}`` answers a
call's record once the call has ended (after the delivery delay): ``terminationCode``
"200" with an ``answerTime`` when answered, "480" ("No answer") when not; before that,
and for another account's or an unknown id, "-24" (data does not exist).
``voice/recordGroupQuery`` pages the account's ended calls by ``submitTime``
(:func:`voice_records`); seeded calls (:func:`~.seeding.seed_voice_history`) show their own
ring, talk, SIP ending and cost.

Email (``email/sendEmail``): "-5" appId empty (another account's appId "-1"),
"-13" no recipient, "-14" more than 50, "-32" an address that is not one, "-9"
no sender address, "-10" a sender outside the account's domain
:data:`EMAIL_SENDER_DOMAIN` (``noreply@sim.buka.test`` works), "-17" subject
empty or over 100, "-25" templateID not a whole number, "-11" templateID below 1
(any positive id is taken as an approved template), "-18" templateData that is
not a JSON object in a string, "-27" adFlag not 0, 1 or 2. Each address is one
ledger entry of kind "email" (content: the subject). ``email/getSendEmailRcd``
(at most 200 emailIds, "-28" above it, "-5" none) reports -1 sending until the
delivery delay has passed, then 0 sent, or 1 failed for an address whose domain
ends in ``.invalid``. Neither voice nor email takes a client reference, so their
ledger entries have none.

The auth and envelopes here are shared with the task-style modules
(:mod:`~airflow_provider_nxcloud.testing.buka_voice_tasks`, ``buka_ai_voice``), which
import them; this module imports neither. Each exports its ``HANDLERS`` table and
:mod:`~airflow_provider_nxcloud.testing.platform_index` merges them into the platform's router.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.platforms import buka_contracts
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.formats import iso_with_offset
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.progress import DELIVERED, PENDING, UNDELIVERED, Timeline
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

MAX_NUMBERS = vendor.SMS_MAX_NUMBERS
MAX_CONTENT = vendor.SMS_MAX_CONTENT
MAX_SENDER = vendor.SMS_MAX_SENDER_ID
MAX_REPORT_IDS = vendor.REPORT_MAX_IDS

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


#: each service's code for a request whose parameters are wrong (seed 001's tables): SMS, voice
#: and call center "-22 parameter exception", email "-5 field is empty", AI voice "-27 abnormal
#: parameter verification"
PARAMETER_CODE = {"sms": "-22", "voice": "-22", "call_center": "-22", "email": "-5", "ai_voice": "-27"}
#: (endpoint, field) -> {"missing": code, "invalid": code}: the fields whose violation has a code
#: of its own in the service's table (seed 001). Any other violation answers PARAMETER_CODE
#: (ASSUMPTION [SIM-5]: a missing field gets the table's specific code rather than the generic one).
FIELD_CODES: dict[tuple[str, str], dict[str, str]] = {
    # SMS: -4 content empty, -5 content over 1,024, -8 no number
    ("sms_send", "content"): {"missing": "-4", "over": "-5"},
    ("sms_send", "numbers"): {"missing": "-8"},
    ("sms_send_batch", "content"): {"missing": "-4", "over": "-5"},
    ("sms_send_batch", "numbers"): {"missing": "-8"},
    ("sms_report", "msgIds"): {"missing": "-14"},
    # getSentRcd: -11 a time that is not ISO 8601 (onbuka.com/sms-api5's code list)
    ("sms_sent_records", "startTime"): {"invalid": "-11"},
    ("sms_sent_records", "endTime"): {"invalid": "-11"},
    # voice: -35 no number, -38 no text / language, -50 no audio file id
    ("voice_send_code", "callee"): {"missing": "-35"},
    ("voice_send_code", "text"): {"missing": "-38"},
    ("voice_send_code", "language"): {"missing": "-38"},
    ("voice_send_group", "callee"): {"missing": "-35"},
    ("voice_send_group", "fileId"): {"missing": "-50"},
    # group-call tasks: -35 no number (-21 a malformed one), -49 wrong file source, -50 / -51 / -38
    # the chosen source's fields missing
    ("voice_task_create", "numberList"): {"missing": "-35", "empty": "-35", "item": "-21"},
    ("voice_task_create", "source"): {"missing": "-49", "invalid": "-49"},
    ("voice_task_create", "voiceFileId"): {"missing": "-50"},
    ("voice_task_create", "uploadName"): {"missing": "-51"},
    ("voice_task_create", "baseFile"): {"missing": "-51"},
    ("voice_task_create", "text"): {"missing": "-38"},
    ("voice_task_create", "lan"): {"missing": "-38"},
    ("voice_task_resend", "source"): {"missing": "-49", "invalid": "-49"},
    ("voice_task_resend", "voiceFileId"): {"missing": "-50"},
    ("voice_task_resend", "uploadName"): {"missing": "-51"},
    ("voice_task_resend", "baseFile"): {"missing": "-51"},
    ("voice_task_resend", "text"): {"missing": "-38"},
    ("voice_task_resend", "lan"): {"missing": "-38"},
    # email: -9 no sender, -13 no recipient, -17 subject empty or over 100, -25 templateID not an
    # integer, -27 adFlag not recognised, -28 more than 200 emailIds
    ("email_send", "fromEmailAddress"): {"missing": "-9"},
    ("email_send", "toAddress"): {"missing": "-13"},
    ("email_send", "subject"): {"missing": "-17", "empty": "-17", "over": "-17", "invalid": "-17"},
    ("email_send", "templateID"): {"invalid": "-25"},
    ("email_send", "adFlag"): {"invalid": "-27"},
    ("email_records", "emailId"): {"invalid": "-28"},
    # AI voice: -28 AUTO mode without a start time, -56 more than 100 customers in one import
    ("ai_task_add", "startDateTime"): {"missing": "-28"},
    ("ai_import_customer", "customerPersons"): {"over": "-56"},
}


#: the documented contract of each endpoint that has one (the router enforces the same)
CONTRACTS = {contract.endpoint: contract for contract in buka_contracts.CONTRACTS}


def _problems(call: Call) -> list[str]:
    """The documented contract's violations of this request (``path: what`` each)."""
    contract = CONTRACTS.get(call.endpoint.name)
    try:
        return contract.violations(call.payload()) if contract is not None else []
    except BadBody:
        return []


def parameter_code(call: Call) -> str:
    """The service's own code for the first documented field this request breaks."""
    service = call.endpoint.service
    for problem in _problems(call):
        path, _, what = problem.partition(": ")
        if "]." in path:  # a field of an array's item (sendSms/batch's elements): its own rules
            path = path.rsplit(".", 1)[1]
        field = path.split("[")[0]
        codes = FIELD_CODES.get((call.endpoint.name, field))
        if codes is None:
            break  # the first problem decides: a field without a code of its own
        if what == "required and missing":
            kind = "missing"
        elif path != field:
            kind = "item"
        elif "documented minimum" in what:
            kind = "empty"
        elif "documented maximum" in what:
            kind = "over"
        else:
            kind = "invalid"
        if kind in codes:
            return codes[kind]
        break
    return PARAMETER_CODE.get(service, "-22")


def bad_body(call: Call, exc: BadBody) -> Response:
    """The vendor's parameter error, in the endpoint's envelope (the task endpoints answer code/msg)."""
    service = call.endpoint.service
    code = parameter_code(call)
    if call.endpoint.name.startswith("voice_task_"):
        info = lookup_code(PLATFORM, service, code)
        return json_reply({"code": int(code), "msg": info.meaning if info else "error", "data": None})
    return error_reply(service, code)


def _app_id(call: Call, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reject(call, "-22")
    if value not in call.state.accounts.buka.app_ids(call.endpoint.service):
        raise reject(call, "-32")
    return value


# ----- account --------------------------------------------------------------------------------


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
    if call.state.ledger.keep == "counts":
        # the lean ledger only counts: no entry (nor its delivery timeline) is built per number
        for send in sends:
            for number, order_id in send.targets:
                accepted.append(
                    {"msgId": call.state.ids.digits(19), "number": number, "orderId": order_id or ""}
                )
        call.state.ledger.tally(PLATFORM, "sms", len(accepted))
        failed = sum(send.failed for send in sends)
        return {
            "status": "0",
            "reason": "success",
            "success": len(accepted),
            "fail": failed,
            "array": accepted,
        }
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


def sms_send(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app_id(call, body.get("appId"))
    return _accept(call, app_id, [_Send(call, body)])


def sms_send_batch(call: Call) -> Reply:
    body = call.json_object()
    app_id = _app_id(call, body.get("appId"))
    items = body.get("array")
    if not isinstance(items, list) or not items:
        raise reject(call, "-22")
    # every element is checked before any is sent: one bad element fails the whole batch
    sends = [_Send(call, item) for item in items]
    return _accept(call, app_id, sends)


def sms_report(call: Call) -> Reply:
    app_id = _app_id(call, call.query.get("appId"))
    ids = [i.strip() for i in call.query.get("msgIds", "").split(",") if i.strip()]
    if not ids:
        raise reject(call, "-14")
    if len(ids) > MAX_REPORT_IDS:
        raise reject(call, "-22")
    return _status_report(call, ids, kind="sms", app_id=app_id, id_field="msgId", to_field="number")


def _status_report(
    call: Call, ids: list[str], *, kind: str, app_id: str, id_field: str, to_field: str
) -> Reply:
    """getReport and getSendEmailRcd: counters plus one row per known id (0 done, 1 failed, -1 pending)."""
    now = call.now
    rows: list[dict[str, Any]] = []
    counters = {"success": 0, "fail": 0, "sending": 0, "nofound": 0}
    for vendor_id in ids:
        entry = call.state.ledger.get(PLATFORM, vendor_id)
        if entry is None or entry.kind != kind or entry.app != app_id:
            counters["nofound"] += 1
            continue
        status = REPORT_STATUS.get(entry.status, REPORT_PENDING)
        counters[{0: "success", 1: "fail"}.get(status, "sending")] += 1
        final_at = entry.reached_at(entry.status, now) if status != REPORT_PENDING else None
        rows.append(
            {
                id_field: entry.vendor_id,
                to_field: entry.recipient,
                "receiveTime": iso_with_offset(final_at, REPORT_OFFSET_HOURS) if final_at else "",
                "status": status,
            }
        )
    return {"status": "0", "reason": "success", **counters, "array": rows}


def sms_sent_records(call: Call) -> Reply:
    """getSentRcd (onbuka.com/sms-api5): the app's SMS with a ``receiveTime`` in the window, oldest first.

    A time that is not ISO 8601 with an offset answers -11 ("Incorrect time format", the page's
    code list); a window over 31 days, reaching back over 90 days, or ending before it starts
    -25 ("Out of time range", ASSUMPTION [BK-51]); a ``startIndex`` that is not a whole number
    -22. At most 50,000 rows from ``startIndex``. Each row is
    ``{msgId, number, receiveTime, status}``, as the page documents (no content, senderId or
    orderId): ``receiveTime`` is when Buka accepted the message (the simulator's reading of
    the page's "receive time", ASSUMPTION [BK-22]), in +08:00; ``status`` "2" once the
    message failed, else "0".
    """
    app_id = _app_id(call, call.query.get("appId"))
    start = _iso_epoch(call.query.get("startTime", ""))
    end = _iso_epoch(call.query.get("endTime", ""))
    now = call.now
    if start is None or end is None:
        raise reject(call, vendor.SMS_SENT_RECORDS_TIME_FORMAT_CODE)
    if (
        end < start
        or end - start > vendor.SMS_SENT_RECORDS_MAX_WINDOW_DAYS * 86400
        or start < now - vendor.SMS_SENT_RECORDS_DAYS * 86400
    ):
        raise reject(call, vendor.SMS_SENT_RECORDS_RANGE_CODE)
    index_text = call.query.get("startIndex", "0").strip() or "0"
    if not index_text.isdigit():
        raise reject(call, "-22")
    index = int(index_text)
    # a lagging list: what was accepted in the last sent_records_lag_s seconds is not listed yet
    end = min(end, now - call.state.accounts.buka.sent_records_lag_s)
    chosen, _ = call.state.ledger.page(
        PLATFORM, "sms", app_id, start, end, index, call.state.accounts.buka.sent_records_page_rows
    )
    array = [
        {
            "msgId": entry.vendor_id,
            "number": entry.recipient,
            "receiveTime": iso_with_offset(entry.time, REPORT_OFFSET_HOURS),
            "status": vendor.SMS_SENT_STATUS_FAILED
            if entry.status_at(now) == UNDELIVERED
            else vendor.SMS_SENT_STATUS_SENT,
        }
        for entry in chosen
    ]
    failed = sum(1 for row in array if row["status"] == vendor.SMS_SENT_STATUS_FAILED)
    return {
        "status": "0",
        "reason": "success",
        "success": str(len(array) - failed),
        "fail": str(failed),
        "array": array,
    }


def _iso_epoch(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 time with an offset (the page's format), else None."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


# ----- voice ----------------------------------------------------------------------------------

#: a seeded call: seconds from submit to dialling, ringing to the ring timeout, talking at most
SEEDED_DIAL_S = (1, 4)
SEEDED_RING_TIMEOUT_S = 45
SEEDED_TALK_S = (4, 240)
#: the longest a seeded call lasts from its submit to its hang-up (the simulator lists a call
#: only once it has ended, and needs to know how far back every call has)
SEEDED_LONGEST_CALL_S = SEEDED_DIAL_S[1] + SEEDED_RING_TIMEOUT_S + SEEDED_TALK_S[1]

MAX_GROUP_CALLEES = vendor.VOICE_GROUP_MAX_CALLEES
MAX_TTS_TEXT = vendor.VOICE_MAX_TTS_TEXT
MAX_CALLED_INFO = 1000
VOICE_LANGUAGES = frozenset(vendor.VOICE_LANGUAGES)
_CALLEE = re.compile(r"[0-9]{7,15}")
#: field -> allowed whole numbers, for the fields both voice sends take
_VOICE_RANGES = {"loopCount": range(1, 4), "maxDuration": range(1, 121), "maxRingingTime": range(20, 121)}
_TTS_RANGES = {"recallCount": range(0, 10), "recallInterval": range(1, 1000)}


def _voice_numbers(call: Call, body: dict[str, Any], ranges: dict[str, range]) -> None:
    for name, allowed in ranges.items():
        value = body.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value not in allowed
        ):
            raise reject(call, "-22")


def _voice_common(call: Call, body: dict[str, Any]) -> tuple[str, str | None]:
    """The appId and displayNum of a voice send, after the fields both sends share are checked."""
    app_id = _app_id(call, body.get("appId"))
    _voice_numbers(call, body, _VOICE_RANGES)
    display = body.get("displayNum")
    if display not in (None, "") and not (isinstance(display, str) and _CALLEE.fullmatch(display)):
        raise reject(call, "-22")
    info = body.get("calledInfo")
    if info is not None and (not isinstance(info, str) or len(info) > MAX_CALLED_INFO):
        raise reject(call, "-22")
    return app_id, display or None


def _callees(call: Call, body: dict[str, Any]) -> list[str]:
    text = body.get("callee")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise reject(call, "-35")
    if not isinstance(text, str):
        raise reject(call, "-22")
    return [callee.strip() for callee in text.split(",")]


def _call(
    call: Call, app_id: str, callee: str, content: str, display: str | None, mode: str
) -> dict[str, Any]:
    voice_id = call.state.ids.digits(19)
    now = call.now
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind="voice",
            account=str(call.account),
            app=app_id,
            recipient=callee,
            content=content,
            vendor_id=voice_id,
            client_reference=None,  # Buka voice takes none
            endpoint=call.endpoint.name,
            time=now,
            status="pending",
            sender=display,
            timeline=call.state.delivery.sms_timeline(callee, now),
            details={"mode": mode},
        )
    )
    return {"voiceId": voice_id, "callee": callee, "terminationCode": "0", "terminationReason": "success"}


def voice_send_code(call: Call) -> Reply:
    body = call.json_object()
    app_id, display = _voice_common(call, body)
    callees = _callees(call, body)
    text, language = body.get("text"), body.get("language")
    if text in (None, "") or language in (None, ""):
        raise reject(call, "-38")
    if not isinstance(text, str) or len(text) > MAX_TTS_TEXT or language not in VOICE_LANGUAGES:
        raise reject(call, "-22")
    rate, gender = body.get("speakingRate"), body.get("ssmlGender")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.25 <= rate <= 4
    ):
        raise reject(call, "-22")
    if gender is not None and (isinstance(gender, bool) or gender not in (1, 2)):
        raise reject(call, "-22")
    _voice_numbers(call, body, _TTS_RANGES)
    # sendCode calls one number: a list is not a callee
    if len(callees) != 1 or not _CALLEE.fullmatch(callees[0]):
        raise reject(call, "-22")
    item = _call(call, app_id, callees[0], text, display, "tts")
    return {"status": "0", "reason": "success", "data": [item]}


def voice_send_group(call: Call) -> Reply:
    body = call.json_object()
    app_id, display = _voice_common(call, body)
    file_id = body.get("fileId")
    if file_id in (None, ""):
        raise reject(call, "-50")
    if not isinstance(file_id, str):
        raise reject(call, "-22")
    callees = _callees(call, body)
    if len(callees) > MAX_GROUP_CALLEES:
        raise reject(call, "-22")
    if not any(_CALLEE.fullmatch(callee) for callee in callees):
        raise reject(call, "-35")
    data = []
    for callee in callees:
        if _CALLEE.fullmatch(callee):
            data.append(_call(call, app_id, callee, file_id, display, "audio"))
        else:
            info = lookup_code(PLATFORM, "voice", "-21")
            reason = info.meaning if info else "error"
            data.append(
                {"voiceId": "", "callee": callee, "terminationCode": "-21", "terminationReason": reason}
            )
    return {"status": "0", "reason": "success", "data": data}


#: the SIP outcome a call record shows: (terminationCode, terminationReason)
CALL_ANSWERED = ("200", "Normal call clearing")
CALL_UNANSWERED = ("480", "No answer")


def voice_record(call: Call) -> Reply:
    """A group/OTP call's record (onbuka voice-api11), written when the call ends."""
    entry = call.state.ledger.get(PLATFORM, call.path_params.get("voice_id", ""))
    if entry is None or entry.kind != "voice" or entry.account != call.account:
        raise reject(call, "-24")
    ended_at = entry.reached_at(entry.status, call.now)
    if entry.status not in (DELIVERED, UNDELIVERED) or ended_at is None:
        raise reject(call, "-24")
    return {"status": "0", "reason": "success", "data": call_record(entry, ended_at)}


def call_record(entry: LedgerEntry, ended_at: float) -> dict[str, Any]:
    """A call answered at once and ended after the delivery delay, or one that rang out unanswered;
    a seeded call (:func:`~.seeding.seed_voice_history`) as its details say it went."""
    if "sip" in entry.details:
        return _dialled_record(entry, ended_at)
    answered = entry.status == DELIVERED
    code, reason = CALL_ANSWERED if answered else CALL_UNANSWERED
    seconds = max(1, round(ended_at - entry.time)) if answered else 0

    def at(epoch: float) -> str:
        return iso_with_offset(epoch, REPORT_OFFSET_HOURS)

    return {
        "voiceId": entry.vendor_id,
        "callee": entry.recipient,
        "displayNum": entry.sender or "",
        "submitTime": at(entry.time),
        "callTime": at(entry.time),
        "ringingTime": at(entry.time),
        "answerTime": at(entry.time) if answered else "",
        "hangupTime": at(ended_at),
        "callDuration": seconds,
        "chargedDuration": seconds,
        "terminationCode": code,
        "terminationReason": reason,
        "feedbackValue": "",
        "costEur": "0.0200" if answered else "0",
        "voiceFileId": entry.content if entry.details.get("mode") == "audio" else "",
    }


def _dialled_record(entry: LedgerEntry, ended_at: float) -> dict[str, Any]:
    """A seeded call's record: dialled, rung, perhaps answered and talked, billed per period."""
    call = entry.details
    called = entry.time + call["dial_s"]
    answered_at = called + call["ring_s"] if call["sip"] == CALL_ANSWERED[0] else None
    talk = int(call["talk_s"])
    period = int(str(call["bill_period"]).split("+")[1])
    charged = -(-talk // period) * period
    cost = Decimal(call["rate"]) * charged / 60

    def at(epoch: float | None) -> str:
        return "" if epoch is None else iso_with_offset(epoch, REPORT_OFFSET_HOURS)

    return {
        "voiceId": entry.vendor_id,
        "callee": entry.recipient,
        "displayNum": entry.sender or "",
        "code": call["area"],
        "submitTime": at(entry.time),
        "callTime": at(called),
        "ringingTime": at(called + 1) if call["ring_s"] else "",
        "answerTime": at(answered_at),
        "hangupTime": at(ended_at),
        "callDuration": talk,
        "chargedDuration": charged,
        "terminationCode": call["sip"],
        "terminationReason": call["reason"],
        "costEur": f"{cost:.4f}",
        "billPeriod": call["bill_period"],
        "rate": call["rate"],
        "baseCost": "0.0000",
        "voiceFileId": entry.content if call["mode"] == "audio" else "",
        "feedbackValue": call["feedback"],
        "calledInfo": "",
    }


def _ended_calls(
    call: Call, start: float, end: float, skip: int, count: int
) -> tuple[list[LedgerEntry], int]:
    """The account's calls placed in ``[start, end]`` that have ended (their record is written),
    oldest first per voice app: ``count`` of them from ``skip``, and how many the window holds.

    Calls placed more than the longest call ago have all ended: that part of the window is
    paged by the ledger's time index; only the calls of the last minutes are looked at one by one.
    """
    now = call.now
    longest = max(call.state.delivery.delay, SEEDED_LONGEST_CALL_S)
    settled = min(end, now - longest)
    ledger = call.state.ledger
    chosen: list[LedgerEntry] = []
    total = 0
    for app in sorted(call.state.accounts.buka.app_ids("voice")):
        head_total = ledger.page(PLATFORM, "voice", app, start, settled, 0, 0)[1] if settled >= start else 0
        recent, _ = ledger.page(PLATFORM, "voice", app, max(start, settled), end, 0, 1 << 62)
        tail = [
            e
            for e in recent
            if (settled < start or e.time > settled)
            and e.status in (DELIVERED, UNDELIVERED)
            and e.account == call.account
        ]
        wanted = count - len(chosen)
        if wanted > 0 and skip < head_total:
            part, _ = ledger.page(PLATFORM, "voice", app, start, settled, skip, wanted)
            chosen.extend(part)
        wanted = count - len(chosen)
        if wanted > 0:
            first = max(0, skip - head_total)
            chosen.extend(tail[first : first + wanted])
        skip = max(0, skip - head_total - len(tail))
        total += head_total + len(tail)
    return chosen, total


def voice_records(call: Call) -> Reply:
    """voice/recordGroupQuery (onbuka.com/voice-api12): the account's group/OTP call records, a page.

    Calls whose ``submitTime`` lies in ``[strTime, endTime]`` (both inclusive, ASSUMPTION [SIM-21])
    and that have ended, oldest first; a window longer than 31 days, ending before it starts, or
    starting more than :data:`~.platforms.buka.VOICE_RECORDS_KEPT_DAYS` days ago answers "-25"
    (out of time range); ``current`` below 1 answers "-22", and the documented contract (``size``
    1-100, the ISO 8601 times) refuses the rest with "-22". ``size`` defaults to 25, as documented.
    """
    body = call.json_object()
    params = body.get("params") or {}
    start = _iso_epoch(str(params.get("strTime", "")))
    end = _iso_epoch(str(params.get("endTime", "")))
    now = call.now
    if (
        start is None
        or end is None
        or end < start
        or end - start > vendor.VOICE_RECORDS_MAX_WINDOW_DAYS * 86400
        or start < now - vendor.VOICE_RECORDS_KEPT_DAYS * 86400
    ):
        raise reject(call, "-25")
    current, size = body.get("current", 1), body.get("size", 25)
    if not isinstance(current, int) or isinstance(current, bool) or current < 1:
        raise reject(call, "-22")
    entries, total = _ended_calls(call, start, end, (current - 1) * size, size)
    records = [call_record(entry, entry.reached_at(entry.status, now) or now) for entry in entries]
    return {
        "status": "0",
        "reason": "success",
        "data": {
            "total": total,
            "size": size,
            "current": current,
            "pages": -(-total // size),
            "searchCount": True,
            "records": records,
        },
    }


# ----- email ----------------------------------------------------------------------------------

MAX_EMAIL_ADDRESSES = vendor.EMAIL_MAX_ADDRESSES
MAX_SUBJECT = vendor.EMAIL_MAX_SUBJECT
MAX_EMAIL_QUERY_IDS = vendor.EMAIL_QUERY_MAX_IDS
#: the domain whose addresses every simulated account may send from (the account
#: has no list of configured senders)
EMAIL_SENDER_DOMAIN = "sim.buka.test"
DEFAULT_EMAIL_SENDER = f"noreply@{EMAIL_SENDER_DOMAIN}"
#: addresses at domains ending in this fail delivery
UNDELIVERABLE_EMAIL_DOMAIN_SUFFIX = ".invalid"
#: getSendEmailRcd's per-email status is getReport's: 0 sent, 1 failed, -1 sending
_EMAIL = re.compile(
    r"[^@\s,]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def _email_app_id(call: Call, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reject(call, "-5")
    if value not in call.state.accounts.buka.app_ids("email"):
        raise reject(call, "-1")  # email has no "no permission for this app" code
    return value


def _email_sender(call: Call, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise reject(call, "-9")
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        raise reject(call, "-10")
    if value.strip().rsplit("@", 1)[1].lower() != EMAIL_SENDER_DOMAIN:
        raise reject(call, "-10")
    return value.strip()


def _email_template(call: Call, body: dict[str, Any]) -> str:
    template_id = body.get("templateID")
    if template_id is None or template_id == "":
        raise reject(call, "-5")
    if isinstance(template_id, bool) or not isinstance(template_id, int | str):
        raise reject(call, "-25")
    try:
        number = int(template_id)
    except ValueError:
        raise reject(call, "-25") from None
    if number < 1:
        raise reject(call, "-11")
    data = body.get("templateData")
    if data not in (None, ""):
        try:
            variables = json.loads(data) if isinstance(data, str) else None
        except ValueError:
            variables = None
        if not isinstance(variables, dict):
            raise reject(call, "-18")
    return str(number)


def _email_recipients(call: Call, value: Any) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise reject(call, "-13")
    if not isinstance(value, str):
        raise reject(call, "-5")
    addresses = [address.strip() for address in value.split(",")]
    if len(addresses) > MAX_EMAIL_ADDRESSES:
        raise reject(call, "-14")
    if not all(_EMAIL.fullmatch(address) for address in addresses):
        raise reject(call, "-32")
    return addresses


def _email_timeline(call: Call, address: str, accepted_at: float) -> Timeline:
    domain = address.rsplit("@", 1)[1].lower()
    final = UNDELIVERED if domain.endswith(UNDELIVERABLE_EMAIL_DOMAIN_SUFFIX) else DELIVERED
    return ((accepted_at, PENDING), (accepted_at + call.state.delivery.delay, final))


def email_send(call: Call) -> Reply:
    body = call.json_object()
    app_id = _email_app_id(call, body.get("appId"))
    addresses = _email_recipients(call, body.get("toAddress"))
    sender = _email_sender(call, body.get("fromEmailAddress"))
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT:
        raise reject(call, "-17")
    template_id = _email_template(call, body)
    ad_flag = body.get("adFlag")
    if ad_flag is not None and (isinstance(ad_flag, bool) or ad_flag not in (0, 1, 2)):
        raise reject(call, "-27")
    now = call.now
    accepted = []
    for address in addresses:
        email_id = call.state.ids.hex(32)
        call.state.ledger.add(
            LedgerEntry(
                platform=PLATFORM,
                kind="email",
                account=str(call.account),
                app=app_id,
                recipient=address,
                content=subject,
                vendor_id=email_id,
                client_reference=None,  # Buka email takes none
                endpoint=call.endpoint.name,
                time=now,
                status="pending",
                sender=sender,
                timeline=_email_timeline(call, address, now),
                details={"templateID": template_id, "templateData": body.get("templateData")},
            )
        )
        accepted.append({"emailId": email_id, "toAddress": address, "emailState": "0", "remark": "success"})
    return {"status": "0", "reason": "success", "success": len(accepted), "fail": 0, "array": accepted}


def email_records(call: Call) -> Reply:
    body = call.json_object()
    app_id = _email_app_id(call, body.get("appId"))
    text = body.get("emailId")
    ids = [i.strip() for i in text.split(",") if i.strip()] if isinstance(text, str) else []
    if not ids:
        raise reject(call, "-5")
    if len(ids) > MAX_EMAIL_QUERY_IDS:
        raise reject(call, "-28")
    return _status_report(call, ids, kind="email", app_id=app_id, id_field="emailId", to_field="toAddress")


# ----- call center ----------------------------------------------------------------------------


#: the ledger kind of a Buka call-center call (what ``cc/record/query`` serves)
CALL_CENTER_KIND = "call_center"
#: the call center's own number on its records (the caller of outgoing calls)
CALL_CENTER_NUMBER = "6531000000"
#: record stamps are ``yyyy-MM-dd HH:mm:ss`` (onbuka.com/call-api21) in China time (ASSUMPTION [BK-41])
_STAMP_ZONE = dt.timezone(dt.timedelta(hours=vendor.CALL_RECORD_STAMP_OFFSET_HOURS))


def cc_record_query(call: Call) -> Reply:
    """cc/record/query (onbuka.com/call-api20): the account's call-center calls started in the
    window, oldest first, ``size`` a page from page ``current``.

    Refusals: a window longer than 32 days "-35" (the call-center code table); a window that
    starts before the records kept (:data:`~.platforms.buka.CALL_RECORD_DAYS`) "-25" out of time
    range; times that are not ISO 8601 with an offset, a window ending before it starts, or a
    ``current`` below 1 "-22" (``size`` outside 1-100 and missing fields are refused by the
    contract, "-22" too). Both bounds are inclusive. ASSUMPTION [SIM-20]: each record carries
    the query page's and the record push's fields (onbuka.com/call-api20, call-api21); the
    simulator files no call-center call of its own, only seeded history.
    """
    body = call.json_object()
    params = body.get("params")
    if not isinstance(params, dict):
        raise reject(call, "-22")
    start = _iso_epoch(str(params.get("startTime", "")))
    end = _iso_epoch(str(params.get("endTime", "")))
    current, size = body.get("current"), body.get("size")
    if start is None or end is None or end < start or not isinstance(current, int) or current < 1:
        raise reject(call, "-22")
    if end - start > vendor.CALL_RECORD_MAX_WINDOW_DAYS * 86400:
        raise reject(call, vendor.CALL_RECORD_WINDOW_CODE)
    if start < call.now - vendor.CALL_RECORD_DAYS * 86400:
        raise reject(call, vendor.CALL_RECORD_OUT_OF_RANGE_CODE)
    assert isinstance(size, int)  # the contract's 1-100
    chosen, total = call.state.ledger.page(
        PLATFORM, CALL_CENTER_KIND, None, start, end, (current - 1) * size, size
    )
    # the simulator has one Buka account: the ledger's call-center series is its call center
    records = [call_center_record(entry) for entry in chosen]
    return {
        "status": "0",
        "reason": "success",
        "data": {
            "total": total,
            "size": size,
            "current": current,
            "pages": -(-total // size),
            "records": records,
        },
    }


def call_center_record(entry: LedgerEntry) -> dict[str, Any]:
    """A seeded call as cc/record/query lists it (onbuka.com/call-api20's and call-api21's fields)."""
    details = entry.details
    call_type = int(details["callType"])
    seconds = int(details["callDuration"])
    answered = seconds > 0

    def at(epoch: float) -> str:
        return dt.datetime.fromtimestamp(epoch, _STAMP_ZONE).strftime(vendor.CALL_RECORD_STAMP_FORMAT)

    inbound = call_type == 2
    customer, center = entry.recipient, entry.sender or CALL_CENTER_NUMBER
    return {
        "keyId": details["keyId"],
        "callId": "",
        "callSessionId": entry.vendor_id,
        "caller": customer if inbound else center,
        "called": center if inbound else customer,
        "encryptCalled": "",
        "calledInfo": "",
        "ccode": "65",
        "ccodeName": "Singapore",
        "agentName": details["agent"],
        "agentGroupName": "sim-group",
        "agentAccount": f"{details['agent']}@sim",
        "callDuration": seconds,
        "callType": call_type,
        "hangupCode": "200" if answered else "480",
        "hangupReason": details["hangupReason"],
        "hangingDirection": details["hangingDirection"],
        "labels": [],
        "remark": "",
        "callStartTime": at(entry.time),
        "answerTime": at(entry.time) if answered else "",
        "callEndTime": at(entry.time + seconds),
        "voiceUrl": f"https://records.sim.buka.test/{entry.vendor_id}.mp3" if answered else "",
    }


# ----- faults ---------------------------------------------------------------------------------


def fault_reply(kind: FaultKind, endpoint: Endpoint | None) -> Response | None:
    if kind in HTTP_STATUS_OF:
        return gateway_reply(kind)
    if endpoint is None:
        return None
    code = FAULT_CODES.get(kind, {}).get(endpoint.service)
    return None if code is None else error_reply(endpoint.service, code)


def code_reply(endpoint: Endpoint, code: str) -> Response:
    """``code`` as Buka answers it on ``endpoint`` (the ``vendor_code`` fault): in the service's
    envelope, or, for an HTTP status that is no code of the service, as the gateway's error page."""
    if lookup_code(PLATFORM, endpoint.service, code) is None and lookup_code(PLATFORM, "http", code):
        return gateway_status_reply(int(code))
    return error_reply(endpoint.service, code)


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "balance": balance,
    "sms_send": sms_send,
    "sms_send_batch": sms_send_batch,
    "sms_report": sms_report,
    "sms_sent_records": sms_sent_records,
    "voice_send_code": voice_send_code,
    "voice_send_group": voice_send_group,
    "voice_record": voice_record,
    "voice_records": voice_records,
    "email_send": email_send,
    "email_records": email_records,
    "cc_record_query": cc_record_query,
}
