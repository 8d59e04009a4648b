"""The interval's file: replaced whole, never merged with another export's pages, announced as an Asset."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.operators.exports import FoneDynamicsMessagesToStorageOperator
from tests.exports.conftest import Killed, export_context, kill_after_pages, month_interval
from tests.operators.conftest import TaskRun

WRITE_PAGE = IntervalFile.write_page


def _day(days_ago: int) -> dt.datetime:
    return month_interval()[1] - dt.timedelta(days=days_ago)


def test_the_file_is_an_asset_event_with_its_record_count(nxcloud_simulator, tmp_path):
    from airflow.sdk import Asset, AssetAlias
    from airflow.sdk.execution_time.context import OutletEventAccessors

    start, end = _day(1), _day(0)
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 7)
    alias, named = AssetAlias("fonedynamics_messages"), Asset("messages_totals")
    path = tmp_path / "m.jsonl"
    operator = FoneDynamicsMessagesToStorageOperator(
        task_id="t", output_path=str(path), outlets=[alias, named]
    )
    events = OutletEventAccessors()
    operator.execute({**export_context(TaskRun(), start, end), "outlet_events": events})
    (event,) = events[alias].asset_alias_events
    assert event.dest_asset_key.uri == path.as_uri()
    assert event.extra == {"platform": "fonedynamics", "results_path": str(path), "results_lines": 7}
    assert events[named].extra["results_lines"] == 7


def test_an_earlier_file_is_replaced_whole_and_a_changed_export_does_not_resume(
    nxcloud_simulator, tmp_path, monkeypatch
):
    start, end = _day(2), _day(0)
    nxcloud_simulator.seed_sms_history("fonedynamics", start.timestamp(), end.timestamp(), 1_000)
    path, run = tmp_path / "m.jsonl", TaskRun()
    path.write_text('{"stale": true}\n' * 5_000)
    kill_after_pages(monkeypatch, 2)
    with pytest.raises(Killed):
        FoneDynamicsMessagesToStorageOperator(task_id="t", output_path=str(path)).execute(
            export_context(run, start, end)
        )
    assert path.read_text().count("stale") == 5_000  # the earlier file stands until the new one is whole
    monkeypatch.setattr(IntervalFile, "write_page", WRITE_PAGE)
    # the retry asks for another page size: another export, read from the start, the old pages discarded
    summary = FoneDynamicsMessagesToStorageOperator(
        task_id="t", output_path=str(path), page_size=150
    ).execute(export_context(run, start, end, retry=True))
    assert summary["resumed"] is False and summary["records"] == 1_000
    lines = list(read_records(path))
    assert [line["message_id"] for line in lines] == [
        e.vendor_id for e in nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    ]


@pytest.mark.parametrize("output_path", ["", "  "])
def test_an_output_path_is_required_before_any_request(nxcloud_simulator, output_path):
    start, end = _day(1), _day(0)
    with pytest.raises(AirflowFailException, match="output_path"):
        FoneDynamicsMessagesToStorageOperator(task_id="t", output_path=output_path).execute(
            export_context(TaskRun(), start, end)
        )
    assert nxcloud_simulator.requests.total() == 0


def test_a_run_without_an_interval_is_refused_by_name(nxcloud_simulator, tmp_path):
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with pytest.raises(AirflowFailException, match=r"data_interval_end.*CronDataIntervalTimetable"):
        FoneDynamicsMessagesToStorageOperator(task_id="t", output_path=str(tmp_path / "m.jsonl")).execute(
            export_context(TaskRun(), now, now)
        )
    assert nxcloud_simulator.requests.total() == 0
