"""NXCloud number check: submit numbers to be checked (basic or HLR), each exactly once across retries.

The submit is a send of batches, so it runs on the campaign engine
(:mod:`airflow_provider_nxcloud.campaign.engine`): batches of at most 5,000 numbers,
each recorded in flight before its request and done after its reply, so a retry
resumes after the last accepted batch. Each batch carries a ``batchNo`` made from the
campaign key (dag, run, task, map index; never the try number) and the batch index,
the same on every try. A batch whose reply was lost is looked up by that ``batchNo``
instead of being submitted again (see :class:`NumberCheckSubmitter`).

Every accepted batch (``batchNo``, ``requestId``, numbers, ``failNumber``, the query
date) is also kept in ``task_state_store`` (Airflow 3.3+; a Variable named after the
campaign key before that), so the task's XCom lists every batch, including those a
retry resumed, and :class:`~airflow_provider_nxcloud.sensors.nxcloud_number_check.NXCloudNumberCheckSensor`
can wait for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_nxcloud.campaign.engine import Batch, make_batches
from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context
from airflow_provider_nxcloud.campaign.recipients import (
    NumberFormat,
    open_recipients,
    spool_recipients,
)
from airflow_provider_nxcloud.campaign.results import RecipientResult
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.jobs.nxcloud_number_check import (
    check_level,
    page_of,
    query_call,
    query_date,
    query_dates,
    submit_interval,
)
from airflow_provider_nxcloud.jobs.watch import stable_name
from airflow_provider_nxcloud.operators.in_doubt import DEFAULT_RESPONSE_TIMEOUT, InDoubtQuestions
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import nxcloud as vendor
from airflow_provider_nxcloud.polling import Call, Conversation, Pacer, drive
from airflow_provider_nxcloud.state import TaskInstanceState

#: the key (and Variable name prefix) the batch records are kept under
RECORDS_KEY = "nxcloud_number_check_batches"
#: ``failNumber``: why a result says "rejected"
REFUSED = "refused up front (failNumber)"
_DAY = 86_400


class BatchRecords:
    """The accepted batches of one number-check task, by batch index, kept across its tries."""

    def __init__(self, state: TaskInstanceState) -> None:
        self._state = state
        self.by_index: dict[int, dict[str, Any]] = {
            int(record["index"]): dict(record) for record in state.get() or [] if isinstance(record, Mapping)
        }

    @classmethod
    def for_context(cls, context: Mapping[str, Any]) -> BatchRecords:
        variable = f"{RECORDS_KEY}_{campaign_key_from_context(context)}"
        return cls(TaskInstanceState.for_context(context, RECORDS_KEY, variable=variable))

    def get(self, index: int) -> dict[str, Any] | None:
        return self.by_index.get(index)

    def put(self, record: Mapping[str, Any]) -> None:
        self.by_index[int(record["index"])] = dict(record)
        self._state.set([self.by_index[index] for index in sorted(self.by_index)])

    def xcom(self, batches: int) -> list[dict[str, Any]]:
        """The records of this run's batches as the task returns them (counts, not numbers)."""
        return [
            {
                "batch_no": record["batch_no"],
                "request_id": record.get("request_id"),
                "numbers": record["numbers"],
                # None: not known (the batch was settled by a lookup or in_doubt="skip")
                "fail_numbers": None if record.get("refused") is None else len(record["refused"]),
                "date": record["date"],
                # every reading of the submit's day (UTC, UTC+8): the wait asks each
                "dates": record.get("dates") or [record["date"]],
            }
            for index, record in sorted(self.by_index.items())
            if index < batches
        ]


class NumberCheckSubmitter:
    """Submits one batch per request and looks a batch up by its ``batchNo`` (a campaign ``Sender``)."""

    platform = vendor.PLATFORM
    number_format = NumberFormat.DIGITS
    #: a lookup that finds no rows is made again once results are due
    settle_delay = vendor.NUMBER_CHECK_RESULTS_WITHIN_S

    def __init__(
        self,
        hook: NXCloudHook,
        *,
        app_key: str,
        check_level: int,
        records: BatchRecords,
        campaign: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.hook = hook
        self.app_key = app_key
        self.check_level = check_level
        self.records = records
        self.campaign = campaign
        self.clock = clock
        self.sleep = sleep
        self.max_batch = vendor.NUMBER_CHECK_MAX_NUMBERS
        self.pacer = Pacer()

    def batch_no(self, index: int) -> str:
        """``airflow-<campaign key>-<index>``: the same on every try, at most 64 characters."""
        return stable_name(f"{self.campaign}-{index}", None, max_length=vendor.NUMBER_CHECK_MAX_BATCH_NO)

    def send(self, batch: Batch) -> list[RecipientResult]:
        batch_no = self.batch_no(batch.index)
        self._pace(NXCloudHook.number_check_submit_pacing(submit_interval(len(batch.numbers))))
        sent_at = self.clock()
        data = self.hook.submit_number_check(
            list(batch.numbers), app_key=self.app_key, batch_no=batch_no, check_level=self.check_level
        )
        refused = sorted(_digits(number) for number in data.get("failNumber") or [])
        record = {
            "index": batch.index,
            "batch_no": batch_no,
            # 2024 page: requestId; 2023 page: messageId (Number-Check-API-submit); ASSUMPTION [NX-18]
            "request_id": _text(data.get("requestId") or data.get("messageId")),
            "numbers": len(batch.numbers),
            "refused": refused,
            "date": query_date(sent_at),
            "dates": list(query_dates(sent_at)),
        }
        # kept at once: a try that dies before the batch is recorded done finds the reply here
        self.records.put(record)
        return self._results(batch, record)

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """An in-doubt batch: its reply kept by an earlier try, else its result rows by ``batchNo``.

        Rows prove the batch was accepted. No rows cannot prove it was not: results appear
        10 s to 5 min after a submit, so the batch stays in doubt (``None``); the engine
        looks again once :attr:`settle_delay` has passed, then a decision settles it. ASSUMPTION [NX-17]: the batch was submitted today
        or yesterday, in either reading of the vendor's day (UTC, UTC+8), the dates queried;
        a retry comes within a day.
        """
        batch_no = self.batch_no(batch.index)
        record = self.records.get(batch.index)
        if record is not None and record["batch_no"] == batch_no:
            return self._results(batch, record)
        now = self.clock()
        for date in dict.fromkeys((*query_dates(now), *query_dates(now - _DAY))):
            call = query_call(batch_no, date, page_size=1, app_key=self.app_key)
            total, rows = drive(_one(call), self.hook.request, self.pacer, self.sleep)
            if total:
                found = {
                    "index": batch.index,
                    "batch_no": batch_no,
                    "request_id": _text(rows[0].get("requestId")) if rows else None,
                    "numbers": len(batch.numbers),
                    "refused": None,  # the lost reply's failNumber is not in any row
                    "date": date,
                    "dates": [date],
                }
                self.records.put(found)
                return self._results(batch, found)
        return None

    def unconfirmed(self, batch_index: int, numbers: int) -> None:
        """Record a batch a "skip" decision declared submitted, so the wait still covers it."""
        self.records.put(
            {
                "index": batch_index,
                "batch_no": self.batch_no(batch_index),
                "request_id": None,
                "numbers": numbers,
                "refused": None,
                "date": query_date(self.clock()),
                "dates": list(query_dates(self.clock())),
            }
        )

    def _results(self, batch: Batch, record: Mapping[str, Any]) -> list[RecipientResult]:
        refused = set(record.get("refused") or ())
        return [
            RecipientResult(
                number,
                "rejected" if number in refused else "accepted",
                vendor_id=record.get("request_id"),
                reference=record["batch_no"],
                error=REFUSED if number in refused else None,
            )
            for number in batch.numbers
        ]

    def _pace(self, call: Call) -> None:
        if wait := self.pacer.delay(call):
            self.sleep(wait)
        self.pacer.starting(call)


class NXCloudNumberCheckOperator(BaseOperator, PlatformHookMixin[NXCloudHook], InDoubtQuestions):
    """Submit numbers to NXCloud's number check (basic or HLR), in batches of at most 5,000.

    Every number is validated first (a parseable international number, e.g.
    ``6591234567`` or ``+65 9123 4567``); with ``on_invalid="fail"`` one bad entry fails
    the task before anything is submitted. Submits keep to the vendor's suggested rate
    (10 a second for batches up to 2,000 numbers, 1 a second above). Results arrive
    later: wait for them with
    :class:`~airflow_provider_nxcloud.sensors.nxcloud_number_check.NXCloudNumberCheckSensor`
    (``check_task_id`` = this task), which writes one line per number.

    A retry resumes after the last accepted batch; a batch whose reply was lost is
    looked up by its ``batchNo`` and recorded without a second submit when NXCloud
    lists its results. When NXCloud lists none yet (they take 10 s to 5 min), the
    batch is in doubt and ``in_doubt`` decides; re-running the task later looks again.

    :param numbers: a list of numbers, a comma-separated string, or the path /
        ``ObjectStoragePath`` URL of a file with one number per line (streamed). Templated.
    :param level: ``"basic"`` (checkLevel 1: type, operator, country) or ``"hlr"``
        (checkLevel 5: adds mcc, mnc, ported, active). Templated.
    :param on_invalid: ``"fail"`` (default: an invalid number fails the task before any
        submit) or ``"skip"`` (invalid numbers are left out and counted).
    :param in_doubt: a batch that may have been accepted and has no results yet, looked up
        again after ``settle_delay`` (default 300 s: results take up to 5 min), with no
        decision in ``in_doubt_decisions``: ``"ask"`` (default: a person answers the task's
        Human-in-the-loop question) or ``"fail"`` (naming every such batch).
    :param in_doubt_decisions: ``{batch reference: "skip"|"resend"|"fail"}``; "skip": it was
        submitted, wait for its results; "resend": it was not, submit it again under the
        same ``batchNo``. Templated.
    :param in_doubt_response_timeout: how long the question waits (default 24 hours); no
        answer counts as "fail".
    :param settle_delay: seconds after a submit before its batch is looked up again.
    :param app_key: the number-check app's appkey; defaults to the connection's extra
        ``number_check_app_key``. Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``.

    Returns (XCom): ``{"date", "level", "submitted", "rejected_up_front", "invalid",
    "duplicates", "batches": [{"batch_no", "request_id", "numbers", "fail_numbers",
    "date"}], "resumed_batches", "resolved_batches", "skipped_batches"}``; ``date`` is
    the day the result query must name (each batch also carries its own).
    """

    hook_class = NXCloudHook
    template_fields: Sequence[str] = ("nxcloud_conn_id", "numbers", "level", "app_key", "in_doubt_decisions")
    template_fields_renderers: ClassVar[dict[str, str]] = {"numbers": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        numbers: Any,
        level: str = "basic",
        on_invalid: str = "fail",
        in_doubt: str = "ask",
        in_doubt_decisions: Mapping[str, str] | None = None,
        in_doubt_response_timeout: Any = DEFAULT_RESPONSE_TIMEOUT,
        settle_delay: float | None = None,
        app_key: str | None = None,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        disposition_overrides: Mapping[str | int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.numbers = numbers
        self.level = level
        self.on_invalid = on_invalid
        self.in_doubt = in_doubt
        self.in_doubt_decisions = in_doubt_decisions
        self.in_doubt_response_timeout = in_doubt_response_timeout
        self.settle_delay = settle_delay
        self.app_key = app_key
        self.nxcloud_conn_id = nxcloud_conn_id
        self.disposition_overrides = disposition_overrides

    def _entries(self) -> Iterator[str]:
        return open_recipients(self.numbers, parameter="numbers")

    def execute(self, context: Any) -> dict[str, Any]:
        with airflow_outcome():
            level = check_level(self.level)
            self.check_in_doubt_settings()
            # one streaming pass before the first submit, so "fail" fails before anything is sent;
            # the submits read what it kept
            spool = spool_recipients(
                self._entries(), NumberFormat.DIGITS, on_invalid=self.on_invalid, parameter="numbers"
            )
            report = spool.report
            apply_rate_budget(self, context)
            hook = self.hook
            app_key = hook.app_key("number_check_app_key", self.app_key)
            records = BatchRecords.for_context(context)
            key = campaign_key_from_context(context)
            submitter = NumberCheckSubmitter(
                hook, app_key=app_key, check_level=level, records=records, campaign=key
            )
            numbers = spool.drain()
            sizes: dict[int, int] = {}
            summary, _ = self.run_campaign(
                context,
                submitter,
                _noting_sizes(make_batches(numbers, submitter.max_batch, key), sizes),
                source_parameter="numbers",
                total=report.valid,
            )
            for index in summary.skipped_batches:
                submitter.unconfirmed(index, sizes[index])
        listed = records.xcom(summary.batches)
        result = {
            "date": listed[0]["date"] if listed else query_date(time.time()),
            "level": self.level.strip().lower(),
            "submitted": sum(batch["numbers"] for batch in listed),
            "rejected_up_front": sum(batch["fail_numbers"] or 0 for batch in listed),
            "invalid": report.invalid,
            "duplicates": report.duplicates,
            "batches": listed,
            "resumed_batches": summary.resumed_batches,
            "resolved_batches": summary.resolved_batches,
            "skipped_batches": summary.skipped_batches,
        }
        self.log.info(
            "NXCloud number check (%s): %d numbers submitted in %d batches (%d resumed), %d refused up front, "
            "%d invalid, %d duplicates; results can be queried under date %s",
            result["level"],
            result["submitted"],
            len(listed),
            summary.resumed_batches,
            result["rejected_up_front"],
            report.invalid,
            report.duplicates,
            result["date"],
        )
        return result


def _noting_sizes(batches: Iterable[Batch], sizes: dict[int, int]) -> Iterator[Batch]:
    """The batches, each one's size noted on the way (for batches a "skip" decision leaves unconfirmed)."""
    for batch in batches:
        sizes[batch.index] = len(batch.recipients)
        yield batch


def _one(call: Call) -> Conversation[tuple[int, list[dict[str, Any]]]]:
    """A conversation of one query: ``(totalSize, rows)``."""
    reply = yield call
    return page_of(reply)


def _digits(number: Any) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


__all__ = ["BatchRecords", "NXCloudNumberCheckOperator", "NumberCheckSubmitter"]
