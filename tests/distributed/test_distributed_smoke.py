"""``make test-distributed`` in small: 20,000 Buka SMS recipients over 8 mapped tasks on CeleryExecutor
with two workers, one SIGKILLed (with the task processes it supervises) mid-send.

The real runtime: Redis, scheduler, dag-processor, api-server, triggerer, two ``airflow celery
worker`` processes and the simulator host. The killed tries are failed by the scheduler when
their heartbeats stop and retried on the surviving worker; the account's ``max_qps`` is shared
by every task through Redis. Counted from the simulator's ledger.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
MAPPED = 8
MAX_QPS = 5

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed (make redis)"
)


def _ours(work: Path) -> set[int]:
    """Processes this run started that are still there: their command line or working directory is its work directory."""
    found = set()
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(work) in cmdline or (process.info["cwd"] or "").startswith(str(work)):
            found.add(process.pid)
    return found


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    work, results, figures = tmp_path / "work", tmp_path / "RESULTS.md", tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.distributed",
            "--recipients=20000",
            f"--mapped={MAPPED}",
            "--workers=2",
            f"--max-qps={MAX_QPS}",
            "--no-compare",
            f"--work={work}",
            f"--results={results}",
            f"--json={figures}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    (run,) = json.loads(figures.read_text(encoding="utf-8"))
    assert run["state"] == "success", output[-6000:]
    assert (run["lost"], run["duplicated"], run["accepted"]) == (0, 0, 20_000), run
    assert run["peak_qps"] <= MAX_QPS, run
    assert sorted(run["tasks"]) == [str(i) for i in range(MAPPED)], run
    assert {state for state, _tries in run["tasks"].values()} == {"success"}, run
    # the kill really hit running tasks, and they were retried
    assert run["killed"]["task_processes"], run
    assert max(tries for _state, tries in run["tasks"].values()) >= 2, run
    assert "nothing lost, nothing duplicated" in results.read_text(encoding="utf-8")
    # everything the harness started is gone
    assert not _ours(work), "a process of the run outlived it"
