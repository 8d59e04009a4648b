"""Waiting for NXCloud number-check results, then writing them out: one JSON line per number.

NXCloud has no batch status: the sensor counts each batch's result rows (one query
per open batch and poll, at most one query every 3 seconds as the vendor allows)
until they cover every number it took (see
:mod:`airflow_provider_nxcloud.jobs.nxcloud_number_check`). Then it reads every
page (100 rows each, the most the vendor allows) and writes ``results_path``.

A results line::

    {"number": "6591234567", "valid": true, "number_type": "mobile", "operator": "SingTel",
     "country": "SG", "active": true, "ported": false, "mcc": "525", "mnc": "02",
     "check_level": "5", "batch_no": "airflow-...-0", "error": null}

``active``, ``ported``, ``mcc`` and ``mnc`` come with an HLR check only. To drop dead
numbers before a campaign, stream :func:`valid_numbers` of the file, or write them to a
file a send operator takes as ``recipients`` (:func:`write_valid_numbers`)::

    checked = NXCloudNumberCheckSensor(task_id="checked", check_task_id="check",
                                       results_path="s3://bucket/checks/{{ run_id }}.jsonl")

    @task
    def keep_valid(checked: dict, run_id=None) -> str:
        clean = f"s3://bucket/clean/{run_id}.txt"
        write_valid_numbers(checked["results_path"], clean)  # one number per line
        return clean

    NXCloudSendSmsOperator(task_id="send", recipients=keep_valid(checked.output), text="...")
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.jobs.nxcloud_number_check import (
    READ_PAGE_SIZE,
    NumberCheckWatch,
    batches_from,
    is_valid,
    result_line,
)
from airflow_provider_nxcloud.jobs.watch import JobState
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.sensors.task import VendorTaskSensor


class NXCloudNumberCheckSensor(VendorTaskSensor):
    """Wait until NXCloud has checked every number of a number check, then write the results.

    Name the batches with exactly one of ``check_task_id`` (the
    :class:`~airflow_provider_nxcloud.operators.nxcloud_number_check.NXCloudNumberCheckOperator`
    task; its XCom lists every batch with its counts) or ``batches``. A batch named by
    its ``batchNo`` alone has no count: it is complete once it has result rows and their
    number did not change between two polls of one wait (poke or deferrable mode; in
    ``reschedule`` mode give the counts).

    :param results_path: where to write one JSON line per number (``number``, ``valid``,
        ``number_type``, ``operator``, ``country``, HLR ``active``/``ported``/``mcc``/``mnc``,
        ``batch_no``). Templated; any ``ObjectStoragePath``.
    :param check_task_id: the number-check task whose XCom names the batches.
    :param batches: the batches: the check task's XCom, its ``batches`` list, a list of
        ``batchNo`` strings, or a comma-separated string of them. Templated.
    :param date: the day the batches were submitted (yyyy-MM-dd, within the last 14 days);
        overrides the batches' own dates. Default: each batch's date, else today (UTC). Templated.
    :param app_key: the number-check app's appkey, sent with each query; defaults to the
        connection's extra ``number_check_app_key`` (omitted when neither is set). Templated.
    :param nxcloud_conn_id: connection of type ``nxcloud``. Templated.

    Also ``max_consecutive_errors``, ``disposition_overrides`` and ``deferrable`` (see
    :class:`~airflow_provider_nxcloud.sensors.task.VendorTaskSensor`). ``poke_interval``
    is also the trigger's poll interval. Returns (XCom) ``{"results_path", "numbers",
    "valid", "not_valid", "by_type", "batches", "message"}``.
    """

    template_fields: Sequence[str] = ("nxcloud_conn_id", "results_path", "batches", "date", "app_key")
    template_fields_renderers: ClassVar[dict[str, str]] = {"batches": "json"}

    platform = "nxcloud"
    watch_name = "nxcloud_number_check"

    def __init__(
        self,
        *,
        results_path: Any,
        check_task_id: str | None = None,
        batches: Any = None,
        date: Any = None,
        app_key: str | None = None,
        nxcloud_conn_id: str = NXCloudHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=nxcloud_conn_id, **kwargs)
        self.results_path = results_path
        self.check_task_id = check_task_id
        self.batches = batches
        self.date = date
        self.app_key = app_key
        self.nxcloud_conn_id = nxcloud_conn_id

    def watch_options(self, context: Any) -> dict[str, Any]:
        if self.results_path in (None, ""):
            raise InvalidInputError("results_path", "is required: where to write one line per number")
        today = dt.datetime.now(dt.UTC).date()
        batches = batches_from(self._source(context), date=self.date or None, today=today)
        return {"batches": [batch.to_json() for batch in batches], "app_key": self.app_key or None}

    def _source(self, context: Any) -> Any:
        given = [name for name in ("check_task_id", "batches") if getattr(self, name) not in (None, "", [])]
        if len(given) != 1:
            problem = "both were given" if given else "neither was given"
            raise InvalidInputError("batches", f"give exactly one of check_task_id or batches; {problem}")
        if self.check_task_id:
            pulled = context["ti"].xcom_pull(task_ids=self.check_task_id)
            if pulled is None:
                raise InvalidInputError("check_task_id", f"task {self.check_task_id!r} returned no XCom")
            return pulled
        if isinstance(self.batches, str) and self.batches.strip().startswith(("[", "{")):
            try:
                return json.loads(self.batches)  # a rendered XCom
            except ValueError:
                raise InvalidInputError("batches", "is neither JSON nor a comma-separated list") from None
        return self.batches

    def finish(self, context: Any, state: JobState, hook: Any | None) -> dict[str, Any]:
        """Read every result row and write ``results_path``; the XCom counts them."""
        hook = hook or self.hook
        watch = NumberCheckWatch.from_options(hook, self.watch_options(context))
        counts = write_results(watch, hook, self.results_path)
        self.log.info("wrote %d number-check results to %s", counts["numbers"], self.results_path)
        return {"results_path": str(self.results_path), **counts, "message": state.message}


def write_results(watch: NumberCheckWatch, hook: Any, results_path: Any) -> dict[str, Any]:
    """Every result row of ``watch``'s batches as lines at ``results_path``, read page by page.

    The first query waits the vendor's interval too: the last poll was just before.
    A number listed twice (a batch submitted again with ``in_doubt="resend"``) is written once.
    """
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    target = (
        results_path if isinstance(results_path, ObjectStoragePath) else ObjectStoragePath(str(results_path))
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    pacer = Pacer(handed_over=True)
    seen: set[str] = set()
    by_type: Counter[str] = Counter()
    valid = 0
    with target.open("w") as out:
        # every reading of a batch's day is read; a row found under two is written once
        for batch, date in ((b, d) for b in watch.batches for d in b.dates):
            page = 1
            while True:
                total, rows = drive(watch.read(batch, page, date), hook.request, pacer)
                for row in rows:
                    line = result_line(row, batch.batch_no)
                    if line["number"] in seen:
                        continue
                    seen.add(line["number"])
                    by_type[line["number_type"] or "unknown"] += 1
                    valid += is_valid(line)
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                if not rows or page * READ_PAGE_SIZE >= total:
                    break
                page += 1
    return {
        "numbers": len(seen),
        "valid": valid,
        "not_valid": len(seen) - valid,
        "by_type": dict(sorted(by_type.items())),
        "batches": len(watch.batches),
    }


def valid_numbers(results_path: Any) -> Iterator[str]:
    """The numbers a results file marks valid, streamed: what a campaign should still send to.

    A generator reads once; the send operators read their recipients twice (a validation
    pass first), so hand them a list or a file (:func:`write_valid_numbers`).
    """
    for line in read_results(results_path):
        if is_valid(line):
            yield str(line["number"])


def write_valid_numbers(results_path: Any, numbers_path: Any) -> int:
    """Write the valid numbers of a results file one per line to ``numbers_path`` (any
    ``ObjectStoragePath``): a file a send operator takes as ``recipients``. Returns the count."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    target = (
        numbers_path if isinstance(numbers_path, ObjectStoragePath) else ObjectStoragePath(str(numbers_path))
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w") as out:
        for number in valid_numbers(results_path):
            out.write(f"{number}\n")
            count += 1
    return count


__all__ = ["NXCloudNumberCheckSensor", "valid_numbers", "write_results", "write_valid_numbers"]
