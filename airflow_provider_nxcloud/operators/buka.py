"""Buka send operators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.campaign.buka import BukaSmsSender, check_sms_content
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator


class BukaSendSmsOperator(CampaignSendOperator):
    """Send one SMS text to many numbers through Buka's ``sendSms``, in batches of 1,000.

    Each recipient carries a client reference (``orderId``) derived from the DAG
    run, task and map index, never the try number, so a retry resumes after the
    last accepted batch and sends nobody twice.

    :param text: the message (at most 1,024 characters). Templated.
    :param buka_conn_id: connection of type ``buka``.
    :param app_id: the SMS appId; defaults to the connection's ``app_id``. Templated.
    :param sender_id: optional sender ID (at most 32 characters). Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    template_fields: Sequence[str] = (*CampaignSendOperator.template_fields, "text", "app_id", "sender_id")

    def __init__(
        self,
        *,
        text: str,
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

    reports_delivery = True

    def delivery_sensor(self, **kwargs: Any) -> Any:
        from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor

        return BukaSmsDeliverySensor(buka_conn_id=self.buka_conn_id, app_id=self.app_id, **kwargs)

    def build_sender(self) -> BukaSmsSender:
        hook = BukaHook(self.buka_conn_id, disposition_overrides=self.disposition_overrides)
        return BukaSmsSender(
            hook, text=self.text, app_id=hook.app_id("sms", self.app_id), sender_id=self.sender_id
        )
