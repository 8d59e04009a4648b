"""Vendor records into a data lake: yesterday's NXCloud SMS records and Fone Dynamics messages.

Every day, each platform's records of the run's data interval (yesterday, UTC) are written
to a local object store as one JSON Lines file per platform and day
(``<lake>/nxcloud/sms/<day>.jsonl``, ``<lake>/fonedynamics/messages/<day>.jsonl``), then loaded
into a SQLite warehouse. Both steps are idempotent: a rerun of a day replaces its files
with the same records, and the load replaces that day's rows.

Each export declares its file as an Asset (through an ``AssetAlias``): a DAG scheduled on
``AssetAlias("nxcloud_sms_records")`` runs when a day's file is written.

Needs apache-airflow-providers-sqlite and a connection ``records_warehouse_db`` of type
``sqlite`` whose host is the database file, e.g.
``AIRFLOW_CONN_RECORDS_WAREHOUSE_DB='{"conn_type": "sqlite", "host": "/path/to/warehouse.db"}'``.
The lake is ``$NXCLOUD_EXAMPLE_DATA_DIR/lake`` (default ``$AIRFLOW_HOME/data/lake``).
"""

from __future__ import annotations

import os
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
    FoneDynamicsMessagesToStorageOperator,
    NXCloudSmsRecordsToStorageOperator,
)

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
LAKE = (DATA_DIR / "lake").absolute().as_uri()  # file:///...: any ObjectStoragePath URL works here
CONN_ID = "records_warehouse_db"
#: the interval's day: its start, not ``ds`` (a manual run's logical date is when it was triggered)
DAY = "{{ data_interval_start | ds }}"
#: rows per INSERT round trip: the load streams the file, never holding a day in memory
LOAD_CHUNK = 1_000

CREATE_TABLES = [
    "CREATE TABLE IF NOT EXISTS sms_records (platform TEXT NOT NULL, day TEXT NOT NULL,"
    " message_id TEXT NOT NULL, number TEXT, sender TEXT, status TEXT NOT NULL, receipt TEXT,"
    " sent_at TEXT NOT NULL, segments INTEGER, PRIMARY KEY (platform, message_id))",
]


def _rows(platform: str, day: str, path: str) -> Any:
    """One warehouse row per exported line, as the file is read (both schemas into one table)."""
    for line in read_records(path):
        if platform == "nxcloud":
            yield (
                platform,
                day,
                line["message_id"],
                line["number"],
                line["sender_id"],
                line["status"],
                line["receipt"],
                line["sent_at"],
                line["segments"],
            )
        else:
            yield (
                platform,
                day,
                line["message_id"],
                line["to"],
                line["from"],
                line["status"],
                line["vendor_status"],
                line["created_at"],
                line["segments"],
            )


@dag(
    dag_id="example_records_export",
    # runs cover the day before them (Airflow 3's plain "@daily" runs at a point: no interval)
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["example", "nxcloud", "fonedynamics", "export", "sql"],
)
def example_records_export():
    nxcloud_sms = NXCloudSmsRecordsToStorageOperator(
        task_id="export_nxcloud_sms",
        output_path=f"{LAKE}/nxcloud/sms/{DAY}.jsonl",
        outlets=[AssetAlias("nxcloud_sms_records")],
    )
    fonedynamics_messages = FoneDynamicsMessagesToStorageOperator(
        task_id="export_fonedynamics_messages",
        output_path=f"{LAKE}/fonedynamics/messages/{DAY}.jsonl",
        outlets=[AssetAlias("fonedynamics_messages")],
    )
    create = SQLExecuteQueryOperator(task_id="create_tables", conn_id=CONN_ID, sql=CREATE_TABLES)

    @task
    def load(exports: list[dict[str, Any]], data_interval_start: Any = None) -> dict[str, int]:
        """Replace the day's rows of each platform with its file's records, in one transaction."""
        from airflow.providers.sqlite.hooks.sqlite import SqliteHook

        day = data_interval_start.strftime("%Y-%m-%d")
        loaded: dict[str, int] = {}
        with SqliteHook(sqlite_conn_id=CONN_ID).get_conn() as connection:
            for export in exports:
                platform = export["platform"]
                connection.execute("DELETE FROM sms_records WHERE platform = ? AND day = ?", (platform, day))
                rows, count = _rows(platform, day, export["path"]), 0
                while chunk := list(islice(rows, LOAD_CHUNK)):
                    connection.executemany(
                        "INSERT INTO sms_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk
                    )
                    count += len(chunk)
                loaded[platform] = count
        return loaded

    exports = [nxcloud_sms, fonedynamics_messages]
    exports >> create
    create >> load([nxcloud_sms.output, fonedynamics_messages.output])


example_records_export()
