"""Fone Dynamics send operators."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_nxcloud.campaign.fonedynamics import (
    FoneDynamicsSmsSender,
    check_schedule,
    check_sms_content,
    schedule_epoch,
)
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator


class FoneDynamicsSendSmsOperator(CampaignSendOperator[FoneDynamicsHook]):
    """Send one SMS text to many numbers through Fone Dynamics ``BatchMessages``, 100 per request.

    Each message carries a client reference (``ExternalId``) derived from the DAG
    run, task and map index, never the try number, so a retry resumes after the
    last accepted batch. A batch whose answer was lost is never sent again
    unasked: it is recorded as sent only when the property's message list shows
    every one of its messages (by reference, number and text); otherwise it is in
    doubt and ``in_doubt`` decides (by default the task fails naming the batch).
    Messages the vendor refuses inside an accepted request (HTTP 200 with an
    ``ErrorCode`` element) are reported per recipient as rejected with
    ``"ErrorCode: Message"``.

    :param text: the message, at most 39,015 characters (255 SMS segments). Templated.
    :param fonedynamics_conn_id: connection of type ``fonedynamics``. Templated.
    :param property_sid: the property to send from; defaults to the connection's
        ``property_sid``. Templated.
    :param sender_id: optional ``From``: an E.164 number, or 1-11 letters, digits or
        spaces with at least one letter; omitted, a leased number is used. Templated.
    :param schedule_time: optional time to send at, with its timezone (a datetime or
        any text pendulum parses, e.g. ``2026-11-23T09:00:00+08:00``); at most 14 days
        ahead and at most 1 hour in the past (sent at once). Checked on every try;
        empty or None sends at once. Templated.

    Recipients, validation, results and retry behaviour: see
    :class:`~airflow_provider_nxcloud.operators.campaign.CampaignSendOperator`.
    """

    hook_class = FoneDynamicsHook
    template_fields: Sequence[str] = (
        "fonedynamics_conn_id",
        *CampaignSendOperator.template_fields,
        "text",
        "property_sid",
        "sender_id",
        "schedule_time",
    )

    def __init__(
        self,
        *,
        text: str,
        fonedynamics_conn_id: str = FoneDynamicsHook.default_conn_name,
        property_sid: str | None = None,
        sender_id: str | None = None,
        schedule_time: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.fonedynamics_conn_id = fonedynamics_conn_id
        self.property_sid = property_sid
        self.sender_id = sender_id
        self.schedule_time = schedule_time

    def check_content(self) -> None:
        check_sms_content(self.text, self.sender_id)
        check_schedule(schedule_epoch(self.schedule_time), time.time())

    delivery_kind = "sms"

    def build_sender(self) -> FoneDynamicsSmsSender:
        hook = self.hook
        return FoneDynamicsSmsSender(
            hook,
            text=self.text,
            property_sid=hook.property_sid(self.property_sid),
            sender_id=self.sender_id,
            schedule=schedule_epoch(self.schedule_time),
        )
