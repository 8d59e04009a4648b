"""``python -m tests.distributed``: a Buka SMS campaign over mapped tasks on CeleryExecutor, a worker killed.

Starts Redis, a private Airflow (scheduler with the CeleryExecutor, dag-processor, api-server,
triggerer; SQLite) and the simulator host; then

1. with one Celery worker, runs the campaign (``--recipients`` over ``--mapped`` mapped tasks),
   no fault: the wall time to compare with (``--no-compare`` skips it);
2. with ``--workers`` workers, runs it again and SIGKILLs one worker (its process group and every
   task process under it) once ``--kill-at`` of the sends reached the vendor. The scheduler fails
   the killed tries when their heartbeats stop, Airflow retries them on the surviving worker, and
   each retry resumes from its progress record; a batch that was in flight when its try died is
   one the vendor's records cannot attribute to that try, so the task asks a person (Human-in-the-
   loop), and the harness's person answers from the vendor's console as in tests/reliability/runtime.

Each run is counted from the simulator's ledger: lost and duplicated per recipient, the account's
peak requests per second against the connection's ``max_qps``. Prints the table, writes it
(``--results``, by default tests/distributed/RESULTS.md), and exits 1 if a run lost or duplicated
anything, went above the cap, or did not finish with every task succeeded. Everything started is
stopped at the end, also on failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from airflow_provider_nxcloud.testing.redis import redis_server
from tests.distributed.campaign import DAG_ID, TEXT, CampaignRun, Outcome, dag_source, write_segments
from tests.distributed.stack import HEARTBEAT_TIMEOUT_S, WORKER_CONCURRENCY, CeleryStack
from tests.reliability.runtime.person import Person

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.distributed", description=__doc__)
    parser.add_argument("--recipients", type=int, default=2_000_000)
    parser.add_argument("--mapped", type=int, default=8, help="mapped task instances (segments)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers in the run with the kill")
    parser.add_argument("--max-qps", type=float, default=10.0, help="the account's cap (connection max_qps)")
    parser.add_argument(
        "--kill-at", type=float, default=0.3, help="share of the sends after which a worker is killed"
    )
    parser.add_argument("--no-compare", action="store_true", help="skip the one-worker run")
    parser.add_argument(
        "--no-shared-budget",
        action="store_true",
        help="leave the connection's rate_limit_store out (each task paces itself alone: the cap is not held)",
    )
    parser.add_argument("--timeout", type=float, default=1500.0, help="seconds a run may take")
    parser.add_argument(
        "--work", type=Path, default=None, help="work directory (default: a new temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, DB) afterwards")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the Markdown report")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be at least 2: one is killed")
    if args.mapped < 1 or args.recipients < args.mapped:
        parser.error("--mapped must be at least 1 and at most --recipients")
    return args


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM/SIGHUP (a timeout, a closed terminal) end the run like Ctrl-C: everything is stopped
    raise KeyboardInterrupt


class Harness:
    def __init__(self, args: argparse.Namespace, work: Path, redis_url: str) -> None:
        self.args = args
        self.stack = CeleryStack(
            work, redis_url=redis_url, max_qps=args.max_qps, shared_budget=not args.no_shared_budget
        )
        data = work / "data"
        self.segments = write_segments(data, args.recipients, args.mapped)
        self.recipients_file = data / f"recipients-{args.recipients}.txt"
        (self.stack.dags / f"{DAG_ID}.py").write_text(
            dag_source(self.segments, work / "results"), encoding="utf-8"
        )
        self.person: Person | None = None
        self.outcomes: list[Outcome] = []

    def run(self) -> None:
        args, stack = self.args, self.stack
        log(f"work directory {stack.work}; starting Redis, the Airflow stack and the first worker")
        stack.start()
        stack.add_worker()
        stack.wait_for_dags([DAG_ID])
        self.person = Person(
            stack,
            recipients_of=lambda dag_id: self.recipients_file if dag_id == DAG_ID else None,
            platform_of=lambda dag_id: "buka" if dag_id == DAG_ID else None,
            text=TEXT,
            lag_s=lambda: 0.0,
        ).start()
        if not args.no_compare:
            self.campaign("one_worker", kill_at=None)
        while len(stack.workers) < args.workers:
            stack.add_worker()
        self.campaign(f"{args.workers}_workers_one_killed", kill_at=args.kill_at)

    def campaign(self, run_id: str, kill_at: float | None) -> None:
        assert self.person is not None
        workers = len(self.stack.workers) - len(self.stack.killed)
        log(
            f"{run_id}: {self.args.recipients:,} recipients over {self.args.mapped} mapped tasks, "
            f"{workers} worker(s)"
            + ("" if kill_at is None else f", one SIGKILLed after {kill_at:.0%} of the sends")
        )
        outcome = CampaignRun(
            self.stack,
            self.person,
            run_id,
            recipients_file=self.recipients_file,
            mapped=len(self.segments),
            recipients=self.args.recipients,
            kill_at=kill_at,
            timeout=self.args.timeout,
        ).run()
        self.outcomes.append(outcome)
        log(f"{run_id}: {summary(outcome)}")
        for line in outcome.evidence:
            log(f"  {line}")

    def stop(self) -> None:
        if self.person is not None:
            self.person.stop()
            for error in self.person.errors[-5:]:
                log(f"person: {error}")
        # a second signal must not interrupt the clean-up itself
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.stack.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)


def summary(outcome: Outcome) -> str:
    tries = sorted(t for _, t in outcome.tasks.values())
    return (
        f"{outcome.state}; tasks {sum(s == 'success' for s, _ in outcome.tasks.values())}/{outcome.mapped} "
        f"succeeded (tries {tries}); lost {outcome.lost}, duplicated {outcome.duplicated}; "
        f"{outcome.accepted:,} accepted in {outcome.sends} sends; peak {outcome.peak_qps} requests/s "
        f"(cap {outcome.max_qps:g}); {outcome.seconds:.0f} s"
    )


def verdict(outcomes: list[Outcome], args: argparse.Namespace) -> tuple[bool, str]:
    expected = 1 if args.no_compare else 2
    if len(outcomes) < expected:
        return False, "INTERRUPTED"
    killed = outcomes[-1].killed
    if killed is None or not killed.task_processes:
        return False, "NOT PROVED: no worker was killed while it ran campaign tasks"
    if all(outcome.ok for outcome in outcomes):
        return True, "nothing lost, nothing duplicated, the account's cap held"
    return False, "FAILED (see the table)"


def ratio_text(outcomes: list[Outcome]) -> str:
    one = next((o for o in outcomes if o.killed is None), None)
    killed = next((o for o in outcomes if o.killed is not None), None)
    if one is None or killed is None or not one.seconds:
        return ""
    return (
        f"Wall time with {killed.workers} workers (one SIGKILLed mid-send): {killed.seconds:.0f} s; "
        f"with one worker: {one.seconds:.0f} s; ratio {killed.seconds / one.seconds:.2f}."
    )


def markdown(outcomes: list[Outcome], args: argparse.Namespace, seconds: float) -> str:
    import airflow
    import celery

    _, said = verdict(outcomes, args)
    budget = (
        "no `rate_limit_store` (each task paces itself alone)"
        if args.no_shared_budget
        else "`rate_limit_store` on the same Redis (DB 2): the budget shared by every task"
    )
    header = (
        "| run | workers | recipients | mapped tasks | killed | tries per task | person (skip/resend/fail) "
        "| lost | duplicated | peak requests/s (cap) | final states | wall time |"
    )
    lines = [header, "|" + "---|" * 12]
    for o in outcomes:
        killed = (
            "no" if o.killed is None else f"{o.killed.worker}: {len(o.killed.task_processes)} task processes"
        )
        person = "/".join(str(o.decisions.get(option, 0)) for option in ("skip", "resend", "fail"))
        states = ", ".join(sorted({s for s, _ in o.tasks.values()})) or "-"
        tries = ", ".join(str(o.tasks[i][1]) for i in sorted(o.tasks))
        lines.append(
            f"| {o.run_id} | {o.workers} | {o.recipients:,} | {o.mapped} | {killed} | {tries} | {person} "
            f"| {o.lost} | {o.duplicated} | {o.peak_qps} ({o.max_qps:g}) | {o.state}: {states} | {o.seconds:.0f} s |"
        )
    evidence = "\n".join(
        f"* **{o.run_id}**:\n" + "\n".join(f"  * {line}" for line in o.evidence) for o in outcomes
    )
    command = (
        f"python -m tests.distributed --recipients {args.recipients} --mapped {args.mapped} "
        f"--workers {args.workers} --max-qps {args.max_qps:g} --kill-at {args.kill_at:g}"
        + (" --no-compare" if args.no_compare else "")
        + (" --no-shared-budget" if args.no_shared_budget else "")
    )
    return f"""# Distributed campaign on CeleryExecutor, a worker SIGKILLed mid-send: {said}

Written by `{command}` (`make test-distributed`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,
{seconds:.0f} s in all, on {_machine()}.

Airflow {airflow.__version__}, Celery {celery.__version__}, CeleryExecutor with Redis as broker and result
backend; `airflow scheduler`, `airflow dag-processor`, `airflow api-server`, `airflow triggerer` on SQLite;
`airflow celery worker` processes with concurrency {WORKER_CONCURRENCY} each; the simulator host
(`python -m tests.reliability.runtime.simhost`). One DAG maps `BukaSendSmsOperator.partial(...).expand(recipients=...)`
over {args.mapped} segment files (each its own results file); one connection for all of them with
`max_qps` {args.max_qps:g} and {budget}; retries={5}, retry_delay 2 s;
`[scheduler] task_instance_heartbeat_timeout` {HEARTBEAT_TIMEOUT_S} s.

{chr(10).join(lines)}

{ratio_text(outcomes)}

"lost": recipients the vendor never accepted; "duplicated": acceptances beyond the first per
recipient. "peak requests/s": the most requests that reached the vendor's paths within any one
second (the simulator's request log; every task together, sends and lookups). "person": the
Human-in-the-loop answers given through the public REST API to a task that asked about the batch
its killed try had in flight (the person checks the vendor's console, as in tests/reliability/runtime).
"tries per task": by map index.

The peak is counted where a vendor would count it: on arrival at the simulator (its request log, as
each request enters the simulator's ASGI app), not where the tasks take their turn in the shared
window. Whatever delays a request between the two (a task process or the simulator waiting for a
CPU on a loaded machine: see the load averages under Evidence) can bunch arrivals beyond the
limiter's headroom, and shows here as a peak above the cap.

## Evidence

{evidence}
"""


def _machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = args.work or Path(tempfile.mkdtemp(prefix="nxcloud-distributed-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    harness: Harness | None = None
    try:
        with redis_server() as redis_url:
            harness = Harness(args, work, redis_url)
            try:
                harness.run()
            finally:
                harness.stop()
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
    except Exception as exc:  # reported, and everything still stopped
        log(f"the run broke: {type(exc).__name__}: {exc}")
    outcomes = harness.outcomes if harness is not None else []
    seconds = time.monotonic() - started
    ok, said = verdict(outcomes, args)
    print()
    for outcome in outcomes:
        print(f"{outcome.run_id}: {summary(outcome)}")
    if line := ratio_text(outcomes):
        print(line)
    print(said)
    if outcomes:
        args.results.write_text(markdown(outcomes, args, seconds), encoding="utf-8")
        log(f"written {args.results}")
    if args.json is not None:
        args.json.write_text(json.dumps([_json(o) for o in outcomes], indent=1), encoding="utf-8")
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        log(f"kept {work}")
    return 0 if ok else 1


def _json(outcome: Outcome) -> dict[str, object]:
    fields = asdict(outcome)
    fields["ok"] = outcome.ok
    return fields


if __name__ == "__main__":
    sys.exit(main())
