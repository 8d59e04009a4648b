"""3. Request efficiency: requests used vs the physical minimum, with no faults injected.

Sends are counted in the throughput runs (:mod:`bench.throughput`). Here: Buka
delivery polls (``getReport`` takes 200 ids, so a report round over N messages
needs ceil(N/200) requests; a wait that ends after two rounds, 2 x that) and
NXCloud number-check submits (5,000 numbers a request: ceil(N/5000)).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from bench.hook_overhead import patched_env
from bench.report import Row
from bench.sim import SimProcess
from bench.task import context

REPORT_IDS = 200
CHECK_NUMBERS = 5000


def _sent_message_ids(count: int) -> list[str]:
    """Send ``count`` SMS through the hook, 1,000 a request; their msgIds."""
    from airflow_provider_nxcloud.hooks.buka import BukaHook
    from bench.data import numbers

    hook = BukaHook()
    ids: list[str] = []
    every = list(numbers(count))
    for start in range(0, count, 1000):
        chunk = every[start : start + 1000]
        reply = hook.call("sms_send", {"appId": "sim-sms-app", "numbers": ",".join(chunk), "content": "hi"})
        ids.extend(str(item["msgId"]) for item in reply["array"])
    hook.close()
    return ids


def delivery_poll_row(sim: SimProcess, messages: int) -> Row:
    from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor

    sim.reset()
    with patched_env(sim.connection_env()), tempfile.TemporaryDirectory() as scratch:
        ids = _sent_message_ids(messages)
        # past 100 messages a wait reads them from a results file, as a send task writes one
        results = Path(scratch) / "results.jsonl"
        results.write_text("".join(json.dumps({"status": "accepted", "vendor_id": i}) + "\n" for i in ids))
        sensor = BukaSmsDeliverySensor(
            task_id="wait", results_path=str(results), poke_interval=0.01, timeout=60
        )
        rounds = []
        before = sim.count("buka", "sms_report")
        first = sensor.poke(context())  # the simulator's clock stands still: every report pending
        rounds.append(sim.count("buka", "sms_report") - before)
        sim.advance(3600)  # every report final
        before = sim.count("buka", "sms_report")
        second = sensor.poke(context())
        rounds.append(sim.count("buka", "sms_report") - before)
    done = bool(getattr(second, "is_done", second))
    minimum = math.ceil(messages / REPORT_IDS)
    used = sum(rounds)
    ratio = used / (2 * minimum)
    return Row(
        "3",
        f"Requests: Buka getReport polls for {messages:,} messages, 2 report rounds "
        f"(minimum ceil(N/{REPORT_IDS}) per round)",
        f"{' + '.join(f'{n:,}' for n in rounds)}",
        f"{minimum:,} + {minimum:,} (minimum)",
        f"{ratio:.2f}",
        "1.00",
        ratio == 1.0 and not first and done,
    )


def number_check_row(sim: SimProcess, numbers_file: Path, count: int) -> Row:
    from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
    from airflow_provider_nxcloud.testing.airflow_variables import memory_variables

    sim.reset()
    # outside a task runner: the finished check's sealed record goes to an in-memory store
    with patched_env(sim.connection_env()), memory_variables():
        op = NXCloudNumberCheckOperator(task_id="check", numbers=str(numbers_file))
        result = op.execute(context("manual__bench-number-check"))
    used = sim.count("nxcloud", "number_check_submit")
    minimum = math.ceil(count / CHECK_NUMBERS)
    ratio = used / minimum
    return Row(
        "3",
        f"Requests: NXCloud number-check submits for {count:,} numbers (minimum ceil(N/{CHECK_NUMBERS:,}))",
        f"{used:,}",
        f"{minimum:,} (minimum)",
        f"{ratio:.2f}",
        "1.00",
        ratio == 1.0 and result["submitted"] == count and sim.requests()["total"] == used,
    )
