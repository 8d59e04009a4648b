"""The DAG files the harness writes: one send task per (platform, window), read by the real dag-processor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEXT = "Reliability runtime check: flash sale starts at noon"
RETRIES = 5
RETRY_DELAY_S = 2

#: platform -> (operator module, class, connection parameter, batch size, send endpoint name, send path)
PLATFORMS: dict[str, tuple[str, str, str, int, str, str]] = {
    "buka": (
        "airflow_provider_nxcloud.operators.buka",
        "BukaSendSmsOperator",
        "buka_conn_id",
        1000,
        "sms_send",
        "/sendSms",
    ),
    "nxcloud": (
        "airflow_provider_nxcloud.operators.nxcloud",
        "NXCloudSendSmsOperator",
        "nxcloud_conn_id",
        100,
        "sms_send_v2",
        "/api/sms/mtsend_v2",
    ),
    "fonedynamics": (
        "airflow_provider_nxcloud.operators.fonedynamics",
        "FoneDynamicsSendSmsOperator",
        "fonedynamics_conn_id",
        100,
        "send_batch",
        "/BatchMessages",
    ),
}


def numbers(count: int) -> list[str]:
    """Distinct valid Singapore mobile numbers (65 9xxxxxxx), as the other reliability tests use."""
    return [f"65{9 * 10_000_000 + i}" for i in range(1, count + 1)]


@dataclass(frozen=True)
class DagSpec:
    dag_id: str
    platform: str
    recipients_file: Path
    results_path: Path
    #: which connection: "default", "short" (small read timeout) or "tls"
    connection: str = "default"

    @property
    def conn_id(self) -> str:
        return f"{self.platform}_{self.connection}"

    def source(self) -> str:
        module, cls, conn_param, _size, _endpoint, _path = PLATFORMS[self.platform]
        return f'''"""Written by tests.reliability.runtime: {self.platform} SMS to the recipients in a file."""

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from {module} import {cls}

with DAG(
    dag_id={self.dag_id!r},
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["reliability-runtime"],
):
    {cls}(
        task_id="send_sms",
        recipients={str(self.recipients_file)!r},
        text={TEXT!r},
        results_path={str(self.results_path)!r},
        {conn_param}={self.conn_id!r},
        retries={RETRIES},
        retry_delay=timedelta(seconds={RETRY_DELAY_S}),
        retry_exponential_backoff=False,
    )
'''

    def write(self, dags_folder: Path, recipients: list[str]) -> None:
        self.recipients_file.parent.mkdir(parents=True, exist_ok=True)
        self.recipients_file.write_text("\n".join(recipients) + "\n", encoding="utf-8")
        (dags_folder / f"{self.dag_id}.py").write_text(self.source(), encoding="utf-8")


HITL_DAG_ID = "rt_hitl_probe"


def hitl_probe_source() -> str:
    """A throwaway DAG: Airflow's own HITLOperator asking the send task's question (subject and body
    from the run's conf), to prove a person's REST answer reaches a HITL task on this runtime."""
    return f'''"""Written by tests.reliability.runtime: proves a person's REST answer reaches a HITL task."""

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import DAG

with DAG(
    dag_id={HITL_DAG_ID!r},
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["reliability-runtime"],
):
    HITLOperator(
        task_id="ask",
        subject="{{{{ dag_run.conf['subject'] }}}}",
        body="{{{{ dag_run.conf['body'] }}}}",
        options=["skip", "resend", "fail"],
        defaults=["fail"],
    )
'''


def send_path(platform: str) -> str:
    return PLATFORMS[platform][5]


def send_endpoint(platform: str) -> str:
    return PLATFORMS[platform][4]


def batch_size(platform: str) -> int:
    return PLATFORMS[platform][3]
