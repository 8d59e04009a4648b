"""Vendor records into a data lake: yesterday's records of the three platforms, then a SQLite load.

Every day, each record type's records of the run's data interval (yesterday, UTC) are written
to a local object store as one file per record type and day, then loaded into a SQLite
warehouse:

- NXCloud: SMS records (``<lake>/nxcloud/sms/<day>.jsonl``) and call records
  (``<lake>/nxcloud/calls/<day>.jsonl``: the last 7 days NXCloud keeps, one query a second);
- Fone Dynamics: the property's messages (``<lake>/fonedynamics/messages/<day>.jsonl``);
- Buka: SMS sent records (``<lake>/buka/sms/<day>.parquet``, Parquet when pyarrow is installed),
  group/OTP call records (``<lake>/buka/calls/<day>.jsonl``), call-center records
  (``<lake>/buka/call_center/<day>.jsonl``) and the email records of the day's email sends
  (``<lake>/buka/email/<day>.jsonl``: Buka reads email records by id only, so they are asked for
  the emails in the day's send results, ``$NXCLOUD_EXAMPLE_DATA_DIR/results/buka_email/<day>*.jsonl``,
  which ``BukaSendEmailOperator`` tasks write with ``results_path`` set there; a day without any is
  skipped).

Both steps are idempotent: a rerun of a day replaces its files with the same records, and the
load replaces that day's rows. Each export waits for its record list to settle (Buka's call
records 30 minutes after the day's end, its SMS list 15 minutes, NXCloud's SMS list a minute),
deferred, without holding a worker slot.

Each export declares its file as an Asset (through an ``AssetAlias``): a DAG scheduled on
``AssetAlias("nxcloud_sms_records")`` runs when a day's file is written.

Needs apache-airflow-providers-sqlite and a connection ``records_warehouse_db`` of type
``sqlite`` whose host is the database file, e.g.
``AIRFLOW_CONN_RECORDS_WAREHOUSE_DB='{"conn_type": "sqlite", "host": "/path/to/warehouse.db"}'``.
The lake is ``$NXCLOUD_EXAMPLE_DATA_DIR/lake`` (default ``$AIRFLOW_HOME/data/lake``).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import AssetAlias
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.operators.exports import (
    BukaCallCenterRecordsToStorageOperator,
    BukaEmailRecordsToStorageOperator,
    BukaSmsRecordsToStorageOperator,
    BukaVoiceRecordsToStorageOperator,
    FoneDynamicsMessagesToStorageOperator,
    NXCloudSmsRecordsToStorageOperator,
    NXCloudVoiceRecordsToStorageOperator,
)

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
LAKE = (DATA_DIR / "lake").absolute().as_uri()  # file:///...: any ObjectStoragePath URL works here
CONN_ID = "records_warehouse_db"
#: the interval's day: its start, not ``ds`` (a manual run's logical date is when it was triggered)
DAY = "{{ data_interval_start | ds }}"
#: Parquet needs pyarrow (the ``parquet`` extra); without it the file is JSON Lines
BUKA_SMS_SUFFIX = "parquet" if importlib.util.find_spec("pyarrow") else "jsonl"
#: rows per INSERT round trip: the load streams each file, never holding a day in memory
LOAD_CHUNK = 1_000

#: each record type's line keys that identify a record, say what became of it, and when it began
RECORD_KEYS = {
    ("nxcloud", "sms"): ("message_id", "status", "sent_at"),
    ("nxcloud", "voice"): ("call_id", "status", "started_at"),
    ("fonedynamics", "sms"): ("message_id", "status", "created_at"),
    ("buka", "sms"): ("message_id", "status", "sent_at"),
    ("buka", "voice_call"): ("voice_id", "status", "submitted_at"),
    ("buka", "call_center"): ("session_id", "answered", "started_at"),
    ("buka", "email"): ("email_id", "status", "accepted_at"),
}

CREATE_TABLES = [
    "CREATE TABLE IF NOT EXISTS records (platform TEXT NOT NULL, record_type TEXT NOT NULL,"
    " day TEXT NOT NULL, record_id TEXT NOT NULL, status TEXT, began_at TEXT, line TEXT NOT NULL,"
    " PRIMARY KEY (platform, record_type, record_id))",
]


def _file_records(path: str) -> Iterator[dict[str, Any]]:
    """The export file's records, streamed (a Parquet file batch by batch)."""
    if not path.endswith(".parquet"):
        yield from read_records(path)
        return
    import pyarrow.parquet as pq
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    with ObjectStoragePath(path).open("rb") as stream:
        for batch in pq.ParquetFile(stream).iter_batches(batch_size=LOAD_CHUNK):
            for row in batch.to_pylist():
                # timestamps back to the text JSON Lines holds
                yield {
                    k: v.isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v
                    for k, v in row.items()
                }


def _rows(export: dict[str, Any], day: str) -> Iterator[tuple[Any, ...]]:
    """One warehouse row per exported record, as the file is read."""
    platform, record_type = export["platform"], export["record_type"]
    id_key, status_key, began_key = RECORD_KEYS[(platform, record_type)]
    for line in _file_records(export["path"]):
        status = line[status_key]
        yield (
            platform,
            record_type,
            day,
            str(line[id_key]),
            status if isinstance(status, str) or status is None else json.dumps(status),
            line[began_key],
            json.dumps(line, ensure_ascii=False, separators=(",", ":")),
        )


@task
def day_email_results(data_interval_start: Any = None) -> list[str]:
    """The day's Buka email send results (what the email export reads the ids from); none: skipped."""
    from airflow.providers.common.compat.sdk import AirflowSkipException

    day = data_interval_start.strftime("%Y-%m-%d")
    files = sorted(str(path) for path in (DATA_DIR / "results" / "buka_email").glob(f"{day}*.jsonl"))
    if not files:
        raise AirflowSkipException(f"no Buka email send results for {day}: nothing to export")
    return files


@dag(
    dag_id="example_records_export",
    # runs cover the day before them (Airflow 3's plain "@daily" runs at a point: no interval)
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["example", "nxcloud", "fonedynamics", "buka", "export", "sql"],
)
def example_records_export():
    exports = [
        NXCloudSmsRecordsToStorageOperator(
            task_id="export_nxcloud_sms",
            output_path=f"{LAKE}/nxcloud/sms/{DAY}.jsonl",
            outlets=[AssetAlias("nxcloud_sms_records")],
        ),
        NXCloudVoiceRecordsToStorageOperator(
            task_id="export_nxcloud_calls",
            output_path=f"{LAKE}/nxcloud/calls/{DAY}.jsonl",
            outlets=[AssetAlias("nxcloud_call_records")],
        ),
        FoneDynamicsMessagesToStorageOperator(
            task_id="export_fonedynamics_messages",
            output_path=f"{LAKE}/fonedynamics/messages/{DAY}.jsonl",
            outlets=[AssetAlias("fonedynamics_messages")],
        ),
        BukaSmsRecordsToStorageOperator(
            task_id="export_buka_sms",
            output_path=f"{LAKE}/buka/sms/{DAY}.{BUKA_SMS_SUFFIX}",
            outlets=[AssetAlias("buka_sms_records")],
        ),
        BukaVoiceRecordsToStorageOperator(
            task_id="export_buka_calls",
            output_path=f"{LAKE}/buka/calls/{DAY}.jsonl",
            outlets=[AssetAlias("buka_call_records")],
        ),
        BukaCallCenterRecordsToStorageOperator(
            task_id="export_buka_call_center",
            output_path=f"{LAKE}/buka/call_center/{DAY}.jsonl",
            outlets=[AssetAlias("buka_call_center_records")],
        ),
        BukaEmailRecordsToStorageOperator(
            task_id="export_buka_email",
            output_path=f"{LAKE}/buka/email/{DAY}.jsonl",
            results_path=day_email_results(),
            outlets=[AssetAlias("buka_email_records")],
        ),
    ]
    # a day without email sends skips the email export; the other exports still load
    create = SQLExecuteQueryOperator(
        task_id="create_tables", conn_id=CONN_ID, sql=CREATE_TABLES, trigger_rule="none_failed"
    )

    @task(trigger_rule="none_failed")
    def load(summaries: list[dict[str, Any] | None], data_interval_start: Any = None) -> dict[str, int]:
        """Replace the day's rows of each record type with its file's records, in one transaction."""
        from airflow.providers.sqlite.hooks.sqlite import SqliteHook

        day = data_interval_start.strftime("%Y-%m-%d")
        loaded: dict[str, int] = {}
        with SqliteHook(sqlite_conn_id=CONN_ID).get_conn() as connection:
            for export in filter(None, summaries):  # a skipped export returned nothing
                platform, record_type = export["platform"], export["record_type"]
                connection.execute(
                    "DELETE FROM records WHERE platform = ? AND record_type = ? AND day = ?",
                    (platform, record_type, day),
                )
                rows, count = _rows(export, day), 0
                while chunk := list(islice(rows, LOAD_CHUNK)):
                    connection.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
                    count += len(chunk)
                loaded[f"{platform}/{record_type}"] = count
        return loaded

    exports >> create
    create >> load([export.output for export in exports])


example_records_export()
