"""5. The deferred delivery wait at 1,000 to 1,000,000 messages: payload sizes and the triggerer's memory.

For each N, a simulator of its own (a process) is seeded with N accepted Buka SMS,
already delivered (its delivery delay is 0, its clock stopped), and a results file
naming them is written as the send operator writes one. Seeding the simulator's
ledger directly stands in for sending N messages first: the wait reads the same
reports either way, and a million sends would only add minutes to the run (the
simulator's lean mode, which sends cheaply, keeps no messages to report on).

Then one :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger` (watch
``"delivery"``, the results file by reference) runs to its event in a fresh process,
as in a triggerer: one round of ``getReport`` requests (200 ids each) finds every
message delivered. Measured there:

* the trigger's serialized kwargs (``len(json.dumps(serialize()[1]))``), what the
  metadata database stores per deferred task;
* the event payload (``len(json.dumps(event.payload))``);
* the memory the run adds: the growth of the process's peak RSS over its RSS before
  ``run()`` (it also counts SQLite's page cache and the file buffers, which
  ``tracemalloc`` does not see); "flat" compares it with the smallest N's. Up to
  :data:`TRACED_UP_TO` messages a second run gives the peak of Python allocations
  (``tracemalloc``, from ``run()`` to the event; it slows every allocation, so the
  figures of that run are not its time).

The baseline column is what the previous delivery trigger carried in its kwargs for
the same N: every message's ``[id, number, day]`` row.

``python -m bench.deferred_wait [N ...]`` prints the rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.child import run_json_module
from bench.report import Row, table
from bench.sim import ROOT, free_port

SIZES = (1_000, 10_000, 100_000, 1_000_000)
#: kwargs and event must stay under this whatever N
PAYLOAD_TARGET_BYTES = 10 * 1024
#: "flat": the run at N may use at most this much more memory than the run at the smallest N
MEMORY_SLACK_MB = 5.0
SEED_TIMEOUT_S = 900
#: tracemalloc slows every allocation several times over; above this many messages only RSS is measured
TRACED_UP_TO = 100_000
RUN_TIMEOUT_S = 3600


def _mb(value: float) -> str:
    return f"{value / 2**20:,.1f} MB"


def _size(value: int) -> str:
    return f"{value:,} B" if value < 10_000 else f"{value / 1024:,.1f} KB" if value < 2**20 else _mb(value)


# ----- the seeded simulator (a process) ---------------------------------------------------------


def serve(count: int, results_path: str, port: int) -> None:
    """Run a simulator on ``port`` knowing ``count`` delivered Buka SMS; write their results file."""
    from airflow_provider_nxcloud.testing import accounts
    from airflow_provider_nxcloud.testing.ledger import LedgerEntry
    from airflow_provider_nxcloud.testing.progress import DELIVERED
    from airflow_provider_nxcloud.testing.server import Simulator

    simulator = Simulator(port=port, time_scale=0, delivery_delay=0)
    now = simulator.clock.now()
    with Path(results_path).open("w") as results:
        for i in range(count):
            vendor_id, number = str(10**18 + i), f"65{80_000_000 + i}"
            simulator.ledger.add(
                LedgerEntry(
                    platform="buka",
                    kind="sms",
                    account=accounts.BUKA_API_KEY,
                    app=accounts.BUKA_SMS_APP_ID,
                    recipient=number,
                    content="Your parcel is on its way",
                    vendor_id=vendor_id,
                    client_reference=None,
                    endpoint="sms_send",
                    time=now,
                    status=DELIVERED,
                )
            )
            line = {"batch": i // 1000, "number": number, "status": "accepted", "vendor_id": vendor_id}
            results.write(json.dumps({**line, "reference": None, "error": None, "sent_at": None}) + "\n")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    simulator.start()
    print(f"listening {simulator.url}", flush=True)
    stop.wait()
    simulator.stop()


class SeededSimulator:
    def __init__(self, count: int, results_path: Path) -> None:
        self.count = count
        self.results_path = results_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SeededSimulator:
        command = [
            sys.executable,
            "-m",
            "bench.deferred_wait",
            "serve",
            str(self.count),
            str(self.results_path),
        ]
        self._process = subprocess.Popen(
            [*command, str(self.port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if "listening" not in line:
            self.__exit__()
            raise RuntimeError(f"the seeded simulator did not start: {line!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


# ----- the trigger (a process) ------------------------------------------------------------------


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def run_trigger(results_path: str, url: str, report_path: str, traced: bool) -> dict[str, Any]:
    """The one trigger, run to its event in this process; sizes and memory as plain JSON."""
    from airflow_provider_nxcloud.testing.accounts import Accounts

    os.environ.update(Accounts().connection_env(url))
    from airflow_provider_nxcloud.campaign.delivery import delivery_options
    from airflow_provider_nxcloud.triggers.wait import WaitTrigger

    options = delivery_options("buka", "sms", results_path=results_path, report_path=report_path)
    trigger = WaitTrigger(
        platform="buka",
        watch="delivery",
        options=options,
        conn_id="buka_default",
        poll_interval=1.0,
        end_time=time.time() + RUN_TIMEOUT_S,
    )
    kwargs_bytes = len(json.dumps(trigger.serialize()[1]))

    async def first_event() -> Any:
        async for event in trigger.run():
            return event
        raise RuntimeError("the trigger ended without an event")

    rss_before = _rss_kb("VmRSS")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    event = asyncio.run(first_event())
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    tracemalloc.stop()
    payload = event.payload
    return {
        "status": payload.get("status"),
        "total": payload.get("total"),
        "delivered": payload.get("delivered"),
        "kwargs_bytes": kwargs_bytes,
        "event_bytes": len(json.dumps(payload)),
        "tracemalloc_peak_bytes": peak,
        "rss_growth_bytes": max(0, _rss_kb("VmHWM") - rss_before) * 1024,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "seconds": seconds,
        "report_lines": sum(1 for _ in Path(report_path).open()),
    }


def baseline_kwargs_bytes(results_path: Path) -> int:
    """What the previous delivery trigger's kwargs held for these messages: ``[id, number, day]`` each."""
    size = 2  # the list's brackets
    with results_path.open() as lines:
        for n, line in enumerate(lines):
            row = json.loads(line)
            size += len(json.dumps([row["vendor_id"], row["number"], None])) + (2 if n else 0)
    return size


def _trigger_run(results: Path, url: str, report: Path, *, traced: bool) -> dict[str, Any]:
    arguments = ["trigger", str(results), url, str(report), *(["traced"] if traced else [])]
    return run_json_module("bench.deferred_wait", *arguments, timeout=RUN_TIMEOUT_S)


def measure(count: int, workdir: Path) -> dict[str, Any]:
    """One untraced run (sizes, time, RSS), then, up to :data:`TRACED_UP_TO` messages, a traced one."""
    results = workdir / f"results-{count}.jsonl"
    report = workdir / f"report-{count}.jsonl"
    with SeededSimulator(count, results) as sim:
        result = _trigger_run(results, sim.url, report, traced=False)
        if count <= TRACED_UP_TO:
            traced = _trigger_run(results, sim.url, report, traced=True)
            result["tracemalloc_peak_bytes"] = traced["tracemalloc_peak_bytes"]
    if (result["status"], result["total"], result["delivered"], result["report_lines"]) != (
        "success",
        count,
        count,
        count,
    ):
        raise RuntimeError(f"the wait over {count} messages did not end as expected: {result}")
    result["baseline_kwargs_bytes"] = baseline_kwargs_bytes(results)
    results.unlink()
    report.unlink()
    return result


def rows(results: dict[int, dict[str, Any]]) -> list[Row]:
    smallest = results[min(results)]
    out = []
    for count, r in sorted(results.items()):
        largest = max(r["kwargs_bytes"], r["event_bytes"])
        out.append(
            Row(
                section="5",
                measure=f"Deferred delivery wait, {count:,} messages: trigger kwargs / event",
                provider=f"{_size(r['kwargs_bytes'])} / {_size(r['event_bytes'])}",
                baseline=f"{_size(r['baseline_kwargs_bytes'])} kwargs",
                result=f"{r['seconds']:,.1f} s to the event",
                target=f"each <= {_size(PAYLOAD_TARGET_BYTES)}",
                met=largest <= PAYLOAD_TARGET_BYTES,
            )
        )
        growth = max(r["rss_growth_bytes"] - smallest["rss_growth_bytes"], 0)
        traced = r["tracemalloc_peak_bytes"]
        out.append(
            Row(
                section="5",
                measure=f"Deferred delivery wait, {count:,} messages: triggerer memory of the run",
                provider=f"RSS +{_mb(r['rss_growth_bytes'])}"
                + (f", traced peak {_mb(traced)}" if traced is not None else ""),
                baseline="-",
                result=f"+{_mb(growth)} RSS over {min(results):,} messages",
                target=f"flat (<= +{MEMORY_SLACK_MB:g} MB)",
                met=growth <= MEMORY_SLACK_MB * 2**20,
            )
        )
    return out


def run(sizes: Sequence[int] = SIZES) -> list[Row]:
    """Section 5; each N gets a simulator of its own that knows its N messages."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-deferred-wait-") as workdir:
        return rows({count: measure(count, Path(workdir)) for count in sizes})


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(int(argv[1]), argv[2], int(argv[3]))
        return 0
    if argv[:1] == ["trigger"]:
        print(json.dumps(run_trigger(argv[1], argv[2], argv[3], argv[4:] == ["traced"])), flush=True)
        return 0
    sizes = tuple(int(a.replace(",", "").replace("_", "")) for a in argv) or SIZES
    print(table(run(sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
