"""A daily SMS campaign: export the audience, send it in mapped batches, wait for delivery, keep results.

The audience export stands in for a warehouse query: it writes one recipient
file per segment (one number per line), so a million numbers never travel
through XCom; only the file paths do. Each segment is one mapped instance of
``BukaSendSmsOperator``, which streams its file, sends 1,000 numbers per
request and writes one JSON line per recipient to its ``results_path``.

Retries are safe: every recipient carries a client reference derived from
the DAG run, task and map index, the operator records each accepted batch in
``task_state_store``, and a retry resumes after the last accepted batch.
Invalid numbers are skipped and counted (``on_invalid="skip"``).

Each segment's delivery is then awaited by a deferrable sensor that reads the
segment's results file: it frees its worker slot while the triggerer polls,
and it fails, naming the numbers and reasons, if fewer than 95% arrive. If a
send fails for good, the on-call phone gets an SMS.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.notifications.sms import SmsNotifier
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor

#: where the example keeps its files; a real DAG would use object storage (s3://...)
DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
SEGMENTS = 3
SEGMENT_SIZE = 1_200
TEXT = "Hi! Our winter sale starts tomorrow at 9:00. Reply STOP to opt out."
ON_CALL = ["6598765432"]


@dag(
    dag_id="example_sms_campaign",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["example", "buka", "sms"],
)
def example_sms_campaign():
    @task
    def export_audience(run_id: str | None = None) -> list[str]:
        """Write one recipient file per segment; return their paths (small, fine for XCom)."""
        folder = DATA_DIR / "example_sms_campaign" / str(run_id).replace(":", "_").replace("+", "_")
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for segment in range(SEGMENTS):
            path = folder / f"segment-{segment}.txt"
            first = 90_000_000 + segment * SEGMENT_SIZE
            lines = [f"65{first + i}" for i in range(SEGMENT_SIZE)]
            lines.append("not-a-number")  # exports are never clean: skipped and counted
            path.write_text("# audience export\n" + "\n".join(lines) + "\n")
            paths.append(str(path))
        return paths

    # [START howto_operator_buka_send_sms_mapped]
    sends = BukaSendSmsOperator.partial(
        task_id="send_sms",
        text=TEXT,
        on_invalid="skip",
        results_path=str(DATA_DIR / "example_sms_campaign" / "results-{{ ds }}-{{ ti.map_index }}.jsonl"),
        on_failure_callback=SmsNotifier(
            conn_id="buka_default",
            recipients=ON_CALL,
            text="{{ dag.dag_id }}: segment {{ ti.map_index }} failed on {{ ds }}",
        ),
    ).expand(recipients=export_audience())
    # [END howto_operator_buka_send_sms_mapped]

    # [START howto_sensor_buka_sms_delivery_mapped]
    BukaSmsDeliverySensor.partial(
        task_id="wait_for_delivery",
        deferrable=True,
        poke_interval=2,
        timeout=600,
        min_delivered_ratio=0.95,
    ).expand(results_path=sends.output.map(lambda summary: summary["results_path"]))
    # [END howto_sensor_buka_sms_delivery_mapped]


example_sms_campaign()
