"""Fone Dynamics messages of a simulated month exported once each, in the fewest find-SMS queries."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.platforms import fonedynamics
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

CASE = shared.CASES["fonedynamics-messages"]
_operator = CASE.make


# the month (a long proof, ~13 s) and its small version for make test
@pytest.mark.parametrize(("records", "queries"), shared.month_sizes(501, 51))
def test_a_month_is_exported_once_each_in_the_fewest_queries(nxcloud_simulator, tmp_path, records, queries):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    path = tmp_path / "messages.jsonl"

    summary = CASE.run(path, start, end)

    lines = shared.assert_exported_once(
        nxcloud_simulator,
        CASE,
        path,
        summary,
        records=records,
        # one window (the interval), 200 a page: floor(records / 200) + 1
        fewest=shared.pages_to_short_page(records, fonedynamics.MESSAGES_PAGE_DEFAULT),
        queries=queries,
    )
    assert {line["status"] for line in lines} == {"delivered", "failed"}  # numbers ending 0000 fail


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * 1_000)
    shared.assert_memory_flat(_operator, tmp_path, start, days=(2, 10), per_day=1_000, label="fonedynamics")


def test_a_page_size_above_the_documented_default_reads_on_to_an_empty_page(nxcloud_simulator, tmp_path):
    """ASSUMPTION [FD-10]: a vendor that capped pages below the size asked would end a short-page
    reading early; above the documented default the export stops only on an empty page."""
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 2_500)
    summary = _operator(tmp_path / "m.jsonl", page_size=1_000).execute(
        shared.export_context(TaskRun(), start, end)
    )
    assert summary["records"] == 2_500
    assert CASE.asked(nxcloud_simulator) == 4  # 1000, 1000, 500, 0


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 5_000)
    summary = shared.kill_then_retry(
        nxcloud_simulator, CASE, monkeypatch, tmp_path / "messages.jsonl", start, end, pages=9
    )
    assert summary["records"] == 5_000
    # the 9th page (written, never recorded) is asked again; nothing before it
    assert CASE.asked(nxcloud_simulator) == 26 + 1


def test_a_page_size_the_vendor_does_not_take_fails_before_any_request(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    context = shared.export_context(TaskRun(), start, end)
    shared.assert_refused_before_any_request(
        nxcloud_simulator, _operator(tmp_path / "m.jsonl", page_size=0), context, parameter="page_size"
    )


def test_a_gateway_error_mid_export_is_read_again_without_gaps_or_duplicates(nxcloud_simulator, tmp_path):
    """The 4th find-SMS request meets a 503: the hook reads that page again (a read may be retried)."""
    start, end = shared.month_interval()
    CASE.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 1_500)
    nxcloud_simulator.faults.set(at={4: "http_503"})
    path = tmp_path / "messages.jsonl"
    summary = _operator(path).execute(shared.export_context(TaskRun(), start, end))
    assert nxcloud_simulator.faults.counts() == {"http_503": 1}
    lines = list(read_records(path))
    assert [line["message_id"] for line in lines] == [
        entry.vendor_id for entry in CASE.entries(nxcloud_simulator)
    ]
    assert summary["queries"] == 8  # pages recorded; the refused request is the one more the vendor saw
    assert CASE.asked(nxcloud_simulator) == 9
