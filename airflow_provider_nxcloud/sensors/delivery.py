"""Sensors that wait for what a send became: SMS and email delivery reports, call records.

Give each sensor exactly one of ``message_ids``, ``results_path`` or
``send_task_id`` (see :mod:`airflow_provider_nxcloud.campaign.delivery` for how
each is read and how each platform is asked). The sensor succeeds when every
message has a final report and at least ``min_delivered_ratio`` of them were
delivered (calls: answered); it fails at once (no retries) as soon as the ratio
can no longer be reached, naming the failed numbers and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow_provider_nxcloud.campaign.delivery import (
    delivery_options,
    describe,
    refs_from_send_result,
)
from airflow_provider_nxcloud.delivery_view import DELIVERY_XCOM_KEY
from airflow_provider_nxcloud.delivery_view.record import delivery_counts
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.jobs.watch import JobState
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.sensors.wait import WaitSensor

#: the watch every delivery sensor runs (jobs.watch.WATCHES)
DELIVERY_WATCH = "delivery"


class DeliverySensor(WaitSensor):
    """Base of the delivery sensors; use a platform's sensor.

    :param message_ids: the vendor message ids to wait for (at most 100): a list of ids, or of
        ``{"message_id", "number", "date"}`` objects, or a comma-separated / JSON-array
        string. Templated.
    :param results_path: a send task's results file (JSON Lines); its accepted lines'
        ``vendor_id`` and ``number`` are waited for, at any campaign size (the wait carries
        the path, never the list). Templated.
    :param send_task_id: the send task whose XCom summary names the messages: its
        ``results_path`` when set, else its ``vendor_ids`` when they are all the messages it
        sent (the XCom keeps at most 100).
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
    failure reasons, samples of failed and pending numbers, and ``report_path``.
    """

    template_fields: Sequence[str] = ("message_ids", "results_path", "report_path")
    template_fields_renderers: ClassVar[dict[str, str]] = {"message_ids": "json"}

    watch_name = DELIVERY_WATCH
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
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=conn_id, **kwargs)
        self.message_ids = message_ids
        self.results_path = results_path
        self.send_task_id = send_task_id
        self.min_delivered_ratio = min_delivered_ratio
        self.report_path = report_path

    # ----- what a platform sensor may change -------------------------------------------------

    def app_id_override(self) -> str | None:
        return None

    def poller_options(self) -> dict[str, Any]:
        """The poller's own settings (plain JSON: the trigger carries them)."""
        return {}

    # ----- the wait ----------------------------------------------------------------------------

    def watch_options(self, context: Any) -> dict[str, Any]:
        return delivery_options(
            self.platform,
            self.kind,
            **self.message_source(context),
            min_delivered_ratio=self.min_delivered_ratio,
            app_id=self.app_id_override(),
            poller_options=self.poller_options() or None,
            report_path=self.report_path,
        )

    def message_source(self, context: Any) -> dict[str, Any]:
        """``{"results_path": ...}`` or ``{"message_ids": ...}`` from the one source given."""
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
        if given[0] == "message_ids":
            return {"message_ids": self.message_ids}
        if given[0] == "results_path":
            return {"results_path": self.results_path}
        pulled = context["ti"].xcom_pull(task_ids=self.send_task_id)
        if pulled is None:
            raise InvalidInputError("send_task_id", f"task {self.send_task_id!r} returned no XCom")
        return source_of_send(pulled, self.platform)

    def record_end(self, context: Any, state: JobState) -> None:
        """A wait on a results file leaves its counts for the delivery view (:data:`DELIVERY_XCOM_KEY`),
        which shows them on the page of the campaign that wrote the file; also when the ratio fails."""
        source = self.message_source(context)
        if "results_path" not in source:
            return
        delivery = delivery_counts({"platform": self.platform, "kind": self.kind, **state.details})
        context["ti"].xcom_push(
            key=DELIVERY_XCOM_KEY, value={"results_path": str(source["results_path"]), "delivery": delivery}
        )

    def finish(self, context: Any, state: JobState, hook: CPaaSHook | None) -> dict[str, Any]:
        """The summary: counts, ratio, failure reasons, samples, and where every message's line is."""
        return {"platform": self.platform, **state.details}

    def failed(self, state: JobState) -> str:
        return describe(state.details)


def source_of_send(result: Any, platform: str) -> dict[str, Any]:
    """The messages a send task's XCom names: its ``results_path``, or its ``vendor_ids`` when they are all.

    A mapped send task's XCom is a list of summaries: their ids are joined; their results
    files cannot be (wait on each with ``results_path``).
    """
    summaries = list(result) if isinstance(result, list | tuple) else [result]
    for item in summaries:
        if not isinstance(item, Mapping):
            raise InvalidInputError("send_task_id", f"its XCom is not a send summary: {item!r}")
    paths = [str(item["results_path"]) for item in summaries if item.get("results_path")]
    if paths:
        if len(summaries) > 1:
            raise InvalidInputError(
                "send_task_id",
                f"names {len(summaries)} send summaries with results files; wait on each with results_path",
            )
        sent_by = summaries[0].get("platform")
        if sent_by and sent_by != platform:
            raise InvalidInputError("send_task_id", f"sent through {sent_by}, but this waits on {platform}")
        return {"results_path": paths[0]}
    # refuses ids that are not all the accepted messages (the XCom keeps at most 100)
    refs = refs_from_send_result(summaries, platform)
    if not refs:
        raise InvalidInputError("send_task_id", "its XCom names no accepted message to wait for")
    return {
        "message_ids": [
            {"message_id": ref.message_id, "number": ref.number, "date": ref.date, "sent_at": ref.sent_at}
            for ref in refs
        ]
    }


def nxcloud_voice_poller_options(mode: str) -> dict[str, Any]:
    """The NXCloud call-record poller's options for what sent the calls (``NXCloudSendVoiceOperator``'s ``mode``)."""
    from airflow_provider_nxcloud.campaign.nxcloud import VOICE_MODES, check_voice_mode

    endpoint, _ = VOICE_MODES[check_voice_mode(mode)]
    return {"voice_type": nxcloud.VOICE_CDR_TYPES[endpoint]}


class _BukaAppSensor(DeliverySensor):
    """A Buka sensor whose query names the app the messages were sent with."""

    template_fields: Sequence[str] = ("buka_conn_id", *DeliverySensor.template_fields, "app_id")

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

    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the SMS appId the messages were sent with; default: the connection's. Templated.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    platform = "buka"


class BukaEmailStatusSensor(_BukaAppSensor):
    """Wait until Buka reports the emails sent (``getSendEmailRcd``, 200 ids per request).

    Status ``0`` (sent) counts as delivered, ``1`` as failed, ``-1`` (sending) as pending.
    The recipients in the summary are the addresses.

    :param buka_conn_id: connection of type ``buka``. Templated.
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

    :param buka_conn_id: connection of type ``buka``. Templated.

    Message sources (voiceIds), ratio, report and modes: see :class:`DeliverySensor`.
    """

    template_fields: Sequence[str] = ("buka_conn_id", *DeliverySensor.template_fields)
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

    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", *DeliverySensor.template_fields)
    platform = "nxcloud"

    def __init__(self, *, nxcloud_conn_id: str = "nxcloud_default", **kwargs: Any) -> None:
        super().__init__(conn_id=nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id


class FoneDynamicsMessageStatusSensor(DeliverySensor):
    """Wait until Fone Dynamics reports the messages delivered (``GET /v2/Messages/{sid}``, one per message).

    A message sent without a delivery receipt counts as delivered once ``Submitted``.

    :param fonedynamics_conn_id: connection of type ``fonedynamics``. Templated.

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    template_fields: Sequence[str] = ("fonedynamics_conn_id", *DeliverySensor.template_fields)
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

    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param mode: what sent the calls, as in ``NXCloudSendVoiceOperator``: ``"notification"``
        (default) or ``"verification"`` (records of voiceType 1), ``"broadcast"`` (voiceType 0).

    Message sources, ratio, report and modes: see :class:`DeliverySensor`.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", *DeliverySensor.template_fields)
    platform = "nxcloud"
    kind = "voice"

    def __init__(
        self, *, nxcloud_conn_id: str = "nxcloud_default", mode: str = "notification", **kwargs: Any
    ) -> None:
        super().__init__(conn_id=nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id
        self.mode = mode

    def poller_options(self) -> dict[str, Any]:
        return nxcloud_voice_poller_options(self.mode)
