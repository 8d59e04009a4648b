"""Fone Dynamics: a scheduled appointment reminder that waits for its delivery receipts.

``wait_for_delivery=True`` with ``deferrable=True`` sends on the worker, then
hands the wait to the triggerer, which only reads message statuses; the task
resumes with both the send summary and the delivery summary.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator

PATIENTS = ["+61491570156", "+61491570157", "+61491570158"]


@dag(
    dag_id="example_fonedynamics_sms",
    schedule="0 18 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Australia/Sydney"),
    catchup=False,
    tags=["example", "fonedynamics", "sms"],
)
def example_fonedynamics_sms():
    # [START howto_operator_fonedynamics_send_sms]
    FoneDynamicsSendSmsOperator(
        task_id="send_reminders",
        recipients=PATIENTS,
        text="Reminder: your appointment is tomorrow at 10:00. Reply C to confirm.",
        sender_id="Clinic",
        wait_for_delivery=True,
        deferrable=True,
        delivery_poll_interval=2,
        delivery_timeout=600,
    )
    # [END howto_operator_fonedynamics_send_sms]


example_fonedynamics_sms()
