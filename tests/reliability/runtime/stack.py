"""The real Airflow runtime in a private home: scheduler (LocalExecutor), dag-processor, api-server, triggerer.

Plus the simulator host (:mod:`.simhost`). Every process starts in a process group of its own;
:meth:`Stack.stop` ends each group (SIGTERM, then SIGKILL) and any descendant that left its
group, also after Ctrl-C or a failure (the stack is a context manager, and SIGTERM to the
harness is turned into the same clean-up).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.harness import AIRFLOW, airflow_env, migrate
from tests.reliability.runtime.fault_proxy import self_signed

COMPONENTS = ("scheduler", "dag-processor", "api-server", "triggerer")
#: the connection extras of the "short read timeout" connections (window 5)
SHORT_READ_TIMEOUT_S = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(method: str, url: str, body: Any = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        raw = reply.read()
    return json.loads(raw) if raw else None


@dataclass
class Ports:
    api: int = field(default_factory=free_port)
    sim: int = field(default_factory=free_port)
    proxy: int = field(default_factory=free_port)
    tls: int = field(default_factory=free_port)
    other: int = field(default_factory=free_port)
    console: int = field(default_factory=free_port)


def connections(ports: Ports) -> dict[str, str]:
    """``AIRFLOW_CONN_*``: each platform's default connection through the proxy; ``<platform>_short``
    with a small read timeout (window 5); ``<platform>_tls`` over https to the proxy's TLS port."""
    from airflow_provider_nxcloud.testing.accounts import Accounts

    accounts = Accounts()
    plain = f"http://127.0.0.1:{ports.proxy}"
    tls = f"https://127.0.0.1:{ports.tls}"
    env: dict[str, str] = {}
    for platform in ("nxcloud", "buka", "fonedynamics"):
        account = getattr(accounts, platform)
        for suffix, origin, extra in (
            ("default", plain, {}),
            ("short", plain, {"read_timeout": SHORT_READ_TIMEOUT_S}),
            ("tls", tls, {}),
        ):
            conn = json.loads(account.connection(origin))
            conn["extra"] = {**conn["extra"], **extra}
            env[f"AIRFLOW_CONN_{platform.upper()}_{suffix.upper()}"] = json.dumps(conn)
    return env


class Stack:
    def __init__(self, work: Path, *, parallelism: int = 4) -> None:
        self.work = work
        self.home = work / "home"
        self.dags = work / "dags"
        self.logs = work / "logs"
        for directory in (self.home, self.dags, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        self.ports = Ports()
        self.cert, self.key = self_signed(work)
        self.api_url = f"http://127.0.0.1:{self.ports.api}"
        self.console_url = f"http://127.0.0.1:{self.ports.console}"
        self.sim_url = f"http://127.0.0.1:{self.ports.sim}"
        self.proxy_url = f"http://127.0.0.1:{self.ports.proxy}"
        self.env = airflow_env(
            self.home,
            connections(self.ports),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            # SQLite's lock: wait for it rather than fail a request after 5 s (see sqlite_busy)
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS="tests.reliability.runtime.sqlite_busy.CONNECT_ARGS",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC="tests.reliability.runtime.sqlite_busy.CONNECT_ARGS",
            AIRFLOW__CORE__PARALLELISM=str(parallelism),
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__AUTH_MANAGER=(
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.api_url}/execution/",
            AIRFLOW__API__BASE_URL=self.api_url,
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.ports.api),
            AIRFLOW__API__WORKERS="1",
            # one secret for every component: the scheduler signs the task tokens the api-server checks
            AIRFLOW__API_AUTH__JWT_SECRET="reliability-runtime-not-a-secret",
            AIRFLOW__CORE__FERNET_KEY="",
            # new DAG files (one per platform and window) are found within seconds, not minutes
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="30",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            # the task state goes when a task instance succeeds (window cleared_after_success); no
            # other window reads it after success: each runs its DAG once, retries come before success
            AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS="True",
            # the proxy's TLS listener: its self-signed certificate is the CA the task trusts
            REQUESTS_CA_BUNDLE=self.cert,
            SSL_CERT_FILE=self.cert,
        )
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._descendants: set[int] = set()

    # ----- lifecycle ---------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.work,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def start_simhost(self) -> None:
        ports = self.ports
        self._spawn(
            "simhost",
            [
                sys.executable,
                "-m",
                "tests.reliability.runtime.simhost",
                f"--port={ports.sim}",
                f"--proxy-port={ports.proxy}",
                f"--tls-port={ports.tls}",
                f"--other-port={ports.other}",
                f"--console-port={ports.console}",
                f"--cert={self.cert}",
                f"--key={self.key}",
            ],
        )
        self._wait(lambda: http_json("GET", f"{self.console_url}/health"), "the simulator host", 30)

    def start(self, components: Sequence[str] = COMPONENTS) -> None:
        """The simulator host and ``components`` (the api-server always); the others can follow
        with :meth:`start_component`."""
        self.start_simhost()
        migrate(self.env)
        for component in dict.fromkeys(("api-server", *components)):
            self.start_component(component)
        self._wait(lambda: http_json("GET", f"{self.api_url}/api/v2/monitor/health"), "the api-server", 120)

    def start_component(self, component: str) -> None:
        if component not in COMPONENTS:
            raise ValueError(f"component must be one of {', '.join(COMPONENTS)}, not {component!r}")
        self._spawn(component, [AIRFLOW, component])

    def stop_component(self, component: str) -> None:
        """End one component's process group (SIGTERM, then SIGKILL); :meth:`start_component` brings it back."""
        process = self.processes.pop(component)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(20)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)

    def _wait(self, probe: Any, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                probe()
                return
            except (OSError, urllib.error.URLError, ValueError) as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"{what} did not answer within {timeout:.0f} s: {last}")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def remember_descendants(self) -> None:
        """Note every process under ours, so one that left its group is still ended in stop()."""
        for process in self.processes.values():
            with suppress(psutil.Error):
                self._descendants.update(p.pid for p in psutil.Process(process.pid).children(recursive=True))

    def stop(self) -> None:
        self.remember_descendants()
        for process in self.processes.values():
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            # the group: the component and whatever it started without a session of its own
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            if process.poll() is None:
                process.kill()
                process.wait(5)
        for pid in self._descendants:
            with suppress(psutil.Error):
                psutil.Process(pid).kill()
        self.processes.clear()

    # ----- what the windows use ------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return http_json(method, f"{self.api_url}/api/v2{path}", body)

    def console(self, method: str, path: str, body: Any = None) -> Any:
        return http_json(method, f"{self.console_url}{path}", body, timeout=300)

    def sim(self, method: str, path: str, body: Any = None) -> Any:
        return http_json(method, f"{self.sim_url}/_simulator{path}", body)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "airflow.db", timeout=30)

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 300) -> None:
        """Until the dag-processor has serialized every one of ``dag_ids`` (and none failed to import)."""
        deadline = time.monotonic() + timeout
        missing = set(dag_ids)
        while time.monotonic() < deadline:
            self.check_alive()
            with self.db() as db:
                try:
                    have = {row[0] for row in db.execute("SELECT dag_id FROM serialized_dag")}
                    errors = db.execute("SELECT filename, stacktrace FROM import_error").fetchall()
                except sqlite3.OperationalError:
                    have, errors = set(), []
            if errors:
                raise RuntimeError(f"DAG import errors: {errors}")
            missing = set(dag_ids) - have
            if not missing:
                return
            time.sleep(1)
        raise RuntimeError(f"the dag-processor did not serialize {sorted(missing)} within {timeout:.0f} s")


@contextmanager
def running_stack(work: Path, *, components: Sequence[str] = COMPONENTS, **options: Any) -> Iterator[Stack]:
    stack = Stack(work, **options)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        # turned into KeyboardInterrupt so the finally below stops everything
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        stack.start(components)
        yield stack
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)


def env_for_cli(stack: Stack, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**stack.env, **(extra or {})}
