"""Buka family (onbuka and its white-label hosts): signing, endpoints and envelopes.

Facts from onbuka.com's API pages and the official Java SDK; white-label
hosts serve the same paths, some without the ``/v3`` segment (hence the
``base_path`` connection extra).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
from collections.abc import Mapping, Sequence
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
#: where a person checks a campaign (the vendor's site; its console is reached from there).
#: ASSUMPTION [X-4]: no page documents a deep link to a message or a send
CONSOLE_URL = "https://www.onbuka.com/"
#: the API's documentation (signing, SMS, voice, email pages; the provider info's external-doc-url)
DOC_URL = "https://www.onbuka.com/api"
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
#: getSentRcd (onbuka.com/sms-api5): records of the last 90 days, at most 31 days per query,
#: at most 50,000 rows per call (the next from ``startIndex``); row ``status`` 0 sent, 2 failed.
#: A row carries ``msgId``, ``number``, ``receiveTime`` and ``status`` only: no content,
#: senderId or orderId
SMS_SENT_RECORDS_DAYS = 90
SMS_SENT_RECORDS_MAX_WINDOW_DAYS = 31
SMS_SENT_RECORDS_PAGE_ROWS = 50_000
SMS_SENT_STATUS_SENT = "0"
SMS_SENT_STATUS_FAILED = "2"
#: getSentRcd's answer to a time it cannot read ("-11 Incorrect time format", onbuka.com/sms-api5's
#: code list) and to a window over 31 days or older than 90: ASSUMPTION [BK-51], "-25 Out of time
#: range" of the SMS code table (the Chinese copy, itniotech.cn/api/sms/getSentRcd, lists "-16 out
#: of the time range limit", which the English pages and the code table give as "timestamp expired")
SMS_SENT_RECORDS_TIME_FORMAT_CODE = "-11"
SMS_SENT_RECORDS_RANGE_CODE = "-25"
#: a getSentRcd row's ``status`` -> (the export's status, its meaning). onbuka.com/sms-api5 documents
#: 0 and 2; its Chinese copy (itniotech.cn/api/sms/getSentRcd) 0, -1 "sending" and 1 "failed"
SMS_SENT_STATUSES: dict[str, tuple[str, str]] = {
    "0": ("sent", "sent successfully"),
    "2": ("failed", "sending failed"),
    "1": ("failed", "sending failed"),
    "-1": ("sending", "still being sent"),
}
#: ASSUMPTION [BK-50]: getSentRcd lists every SMS of a period 15 minutes after the period ends.
#: The page documents no freshness; its Chinese copy lists "the SMS whose sending has completed" in
#: the period, so a message shows only once sent. An export holds an interval until this long after
#: its end; running the interval again later replaces its file with what the list holds by then
SMS_SENT_RECORDS_SETTLE_S = 15 * 60
#: voice/sendGroup callees per request: the official SDK's cap. onbuka's English page says
#: 1,000 and its Chinese page 500; the lowest documented value is the one every host accepts.
VOICE_GROUP_MAX_CALLEES = 200
#: voice/sendCode calls one callee per request (the SDK and onbuka's page document ``callee``
#: as a single 7-15 digit number, not a list)
VOICE_CODE_MAX_CALLEES = 1
VOICE_MAX_TTS_TEXT = 1000
#: sendCode's language codes (the SDK's list; TH is in onbuka's list for group-call TTS)
VOICE_LANGUAGES = ("VN", "EN", "JP", "ARB", "DE", "IN", "IT", "KR", "RU", "ES", "PT", "IDN", "BD", "TH")

# ----- group/OTP call records (``voice/recordGroupQuery``, onbuka.com/voice-api12) -----------------

#: ``size``: "Number displayed on each page: 1-100, default 25" (onbuka.com/voice-api12; the SDK's
#: QueryDTO says 1-100 too)
VOICE_RECORDS_MAX_PAGE_SIZE = 100
#: "The maximum interval between the starting time and the ending time is 31 days" (voice-api12)
VOICE_RECORDS_MAX_WINDOW_DAYS = 31
#: "for recent two months" (voice-api11, voice-api12, the SDK's recordGroupQuery javadoc).
#: ASSUMPTION [BK-45]: read as the last 59 days, the shortest two consecutive calendar months
VOICE_RECORDS_KEPT_DAYS = 59
#: ASSUMPTION [BK-46]: a call's record exists within 30 minutes of its ``submitTime``. Buka writes a
#: record when the call ends; the longest documented call rings 120 s (maxRingingTime 20-120,
#: voice-api6) and talks 999 s (a group-call task's maxCalls, voice-api17): 1,119 s, rounded up
#: for the time the record takes to be written
VOICE_RECORD_SETTLE_S = 30 * 60
#: ``terminationCode`` of an established call ("Sip code, 200 means the call is successfully
#: established", onbuka.com/voice-api11). The white-label copies of the page write "status code:
#: 0 success, others failure" (itniotech.cn/api/voice/recordGroupQuery) and put the SIP code in a
#: separate ``sipCode`` (laaffic.com/api/voice/pushVoiceReport), so "0" is read as that success
VOICE_RECORD_ESTABLISHED_CODE = "200"
VOICE_RECORD_WHITE_LABEL_SUCCESS_CODE = "0"
#: a record's fields (onbuka.com/voice-api12 response table; ``cost`` instead of ``costEur`` on the
#: white-label copies, in the account's quoted currency)
VOICE_RECORD_FIELDS = (
    "voiceId",
    "callee",
    "displayNum",
    "code",
    "submitTime",
    "callTime",
    "ringingTime",
    "answerTime",
    "hangupTime",
    "callDuration",
    "chargedDuration",
    "terminationCode",
    "terminationReason",
    "costEur",
    "billPeriod",
    "rate",
    "baseCost",
    "voiceFileId",
    "feedbackValue",
    "calledInfo",
)
#: cc/record/query: page size 1-100 (onbuka.com/call-api20)
CALL_RECORD_PAGE_SIZE = 100
#: email/sendEmail: addresses per request (-14), subject length (-17); getSendEmailRcd ids (-28)
EMAIL_MAX_ADDRESSES = 50
EMAIL_MAX_SUBJECT = 100
EMAIL_QUERY_MAX_IDS = 200
#: getSendEmailRcd's row ``status`` -> (the export's status, its meaning): "0 sent, -1 sending,
#: 1 failed" (itnio.cn's getSendEmailRcd page; reference A.8)
EMAIL_RECORD_STATUSES: dict[str, tuple[str, str]] = {
    "0": ("sent", "sent successfully"),
    "-1": ("sending", "still being sent"),
    "1": ("failed", "sending failed"),
}
#: ASSUMPTION [BK-52]: getSendEmailRcd answers for the emails of the last 90 days. No page gives the
#: email records' retention; 90 days is the SMS status queries' documented minimum (onbuka.com/sms-api4
#: "90-120 days", sms-api5 "90 days"). An older email would be counted ``nofound``, never an error
EMAIL_RECORDS_DAYS = 90

# ----- voice group-call tasks (``voice/group/call/...``, onbuka voice-api17..21) -----------------

#: numberList: numbers per task; taskName: characters (unique per account)
VOICE_TASK_MAX_NUMBERS = 200_000
VOICE_TASK_NAME_LENGTH = (2, 64)
#: loopCount (plays of the audio) and maxCalls (forced hang-up after N seconds)
VOICE_TASK_LOOP_COUNT = (1, 9)
VOICE_TASK_MAX_CALL_SECONDS = (1, 999)
#: ASSUMPTION [BK-2]: the task page gives maxRingingTime no range; voice/sendGroup's 20-120 s is used
VOICE_TASK_RINGING_SECONDS = (20, 120)
#: displayNum: 0-20 digits
VOICE_TASK_DISPLAY_NUMBER_DIGITS = 20
#: TTS text ("tts text Max 1000", onbuka.com/voice-api17)
VOICE_TASK_MAX_TEXT = VOICE_MAX_TTS_TEXT
#: hang-up SMS text ("smsContent ... maximum 1000 characters", onbuka.com/voice-api17)
VOICE_TASK_MAX_SMS_CONTENT = 1000
#: ``source`` -> the fields that source needs: 1 an uploaded file, 2 upload now, 3 TTS
VOICE_TASK_SOURCES: dict[int, tuple[str, ...]] = {
    1: ("voiceFileId",),
    2: ("uploadName", "baseFile"),
    3: ("text", "lan"),
}
#: the code a source without its fields gets, per source; -49 for an unknown source
VOICE_TASK_SOURCE_CODES = {1: "-50", 2: "-51", 3: "-38"}
VOICE_TASK_BAD_SOURCE_CODE = "-49"
#: audio formats voice/fileUpload takes; uploadName is taken to follow fileName's 5-32 characters (ASSUMPTION [BK-3])
VOICE_TASK_AUDIO_SUFFIXES = (".mp3", ".wav")
VOICE_TASK_UPLOAD_NAME_LENGTH = (5, 32)
#: sendTime and allowSendTime formats
VOICE_TASK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
VOICE_TASK_WINDOW_FORMAT = "%H:%M"
#: ASSUMPTION [BK-4]: "HH:mm" has no 24:00, so a window that runs to midnight ends at 23:59
VOICE_TASK_END_OF_DAY = "23:59"
#: ASSUMPTION [BK-1]: sendTime and allowSendTime are China time (UTC+8), the zone of Buka's report times
VOICE_TASK_UTC_OFFSET_HOURS = 8
#: toSeatType by the provider's names: transfer after the group call ends, or on a key press
VOICE_TASK_TRANSFER_TYPES = {"after_task": 1, "on_key": 2}
#: resendType: every number, or only the numbers whose call failed
VOICE_TASK_RESEND_ALL = 0
VOICE_TASK_RESEND_FAILED = 1
#: create: the taskName is taken (-41 "task name already exists"; -20 "data exists" on some hosts)
VOICE_TASK_EXISTS_CODES = frozenset({"-41", "-20"})
#: resend: no callable number is left ("-34")
VOICE_TASK_NOTHING_TO_RESEND_CODES = frozenset({"-34"})
#: the query's page size: 1-100 (onbuka.com/voice-api18 ``size``)
VOICE_TASK_LIST_MAX_SIZE = 100
#: the query's ``params.strTime`` / ``params.endTime`` are required, written ``yyyy-MM-dd HH:mm:ss``
#: (onbuka.com/voice-api18 request sample) and bound the tasks' creation time.
#: ASSUMPTION [BK-5]: the page documents no longest window; 31 days is the longest window of Buka's other
#: voice record queries (onbuka.com/voice-api12), so every host takes it. A task older than this
#: is not found by name (a create then meets -41 "name exists" and fails: never a second task).
VOICE_TASK_QUERY_WINDOW_DAYS = 31
#: the query's window ends this far after "now": covers the vendor's clock and zone being ahead
#: (ASSUMPTION [BK-1] on the zone, see VOICE_TASK_UTC_OFFSET_HOURS) without ever missing a fresh task
VOICE_TASK_QUERY_LEAD_HOURS = 24
#: create's required ``loopCount`` ("Default 1, maximum 9") and ``maxCalls`` (forced hang-up,
#: "maximum 999 seconds"), onbuka.com/voice-api17: sent when the user gives none. The page gives
#: 1 as loopCount's default; it gives maxCalls none, so the provider sends 120 s, the documented
#: ceiling of Buka's other audio calls (voice/sendGroup and voice/sendCode ``maxDuration`` 1-120,
#: onbuka.com/voice-api6 and voice-api7): long enough for a spoken message, and it caps the
#: billed time of a callee who stays on the line.
VOICE_TASK_DEFAULT_LOOP_COUNT = 1
VOICE_TASK_DEFAULT_MAX_CALL_SECONDS = 120  # ASSUMPTION [BK-6]: the page gives no default
#: a task in the query's records (onbuka.com/voice-api18 response): ``jobId`` is the task id,
#: ``numCnt`` its numbers, ``callNum`` those called, ``success`` / ``fail`` their outcomes
VOICE_TASK_LIST_RECORD_FIELDS = (
    "jobId",
    "taskName",
    "status",
    "rate",
    "numCnt",
    "callNum",
    "success",
    "fail",
    "createdTime",
)
#: the fields of a task's detail (onbuka.com/voice-api19 response) the provider reads (the page
#: lists more: billing, transfer and feedback counters). The detail lists no ``callNum``: the
#: numbers called so far are ``success + fail`` there.
VOICE_TASK_DETAIL_FIELDS = (
    "jobId",
    "taskName",
    "appId",
    "displayNum",
    "status",
    "rate",
    "numCnt",
    "success",
    "fail",
    "sendTime",
    "createdTime",
    "source",
    "voiceFileId",
    "uploadName",
    "baseFile",
    "text",
    "lan",
    "maxCalls",
    "loopCount",
)
#: what a resend (onbuka.com/voice-api21) needs from the task: ``keyId`` (= jobId), ``appId``,
#: ``taskName``, ``source`` with that source's fields, and ``maxCalls`` are required there
VOICE_TASK_RESEND_REQUIRED = ("appId", "taskName", "source", "maxCalls")
#: task ``status`` -> (meaning, what it means for a wait: "running", "success" or "failure");
#: the values of onbuka.com/voice-api18 ``statusList`` / ``status`` (6 "submitting" is listed there)
VOICE_TASK_STATUSES: dict[int, tuple[str, str]] = {
    0: ("waiting to be submitted", "running"),
    1: ("calling", "running"),
    2: ("completed", "success"),
    3: ("submission failed", "failure"),
    4: ("cancelled", "failure"),
    #: paused from the console, or outside every allowSendTime window
    5: ("suspended", "running"),
    6: ("submitting", "running"),
}
#: resend is allowed only for a completed or cancelled task (-42)
VOICE_TASK_RESENDABLE = frozenset({2, 4})

# ----- AI voice (intelligent outbound, ``/AiVoice/...``) -----------------------------------------

#: importCustomer: customers per request (the seed's -56 "exceed import limit, max 100 entries")
AI_IMPORT_MAX_CUSTOMERS = 100
#: taskList: page size 1-100
AI_TASK_LIST_MAX_SIZE = 100
#: dailyStartDateTime / dailyEndDateTime ("HH:mm") must lie inside this window (-48)
AI_DAILY_WINDOW = ("09:00", "20:00")
#: inactiveTimeList and inactiveDateList: at most this many periods each
AI_MAX_INACTIVE_PERIODS = 3
#: ASSUMPTION [BK-14]: the AI task name's length limit is not documented; 64 is the group-call
#: task's documented taskName limit (2-64), so a name of that size fits either
AI_TASK_NAME_MAX = 64
AI_MODES = ("MANUAL", "AUTO")
AI_DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
#: redialCondition values. ASSUMPTION [BK-15]: the captured list stops at "VACANT_N…"; VACANT_NUMBER
#: is the likely end of it, and further values may exist
AI_REDIAL_CONDITIONS = (
    "CALL_LOSS",
    "NO_ANSWER",
    "BUSY",
    "REFUSED",
    "POWER_OFF",
    "OUT_OF_SERVICE",
    "CAN_NOT_CONNECT",
    "FROM_PHONE_ERROR",
    "SYSTEM_ERROR",
    "VACANT_NUMBER",
)
#: startDateTime / endDateTime format
AI_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: inactiveDateList dates
AI_DATE_FORMAT = "%Y-%m-%d"
#: ASSUMPTION [BK-1]: the vendor reads startDateTime/endDateTime as China time (UTC+8), the zone
#: its report times are written in; the docs name no zone
AI_UTC_OFFSET_HOURS = 8
#: taskList ``status`` -> what it means for a wait: "running" (keep waiting), "success" or
#: "failure" (the task ended). ASSUMPTION [BK-13]: the vendor documents ``status`` as a String without
#: its values (itniotech.com/api/ai-voice/taskList; the SDK itniotech/buka-java-sdk has no enum);
#: these are the likely enum names. Fail-safe: a status not in this table is read as still
#: running, so a wait never ends on a guess: it waits to its deadline and fails there as
#: undecided. Counts never decide: ``taskCompleted`` counts *successful* calls only (same page),
#: so ``taskCompleted < taskTotal`` is normal for a finished task and ``>=`` proves nothing.
AI_TASK_STATUSES: dict[str, str] = {
    #: created; waits for taskStart (MANUAL) or its startDateTime (AUTO)
    "NOT_STARTED": "running",
    "RUNNING": "running",
    #: taskStop pauses; taskStart resumes
    "PAUSED": "running",
    "COMPLETED": "success",
    #: ended before every customer was called (its endDateTime passed)
    "TERMINATED": "failure",
}
#: statuses in which taskStart is accepted (else -39) and taskStop (pause) is accepted (else -38).
#: ASSUMPTION [BK-13], like the status names: start resumes a paused task (the SDK has no resume call)
AI_STARTABLE_STATUSES = ("NOT_STARTED", "PAUSED")
AI_PAUSABLE_STATUSES = ("RUNNING",)


class AiTaskAction(enum.Enum):
    """taskStart, taskStop (the SDK's "Pause task") and taskDel: each action's endpoint, and the
    code it answers when the task's status does not allow it (the AI voice code table)."""

    START = ("ai_task_start", "-39")
    PAUSE = ("ai_task_stop", "-38")
    DELETE = ("ai_task_delete", "-44")

    def __init__(self, endpoint: str, wrong_state_code: str) -> None:
        self.endpoint = endpoint
        self.wrong_state_code = wrong_state_code


#: the code of a jobId the app does not have (taskStart/taskStop/taskDel/importCustomer)
AI_NO_SUCH_TASK = "-32"

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
        # Call center (``cc/``): the call-record query only, so a DAG can reach the call-center
        # service through the hook. ASSUMPTION [BK-12]: POST, as the other cc queries (the page names no method)
        _ep("cc_record_query", "call_center", "POST", "/cc/record/query", R),
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


# ----- request bodies (pure: the hook sends them, the tests hold them against the contracts) -----

VENDOR_ZONE = dt.timezone(dt.timedelta(hours=VOICE_TASK_UTC_OFFSET_HOURS))


def sms_message(
    numbers: Sequence[str], content: str, order_ids: Sequence[str] | None = None, sender_id: str | None = None
) -> dict[str, Any]:
    """One sendSms unit (onbuka.com/sms-api3): ``numbers`` and ``orderId`` comma-separated, one id per number.

    A sendSms body without its ``appId``, or one element of sendSms/batch's ``array``
    (onbuka.com/sms-api7).
    """
    message: dict[str, Any] = {"numbers": ",".join(numbers), "content": content}
    if order_ids:
        if len(order_ids) != len(numbers):
            raise ValueError("sendSms takes one orderId per number")
        message["orderId"] = ",".join(order_ids)
    if sender_id:
        message["senderId"] = sender_id
    return message


def sms_send_body(app_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
    return {"appId": app_id, **message}


def sms_batch_body(app_id: str, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"appId": app_id, "array": [dict(m) for m in messages]}


def report_query(app_id: str, msg_ids: Sequence[str]) -> dict[str, str]:
    """getReport's query (onbuka.com/sms-api4): at most :data:`REPORT_MAX_IDS` msgIds, comma-separated."""
    if not 0 < len(msg_ids) <= REPORT_MAX_IDS:
        raise ValueError(f"getReport takes 1 to {REPORT_MAX_IDS} msgIds, not {len(msg_ids)}")
    return {"appId": app_id, "msgIds": ",".join(msg_ids)}


def vendor_time(moment: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in the zone Buka reads task times in (ASSUMPTION [BK-1]: UTC+8)."""
    return moment.astimezone(VENDOR_ZONE).strftime(VOICE_TASK_TIME_FORMAT)


def voice_task_query(
    now: dt.datetime, *, search: str | None = None, current: int = 1, size: int = VOICE_TASK_LIST_MAX_SIZE
) -> dict[str, Any]:
    """voice/group/call/query's body (onbuka.com/voice-api18) over the tasks created in the last
    :data:`VOICE_TASK_QUERY_WINDOW_DAYS` days: ``params.strTime`` and ``params.endTime`` are required."""
    start = (
        now
        - dt.timedelta(days=VOICE_TASK_QUERY_WINDOW_DAYS)
        + dt.timedelta(hours=VOICE_TASK_QUERY_LEAD_HOURS)
    )
    end = now + dt.timedelta(hours=VOICE_TASK_QUERY_LEAD_HOURS)
    params: dict[str, Any] = {"strTime": vendor_time(start), "endTime": vendor_time(end), "statusList": []}
    if search:
        params["searchCondition"] = search
    return {"current": current, "size": size, "params": params}


def task_key(task_id: str | int) -> int:
    """A group-call task id as the task endpoints take it: an Integer (``keyId``, ``taskIdList``)."""
    text = str(task_id).strip()
    if isinstance(task_id, bool) or not text.isdigit():
        raise ValueError(f"a Buka voice task id is a whole number, not {task_id!r}")
    return int(text)


def voice_task_cancel_body(task_ids: Sequence[str | int]) -> dict[str, Any]:
    """voice/group/call/cancel's body: ``taskIdList`` of Integers (itniotech.com/api/ai/agentCancel)."""
    return {"taskIdList": [task_key(task_id) for task_id in task_ids]}


def voice_task_resend_body(
    detail: Mapping[str, Any],
    *,
    resend_type: int,
    max_calls: int | None = None,
    loop_count: int | None = None,
) -> dict[str, Any]:
    """voice/group/call/resend's body (onbuka.com/voice-api21) from the task's detail record.

    The page requires ``keyId`` (the jobId), ``appId``, ``taskName``, ``source`` with its
    fields and ``maxCalls``; they are taken from the task as the detail shows it
    (onbuka.com/voice-api19), ``max_calls`` / ``loop_count`` override its values. A field the
    detail does not carry raises ValueError naming it: nothing is sent on a guess.
    ASSUMPTION [BK-8]: the re-call takes the task's own ``taskName`` (the page calls it "Task name",
    not a new one); if the vendor refused it as taken (-41) the resend fails, answered and
    not sent, so nothing is called twice.
    """
    missing = [name for name in ("jobId", "appId", "taskName", "source") if detail.get(name) in (None, "")]
    source = detail.get("source")
    try:
        source_number = int(source) if source not in (None, "") and not isinstance(source, bool) else None
    except (TypeError, ValueError):
        source_number = None
    if source not in (None, "") and source_number not in VOICE_TASK_SOURCES:
        raise ValueError(f"the task's source {source!r} is not one of {sorted(VOICE_TASK_SOURCES)}")
    audio = VOICE_TASK_SOURCES.get(source_number or 0, ())
    missing += [name for name in audio if detail.get(name) in (None, "")]
    calls = max_calls if max_calls is not None else detail.get("maxCalls")
    if calls in (None, ""):
        missing.append("maxCalls")
    if missing:
        raise ValueError(f"the task's detail does not show {', '.join(missing)}, which a resend must send")
    body: dict[str, Any] = {
        "keyId": task_key(detail["jobId"]),
        "appId": str(detail["appId"]),
        "taskName": str(detail["taskName"]),
        "source": source_number,
        **{name: str(detail[name]) for name in audio},
        "maxCalls": int(str(calls)),
        "resendType": resend_type,
    }
    loops = loop_count if loop_count is not None else detail.get("loopCount")
    if loops not in (None, ""):
        body["loopCount"] = int(str(loops))
    if detail.get("displayNum") not in (None, ""):
        body["displayNum"] = str(detail["displayNum"])
    return body


def ai_task_ref(app_id: str, job_id: int | str) -> dict[str, Any]:
    """taskStart / taskStop / taskDel's body (SDK TaskBaseDTO: ``appId`` String, ``jobId`` Long)."""
    return {"appId": app_id, "jobId": job_id}


def ai_task_list_query(app_id: str, *, current: int, name: str | None = None) -> dict[str, Any]:
    """taskList's body (itniotech.com/api/ai-voice/taskList): ``current``, ``size`` 1-100, ``params.appId``."""
    params = {"appId": app_id, **({"name": name} if name else {})}
    return {"current": current, "size": AI_TASK_LIST_MAX_SIZE, "params": params}


def call_record_query(
    start: dt.datetime, end: dt.datetime, *, current: int = 1, size: int = CALL_RECORD_PAGE_SIZE
) -> dict[str, Any]:
    """cc/record/query's body (onbuka.com/call-api20): ``params.startTime`` / ``endTime`` ISO 8601
    with an offset (written in China time, as the page's samples), ``current``, ``size`` 1-100."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the call-record window needs aware datetimes")
    params = {
        "startTime": start.astimezone(VENDOR_ZONE).isoformat(timespec="seconds"),
        "endTime": end.astimezone(VENDOR_ZONE).isoformat(timespec="seconds"),
    }
    return {"current": current, "size": size, "params": params}


# ----- call-center call records (cc/record/query, onbuka.com/call-api20) ----------------------------
# Sources: the query page (onbuka.com/call-api20; its copies itniotech.com/api/call/queryRecord and
# laaffic.com/zh/api/call/queryRecord list the record fields keyId, callSessionId, called,
# encryptCalled, calledInfo, ...), the record push of the same call center (onbuka.com/call-api21:
# callId, callSessionId "record unique ID", called, calledInfo, caller, ccode, ccodeName, agentName,
# agentGroupName, agentAccount, callDuration, callType, hangupCode, hangupReason, hangingDirection,
# labels, remark, callStartTime, answerTime, callEndTime "yyyy-MM-dd HH:mm:ss", voiceUrl) and the
# call-center code table (seed 001: -35 "The search time interval cannot be greater than 32 days").

#: the longest window one query takes: longer answers -35 (call-center code table)
CALL_RECORD_MAX_WINDOW_DAYS = 32
CALL_RECORD_WINDOW_CODE = "-35"
#: a window the vendor no longer answers: -25 "Out of time range" (call-center code table)
CALL_RECORD_OUT_OF_RANGE_CODE = "-25"
#: ASSUMPTION [BK-40]: the page gives no retention; the same call center's other record query
#: (itniotech.com/api/voice/ccRecordQuery) and Buka's voice record queries (onbuka.com/voice-api10,
#: voice-api12) answer "the past two months": read as the shortest two months, 59 days
CALL_RECORD_DAYS = 59
#: ASSUMPTION [BK-41]: the record stamps (``callStartTime``, ``answerTime``, ``callEndTime``,
#: "yyyy-MM-dd HH:mm:ss" on onbuka.com/call-api21) are China time, as the query's own samples (+08:00)
CALL_RECORD_STAMP_OFFSET_HOURS = 8
CALL_RECORD_STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
#: ``callType`` (onbuka.com/call-api20, call-api21) -> (meaning, the call's direction)
CALL_TYPES: dict[int, tuple[str, str]] = {
    1: ("group call transferred to an agent", "outbound"),
    2: ("incoming call", "inbound"),
    3: ("outgoing call", "outbound"),
}
#: ``hangupReason`` 0-9 (onbuka.com/call-api20; call-api21 words 4 "call abnormality")
CALL_HANGUP_REASONS: dict[int, str] = {
    0: "outgoing call not answered",
    1: "outgoing call hung up",
    2: "hung up while the transfer was ringing",
    3: "hung up after a successful transfer",
    4: "call failed",
    5: "the called party's operator has no service",
    6: "the called party is not in the service area",
    7: "the called party is busy",
    8: "incoming call not answered",
    9: "incoming call hung up",
}
#: ``hangingDirection`` -> who hung up. 3 is "none" on the query page (call-api20) and "system hangs
#: up" on the push (call-api21) and on itniotech.com/api/voice/ccRecordQuery: the system ended it
CALL_HANGING_DIRECTIONS: dict[int, str] = {0: "customer", 1: "agent", 3: "system"}


def iso_in_vendor_zone(moment: dt.datetime) -> str:
    """ISO 8601 with the vendor zone's offset, as Buka's record queries are written (``...+08:00``)."""
    if moment.tzinfo is None:
        raise ValueError("a record query's time needs a timezone")
    return moment.astimezone(VENDOR_ZONE).isoformat(timespec="seconds")


def sent_records_query(
    app_id: str, start: dt.datetime, end: dt.datetime, start_index: int = 0
) -> dict[str, str]:
    """getSentRcd's query (onbuka.com/sms-api5): at most 31 days, ISO 8601 times, ``startIndex`` offset."""
    return {
        "appId": app_id,
        "startTime": iso_in_vendor_zone(start),
        "endTime": iso_in_vendor_zone(end),
        "startIndex": str(start_index),
    }


def voice_records_query(
    start: dt.datetime, end: dt.datetime, *, current: int = 1, size: int = VOICE_RECORDS_MAX_PAGE_SIZE
) -> dict[str, Any]:
    """voice/recordGroupQuery's body (onbuka.com/voice-api12): ``params.strTime`` / ``endTime``
    ISO 8601, at most 31 days apart, ``size`` 1-100."""
    params = {"strTime": iso_in_vendor_zone(start), "endTime": iso_in_vendor_zone(end)}
    return {"current": current, "size": size, "params": params}


def ai_record_query(app_id: str, start: dt.datetime, end: dt.datetime, *, current: int = 1) -> dict[str, Any]:
    """AiVoice/recordQuery's body: ``params{appId, startTime, endTime}`` as ``yyyy-MM-dd HH:mm:ss``."""
    params = {"appId": app_id, "startTime": vendor_time(start), "endTime": vendor_time(end)}
    return {"current": current, "size": AI_TASK_LIST_MAX_SIZE, "params": params}


def voice_file_upload_body(file_name: str, content: bytes) -> dict[str, str]:
    """voice/fileUpload's body (SDK FileUploadDTO): ``fileName`` (5-32 characters, with its suffix)
    and ``file``, the content in base64."""
    low, high = VOICE_TASK_UPLOAD_NAME_LENGTH
    if not low <= len(file_name) <= high:
        raise ValueError(f"fileName must be {low}-{high} characters, not {len(file_name)}")
    return {"fileName": file_name, "file": base64.b64encode(content).decode("ascii")}
