"""SQL to SMS: a text per customer, streamed from a database query into a Buka campaign.

The first task stands in for the warehouse: it (re)creates a ``customers`` table in SQLite
through the ``common.sql`` operator. The send task runs a query on the same connection
and sends each row's number its own text (Buka ``sendSms/batch``, 1,000 per request). The
rows are read ``fetchmany`` by ``fetchmany`` and spooled to disk as they are validated:
the audience is never a list in memory or in XCom.

The query orders the rows by the table's key: a retry runs it again and resumes after the
last accepted batch, which is only right if the rows come back in the same order (a retry
that reads other rows where an earlier try sent fails before sending anything). Rows with
no phone number are skipped and counted (``on_invalid="skip"``).

Needs apache-airflow-providers-sqlite, and a connection ``sms_audience_db`` of type
``sqlite`` whose host is the database file, e.g.
``AIRFLOW_CONN_SMS_AUDIENCE_DB='{"conn_type": "sqlite", "host": "/path/to/audience.db"}'``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import dag

from airflow_provider_nxcloud.transfers.sql_to_sms import SqlToBukaSmsOperator

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
CONN_ID = "sms_audience_db"
CUSTOMERS = 2_500

#: 2,500 customers: every 50th (25, 75, ...) opted out, every 1,000th has no phone number
FILL_CUSTOMERS = [
    "CREATE TABLE IF NOT EXISTS customers"
    " (id INTEGER PRIMARY KEY, phone TEXT, first_name TEXT NOT NULL, opted_in INTEGER NOT NULL)",
    "DELETE FROM customers",
    f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {CUSTOMERS})"
    " INSERT INTO customers (id, phone, first_name, opted_in)"
    " SELECT i, CASE WHEN i % 1000 = 0 THEN NULL ELSE '6592' || printf('%06d', i) END,"
    " 'Customer ' || i, i % 50 != 25 FROM n",
]

AUDIENCE = """
SELECT phone,
       'Hi ' || first_name || ', your voucher for ' || :day || ' is ready. Reply STOP to opt out.' AS greeting
FROM customers
WHERE opted_in = 1
ORDER BY id
"""


@dag(
    dag_id="example_sql_to_sms",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["example", "buka", "sms", "sql"],
)
def example_sql_to_sms():
    fill = SQLExecuteQueryOperator(task_id="fill_customers", conn_id=CONN_ID, sql=FILL_CUSTOMERS)
    send = SqlToBukaSmsOperator(
        task_id="send_greetings",
        sql_conn_id=CONN_ID,
        sql=AUDIENCE,
        parameters={"day": "{{ ds }}"},
        number_column="phone",
        text_column="greeting",
        fetch_size=500,
        on_invalid="skip",
        results_path=str(DATA_DIR / "example_sql_to_sms" / "results-{{ ds }}.jsonl"),
    )
    fill >> send


example_sql_to_sms()
