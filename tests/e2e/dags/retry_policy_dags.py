"""Two DAGs for tests/e2e/test_retry_policy_dag.py: a plain @task sends one SMS through BukaHook
directly (no operator, no ``airflow_outcome``), so the task's retry policy alone decides what
Airflow does with the provider's error.

* ``retry_policy_permanent``: a wrong appId, which Buka refuses with -32 (a fail code); the
  policy comes from ``default_args``.
* ``retry_policy_transient``: a good send; the test makes the simulator answer the first
  attempt with "vendor busy" (-18), which the hook does not repeat itself.

Both tasks have ``retries=3`` and a tiny ``retry_delay``: without the policy, the permanent
error would burn all four tries.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.retry_policy import RETRY_POLICY, NXCloudRetryPolicy

RETRIES = 3
NUMBER = "6591234567"
#: an appId the simulator's Buka account does not own
FOREIGN_APP_ID = "another-accounts-app"


def send_one_sms(order_id: str, app_id: str | None = None) -> str:
    hook = BukaHook()
    body = {
        "appId": app_id or hook.app_id("sms"),
        "numbers": NUMBER,
        "content": "Nightly load done",
        "orderId": order_id,
    }
    return hook.call("sms_send", body, client_reference=order_id)["array"][0]["msgId"]


@dag(
    dag_id="retry_policy_permanent",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=1), "retry_policy": RETRY_POLICY},
)
def retry_policy_permanent():
    @task
    def send_with_foreign_app_id(run_id: str | None = None) -> str:
        return send_one_sms(f"rp-permanent-{run_id}"[:64], app_id=FOREIGN_APP_ID)

    send_with_foreign_app_id()


@dag(
    dag_id="retry_policy_transient",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
)
def retry_policy_transient():
    # max_delay keeps the test quick: the catalog's own wait for a platform fault is 15 s
    @task(
        retries=RETRIES,
        retry_delay=timedelta(seconds=1),
        retry_policy=NXCloudRetryPolicy(max_delay=timedelta(seconds=1)),
    )
    def send(run_id: str | None = None) -> str:
        # the same orderId on every try: the client reference stays stable across retries
        return send_one_sms(f"rp-transient-{run_id}"[:64])

    send()


retry_policy_permanent()
retry_policy_transient()
