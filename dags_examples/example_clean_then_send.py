"""Clean a contact list with NXCloud's number check, then send the SMS campaign to live numbers only.

``check_numbers`` submits the list (up to 5,000 numbers per request) and returns
the batches; ``wait_for_results`` frees its worker slot while the triggerer polls
the result query (at most once every 3 s), then writes one JSON line per number
(type, operator, country, valid). ``keep_valid`` writes the valid numbers to a
file, and ``send_sms`` streams that file: numbers NXCloud marked invalid never
cost an SMS.

Against the simulator, numbers ending in 0000 come back invalid.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from airflow_provider_nxcloud.sensors.nxcloud_number_check import (
    NXCloudNumberCheckSensor,
    write_valid_numbers,
)

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
FOLDER = DATA_DIR / "example_clean_then_send"
CHECKED = str(FOLDER / "checked-{{ ds }}.jsonl")
#: a contact list as exported from a CRM; three of its numbers are dead
CONTACTS = [f"6592{i:06d}" for i in range(1, 98)] + ["6590000000", "6591000000", "6593000000"]


@dag(
    dag_id="example_clean_then_send",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "nxcloud", "number-check", "sms"],
)
def example_clean_then_send():
    # [START howto_operator_nxcloud_number_check]
    check = NXCloudNumberCheckOperator(task_id="check_numbers", numbers=CONTACTS, level="basic")
    wait = NXCloudNumberCheckSensor(
        task_id="wait_for_results",
        check_task_id="check_numbers",
        results_path=CHECKED,
        deferrable=True,
        poke_interval=3,
        timeout=900,
    )
    # [END howto_operator_nxcloud_number_check]

    # [START howto_valid_numbers]
    @task
    def keep_valid(checked: str, ds: str | None = None) -> str:
        """The live numbers, one per line, for the send task to stream."""
        live = FOLDER / f"live-{ds}.txt"
        kept = write_valid_numbers(checked, str(live))
        print(f"{kept} live numbers kept")
        return str(live)

    live = keep_valid(CHECKED)
    NXCloudSendSmsOperator(
        task_id="send_sms",
        recipients=live,
        text="Our winter sale starts today: 20% off everything until Sunday.",
        sender_id="ShopSG",
        results_path=str(FOLDER / "sent-{{ ds }}.jsonl"),
    )
    check >> wait >> live
    # [END howto_valid_numbers]


example_clean_then_send()
