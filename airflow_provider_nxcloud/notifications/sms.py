"""An SMS notifier for ``on_failure_callback`` / ``on_success_callback``, on any of the three platforms."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_nxcloud.campaign.engine import Campaign, make_batches
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore, campaign_key
from airflow_provider_nxcloud.campaign.recipients import open_recipients, spool_recipients
from airflow_provider_nxcloud.campaign.results import ResultsWriter
from airflow_provider_nxcloud.campaign.senders import build_sms_sender, check_sms_conn_type
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin, hook_class_for
from airflow_provider_nxcloud.message_text import MessageTextFiles


class SmsNotifier(MessageTextFiles, BaseNotifier, PlatformHookMixin[CPaaSHook]):
    """Send an SMS when a task or DAG run succeeds or fails.

    The platform follows the connection's type (``nxcloud``, ``buka`` or
    ``fonedynamics``), so one notifier class serves all three::

        BukaSendSmsOperator(..., on_failure_callback=SmsNotifier(
            conn_id="buka_default", recipients=["6591234567"],
            text="{{ dag.dag_id }}.{{ ti.task_id }} failed on {{ ds }}"))

    :param conn_id: an ``nxcloud``, ``buka`` or ``fonedynamics`` connection. Templated.
    :param recipients: a list of numbers or a comma-separated string. Templated.
    :param text: the message. Templated; a value ending in ``.txt`` or ``.j2`` names a template
        file on the DAG's template search path, rendered as the message.
    :param sender_id: optional sender ID in the platform's rules. Templated.
    :param default_region: ISO region for numbers written without a country code.
    :param kwargs: passed to Airflow's ``BaseNotifier`` (``context``, as a Deadline Alert's
        ``AsyncCallback`` gives it).

    Synchronous (``notify``: task and DAG callbacks) and asynchronous (``async_notify``: the
    triggerer, as Deadline Alerts run it)::

        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(hours=1),
            callback=AsyncCallback(SmsNotifier, kwargs={
                "conn_id": "buka_default", "recipients": ["6591234567"],
                "text": "{{ dag_run.dag_id }} is an hour late"}))

    The asynchronous path looks the connection up without blocking the event loop and
    sends from a worker thread. A triggerer that restarts during that send may run the
    callback again, and the message then goes twice: no vendor here takes a key that
    would make a repeated send a no-op.
    """

    template_fields: Sequence[str] = ("conn_id", "recipients", "text", "sender_id")
    #: the notifier takes no overrides: every code keeps the catalog's disposition
    disposition_overrides: Mapping[str | int, str] | None = None

    def __init__(
        self,
        *,
        conn_id: str,
        recipients: Any,
        text: str,
        sender_id: str | None = None,
        default_region: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.recipients = recipients
        self.text = text
        self.sender_id = sender_id
        self.default_region = default_region

    @cached_property
    def conn_type(self) -> str:
        """The connection's type, which names the platform (read in ``notify()``, never before)."""
        return check_sms_conn_type(str(BaseHook.get_connection(self.conn_id).conn_type), self.conn_id)

    @property
    def hook_class(self) -> type[CPaaSHook]:
        """The hook of the connection's platform."""
        return hook_class_for(self.conn_type)

    @property
    def hook_conn_id(self) -> str:
        return self.conn_id

    def notify(self, context: Any) -> None:
        self._forget_connection()
        self._send(context)

    async def async_notify(self, context: Any) -> None:
        from airflow.providers.common.compat.connection import get_async_connection

        self._forget_connection()
        conn = await get_async_connection(self.conn_id)
        self.__dict__["conn_type"] = check_sms_conn_type(str(conn.conn_type), self.conn_id)
        # the hook keeps what this lookup found: the send in the thread looks nothing up again
        await self.hook.aget_settings()
        await asyncio.to_thread(self._send, context)

    def _forget_connection(self) -> None:
        # one notifier may serve several callbacks, each rendered afresh: so is its hook
        for cached in ("conn_type", "hook"):
            self.__dict__.pop(cached, None)

    def _send(self, context: Any) -> None:
        conn_type = self.conn_type
        sender = build_sms_sender(self.hook, text=self.text, sender_id=self.sender_id)
        # every number is checked before the first one is messaged
        with spool_recipients(
            open_recipients(self.recipients), sender.number_format, default_region=self.default_region
        ) as recipients:
            campaign = Campaign(sender, MemoryProgressStore(), ResultsWriter(None))
            summary = campaign.run(make_batches(recipients, sender.max_batch, _notification_key(context)))
        self.log.info(
            "SMS notification via %s: %d accepted, %d rejected", conn_type, summary.accepted, summary.rejected
        )


def _notification_key(context: Any) -> str:
    """A client reference per notified event: the DAG run and, for task callbacks, the task and try;
    for a Deadline Alert (whose context is ``{"dag_run": {...}, "deadline": {...}}``), the deadline."""
    deadline = context.get("deadline")
    dag_run = context.get("dag_run")
    if isinstance(deadline, Mapping) and isinstance(dag_run, Mapping):
        return campaign_key(
            str(dag_run.get("dag_id") or "dag"),
            str(dag_run.get("dag_run_id") or dag_run.get("run_id") or ""),
            f"deadline:{deadline.get('id')}",
            -1,
        )
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_id = str(getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None) or "dag")
    run_id = str(getattr(ti, "run_id", None) or context.get("run_id") or "")
    task = f"notify:{getattr(ti, 'task_id', 'dag')}:{getattr(ti, 'try_number', 0)}"
    return campaign_key(dag_id, run_id, task, getattr(ti, "map_index", -1))


send_sms_notification = SmsNotifier
