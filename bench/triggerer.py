"""Deferred delivery waits in one triggerer-like process: ``python -m bench.triggerer <spec.json>``.

The spec holds serialised triggers (class path and kwargs, as the triggerer
receives them from deferred tasks). They are rebuilt and run in one asyncio
loop, round by round: every trigger polls once, then sleeps; when all are
asleep the round is measured (process CPU time, wall time, RSS) and, after
the last pending round, the simulator's clock is moved past the delivery delay
so the next round finds every report final and each trigger fires its event.
Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests


def rss_mb() -> float:
    """Current resident set size (Linux ``/proc``; else the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Rounds:
    """Makes every trigger's sleep a barrier: a round ends when all live triggers sleep.

    Events, not a condition: each sleeper is woken once per round, so the harness adds
    no per-trigger cost that grows with the number of triggers.
    """

    def __init__(self) -> None:
        self.live = 0
        self.asleep = 0
        self._all_asleep = asyncio.Event()
        self._go = asyncio.Event()

    def _check(self) -> None:
        if self.asleep >= self.live:
            self._all_asleep.set()

    async def sleep(self, seconds: float) -> None:
        go = self._go
        self.asleep += 1
        self._check()
        await go.wait()

    def finished(self) -> None:
        self.live -= 1
        self._check()

    async def all_asleep(self) -> None:
        await self._all_asleep.wait()

    def release(self) -> None:
        go, self._go = self._go, asyncio.Event()
        self.asleep = 0
        self._all_asleep = asyncio.Event()
        go.set()


class _Stop(Exception):
    """Ends the warm-up trigger at its first sleep."""


async def warm_up(classpath: str, kwargs: dict[str, Any]) -> None:
    """One poll of a throwaway trigger: the modules, the connection code and the TLS context are
    loaded before the baseline RSS is taken, so the figure per trigger is the triggers' own."""

    async def stop(seconds: float) -> None:
        raise _Stop

    trigger = build(classpath, kwargs)
    trigger._sleep = stop
    try:
        async for _ in trigger.run():
            pass
    except _Stop:
        pass


def build(classpath: str, kwargs: dict[str, Any]) -> Any:
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**kwargs)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rounds = Rounds()
    await warm_up(*spec["triggers"][0])
    before_mb = rss_mb()
    triggers = [build(path, kwargs) for path, kwargs in spec["triggers"]]
    for trigger in triggers:
        trigger._sleep = rounds.sleep
    events: list[dict[str, Any]] = []

    async def consume(trigger: Any) -> None:
        try:
            async for event in trigger.run():
                events.append(event.payload)
        finally:
            rounds.finished()

    rounds.live = len(triggers)
    measured = []
    tasks = [asyncio.create_task(consume(trigger)) for trigger in triggers]
    pending_rounds = int(spec["pending_rounds"])
    for number in range(pending_rounds + 1):
        cpu, wall = time.process_time(), time.perf_counter()
        await rounds.all_asleep()
        measured.append(
            {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, "rss_mb": rss_mb()}
        )
        if number == pending_rounds - 1:
            reply = requests.post(f"{spec['sim_url']}/_simulator/clock/advance", json={"seconds": 3600})
            reply.raise_for_status()
        rounds.release()
    await asyncio.gather(*tasks)
    return {
        "triggers": len(triggers),
        "rounds": measured,
        "rss_before_mb": before_mb,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statuses": sorted({event["status"] for event in events}),
        "events": len(events),
    }


def main(argv: Sequence[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    os.environ.update(spec.get("env") or {})
    print(json.dumps(asyncio.run(run(spec))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
