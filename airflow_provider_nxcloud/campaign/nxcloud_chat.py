"""NXCloud chat channels: WhatsApp (``/api/wa/mt``), Viber (``/api/viber/mt``) and Zalo ZNS (``/v1/zalo/mt``).

Each API takes one recipient per request, so every recipient is a batch of its
own: the campaign engine records it in flight before its request and done after
it, and a retry resumes after the last accepted recipient. None of the three
has a status query or takes a client reference it could be found by, so a
recipient whose answer was lost cannot be looked up: it is in doubt, and the
``in_doubt`` policy decides (by default the task fails naming it). Status
(delivered, read, seen, failed) arrives only by webhook.

The ``*_message`` / ``zalo_fields`` functions check what the user gave and build
the channel's request fields, raising :class:`InvalidInputError` naming the
parameter before anything is sent; the vendor facts they check against live in
:mod:`airflow_provider_nxcloud.platforms.nxcloud`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import InvalidNumber, NumberFormat, normalize_number
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.exceptions import InvalidInputError, check_one_of
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import nxcloud as vendor

# ----- shared checks ----------------------------------------------------------------------------


def _text(parameter: str, value: Any, what: str, *, limit: int | None = None) -> str:
    """Non-empty text; numbers are accepted as their text (templated values often render to them)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(parameter, f"{what} is empty")
    if limit is not None and len(value) > limit:
        raise InvalidInputError(
            parameter, f"{what} has {len(value)} characters; at most {limit} are accepted"
        )
    return value


def _link(parameter: str, value: Any, what: str) -> str:
    text = _text(parameter, value, what).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError(parameter, f"{what} must be an http(s) URL, not {text!r}")
    return text


def _object(parameter: str, value: Any, what: str) -> dict[str, Any]:
    """A mapping, or a JSON object in a string (a templated value that rendered to text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInputError(parameter, f"{what} is not a JSON object") from None
    if not isinstance(value, Mapping):
        raise InvalidInputError(parameter, f"{what} must be a dict, not {type(value).__name__}")
    return dict(value)


def _only(parameter: str, fields: Mapping[str, Any], allowed: set[str] | frozenset[str], what: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInputError(
            parameter, f"{what} has {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}"
        )


# ----- WhatsApp ---------------------------------------------------------------------------------

_WHATSAPP_CONTENT = ("text", "template", "media")


def business_phone(value: Any) -> str:
    """The sending WABA number with its country code, digits only."""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise InvalidInputError(
            "business_phone", "is empty; give the WhatsApp business number bound to the app"
        )
    try:
        return normalize_number(str(value), NumberFormat.DIGITS)
    except InvalidNumber as exc:
        raise InvalidInputError(
            "business_phone", f"is not a phone number with country code: {exc.reason}"
        ) from None


def whatsapp_message(*, text: Any = None, template: Any = None, media: Any = None) -> dict[str, Any]:
    """``{"type": t, t: {...}}`` of a WhatsApp message: exactly one of text, template or media."""
    given = {"text": text, "template": template, "media": media}
    chosen = [name for name in _WHATSAPP_CONTENT if given[name] is not None]
    if len(chosen) != 1:
        names = ", ".join(chosen) if chosen else "none"
        raise InvalidInputError(
            chosen[-1] if chosen else "text", f"give exactly one of text, template or media (given: {names})"
        )
    if chosen == ["text"]:
        return {"type": "text", "text": _whatsapp_text(text)}
    if chosen == ["template"]:
        return {"type": "template", "template": whatsapp_template(template)}
    kind, content = _whatsapp_media(media)
    return {"type": kind, kind: content}


def _whatsapp_text(text: Any) -> dict[str, Any]:
    if isinstance(text, str):
        return {
            "body": _text("text", text, "the message", limit=vendor.WHATSAPP_TEXT_MAX),
            "preview_url": False,
        }
    fields = _object("text", text, "text")
    _only("text", fields, {"body", "preview_url"}, "text")
    preview = fields.get("preview_url", False)
    if not isinstance(preview, bool):
        raise InvalidInputError("text", f"preview_url must be true or false, not {preview!r}")
    body = _text("text", fields.get("body"), "body", limit=vendor.WHATSAPP_TEXT_MAX)
    return {"body": body, "preview_url": preview}


def whatsapp_template(template: Any) -> dict[str, Any]:
    """The ``template`` object: name, language ``{code, policy: deterministic}`` and components."""
    fields = _object("template", template, "template")
    _only("template", fields, {"name", "language", "components"}, "template")
    name = fields.get("name")
    if not isinstance(name, str) or not vendor.WHATSAPP_TEMPLATE_NAME.fullmatch(name):
        raise InvalidInputError(
            "template",
            f"name must be an approved template's name (lower-case letters, digits, _), not {name!r}",
        )
    result: dict[str, Any] = {"name": name, "language": _whatsapp_language(fields.get("language"))}
    components = fields.get("components")
    if components not in (None, []):
        if not isinstance(components, list | tuple):
            raise InvalidInputError("template", "components must be a list")
        result["components"] = [_whatsapp_component(i, c) for i, c in enumerate(components)]
    return result


def _whatsapp_language(language: Any) -> dict[str, str]:
    if isinstance(language, Mapping):
        _only("template", language, {"code", "policy"}, "language")
        policy = language.get("policy", vendor.WHATSAPP_LANGUAGE_POLICY)
        if policy != vendor.WHATSAPP_LANGUAGE_POLICY:
            raise InvalidInputError(
                "template", f"language.policy must be {vendor.WHATSAPP_LANGUAGE_POLICY!r}, not {policy!r}"
            )
        code = language.get("code")
    else:
        code = language
    if code not in vendor.WHATSAPP_TEMPLATE_LANGUAGES:
        raise InvalidInputError(
            "template", f"language must be a template language code such as 'en' or 'en_US', not {code!r}"
        )
    return {"code": code, "policy": vendor.WHATSAPP_LANGUAGE_POLICY}


def _whatsapp_component(position: int, component: Any) -> dict[str, Any]:
    where = f"components[{position}]"
    if not isinstance(component, Mapping):
        raise InvalidInputError("template", f"{where} must be a dict")
    kind = component.get("type")
    sub_type = component.get("sub_type")
    result: dict[str, Any] = {"type": kind}
    if kind == "button":
        _only("template", component, {"type", "sub_type", "index", "parameters"}, where)
        index = str(component.get("index", "")) if not isinstance(component.get("index"), bool) else ""
        if index not in vendor.WHATSAPP_BUTTON_INDEXES:
            raise InvalidInputError(
                "template",
                f"{where}.index must be the button's position, 0 to 2, not {component.get('index')!r}",
            )
        result.update(sub_type=sub_type, index=index)
    else:
        _only("template", component, {"type", "parameters"}, where)
        sub_type = None
    allowed = vendor.WHATSAPP_TEMPLATE_PARAMETERS.get((str(kind), sub_type))
    if allowed is None:
        raise InvalidInputError(
            "template",
            f"{where} must be of type header, body or button (sub_type url or quick_reply), "
            f"not type={kind!r} sub_type={sub_type!r}",
        )
    parameters = component.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, list | tuple):
            raise InvalidInputError("template", f"{where}.parameters must be a list")
        result["parameters"] = [
            _whatsapp_parameter(f"{where}.parameters[{i}]", p, allowed) for i, p in enumerate(parameters)
        ]
    return result


def _whatsapp_parameter(where: str, parameter: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(parameter, Mapping):
        raise InvalidInputError("template", f"{where} must be a dict")
    kind = parameter.get("type")
    if kind not in allowed:
        raise InvalidInputError("template", f"{where}.type must be one of {', '.join(allowed)}, not {kind!r}")
    _only("template", parameter, {"type", kind}, where)
    if kind in ("text", "payload"):
        return {"type": kind, kind: _text("template", parameter.get(kind), f"{where}.{kind}")}
    return {"type": kind, kind: _media_object(f"{where}.{kind}", kind, parameter.get(kind), "template")}


def _whatsapp_media(media: Any) -> tuple[str, dict[str, Any]]:
    fields = _object("media", media, "media")
    kind = fields.pop("type", None)
    if kind not in vendor.WHATSAPP_MEDIA_FIELDS:
        raise InvalidInputError(
            "media", f"type must be one of {', '.join(vendor.WHATSAPP_MEDIA_FIELDS)}, not {kind!r}"
        )
    return str(kind), _media_object("media", str(kind), fields, "media")


def _media_object(where: str, kind: str, value: Any, parameter: str) -> dict[str, Any]:
    """An image/video/audio/document/sticker object: ``link`` (http(s)) or an uploaded ``id``, plus extras."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(parameter, f"{where} must be a dict with link or id")
    _only(parameter, value, {"link", "id", *vendor.WHATSAPP_MEDIA_FIELDS[kind]}, where)
    if ("link" in value) == ("id" in value):
        raise InvalidInputError(parameter, f"{where} needs exactly one of link or id (an uploaded media id)")
    result = dict(value)
    if "link" in value:
        result["link"] = _link(parameter, value["link"], f"{where}.link")
    else:
        result["id"] = _text(parameter, value["id"], f"{where}.id")
    return result


# ----- Viber ------------------------------------------------------------------------------------

#: the operator's named arguments and the messageData field each one sets
VIBER_NAMED_FIELDS: dict[str, str] = {
    "rate_type": "rateType",
    "text": "text",
    "image": "image",
    "button_text": "buttonText",
    "button_link": "buttonLink",
}
_VIBER_PARAMETER_OF = {field: name for name, field in VIBER_NAMED_FIELDS.items()}


def viber_message(function_type: Any, message_data: Any = None, **named: Any) -> dict[str, Any]:
    """``messageData`` of one Viber function type, from ``message_data`` and the named arguments."""
    kind = check_one_of("function_type", function_type, vendor.VIBER_FUNCTION_TYPES)
    data = _object("message_data", message_data, "message_data") if message_data is not None else {}
    # a field set to None is a field not given (templated dicts often carry optional keys as None)
    data = {field: value for field, value in data.items() if value is not None}
    for name, value in named.items():
        field = VIBER_NAMED_FIELDS[name]
        if value is None:
            continue
        if field in data and data[field] != value:
            raise InvalidInputError(name, f"differs from message_data[{field!r}]; give it once")
        data[field] = value
    _only("message_data", data, vendor.VIBER_MESSAGE_FIELDS, "message_data")
    required, rate_types = vendor.VIBER_FUNCTION_TYPES[kind]
    rate_type = data.get("rateType")
    if rate_type not in rate_types:
        raise InvalidInputError(
            "rate_type",
            f"must be one of {', '.join(rate_types)} for function_type={kind!r}, not {rate_type!r}",
        )
    if rate_type == vendor.VIBER_OTP_RATE_TYPE:
        required = vendor.VIBER_OTP_FIELDS
        optional: tuple[str, ...] = ()
    else:
        optional = vendor.VIBER_OPTIONAL_FIELDS.get(kind, ())
    allowed = {"rateType", *required, *optional}
    for field in data:
        if field not in allowed:
            raise InvalidInputError(
                _VIBER_PARAMETER_OF.get(field, "message_data"),
                f"{field} does not apply to function_type={kind!r} with rateType={rate_type!r}",
            )
    for field in required:
        if data.get(field) in (None, ""):
            raise InvalidInputError(
                _VIBER_PARAMETER_OF.get(field, "message_data"),
                f"{field} is required for function_type={kind!r}",
            )
    return {field: _viber_field(field, value) for field, value in data.items()}


def _viber_field(field: str, value: Any) -> Any:
    parameter = _VIBER_PARAMETER_OF.get(field, "message_data")
    if field in vendor.VIBER_LINK_FIELDS:
        return _link(parameter, value, field)
    if field == "videoSize":
        return _whole(parameter, field, value, vendor.VIBER_VIDEO_MAX_BYTES, "bytes (200 MB)")
    if field == "duration":
        return _whole(parameter, field, value, vendor.VIBER_VIDEO_MAX_SECONDS, "seconds")
    if field == "fileType":
        kind = str(value).strip().lower().lstrip(".")
        if kind not in vendor.VIBER_FILE_TYPES:
            raise InvalidInputError(
                parameter,
                f"fileType {value!r} is not one Viber sends; one of {', '.join(sorted(vendor.VIBER_FILE_TYPES))}",
            )
        return kind
    if field == "templateParams":
        return _object(parameter, value, field)
    if field == "rateType":
        return value
    return _text(parameter, value, field)


def _whole(parameter: str, field: str, value: Any, limit: int, unit: str) -> int:
    try:
        number = int(value) if not isinstance(value, bool | float) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 1 <= number <= limit:
        raise InvalidInputError(
            parameter, f"{field} must be a whole number from 1 to {limit} {unit}, not {value!r}"
        )
    return number


# ----- Zalo ZNS ---------------------------------------------------------------------------------


def zalo_fields(
    *,
    template_id: Any,
    template_data: Any,
    journey_token: Any = None,
    dr_webhook: Any = None,
    ext: Any = None,
) -> dict[str, Any]:
    """The body of a ZNS send but ``appkey`` and ``phone``."""
    message: dict[str, Any] = {
        "templateId": _text("template_id", template_id, "the ZNS template id").strip(),
        "templateData": _zalo_template_data(template_data),
    }
    if journey_token not in (None, ""):
        message["journeyToken"] = _text("journey_token", journey_token, "the journey token")
    fields: dict[str, Any] = {"functionType": vendor.ZALO_FUNCTION_TYPE, "messageData": message}
    if dr_webhook not in (None, ""):
        link = _link("dr_webhook", dr_webhook, "the receipt URL")
        if len(link) > vendor.ZALO_DR_WEBHOOK_MAX:
            raise InvalidInputError(
                "dr_webhook", f"has {len(link)} characters; Zalo accepts at most {vendor.ZALO_DR_WEBHOOK_MAX}"
            )
        fields["drWebhook"] = link
    if ext not in (None, ""):
        if not isinstance(ext, str):
            raise InvalidInputError(
                "ext", f"must be text (it is echoed in the receipts), not {type(ext).__name__}"
            )
        size = len(ext.encode("utf-8"))
        if size > vendor.ZALO_EXT_MAX_BYTES:
            raise InvalidInputError(
                "ext", f"is {size} bytes; Zalo accepts at most {vendor.ZALO_EXT_MAX_BYTES}"
            )
        fields["ext"] = ext
    return fields


def _zalo_template_data(data: Any) -> dict[str, Any]:
    """The template's variables: names to text or numbers, none empty (Zalo would send a blank)."""
    if data is None:
        raise InvalidInputError("template_data", "is required: give the ZNS template's variables as a dict")
    values = _object("template_data", data, "template_data")
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError("template_data", f"has an empty variable name ({name!r})")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInputError(
                "template_data", f"{name!r} must be text or a number, not {type(value).__name__}"
            )
        if isinstance(value, str) and not value.strip():
            raise InvalidInputError(
                "template_data", f"{name!r} is empty; every template variable needs a value"
            )
    return values


# ----- senders ----------------------------------------------------------------------------------


class _ChatSender:
    """One recipient per request; no lookup exists, so a lost answer leaves its recipient in doubt."""

    platform = vendor.PLATFORM
    max_batch = 1
    number_format = NumberFormat.DIGITS

    def __init__(self, hook: NXCloudHook, *, app_key: str) -> None:
        self.hook = hook
        self.app_key = app_key

    def send_one(self, number: str, reference: str) -> str | None:
        """Send to one number through the hook's method; the vendor's id of the message, if any."""
        raise NotImplementedError

    def send(self, batch: Batch) -> list[RecipientResult]:
        [number] = batch.numbers  # max_batch = 1: the APIs take one recipient
        vendor_id = self.send_one(number, batch.recipient_reference(0))
        return [RecipientResult(number, "accepted", vendor_id)]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        # No status query and no client reference to find a message by: it cannot tell.
        return None


class NXCloudWhatsAppSender(_ChatSender):
    """``/api/wa/mt`` through :meth:`NXCloudHook.send_whatsapp`; each result's id is the wamid."""

    def __init__(
        self, hook: NXCloudHook, *, app_key: str, business_phone: str, message: Mapping[str, Any]
    ) -> None:
        super().__init__(hook, app_key=app_key)
        self.business_phone = business_phone
        self.message = dict(message)

    def send_one(self, number: str, reference: str) -> str | None:
        return self.hook.send_whatsapp(
            app_key=self.app_key,
            business_phone=self.business_phone,
            to=number,
            message=self.message,
            client_reference=reference,
        )


class NXCloudViberSender(_ChatSender):
    """``/api/viber/mt`` through :meth:`NXCloudHook.send_viber`; each result's id is ``data.requestId``."""

    def __init__(
        self, hook: NXCloudHook, *, app_key: str, function_type: str, message_data: Mapping[str, Any]
    ) -> None:
        super().__init__(hook, app_key=app_key)
        self.function_type = function_type
        self.message_data = dict(message_data)

    def send_one(self, number: str, reference: str) -> str | None:
        return self.hook.send_viber(
            app_key=self.app_key,
            phone=number,
            function_type=self.function_type,
            message_data=self.message_data,
            client_reference=reference,
        )


class NXCloudZaloSender(_ChatSender):
    """``/v1/zalo/mt`` through :meth:`NXCloudHook.send_zalo`; each result's id is ``data.requestId``
    (ASSUMPTION [NX-12]: ``zalomid.<hex>``, the receipts' id: the send reply's shape was not readable)."""

    def __init__(self, hook: NXCloudHook, *, app_key: str, fields: Mapping[str, Any]) -> None:
        super().__init__(hook, app_key=app_key)
        self.fields = dict(fields)

    def send_one(self, number: str, reference: str) -> str | None:
        return self.hook.send_zalo(
            app_key=self.app_key, phone=number, fields=self.fields, client_reference=reference
        )
