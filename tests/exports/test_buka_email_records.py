"""Buka email records of a simulated month, read by the ids of the send results, 200 a query."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator
from airflow_provider_nxcloud.operators.exports import BukaEmailRecordsToStorageOperator
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.testing.seeding import email_results_lines
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

CASE = shared.CASES["buka-email"]
IDS = buka.EMAIL_QUERY_MAX_IDS


def _operator(path: object, results: object = None, **kwargs: object) -> BukaEmailRecordsToStorageOperator:
    return CASE.make(path, **{"results_path": results, **kwargs})


def _results(sim: Any, folder: Path, files: int = 1) -> list[str]:
    """The seeded emails as the results files of ``files`` send tasks (consecutive runs of the ledger)."""
    entries = CASE.entries(sim)
    share = math.ceil(len(entries) / files)
    paths = []
    for number in range(files):
        path = folder / f"send-{number}.jsonl"
        path.write_text("".join(email_results_lines(entries[number * share : (number + 1) * share])))
        paths.append(str(path))
    return paths


_queries = CASE.asked


# the month (a long proof) and its small version for make test: ceil(N / 200) queries,
# the ids of three results files asked across their ends
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(500, 50))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records + 7)
    results = _results(nxcloud_simulator, tmp_path, files=3)
    path = tmp_path / "email.jsonl"
    # the last 7 emails were sent after the interval: left to the next interval's export
    summary = _operator(path, results).execute(
        shared.export_context(
            TaskRun(), start, dt.datetime.fromtimestamp(_seventh_last(nxcloud_simulator), dt.UTC)
        )
    )

    entries = CASE.entries(nxcloud_simulator)[:records]
    lines = shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        fewest=math.ceil(records / IDS),
        queries=queries,
        entries=entries,
    )
    failed = {line["email_id"] for line in lines if line["status"] == "failed"}
    assert failed == {e.vendor_id for e in entries if e.recipient.endswith(".invalid")} and failed
    assert {line["status_meaning"] for line in lines} == {"sent successfully", "sending failed"}


def _seventh_last(sim: Any) -> float:
    return sim.ledger.entries("buka", "email")[-7].time


def test_emails_sent_through_the_send_operator_are_exported_from_its_results(nxcloud_simulator, tmp_path):
    """The send operator's own results file (not a seeded one) names the interval's emails."""
    addresses = [f"reader{n}@example.com" for n in range(430)] + ["nobody@bounce.invalid"]
    results = tmp_path / "send.jsonl"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    send = BukaSendEmailOperator(
        task_id="send",
        recipients=addresses,
        from_address="noreply@sim.buka.test",
        subject="Hello",
        template_id=7,
        results_path=str(results),
    ).execute(TaskRun().context())
    after = dt.datetime.now(dt.UTC)  # past every recorded_at (whole seconds, rounded down)
    path = tmp_path / "email.jsonl"
    nxcloud_simulator.clock.advance(60)  # past the delivery delay: final statuses

    # the send task's XCom summary is taken as it is (its results_path)
    summary = _operator(path, send).execute(shared.export_context(TaskRun(), before, after))

    lines = list(read_records(path))
    assert sorted(line["to_address"] for line in lines) == sorted(addresses)
    assert Counter(line["status"] for line in lines) == {"sent": 430, "failed": 1}
    assert summary["queries"] == _queries(nxcloud_simulator) == 3  # 431 ids: 200 + 200 + 31


def test_an_id_buka_does_not_list_is_written_not_found(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 300)
    results = _results(nxcloud_simulator, tmp_path)[0]
    moment = (start + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stranger = (
        f'{{"batch":9,"number":"ghost@example.com","status":"accepted","recorded_at":"{moment}",'
        '"vendor_id":"0123456789abcdef0123456789abcdef","reference":null,"error":null,"sent_at":null}\n'
    )
    rejected = stranger.replace('"accepted"', '"rejected"').replace("ghost", "refused")
    Path(results).write_text(Path(results).read_text() + stranger + rejected)

    _operator(tmp_path / "email.jsonl", results).execute(shared.export_context(TaskRun(), start, end))

    lines = list(read_records(tmp_path / "email.jsonl"))
    assert len(lines) == 301  # the rejected recipient was never sent: no record
    [ghost] = [line for line in lines if line["to_address"] == "ghost@example.com"]
    assert (ghost["status"], ghost["vendor_status"], ghost["sent_at"]) == ("not_found", None, None)
    assert _queries(nxcloud_simulator) == 2


def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    """Five times the emails and the same peak: the export holds one query's ids, not the interval's."""
    start, end = shared.month_interval()
    per_day = IDS
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * per_day)
    results = _results(nxcloud_simulator, tmp_path)
    shared.assert_memory_flat(
        lambda path: _operator(path, results),
        tmp_path,
        start,
        days=(5, 25),
        per_day=per_day,
        label="buka email",
    )


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    results = _results(nxcloud_simulator, tmp_path, files=2)
    path = tmp_path / "email.jsonl"
    asked: list[str] = []
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    real = BukaHook.get_email_records

    def get_email_records(self, app_id, email_ids):
        asked.append(email_ids[0])
        return real(self, app_id, email_ids)

    monkeypatch.setattr(BukaHook, "get_email_records", get_email_records)
    # the 8th page takes ids from both files (1,500 each)
    shared.kill_then_retry(
        nxcloud_simulator, CASE, monkeypatch, path, start, end, pages=8, results_path=results
    )
    # the killed page is asked again, nothing before it: 15 pages + 1
    assert len(asked) == 16 and asked[8] == asked[7] and len(set(asked)) == 15
    assert asked[7] == CASE.entries(nxcloud_simulator)[7 * IDS].vendor_id


def test_running_the_interval_again_replaces_the_file_with_the_same_content(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_000)
    results = _results(nxcloud_simulator, tmp_path)
    path = tmp_path / "email.jsonl"
    shared.assert_rerun_replaces_with_the_same_content(
        CASE, path, start, end, records=1_000, results_path=results
    )


def test_an_interval_older_than_buka_keeps_email_records_fails_before_any_request(
    nxcloud_simulator, tmp_path
):
    end = shared.month_interval()[1] - dt.timedelta(days=89)
    results = tmp_path / "send.jsonl"
    results.write_text("")
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "old.jsonl", str(results)),
        shared.export_context(TaskRun(), end - dt.timedelta(days=2), end),
        parameter="data_interval_start",
        match=r"data_interval_start.*90 days",
    )


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"results_path": None}, "results_path", "not a results file"),
        ({"results_path": []}, "results_path", "is required"),
        ({"results_path": "missing.jsonl"}, "results_path", "is not a file"),
        ({"results_path": ["send.jsonl", "send.jsonl"]}, "results_path", "more than once"),
        ({"results_path": {"platform": "nxcloud", "results_path": "send.jsonl"}}, "results_path", "nxcloud"),
        ({"results_path": {"platform": "buka", "accepted": 3}}, "results_path", "without a results_path"),
        ({"page_size": 201}, "page_size", "1 to 200"),
        ({"page_size": True}, "page_size", "1 to 200"),
    ],
)
def test_a_bad_parameter_is_refused_by_name_before_any_request(
    nxcloud_simulator, tmp_path, monkeypatch, kwargs, parameter, message
):
    monkeypatch.chdir(tmp_path)
    nxcloud_simulator.seed_email_history(*[t.timestamp() for t in shared.month_interval()], 10)
    Path("send.jsonl").write_text("".join(email_results_lines(CASE.entries(nxcloud_simulator))))
    options = {"results_path": "send.jsonl", **kwargs}
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "email.jsonl", **options),
        shared.export_context(TaskRun(), *shared.month_interval()),
        parameter=parameter,
        match=message,
    )


def test_a_results_line_without_a_readable_time_is_refused_by_name(nxcloud_simulator, tmp_path):
    results = tmp_path / "send.jsonl"
    results.write_text(
        '{"batch":1,"number":"a@example.com","status":"accepted","recorded_at":null,"vendor_id":"x"}\n'
    )
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator(tmp_path / "email.jsonl", str(results)),
        shared.export_context(TaskRun(), *shared.month_interval()),
        parameter="results_path",
        match=r"send.jsonl line 1 has no readable recorded_at",
    )


def test_the_simulator_refuses_more_than_200_ids_with_the_documented_code(nxcloud_simulator):
    from airflow_provider_nxcloud.exceptions import PermanentAPIError
    from airflow_provider_nxcloud.hooks.buka import BukaHook

    app = nxcloud_simulator.accounts.buka.email_app_id
    with pytest.raises(PermanentAPIError) as too_many:
        BukaHook().get_email_records(app, [f"{n:032x}" for n in range(IDS + 1)])
    assert too_many.value.code == "-28"
    assert nxcloud_simulator.requests.count("buka", "email_records") == 1
