"""Record exports: a vendor's records of the task's data interval into one JSON Lines or Parquet file.

Each operator declares its platform and delegates: the engine (:mod:`~airflow_provider_nxcloud.exports`)
pages through the vendor's record query and writes the file; what the vendor allows and
what a line holds are in the record source of each platform. The guide: ``docs/guides/exports.rst``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn

from airflow.providers.common.compat.sdk import BaseOperator
from airflow.providers.standard.triggers.temporal import DateTimeTrigger

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.buka_call_center import BukaCallCenterRecords
from airflow_provider_nxcloud.exports.buka_email import BukaEmailRecords
from airflow_provider_nxcloud.exports.buka_sms import BukaSmsSentRecords
from airflow_provider_nxcloud.exports.buka_voice import BukaVoiceCallRecords
from airflow_provider_nxcloud.exports.engine import (
    Interval,
    RecordSource,
    iso,
    run_export,
    settle_seconds,
)
from airflow_provider_nxcloud.exports.files import IntervalFile, output_format
from airflow_provider_nxcloud.exports.fonedynamics_messages import FoneDynamicsMessages
from airflow_provider_nxcloud.exports.nxcloud_sms import NXCloudSmsRecords
from airflow_provider_nxcloud.exports.nxcloud_voice import VOICE_TYPES, NXCloudVoiceRecords
from airflow_provider_nxcloud.exports.progress import progress_record
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.mixin import HookT, PlatformHookMixin
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.links import announce_results
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud

if TYPE_CHECKING:
    from airflow.sdk import Context

#: the method a settling export resumes into when its trigger fires
SETTLE_RESUME_METHOD = "resume_after_settle"


class RecordsToStorageOperator(BaseOperator, PlatformHookMixin[HookT], Generic[HookT]):
    """Base of the record exports: a vendor's records of the task's data interval to ``output_path``
    as JSON Lines or Parquet.

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
    :param output_format: ``"jsonl"`` (JSON Lines) or ``"parquet"`` (needs pyarrow: the
        provider's ``parquet`` extra; typed columns, row groups of bounded size); None (the
        default): ``"parquet"`` when ``output_path`` ends in ``.parquet``, else ``"jsonl"``. A
        format the path's suffix contradicts (``.jsonl``, ``.ndjson``, ``.parquet``) is refused.
        Templated.
    :param settle: how long after ``data_interval_end`` the interval's records are read, for
        a vendor list that lags behind the sends: a ``timedelta`` or seconds (0 or more);
        None (the default): the record type's own delay (0 unless its source declares one).
        Run before then, the task defers itself to a ``DateTimeTrigger`` at that moment (no
        worker slot held) and resumes into the export when it fires.
    :param disposition_overrides: vendor code -> disposition, as for every operator here.
    """

    ui_color = "#e8f0f6"
    template_fields: Sequence[str] = ("output_path", "page_size", "output_format")
    #: the clock the interval's end and the settle delay are compared with (a test sets the
    #: simulator's clock on the instance)
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(
        self,
        *,
        output_path: Any,
        page_size: int,
        output_format: str | None = None,
        settle: dt.timedelta | float | None = None,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path
        self.page_size = page_size
        self.output_format = output_format
        self.settle = settle
        self.disposition_overrides = disposition_overrides

    def record_source(self, interval: Interval) -> RecordSource:
        """The platform's record query over ``interval``; a subclass names it."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        with airflow_outcome():
            if not self.output_path or not str(self.output_path).strip():
                raise InvalidInputError("output_path", "is required: the file the interval's records go to")
            file = IntervalFile(self.output_path, output_format(self.output_format, self.output_path))
            interval = Interval.from_context(context)
            source = self.record_source(interval)
            settled_at = interval.settled_at(settle_seconds(self.settle, source.settle_s))
            now = self.clock()
            if now < settled_at:
                # refuse now what waiting cannot fix, rather than after the wait
                interval.check_over(now)
                source.check(now)
                file.check_format(source.columns)
            else:
                summary = run_export(source, interval, file, progress_record(context), now)
        if now < settled_at:
            self._wait_to_settle(interval, settled_at)
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

    def _wait_to_settle(self, interval: Interval, settled_at: float) -> NoReturn:
        self.log.info(
            "The records of %s..%s are read at %s (settle delay after the interval's end): deferring",
            iso(interval.start),
            iso(interval.end),
            iso(settled_at),
        )
        self.defer(
            trigger=DateTimeTrigger(moment=dt.datetime.fromtimestamp(settled_at, dt.UTC)),
            method_name=SETTLE_RESUME_METHOD,
        )
        raise AssertionError("defer() returned")  # pragma: no cover - defer always raises

    def resume_after_settle(self, context: Context, event: Any = None) -> dict[str, Any]:
        """Resume when the settle delay has passed: the export (deferring again if the clock says early)."""
        return self.execute(context)


class _NXCloudRecordsToStorageOperator(RecordsToStorageOperator[NXCloudHook]):
    """What the NXCloud record exports share: the ``nxcloud`` connection, templated."""

    hook_class = NXCloudHook
    template_fields: Sequence[str] = ("nxcloud_conn_id", *RecordsToStorageOperator.template_fields)

    def __init__(self, *, output_path: Any, nxcloud_conn_id: str, page_size: int, **kwargs: Any) -> None:
        super().__init__(output_path=output_path, page_size=page_size, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id


class _BukaRecordsToStorageOperator(RecordsToStorageOperator[BukaHook]):
    """What the Buka record exports share: the ``buka`` connection, templated."""

    hook_class = BukaHook
    template_fields: Sequence[str] = ("buka_conn_id", *RecordsToStorageOperator.template_fields)

    def __init__(self, *, output_path: Any, buka_conn_id: str, page_size: int, **kwargs: Any) -> None:
        super().__init__(output_path=output_path, page_size=page_size, **kwargs)
        self.buka_conn_id = buka_conn_id


class NXCloudSmsRecordsToStorageOperator(_NXCloudRecordsToStorageOperator):
    """NXCloud SMS records (``getSmsCdr``) of the data interval, day by day, into ``output_path``.

    NXCloud keeps SMS records 31 days and names a day without a zone: the days the interval
    covers in UTC and UTC+8 are read (each once, 999 rows a query) and a record goes to the
    interval its ``date`` stamp falls in. Line schema:
    :mod:`~airflow_provider_nxcloud.exports.nxcloud_sms`.

    :param nxcloud_conn_id: connection of type ``nxcloud`` (its SMS app keys). Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    def __init__(
        self,
        *,
        output_path: Any,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        page_size: int = nxcloud.SMS_RECORDS_MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            output_path=output_path, nxcloud_conn_id=nxcloud_conn_id, page_size=page_size, **kwargs
        )

    def record_source(self, interval: Interval) -> NXCloudSmsRecords:
        return NXCloudSmsRecords(self.hook, interval, self.page_size)


class NXCloudVoiceRecordsToStorageOperator(_NXCloudRecordsToStorageOperator):
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

    template_fields: Sequence[str] = (*_NXCloudRecordsToStorageOperator.template_fields, "voice_types")

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
        super().__init__(
            output_path=output_path, nxcloud_conn_id=nxcloud_conn_id, page_size=page_size, **kwargs
        )
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


class BukaCallCenterRecordsToStorageOperator(_BukaRecordsToStorageOperator):
    """Buka call-center call records (``cc/record/query``) of the data interval into ``output_path``.

    The query takes at most 32 days a window and 100 records a page: the interval is read in
    the fewest windows that allows (one for a day or a month), each page full. Records of the
    last 59 days only (an older interval fails before any request); the query takes no appId,
    it reads the account's call center. A call goes to the interval its ``callStartTime``
    falls in. Line schema: :mod:`~airflow_provider_nxcloud.exports.buka_call_center`.

    :param buka_conn_id: connection of type ``buka``. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    def __init__(
        self,
        *,
        output_path: Any,
        buka_conn_id: str = BukaHook.default_conn_name,
        page_size: int = buka.CALL_RECORD_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, buka_conn_id=buka_conn_id, page_size=page_size, **kwargs)

    def record_source(self, interval: Interval) -> BukaCallCenterRecords:
        return BukaCallCenterRecords(self.hook, interval, self.page_size)


class BukaVoiceRecordsToStorageOperator(_BukaRecordsToStorageOperator):
    """Buka group/OTP call records (``voice/recordGroupQuery``) of the data interval into ``output_path``.

    A call belongs to the interval its ``submitTime`` falls in. The interval is read in as
    few query windows as Buka's 31-day limit allows (one for any interval up to 30 days),
    100 records a query. Buka writes a record when the call ends and keeps records two
    months: the records are read 30 minutes after the interval's end (``settle``'s default: a
    task run earlier defers until then), and an interval that starts more than 59 days ago
    fails before the first request. Line schema (the SIP ``terminationCode`` with
    its meaning): :mod:`~airflow_provider_nxcloud.exports.buka_voice`.

    :param buka_conn_id: connection of type ``buka``. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    def __init__(
        self,
        *,
        output_path: Any,
        buka_conn_id: str = BukaHook.default_conn_name,
        page_size: int = buka.VOICE_RECORDS_MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, buka_conn_id=buka_conn_id, page_size=page_size, **kwargs)

    def record_source(self, interval: Interval) -> BukaVoiceCallRecords:
        return BukaVoiceCallRecords(self.hook, interval, self.page_size)


class BukaSmsRecordsToStorageOperator(_BukaRecordsToStorageOperator):
    """Buka SMS sent records (``getSentRcd``) of the data interval into ``output_path``.

    Buka keeps them 90 days and answers at most 31 days and 50,000 rows a query: the
    interval is read in windows of at most 31 days, 50,000 rows a page. Its list lags behind
    the sends, so an interval is exported only 15 minutes after it ended (ASSUMPTION [BK-50]);
    a task run earlier defers until then (``settle``). Line schema:
    :mod:`~airflow_provider_nxcloud.exports.buka_sms`.

    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the SMS appId; defaults to the connection's ``app_id``. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    template_fields: Sequence[str] = (*_BukaRecordsToStorageOperator.template_fields, "app_id")

    def __init__(
        self,
        *,
        output_path: Any,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        page_size: int = buka.SMS_SENT_RECORDS_PAGE_ROWS,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, buka_conn_id=buka_conn_id, page_size=page_size, **kwargs)
        self.app_id = app_id

    def record_source(self, interval: Interval) -> BukaSmsSentRecords:
        return BukaSmsSentRecords(self.hook, interval, self.page_size, self.app_id)


class BukaEmailRecordsToStorageOperator(_BukaRecordsToStorageOperator):
    """Buka email records (``getSendEmailRcd``) of the emails sent in the data interval into ``output_path``.

    Buka reads email records only by id (no query over a period is documented), so the emails
    come from the send results: every accepted email of the ``results_path`` files whose
    ``recorded_at`` lies in the interval, asked about 200 ids a query. Line schema:
    :mod:`~airflow_provider_nxcloud.exports.buka_email`.

    :param results_path: the results file(s) of :class:`~airflow_provider_nxcloud.operators.buka.BukaSendEmailOperator`
        runs that may hold emails of the interval: a path or URL, a send task's XCom summary, or a
        list of either (``"{{ ti.xcom_pull(task_ids='send_email') }}"`` with native rendering).
        Emails recorded outside the interval are left to their own interval's export. Templated.
    :param buka_conn_id: connection of type ``buka``. Templated.
    :param app_id: the email appId; defaults to the connection's ``email_app_id``. Templated.

    Output, atomicity, resumption: see :class:`RecordsToStorageOperator`.
    """

    template_fields: Sequence[str] = (
        *_BukaRecordsToStorageOperator.template_fields,
        "results_path",
        "app_id",
    )

    def __init__(
        self,
        *,
        output_path: Any,
        results_path: Any,
        buka_conn_id: str = BukaHook.default_conn_name,
        app_id: str | None = None,
        page_size: int = buka.EMAIL_QUERY_MAX_IDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(output_path=output_path, buka_conn_id=buka_conn_id, page_size=page_size, **kwargs)
        self.results_path = results_path
        self.app_id = app_id

    def record_source(self, interval: Interval) -> BukaEmailRecords:
        return BukaEmailRecords(self.hook, interval, self.page_size, self.results_path, self.app_id)


__all__ = [
    "BukaCallCenterRecordsToStorageOperator",
    "BukaEmailRecordsToStorageOperator",
    "BukaSmsRecordsToStorageOperator",
    "BukaVoiceRecordsToStorageOperator",
    "FoneDynamicsMessagesToStorageOperator",
    "NXCloudSmsRecordsToStorageOperator",
    "NXCloudVoiceRecordsToStorageOperator",
    "RecordsToStorageOperator",
]
