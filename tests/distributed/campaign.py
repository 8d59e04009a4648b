"""One Buka SMS campaign split over mapped tasks, run on the Celery stack, one worker killed mid-send.

The DAG (written into the stack's DAGs folder, read by the real dag-processor) maps
``BukaSendSmsOperator.partial(...).expand(recipients=[segment files])``: each mapped task
instance sends its own segment of the recipients and writes its own results file. Every task
uses one connection, whose ``max_qps`` is the account's budget shared through Redis.

:class:`CampaignRun` triggers one DAG run, kills a worker (its whole process tree) once a
given share of the sends reached the vendor, waits for the run to end, and counts from the
simulator's ledger: lost and duplicated per recipient, and the account's peak requests per
second (every request on a vendor path, in any one-second window, all tasks together).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.data import read_numbers, write_numbers
from tests.distributed.stack import CONN_ID, CeleryStack, Killed
from tests.reliability.runtime.person import Person

DAG_ID = "distributed_buka_sms"
TASK_ID = "send_sms"
TEXT = "Distributed check: flash sale starts at noon"
RETRIES = 5
RETRY_DELAY_S = 2
#: Buka's sendSms takes 1,000 numbers a request (platforms/buka.py)
BATCH = 1000
TERMINAL = ("success", "failed")


def write_segments(data: Path, recipients: int, mapped: int) -> list[Path]:
    """``recipients`` valid numbers (bench.data) in ``mapped`` files of near-equal size, whole batches each."""
    whole = write_numbers(data / f"recipients-{recipients}.txt", recipients)
    batches = -(-recipients // BATCH)
    per_segment = [(batches // mapped + (i < batches % mapped)) * BATCH for i in range(mapped)]
    segments = [data / f"segment-{recipients}-{mapped}-{i}.txt" for i in range(mapped)]
    numbers = read_numbers(whole)
    for path, size in zip(segments, per_segment, strict=True):
        with path.open("w") as out:
            for _ in range(size):
                number = next(numbers, None)
                if number is None:
                    break
                out.write(number + "\n")
    return segments


def dag_source(segments: list[Path], results: Path) -> str:
    files = [str(path) for path in segments]
    return f'''"""Written by tests.distributed: one Buka SMS campaign over {len(segments)} mapped tasks."""

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

with DAG(
    dag_id={DAG_ID!r},
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["distributed"],
):
    BukaSendSmsOperator.partial(
        task_id={TASK_ID!r},
        text={TEXT!r},
        buka_conn_id={CONN_ID!r},
        results_path={str(results)!r} + "/{{{{ run_id }}}}/segment-{{{{ ti.map_index }}}}.jsonl",
        retries={RETRIES},
        retry_delay=timedelta(seconds={RETRY_DELAY_S}),
        retry_exponential_backoff=False,
    ).expand(recipients={files!r})
'''


@dataclass
class Outcome:
    """One DAG run's figures."""

    run_id: str
    workers: int
    recipients: int
    mapped: int
    max_qps: float
    state: str = "not run"
    seconds: float = 0.0
    lost: int = 0
    duplicated: int = 0
    accepted: int = 0
    sends: int = 0
    peak_qps: int = 0
    #: map index -> (final state, tries)
    tasks: dict[int, tuple[str, int]] = field(default_factory=dict)
    killed: Killed | None = None
    #: sends that had reached the vendor when the worker was killed
    sends_at_kill: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)

    @property
    def all_succeeded(self) -> bool:
        return len(self.tasks) == self.mapped and all(s == "success" for s, _ in self.tasks.values())

    @property
    def ok(self) -> bool:
        return (
            self.state == "success"
            and self.all_succeeded
            and self.lost == 0
            and self.duplicated == 0
            and self.peak_qps <= self.max_qps
        )


class CampaignRun:
    def __init__(
        self,
        stack: CeleryStack,
        person: Person,
        run_id: str,
        *,
        recipients_file: Path,
        mapped: int,
        recipients: int,
        kill_at: float | None,
        timeout: float,
    ) -> None:
        self.stack = stack
        self.person = person
        self.run_id = run_id
        self.recipients_file = recipients_file
        self.kill_at = kill_at
        self.timeout = timeout
        self._peak = 0
        self._started = time.monotonic()
        self._started_wall = time.time()
        #: when the vendor's peak requests per second rose, and to what (sampled every half second)
        self.peak_rises: list[str] = []
        self.outcome = Outcome(
            run_id,
            len(stack.workers) - len(stack.killed),
            recipients,
            mapped,
            stack.max_qps,
        )

    def sends(self) -> int:
        """Sends that reached the vendor so far; notes when the account's peak rate rises."""
        requests = self.stack.sim("GET", "/requests")
        sends = int(requests["by_endpoint"].get("buka/sms_send", 0))
        if int(requests["peak_qps"]) > self._peak:
            self._peak = int(requests["peak_qps"])
            self.peak_rises.append(
                f"+{time.monotonic() - self._started:.0f} s: {self._peak}/s after {sends} sends"
            )
        return sends

    def run(self) -> Outcome:
        stack, outcome = self.stack, self.outcome
        stack.console("POST", "/reset")
        decided_before = sum(self.person.decisions_for(DAG_ID).values())
        load_at_start = os.getloadavg()[0]
        started = self._started = time.monotonic()
        self._started_wall = time.time()
        stack.api("POST", f"/dags/{DAG_ID}/dagRuns", {"dag_run_id": self.run_id, "logical_date": None})
        kill_after = None if self.kill_at is None else max(1, int(self.sends_total() * self.kill_at))
        deadline = started + self.timeout
        while time.monotonic() < deadline:
            stack.check_alive()
            sends = self.sends()
            if kill_after is not None and outcome.killed is None and sends >= kill_after:
                self.kill()
            outcome.state = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{self.run_id}")["state"]
            if outcome.state in TERMINAL:
                break
            time.sleep(0.5)
        outcome.seconds = time.monotonic() - started
        if outcome.state not in TERMINAL:
            outcome.evidence.append(f"the run did not finish within {self.timeout:.0f} s")
        if kill_after is not None and outcome.killed is None:
            outcome.evidence.append(
                f"no worker was killed: {self.sends()} sends in all, kill at {kill_after}"
            )
        outcome.evidence.append(
            "machine load average (1 min) at the start and the end: "
            f"{load_at_start:.1f}, {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)"
        )
        self.count()
        outcome.evidence.append("the vendor's peak requests/s rose: " + "; ".join(self.peak_rises))
        decisions = [d for d in self.person.decisions if d.dag_id == DAG_ID][decided_before:]
        for decision in decisions:
            outcome.decisions[decision.chosen] = outcome.decisions.get(decision.chosen, 0) + 1
            outcome.evidence.append(
                f"+{decision.at - self._started_wall:.0f} s: person: batch {decision.reference}: "
                f"{decision.chosen} ({decision.why})"
            )
        return outcome

    def sends_total(self) -> int:
        return -(-self.outcome.recipients // BATCH)

    def kill(self) -> None:
        """SIGKILL the first worker that runs task processes now (the whole tree)."""
        stack, outcome = self.stack, self.outcome
        busy = {
            worker: len(stack.task_processes(worker))
            for worker in stack.workers
            if worker not in stack.killed
        }
        worker = max(busy, key=lambda name: busy[name])
        outcome.sends_at_kill = self.sends()
        outcome.killed = stack.kill_worker(worker)
        outcome.evidence.append(
            f"+{time.monotonic() - self._started:.0f} s: SIGKILLed {worker} when {outcome.sends_at_kill} of the {self.sends_total()} sends had "
            f"reached the vendor: {len(outcome.killed.pids)} processes, "
            f"{len(outcome.killed.task_processes)} of them task processes"
        )
        outcome.evidence += [f"task process killed: {line}" for line in outcome.killed.task_processes]

    def task_instances(self) -> list[dict[str, Any]]:
        found = self.stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{self.run_id}/taskInstances?limit=100")
        return [ti for ti in found["task_instances"] if ti["task_id"] == TASK_ID]

    def tally(self) -> dict[str, Any]:
        return self.stack.console(
            "POST", "/tally", {"platform": "buka", "recipients_files": [str(self.recipients_file)]}
        )

    def count(self) -> None:
        outcome = self.outcome
        tally = self.tally()
        requests = tally["requests"]
        outcome.lost, outcome.duplicated, outcome.accepted = (
            tally["lost"],
            tally["duplicated"],
            tally["accepted"],
        )
        outcome.sends = int(requests["by_endpoint"].get("buka/sms_send", 0))
        outcome.peak_qps = int(requests["peak_qps"])
        outcome.evidence.append(f"vendor requests by endpoint: {requests['by_endpoint']}")
        for ti in self.task_instances():
            outcome.tasks[int(ti["map_index"])] = (str(ti["state"]), int(ti["try_number"]))
