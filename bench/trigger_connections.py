"""5. One pooled client per trigger run: connections a delivery wait opens, and what a new one costs.

One :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger` waits for 50 Fone Dynamics
SMS (``GET /v2/Messages/{sid}``: one request per message and poll) through 3 poll rounds
(pending, submitted, delivered) against an in-process simulator whose network adds a 20 ms
round trip and 2 more for a new connection (TCP + TLS 1.3, as the real vendor's HTTPS costs).
The trigger's sleeps move the simulator's clock instead of waiting, so the wall time is the
requests' own. Counted at the simulator: the client connections the requests came over
(one per client address).

The baseline is what the trigger did before: a new ``httpx.AsyncClient`` (a new connection)
per request, which the transport still does for a request made while it is not open.

``python -m bench.trigger_connections`` prints the rows.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.report import Row, table

MESSAGES = 50
RTT_MS = 20.0
HANDSHAKE_RTTS = 2.0


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _send(count: int) -> list[str]:
    from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook

    hook = FoneDynamicsHook()
    return [
        str(hook.send_message(f"+6590{index:06d}", "Your parcel is on its way")["MessageSid"])
        for index in range(1, count + 1)
    ]


async def _wait(sim: Any, ids: list[str], *, pooled: bool) -> tuple[dict[str, Any], float, int]:
    """One delivery wait to its event: (event, wall seconds, requests made)."""
    from airflow_provider_nxcloud.campaign.delivery import delivery_options
    from airflow_provider_nxcloud.hooks.transport import AsyncTransport
    from airflow_provider_nxcloud.triggers.wait import WaitTrigger

    trigger = WaitTrigger(
        platform="fonedynamics",
        watch="delivery",
        options=delivery_options("fonedynamics", message_ids=ids),
        conn_id="fonedynamics_default",
        poll_interval=1.0,
        end_time=time.time() + 600,
    )

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)

    trigger._sleep = sleep  # type: ignore[method-assign]
    enter = AsyncTransport.__aenter__
    if not pooled:
        # the previous behaviour: the transport is never opened, so each request has a client of its own

        async def unopened(self: AsyncTransport) -> AsyncTransport:
            return self

        AsyncTransport.__aenter__ = unopened  # type: ignore[method-assign]
    before = sim.requests.count("fonedynamics", "get_message")
    started = time.perf_counter()
    try:
        [event] = [event async for event in trigger.run()]
    finally:
        AsyncTransport.__aenter__ = enter  # type: ignore[method-assign]
    wall = time.perf_counter() - started
    return event.payload, wall, sim.requests.count("fonedynamics", "get_message") - before


def run(messages: int = MESSAGES) -> list[Row]:
    from airflow_provider_nxcloud.testing import run_simulator

    figures: dict[bool, tuple[int, float, int, str]] = {}
    for pooled in (False, True):
        with (
            run_simulator(rtt_ms=RTT_MS, handshake_rtts=HANDSHAKE_RTTS, time_scale=0) as sim,
            _environment(sim.connection_env()),
        ):
            ids = _send(messages)
            connections = sim.requests.connections("fonedynamics")
            payload, wall, requests = asyncio.run(_wait(sim, ids, pooled=pooled))
            opened = sim.requests.connections("fonedynamics") - connections
        figures[pooled] = (opened, wall, requests, str(payload["status"]))
    (old_open, old_wall, old_requests, old_status) = figures[False]
    (new_open, new_wall, new_requests, new_status) = figures[True]
    ok = new_status == old_status == "success" and new_requests == old_requests
    return [
        Row(
            "5",
            f"Waiting: connections one trigger run opens ({new_requests:,} requests: {messages} Fone Dynamics "
            "messages, 3 poll rounds)",
            f"{new_open:,}",
            f"{old_open:,} (a client per request)",
            f"{new_open:,} connection",
            "1 per run",
            ok and new_open == 1,
        ),
        Row(
            "5",
            f"Waiting: wall time of those requests at {RTT_MS:g} ms RTT, {HANDSHAKE_RTTS:g} RTT per new connection",
            f"{new_wall * 1000:,.0f} ms",
            f"{old_wall * 1000:,.0f} ms",
            f"{old_wall / new_wall:.2f}x faster",
            "reported",
            None,
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
