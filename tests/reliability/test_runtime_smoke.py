"""``make reliability`` in small: the real Airflow runtime (scheduler + LocalExecutor, dag-processor,
api-server, triggerer) sends 3,000 recipients (30 sends) through Fone Dynamics under three windows, and a
person answers Airflow's own HITLOperator over the REST API.

Fone Dynamics, because its lookup settles a batch whose answer was lost without a person, so
these windows complete on their own; the full run (tests/reliability/runtime) covers the rest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]


def _ours(work: Path) -> set[int]:
    """The simulator hosts this run started: their command line names its work directory (other
    runs on the machine, a developer's ``make reliability`` say, are not this test's)."""
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "tests.reliability.runtime.simhost" in cmdline and str(work) in cmdline:
            found.add(process.pid)
    return found


def test_windows_through_the_real_runtime(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.runtime",
            "--recipients=3000",
            "--platforms",
            "fonedynamics",
            "--windows",
            "kill_after_accept",
            "reset_after",
            "source_changed",
            f"--work={tmp_path / 'work'}",
            f"--results={results}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    table = results.read_text(encoding="utf-8")
    assert "every window: nothing lost, nothing duplicated" in table, table
    # the windows really happened: a task process was killed, the vendor dropped a processed send
    assert "SIGKILLed pid" in table and "reset_after on request" in table, table
    assert table.count("HITLOperator probe OK") == 2, table
    # everything the harness started is gone
    assert not _ours(tmp_path / "work"), "the simulator host outlived the run"
