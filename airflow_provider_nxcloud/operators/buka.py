"""Buka send operators."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from airflow_provider_nxcloud.campaign.buka import (
    BukaEmailSender,
    BukaSmsSender,
    BukaVoiceSender,
    check_sms_content,
    email_fields,
    open_addresses,
    sms_entries,
    spool_addresses,
    voice_fields,
)
from airflow_provider_nxcloud.campaign.engine import Sender
from airflow_provider_nxcloud.campaign.recipients import ValidationReport
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator


class BukaSendSmsOperator(CampaignSendOperator[BukaHook]):
    """Send one SMS text to many numbers through Buka's ``sendSms``, in batches of 1,000.

    With ``text=None`` each recipient has its own text (personalised): ``recipients``
    is then a list of ``{"number": ..., "text": ...}`` dicts, or a JSON Lines or CSV
    (number, text) file, sent through ``sendSms/batch`` 1,000 numbers per request.
    Every text is checked before the first send.

    Each recipient carries a client reference (``orderId``) derived from the DAG
    run, task and map index, never the try number, so a retry resumes after the
    last accepted batch and sends nobody twice.

    :param text: the message (at most 1,024 characters), or None for a text per
        recipient. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the SMS appId; defaults to the connection's ``app_id``. Templated.
    :param sender_id: optional sender ID (at most 32 characters). Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = BukaHook
    template_fields: Sequence[str] = (
        "buka_conn_id",
        *CampaignSendOperator.template_fields,
        "text",
        "app_id",
        "sender_id",
    )

    def __init__(
        self,
        *,
        text: str | None = None,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        sender_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id
        self.sender_id = sender_id

    def check_content(self) -> None:
        check_sms_content(self.text, self.sender_id)

    def open_entries(self) -> Iterator[str]:
        return sms_entries(self.recipients, self.text)

    delivery_kind = "sms"

    def delivery_settings(self) -> dict[str, Any]:
        return {"app_id": self.app_id or None}

    def build_sender(self) -> BukaSmsSender:
        hook = self.hook
        return BukaSmsSender(
            hook, text=self.text, app_id=hook.app_id("sms", self.app_id), sender_id=self.sender_id
        )


class BukaSendVoiceOperator(CampaignSendOperator[BukaHook]):
    """Call many numbers through Buka: a text-to-speech message or an uploaded audio file.

    ``mode="tts"`` calls each number through ``voice/sendCode`` (one callee per
    request, as Buka documents it); ``mode="audio"`` plays an uploaded file through
    ``voice/sendGroup``, 200 callees per request. Buka voice takes no client
    reference, so a retry resumes from the campaign's progress record: batches
    accepted before are never called again, and a batch whose answer was lost
    fails the task naming it (see ``in_doubt``).

    :param mode: ``"tts"`` (default) or ``"audio"``.
    :param text: TTS text, at most 1,000 characters (tts). Templated.
    :param language: TTS language code: VN, EN, JP, ARB, DE, IN, IT, KR, RU, ES, PT,
        IDN, BD or TH (tts). Templated.
    :param file_id: the id ``voice/fileUpload`` returned (audio). Templated.
    :param speaking_rate: 0.25 to 4 (tts).
    :param gender: voice, 1 male or 2 female (tts).
    :param recall_count: calls again when unanswered, 0 to 9 times (tts).
    :param recall_interval: minutes between those calls, 1 to 999 (tts).
    :param loop_count: plays the message 1 to 3 times.
    :param max_duration: hangs up 1 to 120 seconds after the call is answered.
    :param max_ringing_time: rings 20 to 120 seconds (Buka's default 60).
    :param display_number: caller number shown, 7 to 15 digits. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the voice appId; defaults to the connection's ``voice_app_id``,
        else its ``app_id``. Templated.

    ``wait_for_delivery=True`` waits on the call records as
    :class:`~airflow_provider_nxcloud.sensors.delivery.BukaVoiceCallSensor` would
    (``min_delivered_ratio`` is then the answered ratio).
    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = BukaHook
    campaign_kind = "voice"
    content_parameters = (
        "text",
        "language",
        "file_id",
        "speaking_rate",
        "gender",
        "recall_count",
        "recall_interval",
        "loop_count",
        "max_duration",
        "max_ringing_time",
        "display_number",
    )
    template_fields: Sequence[str] = (
        "buka_conn_id",
        *CampaignSendOperator.template_fields,
        "text",
        "language",
        "file_id",
        "display_number",
        "app_id",
    )

    def __init__(
        self,
        *,
        mode: str = "tts",
        text: str | None = None,
        language: str | None = None,
        file_id: str | None = None,
        speaking_rate: float | None = None,
        gender: int | None = None,
        recall_count: int | None = None,
        recall_interval: int | None = None,
        loop_count: int | None = None,
        max_duration: int | None = None,
        max_ringing_time: int | None = None,
        display_number: str | None = None,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.text = text
        self.language = language
        self.file_id = file_id
        self.speaking_rate = speaking_rate
        self.gender = gender
        self.recall_count = recall_count
        self.recall_interval = recall_interval
        self.loop_count = loop_count
        self.max_duration = max_duration
        self.max_ringing_time = max_ringing_time
        self.display_number = display_number
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id

    def check_content(self) -> None:
        voice_fields(self.mode, **self.content())

    delivery_kind = "voice"

    def build_sender(self) -> BukaVoiceSender:
        hook = self.hook
        return BukaVoiceSender(
            hook, app_id=hook.app_id("voice", self.app_id), mode=self.mode, **self.content()
        )


class BukaSendEmailOperator(CampaignSendOperator[BukaHook]):
    """Send one approved email template to many addresses through Buka's ``email/sendEmail``, 50 per request.

    Recipients are email addresses (a list, a comma-separated string or a file with
    one address per line, as for the SMS operators). Each is checked with a
    conservative pattern, its domain lower-cased, and duplicates are dropped;
    ``on_invalid`` works as for numbers. Buka email takes no client reference, so a
    retry resumes from the campaign's progress record, and a batch whose answer was
    lost fails the task naming it (see ``in_doubt``).

    :param subject: 1 to 100 characters. Templated.
    :param template_id: the approved template's id (a whole number). Templated.
    :param template_data: the template's variables, a dict (sent as a JSON string). Templated.
    :param from_address: a sender address configured in Buka. Templated.
    :param language: template language code such as ``"en"``; Buka's default when unset. Templated.
    :param ad_flag: 0 no ad tag, 1 before the subject, 2 after it.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the email appId; defaults to the connection's ``email_app_id``,
        else its ``app_id``. Templated.

    ``default_region`` and ``allowed_regions`` concern phone numbers and are refused here.
    ``wait_for_delivery=True`` waits until Buka reports the emails sent, as
    :class:`~airflow_provider_nxcloud.sensors.delivery.BukaEmailStatusSensor` would.
    Results, progress and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = BukaHook
    campaign_kind = "email"
    screens_numbers = False
    template_fields: Sequence[str] = (
        "buka_conn_id",
        *CampaignSendOperator.template_fields,
        "subject",
        "template_id",
        "template_data",
        "from_address",
        "language",
        "app_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **CampaignSendOperator.template_fields_renderers,
        "template_data": "json",
    }

    def __init__(
        self,
        *,
        subject: str,
        template_id: str | int,
        from_address: str,
        template_data: Mapping[str, Any] | str | None = None,
        language: str | None = None,
        ad_flag: int | None = None,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.template_id = template_id
        self.from_address = from_address
        self.template_data = template_data
        self.language = language
        self.ad_flag = ad_flag
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id

    def check_content(self) -> None:
        for name in ("default_region", "allowed_regions"):
            if getattr(self, name) is not None:
                raise InvalidInputError(name, "applies to phone numbers, not to email addresses")
        email_fields(
            subject=self.subject,
            template_id=self.template_id,
            from_address=self.from_address,
            template_data=self.template_data,
            language=self.language,
            ad_flag=self.ad_flag,
        )

    delivery_kind = "email"

    def delivery_settings(self) -> dict[str, Any]:
        return {"app_id": self.app_id or None}

    def build_sender(self) -> BukaEmailSender:
        hook = self.hook
        return BukaEmailSender(
            hook,
            app_id=hook.app_id("email", self.app_id),
            subject=self.subject,
            template_id=self.template_id,
            from_address=self.from_address,
            template_data=self.template_data,
            language=self.language,
            ad_flag=self.ad_flag,
        )

    def _validate_up_front(self, sender: Sender, **screening: Any) -> ValidationReport:
        # addresses, not numbers (no screening: screens_numbers is False): spooled for the send
        # pass (the base's _recipient_stream) all the same
        self._suppressed = 0
        self._screened = None
        self._spool = spool_addresses(open_addresses(self.recipients), on_invalid=self.on_invalid)
        return self._spool.report
