"""The documented request contracts of NXCloud's endpoints (see :mod:`.contracts`), each with its source."""

from __future__ import annotations

from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule

PLATFORM = "nxcloud"

# ----- SMS, voice, uploads, balance, records and number check ------------------------------------

_DOCS = "Demon-2012/NXcloud-API-document"
_WIKI = "https://github.com/nxtele/http-api-document/wiki"
_DIGITS = r"[0-9]+"
_DIGIT_LIST = r"[0-9]+(,[0-9]+)*"
_SECONDS = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
#: appkey/secretkey of the legacy form APIs: plain form fields of every request
_APP_KEYS = (FieldRule("appkey"), FieldRule("secretkey"))
_SMS_SENT = {"result": "Request succeeded", "messageid": "20d6c660bd664c65bef20026564b0b79", "code": "0"}
_SMS_JSON = (
    FieldRule("appKey"),
    FieldRule("phone", pattern=_DIGIT_LIST, note="country code + number, comma-separated"),
    FieldRule("content", max_length=1000),
    FieldRule("sourceAddress", required=False, pattern=r"[0-9A-Za-z]{1,20}"),
    FieldRule("sysMessageId", required=False, pattern=r"[0-9A-Za-z-]{10,50}"),
    FieldRule("shortLink", required=False),
    FieldRule("linkVerbose", required=False, choices=("0", "1")),
    FieldRule("drUrl", required=False),
    FieldRule("ext", required=False),
)
_VOICE_COMMON = (
    *_APP_KEYS,
    FieldRule("country_code", pattern=_DIGITS, note="digits, no +"),
    FieldRule("show_phone", pattern=r"[0-9]{1,50}", note="required; no default is documented"),
)
_VOICE_SPOKEN = (
    FieldRule("content"),
    FieldRule("lang", choices=tuple(sorted(nxcloud.VOICE_LANGUAGES))),
)
_VOICE_CALLED = {"result": "Request succeeded", "messageid": "20d6c660bd664c65bef20026564b0b79", "code": "0"}
_SMS_ROW = {
    "billing_size": 1,
    "date": "2021-06-28 09:00:00",
    "senderid": "666",
    "phone": "6288888888888",
    "dr_time": "2021-06-28 09:00:00",
    "billing_price": 0.0,
    "msgid": "xxxxxxxxxxxxxxxxxxxxxxxx",
    "billing_status": "No",
    "body": "hello, your code is 888888",
    "dr_status": "Successful",
    "dr": "DELIVRD",
    "network": "PT TELEKOMUNIKASI SELULAR",
}

_MESSAGING: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "sms_send_v2",
        f"{_DOCS}:SMS Downstream Sending_v2..md",
        _SMS_JSON,
        example_reply={"result": "Request succeeded", "code": "0", "messageid": "333444555666"},
    ),
    Contract(
        PLATFORM,
        "sms_send_v1",
        f"{_WIKI}/短信下行发送_v1",
        _SMS_JSON,
        example_reply={"result": "Request succeeded", "code": "0", "messageid": "333444555666"},
        example_source=f"{_DOCS}:SMS Downstream Sending_v2..md",
        notes="ASSUMPTION [NX-14]: the v1 page takes v2's body; its reply was not read and is taken to be v2's.",
    ),
    Contract(
        PLATFORM,
        "sms_send_legacy",
        f"{_DOCS}:SMS Downstream Sending.md",
        (
            *_APP_KEYS,
            FieldRule("phone", pattern=_DIGIT_LIST, note="country code + number, comma-separated"),
            FieldRule("content", max_length=1000),
            FieldRule("source_address", required=False, pattern=r"[0-9A-Za-z]{1,20}"),
            FieldRule("sys_messageid", required=False, pattern=r"[0-9A-Za-z-]{10,50}"),
            FieldRule("short_link", required=False),
            FieldRule("linkVerbose", required=False, choices=("0", "1")),
            FieldRule("dr_url", required=False),
            FieldRule("ext", required=False),
        ),
        example_reply=_SMS_SENT,
    ),
    Contract(
        PLATFORM,
        "sms_record",
        f"{_DOCS}:SMS Single Record Query.md",
        (*_APP_KEYS, FieldRule("date", pattern=r"[0-9]{8}"), FieldRule("messageid")),
        example_reply={"code": "0", "row": _SMS_ROW},
        notes="date is yyyyMMdd in a zone the page does not name (see RECORD_DAY_OFFSETS_HOURS).",
    ),
    Contract(
        PLATFORM,
        "sms_records",
        f"{_DOCS}:SMS Record Query.md",
        (
            *_APP_KEYS,
            FieldRule("date", pattern=r"[0-9]{8}"),
            FieldRule("page_size", "integer", note="less than 1000"),
            FieldRule("page", "integer"),
            FieldRule("sort_type", required=False, choices=("0", "1")),
        ),
        example_reply={
            "code": "0",
            "info": {
                "total": 1119,
                "page": 112,
                "pageSize": 2,
                "rows": [
                    {
                        "senderid": "",
                        "body": "hello sms test 002.",
                        "phone": "62844049494",
                        "msgid": "f76bc33281124f8aa8bca33ce54b01ad",
                        "dr_status": "Successful",
                        "billing_size": 2,
                        "billing_price": 0.09,
                        "date": "2019-06-15 23:50:04",
                        "dr_time": "2019-06-15 23:53:00",
                        "billing_status": "Yes",
                        "network": 791,
                        "dr": "DELIVRD",
                    }
                ],
            },
        },
    ),
    Contract(
        PLATFORM,
        "balance",
        f"{_DOCS}:Balance Inquiry.md",
        _APP_KEYS,
        example_reply={"code": "0", "balance": "3788.32", "credit_balance": "500"},
    ),
    Contract(
        PLATFORM,
        "voice_notify",
        f"{_DOCS}:Send Voice Notification.md",
        (*_VOICE_COMMON, FieldRule("phone", pattern=_DIGIT_LIST), *_VOICE_SPOKEN),
        example_reply=_VOICE_CALLED,
        notes="phone: the examples send country code + number (6212345678 with country_code 62).",
    ),
    Contract(
        PLATFORM,
        "voice_verify",
        f"{_DOCS}:Send Voice Verification Code.md",
        (
            *_VOICE_COMMON,
            FieldRule("phone", pattern=_DIGIT_LIST, note="one number only (code 2 for more)"),
            *_VOICE_SPOKEN,
            FieldRule("ext", required=False),
        ),
        example_reply=_VOICE_CALLED,
    ),
    Contract(
        PLATFORM,
        "voice_broadcast",
        f"{_DOCS}:Send Voice Broadcast.md",
        (
            *_VOICE_COMMON,
            FieldRule("phone", pattern=_DIGIT_LIST),
            FieldRule("url", pattern=r"https?://\S+"),
            FieldRule("task_time", required=False, pattern=_SECONDS),
            FieldRule("time_zone", required=False, pattern=r"-?[0-9]{1,2}"),
            FieldRule("sched_hangup", required=False, type="integer"),
            FieldRule("sms_appkey", required=False),
            FieldRule("msg_content", required=False),
        ),
        example_reply=_VOICE_CALLED,
    ),
    Contract(
        PLATFORM,
        "voice_records",
        f"{_DOCS}:Voice Record Query.md",
        (
            *_APP_KEYS,
            FieldRule("voiceType", choices=("0", "1")),
            FieldRule("messageid", required=False),
            FieldRule("start_time", pattern=_SECONDS),
            FieldRule("end_time", pattern=_SECONDS),
            FieldRule("page_size", "integer"),
            FieldRule("page", "integer"),
        ),
        example_reply={
            "code": "1",
            "info": {
                "total": 1,
                "page": 1,
                "pageSize": 5,
                "rows": [
                    {
                        "id": 1821556,
                        "result": "Successful connection",
                        "cycle": 1,
                        "time": "2019-08-09 00:01:00",
                        "start_time": "2019-09-09 09:00:01",
                        "end_time": "2019-09-09 09:00:04",
                        "phone": "85987053821",
                        "second": 3,
                        "voice_type": 2,
                        "countryCode": "55",
                        "messageid": 35618,
                        "customer_price": 0.012,
                        "show_phone": "1547822456",
                        "size": 3,
                    }
                ],
            },
        },
    ),
    Contract(
        PLATFORM,
        "voice_upload",
        f"{_WIKI}/上传语音文件_v1",
        (FieldRule("appkey", note="a plain form-data field"), FieldRule("file", "file")),
        example_reply={
            "code": 0,
            "message": "Success",
            "data": "https://nxcloudhk.oss-cn-hongkong.aliyuncs.com/voice_group/1699931848093.m4a",
            "traceId": "1e7532bc7fb642ac9c8feb1156999f47",
        },
    ),
    Contract(
        PLATFORM,
        "number_check_submit",
        f"{_WIKI}/Number-Check-API-submit",
        (
            # a number it cannot take is refused up front in the reply's failNumber, not the request
            FieldRule("phone", note="country code + number, comma-separated"),
            FieldRule("batchNo", required=False, max_length=64),
            FieldRule("checkLevel", "integer", required=False, choices=(1, 4, 5)),
            FieldRule("drUrl", required=False),
            FieldRule("appkey"),
        ),
        example_reply={
            "msg": "success",
            "code": 0,
            "data": {"messageId": "301ef45b8de54d8aad95c5264c3756be", "batchNo": "20220901"},
        },
        example_source=f"{_DOCS}:Number-Check-API-submit.md",
        notes="The Jun 2024 page answers data.requestId and data.failNumber instead of messageId.",
    ),
    Contract(
        PLATFORM,
        "number_check_query",
        f"{_WIKI}/Number-Check-API-query",
        (
            FieldRule("page", "integer"),
            FieldRule("pageSize", "integer", note="at most 100"),
            FieldRule("date", pattern=r"[0-9]{4}-[0-9]{2}-[0-9]{2}", note="within the last 14 days"),
            FieldRule("batchNo", required=False),
            FieldRule("messageId", required=False),
            FieldRule("requestId", required=False),
            FieldRule("phone", required=False),
            FieldRule("appkey", required=False),
        ),
        example_reply={
            "msg": "Request successful",
            "code": 0,
            "data": {
                "result": [
                    {
                        "batchNo": "101713775788",
                        "checkLevel": 2,
                        "numberType": 2,
                        "messageId": "33f7c158a4194abe9ccdf3eac34a8422-2",
                        "regionCode": "VN",
                        "carrier": "Viettel",
                        "phone": "8498****",
                        "countryCode": "84",
                    }
                ],
                "totalSize": 2,
                "totalPage": 1,
                "pageSize": 100,
                "page": 1,
            },
        },
        example_source=f"{_DOCS}:Number-Check-API-query.md (rows shortened)",
        notes="batchNo and messageId (2025: requestId) cannot both be empty.",
    ),
)

# ----- privacy numbers (PNS, generation A) and the chat channels (WhatsApp, Viber, Zalo) -----------
# PNS: NXCloud's English wiki (nxtele/nxcloud-doc-en), read from its file copy at the commit that still
# holds it (the next one deletes every page); the Chinese master pages (nxtele/http-api-document wiki,
# same names) document the same bodies. Chat: WhatsApp-API-mt, Viber-API-mt (same copy), Zalo-API-mt.

_EN = f"{_DOCS}@4088e1be9731d02e3b3b9ded5e2d6ff48730aa3e"
_EN_WIKI = "https://github-wiki-see.page/m/nxtele/nxcloud-doc-en/wiki"
_PNS_NUMBER = r"[0-9]+"
_PNS_BOUND = {
    "code": 0,
    "msg": "success",
    "requestId": "1602248485121429504",
    "data": {"bindId": "f6e24ebdaf64ef91adb0b60e3b582db0", "did": "85235753351"},
}
_PNS_DONE = {"code": 0, "msg": "success", "requestId": "1602135125931462656"}
#: every bind: your key (unique, may be empty), flag bits (0 none, 1 record), expiry (0 = never)
_PNS_BIND_TERMS = (
    FieldRule("customerBindId", required=False, note="chosen by the customer, must be unique"),
    FieldRule("flag", "integer", required=False, choices=(0, 1), note="bit combination: 0 none, 1 recording"),
    FieldRule("expireSecond", "integer", note="seconds; 0 = never expires"),
)
_PNS_PAGE = (
    FieldRule("limit", "integer", note="0-1000; 0 = all, capped at 1000 (10011 outside)"),
    FieldRule("offset", "integer", note=">= 0 (10012 outside)"),
)
_WHATSAPP_MEDIA = ("image", "video", "audio", "document", "sticker")
_VIBER_TEXT = ("text_image", "text_image_button", "text_button", "video_text", "video_text_button")
_VIBER_VIDEO = ("video", "video_text", "video_text_button")

_PNS_AND_CHAT: tuple[Contract, ...] = (
    Contract(
        PLATFORM,
        "pns_bindAXB",
        f"{_EN}:PNS-API-bind.md",
        (
            FieldRule("phoneA", pattern=_PNS_NUMBER, note="with country code, that of phoneB"),
            FieldRule("phoneB", pattern=_PNS_NUMBER, note="with country code, that of phoneA"),
            *_PNS_BIND_TERMS,
        ),
        example_reply=_PNS_BOUND,
    ),
    Contract(
        PLATFORM,
        "pns_bindAXBExtension",
        f"{_EN}:PNS-API-bind-extension.md",
        (
            FieldRule("phoneA", pattern=_PNS_NUMBER),
            FieldRule("phoneB", required=False, pattern=_PNS_NUMBER),
            FieldRule("phoneX", pattern=_PNS_NUMBER, note="the X number to bind on, same country code"),
            FieldRule("extension", pattern=r"[0-9]{3}", note="3 digits"),
            *_PNS_BIND_TERMS,
        ),
        example_reply=_PNS_BOUND,
        notes=(
            "ASSUMPTION [NX-10]: the field is 'extension' (the page's example and queryAXB); the page's table "
            "writes 'Extension'."
        ),
    ),
    Contract(
        PLATFORM,
        "pns_bindAXG",
        f"{_EN}:PNS-API-bind-AXG.md",
        (
            FieldRule("phoneA", pattern=_PNS_NUMBER),
            FieldRule("phoneX", required=False, pattern=_PNS_NUMBER, note="else the pool picks one"),
            FieldRule("phoneB", required=False, pattern=_PNS_NUMBER, note="a member of the group"),
            FieldRule("groupId"),
            *_PNS_BIND_TERMS,
        ),
        example_reply=_PNS_BOUND,
    ),
    Contract(
        PLATFORM,
        "pns_unbindAXB",
        f"{_EN}:PNS-API-unbind.md",
        (FieldRule("customerBindId", required=False), FieldRule("bindId", required=False)),
        example_reply=_PNS_DONE,
        notes="Exactly one of bindId and customerBindId is required (the simulator answers 1002 otherwise).",
    ),
    Contract(
        PLATFORM,
        "pns_queryAXB",
        f"{_EN}:PNS-API-query.md",
        (
            FieldRule("caller", pattern=_PNS_NUMBER, note="country code optional"),
            FieldRule("did", pattern=_PNS_NUMBER, note="the X number, with country code"),
            FieldRule(
                "extension",
                required=False,
                pattern=r"[0-9]{3}",
                note="required for extension bindings (PNS-API-query-extension.md)",
            ),
        ),
        example_reply={
            "code": 0,
            "msg": "success",
            "requestId": "1602233475628404736",
            "data": {
                "callee": "85211111114",
                "callId": "1602233475636793344",
                "flag": 0,
                "audioWhenCallFail": "",
                "bindType": 4,
                "audioWhenDtmfErr": "",
                "audioWhenDtmfNeed": "",
            },
        },
    ),
    Contract(
        PLATFORM,
        "pns_getAXBList",
        f"{_EN}:PNS-API-list.md",
        _PNS_PAGE,
        example_reply={
            "code": 0,
            "msg": "success",
            "requestId": "1602262837283131392",
            "data": {
                "bindList": [
                    {
                        "customerId": "cus_1",
                        "businessId": "busi_1",
                        "bindId": "b8c2aaf940d534d3c9ed8b780757f94e",
                        "customerBindId": "1",
                        "phoneA": "85211111114",
                        "phoneB": "85222222222",
                        "did": "85235753352",
                        "flag": 0,
                        "expireAt": 1670845212,
                        "extension": "101",
                    }
                ],
                "total": 1,
            },
        },
        notes="data.total is the number of bindings returned (this page), not of all bindings.",
    ),
    Contract(
        PLATFORM,
        "pns_createGroup",
        f"{_EN}:PNS-API-create-G.md",
        (
            FieldRule("phones", pattern=r"[0-9]+(,[0-9]+)*", note="comma-separated, with country code"),
            FieldRule("groupName", required=False, note="empty: named after the groupId"),
            FieldRule("remark", required=False),
        ),
        example_reply={
            "code": 0,
            "msg": "success",
            "requestId": "1602248485121429504",
            "groupId": "6a7sd3402px21429s04",
        },
        notes="groupId is answered at the top level, not in data.",
    ),
    Contract(
        PLATFORM,
        "pns_updateGroup",
        f"{_EN}:PNS-API-update-G.md",
        (
            FieldRule("groupId"),
            FieldRule("operateType", "integer", choices=(0, 1, 2), note="0 add, 1 delete, 2 replace all"),
            FieldRule("phones", pattern=r"[0-9]+(,[0-9]+)*", note="comma-separated"),
        ),
        example_reply={"code": 0, "msg": "success", "requestId": "1602248485121429504"},
    ),
    Contract(
        PLATFORM,
        "pns_deleteGroup",
        f"{_EN}:PNS-API-delete-G.md",
        (FieldRule("groupId"),),
        example_reply={"code": 0, "msg": "success", "requestId": "1602248485121429504"},
    ),
    Contract(
        PLATFORM,
        "pns_listGroup",
        f"{_EN}:PNS-API-list-G.md",
        _PNS_PAGE,
        example_reply={
            "code": 0,
            "msg": "success",
            "requestId": "1602262837283131392",
            "data": {
                "groups": [
                    {
                        "customerId": "cus_1",
                        "groupName": "groupA",
                        "groupId": "b8c2aaf940d534d3c9ed8b780757f94e",
                        "phones": "85211111114,85235753351,85235753311",
                        "remark": "Number Group A",
                    }
                ],
                "total": 1,
            },
        },
        notes=(
            "ASSUMPTION [NX-11]: data.total ('number of number groups') counts this page, as getAXBList's does; "
            "the provider reads until a short page, right under either reading."
        ),
    ),
    Contract(
        PLATFORM,
        "whatsapp_send",
        f"{_EN}:WhatsApp-API-mt.md",
        (
            FieldRule("appkey"),
            FieldRule("business_phone", note="the sender, with country code (9002 if not a WhatsApp number)"),
            FieldRule("messaging_product", choices=("whatsapp",)),
            FieldRule("recipient_type", choices=("individual",)),
            FieldRule("to", note="the recipient, with country code"),
            FieldRule("type", choices=nxcloud.WHATSAPP_MESSAGE_TYPES),
            FieldRule("text", "object", required=False, required_when=("type", ("text",))),
            FieldRule("text.body", required=False, required_when=("type", ("text",))),
            FieldRule("text.preview_url", "boolean", required=False),
            *(
                FieldRule(kind, "object", required=False, required_when=("type", (kind,)))
                for kind in _WHATSAPP_MEDIA
            ),
            *(FieldRule(f"{kind}.link", required=False, note="link or id") for kind in _WHATSAPP_MEDIA),
            *(FieldRule(f"{kind}.id", required=False, note="link or id") for kind in _WHATSAPP_MEDIA),
            FieldRule("location", "object", required=False, required_when=("type", ("location",))),
            FieldRule("template", "object", required=False, required_when=("type", ("template",))),
            FieldRule("template.name", required=False, required_when=("type", ("template",))),
            FieldRule("template.language", "object", required=False, required_when=("type", ("template",))),
            FieldRule("template.language.code", required=False, required_when=("type", ("template",))),
            FieldRule(
                "template.language.policy",
                required=False,
                required_when=("type", ("template",)),
                choices=("deterministic",),
            ),
            FieldRule("template.components", "array", required=False),
            FieldRule("template.components[].type", choices=("header", "body", "button")),
            FieldRule("template.components[].sub_type", required=False, choices=("url", "quick_reply")),
            FieldRule("template.components[].index", required=False, choices=("0", "1", "2")),
            FieldRule("template.components[].parameters", "array", required=False),
            FieldRule(
                "template.components[].parameters[].type",
                choices=("text", "payload", "image", "video", "document"),
            ),
            FieldRule("template.components[].parameters[].text", required=False),
            FieldRule("template.components[].parameters[].payload", required=False),
        ),
        example_reply={
            "code": 0,
            "data": {"messaging_product": "whatsapp", "messages": [{"id": "gBGHhhdgYFCBnwIJ6QRYvhwQk7Nc"}]},
            "message": "Request successful",
        },
        notes="Media objects take exactly one of link and id; location's latitude/longitude are Double.",
    ),
    Contract(
        PLATFORM,
        "viber_send",
        f"{_EN}:Viber-API-mt.md",
        (
            FieldRule("appkey"),
            FieldRule("phone", note="the recipient, with country code (9002 if invalid)"),
            FieldRule("functionType", choices=tuple(nxcloud.VIBER_FUNCTION_TYPES)),
            FieldRule("messageData", "object"),
            FieldRule(
                "messageData.rateType", choices=("Transactional", "Promotional", "Session", "OtpTemplate")
            ),
            FieldRule(
                "messageData.text",
                required=False,
                required_when=("functionType", _VIBER_TEXT),
                note="also required for functionType text unless rateType is OtpTemplate",
            ),
            FieldRule(
                "messageData.image",
                required=False,
                required_when=("functionType", ("image", "text_image", "text_image_button")),
            ),
            FieldRule(
                "messageData.buttonText",
                required=False,
                required_when=("functionType", ("text_image_button", "text_button", "video_text_button")),
            ),
            FieldRule(
                "messageData.buttonLink",
                required=False,
                required_when=("functionType", ("text_image_button", "text_button")),
            ),
            FieldRule("messageData.fileName", required=False, required_when=("functionType", ("file",))),
            FieldRule("messageData.fileLink", required=False, required_when=("functionType", ("file",))),
            FieldRule(
                "messageData.fileType",
                required=False,
                required_when=("functionType", ("file",)),
                choices=tuple(sorted(nxcloud.VIBER_FILE_TYPES)),
            ),
            FieldRule("messageData.thumbnail", required=False, required_when=("functionType", _VIBER_VIDEO)),
            FieldRule("messageData.videoLink", required=False, required_when=("functionType", _VIBER_VIDEO)),
            FieldRule(
                "messageData.videoSize",
                "number",
                required=False,
                required_when=("functionType", _VIBER_VIDEO),
                note="bytes, at most 200 MB",
            ),
            FieldRule(
                "messageData.duration",
                "number",
                required=False,
                required_when=("functionType", _VIBER_VIDEO),
                note="seconds, at most 600",
            ),
            FieldRule(
                "messageData.templateId",
                required=False,
                required_when=("messageData.rateType", ("OtpTemplate",)),
            ),
            FieldRule(
                "messageData.templateParams",
                "object",
                required=False,
                required_when=("messageData.rateType", ("OtpTemplate",)),
            ),
            FieldRule(
                "messageData.templateLang",
                required=False,
                required_when=("messageData.rateType", ("OtpTemplate",)),
            ),
        ),
        example_reply={
            "code": 0,
            "message": "Success",
            "data": {"requestId": "b81e8e9fcbbb422a813863e903de94bd"},
        },
        notes=(
            "rateType OtpTemplate with templateId/templateParams/templateLang is from the Chinese page "
            f"({_WIKI}/Viber-API-mt, Oct 2024); the English copy lists the other three."
        ),
    ),
    Contract(
        PLATFORM,
        "zalo_send",
        f"{_EN_WIKI}/Zalo-API-mt",
        (
            FieldRule("appkey"),
            FieldRule("phone", note="the recipient, with country code (9002 if invalid)"),
            FieldRule("functionType", choices=("template",)),
            FieldRule("messageData", "object"),
            FieldRule(
                "messageData.templateId",
                "any",
                note="ASSUMPTION [NX-13]: its type was not readable; sent as text",
            ),
            FieldRule("messageData.templateData", "object"),
            FieldRule("messageData.journeyToken", required=False),
            FieldRule("drWebhook", required=False, max_length=256),
            FieldRule("ext", required=False, note="at most 65,535 bytes, echoed in the receipts"),
        ),
        example_reply=None,
        notes=(
            "ASSUMPTION [NX-12]: the page's reply was not readable; the provider reads data.requestId "
            f"(zalomid.<hex>, as the receipts carry it: {_EN_WIKI}/Zalo-webhook)."
        ),
    ),
)

CONTRACTS: tuple[Contract, ...] = _MESSAGING + _PNS_AND_CHAT

__all__ = ["CONTRACTS", "Contract", "FieldRule"]
