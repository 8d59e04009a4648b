"""Sensors that wait for what a send became: SMS and email delivery reports, call records.

Give each sensor exactly one of ``message_ids``, ``results_path`` or
``send_task_id`` (see :mod:`airflow_provider_nxcloud.campaign.delivery` for how
each is read and how each platform is asked). The sensor succeeds when every
message has a final report and at least ``min_delivered_ratio`` of them were
delivered (calls: answered); it fails at once (no retries) as soon as the ratio
can no longer be reached, naming the failed numbers and why.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_nxcloud.campaign.delivery import (
    FAILURE,
    SUCCESS,
    DeliveryReport,
    DeliveryTracker,
    MessageRef,
    MessageStatus,
    check_ratio,
    describe,
    poller_for,
    refs_from_ids,
    refs_from_results,
    refs_from_send_result,
    write_report,
)
from airflow_provider_nxcloud.exceptions import DeliveryWaitError, InvalidInputError, RetryableAPIError
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin, hook_class_for
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.overrides import plain_overrides
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.triggers.delivery import ERROR, TIMEOUT, SmsDeliveryTrigger

EVENT_STATUSES = (SUCCESS, FAILURE, TIMEOUT, ERROR)


class DeliverySensor(BaseSensorOperator, PlatformHookMixin[CPaaSHook]):
    """Base of the delivery sensors; use a platform's sensor.

    :param message_ids: the vendor message ids to wait for: a list of ids, or of
        ``{"message_id", "number", "date"}`` objects, or a comma-separated / JSON-array
        string. Templated.
    :param results_path: a send task's results file (JSON Lines); its accepted lines'
        ``vendor_id`` and ``number`` are waited for. Templated.
    :param send_task_id: the send task whose XCom summary names the messages (its
        ``results_path`` when set, else its ``vendor_ids``).
    :param min_delivered_ratio: delivered (calls: answered) / total needed, 0 to 1 (default 1.0:
        every message).
    :param report_path: where to write one JSON line per message (number, id, outcome,
        vendor status, reason) when the wait ends. Templated; any ``ObjectStoragePath``.
    :param max_consecutive_errors: deferrable mode: transient failed polls in a row
        the trigger tolerates before the task fails (and may be retried).
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.
    :param deferrable: wait in the triggerer instead of a worker slot (poke once first).

    ``poke_interval`` is also the trigger's poll interval; ``timeout`` is the deadline of
    the whole wait in either mode. Returns (XCom) a small summary: counts, ratio,
    failure reasons and samples of failed and pending numbers.
    """

    template_fields: Sequence[str] = ("message_ids", "results_path", "report_path")
    template_fields_renderers: ClassVar[dict[str, str]] = {"message_ids": "json"}
    ui_color = "#e3f4e1"

    platform: ClassVar[str]
    #: what is waited for: "sms", "email" or "voice" (a (platform, kind) poller in campaign.delivery)
    kind: ClassVar[str] = "sms"

    def __init__(
        self,
        *,
        conn_id: str,
        message_ids: Any = None,
        results_path: Any = None,
        send_task_id: str | None = None,
        min_delivered_ratio: float = 1.0,
        report_path: Any = None,
        max_consecutive_errors: int = 5,
        disposition_overrides: Mapping[str | int, str] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.message_ids = message_ids
        self.results_path = results_path
        self.send_task_id = send_task_id
        self.min_delivered_ratio = min_delivered_ratio
        self.report_path = report_path
        self.max_consecutive_errors = max_consecutive_errors
        self.disposition_overrides = disposition_overrides
        self.deferrable = deferrable
        self._tracker: DeliveryTracker | None = None
        self._request: Any = None

    # ----- what a platform sensor may change -------------------------------------------------

    def app_id_override(self) -> str | None:
        return None

    def poller_options(self) -> dict[str, Any]:
        """The poller's own settings (plain JSON: the trigger carries them)."""
        return {}

    @property
    def hook_class(self) -> type[CPaaSHook]:
        """The hook of this sensor's :attr:`platform`."""
        return hook_class_for(self.platform)

    @property
    def hook_conn_id(self) -> str:
        return self.conn_id

    # ----- building blocks -------------------------------------------------------------------

    def resolve_messages(self, context: Any) -> list[MessageRef]:
        """The messages to wait for, from the one source given."""
        given = [
            name
            for name, value in (
                ("message_ids", self.message_ids),
                ("results_path", self.results_path),
                ("send_task_id", self.send_task_id),
            )
            if value not in (None, "", [])
        ]
        if len(given) != 1:
            problem = "several were given: " + ", ".join(given) if given else "none was given"
            raise InvalidInputError(
                "message_ids", f"give exactly one of message_ids, results_path or send_task_id; {problem}"
            )
        if self.message_ids not in (None, "", []):
            refs = refs_from_ids(self.message_ids)
        elif self.results_path not in (None, ""):
            refs = refs_from_results(self.results_path)
        else:
            pulled = context["ti"].xcom_pull(task_ids=self.send_task_id)
            if pulled is None:
                raise InvalidInputError("send_task_id", f"task {self.send_task_id!r} returned no XCom")
            refs = refs_from_send_result(pulled, self.platform)
        if not refs:
            raise InvalidInputError(given[0], "names no accepted message to wait for")
        return refs

    def tracker(self, context: Any) -> DeliveryTracker:
        """The wait's state, built on the first poke and kept across pokes of one try."""
        if self._tracker is None:
            ratio = check_ratio(self.min_delivered_ratio)
            refs = self.resolve_messages(context)
            hook = self.hook
            poller = poller_for(
                self.platform,
                hook,
                kind=self.kind,
                app_id=self.app_id_override(),
                options=self.poller_options(),
            )
            self._tracker = DeliveryTracker(poller, refs, ratio)
            self._request = hook.request
        return self._tracker

    def check_credentials(self) -> None:
        """Fail if the connection lacks what the report queries need; reads nothing from the vendor.

        A send operator that waits asks this before its first send, not after.
        """
        poller_for(
            self.platform,
            self.hook,
            kind=self.kind,
            app_id=self.app_id_override(),
            options=self.poller_options(),
        )

    def _write_report(self, statuses: Sequence[MessageStatus]) -> str | None:
        if not self.report_path:
            return None
        lines = write_report(self.report_path, statuses)
        self.log.info("wrote %d delivery lines to %s", lines, self.report_path)
        return str(self.report_path)

    def _finish(self, report: DeliveryReport) -> dict[str, Any]:
        summary = report.summary()
        summary["report_path"] = self._write_report(report.statuses)
        return summary

    # ----- poke mode -----------------------------------------------------------------------------

    def poke(self, context: Any) -> bool | PokeReturnValue:
        with airflow_outcome():
            tracker = self.tracker(context)
            try:
                report = tracker.poll(self._request)
            except RetryableAPIError as exc:
                self.log.warning("delivery reports not readable this time, asking again later: %s", exc)
                return False
        verdict = report.verdict()
        if verdict == SUCCESS:
            summary = self._finish(report)
            self.log.info("%s", describe(summary))
            return PokeReturnValue(is_done=True, xcom_value=summary)
        if verdict == FAILURE:
            raise AirflowFailException(describe(self._finish(report)))
        self.log.info(
            "%s: %d delivered, %d failed, %d pending of %d",
            self.platform,
            report.delivered,
            report.failed,
            report.pending,
            report.total,
        )
        return False

    def execute(self, context: Any) -> Any:
        self._tracker = None
        if self.deferrable:
            return self._execute_deferrable(context)
        try:
            return super().execute(context)
        except AirflowSensorTimeout as exc:
            if self._tracker is None:
                raise
            summary = self._finish(self._tracker.report())
            raise AirflowSensorTimeout(f"{exc} {describe(summary)}") from exc

    # ----- deferrable mode -------------------------------------------------------------------------

    def _execute_deferrable(self, context: Any) -> Any:
        try:
            done = self.poke(context)
        except AirflowFailException as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise
        if isinstance(done, PokeReturnValue) and done.is_done:
            return done.xcom_value
        tracker = self.tracker(context)
        self.defer(
            trigger=SmsDeliveryTrigger(
                platform=self.platform,
                kind=self.kind,
                conn_id=self.conn_id,
                messages=[ref.to_json() for ref in tracker.refs],
                min_delivered_ratio=tracker.min_delivered_ratio,
                poll_interval=self.poke_interval,
                end_time=time.time() + self.timeout,
                max_consecutive_errors=self.max_consecutive_errors,
                app_id=self.app_id_override(),
                options=self.poller_options() or None,
                disposition_overrides=plain_overrides(self.disposition_overrides),
                include_details=bool(self.report_path),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )
        return None  # not reached: defer() raises TaskDeferred

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Turn the trigger's one event into the task's result; everything needed is in the event."""
        if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
            raise AirflowFailException(f"unexpected event from the delivery trigger: {event!r}")
        status = event["status"]
        details = event.get("details")
        summary = {k: v for k, v in event.items() if k not in ("status", "details", "message", "retryable")}
        if details is not None:
            summary["report_path"] = self._write_report([MessageStatus.from_row(row) for row in details])
        elif "total" in summary:
            summary["report_path"] = None
        if status == SUCCESS:
            self.log.info("%s", describe(summary))
            return summary
        if status == FAILURE:
            raise AirflowFailException(describe(summary))
        if status == TIMEOUT:
            raise AirflowSensorTimeout(f"Sensor timed out after {self.timeout} seconds. {describe(summary)}")
        message = str(event.get("message") or "the delivery trigger failed")
        if event.get("retryable"):
            raise DeliveryWaitError(message)
        raise AirflowFailException(message)


#: the name the base had when every sensor waited for SMS
SmsDeliverySensor = DeliverySensor


class _BukaAppSensor(DeliverySensor):
    """A Buka sensor whose query names the app the messages were sent with."""

    template_fields: Sequence[str] = (*DeliverySensor.template_fields, "app_id")

    def __init__(
        self,
        *,
        buka_conn_id: str = "buka_default",
        app_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=buka_conn_id, **kwargs)
        self.buka_conn_id = buka_conn_id
        self.app_id = app_id

    def app_id_override(self) -> str | None:
        return self.app_id or None


class BukaSmsDeliverySensor(_BukaAppSensor):
    """Wait until Buka reports the messages delivered (``getReport``, 200 ids per request).

    :param buka_conn_id: connection of type ``buka``.
    :param app_id: the SMS appId the messages were sent with; default: the connection's. Templated.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "buka"


class BukaEmailStatusSensor(_BukaAppSensor):
    """Wait until Buka reports the emails sent (``getSendEmailRcd``, 200 ids per request).

    Status ``0`` (sent) counts as delivered, ``1`` as failed, ``-1`` (sending) as pending.
    The recipients in the summary are the addresses.

    :param buka_conn_id: connection of type ``buka``.
    :param app_id: the email appId the emails were sent with; default: the connection's
        ``email_app_id``, else its ``app_id``. Templated.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "buka"
    kind = "email"


class BukaVoiceCallSensor(DeliverySensor):
    """Wait until Buka's call records say whether the calls were answered (``GET voice/recordGroup/{voiceId}``).

    A record is written when a call ends: ``terminationCode`` 200 (established) is answered,
    any other code a call that was not; no record yet is pending. ``min_delivered_ratio`` is
    the answered ratio.

    :param buka_conn_id: connection of type ``buka``.

    Message sources (voiceIds), ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "buka"
    kind = "voice"

    def __init__(self, *, buka_conn_id: str = "buka_default", **kwargs: Any) -> None:
        super().__init__(conn_id=buka_conn_id, **kwargs)
        self.buka_conn_id = buka_conn_id


class NXCloudSmsDeliverySensor(DeliverySensor):
    """Wait until NXCloud reports the messages delivered (``/api/sms/get``, one id per request).

    The query needs the day each message was sent: it is read from the results line
    or XCom (``date``, ``send_date`` or ``sent_at``), else today and then yesterday
    (UTC) are tried. The SMS app's ``sms_app_key``/``sms_app_secret`` come from the
    connection's extras.

    :param nxcloud_conn_id: connection of type ``nxcloud``.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "nxcloud"

    def __init__(self, *, nxcloud_conn_id: str = "nxcloud_default", **kwargs: Any) -> None:
        super().__init__(conn_id=nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id


class FoneDynamicsMessageStatusSensor(DeliverySensor):
    """Wait until Fone Dynamics reports the messages delivered (``GET /v2/Messages/{sid}``, one per message).

    A message sent without a delivery receipt counts as delivered once ``Submitted``.

    :param fonedynamics_conn_id: connection of type ``fonedynamics``.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "fonedynamics"

    def __init__(self, *, fonedynamics_conn_id: str = "fonedynamics_default", **kwargs: Any) -> None:
        super().__init__(conn_id=fonedynamics_conn_id, **kwargs)
        self.fonedynamics_conn_id = fonedynamics_conn_id


class NXCloudVoiceCallSensor(DeliverySensor):
    """Wait until NXCloud's call records say whether the calls were answered (``getVoiceCdr``).

    One query per ``messageid`` (a request's numbers share it; rows are matched on the
    number), over the 24 hours from the send time each results line carries
    (``sent_at``; unknown: the last 24 hours), at most one request a second as NXCloud
    allows. ``Successful connection`` is answered, ``Unsuccessful connection`` not;
    ``min_delivered_ratio`` is the answered ratio. The voice app's
    ``voice_app_key``/``voice_app_secret`` come from the connection's extras.
    Give ``results_path`` (or the send task's, through ``send_task_id``): the numbers
    are needed to tell a request's calls apart.

    :param nxcloud_conn_id: connection of type ``nxcloud``.
    :param mode: what sent the calls, as in ``NXCloudSendVoiceOperator``: ``"notification"``
        (default) or ``"verification"`` (records of voiceType 1), ``"broadcast"`` (voiceType 0).

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "nxcloud"
    kind = "voice"

    def __init__(
        self, *, nxcloud_conn_id: str = "nxcloud_default", mode: str = "notification", **kwargs: Any
    ) -> None:
        super().__init__(conn_id=nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id
        self.mode = mode

    def poller_options(self) -> dict[str, Any]:
        from airflow_provider_nxcloud.campaign.nxcloud import VOICE_MODES, check_voice_mode

        endpoint, _ = VOICE_MODES[check_voice_mode(self.mode)]
        return {"voice_type": nxcloud.VOICE_CDR_TYPES[endpoint]}
