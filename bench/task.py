"""One campaign task in a process of its own, as a worker would run it.

``python -m bench.task '<json spec>'`` runs the platform's send operator over a
recipients file and prints one JSON line: wall and CPU time of ``execute()``, the
process's peak RSS (which includes the Python interpreter and Airflow it imports,
as a worker's task process does), and the operator's summary counts.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TEXT = "Your parcel is on its way"


class TaskStateStore:
    """Airflow 3.3's ``task_state_store`` surface, for one task instance."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@dataclass
class TaskInstance:
    dag_id: str = "bench"
    run_id: str = "manual__bench"
    task_id: str = "send"
    map_index: int = -1
    try_number: int = 1
    xcoms: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get(key)


def context(run_id: str = "manual__bench") -> dict[str, Any]:
    return {"ti": TaskInstance(run_id=run_id), "task_state_store": TaskStateStore()}


def operator(platform: str, recipients: Any, **kwargs: Any) -> Any:
    """The platform's SMS send operator over ``recipients``."""
    if platform == "buka":
        from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

        return BukaSendSmsOperator(task_id="send", text=TEXT, recipients=recipients, **kwargs)
    if platform == "nxcloud":
        from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

        return NXCloudSendSmsOperator(task_id="send", text=TEXT, recipients=recipients, **kwargs)
    from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator

    return FoneDynamicsSendSmsOperator(task_id="send", text=TEXT, recipients=recipients, **kwargs)


def run(spec: Mapping[str, Any]) -> dict[str, Any]:
    os.environ.update(spec.get("env") or {})
    from airflow_provider_nxcloud.testing.airflow_variables import memory_variables

    op = operator(spec["platform"], spec["recipients"], **(spec.get("operator") or {}))
    started, cpu = time.perf_counter(), time.process_time()
    # outside a task runner: the finished campaign's sealed record goes to an in-memory store
    with memory_variables():
        summary = op.execute(context(spec.get("run_id", "manual__bench")))
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        # kilobytes on Linux
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accepted": summary["accepted"],
        "rejected": summary["rejected"],
        "invalid": summary["invalid"],
        "batches": summary["batches"],
    }


def main(argv: Sequence[str]) -> int:
    print(json.dumps(run(json.loads(argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
