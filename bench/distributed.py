"""Section 6: a campaign split over mapped tasks on CeleryExecutor, a worker SIGKILLed mid-send.

Runs ``python -m tests.distributed`` (the harness of ``make test-distributed``: Redis, scheduler,
dag-processor, api-server, triggerer, Celery workers, the simulator) once: the campaign with one
worker, then with two and one of them SIGKILLed, with its process group and the task processes it
supervises, after 30% of the sends. The figures come from the simulator's ledger and request log;
the harness also writes them to tests/distributed/RESULTS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report import Row

REPO = Path(__file__).resolve().parents[1]
MAPPED = 8
WORKERS = 2
MAX_QPS = 10
#: seconds the harness may take for both runs together
TIMEOUT_S = 3600


def run_harness(recipients: int, *, mapped: int = MAPPED, max_qps: float = MAX_QPS) -> list[dict[str, Any]]:
    """The harness's figures, one dict per DAG run (the one-worker run first); [] if it broke."""
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as directory:
        figures = Path(directory) / "figures.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.distributed",
                f"--recipients={recipients}",
                f"--mapped={mapped}",
                f"--workers={WORKERS}",
                f"--max-qps={max_qps:g}",
                f"--json={figures}",
            ],
            cwd=REPO,
            timeout=TIMEOUT_S,
            check=False,
        )
        return json.loads(figures.read_text(encoding="utf-8")) if figures.exists() else []


def rows(outcomes: list[dict[str, Any]], recipients: int, mapped: int = MAPPED) -> list[Row]:
    measure = (
        f"Distributed: Buka SMS, {recipients:,} recipients over {mapped} mapped tasks, CeleryExecutor, "
        f"{WORKERS} workers, one SIGKILLed mid-send"
    )
    target = "0 lost, 0 dup, peak <= cap"
    one = next((o for o in outcomes if not o["killed"]), None)
    killed = next((o for o in outcomes if o["killed"]), None)
    if killed is None or one is None:
        return [Row("6", measure, "the harness did not finish both runs", "-", "not measured", target, False)]
    ratio = killed["seconds"] / one["seconds"] if one["seconds"] else float("nan")
    result = (
        f"{killed['lost']:,} lost, {killed['duplicated']:,} duplicated; peak {killed['peak_qps']} QPS "
        f"(cap {killed['max_qps']:g}); wall {killed['seconds']:.0f} s vs {one['seconds']:.0f} s "
        f"with one worker ({ratio:.2f}x)"
    )
    tries = sorted(tries for _state, tries in killed["tasks"].values())
    provider = (
        f"{len(killed['killed']['task_processes'])} task processes killed; tries {tries}; "
        f"one worker: {one['lost']:,} lost, {one['duplicated']:,} dup, peak {one['peak_qps']} QPS"
    )
    met = killed["ok"] and one["ok"]
    return [Row("6", measure, provider, "-", result, target, met)]


def run(recipients: int = 2_000_000) -> list[Row]:
    return rows(run_harness(recipients), recipients)


if __name__ == "__main__":
    from bench.report import table

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    print(table(run(count)))
