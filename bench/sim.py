"""The simulator in a process of its own, driven over its ``/_simulator/`` control routes.

The benchmarks never share a process with the simulator: its ledger, its JSON
work and its event loop must not count against the client being measured (nor
hold the client's GIL). On a 2-core machine the simulator gets one core, the
measured client the other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from airflow_provider_nxcloud.testing.accounts import Accounts

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SimProcess:
    """``python -m airflow_provider_nxcloud.testing`` on a free loopback port.

    :param rtt_ms: the simulated network round trip added to every vendor request.
    :param handshake_rtts: round trips a new connection costs before its first request
        (TCP + TLS 1.3: 2), so that reusing connections pays off as it does over HTTPS.
    :param lean: count accepted messages instead of keeping a ledger entry each
        (``--ledger counts``): a million-recipient run then costs the simulator
        neither the memory nor the time of a million entries. Reports and lookups
        find nothing in this mode.
    """

    def __init__(self, *, rtt_ms: float = 0.0, handshake_rtts: float = 0.0, lean: bool = False) -> None:
        self.rtt_ms = rtt_ms
        self.handshake_rtts = handshake_rtts
        self.lean = lean
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None
        self._http = requests.Session()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimProcess:
        command = [sys.executable, "-m", "airflow_provider_nxcloud.testing", "--port", str(self.port)]
        command += ["--time-scale", "0", "--rtt-ms", str(self.rtt_ms)]
        command += ["--handshake-rtts", str(self.handshake_rtts)]
        if self.lean:
            command += ["--ledger", "counts"]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        line = self._process.stdout.readline()
        if "listening" not in line or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._http.close()

    # ----- control --------------------------------------------------------------------------

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        reply = self._http.post(f"{self.url}/_simulator/{path}", json=dict(body or {}), timeout=30)
        reply.raise_for_status()
        return reply.json()

    def reset(self) -> None:
        """Empty ledger and request log; the clock stays stopped (time scale 0)."""
        self._post("reset")
        self._post("clock/scale", {"time_scale": 0})

    def advance(self, seconds: float) -> None:
        self._post("clock/advance", {"seconds": seconds})

    def requests(self) -> dict[str, Any]:
        """``{"total", "by_endpoint": {"platform/endpoint": n}, "peak_qps"}`` since the last reset."""
        reply = self._http.get(f"{self.url}/_simulator/requests", timeout=30)
        reply.raise_for_status()
        return dict(reply.json())

    def count(self, platform: str, endpoint: str) -> int:
        return int(self.requests()["by_endpoint"].get(f"{platform}/{endpoint}", 0))

    def cpu_seconds(self) -> float | None:
        """CPU time the simulator process has used so far (Linux ``/proc``), or None elsewhere."""
        if self._process is None:
            return None
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    # ----- connections ----------------------------------------------------------------------

    def connection_env(self, **extras: Any) -> dict[str, str]:
        """``AIRFLOW_CONN_*_DEFAULT`` for the three platforms, each with ``extras`` added."""
        env = {}
        for name, value in Accounts().connection_env(self.url).items():
            conn = json.loads(value)
            conn["extra"] = {**conn["extra"], **{k: v for k, v in extras.items() if v is not None}}
            env[name] = json.dumps(conn)
        return env
