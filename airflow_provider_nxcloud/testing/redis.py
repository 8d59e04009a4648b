"""A throwaway Redis server for tests: ``with redis_server() as url: ...``.

Starts the machine's ``redis-server`` (Debian's package; ``make redis`` installs it
where missing) on a free loopback port, with no persistence and a private temporary
directory, waits until it answers, and stops it on leaving the block. Used by the
rate-budget tests and the distributed harness.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


class RedisServerError(RuntimeError):
    """redis-server is missing or did not start."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


@contextmanager
def redis_server(*, password: str | None = None) -> Iterator[str]:
    """A running redis-server on loopback; yields its URL (``redis://[:password@]127.0.0.1:PORT/0``).

    ``password``: the server then requires it (``requirepass``), and the URL carries it.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisServerError("redis-server is not installed (make redis installs Debian's package)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="redis-") as directory:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", directory, "--logfile", ""]
        if password:
            command += ["--requirepass", password]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _answers(port):
                if process.poll() is not None:
                    raise RedisServerError(f"redis-server exited with {process.returncode} on port {port}")
                if time.monotonic() > deadline:
                    raise RedisServerError(f"redis-server did not answer on port {port}")
                time.sleep(0.02)
            credentials = f":{password}@" if password else ""
            yield f"redis://{credentials}127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
