"""5. Waiting cost: deferred delivery sensors, their triggers in one triggerer process.

Each of T Buka delivery sensors (``deferrable=True``) is executed as a worker
would: it polls once, finds its messages pending and raises ``TaskDeferred``.
That the worker is then free is shown directly: ``execute()`` has returned
(by raising), and no thread or request of the wait is left in the worker
process. The T triggers, serialised exactly as the triggerer receives them,
then run together in one asyncio loop in a process of their own
(:mod:`bench.triggerer`), where memory and CPU per poll round are measured.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.child import run_json_module
from bench.efficiency import _sent_message_ids
from bench.hook_overhead import patched_env
from bench.report import Row
from bench.sim import SimProcess
from bench.task import context

MESSAGES_PER_SENSOR = 5
#: rounds in which every report is still pending (the first also opens the connections)
PENDING_ROUNDS = 2


def defer_sensors(sim: SimProcess, sensors: int) -> tuple[list[list[Any]], list[float], int, int]:
    """Execute ``sensors`` deferrable sensors: (serialised triggers, seconds per execute(), threads before, after)."""
    from airflow.providers.common.compat.sdk import TaskDeferred

    from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor

    ids = _sent_message_ids(sensors * MESSAGES_PER_SENSOR)
    triggers: list[list[Any]] = []
    seconds: list[float] = []
    threads_before = threading.active_count()
    for index in range(sensors):
        mine = ids[index * MESSAGES_PER_SENSOR : (index + 1) * MESSAGES_PER_SENSOR]
        sensor = BukaSmsDeliverySensor(
            task_id=f"wait_{index}", message_ids=mine, deferrable=True, poke_interval=60, timeout=3600
        )
        started = time.perf_counter()
        try:
            sensor.execute(context())
        except TaskDeferred as deferred:
            seconds.append(time.perf_counter() - started)
            path, kwargs = deferred.trigger.serialize()
            triggers.append([path, json.loads(json.dumps(kwargs))])
        else:
            raise RuntimeError("the sensor finished instead of deferring: reports were already final")
    return triggers, seconds, threads_before, threading.active_count()


def run(sim: SimProcess, sensors: int) -> list[Row]:
    sim.reset()
    with patched_env(sim.connection_env()):
        triggers, seconds, threads_before, threads_after = defer_sensors(sim, sensors)
        worker_requests = sim.count("buka", "sms_report")
        env = sim.connection_env()
    with tempfile.TemporaryDirectory(prefix="bench-triggerer-") as work:
        spec_path = Path(work) / "spec.json"
        spec = {"env": env, "triggers": triggers, "sim_url": sim.url, "pending_rounds": PENDING_ROUNDS}
        spec_path.write_text(json.dumps(spec))
        result = run_json_module("bench.triggerer", str(spec_path))
    rounds = result["rounds"]
    steady = rounds[PENDING_ROUNDS - 1]
    per_trigger_kb = (steady["rss_mb"] - result["rss_before_mb"]) * 1024 / sensors
    fired = result["events"] == sensors and result["statuses"] == ["success"]
    return [
        Row(
            "5",
            f"Waiting: memory of {sensors:,} deferred delivery waits ({MESSAGES_PER_SENSOR} messages each) "
            "in one triggerer process",
            f"{per_trigger_kb:,.1f} KB per trigger ({steady['rss_mb'] - result['rss_before_mb']:,.1f} MB "
            f"for all; process {steady['rss_mb']:,.0f} MB)",
            "-",
            f"{per_trigger_kb:,.1f} KB/trigger",
            "reported",
            None,
        ),
        Row(
            "5",
            f"Waiting: CPU per poll round of {sensors:,} triggers (1 getReport each), steady state",
            f"{steady['cpu_s'] * 1000:,.0f} ms CPU, {steady['wall_s'] * 1000:,.0f} ms wall per round "
            f"({steady['cpu_s'] * 1e6 / sensors:,.0f} us CPU per trigger)",
            "-",
            f"{steady['cpu_s'] * 1000:,.0f} ms/round",
            "reported",
            None,
        ),
        Row(
            "5",
            f"Waiting: a deferred sensor holds no worker slot ({sensors:,} sensors: execute() polled once, "
            f"raised TaskDeferred and returned; threads in the worker before/after: "
            f"{threads_before}/{threads_after}; the triggers then fired {result['events']:,} events "
            f"({', '.join(result['statuses'])}) in the triggerer process)",
            f"median {statistics.median(seconds) * 1000:,.1f} ms in execute()",
            "-",
            f"{worker_requests:,} worker polls for {sensors:,} sensors",
            "execute() returns; 0 threads left",
            threads_after == threads_before and fired and worker_requests == sensors,
        ),
    ]
