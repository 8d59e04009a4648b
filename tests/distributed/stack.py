"""The reliability runtime's stack on CeleryExecutor: Redis, and Celery workers that can be added and killed.

Everything of :class:`tests.reliability.runtime.stack.Stack` (private SQLite home, scheduler,
dag-processor, api-server, triggerer, the simulator host, clean-up of every process group it
started) with three differences:

* a Redis (``airflow_provider_nxcloud.testing.redis.redis_server``: Debian's ``redis-server`` on a
  free loopback port, no persistence) is Celery's broker (DB 0) and result backend (DB 1), and the
  store of the account's shared rate budget (DB 2);
* the executor is CeleryExecutor; ``airflow celery worker`` processes are started on request
  (:meth:`CeleryStack.add_worker`), each in a process group of its own with its own hostname and
  pid file, so two run side by side on one machine;
* a task whose worker vanished is failed by the scheduler after ``HEARTBEAT_TIMEOUT_S`` without a
  heartbeat (Airflow's default is 300 s), and retried.

SQLite serves: on Airflow 3 the Celery workers reach the metadata only through the api-server's
Execution API, so the processes writing the database are the same four as with the LocalExecutor.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.e2e.harness import AIRFLOW
from tests.reliability.runtime.stack import Stack

#: seconds without a task heartbeat before the scheduler fails the try (then Airflow retries it)
HEARTBEAT_TIMEOUT_S = 20
#: how often the scheduler looks for such tasks
HEARTBEAT_CHECK_S = 5
#: task processes one worker runs at once
WORKER_CONCURRENCY = 4
#: the campaign's connection (Buka, straight to the simulator)
CONN_ID = "buka_account"
BROKER_DB, RESULTS_DB, RATE_LIMIT_DB = 0, 1, 2


@dataclass
class Killed:
    """What a SIGKILL of a whole worker took down."""

    worker: str
    pids: list[int] = field(default_factory=list)
    #: the task processes (the supervisor's children running the task) among them
    task_processes: list[str] = field(default_factory=list)


class CeleryStack(Stack):
    def __init__(
        self,
        work: Path,
        *,
        redis_url: str,
        max_qps: float,
        shared_budget: bool = True,
        worker_concurrency: int = WORKER_CONCURRENCY,
    ) -> None:
        """``redis_url``: a running Redis (``redis://host:port/db``; the database number is replaced).
        ``shared_budget`` False leaves ``rate_limit_store`` out: each task then paces itself alone."""
        super().__init__(work, parallelism=32)
        self.worker_concurrency = worker_concurrency
        self.max_qps = max_qps
        redis = redis_url.rsplit("/", 1)[0]
        self.rate_limit_store = f"{redis}/{RATE_LIMIT_DB}" if shared_budget else None
        self.env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": f"{redis}/{BROKER_DB}",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"{redis}/{RESULTS_DB}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "32",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": str(
                    HEARTBEAT_CHECK_S
                ),
                f"AIRFLOW_CONN_{CONN_ID.upper()}": self.connection(),
            }
        )
        self.workers: list[str] = []
        #: the workers :meth:`kill_worker` killed
        self.killed: set[str] = set()

    def connection(self) -> str:
        """Buka straight to the simulator, with the account's rate budget shared through Redis."""
        from airflow_provider_nxcloud.testing.accounts import Accounts

        conn = json.loads(Accounts().buka.connection(self.sim_url))
        conn["extra"] = {**conn["extra"], "max_qps": self.max_qps}
        if self.rate_limit_store:
            conn["extra"]["rate_limit_store"] = self.rate_limit_store
        return json.dumps(conn)

    # ----- workers -----------------------------------------------------------------------------

    def add_worker(self) -> str:
        """Start one more ``airflow celery worker``; returns its name once it serves the queue."""
        name = f"worker{len(self.workers) + 1}"
        self._spawn(
            name,
            [
                AIRFLOW,
                "celery",
                "worker",
                "--celery-hostname",
                f"{name}@%h",
                "--concurrency",
                str(self.worker_concurrency),
                "--pid",
                str(self.work / f"{name}.pid"),
                # two workers on one host would both serve logs on the same port
                "--skip-serve-logs",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self.workers.append(name)
        self._wait(lambda: self._ready(name), f"celery {name}", 120)
        return name

    def _ready(self, name: str) -> None:
        log = (self.logs / f"{name}.log").read_text(errors="replace")
        if " ready." not in log:
            raise ValueError(f"{name} is not ready yet")

    def task_processes(self, worker: str) -> list[psutil.Process]:
        """The task processes under a worker now: the supervisor puts each in a process group of its own."""
        found = []
        with contextlib.suppress(psutil.Error):
            for member in psutil.Process(self.processes[worker].pid).children(recursive=True):
                with contextlib.suppress(psutil.Error, OSError):
                    if os.getpgid(member.pid) == member.pid:
                        found.append(member)
        return found

    def kill_worker(self, worker: str) -> Killed:
        """SIGKILL a worker: its process group and every process under it, task processes included.

        The group is stopped first, so no supervisor forks a task process between the listing and
        the kill; the task processes have groups of their own (the supervisor puts them there), so
        each is killed by its pid and group.
        """
        process = self.processes[worker]
        self.killed.add(worker)
        os.killpg(process.pid, signal.SIGSTOP)
        tree = [psutil.Process(process.pid)]
        with contextlib.suppress(psutil.Error):
            tree += psutil.Process(process.pid).children(recursive=True)
        killed = Killed(worker)
        for member in tree:
            with contextlib.suppress(psutil.Error):
                if os.getpgid(member.pid) == member.pid and member.pid != process.pid:
                    killed.task_processes.append(_lineage(member, process.pid))
                    os.killpg(member.pid, signal.SIGKILL)
        os.killpg(process.pid, signal.SIGKILL)
        for member in tree:
            with contextlib.suppress(psutil.Error):
                member.kill()
            killed.pids.append(member.pid)
        for member in tree:
            with contextlib.suppress(psutil.Error):
                member.wait(10)
        process.wait(10)
        return killed

    def check_alive(self) -> None:
        """Every process still running, except the workers killed on purpose."""
        for name, process in self.processes.items():
            if name not in self.killed and process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")


def _lineage(member: psutil.Process, worker_pid: int) -> str:
    """``pid 'command'`` of a process and its parents up to the worker's main process."""
    chain: list[str] = []
    current: psutil.Process | None = member
    while current is not None and len(chain) < 4:
        with contextlib.suppress(psutil.Error):
            chain.append(f"{current.pid} {' '.join(current.cmdline()).strip()[:60]!r}")
        if current.pid == worker_pid:
            break
        try:
            current = current.parent()
        except psutil.Error:
            break
    return " <- ".join(chain)
