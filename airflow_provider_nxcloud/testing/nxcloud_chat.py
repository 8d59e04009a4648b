"""NXCloud chat channels as the simulator serves them: WhatsApp, Viber and Zalo ZNS sends.

Auth (the five signed headers) is the router's; a body that breaks the endpoint's
documented contract (:mod:`~airflow_provider_nxcloud.platforms.nxcloud_contracts`: a
required field missing, a value outside the page's list such as an unknown ``type`` or a
``policy`` other than ``deterministic``) is refused with 9000, "parameter exception"
(``testing.nxcloud.bad_body``). Each handler then checks the rest of its body and
answers in the channels' envelope ``{"code": int, "message": str, "data": ...}``
(reference §9-§11). Each send takes one recipient and, once
accepted, is one ledger entry of kind ``"whatsapp"``, ``"viber"`` or ``"zalo"``
whose recipient is the number, whose app is the appkey and whose vendor id is
the reply's id; statuses follow the delivery model (there is no status query to
read them: the vendors push them by webhook, which the simulator does not send).

WhatsApp ``/api/wa/mt`` (checked in this order):

* ``appkey`` not the account's WhatsApp app -> 9003;
* ``business_phone`` missing -> 9000, not 7-15 digits -> 9002 (not a WhatsApp
  number), not bound to the app (:attr:`NXCloudAccount.whatsapp_business_phones`) -> 9006;
* ``messaging_product`` not ``whatsapp``, ``recipient_type`` not ``individual``,
  ``to`` or ``type`` missing -> 9000;
* Meta's checks, answered 9099 with ``data.error`` as Meta writes it: ``to`` not
  7-15 digits, a ``type`` the page does not list or without its object, an empty
  text body, a template without name or language or whose language policy is not
  ``deterministic`` (Meta code 100, "Invalid parameter"), and a template name not
  in :attr:`NXCloudAccount.whatsapp_templates` (ASSUMPTION [SIM-3]: the account's approved
  templates; Meta code 132001, "Template name does not exist in the translation").

Success: ``{"code": 0, "data": {"messaging_product": "whatsapp", "messages":
[{"id": "wamid.<hex>"}]}, "message": "Request successful"}``. Ledger content: the
text body, the template name, or the media type; ``client_reference`` None (the
API takes none); ``sender`` the business phone.

Viber ``/api/viber/mt``: ``appkey`` not the account's Viber app -> 9003; ``phone``
missing -> 9000, not 7-15 digits of a known country code -> 9002; ``functionType``
not one of the nine, ``messageData`` not an object, a ``rateType`` the function
type does not allow, a required field missing, ``videoSize`` over 200 MB,
``duration`` over 600 s or a ``fileType`` not in the page's list -> 9000. Success:
``{"code": 0, "message": "Success", "data": {"requestId": "<hex>"}}``. Ledger
content: the text, else the OTP template id, else the function type.

Zalo ``/v1/zalo/mt``: ``appkey`` not the account's Zalo app -> 9003; ``phone``
missing -> 9000, not a Vietnamese number (``84`` and 9-10 more digits) -> 9002;
``functionType`` not ``template``, ``messageData`` without ``templateId`` or with a
``templateData`` that is not an object or has an empty value, ``drWebhook`` over
256 characters or ``ext`` over 65,535 bytes -> 9000. ASSUMPTION [SIM-3] (the page's reply
and error table were not read): the codes of the sibling channels, and success
``{"code": 0, "message": "Success", "data": {"requestId": "zalomid.<hex>"}}`` (the
id the receipts carry). Ledger content: the template id; ``client_reference`` the
``ext`` echoed in the receipts, if any.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.testing.ledger import LedgerEntry
from airflow_provider_nxcloud.testing.nxcloud import PLATFORM, meaning
from airflow_provider_nxcloud.testing.routing import Call, Handler, Reject, Reply, json_reply

_PHONE = re.compile(r"[0-9]{7,15}")
_VIETNAMESE = re.compile(vendor.ZALO_COUNTRY_CODE + r"[0-9]{9,10}")

#: Meta's error for a malformed message, and for a template name it does not know
META_INVALID_PARAMETER = (100, "(#100) Invalid parameter", "OAuthException")
META_UNKNOWN_TEMPLATE = (
    132001,
    "(#132001) Template name does not exist in the translation",
    "OAuthException",
)
META_ERROR_CODE = 9099


def chat_reject(call: Call, code: int, detail: str = "", data: Any = None) -> Reject:
    """A vendor error in the chat channels' envelope ``{code, message, data}``."""
    text = meaning(call.endpoint.service, code)
    return Reject(
        json_reply({"code": code, "message": f"{text}: {detail}" if detail else text, "data": data})
    )


def meta_reject(call: Call, error: tuple[int, str, str], details: str) -> Reject:
    """WhatsApp code 9099: Meta refused the message; its error object is in ``data.error``."""
    code, message, kind = error
    meta = {
        "code": code,
        "message": message,
        "type": kind,
        "fbtrace_id": call.state.ids.hex(20),
        "error_data": {"messaging_product": vendor.WHATSAPP_MESSAGING_PRODUCT, "details": details},
    }
    # the vendor's message is a bare "WhatsApp error": what is wrong is only in data.error
    return Reject(json_reply({"code": META_ERROR_CODE, "message": "WhatsApp error", "data": {"error": meta}}))


def _record(call: Call, kind: str, recipient: str, content: str, vendor_id: str, **extra: Any) -> None:
    call.state.ledger.add(
        LedgerEntry(
            platform=PLATFORM,
            kind=kind,
            account=str(call.account),
            recipient=recipient,
            content=content,
            vendor_id=vendor_id,
            endpoint=call.endpoint.name,
            time=call.now,
            status="pending",
            timeline=call.state.delivery.sms_timeline(recipient, call.now),
            **extra,
        )
    )


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# ----- WhatsApp ---------------------------------------------------------------------------------


def whatsapp_send(call: Call) -> Reply:
    body = call.json_object()
    account = call.state.accounts.nxcloud
    if body.get("appkey") != account.whatsapp_app_key:
        raise chat_reject(call, 9003)
    sender = body.get("business_phone")
    if not _filled(sender):
        raise chat_reject(call, 9000, "business_phone is required")
    if not (isinstance(sender, str) and _PHONE.fullmatch(sender)):
        raise chat_reject(call, 9002)
    if sender not in account.whatsapp_business_phones:
        raise chat_reject(call, 9006)
    if body.get("messaging_product") != vendor.WHATSAPP_MESSAGING_PRODUCT:
        raise chat_reject(call, 9000, "messaging_product must be whatsapp")
    if body.get("recipient_type") != vendor.WHATSAPP_RECIPIENT_TYPE:
        raise chat_reject(call, 9000, "recipient_type must be individual")
    to, kind = body.get("to"), str(body.get("type") or "")
    if not _filled(to) or not _filled(kind):
        raise chat_reject(call, 9000, "to and type are required")
    if not (isinstance(to, str) and _PHONE.fullmatch(to)):
        raise meta_reject(call, META_INVALID_PARAMETER, "to must be the recipient's number with country code")
    content = _whatsapp_content(call, kind, body.get(kind))
    wamid = f"wamid.{call.state.ids.hex(32)}"
    _record(
        call,
        "whatsapp",
        to,
        content,
        wamid,
        app=body["appkey"],
        sender=sender,
        client_reference=None,  # the API takes none
        details={"type": kind, kind: body[kind]},
    )
    return {
        "code": 0,
        "data": {"messaging_product": vendor.WHATSAPP_MESSAGING_PRODUCT, "messages": [{"id": wamid}]},
        "message": "Request successful",
    }


def _whatsapp_content(call: Call, kind: Any, message: Any) -> str:
    """What the message says (for the ledger), after Meta's checks of its object."""
    if kind not in vendor.WHATSAPP_MESSAGE_TYPES or not isinstance(message, dict):
        raise meta_reject(call, META_INVALID_PARAMETER, f"type {kind!r} needs an object named after it")
    if kind == "text":
        body = message.get("body")
        if not (isinstance(body, str) and body.strip()) or len(body) > vendor.WHATSAPP_TEXT_MAX:
            raise meta_reject(call, META_INVALID_PARAMETER, "text.body must be 1 to 4096 characters")
        return body
    if kind == "template":
        language = message.get("language")
        if (
            not _filled(message.get("name"))
            or not isinstance(language, dict)
            or not _filled(language.get("code"))
        ):
            raise meta_reject(call, META_INVALID_PARAMETER, "template needs name and language.code")
        if language.get("policy") != vendor.WHATSAPP_LANGUAGE_POLICY:
            raise meta_reject(call, META_INVALID_PARAMETER, "language.policy must be deterministic")
        if message["name"] not in call.state.accounts.nxcloud.whatsapp_templates:
            raise meta_reject(call, META_UNKNOWN_TEMPLATE, f"template name {message['name']} does not exist")
        return str(message["name"])
    if kind in vendor.WHATSAPP_MEDIA_FIELDS and not (
        _filled(message.get("link")) or _filled(message.get("id"))
    ):
        raise meta_reject(call, META_INVALID_PARAMETER, f"{kind} needs link or id")
    return str(kind)


# ----- Viber ------------------------------------------------------------------------------------


def viber_send(call: Call) -> Reply:
    body = call.json_object()
    if body.get("appkey") != call.state.accounts.nxcloud.viber_app_key:
        raise chat_reject(call, 9003)
    phone = body.get("phone")
    if not _filled(phone):
        raise chat_reject(call, 9000, "phone is required")
    if not (isinstance(phone, str) and _PHONE.fullmatch(phone) and _known_country(phone)):
        raise chat_reject(call, 9002)
    kind, data = body.get("functionType"), body.get("messageData")
    if kind not in vendor.VIBER_FUNCTION_TYPES:
        raise chat_reject(call, 9000, "functionType is not a Viber function type")
    if not isinstance(data, dict):
        raise chat_reject(call, 9000, "messageData must be an object")
    required, rate_types = vendor.VIBER_FUNCTION_TYPES[kind]
    if data.get("rateType") not in rate_types:
        raise chat_reject(call, 9000, f"rateType must be one of {', '.join(rate_types)}")
    if data["rateType"] == vendor.VIBER_OTP_RATE_TYPE:
        required = vendor.VIBER_OTP_FIELDS
    missing = [field for field in required if not _filled(data.get(field))]
    if missing:
        raise chat_reject(call, 9000, f"{', '.join(missing)} required")
    _check_viber_limits(call, data)
    request_id = call.state.ids.hex(32)
    content = data.get("text") or data.get("templateId") or kind
    _record(
        call,
        "viber",
        phone,
        str(content),
        request_id,
        app=body["appkey"],
        client_reference=None,  # the API takes none
        details={"functionType": kind, "messageData": data},
    )
    return {"code": 0, "message": "Success", "data": {"requestId": request_id}}


def _check_viber_limits(call: Call, data: dict[str, Any]) -> None:
    for field, limit in (
        ("videoSize", vendor.VIBER_VIDEO_MAX_BYTES),
        ("duration", vendor.VIBER_VIDEO_MAX_SECONDS),
    ):
        value = data.get(field)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit
        ):
            raise chat_reject(call, 9000, f"{field} must be a number from 1 to {limit}")
    file_type = data.get("fileType")
    if file_type is not None and file_type not in vendor.VIBER_FILE_TYPES:
        raise chat_reject(call, 9000, "fileType is not a supported file type")


def _known_country(number: str) -> bool:
    return any(phonenumbers.region_code_for_country_code(int(number[:size])) != "ZZ" for size in (1, 2, 3))


# ----- Zalo ZNS ---------------------------------------------------------------------------------


def zalo_send(call: Call) -> Reply:
    body = call.json_object()
    if body.get("appkey") != call.state.accounts.nxcloud.zalo_app_key:
        raise chat_reject(call, 9003)
    phone = body.get("phone")
    if not _filled(phone):
        raise chat_reject(call, 9000, "phone is required")
    if not (isinstance(phone, str) and _VIETNAMESE.fullmatch(phone)):
        raise chat_reject(call, 9002)
    if body.get("functionType") != vendor.ZALO_FUNCTION_TYPE:
        raise chat_reject(call, 9000, "functionType must be template")
    data = body.get("messageData")
    if not isinstance(data, dict) or not _filled(data.get("templateId")):
        raise chat_reject(call, 9000, "messageData.templateId is required")
    values = data.get("templateData")
    if not isinstance(values, dict) or not all(_filled(value) for value in values.values()):
        raise chat_reject(call, 9000, "messageData.templateData must be an object without empty values")
    webhook, ext = body.get("drWebhook"), body.get("ext")
    if webhook is not None and (not isinstance(webhook, str) or len(webhook) > vendor.ZALO_DR_WEBHOOK_MAX):
        raise chat_reject(call, 9000, f"drWebhook must be at most {vendor.ZALO_DR_WEBHOOK_MAX} characters")
    if ext is not None and (not isinstance(ext, str) or len(ext.encode("utf-8")) > vendor.ZALO_EXT_MAX_BYTES):
        raise chat_reject(call, 9000, f"ext must be at most {vendor.ZALO_EXT_MAX_BYTES} bytes")
    request_id = f"zalomid.{call.state.ids.hex(32)}"
    _record(
        call,
        "zalo",
        phone,
        str(data["templateId"]),
        request_id,
        app=body["appkey"],
        client_reference=ext or None,  # ext is echoed in the receipts
        details={"messageData": data, "drWebhook": webhook},
    )
    return {"code": 0, "message": "Success", "data": {"requestId": request_id}}


#: the endpoints this module simulates: endpoint name -> handler
HANDLERS: dict[str, Handler] = {
    "whatsapp_send": whatsapp_send,
    "viber_send": viber_send,
    "zalo_send": zalo_send,
}
