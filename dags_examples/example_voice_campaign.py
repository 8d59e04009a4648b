"""A Buka voice campaign task: text-to-speech calls, a wait, a second round for the missed ones, a report.

``create_task`` creates one group-call task for the whole list (up to 200,000
numbers in one request); its vendor name is the ``task_name`` prefix plus a key
stable across tries, so a retried create finds the task instead of making a
second one. ``wait_for_calls`` frees its worker slot while the triggerer reads
the task's status until it completes. ``call_again`` re-calls only the numbers
that did not answer, ``wait_for_second_round`` waits for that round, and
``report`` writes both rounds' counts to a JSON file.

To keep calls to business hours, give the create task daily windows in your own
zone, e.g. ``allowed_windows=[("09:00", "12:00"), ("14:00", "18:00")],
windows_timezone="Asia/Singapore"``, and a start with ``send_time``; Buka then
holds the task as "suspended" outside them (the sensors keep waiting).

Against the simulator, +65 9000 0000 (it ends in 0000) never answers, in either round.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.operators.buka_voice_tasks import (
    BukaCreateVoiceTaskOperator,
    BukaResendVoiceTaskOperator,
)
from airflow_provider_nxcloud.sensors.buka_voice_tasks import BukaVoiceTaskSensor

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
CUSTOMERS = [f"+65 9300 {i:04d}" for i in range(1, 50)] + ["+65 9000 0000"]
TASK_ID = "{{ ti.xcom_pull(task_ids='create_task')['task_id'] }}"


@dag(
    dag_id="example_voice_campaign",
    schedule="0 10 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "buka", "voice"],
)
def example_voice_campaign():
    # [START howto_operator_buka_create_voice_task]
    create = BukaCreateVoiceTaskOperator(
        task_id="create_task",
        task_name="renewal-reminder",
        numbers=CUSTOMERS,
        text="Hello, this is ShopSG. Your membership renews next week. Press 1 to talk to us.",
        language="EN",
        loop_count=2,
        max_ringing_seconds=30,
    )
    # [END howto_operator_buka_create_voice_task]
    # [START howto_sensor_buka_voice_task]
    wait = BukaVoiceTaskSensor(
        task_id="wait_for_calls", voice_task_id=TASK_ID, deferrable=True, poke_interval=2, timeout=900
    )
    # [END howto_sensor_buka_voice_task]
    # [START howto_operator_buka_resend_voice_task]
    again = BukaResendVoiceTaskOperator(task_id="call_again", voice_task_id=TASK_ID, failed_only=True)
    # [END howto_operator_buka_resend_voice_task]
    wait_again = BukaVoiceTaskSensor(
        task_id="wait_for_second_round", voice_task_id=TASK_ID, deferrable=True, poke_interval=2, timeout=900
    )

    @task
    def report(first: dict, resend: dict, second: dict, ds: str | None = None) -> dict:
        """Both rounds' counts, to a file the campaign team reads."""
        summary = {
            "task_id": first["task_id"],
            "numbers": first["numbers"],
            "answered_first_round": first["answered"],
            "called_again": resend["resent"],
            "still_not_answered": second["failed"],
        }
        path = DATA_DIR / "example_voice_campaign" / f"report-{ds}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2))
        return summary

    create >> wait >> again >> wait_again
    report(wait.output, again.output, wait_again.output)


example_voice_campaign()
