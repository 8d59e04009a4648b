"""NXCloud: a spoken notification that waits, in the triggerer, until the calls are answered.

``NXCloudSendVoiceOperator`` speaks the text through the legacy voice API
(``notsend``, 100 numbers per request, one country per request: the Malaysian
number goes in a request of its own). ``wait_for_delivery=True`` with
``deferrable=True`` then hands the wait to the triggerer, which reads the call
records (``getVoiceCdr``, one request a second at most) for the numbers and send
times in the results file; the task resumes with the send summary and the
answered ratio, and fails if fewer than 75% of the calls were answered.

Against the simulator, +65 9000 0000 (it ends in 0000) never answers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.sdk import dag

from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendVoiceOperator

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
RESULTS = str(DATA_DIR / "example_nxcloud_voice" / "calls-{{ ds }}.jsonl")
CUSTOMERS = ["+65 9100 0001", "+65 9100 0002", "+65 9100 0003", "+65 9000 0000", "+60 12-345 6789"]


@dag(
    dag_id="example_nxcloud_voice",
    schedule="0 9 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "nxcloud", "voice"],
)
def example_nxcloud_voice():
    # [START howto_operator_nxcloud_send_voice]
    NXCloudSendVoiceOperator(
        task_id="call_customers",
        recipients=CUSTOMERS,
        mode="notification",
        text="Hello, this is your bank. Your new card has been sent to you.",
        language="en",
        display_number="6561234567",
        results_path=RESULTS,
        wait_for_delivery=True,
        deferrable=True,
        min_delivered_ratio=0.75,
        delivery_poll_interval=2,
        delivery_timeout=600,
    )
    # [END howto_operator_nxcloud_send_voice]


example_nxcloud_voice()
