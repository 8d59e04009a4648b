"""A campaign's results file as an Airflow Asset: a report DAG runs when a campaign has written it.

``example_results_asset`` sends an SMS whose text comes from a template file
(``templates/order_shipped.txt``: ``text`` ending in ``.txt`` or ``.j2`` names a file on
the DAG's ``template_searchpath``) and declares the Asset ``campaign_results`` as its
outlet: when the send succeeds, the Asset's event carries the send summary's counts and
the results file's path as ``extra``. (An ``AssetAlias`` outlet instead gets an event of
the results file's own Asset, ``file://...`` or its object storage URL.)

``example_results_asset_report`` is scheduled on that Asset: it reads the newest event's
``extra``, streams the results file it names and counts the recipients by status.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pendulum
from airflow.sdk import Asset, dag, task

from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

DATA_DIR = Path(
    os.environ.get("NXCLOUD_EXAMPLE_DATA_DIR") or Path(os.environ.get("AIRFLOW_HOME", "/tmp")) / "data"
)
TEMPLATES = Path(__file__).parent / "templates"
CAMPAIGN_RESULTS = Asset("campaign_results")
CUSTOMERS = [f"65{91_000_000 + i}" for i in range(25)]


@dag(
    dag_id="example_results_asset",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    template_searchpath=[str(TEMPLATES)],
    params={"order_prefix": "SG"},
    tags=["example", "buka", "sms", "asset"],
)
def example_results_asset():
    BukaSendSmsOperator(
        task_id="send_shipping_notices",
        recipients=CUSTOMERS,
        text="order_shipped.txt",
        results_path=str(DATA_DIR / "example_results_asset" / "{{ ds_nodash }}.jsonl"),
        outlets=[CAMPAIGN_RESULTS],
    )


@dag(
    dag_id="example_results_asset_report",
    schedule=[CAMPAIGN_RESULTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "asset"],
)
def example_results_asset_report():
    @task(inlets=[CAMPAIGN_RESULTS])
    def count_by_status(*, inlet_events=None) -> dict[str, int]:
        """Count the newest campaign's recipients by status, streaming its results file."""
        event = inlet_events[CAMPAIGN_RESULTS][-1]
        statuses: Counter[str] = Counter()
        with open(event.extra["results_path"], encoding="utf-8") as results:
            for line in results:
                statuses[json.loads(line)["status"]] += 1
        return {"accepted_by_event": event.extra["accepted"], **statuses}

    count_by_status()


example_results_asset()
example_results_asset_report()
