"""Record exports: a vendor's records of the task's data interval into one JSON Lines file.

Each operator declares its platform and delegates: the engine (:mod:`~airflow_provider_nxcloud.exports`)
pages through the vendor's record query and writes the file; what the vendor allows and
what a line holds are in the record source of each platform. The guide: ``docs/guides/exports.rst``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.engine import Interval, RecordSource, run_export
from airflow_provider_nxcloud.exports.files import IntervalFile
from airflow_provider_nxcloud.exports.fonedynamics_messages import FoneDynamicsMessages
from airflow_provider_nxcloud.exports.nxcloud_sms import NXCloudSmsRecords
from airflow_provider_nxcloud.exports.nxcloud_voice import VOICE_TYPES, NXCloudVoiceRecords
from airflow_provider_nxcloud.exports.progress import progress_record
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.mixin import HookT, PlatformHookMixin
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.links import announce_results
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import fonedynamics, nxcloud

if TYPE_CHECKING:
    from airflow.sdk import Context


class RecordsToStorageOperator(BaseOperator, PlatformHookMixin[HookT], Generic[HookT]):
    """Base of the record exports: a vendor's records of the task's data interval to ``output_path``
    as JSON Lines.

    One file per interval, written atomically (parts per page, merged into a temporary
    object that is then moved into place), idempotent (running the interval again replaces
    the file with the same records) and resumable (a retry resumes after the last page
    written: progress in Airflow's ``task_state_store``, a Variable before Airflow 3.3).
    An interval that has not ended, or that is older than the vendor keeps records, fails
    before the first request, naming the parameter.

    Returns (XCom) ``{"platform", "record_type", "path", "interval_start", "interval_end",
    "records", "windows", "queries", "resumed"}``. Outlets: an ``Asset`` gets the counts as
    its event's ``extra``; an ``AssetAlias`` an event of the file's own Asset (``file://`` or
    the object storage URL), so a downstream DAG is scheduled on the file.

    :param output_path: where the file goes: a local path or an object storage URL
        (``file://``, ``s3://``, ...), usually templated per interval
        (``file:///lake/nxcloud/sms/{{ ds }}.jsonl``). Templated.
    :param page_size: records per vendor query (each platform's default is the largest its
        documentation allows). Templated.
    :param disposition_overrides: vendor code -> disposition, as for every operator here.
    """

    ui_color = "#e8f0f6"
    template_fields: Sequence[str] = ("output_path", "page_size")

    def __init__(
        self,
        *,
        output_path: Any,
        page_size: int,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path
        self.page_size = page_size
        self.disposition_overrides = disposition_overrides

    def record_source(self, interval: Interval) -> RecordSource:
        """The platform's record query over ``interval``; a subclass names it."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        with airflow_outcome():
            if not self.output_path or not str(self.output_path).strip():
                raise InvalidInputError("output_path", "is required: the file the interval's records go to")
            interval = Interval.from_context(context)
            file = IntervalFile(self.output_path)
            summary = run_export(
                self.record_source(interval), interval, file, progress_record(context), time.time()
            )
        result = summary.to_json()
        self.log.info(
            "%s %s records %s..%s: %d written to %s in %d queries (%s)",
            summary.platform,
            summary.record_type,
            summary.interval_start,
            summary.interval_end,
            summary.records,
            summary.path,
            summary.queries,
            "resumed" if summary.resumed else "from the start",
        )
        if summary.records == 0:
            self.log.warning(
                "No %s %s records in %s..%s",
                summary.platform,
                summary.record_type,
                summary.interval_start,
                summary.interval_end,
            )
        announce_results(
            self.outlets,
            context,
            {"platform": summary.platform, "results_path": summary.path, "results_lines": summary.records},
        )
        return result


class NXCloudSmsRecordsToStorageOperator(RecordsToStorageOperator[NXCloudHook]):
    """NXCloud SMS records (``getSmsCdr``) of the data interval, day by day, into ``output_path``.

    NXCloud keeps SMS records 31 days and names a day without a zone: the days the interval
    covers in UTC and UTC+8 are read (each once, 999 rows a query) and a record goes to the
    interval its ``date`` stamp falls in. Line schema:
    :mod:`~airflow_provider_nxcloud.exports.nxcloud_sms`.

    :param nxcloud_conn_id: connection of type ``nxcloud`` (its SMS app keys). Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    hook_class = NXCloudHook
    template_fields: Sequence[str] = ("nxcloud_conn_id", *RecordsToStorageOperator.template_fields)

    def __init__(
        self,
        *,
        output_path: Any,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        page_size: int = nxcloud.SMS_RECORDS_MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, page_size=page_size, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id

    def record_source(self, interval: Interval) -> NXCloudSmsRecords:
        return NXCloudSmsRecords(self.hook, interval, self.page_size)


class NXCloudVoiceRecordsToStorageOperator(RecordsToStorageOperator[NXCloudHook]):
    """NXCloud voice call records (``getVoiceCdr``) of the data interval into ``output_path``.

    NXCloud answers one voice type per query, a window of at most 24 hours, the last 7 days,
    one query a second: the interval is read in 24-hour windows, each once per voice type
    (1000 rows a query), the queries a second apart. An interval that does not start an hour
    inside the 7 days (counted in UTC+8, the stricter reading) is refused before any request.
    Line schema: :mod:`~airflow_provider_nxcloud.exports.nxcloud_voice`.

    One account's queries must stay one a second across tasks too: by default no two task
    instances of this task run at once (``max_active_tis_per_dag=1``, so a backfill's intervals
    run one after the other); other tasks querying the same voice app should share a pool of
    one slot with it.

    :param nxcloud_conn_id: connection of type ``nxcloud`` (its voice app keys). Templated.
    :param voice_types: the query's ``voiceType`` values to export into the one file: 0 group
        calls (gpsend), 1 verification codes and notifications (versend, notsend); both by
        default. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    hook_class = NXCloudHook
    template_fields: Sequence[str] = (
        "nxcloud_conn_id",
        *RecordsToStorageOperator.template_fields,
        "voice_types",
    )

    def __init__(
        self,
        *,
        output_path: Any,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        voice_types: Sequence[int] = VOICE_TYPES,
        page_size: int = nxcloud.VOICE_CDR_MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        # one account's getVoiceCdr stays one a second: a backfill's intervals run one at a time
        kwargs.setdefault("max_active_tis_per_dag", 1)
        super().__init__(output_path=output_path, page_size=page_size, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id
        self.voice_types = voice_types

    def record_source(self, interval: Interval) -> NXCloudVoiceRecords:
        return NXCloudVoiceRecords(self.hook, interval, self.page_size, self.voice_types)


class FoneDynamicsMessagesToStorageOperator(RecordsToStorageOperator[FoneDynamicsHook]):
    """A Fone Dynamics property's messages (find SMS) of the data interval into ``output_path``.

    One query window (the interval, epoch seconds UTC), pages of ``page_size`` messages.
    Line schema: :mod:`~airflow_provider_nxcloud.exports.fonedynamics_messages`.

    :param fonedynamics_conn_id: connection of type ``fonedynamics``. Templated.
    :param property_sid: the property whose messages are read; defaults to the
        connection's ``property_sid``. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    hook_class = FoneDynamicsHook
    template_fields: Sequence[str] = (
        "fonedynamics_conn_id",
        *RecordsToStorageOperator.template_fields,
        "property_sid",
    )

    def __init__(
        self,
        *,
        output_path: Any,
        fonedynamics_conn_id: str = FoneDynamicsHook.default_conn_name,
        property_sid: str | None = None,
        page_size: int = fonedynamics.MESSAGES_PAGE_DEFAULT,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, page_size=page_size, **kwargs)
        self.fonedynamics_conn_id = fonedynamics_conn_id
        self.property_sid = property_sid

    def record_source(self, interval: Interval) -> FoneDynamicsMessages:
        return FoneDynamicsMessages(self.hook, interval, self.page_size, self.property_sid)


__all__ = [
    "FoneDynamicsMessagesToStorageOperator",
    "NXCloudSmsRecordsToStorageOperator",
    "NXCloudVoiceRecordsToStorageOperator",
    "RecordsToStorageOperator",
]
