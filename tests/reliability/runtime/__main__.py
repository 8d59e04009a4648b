"""``python -m tests.reliability.runtime``: the reliability windows through the real Airflow runtime.

Starts a private Airflow (scheduler with the LocalExecutor, dag-processor, api-server,
triggerer; SQLite), the simulator host and the "person"; runs one DAG per (platform, window),
one after another; prints the table and writes it (``--results``, by default
``tests/reliability/RESULTS.md``). Exits 1 when a row lost or duplicated anything, ended in
another state than its window expects, or its window did not happen.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tests.reliability.runtime.dags import HITL_DAG_ID, PLATFORMS, TEXT, batch_size, hitl_probe_source
from tests.reliability.runtime.person import Person
from tests.reliability.runtime.report import evidence, markdown_table, text_table
from tests.reliability.runtime.stack import Stack
from tests.reliability.runtime.windows import (
    LAG_S,
    TERMINAL,
    WINDOWS,
    Row,
    WindowRun,
    recipients_for,
    spec_for,
)

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.runtime", description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000, help="per platform and window")
    parser.add_argument("--platforms", nargs="+", default=list(PLATFORMS), choices=list(PLATFORMS))
    parser.add_argument("--windows", nargs="+", default=list(WINDOWS), choices=list(WINDOWS))
    parser.add_argument(
        "--work", type=Path, default=None, help="work directory (default: a new temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, DB) afterwards")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the Markdown table")
    parser.add_argument(
        "--no-hitl-probe", action="store_true", help="skip the HITLOperator answer-path probe"
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def probe_hitl(stack: Stack, person: Person, platform: str, listed: list[str], fresh: list[str]) -> list[str]:
    """Two questions through Airflow's own HITLOperator: one batch the vendor has (the first batch
    of the window just run: the person must answer "skip"), one it never saw ("resend")."""
    size = batch_size(platform)
    sent_at = datetime.now(UTC).timestamp() - 3600
    cases = [("skip", listed[:size]), ("resend", fresh[:size])]
    lines = []
    for expected, batch in cases:
        # the send task's own wording (operators/in_doubt.py: question())
        body = (
            f"Batch reference: `probe-{expected}`\n"
            f"Recipients: {len(batch)} (positions 1-{len(batch)}), first `{batch[0]}`, last `{batch[-1]}`\n"
            f"Sent at: {datetime.fromtimestamp(sent_at, UTC).isoformat(timespec='seconds')} (UTC)"
        )
        run = stack.api(
            "POST",
            f"/dags/{HITL_DAG_ID}/dagRuns",
            {"logical_date": None, "conf": {"subject": f"Batch probe-{expected} is in doubt", "body": body}},
        )
        run_id = run["dag_run_id"]
        started, state, awaited = time.monotonic(), "queued", False
        while time.monotonic() - started < 300:
            state = stack.api("GET", f"/dags/{HITL_DAG_ID}/dagRuns/{run_id}")["state"]
            ti = stack.api("GET", f"/dags/{HITL_DAG_ID}/dagRuns/{run_id}/taskInstances/ask")
            awaited = awaited or ti.get("state") == "awaiting_input"
            if state in TERMINAL:
                break
            time.sleep(1)
        detail = stack.api("GET", f"/dags/{HITL_DAG_ID}/dagRuns/{run_id}/taskInstances/ask/-1/hitlDetails")
        chosen = detail.get("chosen_options")
        verdict = "OK" if state == "success" and chosen == [expected] else "FAILED"
        lines.append(
            f"HITLOperator probe {verdict}: question probe-{expected}: task instance went through "
            f"awaiting_input: {awaited}; person answered {chosen} (expected [{expected!r}]) by "
            f"PATCH .../hitlDetails; responded by {detail.get('responded_by_user') or detail.get('responded_by')}; run {state} "
            f"in {time.monotonic() - started:.0f} s"
        )
        log(lines[-1])
    return lines


def results_markdown(
    rows: list[Row], args: argparse.Namespace, how: str, probe: list[str], seconds: float
) -> str:
    expected = len(args.platforms) * len(args.windows)
    ok = all(row.ok for row in rows)
    if len(rows) < expected:
        verdict = f"INTERRUPTED after {len(rows)} of {expected} windows"
    elif ok:
        verdict = "every window: nothing lost, nothing duplicated"
    else:
        verdict = "NOT all windows passed (see the table)"
    command = (
        f"python -m tests.reliability.runtime --recipients {args.recipients} "
        f"--platforms {' '.join(args.platforms)} --windows {' '.join(args.windows)}"
    )
    return f"""# Reliability windows through the real Airflow runtime: {verdict}

Written by `{command}` (`make reliability`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s in all.

{how}

{markdown_table(rows)}

"person" counts the Human-in-the-loop answers given through the public REST API;
"backoff slept" is the time between a try's end and the next try's start (Airflow's real
retry_delay, 2 s per retry, plus scheduling). "lost": recipients the vendor never accepted;
"duplicated": acceptances beyond the first (plus anything that reached the redirect's other host).

## What each window does

{_windows_text()}

## Notes

* `redirect` and `source_changed` are meant to end `failed`: a redirect is a misconfigured host to
  the provider (never followed, so no credential reaches the other host; not retried, since a retry
  cannot fix it), and a list edited between tries must stop the campaign before it sends anything
  more. "unsent by design" counts what they left unsent; it is not counted as lost.
* A batch in doubt goes to the person only when the platform's lookup cannot settle it (the
  "person" column); a row with a kill or a lost answer and no decision was settled by the lookup
  (after its settle delay when the record list lags or the vendor was still processing).
* On Airflow 3.3.2 an answer given within ~6 s of the task pausing in `awaiting_input` can be lost:
  the paused workload's "success" event reaches the scheduler after the answer re-queued the task
  instance, and the scheduler marks the try failed ("executor reported success, but the task
  instance's state attribute is queued"); the next try asks again. The person here reads a
  question for 10 s before answering (`person.READING_S`), as any person would.

## Evidence that each window happened

{evidence(rows)}

## The person's answer path

{chr(10).join(f"* {line}" for line in probe) or "* not probed in this run"}

The windows themselves and how they are injected: `tests/reliability/runtime/windows.py`.
"""


def source_state() -> str:
    """Which provider code ran: the commit, and whether the working tree differed from it (read-only git)."""
    import subprocess

    def git(*argv: str) -> str:
        done = subprocess.run(
            ["git", *argv], cwd=RESULTS.parents[2], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("diff", "--name-only", "HEAD", "--", "airflow_provider_nxcloud")
    return f"provider at commit {head}" + (
        " plus uncommitted changes to airflow_provider_nxcloud" if changed else ""
    )


def how_it_ran(stack: Stack) -> str:
    import airflow

    return (
        f"{source_state()}; Airflow {airflow.__version__}, LocalExecutor (parallelism 4) on SQLite; processes: "
        f"`airflow scheduler`, `airflow dag-processor`, `airflow api-server`, `airflow triggerer`, "
        f"and the simulator with its fault proxy and console (`python -m tests.reliability.runtime.simhost`); "
        f"each task try is a real task process under the LocalExecutor's supervisor; "
        f"retries=5, retry_delay=2 s, no exponential backoff; "
        f"`[state_store] clear_on_success=True` (a task's task_state_store is removed when it succeeds)."
    )


def _windows_text() -> str:
    """The window list of :mod:`.windows`' docstring."""
    from tests.reliability.runtime import windows

    doc = windows.__doc__ or ""
    text = doc[doc.index("Windows:") :].strip() if "Windows:" in doc else doc.strip()
    return f"```text\n{text}\n```"


def _fields(row: Row) -> dict[str, object]:
    # not dataclasses.asdict: it rebuilds a Counter from (key, count) pairs, counting the pairs
    return {field.name: getattr(row, field.name) for field in dataclasses.fields(row)}


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM/SIGHUP (a timeout, a closed terminal) end the run like Ctrl-C: everything is stopped
    raise KeyboardInterrupt


class Runner:
    """The DAG files, the person, and the windows run one after another on one stack."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.stack = Stack(work)
        self.recipients = recipients_for(args.recipients)
        self.specs = {}
        for platform in args.platforms:
            for window in args.windows:
                spec = spec_for(work, platform, window)
                spec.write(self.stack.dags, self.recipients)
                self.specs[spec.dag_id] = spec
        self.probe_file = work / "data" / HITL_DAG_ID / "recipients.txt"
        if not args.no_hitl_probe:
            (self.stack.dags / f"{HITL_DAG_ID}.py").write_text(hitl_probe_source(), encoding="utf-8")
            self.probe_file.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[Row] = []
        self.probe_lines: list[str] = []
        #: the record lists' lag the person waits out (the lagging_list window's)
        self.lag_s = 0.0
        self.person: Person | None = None

    def recipients_of(self, dag_id: str) -> Path | None:
        if dag_id == HITL_DAG_ID:
            return self.probe_file
        return self.specs[dag_id].recipients_file if dag_id in self.specs else None

    def platform_of(self, dag_id: str) -> str | None:
        if dag_id == HITL_DAG_ID:
            return self.args.platforms[0]
        return self.specs[dag_id].platform if dag_id in self.specs else None

    def run(self) -> None:
        stack = self.stack
        log(f"work directory {stack.work}; starting the Airflow stack")
        stack.start()
        log(f"api-server {stack.api_url}, proxy {stack.proxy_url}; waiting for {len(self.specs)} DAGs")
        stack.wait_for_dags([*self.specs, *([] if self.args.no_hitl_probe else [HITL_DAG_ID])])
        self.person = Person(
            stack,
            recipients_of=self.recipients_of,
            platform_of=self.platform_of,
            text=TEXT,
            lag_s=lambda: self.lag_s,
        ).start()
        for platform in self.args.platforms:
            for window in self.args.windows:
                self.window(platform, window)
                if not self.args.no_hitl_probe and not self.probe_lines:
                    self.probe(platform)

    def window(self, platform: str, window: str) -> None:
        spec = self.specs[f"rt_{platform}_{window}"]
        self.lag_s = LAG_S if window == "lagging_list" else 0.0
        log(f"{platform} / {window}: {len(self.recipients):,} recipients")
        row = WindowRun(self.stack, spec, window, self.recipients).run(self.person)
        self.rows.append(row)
        log(
            f"{platform} / {window}: {row.state} after {row.tries} tries, lost {row.lost}, "
            f"duplicated {row.duplicated}, {row.seconds:.0f} s; "
            + " | ".join(row.evidence)
            + (f" | failure: {row.failure}" if row.failure else "")
        )

    def probe(self, platform: str) -> None:
        """After the first window (its first batch is at the vendor until the next window resets it)."""
        assert self.person is not None
        fresh = [f"65{97 * 1_000_000 + i}" for i in range(1, batch_size(platform) + 1)]
        self.probe_file.write_text("\n".join([*self.recipients, *fresh]) + "\n", encoding="utf-8")
        self.lag_s = 0.0
        self.probe_lines = probe_hitl(self.stack, self.person, platform, self.recipients, fresh)

    def stop(self) -> str:
        if self.person is not None:
            self.person.stop()
            for error in self.person.errors[-5:]:
                log(f"person: {error}")
        how = how_it_ran(self.stack)
        # a second signal must not interrupt the clean-up itself
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.stack.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return how


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    # Ctrl-C too, even where it was ignored on the way in (a job started with & by a script)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = args.work or Path(tempfile.mkdtemp(prefix="nxcloud-reliability-runtime-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    runner = Runner(args, work)
    try:
        runner.run()
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
    finally:
        how = runner.stop()
    rows, probe_lines = runner.rows, runner.probe_lines
    seconds = time.monotonic() - started
    print()
    print(text_table(rows))
    print()
    print(how)
    if rows:
        args.results.write_text(results_markdown(rows, args, how, probe_lines, seconds), encoding="utf-8")
        log(f"written {args.results}")
        # every row with its evidence, for whoever reads the run later (kept with --keep/--work)
        (work / "rows.json").write_text(
            json.dumps([_fields(row) for row in rows], indent=1, default=str), encoding="utf-8"
        )
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        log(f"kept {work}")
    failed_probe = any("FAILED" in line for line in probe_lines)
    complete = len(rows) == len(args.platforms) * len(args.windows)
    return 0 if complete and all(row.ok for row in rows) and not failed_probe else 1


if __name__ == "__main__":
    sys.exit(main())
