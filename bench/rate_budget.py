"""The account-wide rate budget: what the shared window costs, and that it holds across processes.

* cost: seconds per request start spent asking the store (``SharedRateLimit.admit``: the
  Redis server's clock and limits' moving-window script, two round trips on loopback),
  with a cap so high the window never fills;
* hold: PROCESSES OS processes (spawned, as Celery workers' task processes) send single-number
  Buka SMS through hooks on one connection with ``max_qps``; the simulator counts arrivals
  per one-second window. With ``rate_limit_store`` the account's peak stays within the cap;
  without it each process paces only itself.

Run: ``python -m bench.rate_budget`` (prints the rows); ``rows()`` for the suite.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from typing import Any

from bench.report import Row, table
from bench.sim import SimProcess

SECTION = "6"
PROCESSES = 4
REQUESTS = 1200
MAX_QPS = 100
ADMITS = 2000


def _send(env: dict[str, str], barrier: Any, first: int, count: int) -> None:
    os.environ.update(env)
    from airflow_provider_nxcloud.hooks.buka import BukaHook
    from airflow_provider_nxcloud.platforms.buka import sms_message

    hook = BukaHook()
    app_id = hook.app_id("sms")
    hook.get_conn()
    barrier.wait(timeout=300)
    for position in range(first, first + count):
        hook.send_sms(app_id, sms_message([f"65{90_000_000 + position}"], "hello", [f"b-{position}"]))


def _run(env: dict[str, str], requests: int) -> float:
    """Spawn PROCESSES senders of ``requests`` in all; seconds from their common start to the last exit."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES + 1)
    share = requests // PROCESSES
    processes = [
        context.Process(target=_send, args=(env, barrier, 1 + i * share, share)) for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=300)
    started = time.monotonic()
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError("a sending process failed")
    return time.monotonic() - started


def admit_cost(url: str) -> float:
    """Median seconds of one ``admit`` that finds room."""
    from airflow_provider_nxcloud.hooks.rate_limit import shared_rate_limit

    limit = shared_rate_limit(url, "bench/cost", 1_000_000, 1.1)
    samples = []
    for _ in range(ADMITS):
        started = time.perf_counter()
        if limit.admit():
            raise RuntimeError("the window filled")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def rows(requests: int = REQUESTS) -> list[Row]:
    from airflow_provider_nxcloud.testing.accounts import CONNECTION_ENV_VARS
    from airflow_provider_nxcloud.testing.redis import redis_server

    name = CONNECTION_ENV_VARS["buka"]
    found: list[Row] = []
    with redis_server() as url, SimProcess() as sim:
        cost = admit_cost(url)
        found.append(
            Row(
                SECTION,
                "shared window: store time per request start (Redis on loopback, window never full)",
                f"{cost * 1e6:,.0f} µs",
                "0 without rate_limit_store",
                "",
                "",
            )
        )
        peaks = {}
        for label, extra in (("store", {"rate_limit_store": url}), ("none", {})):
            sim.reset()
            seconds = _run({name: sim.connection_env(max_qps=MAX_QPS, **extra)[name]}, requests)
            seen = sim.requests()
            peaks[label] = (int(seen["peak_qps"]), int(seen["total"]) / seconds)
        found.append(
            Row(
                SECTION,
                f"{PROCESSES} processes, one connection, max_qps={MAX_QPS}, {requests:,} sends: account peak "
                "requests/s (mean)",
                f"{peaks['store'][0]} ({peaks['store'][1]:.0f}/s) with rate_limit_store",
                f"{peaks['none'][0]} ({peaks['none'][1]:.0f}/s) without",
                f"{peaks['store'][0]}/{MAX_QPS}",
                f"≤ {MAX_QPS}",
                peaks["store"][0] <= MAX_QPS,
            )
        )
    return found


if __name__ == "__main__":
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
    print(table(rows()))
