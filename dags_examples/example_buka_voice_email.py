"""Buka: a spoken delivery reminder and a templated email, each followed by a deferrable wait.

The reminder is text-to-speech through ``voice/sendCode`` (one callee per request);
``BukaVoiceCallSensor`` then frees its worker slot while the triggerer reads the call
records, and passes when at least 60% of the calls were answered. The email is an
approved template whose variables are rendered per run; ``BukaEmailStatusSensor``
waits until Buka reports every email sent. Both sensors find what to wait for in the
send task's XCom (``send_task_id``).

Against the simulator, +65 9000 0000 (it ends in 0000) never answers: the call
sensor's summary names it, and the ratio still passes.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import dag

from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator, BukaSendVoiceOperator
from airflow_provider_nxcloud.sensors.delivery import BukaEmailStatusSensor, BukaVoiceCallSensor

CUSTOMERS = ["+65 9100 0001", "+65 9100 0002", "+65 9000 0000"]
ADDRESSES = ["ann@example.com", "bob@example.com", "carol@example.com"]
#: a sender address configured in Buka's console (the simulator takes any at sim.buka.test)
SENDER = os.environ.get("BUKA_EXAMPLE_SENDER", "noreply@sim.buka.test")


@dag(
    dag_id="example_buka_voice_email",
    schedule="0 8 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "buka", "voice", "email"],
)
def example_buka_voice_email():
    # [START howto_operator_buka_send_voice]
    call = BukaSendVoiceOperator(
        task_id="call_reminder",
        recipients=CUSTOMERS,
        mode="tts",
        text="Hello, your parcel will be delivered today between nine and twelve.",
        language="EN",
        max_ringing_time=30,
    )
    # [END howto_operator_buka_send_voice]
    # [START howto_sensor_buka_voice_call]
    wait_for_calls = BukaVoiceCallSensor(
        task_id="wait_for_calls",
        send_task_id="call_reminder",
        min_delivered_ratio=0.6,
        deferrable=True,
        poke_interval=1,
        timeout=600,
    )
    # [END howto_sensor_buka_voice_call]
    # [START howto_operator_buka_send_email]
    email = BukaSendEmailOperator(
        task_id="send_email",
        recipients=ADDRESSES,
        subject="Your delivery on {{ ds }}",
        template_id=1001,
        template_data={"date": "{{ ds }}", "slot": "09:00-12:00"},
        from_address=SENDER,
    )
    # [END howto_operator_buka_send_email]
    # [START howto_sensor_buka_email_status]
    wait_for_email = BukaEmailStatusSensor(
        task_id="wait_for_email",
        send_task_id="send_email",
        deferrable=True,
        poke_interval=1,
        timeout=600,
    )
    # [END howto_sensor_buka_email_status]
    call >> wait_for_calls
    email >> wait_for_email


example_buka_voice_email()
