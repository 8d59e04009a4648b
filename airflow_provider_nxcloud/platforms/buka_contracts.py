"""The documented request contracts of buka's endpoints (see :mod:`.contracts`), each with its source.

Written from Buka's own pages (onbuka.com / onbuka.cloud, and the itniotech.com white-label
copy of the same platform where onbuka has no page) and the official Java SDK
(``itniotech/buka-java-sdk``), never from this provider's code. Numeric ranges are given as
``choices`` (a :class:`FieldRule` has no numeric bounds). Example replies are the pages'
own samples; where a page shows only its response table, the example is built from that
table's field names and the note says so.
"""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule

PLATFORM = "buka"

_SDK = "itniotech/buka-java-sdk:src/main/java/com/onbuka/api/sdk/model"
#: ``yyyy-MM-dd HH:mm:ss`` (the task pages' LocalDateTime, e.g. "2024-06-03 15:13:01")
_LOCAL_DATETIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
#: ISO 8601 with an offset (e.g. "2022-01-01T00:00:00+08:00")
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)"
_HH_MM = r"([01]\d|2[0-3]):[0-5]\d"
_CALLEE = r"\d{7,15}"
_LANGUAGES = ("VN", "EN", "JP", "ARB", "DE", "IN", "IT", "KR", "RU", "ES", "PT", "IDN", "BD")
_TASK_LANGUAGES = (*_LANGUAGES, "TH")
_DIGIT = tuple("0123456789")
_FLAG = (0, 1)


def _range(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


def _page(size_required: bool = True) -> tuple[FieldRule, ...]:
    return (
        FieldRule("current", "integer", required=size_required, note="page, 1-N"),
        FieldRule("size", "integer", required=size_required, choices=_range(1, 100)),
        FieldRule("params", "object"),
    )


# ----- account and SMS --------------------------------------------------------------------------

_SMS_MESSAGE = (
    ("numbers", "comma-separated, country code + number; POST: at most 1,000"),
    ("content", "at most 1,024 characters"),
)

SMS: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "balance",
        "https://onbuka.cloud/sms-api2",
        example_reply={
            "status": "0",
            "reason": "success",
            "balance": "99.990000",
            "gift": "50.00000",
            "credit": "0",
        },
        notes="GET with the signed headers only.",
    ),
    Contract(
        PLATFORM,
        "sms_send",
        "https://onbuka.cloud/sms-api3",
        fields=(
            FieldRule("appId"),
            FieldRule("numbers", note=_SMS_MESSAGE[0][1]),
            FieldRule("content", max_length=1024),
            FieldRule("senderId", required=False, max_length=32),
            FieldRule("orderId", required=False, note="one per number, comma-separated"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": "2",
            "fail": "0",
            "array": [
                {"msgId": "2108021054011000095", "number": "91856321412", "orderId": "21412"},
                {"msgId": "2108021059531000096", "number": "91856321413", "orderId": "21413"},
            ],
        },
        example_source="https://onbuka.cloud/sms-api3 (response table; ids from the page's samples)",
    ),
    Contract(
        PLATFORM,
        "sms_send_batch",
        "https://onbuka.cloud/sms-api7",
        fields=(
            FieldRule("appId"),
            FieldRule("array", "array", min_length=1),
            FieldRule("array[].numbers"),
            FieldRule("array[].content", max_length=1024),
            FieldRule("array[].senderId", required=False, max_length=32),
            FieldRule("array[].orderId", required=False, note="one per number of its element"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": "4",
            "fail": "0",
            "array": [
                {"msgId": "2207201629421000001", "number": "86156584848", "orderId": "56584"},
                {"msgId": "2207201629421000002", "number": "86156584848", "orderId": "56585"},
                {"msgId": "2207201629421000003", "number": "86156584848", "orderId": "56586"},
                {"msgId": "2207201629421000004", "number": "86156584848", "orderId": "56587"},
            ],
        },
        notes="The page documents no cap over all elements; each element follows sendSms.",
    ),
    Contract(
        PLATFORM,
        "sms_report",
        "https://onbuka.cloud/sms-api4",
        fields=(
            FieldRule("appId"),
            FieldRule("msgIds", pattern=r"[^,]+(,[^,]+){0,199}", note="at most 200, comma-separated"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": "2",
            "fail": "0",
            "sending": "0",
            "nofound": "0",
            "array": [
                {
                    "msgId": "2108021054011000095",
                    "number": "91856321412",
                    "receiveTime": "2021-02-12T09:30:03+08:00",
                    "status": "0",
                },
                {
                    "msgId": "2108021059531000096",
                    "number": "91856321413",
                    "receiveTime": "2021-02-12T09:30:03+08:00",
                    "status": "0",
                },
            ],
        },
        notes="GET query string. Row status: 0 sent, -1 sending, 1 failed.",
    ),
    Contract(
        PLATFORM,
        "sms_sent_records",
        "https://onbuka.cloud/sms-api5",
        fields=(
            FieldRule("appId"),
            FieldRule("startTime", pattern=_ISO_DATETIME),
            FieldRule("endTime", pattern=_ISO_DATETIME),
            FieldRule("startIndex", "integer", required=False, note="default 0"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": "2",
            "fail": "0",
            "array": [
                {
                    "msgId": "2108021054011000095",
                    "number": "91856321412",
                    "receiveTime": "2021-02-12T09:30:03+08:00",
                    "status": "0",
                }
            ],
        },
        notes="GET query string; at most 31 days per query, the last 90 days. Row status: 0 sent, 2 failed.",
    ),
)

# ----- voice sends and records ------------------------------------------------------------------

VOICE: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "voice_send_code",
        "https://onbuka.com/voice-api7",
        fields=(
            FieldRule("callee", pattern=_CALLEE, note="one number"),
            FieldRule("displayNum", required=False, pattern=_CALLEE),
            FieldRule("language", choices=_LANGUAGES),
            FieldRule("speakingRate", "number", required=False, note="0.25-4"),
            FieldRule("ssmlGender", "integer", required=False, choices=(1, 2)),
            FieldRule("accent", required=False),
            FieldRule("text", max_length=1000),
            FieldRule("appId"),
            FieldRule("loopCount", "integer", required=False, choices=_range(1, 3)),
            FieldRule("recallCount", "integer", required=False, choices=_range(0, 9)),
            FieldRule("recallInterval", "integer", required=False, choices=_range(1, 999)),
            FieldRule("maxDuration", "integer", required=False, choices=_range(1, 120)),
            FieldRule("maxRingingTime", "integer", required=False, choices=_range(20, 120)),
            FieldRule("calledInfo", required=False, max_length=1000),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": [
                {
                    "voiceId": "2203031134011000001",
                    "callee": "932111111111",
                    "terminationCode": "0",
                    "terminationReason": "success",
                }
            ],
        },
        example_source="https://onbuka.com/voice-api6 (sendGroup's reply; sendCode's sample was not captured)",
    ),
    Contract(
        PLATFORM,
        "voice_send_group",
        "https://onbuka.com/voice-api6",
        fields=(
            FieldRule(
                "callee",
                note="comma-separated 7-15 digit numbers; the SDK's 200 (the page: 1,000); a bad one is "
                "answered per callee",
            ),
            FieldRule("displayNum", required=False, pattern=_CALLEE),
            FieldRule("fileId"),
            FieldRule("appId"),
            FieldRule("maxDuration", "integer", required=False, choices=_range(1, 120)),
            FieldRule("maxRingingTime", "integer", required=False, choices=_range(20, 120)),
            FieldRule("loopCount", "integer", required=False, choices=_range(1, 3)),
            FieldRule("calledInfo", required=False, max_length=1000),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": [
                {
                    "voiceId": "2203031134011000001",
                    "callee": "932111111111",
                    "terminationCode": "0",
                    "terminationReason": "success",
                }
            ],
        },
        notes=f"callee cap: {_SDK}/voicedto/SendGroupDTO.java says 200, the English page 1,000.",
    ),
    Contract(
        PLATFORM,
        "voice_file_upload",
        f"{_SDK}/voicedto/FileUploadDTO.java",
        fields=(
            FieldRule("fileName", min_length=5, max_length=32, pattern=r".+\.(mp3|wav|m4a)", note="unique"),
            FieldRule("file", note="base64 content"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": "12022022570cc2484c59d4f8b9745d34226285b1e.mp3",
        },
        example_source="reference A.6.1 (data = the fileId); the fileId is the one onbuka.com/voice-api6 samples",
    ),
    Contract(
        PLATFORM,
        "voice_record",
        "https://onbuka.com/voice-api11",
        example_reply={
            "status": "0",
            "reason": "success",
            "data": {
                "voiceId": "2203031113381000002",
                "callee": "8613500000000",
                "displayNum": "1008122211",
                "submitTime": "2022-02-18T14:42:40+08:00",
                "answerTime": "2022-02-18T14:42:50+08:00",
                "hangupTime": "2022-02-18T14:42:55+08:00",
                "callDuration": 5,
                "terminationCode": "200",
                "terminationReason": "Normal call clearing",
            },
        },
        example_source="https://onbuka.com/voice-api9 (the same record shape, for a SIP call)",
        notes="GET, the voiceId in the path; the last two months.",
    ),
    Contract(
        PLATFORM,
        "voice_records",
        "https://onbuka.com/voice-api12",
        fields=(
            *_page(size_required=False),
            FieldRule("params.strTime", pattern=_ISO_DATETIME),
            FieldRule("params.endTime", pattern=_ISO_DATETIME),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": {
                "total": 1,
                "size": 10,
                "current": 1,
                "pages": 1,
                "searchCount": True,
                "records": [
                    {
                        "voiceId": "2203031113381000002",
                        "callee": "8613500000000",
                        "displayNum": "1008122211",
                        "code": "Afghanistan(Kandahar)",
                        "submitTime": "2022-02-18T14:42:40+08:00",
                        "callTime": "2022-02-18T14:42:45+08:00",
                        "ringingTime": "2022-02-18T14:42:47+08:00",
                        "answerTime": "2022-02-18T14:42:50+08:00",
                        "hangupTime": "2022-02-18T14:42:55+08:00",
                        "callDuration": 5,
                        "chargedDuration": 5,
                        "terminationCode": "200",
                        "terminationReason": "success",
                        "costEur": "2",
                        "billPeriod": "20+20",
                        "rate": "0.1",
                        "baseCost": "0",
                        "voiceFileId": "",
                        "feedbackValue": "-1",
                        "calledInfo": "",
                    }
                ],
            },
        },
        example_source=(
            "https://onbuka.com/voice-api12 (response table: the page envelope and the record's fields); the "
            "record is voice-api11's sample record, whose fields voice-api12 lists (billPeriod to calledInfo "
            "filled in from the table, the sample's text being cut there)"
        ),
        notes=(
            "At most 31 days between strTime and endTime, the last two months; size 1-100, default 25 "
            "(the SDK's QueryDTO, itniotech/buka-java-sdk voicedto/QueryDTO.java, says 1-100 too)."
        ),
    ),
)

# ----- voice group-call tasks -------------------------------------------------------------------

_TASK_AUDIO = (
    FieldRule("source", "integer", choices=(1, 2, 3)),
    FieldRule("voiceFileId", required=False, required_when=("source", (1,))),
    FieldRule("uploadName", required=False, required_when=("source", (2,)), min_length=5, max_length=32),
    FieldRule("baseFile", required=False, required_when=("source", (2,))),
    FieldRule("text", required=False, required_when=("source", (3,)), max_length=1000),
    FieldRule("lan", required=False, required_when=("source", (3,)), choices=_TASK_LANGUAGES),
)
_TASK_OPTIONS = (
    FieldRule("displayNum", required=False, pattern=r"\d{0,20}"),
    FieldRule("sendTime", required=False, pattern=_LOCAL_DATETIME, note="null: call at once"),
    FieldRule("hangUpSms", "integer", required=False, choices=_FLAG),
    FieldRule("smsAppId", required=False, required_when=("hangUpSms", (1,))),
    FieldRule("smsContent", required=False, required_when=("hangUpSms", (1,)), max_length=1000),
    FieldRule("senderId", required=False, max_length=32),
    FieldRule("feedbackPush", "integer", required=False, required_when=("hangUpSms", (1,)), choices=_FLAG),
    FieldRule("feedbackValue", required=False, required_when=("feedbackPush", (1,)), choices=_DIGIT),
    FieldRule("successPush", "integer", required=False, required_when=("hangUpSms", (1,)), choices=_FLAG),
    FieldRule("successPushTime", "integer", required=False, choices=_range(0, 9999)),
    FieldRule("failedPush", "integer", required=False, required_when=("hangUpSms", (1,)), choices=_FLAG),
    FieldRule("ringPush", "integer", required=False, required_when=("hangUpSms", (1,)), choices=_FLAG),
    FieldRule("toSeat", "integer", required=False, choices=_FLAG),
    FieldRule("sipGroupId", "integer", required=False, required_when=("toSeat", (1,))),
    FieldRule("outboundControl", "integer", required=False, required_when=("toSeat", (1,)), choices=(1,)),
    FieldRule("calloutRate", "integer", required=False, required_when=("toSeat", (1,))),
    FieldRule("toSeatType", "integer", required=False, required_when=("toSeat", (1,)), choices=(1, 2)),
)
_TASK_CREATED = {"code": "0", "msg": "success", "data": 5000602}
_TASK_DONE = {"code": "0", "msg": "success", "data": None}

TASKS: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "voice_task_create",
        "https://onbuka.com/voice-api17",
        fields=(
            FieldRule("appId"),
            FieldRule("taskName", min_length=2, max_length=64, note="unique per account"),
            FieldRule("numberList", "array", min_length=1, max_length=200_000),
            FieldRule("numberList[]", pattern=_CALLEE),
            *_TASK_AUDIO,
            FieldRule("loopCount", "integer", choices=_range(1, 9), note="default 1"),
            FieldRule("maxCalls", "integer", choices=_range(1, 999), note="forced hang-up after N seconds"),
            FieldRule("allowSendTime", "array", required=False),
            FieldRule("allowSendTime[].strTime", pattern=_HH_MM),
            FieldRule("allowSendTime[].endTime", pattern=_HH_MM),
            *_TASK_OPTIONS,
        ),
        example_reply=_TASK_CREATED,
        example_source=(
            "the task pages' envelope (itniotech.com/api/ai/agentCancel sample); data = the new task's "
            "jobId, as voice-api18's sample record (jobId 5000602). ASSUMPTION [BK-7]: the create sample itself "
            "was not captured"
        ),
        notes="allowSendTime (daily HH:mm windows) is in reference A.6.2 from the same page.",
    ),
    Contract(
        PLATFORM,
        "voice_task_list",
        "https://onbuka.com/voice-api18",
        fields=(
            *_page(),
            FieldRule("params.strTime", pattern=_LOCAL_DATETIME),
            FieldRule("params.endTime", pattern=_LOCAL_DATETIME),
            FieldRule("params.statusList", "array", required=False),
            FieldRule("params.statusList[]", "integer", choices=_range(0, 6)),
            FieldRule("params.idxAppId", "integer", required=False),
            FieldRule("params.searchCondition", required=False, note="fuzzy: task name, file name or text"),
        ),
        example_reply={
            "code": 0,
            "msg": "success",
            "data": {
                "records": [
                    {
                        "jobId": 5000602,
                        "taskName": "2024-06-04 14:49:17111",
                        "status": 0,
                        "rate": "0",
                        "numCnt": 1,
                        "callNum": 0,
                        "success": 0,
                        "fail": 0,
                        "createdTime": "2024-06-04 14:49:17",
                    }
                ],
                "total": 1,
                "size": 10,
                "current": 1,
                "pages": 1,
            },
        },
        example_source="https://itniotech.cn/api/voice/callQuery (the same page's sample, white-label copy)",
    ),
    Contract(
        PLATFORM,
        "voice_task_detail",
        "https://onbuka.com/voice-api19",
        example_reply={
            "code": "0",
            "msg": "success",
            "data": {
                "jobId": 5000602,
                "taskName": "welcome-call",
                "appId": "4luaKsL2",
                "displayNum": "",
                "text": "Hello",
                "status": 2,
                "rate": "100%",
                "numCnt": 4,
                "success": 3,
                "fail": 1,
                "sendTime": None,
                "createdTime": "2024-06-04 14:49:17",
                "source": 3,
                "voiceFileId": "",
                "lan": "EN",
                "maxCalls": 60,
                "loopCount": 1,
            },
        },
        example_source="https://onbuka.com/voice-api19 (response table; the sample was not captured)",
        notes="GET, the task's jobId in the path. No callNum in the detail: called = success + fail.",
    ),
    Contract(
        PLATFORM,
        "voice_task_resend",
        "https://onbuka.com/voice-api21",
        fields=(
            FieldRule("keyId", "integer", note="the task's jobId"),
            FieldRule("appId"),
            FieldRule("taskName"),
            *_TASK_AUDIO,
            FieldRule("loopCount", "integer", required=False, choices=_range(1, 9)),
            FieldRule("maxCalls", "integer", choices=_range(1, 999)),
            FieldRule(
                "resendType",
                "integer",
                choices=(0, 1),
                note="0 all, 1 failed; required on itniotech.com/api/voice/callResend, optional on onbuka",
            ),
            *_TASK_OPTIONS,
        ),
        example_reply=_TASK_DONE,
        example_source="itniotech.com/api/voice/callProvisional (the task pages' null-data sample)",
        notes="Only a completed or cancelled task (-42); -34 when no number is left to call.",
    ),
    Contract(
        PLATFORM,
        "voice_task_cancel",
        "https://www.itniotech.com/api/ai/agentCancel",
        fields=(
            FieldRule("taskIdList", "array", min_length=1),
            FieldRule("taskIdList[]", "integer"),
        ),
        example_reply=_TASK_DONE,
        notes="Documented on the white-label copy (AI-agent section); onbuka has no page for it.",
    ),
)

# ----- email and call center --------------------------------------------------------------------

OTHER: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "email_send",
        f"{_SDK}/emaildto/SendEmailDTO.java",
        fields=(
            FieldRule("appId"),
            FieldRule("fromEmailAddress", note="a sender configured in the console"),
            FieldRule("toAddress", note="comma-separated, at most 50 (-14)"),
            FieldRule("subject", min_length=1, max_length=100, note="-17 when empty or over 100"),
            FieldRule("templateID", pattern=r"\d+", note="-25: only an integer"),
            FieldRule("templateData", required=False, note="a JSON object as text"),
            FieldRule("adFlag", "integer", required=False, choices=(0, 1, 2)),
            FieldRule("language", required=False),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": 1,
            "fail": 0,
            "array": [
                {
                    "emailId": "7a1c0e3bd04a4d25a0d5b1a0f0e6b0c1",
                    "toAddress": "user@example.com",
                    "emailState": "0",
                    "remark": "success",
                }
            ],
        },
        example_source="reference A.8 (itnio.cn/api/mail/sendEmail response fields); values illustrative",
        notes="Codes from seed 001's email table.",
    ),
    Contract(
        PLATFORM,
        "email_records",
        f"{_SDK}/emaildto/SendEmailRcdDTO.java",
        fields=(
            FieldRule("appId"),
            FieldRule("emailId", pattern=r"[^,]+(,[^,]+){0,199}", note="at most 200 (-28)"),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "success": 1,
            "fail": 0,
            "sending": 0,
            "nofound": 0,
            "array": [
                {
                    "emailId": "7a1c0e3bd04a4d25a0d5b1a0f0e6b0c1",
                    "toAddress": "user@example.com",
                    "receiveTime": "2024-06-04T14:49:17+08:00",
                    "status": "0",
                }
            ],
        },
        example_source="reference A.8 (getSendEmailRcd response fields); status 0 sent, -1 sending, 1 failed",
    ),
    Contract(
        PLATFORM,
        "cc_record_query",
        "https://onbuka.com/call-api20",
        fields=(
            *_page(),
            FieldRule("params.startTime", pattern=_ISO_DATETIME),
            FieldRule("params.endTime", pattern=_ISO_DATETIME),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": {
                "total": 1,
                "size": 100,
                "current": 1,
                "pages": 1,
                "records": [
                    {
                        "keyId": 1,
                        "callId": "",
                        "callSessionId": "5c2f4e9a0b7d4f3e8a1c6b2d9e0f7a31",
                        "caller": "6531000000",
                        "called": "6591000001",
                        "encryptCalled": "",
                        "calledInfo": "",
                        "ccode": "65",
                        "ccodeName": "Singapore",
                        "agentName": "agent01",
                        "agentGroupName": "group1",
                        "agentAccount": "agent01@example",
                        "callDuration": 42,
                        "callType": 3,
                        "hangupCode": "200",
                        "hangupReason": 1,
                        "hangingDirection": 0,
                        "labels": ["Intended customers"],
                        "remark": "",
                        "callStartTime": "2026-12-01 10:00:00",
                        "answerTime": "2026-12-01 10:00:05",
                        "callEndTime": "2026-12-01 10:00:47",
                        "voiceUrl": "https://example.com/record.mp3",
                    }
                ],
            },
        },
        example_source=(
            "built from the response tables: https://onbuka.com/call-api20 and its copies "
            "(itniotech.com/api/call/queryRecord, laaffic.com/zh/api/call/queryRecord: data{total, size, "
            "current, pages, records[keyId, callSessionId, called, encryptCalled, calledInfo, ...]}) and the "
            "record push https://onbuka.com/call-api21 (the rest of a record's fields, its stamps "
            "yyyy-MM-dd HH:mm:ss); no sample reply was captured"
        ),
        notes=(
            "No appId. callType 1 group call to agent, 2 incoming, 3 outgoing; hangupReason 0-9; "
            "hangingDirection 0 customer, 1 agent, 3 none/system. Call-center -35: the search interval "
            "cannot be longer than 32 days; -25 out of time range. The itniotech copy's request sample "
            "writes the times 'yyyy-MM-dd HH:mm:ss'; the table (and onbuka) say ISO 8601 with an offset, "
            "which is what is sent."
        ),
    ),
)

# ----- AI voice (intelligent outbound) ----------------------------------------------------------

_AI_REF = (FieldRule("appId"), FieldRule("jobId", "integer", note="Long in the SDK's TaskBaseDTO"))
_AI_OK = {"status": "0", "reason": "success"}

AI_VOICE: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "ai_task_add",
        "https://itniotech.com/api/ai-voice/taskEdit",
        fields=(
            FieldRule("appId"),
            FieldRule("name"),
            FieldRule("dialogFlowId", "integer"),
            FieldRule("mode", choices=("MANUAL", "AUTO")),
            FieldRule(
                "startDateTime", required=False, required_when=("mode", ("AUTO",)), pattern=_LOCAL_DATETIME
            ),
            FieldRule("endDateTime", required=False, pattern=_LOCAL_DATETIME),
            FieldRule("dailyStartDateTime", pattern=_HH_MM, note="not before 09:00 (-48)"),
            FieldRule("dailyEndDateTime", pattern=_HH_MM, note="not after 20:00 (-48)"),
            FieldRule("robotCount", "integer"),
            FieldRule("jobPhoneNumberId", "integer"),
            FieldRule("inactiveTimeList", "array", required=False, max_length=3),
            FieldRule("inactiveTimeList[].startTime", pattern=_HH_MM),
            FieldRule("inactiveTimeList[].endTime", pattern=_HH_MM),
            FieldRule("inactiveDateList", "array", required=False, max_length=3),
            FieldRule("inactiveDateList[].startDate", pattern=r"\d{4}-\d{2}-\d{2}"),
            FieldRule("inactiveDateList[].endDate", pattern=r"\d{4}-\d{2}-\d{2}"),
            FieldRule("daysOfWeek", "array", required=False),
            FieldRule(
                "daysOfWeek[]",
                choices=("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"),
            ),
            FieldRule("redial", "boolean"),
            FieldRule("redialCondition", "array", required=False),
            FieldRule("redialInterval", "integer", required=False),
            FieldRule("redialTimes", "integer", required=False),
        ),
        example_reply={"status": "0", "reason": "success", "data": {"jobId": 71000}},
        example_source=(
            f"{_SDK}/aivoicedto/OutboundTaskDTO.java (the fields); ASSUMPTION [BK-16]: the reply's data shape "
            "was not captured (the provider also takes a bare id, and without one finds the task by name)"
        ),
        notes="taskEdit documents taskAdd's fields plus jobId; redialInterval/redialTimes are SDK-only.",
    ),
    Contract(
        PLATFORM,
        "ai_import_customer",
        f"{_SDK}/aivoicedto/ImportCustomerDTO.java",
        fields=(
            *_AI_REF,
            FieldRule("callRecordDup", "boolean", required=False),
            FieldRule("customerPersons", "array", min_length=1, max_length=100, note="-56 over 100"),
            FieldRule("customerPersons[].phoneNumber"),
            FieldRule("customerPersons[].name", required=False),
            FieldRule("customerPersons[].gender", required=False),
            FieldRule("customerPersons[].properties", "object", required=False),
        ),
        example_reply=_AI_OK,
    ),
    Contract(
        PLATFORM,
        "ai_task_start",
        f"{_SDK}/aivoicedto/TaskBaseDTO.java",
        fields=_AI_REF,
        example_reply=_AI_OK,
        notes="-39 when the task's status does not allow a start; -45 without customers.",
    ),
    Contract(
        PLATFORM,
        "ai_task_stop",
        f"{_SDK}/aivoicedto/TaskBaseDTO.java",
        fields=_AI_REF,
        example_reply=_AI_OK,
        notes="The SDK calls it 'Pause task'; -38 when the task cannot be paused.",
    ),
    Contract(
        PLATFORM,
        "ai_task_delete",
        f"{_SDK}/aivoicedto/TaskBaseDTO.java",
        fields=_AI_REF,
        example_reply=_AI_OK,
        notes="-44 when the task cannot be deleted in its status.",
    ),
    Contract(
        PLATFORM,
        "ai_task_list",
        "https://itniotech.com/api/ai-voice/taskList",
        fields=(
            *_page(),
            FieldRule("params.appId"),
            FieldRule("params.name", required=False),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": {
                "total": 1,
                "size": 1,
                "current": 1,
                "pages": 1,
                "records": [
                    {
                        "jobId": 71000,
                        "name": "name8",
                        "dialogFlowName": "script",
                        "jobPhoneNumberName": "line",
                        "robotCount": 1,
                        "mode": "MANUAL",
                        "hangupSms": False,
                        "taskTotal": 100,
                        "taskCompleted": 40,
                        "status": "RUNNING",
                        "isDialogFlowUnbind": "false",
                        "createTime": "2024-06-04 14:49:17",
                    }
                ],
            },
        },
        example_source=(
            "https://itniotech.com/api/ai-voice/taskList (response table; values illustrative). "
            "ASSUMPTION [BK-13]: status values are undocumented (String); RUNNING is the provider's guess"
        ),
        notes="taskCompleted counts successful calls only, not the customers called.",
    ),
    Contract(
        PLATFORM,
        "ai_record_query",
        "https://onbuka.com/zh-cn/ai-api10",
        fields=(
            *_page(),
            FieldRule("params.appId"),
            FieldRule("params.startTime", pattern=_LOCAL_DATETIME),
            FieldRule("params.endTime", pattern=_LOCAL_DATETIME),
        ),
        example_reply={
            "status": "0",
            "reason": "success",
            "data": {"total": 0, "size": 10, "current": 1, "pages": 0, "records": []},
        },
        example_source="reference A.7 (recordQuery: {current, size, params{appId, startTime, endTime}})",
    ),
)

CONTRACTS: tuple[Contract, ...] = (*SMS, *VOICE, *TASKS, *OTHER, *AI_VOICE)

__all__ = ["CONTRACTS", "Contract", "FieldRule"]
