"""NXCloud chat-channel send operators: WhatsApp, Viber and Zalo ZNS.

Each API takes one recipient per request and offers no status query: the
operators send every recipient exactly once across retries (the campaign
engine records each one in flight and done), and delivery status arrives only
by the channel's webhook, so ``wait_for_delivery`` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow_provider_nxcloud.campaign.nxcloud_chat import (
    VIBER_NAMED_FIELDS,
    NXCloudViberSender,
    NXCloudWhatsAppSender,
    NXCloudZaloSender,
    business_phone,
    viber_message,
    whatsapp_message,
    zalo_fields,
)
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator
from airflow_provider_nxcloud.platforms import nxcloud as vendor


class _NXCloudChatOperator(CampaignSendOperator[NXCloudHook]):
    """What the three chat operators share: the connection, the channel's app key, no delivery wait."""

    #: the connection extra that holds the channel's appkey
    hook_class = NXCloudHook
    app_key_extra: ClassVar[str]
    # the channels report status only by webhook: there is nothing to poll
    delivery_kind = None

    def __init__(
        self,
        *,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        app_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id
        self.app_key = app_key

    def resolved_app_key(self) -> str:
        """The channel app's appkey: this operator's ``app_key``, else the connection's extra."""
        return self.hook.app_key(self.app_key_extra, self.app_key)


class NXCloudSendWhatsAppOperator(_NXCloudChatOperator):
    """Send one WhatsApp message to many numbers through NXCloud's ``/api/wa/mt``, one request per number.

    The body is Meta's Cloud-API shape (``messaging_product`` "whatsapp",
    ``recipient_type`` "individual", ``to``, ``type`` and the object named after the
    type) plus the app's ``appkey`` and the sending ``business_phone``. Give exactly one
    of ``text``, ``template`` or ``media``; its shape is checked before anything is sent.
    Outside a 24-hour customer-service window Meta delivers templates only.

    Exactly once: each number is its own batch, recorded before and after its
    request, so a retry resumes after the last accepted number. The API takes no
    client reference and has no query, so a number whose answer was lost cannot be
    looked up: the task fails naming it (see ``in_doubt``). Each result line's
    ``vendor_id`` is the message's wamid.

    No delivery reports: NXCloud has no WhatsApp status query; sent / delivered /
    read / failed arrive only by the WhatsApp webhook configured in NXCloud (matched
    on the wamid). ``wait_for_delivery`` is therefore refused.

    :param business_phone: the WhatsApp business number bound to the app, with
        country code (NXCloud code 9006 if it is not bound). Templated.
    :param text: a text message: the body as a string (at most 4,096 characters), or
        ``{"body": ..., "preview_url": bool}``. Templated.
    :param template: an approved template: ``{"name": ..., "language": "en_US"`` (or
        ``{"code": ...}``) ``, "components": [...]}``; components are ``{"type":
        "header"|"body"|"button", ...}``, a button with ``sub_type`` ``url`` or
        ``quick_reply`` and ``index`` 0-2, each with ``parameters`` such as
        ``{"type": "text", "text": ...}``. Templated.
    :param media: an image, video, audio, document or sticker:
        ``{"type": "image", "link": "https://..."}`` (or an uploaded ``"id"``), with
        ``caption`` (image, video) or ``filename`` (document). Templated.
    :param app_key: the WhatsApp appkey; defaults to the connection's ``whatsapp_app_key``. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    campaign_kind = "WhatsApp"
    app_key_extra = "whatsapp_app_key"
    content_parameters = ("text", "template", "media")
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *CampaignSendOperator.template_fields,
        "business_phone",
        *content_parameters,
        "app_key",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **CampaignSendOperator.template_fields_renderers,
        "template": "json",
        "media": "json",
    }

    def __init__(
        self,
        *,
        business_phone: str,
        text: str | Mapping[str, Any] | None = None,
        template: Mapping[str, Any] | None = None,
        media: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.business_phone = business_phone
        self.text = text
        self.template = template
        self.media = media

    def check_content(self) -> None:
        business_phone(self.business_phone)
        whatsapp_message(**self.content())

    def build_sender(self) -> NXCloudWhatsAppSender:
        hook, app_key = self.hook, self.resolved_app_key()
        return NXCloudWhatsAppSender(
            hook,
            app_key=app_key,
            business_phone=business_phone(self.business_phone),
            message=whatsapp_message(**self.content()),
        )


class NXCloudSendViberOperator(_NXCloudChatOperator):
    """Send one Viber business message to many numbers through NXCloud's ``/api/viber/mt``, one per request.

    ``function_type`` picks the message's shape and ``messageData`` carries it; give
    the fields in ``message_data`` (the API's names) or, for the common ones, as
    named arguments (``rate_type``, ``text``, ``image``, ``button_text``,
    ``button_link``). What each function type needs and which ``rateType`` it allows
    is checked before anything is sent, as are the video limits (``videoSize`` bytes,
    at most 200 MB; ``duration`` at most 600 s) and ``fileType``. With ``rate_type=
    "OtpTemplate"`` (function type ``text``) give ``templateId``, ``templateParams``
    and ``templateLang`` in ``message_data`` instead of ``text``.

    Exactly once: each number is its own batch, recorded before and after its
    request; a retry resumes after the last accepted number, and a number whose
    answer was lost fails the task naming it (see ``in_doubt``): the API takes no
    client reference and has no query. Each result line's ``vendor_id`` is the
    reply's ``requestId``.

    No delivery reports: NXCloud has no Viber status query; failed / delivered /
    seen / expired arrive only at the app's ``dr_webhook`` (matched on the
    ``requestId``). ``wait_for_delivery`` is therefore refused.

    :param function_type: ``text``, ``image``, ``text_image``, ``text_image_button``,
        ``text_button``, ``file``, ``video``, ``video_text`` or ``video_text_button``.
    :param message_data: the ``messageData`` fields (``rateType``, ``text``, ``image``,
        ``buttonText``, ``buttonLink``, ``fileName``, ``fileLink``, ``fileType``,
        ``thumbnail``, ``videoLink``, ``videoSize``, ``duration``, ``templateId``,
        ``templateParams``, ``templateLang``). Templated.
    :param rate_type: ``rateType``: ``Transactional``, ``Promotional``, ``Session`` or
        ``OtpTemplate``, as the function type allows. Templated.
    :param text: the message text. Templated.
    :param image: the image's http(s) link. Templated.
    :param button_text: the button's title. Templated.
    :param button_link: the button's http(s) link. Templated.
    :param app_key: the Viber appkey; defaults to the connection's ``viber_app_key``. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    campaign_kind = "Viber"
    app_key_extra = "viber_app_key"
    content_parameters = ("message_data", *VIBER_NAMED_FIELDS)
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *CampaignSendOperator.template_fields,
        *content_parameters,
        "app_key",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **CampaignSendOperator.template_fields_renderers,
        "message_data": "json",
    }

    def __init__(
        self,
        *,
        function_type: str,
        message_data: Mapping[str, Any] | None = None,
        rate_type: str | None = None,
        text: str | None = None,
        image: str | None = None,
        button_text: str | None = None,
        button_link: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.function_type = function_type
        self.message_data = message_data
        self.rate_type = rate_type
        self.text = text
        self.image = image
        self.button_text = button_text
        self.button_link = button_link

    def check_content(self) -> None:
        viber_message(self.function_type, **self.content())

    def build_sender(self) -> NXCloudViberSender:
        hook, app_key = self.hook, self.resolved_app_key()
        return NXCloudViberSender(
            hook,
            app_key=app_key,
            function_type=self.function_type,
            message_data=viber_message(self.function_type, **self.content()),
        )


class NXCloudSendZaloOperator(_NXCloudChatOperator):
    """Send one Zalo ZNS template to many Vietnamese numbers through NXCloud's ``/v1/zalo/mt``, one per request.

    Recipients are Vietnamese numbers (``84...``, or national ``0...`` since
    ``default_region`` is ``"VN"``); ``allowed_regions`` stays ``["VN"]`` (ZNS is
    Vietnam's service; an assumption, the page only shows ``84...``). Every
    ``template_data`` variable needs a value: one that renders to nothing fails the
    task before anything is sent.

    Exactly once: each number is its own batch, recorded before and after its
    request; a retry resumes after the last accepted number, and a number whose
    answer was lost fails the task naming it (see ``in_doubt``): the API has no
    query. Each result line's ``vendor_id`` is the reply's ``requestId``
    (``zalomid.<hex>``, the id the receipts carry).

    No delivery reports: NXCloud has no ZNS status query; success / failed /
    delivered / journey receipts arrive only by webhook (the app's, or
    ``dr_webhook``). ``wait_for_delivery`` is therefore refused.

    :param template_id: the approved ZNS template's id. Templated.
    :param template_data: the template's variables, ``{name: text or number}``. Templated.
    :param journey_token: a journey token (``initJourneyToken``) for journey messages. Templated.
    :param dr_webhook: receipt URL for these messages instead of the app's (http(s), at
        most 256 characters). Templated.
    :param ext: text echoed unchanged in every receipt (at most 65,535 bytes). Templated.
    :param app_key: the Zalo appkey; defaults to the connection's ``zalo_app_key``. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    campaign_kind = "Zalo ZNS"
    app_key_extra = "zalo_app_key"
    content_parameters = ("template_id", "template_data", "journey_token", "dr_webhook", "ext")
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *CampaignSendOperator.template_fields,
        *content_parameters,
        "app_key",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **CampaignSendOperator.template_fields_renderers,
        "template_data": "json",
    }

    def __init__(
        self,
        *,
        template_id: str | int,
        template_data: Mapping[str, Any],
        journey_token: str | None = None,
        dr_webhook: str | None = None,
        ext: str | None = None,
        default_region: str | None = "VN",
        allowed_regions: Sequence[str] | None = vendor.ZALO_REGIONS,
        **kwargs: Any,
    ) -> None:
        super().__init__(default_region=default_region, allowed_regions=allowed_regions, **kwargs)
        self.template_id = template_id
        self.template_data = template_data
        self.journey_token = journey_token
        self.dr_webhook = dr_webhook
        self.ext = ext

    def check_content(self) -> None:
        regions = self.allowed_regions
        if regions is None or {str(r).strip().upper() for r in regions} - set(vendor.ZALO_REGIONS):
            raise InvalidInputError(
                "allowed_regions",
                f"must stay {list(vendor.ZALO_REGIONS)}: Zalo ZNS reaches Vietnamese numbers only",
            )
        zalo_fields(**self.content())

    def build_sender(self) -> NXCloudZaloSender:
        hook, app_key = self.hook, self.resolved_app_key()
        return NXCloudZaloSender(hook, app_key=app_key, fields=zalo_fields(**self.content()))
