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

# ----- voice group-call tasks (``voice/group/call/...``, onbuka voice-api17..21) -----------------

#: numberList: numbers per task; taskName: characters (unique per account)
VOICE_TASK_MAX_NUMBERS = 200_000
VOICE_TASK_NAME_LENGTH = (2, 64)
#: loopCount (plays of the audio) and maxCalls (forced hang-up after N seconds)
VOICE_TASK_LOOP_COUNT = (1, 9)
VOICE_TASK_MAX_CALL_SECONDS = (1, 999)
#: ASSUMPTION: the task page gives maxRingingTime no range; voice/sendGroup's 20-120 s is used
VOICE_TASK_RINGING_SECONDS = (20, 120)
#: displayNum: 0-20 digits
VOICE_TASK_DISPLAY_NUMBER_DIGITS = 20
#: ASSUMPTION: TTS text limit as voice/sendCode's (the task page gives none)
VOICE_TASK_MAX_TEXT = VOICE_MAX_TTS_TEXT
#: ``source`` -> the fields that source needs: 1 an uploaded file, 2 upload now, 3 TTS
VOICE_TASK_SOURCES: dict[int, tuple[str, ...]] = {
    1: ("voiceFileId",),
    2: ("uploadName", "baseFile"),
    3: ("text", "lan"),
}
#: the code a source without its fields gets, per source; -49 for an unknown source
VOICE_TASK_SOURCE_CODES = {1: "-50", 2: "-51", 3: "-38"}
VOICE_TASK_BAD_SOURCE_CODE = "-49"
#: audio formats voice/fileUpload takes; uploadName is taken to follow fileName's 5-32 characters (ASSUMPTION)
VOICE_TASK_AUDIO_SUFFIXES = (".mp3", ".wav")
VOICE_TASK_UPLOAD_NAME_LENGTH = (5, 32)
#: sendTime and allowSendTime formats
VOICE_TASK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
VOICE_TASK_WINDOW_FORMAT = "%H:%M"
#: ASSUMPTION: "HH:mm" has no 24:00, so a window that runs to midnight ends at 23:59
VOICE_TASK_END_OF_DAY = "23:59"
#: ASSUMPTION: sendTime and allowSendTime are China time (UTC+8), the zone of Buka's report times
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
#: the query's page size. ASSUMPTION: 1-100, as Buka's other paged queries
VOICE_TASK_LIST_MAX_SIZE = 100
#: ASSUMPTION: the fields of a task in the detail and query replies (the pages document the
#: status values, not the record): the simulator writes and the provider reads only these
VOICE_TASK_RECORD_FIELDS = (
    "id",
    "taskName",
    "appId",
    "status",
    "numberTotal",
    "calledCount",
    "successCount",
    "failedCount",
    "sendTime",
    "createTime",
)
#: task ``status`` -> (meaning, what it means for a wait: "running", "success" or "failure")
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
#: ASSUMPTION: the AI task name's length limit is not documented; 64 is the group-call
#: task's documented taskName limit (2-64), so a name of that size fits either
AI_TASK_NAME_MAX = 64
AI_MODES = ("MANUAL", "AUTO")
AI_DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
#: redialCondition values. ASSUMPTION: the captured list stops at "VACANT_N…"; VACANT_NUMBER
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
#: ASSUMPTION: the vendor reads startDateTime/endDateTime as China time (UTC+8), the zone
#: its report times are written in; the docs name no zone
AI_UTC_OFFSET_HOURS = 8
#: taskList ``status`` -> what it means for a wait: "running" (keep waiting), "success" or
#: "failure" (the task ended). ASSUMPTION: the reference says the status strings were not
#: captured; these are the likely enum names. Any other status is read as still running,
#: and ``taskCompleted >= taskTotal > 0`` counts as done whatever the status says.
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
#: ASSUMPTION, like the status names: start resumes a paused task (the SDK has no resume call)
AI_STARTABLE_STATUSES = ("NOT_STARTED", "PAUSED")
AI_PAUSABLE_STATUSES = ("RUNNING",)
#: the code each task action answers when the task's status does not allow it
AI_STATE_CODES = {"ai_task_start": "-39", "ai_task_stop": "-38", "ai_task_delete": "-44"}
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
        # service through the hook. ASSUMPTION: POST, as the other cc queries (the page names no method)
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
