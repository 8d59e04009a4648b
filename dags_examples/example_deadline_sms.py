"""A Deadline Alert that texts the on-call engineer when the nightly send runs late.

``SmsNotifier`` is awaitable, so Airflow runs it in the triggerer when the deadline passes
(``AsyncCallback``): the connection is looked up without blocking the triggerer's event loop
and the text is rendered from the deadline's context (``dag_run``, ``deadline``). The DAG's
own task sends the night's reminders; if the run has not finished an hour after it was
queued, the alert goes out.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag
from airflow.sdk.definitions.deadline import AsyncCallback, DeadlineAlert, DeadlineReference

from airflow_provider_nxcloud.notifications.sms import SmsNotifier
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

ON_CALL = ["+65 9123 4500"]
CUSTOMERS = ["+65 9123 4501", "+65 9123 4502", "+65 9123 4503"]


@dag(
    dag_id="example_deadline_sms",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    tags=["example", "buka", "sms", "deadline"],
    # [START howto_notifier_deadline_alert]
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=1),
        callback=AsyncCallback(
            SmsNotifier,
            kwargs={
                "conn_id": "buka_default",
                "recipients": ON_CALL,
                "text": "{{ dag_run.dag_id }} run {{ dag_run.dag_run_id }} is an hour late",
            },
        ),
    ),
    # [END howto_notifier_deadline_alert]
)
def example_deadline_sms():
    BukaSendSmsOperator(
        task_id="send_reminders",
        recipients=CUSTOMERS,
        text="Your appointment is tomorrow at 10:00.",
    )


example_deadline_sms()
