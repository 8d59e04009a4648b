"""A measured piece of work in a process of its own, reporting back one JSON line.

Every benchmark that must not share a process with what it measures (a campaign task, a
triggerer, a trigger run) starts ``python -m <module> <arguments>`` and reads the last line
of its output that is a JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.sim import ROOT


def run_json_module(module: str, *arguments: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python -m <module> <arguments>`` in a child process; the last JSON line it prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{module} failed ({done.returncode}): {done.stderr[-3000:]}")
    return dict(json.loads(lines[-1]))
