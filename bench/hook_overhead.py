"""1. Hook overhead: a signed send through the hook vs a raw ``requests.Session().post`` of the same bytes.

Both go to the same endpoint (Buka ``sendSms``, one number) on the same
simulator, interleaved call by call (which goes first alternates), and both
parse the JSON reply. The hook adds: serialising and signing the body, the
retry wrapper, the pacer, classifying the reply through the code catalog.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

from bench.report import Row
from bench.sim import SimProcess

TARGET = 1.15
WARM_UP = 50


@contextmanager
def patched_env(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure(sim: SimProcess, calls: int) -> tuple[float, float]:
    """Median seconds per call: (hook, raw)."""
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    sim.reset()
    with patched_env(sim.connection_env()):
        hook = BukaHook()
        transport = hook.get_conn()
        body = {"appId": "sim-sms-app", "numbers": "6591234567", "content": "Your code is 1234"}
        endpoint = hook.endpoint("sms_send")
        # the same bytes and the same (valid) signature the hook sends
        prepared = transport.prepare(endpoint, json_body=body)
        headers = transport._headers(prepared)
        session = requests.Session()

        def through_hook() -> float:
            started = time.perf_counter()
            hook.call("sms_send", body)
            return time.perf_counter() - started

        def raw() -> float:
            started = time.perf_counter()
            reply = session.post(prepared.url, data=prepared.body, headers=headers, timeout=30)
            reply.raise_for_status()
            reply.json()
            return time.perf_counter() - started

        for _ in range(WARM_UP):
            through_hook()
            raw()
        hook_times: list[float] = []
        raw_times: list[float] = []
        for i in range(calls):
            if i % 2:
                hook_times.append(through_hook())
                raw_times.append(raw())
            else:
                raw_times.append(raw())
                hook_times.append(through_hook())
        session.close()
        hook.close()
    return statistics.median(hook_times), statistics.median(raw_times)


def run(sim: SimProcess, calls: int) -> list[Row]:
    hook, raw = measure(sim, calls)
    ratio = hook / raw
    return [
        Row(
            "1",
            f"Hook overhead: median per signed send (Buka sendSms), {calls:,} interleaved pairs",
            f"{hook * 1000:.3f} ms",
            f"{raw * 1000:.3f} ms",
            f"{ratio:.2f}x",
            f"<= {TARGET:.2f}x",
            ratio <= TARGET,
        )
    ]
