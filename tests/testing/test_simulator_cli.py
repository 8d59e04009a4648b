"""The command line: start on a free port, answer, stop cleanly on a signal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_nxcloud.testing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signalled(stop_signal):
    port = free_port()
    process = start("--port", str(port), "--seed", "3", "--time-scale", "2", "--print-env")
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"NXCloud simulator listening on http://127\.0\.0\.1:\d+", line), line
        url = line.rsplit(" ", 1)[1]
        assert url.endswith(f":{port}")
        exports = [process.stdout.readline() for _ in range(3)]
        assert all(e.startswith("export AIRFLOW_CONN_") for e in exports)
        health = requests.get(url + "/_simulator/health", timeout=5).json()
        assert health["status"] == "ok" and health["clock"]["time_scale"] == 2
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_random_port_and_faults():
    process = start("--port", "0", "--fault-rate", "1", "--fault-weights", "http_502=1")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        assert not url.endswith(":0")
        assert requests.get(url + "/v3/getBalance", timeout=5).status_code == 502
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_rejects_bad_arguments():
    process = start("--fault-weights", "meteor=1")
    assert process.wait(timeout=30) == 2
