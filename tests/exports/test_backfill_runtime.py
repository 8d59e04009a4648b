"""A backfill over months of NXCloud SMS records, on Airflow's real runtime: what NXCloud keeps is
exported once each in the fewest getSmsCdr queries, what it no longer keeps fails before any.

The scheduler (LocalExecutor), dag-processor, api-server and triggerer of tests/reliability/runtime
run in a private home, the simulator host behind the connections. A DAG of one
``NXCloudSmsRecordsToStorageOperator`` (daily ``CronDataIntervalTimetable``, one file per interval)
is backfilled with ``airflow backfill create`` (the scheduler runs it) over
intervals on both sides of the oldest day NXCloud answers (31 days back,
``platforms.nxcloud.SMS_RECORD_DAYS``), the simulator seeded with records on every one of their days.

What is asserted, from Airflow's metadata database, the simulator's ledger and its request log
(queries counted by the day they asked for, refused or not):

* each interval NXCloud keeps succeeds and its file holds exactly the ledger's records of that
  interval: no record in two files, none missing;
* each older interval fails on its first try although the task has retries (the refusal is an
  ``InvalidInputError``: fail now), its log names ``data_interval_start``, it writes no file, and
  no query asked for any day older than NXCloud keeps;
* the queries per day are the fewest the export's documented reading allows: every day an
  interval covers in either reading of the vendor's day (UTC and UTC+8, ASSUMPTION [NX-2]) asked
  once per interval, ``ceil(records / 999)`` pages (one for an empty day).

NXCloud documents no rate for getSmsCdr (platforms/nxcloud.py): the test measures, not limits, the
peak of concurrent export tasks and of queries a second; both are printed with the durations.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.exports.engine import iso
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import nxcloud
from tests.e2e.harness import AIRFLOW
from tests.reliability.runtime.stack import Stack, running_stack

pytestmark = pytest.mark.e2e

DAG_ID, TASK_ID = "nxcloud_sms_backfill", "export_sms"
DAY = dt.timedelta(days=1)
#: records seeded on each day: a full page and one more, so each day is read in two queries
RECORDS_A_DAY = nxcloud.SMS_RECORDS_MAX_PAGE_SIZE + 1
#: a task that asks for no retry wastes none: the DAG allows retries, a refused interval must not use them
RETRIES = 2
#: started once the backfill's runs exist: creating them is refused on SQLite while another component writes
LATER = ("scheduler", "triggerer", "dag-processor")
CREATE_ATTEMPTS = 5


@dataclass(frozen=True)
class Plan:
    """Daily intervals just older than the oldest day NXCloud answers, then as many from it on."""

    too_old: int
    kept: int
    #: the backfill's max_active_runs, and the executor's parallelism
    max_active_runs: int
    timeout_s: float

    def days(self, now: dt.datetime) -> list[dt.date]:
        oldest = oldest_kept_day(now)
        return [oldest + n * DAY for n in range(-self.too_old, self.kept)]


#: make test: one interval too old, two kept (the oldest kept day and the next)
SMALL = Plan(too_old=1, kept=2, max_active_runs=3, timeout_s=240)
#: make test-long: sixty daily intervals, about two months; the last ends at least two days ago
MONTHS = Plan(too_old=31, kept=29, max_active_runs=4, timeout_s=1200)


def oldest_kept_day(now: dt.datetime) -> dt.date:
    """The oldest day getSmsCdr answers: 31 days before today, in the reading of the vendor's day
    (UTC or UTC+8, ASSUMPTION [NX-2]) whose today is latest."""
    today = max((now + dt.timedelta(hours=hours)).date() for hours in nxcloud.RECORD_DAY_OFFSETS_HOURS)
    return today - nxcloud.SMS_RECORD_DAYS * DAY


def vendor_days(day: dt.date) -> list[dt.date]:
    """The vendor days a UTC day's interval is read from: the days it touches in each reading."""
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    end = start + DAY - dt.timedelta(seconds=1)
    return sorted(
        {
            moment.date() + n * DAY
            for hours in nxcloud.RECORD_DAY_OFFSETS_HOURS
            for moment in [start + dt.timedelta(hours=hours)]
            for n in range(((end + dt.timedelta(hours=hours)).date() - moment.date()).days + 1)
        }
    )


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def dag_source(first: dt.date, last: dt.date, lake: Path) -> str:
    return f'''"""Written by {__name__}: NXCloud SMS records, one file per day, backfilled."""

from datetime import timedelta

import pendulum
from airflow.sdk import DAG
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_nxcloud.operators.exports import NXCloudSmsRecordsToStorageOperator

with DAG(
    dag_id={DAG_ID!r},
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime({first.year}, {first.month}, {first.day}, tz="UTC"),
    # the backfill's last interval is the DAG's last: the scheduler starts no run of its own
    end_date=pendulum.datetime({last.year}, {last.month}, {last.day}, tz="UTC"),
    catchup=False,
    default_args={{"retries": {RETRIES}, "retry_delay": timedelta(seconds=5)}},
):
    NXCloudSmsRecordsToStorageOperator(
        task_id={TASK_ID!r},
        output_path={lake.as_uri()!r} + "/{{{{ data_interval_start | ds }}}}.jsonl",
    )
'''


@dataclass
class TaskRun:
    day: dt.date
    state: str
    try_number: int
    start: dt.datetime
    end: dt.datetime
    log: str = field(repr=False)


@dataclass
class Outcome:
    plan: Plan
    days: list[dt.date]
    tasks: dict[dt.date, TaskRun]
    #: the ledger's SMS, as ``(message_id, number, sent_at)`` by the UTC day they were sent
    ledger: dict[dt.date, Counter[tuple[str, str, str]]]
    #: getSmsCdr queries by the day (yyyyMMdd) they asked for
    queries: Counter[str]
    requests: dict[str, Any]
    lake: Path
    startup_s: float
    #: ``airflow backfill create`` runs until one was not refused for a locked SQLite
    create_attempts: int
    #: from starting the scheduler to the backfill's completion
    backfill_s: float


def _when(value: object) -> dt.datetime:
    """A metadata-database time (SQLite keeps them as text, UTC) as an aware UTC datetime."""
    when = dt.datetime.fromisoformat(str(value).replace(" ", "T").replace("Z", "+00:00"))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def create_backfill(stack: Stack, days: list[dt.date], max_active_runs: int) -> tuple[int, int]:
    """``airflow backfill create`` over ``days``: the backfill's id, and the attempts it took.

    On SQLite Airflow cannot create a backfill while another component writes (the REST API
    answers 503, "not supported on SQLite under concurrent access"; the partial backfill is
    removed, so it can be asked again): this runs with no scheduler, triggerer or dag-processor
    up, and asks again after a refusal all the same.
    """
    argv = [AIRFLOW, "backfill", "create", "--dag-id", DAG_ID]
    argv += ["--from-date", midnight(days[0]).isoformat(), "--to-date", midnight(days[-1]).isoformat()]
    argv += ["--max-active-runs", str(max_active_runs)]
    output = ""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        done = subprocess.run(
            argv, env=stack.env, cwd=stack.work, capture_output=True, text=True, check=False
        )
        output = done.stdout + done.stderr
        with stack.db() as db:
            created = db.execute("SELECT id FROM backfill WHERE dag_id = ?", (DAG_ID,)).fetchall()
        if done.returncode == 0 and len(created) == 1:
            return int(created[0][0]), attempt
        if "database is locked" not in output:
            break
        time.sleep(2)
    raise AssertionError(f"airflow backfill create failed:\n{output[-3000:]}")


def wait_for_backfill(stack: Stack, backfill_id: int, timeout_s: float) -> None:
    give_up = time.monotonic() + timeout_s
    while time.monotonic() < give_up:
        stack.check_alive()
        if stack.api("GET", f"/backfills/{backfill_id}")["completed_at"]:
            return
        time.sleep(2)
    raise AssertionError(f"the backfill did not complete within {timeout_s:.0f} s")


def task_runs(stack: Stack) -> dict[dt.date, TaskRun]:
    with stack.db() as db:
        rows = db.execute(
            "SELECT r.run_id, r.data_interval_start, ti.state, ti.try_number, ti.start_date, ti.end_date"
            " FROM task_instance ti JOIN dag_run r ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id"
            " WHERE ti.dag_id = ? AND ti.task_id = ?",
            (DAG_ID, TASK_ID),
        ).fetchall()
    runs = {}
    for run_id, interval_start, state, try_number, start, end in rows:
        assert start and end, f"{run_id}: the export task never ran to an end (state {state})"
        logs = [
            path.read_text(errors="replace")
            for path in sorted((stack.home / "logs").rglob("*.log"))
            if f"run_id={run_id}" in str(path)
        ]
        day = _when(interval_start).date()
        runs[day] = TaskRun(day, state, try_number, _when(start), _when(end), "\n".join(logs))
    return runs


def run_backfill(plan: Plan, work: Path) -> Outcome:
    days = plan.days(dt.datetime.now(dt.UTC))
    lake = work / "lake"
    dags = work / "dags"
    dags.mkdir(parents=True)
    (dags / f"{DAG_ID}.py").write_text(dag_source(days[0], days[-1], lake), encoding="utf-8")
    began = time.monotonic()
    with running_stack(
        work, components=["api-server", "dag-processor"], parallelism=plan.max_active_runs
    ) as stack:
        stack.wait_for_dags([DAG_ID], timeout=300)
        startup_s = time.monotonic() - began
        # every day the intervals read, and the days before and after them
        since, until = midnight(days[0] - DAY), midnight(days[-1] + 2 * DAY)
        stack.sim(
            "POST",
            "/seed",
            {
                "platform": "nxcloud",
                "since": since.timestamp(),
                "until": until.timestamp(),
                "count": RECORDS_A_DAY * (until - since).days,
            },
        )
        # the DAG is serialized: nothing but the backfill may write while it is created
        stack.stop_component("dag-processor")
        backfill_id, attempts = create_backfill(stack, days, plan.max_active_runs)
        # the runs are queued: the scheduler takes them, with the rest of the runtime
        started = time.monotonic()
        for component in LATER:
            stack.start_component(component)
        wait_for_backfill(stack, backfill_id, plan.timeout_s)
        backfill_s = time.monotonic() - started
        tasks = task_runs(stack)
        requests = stack.sim("GET", "/requests")
        entries = stack.sim("GET", "/ledger")["entries"]
    ledger: dict[dt.date, Counter[tuple[str, str, str]]] = {}
    for entry in entries:
        if entry["platform"] == "nxcloud" and entry["kind"] == "sms":
            sent = dt.datetime.fromtimestamp(entry["time"], dt.UTC)
            ledger.setdefault(sent.date(), Counter())[
                (entry["vendor_id"], entry["recipient"], iso(entry["time"]))
            ] += 1
    queries = Counter(
        {
            key.rsplit("/", 1)[1]: count
            for key, count in requests["by_window"].items()
            if key.startswith("nxcloud/sms_records/")
        }
    )
    return Outcome(plan, days, tasks, ledger, queries, requests, lake, startup_s, attempts, backfill_s)


def peak_concurrency(tasks: list[TaskRun]) -> int:
    """The most export tasks running at one moment (from their start and end in the metadata database)."""
    edges = sorted([(task.start, 1) for task in tasks] + [(task.end, -1) for task in tasks])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def fewest_queries(outcome: Outcome, kept: list[dt.date]) -> Counter[str]:
    """Per vendor day: every kept interval that covers it reads all its pages, one query for an empty day."""
    expected: Counter[str] = Counter()
    for day in kept:
        for vendor_day in vendor_days(day):
            records = sum(outcome.ledger.get(vendor_day, Counter()).values())
            pages = max(1, math.ceil(records / nxcloud.SMS_RECORDS_MAX_PAGE_SIZE))
            expected[vendor_day.strftime(nxcloud.SMS_RECORD_DATE_FORMAT)] += pages
    return expected


@pytest.mark.parametrize(
    "plan",
    [
        # both start Airflow's whole stack (a minute or more on 2 cores): long proofs; make test keeps
        # the in-process ones (an interval older than NXCloud keeps refused before any request, the
        # fewest queries per interval) in tests/exports/test_nxcloud_sms_records.py
        pytest.param(SMALL, id="3-intervals", marks=pytest.mark.long),
        pytest.param(MONTHS, id="60-intervals", marks=pytest.mark.long),
    ],
)
def test_a_backfill_exports_what_nxcloud_keeps_and_refuses_the_rest_before_asking(
    plan: Plan, tmp_path: Path
) -> None:
    outcome = run_backfill(plan, tmp_path)

    assert sorted(outcome.tasks) == outcome.days, "the backfill made one run a day"
    # which intervals NXCloud keeps is decided when each task runs (a run across midnight moves it)
    kept = [day for day, task in sorted(outcome.tasks.items()) if day >= oldest_kept_day(task.start)]
    too_old = [day for day in outcome.days if day not in kept]
    assert kept and too_old, (kept, too_old)

    for day in kept:
        task = outcome.tasks[day]
        assert (task.state, task.try_number) == ("success", 1), task
        lines = list(read_records(outcome.lake / f"{day.isoformat()}.jsonl"))
        written = Counter((line["message_id"], line["number"], line["sent_at"]) for line in lines)
        assert written == outcome.ledger[day], f"{day}: the file is not the ledger's records of the day"

    for day in too_old:
        task = outcome.tasks[day]
        # failed on its first try although retries were allowed: the refusal is final
        assert (task.state, task.try_number) == ("failed", 1), task
        assert "data_interval_start" in task.log and "keeps SMS records 31 days" in task.log, task.log[-3000:]
        assert not (outcome.lake / f"{day.isoformat()}.jsonl").exists()

    oldest_asked = min(outcome.queries)
    assert oldest_asked >= min(kept).strftime(nxcloud.SMS_RECORD_DATE_FORMAT), (
        f"a query asked for {oldest_asked}, older than any interval NXCloud keeps"
    )
    for day in too_old:
        # a day only a refused interval needs is never asked
        if all(day not in vendor_days(other) for other in kept):
            assert outcome.queries[day.strftime(nxcloud.SMS_RECORD_DATE_FORMAT)] == 0, day
    assert outcome.queries == fewest_queries(outcome, kept)
    total = sum(outcome.queries.values())
    assert outcome.requests["by_endpoint"] == {"nxcloud/sms_records": total}

    # every record of the kept days in exactly one file: the files partition the ledger
    exported = sum(outcome.ledger[day].total() for day in kept)
    files = sorted(outcome.lake.glob("*.jsonl"))
    assert [path.name for path in files] == [f"{day.isoformat()}.jsonl" for day in kept]
    assert sum(1 for path in files for _ in read_records(path)) == exported

    print(
        f"backfill of {len(outcome.days)} daily intervals ({len(kept)} kept, {len(too_old)} too old), "
        f"max_active_runs {plan.max_active_runs}: {exported:,} records in {len(kept)} files, "
        f"{total} getSmsCdr queries (the fewest), none for a day older than kept; "
        f"peak {peak_concurrency(list(outcome.tasks.values()))} export tasks at once, "
        f"peak {outcome.requests['peak_qps']} queries/s; stack up in {outcome.startup_s:.0f} s, "
        f"created in {outcome.create_attempts} attempt(s), backfill {outcome.backfill_s:.0f} s, a task "
        f"{mean_seconds(outcome, kept):.1f} s (export) and {mean_seconds(outcome, too_old):.1f} s (refused)"
    )


def mean_seconds(outcome: Outcome, days: list[dt.date]) -> float:
    return sum((outcome.tasks[day].end - outcome.tasks[day].start).total_seconds() for day in days) / len(
        days
    )
