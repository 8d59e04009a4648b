"""NXCloud privacy numbers: a courier and a customer reach each other through a virtual number.

For one order, ``bind_order`` binds the customer (A) and the courier (B) to a
virtual number X that NXCloud picks (AXB). Neither sees the other's real number:
each calls X and is put through. The binding's ``customerBindId`` is derived from
the order id, so a retried bind finds the binding it already made instead of
making a second one. ``who_answers`` asks NXCloud whom a call from the customer
to X reaches (``queryAXB``, what NXCloud's switch does per call);
``wait_for_delivery`` stands in for the order system saying the parcel arrived;
``unbind_order`` releases X (``missing_ok``: a binding already gone is fine).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import dag, task

from airflow_provider_nxcloud.operators.nxcloud_pns import (
    NXCloudBindNumberOperator,
    NXCloudQueryBindingOperator,
    NXCloudUnbindNumberOperator,
)

ORDER = {"id": "SO-20261123-0042", "customer": "6591234501", "courier": "6591234502"}


@dag(
    dag_id="example_privacy_number",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Singapore"),
    catchup=False,
    params={"order": ORDER},
    tags=["example", "nxcloud", "pns"],
)
def example_privacy_number():
    # [START howto_operator_nxcloud_bind_number]
    bind = NXCloudBindNumberOperator(
        task_id="bind_order",
        mode="AXB",
        phone_a="{{ params.order.customer }}",
        phone_b="{{ params.order.courier }}",
        customer_bind_id="order-{{ params.order.id }}",
        expire_seconds=dt.timedelta(hours=8),  # the delivery window; NXCloud unbinds after it
        record=True,
    )
    # [END howto_operator_nxcloud_bind_number]
    # [START howto_operator_nxcloud_query_binding]
    who_answers = NXCloudQueryBindingOperator(
        task_id="who_answers",
        caller="{{ params.order.customer }}",
        did="{{ ti.xcom_pull(task_ids='bind_order')['did'] }}",
    )
    # [END howto_operator_nxcloud_query_binding]

    @task
    def wait_for_delivery(binding: dict, answer: dict) -> str:
        """The order system's "delivered" signal would end the wait; the example goes on at once."""
        print(f"order bound on {binding['did']}; a call from the customer reaches {answer['callee']}")
        return binding["bind_id"]

    # [START howto_operator_nxcloud_unbind_number]
    unbind = NXCloudUnbindNumberOperator(
        task_id="unbind_order",
        customer_bind_id="order-{{ params.order.id }}",
    )
    # [END howto_operator_nxcloud_unbind_number]
    wait_for_delivery(bind.output, who_answers.output) >> unbind
    bind >> who_answers


example_privacy_number()
