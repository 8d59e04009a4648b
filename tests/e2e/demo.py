"""``make demo``: start the simulator, run every example DAG against it, say what each one did.

Per DAG: its final state and time, what the simulator accepted from it (by platform, kind
and the status the simulator gives each message now), the results files it wrote, and the
path of its full output (task logs included), kept under ``.airflow/demo-logs/``.

``make demo-view`` (``--view``) then shows the campaigns the demo sent in the provider's delivery
view: Airflow's API server on the demo's home, every visitor signed in as an admin (a local demo).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import AIRFLOW, REPO, airflow_env, dags_testable_example_ids, migrate, run_dag


def where(path: Path) -> str:
    """A path as the person who ran the demo can use it: relative to where they are, if inside."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def say(line: str = "") -> None:
    print(line, flush=True)


def results_files(data: Path, since: float) -> list[Path]:
    """The JSON Lines files written under ``data`` since ``since`` (the DAG's results and reports)."""
    if not data.is_dir():
        return []
    return sorted(path for path in data.rglob("*.jsonl") if path.stat().st_mtime >= since)


def describe_results(path: Path) -> str:
    statuses: Counter[str] = Counter()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "valid" in record and "status" not in record:  # a number check's line
                statuses["valid" if record["valid"] else "invalid"] += 1
            else:
                statuses[str(record.get("status") or record.get("outcome") or "line")] += 1
    counts = ", ".join(f"{count:,} {status}" for status, count in statuses.most_common())
    return f"{where(path)}: {counts}"


def returned(home: Path, dag_id: str, width: int = 110) -> list[tuple[str, str]]:
    """Each task's return value in the DAG's newest run, as stored, cut to ``width`` characters."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, map_index, value FROM xcom WHERE key = 'return_value' AND run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1) AND dag_id = ? "
            "ORDER BY task_id, map_index",
            (dag_id, dag_id),
        ).fetchall()
    shown = []
    for task_id, map_index, value in rows:
        text = json.dumps(json.loads(value), separators=(", ", ": "))
        name = task_id if map_index < 0 else f"{task_id}[{map_index}]"
        shown.append((name, text if len(text) <= width else text[: width - 3] + "..."))
    return shown


def main(only: list[str] | None = None, home: Path = REPO / ".airflow") -> int:
    """Run the example DAGs (``only`` those named, if given) in a fresh Airflow home."""
    logs = home / "demo-logs"
    shutil.rmtree(home, ignore_errors=True)
    started = time.monotonic()
    say("==> finding the example DAGs")
    # DagBag's own parse lines are not the demo's
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        dag_ids = [dag_id for dag_id in dags_testable_example_ids() if not only or dag_id in only]
    with run_simulator() as sim:
        say(f"==> simulator of NXCloud, Buka and Fone Dynamics at {sim.url}")
        env = airflow_env(home, sim.connection_env())
        say(f"==> Airflow metadata database (SQLite) in {where(home)}/")
        migrate(env)
        logs.mkdir(parents=True)
        failed = []
        for number, dag_id in enumerate(dag_ids, 1):
            say(f"\n[{number}/{len(dag_ids)}] airflow dags test {dag_id} ...")
            before, began = len(sim.ledger.entries()), time.time()
            result = run_dag(dag_id, env)
            log = logs / f"{dag_id}.log"
            log.write_text(result.output, encoding="utf-8")
            say(f"    {result.state} in {time.time() - began:.0f} s; full output: {where(log)}")
            sent = Counter((e.platform, e.kind, e.status) for e in sim.ledger.entries()[before:])
            by_kind: dict[tuple[str, str], Counter[str]] = {}
            for (platform, kind, status), count in sent.items():
                by_kind.setdefault((platform, kind), Counter())[status] += count
            for (platform, kind), statuses in sorted(by_kind.items()):
                detail = ", ".join(f"{count:,} {status}" for status, count in statuses.most_common())
                say(f"    simulator accepted {platform} {kind}: {sum(statuses.values()):,} ({detail})")
            if not by_kind:
                say("    the simulator accepted no message from it")
            for task_id, value in returned(home, dag_id):
                say(f"    {task_id} returned {value}")
            for path in results_files(home / "data", began):
                say(f"    results file {describe_results(path)}")
            if result.state != "success":
                failed.append(result)
        say(
            f"\n==> {len(dag_ids) - len(failed)} of {len(dag_ids)} DAGs succeeded in {time.monotonic() - started:.0f} s"
        )
        say(
            f"    requests the simulator received: {sim.requests.total():,}; duplicates: {len(sim.ledger.duplicates())}"
        )
        say(f"    task logs and outputs: {where(logs)}/; results files: {where(home / 'data')}/")
        say("    the campaigns in the delivery view: make demo-view")
    for result in failed:
        print(
            f"\n--- {result.dag_id} ended {result.state}; last output:\n{result.output[-4000:]}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def serve_view(home: Path = REPO / ".airflow", port: int = 8080) -> int:
    """Airflow's API server on the demo's metadata DB, until Ctrl-C: the delivery view lists what it sent."""
    if not (home / "airflow.db").exists():
        print(f"No demo has run in {where(home)}/: run `make demo` first.", file=sys.stderr)
        return 1
    env = airflow_env(
        home,
        {},
        # a local demo: no sign-in, every visitor an admin (never a deployment's setting)
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__API__PORT=str(port),
    )
    say(f"==> Airflow's API server on the demo's database ({where(home)}/), port {port}")
    say(f"    the campaigns: http://localhost:{port}/plugin/nxcloud-campaigns (Ctrl-C stops the server)")
    with contextlib.suppress(KeyboardInterrupt):
        return subprocess.run([AIRFLOW, "api-server", "--port", str(port)], env=env, check=False).returncode
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--view"]:
        sys.exit(serve_view(port=int(os.environ.get("DEMO_VIEW_PORT", "8080"))))
    sys.exit(main(arguments or None))
