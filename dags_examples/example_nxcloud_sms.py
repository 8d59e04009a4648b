"""NXCloud: an SMS batch through the signed v2 API, then a deferrable wait on its results file.

NXCloud gives all numbers of one request a single message id, so the
delivery sensor reads the numbers from the send task's results file and
matches them in the day's delivery records.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.sdk import dag

from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.sensors.delivery import NXCloudSmsDeliverySensor

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
RESULTS = str(DATA_DIR / "example_nxcloud_sms" / "results-{{ ds }}.jsonl")
CUSTOMERS = [f"+65 9100 {i:04d}" for i in range(1, 251)]


@dag(
    dag_id="example_nxcloud_sms",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "nxcloud", "sms"],
)
def example_nxcloud_sms():
    # [START howto_operator_nxcloud_send_sms]
    send = NXCloudSendSmsOperator(
        task_id="send_sms",
        recipients=CUSTOMERS,
        text="Your order has shipped. Track it in the app.",
        sender_id="ShopSG",
        results_path=RESULTS,
    )
    # [END howto_operator_nxcloud_send_sms]
    # [START howto_sensor_nxcloud_sms_delivery]
    wait = NXCloudSmsDeliverySensor(
        task_id="wait_for_delivery",
        results_path=RESULTS,
        deferrable=True,
        poke_interval=2,
        timeout=600,
        min_delivered_ratio=0.99,
    )
    # [END howto_sensor_nxcloud_sms_delivery]
    send >> wait


example_nxcloud_sms()
