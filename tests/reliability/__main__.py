"""``python -m tests.reliability [--recipients 100000]``: the fault-injection campaigns at full size.

Runs an SMS campaign per platform (Buka, NXCloud, Fone Dynamics) and the voice task
create and privacy-number bind scenarios, each against its own simulator, as
:mod:`tests.reliability.faults` describes. Prints one table (faults injected by kind,
retries, batches in doubt and who settled them, killed tries, lost, duplicated, wall
time) and writes it as Markdown to ``tests/reliability/RESULTS.md``. Exits 1 when any
scenario lost or duplicated anything, or did not finish.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

# The runner is not under pytest (tests/conftest.py): Airflow gets a private home here,
# before anything imports it.
_HOME = tempfile.mkdtemp(prefix="airflow-provider-nxcloud-reliability-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

import multiprocessing  # noqa: E402

from tests.reliability import faults  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
SMS = ("nxcloud", "fonedynamics", "buka")


def _quiet(log_path: Path) -> None:
    """Send a worker's output to a log file: tracebacks of dropped connections, task logs."""
    import logging

    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for name in ("uvicorn", "airflow", "airflow_provider_nxcloud"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_scenario(kind: str, name: str, size: int, seed: int, workdir: str) -> faults.Report:
    """One scenario in this process, against a simulator of its own."""
    from airflow_provider_nxcloud.testing.server import run_simulator

    work = Path(workdir) / name
    work.mkdir(parents=True, exist_ok=True)
    _quiet(work / "output.log")
    with run_simulator(seed=seed) as sim:
        os.environ.update(sim.connection_env())
        if kind == "sms":
            return faults.run_sms_campaign(sim, name, size, work, seed=seed)
        return faults.run_creates(sim, name, size, work, seed=seed)


def results_markdown(reports: list[faults.Report], args: argparse.Namespace, seconds: float) -> str:
    command = "python -m tests.reliability" + (
        f" --recipients {args.recipients}" if args.recipients != 100_000 else ""
    )
    requests = "; ".join(f"{report.scenario} {report.requests:,}" for report in reports)
    verdict = (
        "nothing lost, nothing duplicated"
        if all(report.ok for report in reports)
        else "NOT exactly once (see the table)"
    )
    return f"""# Fault-injection campaigns: {verdict}

Written by `{command}` (`make reliability`): seed {args.seed}, {args.jobs} worker(s),
{seconds:.0f} s in all. The same seed gives the same faults at the same requests.

{faults.markdown_table(reports)}

How each row was run (`tests/reliability/faults.py`; `make test` runs the same with 10,000
recipients and 20 task instances):

- **SMS** (`BukaSendSmsOperator`, `NXCloudSendSmsOperator` v2, `FoneDynamicsSendSmsOperator`):
  one campaign of N valid recipients. {faults.FAULT_RATE:.0%} of the vendor requests meet a
  transient fault drawn evenly from {", ".join(k.value for k in faults.TRANSIENT_KINDS)}.
  The task runs try after try of one task instance ({faults.RETRIES} automatic retries in a
  row at most), its `task_state_store` a file. One try is killed with SIGKILL in a child
  process while a send is in flight (the `latency` fault: the simulator holds that send).
- **Task retries**: Airflow tries beyond the first: automatic retries, the retry after the
  kill, and a person's re-runs. **In-hook retries**: requests the hook repeated itself (the
  vendor refused them: HTTP 429, rate limit; or an expired timestamp, signed again; a read
  meeting any fault). A send meeting a 5xx (503 included) is in doubt, never repeated.
  Backoff is recorded, not slept.
- **In doubt**: a send whose answer was lost. *lookup*: settled by the provider looking the
  batch up (Fone Dynamics: only when its message list shows every message of the batch by
  `ExternalId`, number and text). *person*: Buka and NXCloud cannot look a batch up, and
  the Fone Dynamics list cannot prove a batch absent (it may lag), so the task fails naming it; each such failure was checked against the simulator (the
  named batch is the one whose answer was lost; the vendor holds all of it or none), then
  re-run as the message says: `skip` (the vendor has it) or `resend` (it does not), over
  the list up to that batch.
- **Cleared by a person**: the task failed and a person cleared it: its {faults.RETRIES}
  automatic retries were used up (deep Fone Dynamics lookups, see below), or a request
  signed anew met an expired timestamp again, which fails the task for a person to check
  the clock.
- **Creates**: each task instance creates one Buka voice task / one NXCloud AXB binding;
  its first create request is processed and its answer lost, and the faults above meet
  every request, the lookups included. Lost/duplicated count task instances without
  their object / extra objects.
- **Lost / duplicated**: from the simulator's ledger: recipients (or task instances) never
  accepted, and acceptances beyond one.
- **Fone Dynamics lookups** read the property's message list from its oldest message, 100 a
  page: a lost answer late in a large campaign costs hundreds of reads, each of which meets
  the faults too, and a try whose lookup fails starts it again. Vendor requests made:
  {requests}.
- **Wall time**: backoff is recorded, not slept. Every try validates the whole list again
  (twice: up front, then as it is sent), so a campaign's time grows with its tries.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000, help="recipients per SMS campaign")
    parser.add_argument(
        "--instances", type=int, default=None, help="task instances per create scenario (recipients / 500)"
    )
    parser.add_argument("--seed", type=int, default=faults.SEED)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="scenarios at once")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the Markdown table goes")
    args = parser.parse_args(argv)
    instances = args.instances or max(20, args.recipients // 500)
    scenarios = [("sms", name, args.recipients) for name in SMS]
    scenarios += [("create", name, instances) for name in ("binding", "voice_task")]
    workdir = tempfile.mkdtemp(prefix="reliability-")
    started = time.monotonic()
    print(f"{len(scenarios)} scenarios, {args.jobs} at a time; logs in {workdir}", flush=True)
    # fork before any simulator thread exists; each worker starts its own
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        futures = {
            pool.submit(run_scenario, kind, name, size, args.seed, workdir): name
            for kind, name, size in scenarios
        }
        for future in as_completed(futures):
            report = future.result()
            print(f"  {report.scenario}: {report.outcome}, {report.seconds:.0f} s", flush=True)
        reports = [future.result() for future in futures]
    seconds = time.monotonic() - started
    order = {name: i for i, name in enumerate(("buka", "nxcloud", "fonedynamics", "voice_task", "binding"))}
    reports = [r for _, r in sorted(zip(scenarios, reports, strict=True), key=lambda p: order[p[0][1]])]
    print(faults.text_table(reports))
    print(f"\n{seconds:.0f} s in all")
    args.output.write_text(results_markdown(reports, args, seconds), encoding="utf-8")
    print(f"written to {args.output}")
    ok = all(report.ok for report in reports)
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"NOT exactly once: see the logs in {workdir}", file=sys.stderr)
    shutil.rmtree(_HOME, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
