"""Quick start: check each platform's connection, then send one SMS per platform through its hook.

Uses the ``nxcloud_default``, ``buka_default`` and ``fonedynamics_default``
connections; ``make demo`` points them at the offline simulator. Hooks can
be used from any TaskFlow task: they validate the connection before the
first request, sign every call and raise typed errors
(``airflow_provider_nxcloud.exceptions``).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.outcome import airflow_outcome

TEXT = "Your parcel is on its way"


@dag(
    dag_id="example_hooks_quickstart",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "nxcloud", "buka", "fonedynamics"],
)
def example_hooks_quickstart():
    # [START howto_hook_test_connection]
    @task
    def check_connections() -> dict[str, str]:
        results = {}
        for hook in (NXCloudHook(), BukaHook(), FoneDynamicsHook()):
            ok, message = hook.test_connection()
            if not ok:
                raise RuntimeError(f"{hook.conn_id}: {message}")
            results[hook.conn_id] = message
        return results

    # [END howto_hook_test_connection]

    @task
    def send_with_nxcloud(run_id: str | None = None) -> str:
        hook = NXCloudHook()
        body = {"appKey": hook.app_key("sms_app_key"), "phone": "6591234567", "content": TEXT}
        with airflow_outcome():
            return hook.call("sms_send_v2", body)["messageid"]

    # [START howto_hook_buka_send]
    @task
    def send_with_buka(run_id: str | None = None) -> str:
        hook = BukaHook()
        # orderId is the client reference: stable across tries of this task
        order_id = f"quickstart-{run_id}"[:64]
        body = {"appId": hook.app_id("sms"), "numbers": "6591234568", "content": TEXT, "orderId": order_id}
        with airflow_outcome():
            return hook.call("sms_send", body, client_reference=order_id)["array"][0]["msgId"]

    # [END howto_hook_buka_send]

    @task
    def send_with_fonedynamics(run_id: str | None = None) -> str:
        hook = FoneDynamicsHook()
        external_id = f"quickstart-{run_id}"
        body = {"To": "+61491570156", "Text": TEXT, "ExternalId": external_id}
        with airflow_outcome():
            reply = hook.call(
                "send_message",
                body,
                path_params={"property_sid": hook.property_sid()},
                client_reference=external_id,
            )
        return reply["Message"]["MessageSid"]

    checked = check_connections()
    checked >> [send_with_nxcloud(), send_with_buka(), send_with_fonedynamics()]


example_hooks_quickstart()
