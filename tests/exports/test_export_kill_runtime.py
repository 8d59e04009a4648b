"""A killed try of an NXCloud SMS export resumes without gaps or duplicates, on Airflow's real runtime.

The scheduler (LocalExecutor), dag-processor and api-server of tests/reliability/runtime run in a
private home, the simulator host behind the connections, its fault proxy in between. A DAG of one
``NXCloudSmsRecordsToStorageOperator`` (daily ``CronDataIntervalTimetable``, ``retries=2``, a 2 s
``retry_delay``) has one interval, a UTC day three days back (long settled, well inside the 31 days
NXCloud keeps), which the scheduler runs as soon as it finds the DAG. The simulator holds
:data:`RECORDS_A_DAY` records on that day and on each day around it; the export reads the day in
pages of :data:`PAGE_SIZE`: the interval's vendor days (the day itself and, in the UTC+8 reading,
ASSUMPTION [NX-2], the next) are :data:`PAGES_A_DAY` queries each.

The window (the dangerous one, STYLE.md "Honest proofs"): the proxy forwards the
:data:`KILLED_QUERY`-th getSmsCdr query, so NXCloud answers it, and holds the reply; the process
owning the client socket, checked to be the task process under the LocalExecutor, is SIGKILLed;
the reply is then let go to a client that is gone. Try 1 had written and recorded the pages before
the held one, never the held page itself.

What is asserted, from Airflow's metadata database, the proxy's ordered log of the queries (each
one's day and page and the client socket it came over), the simulator's ledger and request count,
and the file:

* the killed pid was the task process, the one Airflow recorded for try 1; try 1 had left
  exactly the parts of the pages before the held one;
* the task ended ``success`` on try 2;
* the queries after the kill are the held page again and every page after it, nothing before it;
  the vendor saw the export's pages once each plus the held page once more;
* the file holds exactly the ledger's records of the interval, once each, and no ``.parts`` or
  ``.incomplete`` is left.

Marked ``long`` (make test-long): starting the runtime alone takes longer than a minute here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from airflow_provider_nxcloud.exports.engine import iso
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import nxcloud
from tests.reliability.runtime.stack import Stack, running_stack
from tests.reliability.runtime.windows import describe_lineage, is_task_process, task_process_on

pytestmark = [pytest.mark.e2e, pytest.mark.long]

DAG_ID, TASK_ID = "nxcloud_sms_export_killed", "export_sms"
DAY = dt.timedelta(days=1)
#: the getSmsCdr path (platforms/nxcloud.py endpoint table)
QUERY_PATH = "/api/sms/getSmsCdr"
PAGE_SIZE = 200
RECORDS_A_DAY = 3_000
PAGES_A_DAY = math.ceil(RECORDS_A_DAY / PAGE_SIZE)
#: the query whose reply is held while its task process is killed: mid-way through the first day
KILLED_QUERY = 8
RETRIES = 2
RETRY_DELAY_S = 2
RUN_TIMEOUT_S = 300.0
HOLD_TIMEOUT_S = 180.0


def dag_source(day: dt.date, lake: Path) -> str:
    return f'''"""Written by {__name__}: one day of NXCloud SMS records, its first try killed mid-export."""

from datetime import timedelta

import pendulum
from airflow.sdk import DAG
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_nxcloud.operators.exports import NXCloudSmsRecordsToStorageOperator

with DAG(
    dag_id={DAG_ID!r},
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    # one interval: the DAG starts and ends on that day, and catchup makes its run at once
    start_date=pendulum.datetime({day.year}, {day.month}, {day.day}, tz="UTC"),
    end_date=pendulum.datetime({day.year}, {day.month}, {day.day}, tz="UTC"),
    catchup=True,
    default_args={{
        "retries": {RETRIES},
        "retry_delay": timedelta(seconds={RETRY_DELAY_S}),
        "retry_exponential_backoff": False,
    }},
):
    NXCloudSmsRecordsToStorageOperator(
        task_id={TASK_ID!r},
        output_path={lake.as_uri()!r} + "/{{{{ data_interval_start | ds }}}}.jsonl",
        page_size={PAGE_SIZE},
    )
'''


@dataclass
class Kill:
    """What the injector saw and did when the held query's reply was waiting."""

    pid: int = 0
    lineage: str = ""
    #: the client port the killed process asked over
    peer_port: int = 0
    #: the part files try 1 had left when it was killed
    parts: list[str] = field(default_factory=list)
    #: getSmsCdr queries NXCloud had answered by then (the held one included)
    answered: int = 0
    client_gone: bool = False
    #: when the query's reply was held, and when its task process was killed
    held_at: dt.datetime | None = None
    killed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Try:
    number: int
    state: str
    #: the task process Airflow recorded for the try
    pid: int | None
    start: dt.datetime
    end: dt.datetime


@dataclass
class Outcome:
    day: dt.date
    kill: Kill
    tries: list[Try]
    run_state: str
    #: the proxy's log of the getSmsCdr queries, in arrival order
    queries: list[dict[str, Any]]
    #: the vendor's count of getSmsCdr queries
    answered: int
    ledger: Counter[tuple[str, str, str]]
    summary: dict[str, Any]
    lake: Path
    startup_s: float
    #: the run's start (its dag run found) to its end
    run_s: float


def kill_held_query(stack: Stack, parts: Path) -> Kill:
    """Wait for the held query, SIGKILL the task process owning its socket, let the reply go."""
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    event = None
    while event is None and time.monotonic() < deadline:
        stack.check_alive()
        held = [e for e in stack.console("GET", "/proxy")["events"] if e["action"] == "hold_reply"]
        event = held[0] if held else None
        time.sleep(0.05)
    assert event is not None, f"no getSmsCdr reply was held within {HOLD_TIMEOUT_S:.0f} s"
    kill = Kill(peer_port=int(event["peer"][1]), held_at=dt.datetime.fromtimestamp(event["at"], dt.UTC))
    kill.parts = sorted(path.name for path in parts.iterdir()) if parts.exists() else []
    kill.answered = int(stack.sim("GET", "/requests")["by_endpoint"].get("nxcloud/sms_records", 0))
    process = task_process_on(kill.peer_port, stack.ports.proxy)
    if process is None or not is_task_process(process):
        stack.console("POST", "/proxy/release")
        raise AssertionError(
            f"the held query's socket is not a task process's: {describe_lineage(process) if process else None}"
        )
    kill.pid, kill.lineage = process.pid, describe_lineage(process)
    os.kill(process.pid, signal.SIGKILL)
    with contextlib.suppress(psutil.TimeoutExpired):
        process.wait(10)
    kill.killed_at = dt.datetime.now(dt.UTC)
    stack.console("POST", "/proxy/release")
    time.sleep(0.3)
    released = [e for e in stack.console("GET", "/proxy")["events"] if e["action"] == "hold_reply"]
    kill.client_gone = bool(released[0]["client_gone"])
    return kill


def wait_for_run(stack: Stack, timeout_s: float) -> tuple[str, str]:
    """The run's id and final state."""
    give_up = time.monotonic() + timeout_s
    while time.monotonic() < give_up:
        stack.check_alive()
        with stack.db() as db:
            row = db.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ?", (DAG_ID,)).fetchone()
        if row is not None and row[1] in ("success", "failed"):
            return str(row[0]), str(row[1])
        time.sleep(1)
    raise AssertionError(f"the run did not end within {timeout_s:.0f} s")


def tries_of(stack: Stack, run_id: str) -> list[Try]:
    """Every try of the export task, oldest first (the earlier ones from the task instance history)."""
    query = (
        "SELECT try_number, state, pid, start_date, end_date FROM {table}"
        " WHERE dag_id = ? AND run_id = ? AND task_id = ?"
    )
    with stack.db() as db:
        args = (DAG_ID, run_id, TASK_ID)
        rows = db.execute(query.format(table="task_instance_history"), args).fetchall()
        rows += db.execute(query.format(table="task_instance"), args).fetchall()
    tries = {row[0]: Try(int(row[0]), str(row[1]), row[2], _when(row[3]), _when(row[4])) for row in rows}
    return [tries[number] for number in sorted(tries)]


def _when(value: object) -> dt.datetime:
    """A metadata-database time (SQLite keeps them as text, UTC) as an aware UTC datetime."""
    when = dt.datetime.fromisoformat(str(value).replace(" ", "T").replace("Z", "+00:00"))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def run_killed_export(work: Path) -> Outcome:
    day = (dt.datetime.now(dt.UTC) - 3 * DAY).date()
    lake = work / "lake"
    began = time.monotonic()
    with running_stack(work, components=["api-server"], parallelism=2) as stack:
        # the interval's day and each day around it
        since = dt.datetime.combine(day - DAY, dt.time(), dt.UTC)
        stack.sim(
            "POST",
            "/seed",
            {
                "platform": "nxcloud",
                "since": since.timestamp(),
                "until": (since + 3 * DAY).timestamp(),
                "count": 3 * RECORDS_A_DAY,
            },
        )
        stack.console("POST", "/proxy/log", {"path_contains": QUERY_PATH, "fields": ["date", "page"]})
        stack.console(
            "POST",
            "/proxy/arm",
            {"action": "hold_reply", "count": 1, "path_contains": QUERY_PATH, "skip": KILLED_QUERY - 1},
        )
        (stack.dags / f"{DAG_ID}.py").write_text(dag_source(day, lake), encoding="utf-8")
        for component in ("dag-processor", "scheduler"):
            stack.start_component(component)
        stack.wait_for_dags([DAG_ID], timeout=300)
        startup_s = time.monotonic() - began
        started = time.monotonic()
        kill = kill_held_query(stack, lake / f"{day.isoformat()}.jsonl.parts")
        run_id, run_state = wait_for_run(stack, RUN_TIMEOUT_S)
        run_s = time.monotonic() - started
        tries = tries_of(stack, run_id)
        queries = stack.console("GET", "/proxy")["logged"]
        answered = int(stack.sim("GET", "/requests")["by_endpoint"].get("nxcloud/sms_records", 0))
        summary = stack.api(
            "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{TASK_ID}/xcomEntries/return_value"
        )["value"]
        entries = stack.sim("GET", "/ledger")["entries"]
    start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
    ledger = Counter(
        (entry["vendor_id"], entry["recipient"], iso(entry["time"]))
        for entry in entries
        if entry["platform"] == "nxcloud"
        and entry["kind"] == "sms"
        and start <= entry["time"] < start + 86400
    )
    return Outcome(day, kill, tries, run_state, queries, answered, ledger, summary, lake, startup_s, run_s)


def test_a_killed_export_try_resumes_after_the_last_page_written_on_the_real_runtime(tmp_path: Path) -> None:
    outcome = run_killed_export(tmp_path)
    kill, day = outcome.kill, outcome.day
    first, second = (
        day.strftime(nxcloud.SMS_RECORD_DATE_FORMAT),
        (day + DAY).strftime(nxcloud.SMS_RECORD_DATE_FORMAT),
    )
    every_page = [(vendor_day, page) for vendor_day in (first, second) for page in range(1, PAGES_A_DAY + 1)]
    assert kill.killed_at is not None and kill.held_at is not None
    killed_at = kill.killed_at.timestamp()
    before = [(q["fields"]["date"], int(q["fields"]["page"])) for q in outcome.queries if q["at"] < killed_at]
    after = [(q["fields"]["date"], int(q["fields"]["page"])) for q in outcome.queries if q["at"] >= killed_at]

    # the window happened: the process that owned the held query's socket was try 1's task process
    assert outcome.tries[0].pid == kill.pid, (outcome.tries, kill)
    assert kill.client_gone, kill
    # the vendor had answered the held query: try 1 wrote and recorded every page before it, not it
    assert kill.answered == KILLED_QUERY
    assert kill.parts == [f"w0000-p{page:06d}.jsonl" for page in range(1, KILLED_QUERY)]
    assert before == every_page[:KILLED_QUERY], "try 1 asked the pages in order up to the held one"
    # Airflow retried it, and the retry finished the export
    assert outcome.run_state == "success"
    assert [(t.number, t.state) for t in outcome.tries] == [(1, "failed"), (2, "success")], outcome.tries
    # the retry resumed at the held page: every page from it on, none before it
    assert after == every_page[KILLED_QUERY - 1 :], after
    assert all(q["peer"][1] != kill.peer_port for q in outcome.queries if q["at"] >= killed_at)
    assert outcome.answered == len(every_page) + 1
    assert outcome.summary["resumed"] is True, outcome.summary
    assert outcome.summary["queries"] == len(every_page), outcome.summary

    # exactly the ledger's records of the interval, once each; nothing left beside the file
    path = outcome.lake / f"{day.isoformat()}.jsonl"
    written = Counter((line["message_id"], line["number"], line["sent_at"]) for line in read_records(path))
    assert outcome.ledger.total() == RECORDS_A_DAY
    assert written == outcome.ledger
    assert sorted(p.name for p in outcome.lake.iterdir()) == [path.name]

    one, two = outcome.tries
    print(
        f"NXCloud SMS export of {day} ({RECORDS_A_DAY:,} records of {3 * RECORDS_A_DAY:,} seeded, "
        f"{len(every_page)} pages of {PAGE_SIZE}): try 1 (pid {kill.pid}) SIGKILLed holding the reply "
        f"of query {KILLED_QUERY} ({first} page {KILLED_QUERY}) with {len(kill.parts)} parts written, "
        f"{(kill.held_at - one.start).total_seconds():.1f} s into the try; try 1 ended "
        f"{(one.end - kill.killed_at).total_seconds():.1f} s after the kill, try 2 started "
        f"{(two.start - one.end).total_seconds():.1f} s later and asked {len(after)} queries "
        f"({after[0][0]} page {after[0][1]} on, none before it) in {(two.end - two.start).total_seconds():.1f} s; "
        f"{outcome.answered} queries in all; stack up in {outcome.startup_s:.0f} s, run {outcome.run_s:.0f} s"
    )
