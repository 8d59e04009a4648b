"""NXCloud send operators."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.campaign.nxcloud import (
    NXCloudSmsSender,
    NXCloudVoiceSender,
    check_api,
    check_sms_content,
    voice_fields,
)
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator
from airflow_provider_nxcloud.sensors.delivery import nxcloud_voice_poller_options


class NXCloudSendSmsOperator(CampaignSendOperator[NXCloudHook]):
    """Send one SMS text to many numbers through NXCloud, in batches of 100.

    A batch of one number carries a client reference (``sysMessageId``) derived
    from the DAG run, task and map index; NXCloud ignores it on requests with
    several numbers and offers no query by it, so a batch whose answer was lost
    cannot be looked up: the task fails naming the batch (see ``in_doubt``).
    A retry resumes after the last accepted batch.

    Each result line's ``vendor_id`` is the request's ``messageid``; for a batch
    of several numbers NXCloud's delivery reports carry
    ``<messageid>-<10 digits>`` per number, ids no reply returns.

    :param text: the message (at most 1,000 characters). Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param api: ``"v2"`` (default: signed ``/api/sms/mtsend_v2``), ``"v1"`` (signed
        ``/v1/sms/mt``, same body) or ``"legacy"`` (form ``/api/sms/mtsend`` with the
        connection's ``sms_app_key``/``sms_app_secret``).
    :param app_key: the SMS appKey; defaults to the connection's ``sms_app_key``.
        With ``api="legacy"`` the connection's ``sms_app_secret`` is sent with it, so
        it must be that app's key. Templated.
    :param sender_id: optional sender ID (``sourceAddress``: 1-20 letters or digits). Templated.
    :param verification_app: the SMS app is a verification-code channel app: NXCloud takes at
        most 5 numbers a request from those (code 104), so batches hold 5.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = NXCloudHook
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *CampaignSendOperator.template_fields,
        "text",
        "app_key",
        "sender_id",
    )

    def __init__(
        self,
        *,
        text: str,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        api: str = "v2",
        app_key: str | None = None,
        sender_id: str | None = None,
        verification_app: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.nxcloud_conn_id = nxcloud_conn_id
        self.api = api
        self.app_key = app_key
        self.sender_id = sender_id
        self.verification_app = verification_app

    def check_content(self) -> None:
        check_api(self.api)
        check_sms_content(self.text, self.sender_id)

    delivery_kind = "sms"

    def build_sender(self) -> NXCloudSmsSender:
        hook = self.hook
        app_key = hook.app_key("sms_app_key", self.app_key)
        if self.api == "legacy":
            # the hook adds these to every legacy request: a missing one must fail
            # now, before the first batch is recorded as in flight
            hook.app_key("sms_app_key")
            hook.app_key("sms_app_secret")
        return NXCloudSmsSender(
            hook,
            text=self.text,
            app_key=app_key,
            sender_id=self.sender_id,
            api=self.api,
            verification_app=bool(self.verification_app),
        )


class NXCloudSendVoiceOperator(CampaignSendOperator[NXCloudHook]):
    """Call many numbers through NXCloud's voice API: a spoken text, a spoken code or an audio file.

    ``mode="notification"`` speaks ``text`` (``/api/voiceSms/notsend``) and
    ``mode="broadcast"`` plays an uploaded audio file (``gpsend``), 100 numbers per
    request (an assumption: NXCloud documents no limit); ``mode="verification"``
    speaks a code (``versend``) to one number per request (its page: one number only). Each
    request carries the international numbers and their ``country_code``, so it holds one
    country: a batch also ends where the country changes (sort a mixed list by country, or keep it to one with
    ``allowed_regions``). The voice app's ``voice_app_key``/``voice_app_secret`` come from
    the connection. Nothing identifies a request's calls but the ``messageid`` in its
    reply, so a batch whose answer was lost fails the task naming it (see ``in_doubt``);
    a retry resumes after the last accepted batch. Result lines carry ``sent_at``, which
    :class:`~airflow_provider_nxcloud.sensors.delivery.NXCloudVoiceCallSensor` needs.

    :param mode: ``"notification"`` (default), ``"verification"`` or ``"broadcast"``.
    :param text: what to speak (notification, verification; digits of a code separated
        by ``-`` are read one by one). Templated.
    :param language: the voice's language code, e.g. ``"en"``, ``"zh"``, ``"zh-yue"``
        (notification, verification). Templated.
    :param audio_url: the URL of an uploaded audio file (broadcast). Templated.
    :param schedule_time: when to start the calls, with its timezone (broadcast; a datetime
        or any text pendulum parses). Must be in the future, checked on every try; empty
        calls at once. Templated.
    :param display_number: caller number shown (``show_phone``), 1 to 50 digits; the
        vendor may replace it. Required: every NXCloud voice API requires ``show_phone`` and
        documents no default, so the task fails before sending without one. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = NXCloudHook
    campaign_kind = "voice"
    content_parameters = ("text", "language", "audio_url", "schedule_time", "display_number")
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *CampaignSendOperator.template_fields,
        *content_parameters,
    )

    def __init__(
        self,
        *,
        mode: str = "notification",
        text: str | None = None,
        language: str | None = None,
        audio_url: str | None = None,
        schedule_time: Any = None,
        display_number: str | None = None,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.text = text
        self.language = language
        self.audio_url = audio_url
        self.schedule_time = schedule_time
        self.display_number = display_number
        self.nxcloud_conn_id = nxcloud_conn_id

    def check_content(self) -> None:
        voice_fields(self.mode, now=time.time(), **self.content())

    delivery_kind = "voice"

    def delivery_settings(self) -> dict[str, Any]:
        return {"poller_options": nxcloud_voice_poller_options(self.mode)}

    def build_sender(self) -> NXCloudVoiceSender:
        hook = self.hook
        # the hook adds these to every voice request: a missing one must fail now,
        # before the first batch is recorded as in flight
        hook.app_key("voice_app_key")
        hook.app_key("voice_app_secret")
        return NXCloudVoiceSender(hook, mode=self.mode, **self.content())
