"""Parquet output: the same records as JSON Lines, typed, in bounded row groups, atomic and resumable."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exports import parquet
from airflow_provider_nxcloud.exports.engine import iso
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.operators.exports import RecordsToStorageOperator
from airflow_provider_nxcloud.platforms import nxcloud
from tests.exports import conftest as shared
from tests.operators.conftest import TaskRun

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - make venv installs the parquet extra
    # a skip would let CI pass without ever writing Parquet
    pytest.fail("the Parquet tests need pyarrow (the `parquet` extra): run `make venv`", pytrace=False)

pytestmark = pytest.mark.usefixtures("one_record_day")

PART_BATCH = parquet.part_batch

#: the SMS record types, by the platform the ledger files them under
SMS_CASES = {"nxcloud": shared.CASES["nxcloud-sms"], "fonedynamics": shared.CASES["fonedynamics-messages"]}


def _operator(platform: str, path: object, **kwargs: Any) -> RecordsToStorageOperator[Any]:
    return SMS_CASES[platform].make(path, **kwargs)


def parquet_records(path: object) -> Iterator[dict[str, Any]]:
    """The file's rows as JSON Lines would hold them (timestamps back to ISO 8601 UTC), batch by batch."""
    for batch in pq.ParquetFile(str(path)).iter_batches(batch_size=5_000):
        for row in batch.to_pylist():
            yield {
                key: iso(value.timestamp()) if isinstance(value, dt.datetime) else value
                for key, value in row.items()
            }


@pytest.mark.parametrize(
    ("platform", "records"),
    [
        pytest.param("nxcloud", shared.MONTH_RECORDS, marks=pytest.mark.long, id="nxcloud-100k"),
        pytest.param("fonedynamics", shared.MONTH_RECORDS, marks=pytest.mark.long, id="fonedynamics-100k"),
        pytest.param("nxcloud", 10_000, id="nxcloud-10k"),
        pytest.param("fonedynamics", 10_000, id="fonedynamics-10k"),
    ],
)
def test_a_month_as_parquet_reads_back_the_records_of_the_json_lines_export(
    nxcloud_simulator, tmp_path, monkeypatch, platform, records
):
    # row groups of 3,000 rows: the 10k month spans four of them (the last shorter)
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 3_000)
    start, end = shared.month_interval()
    SMS_CASES[platform].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), records)
    jsonl, table = tmp_path / "month.jsonl", tmp_path / "month.parquet"

    as_lines = _operator(platform, jsonl).execute(shared.export_context(TaskRun(), start, end))
    # the suffix chooses the format
    as_table = _operator(platform, table).execute(shared.export_context(TaskRun(), start, end))

    assert as_table["records"] == as_lines["records"] == records
    assert as_table["queries"] == as_lines["queries"]
    read_back = parquet_records(table)
    count = 0
    for line, row in zip(read_records(jsonl), read_back, strict=True):
        assert row == line and tuple(row) == tuple(line)
        count += 1
    assert count == records == len(nxcloud_simulator.ledger.entries(platform, "sms"))
    file = pq.ParquetFile(str(table))
    columns = SMS_CASES[platform].module.COLUMNS
    assert file.schema_arrow == parquet.arrow_schema(columns)
    groups = [file.metadata.row_group(n).num_rows for n in range(file.metadata.num_row_groups)]
    assert groups == [3_000] * (records // 3_000) + [records % 3_000]
    assert not (tmp_path / "month.parquet.parts").exists()
    assert not (tmp_path / "month.parquet.incomplete").exists()
    print(f"{platform}: {records} records, {as_table['queries']} queries, row groups {groups[:3]}...")


def test_the_column_types_are_the_declared_ones(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    SMS_CASES["nxcloud"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 300)
    path = tmp_path / "sms.parquet"
    _operator("nxcloud", path).execute(shared.export_context(TaskRun(), start, end))
    table = pq.read_table(str(path))
    types = {field.name: str(field.type) for field in table.schema}
    assert types["sent_at"] == types["delivered_at"] == "timestamp[ms, tz=UTC]"
    assert (types["segments"], types["billed"], types["price"]) == ("int64", "bool", "string")
    first = table.slice(0, 1).to_pylist()[0]
    entry = nxcloud_simulator.ledger.entries("nxcloud", "sms")[0]
    assert first["sent_at"] == dt.datetime.fromtimestamp(entry.time, dt.UTC)
    assert first["message_id"] == entry.vendor_id and first["segments"] == 1


def _pool_peak(action: Any) -> tuple[Any, int, int]:
    """``action()``'s result, its Python allocation peak and its Arrow memory pool peak."""
    previous = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(previous)
    pa.set_memory_pool(pool)
    try:
        result, peak = shared.peak_bytes(action)
        return result, peak, pool.max_memory()
    finally:
        pa.set_memory_pool(previous)


# traced allocation is slow (10-20 s): in make test-long; make test keeps the Buka voice and email ones
@pytest.mark.long
def test_memory_is_flat_in_the_record_count(nxcloud_simulator, tmp_path, monkeypatch):
    """Five times the records, the same peaks: Python allocations (tracemalloc) and Arrow's own
    memory (a proxy pool's high-water mark; tracemalloc does not see pyarrow's allocations)."""
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 1_000)
    start, end = shared.month_interval()
    per_day = 3 * nxcloud.SMS_RECORDS_MAX_PAGE_SIZE
    SMS_CASES["nxcloud"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 30 * per_day)
    # a first export untraced: imports, connection set-up and Arrow's first allocations
    _operator("nxcloud", tmp_path / "warm.parquet").execute(
        shared.export_context(TaskRun(), start, start + dt.timedelta(hours=6))
    )
    python, arrow, sizes = [], [], []
    for days in (1, 5):
        path = tmp_path / f"{days}.parquet"
        interval_end = start + dt.timedelta(days=days)
        summary, peak, pool_peak = _pool_peak(
            lambda path=path, interval_end=interval_end: _operator("nxcloud", path).execute(
                shared.export_context(TaskRun(), start, interval_end)
            )
        )
        assert summary["records"] == days * per_day
        python.append(peak)
        arrow.append(pool_peak)
        sizes.append(path.stat().st_size)
    assert sizes[1] > 4.5 * sizes[0]
    assert arrow[0] > 0, "the Arrow pool saw no allocation: the measure would prove nothing"
    assert python[1] < 1.3 * python[0], f"Python peaks {python} bytes for files of {sizes}"
    assert arrow[1] < 1.3 * arrow[0], f"Arrow pool peaks {arrow} bytes for files of {sizes}"
    print(f"parquet peaks: Python {python}, Arrow {arrow} bytes for {per_day} and {5 * per_day} records")


def test_a_killed_try_resumes_after_the_last_page_written(nxcloud_simulator, tmp_path, monkeypatch):
    start, end = shared.month_interval()
    SMS_CASES["nxcloud"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 20_000)
    case = SMS_CASES["nxcloud"]
    shared.kill_then_retry(
        nxcloud_simulator,
        case,
        monkeypatch,
        tmp_path / "sms.parquet",
        start,
        end,
        pages=7,
        read=parquet_records,
    )
    # the killed page is asked again, nothing before it
    days = [start.date() + dt.timedelta(days=n) for n in range((end - start).days)]
    per_day = {day: 0 for day in days}
    for entry in case.entries(nxcloud_simulator):
        per_day[dt.datetime.fromtimestamp(entry.time, dt.UTC).date()] += 1
    expected = sum(
        shared.pages_by_total(count, nxcloud.SMS_RECORDS_MAX_PAGE_SIZE) for count in per_day.values()
    )
    assert case.asked(nxcloud_simulator) == expected + 1


def test_the_file_appears_whole_a_try_killed_while_writing_it_leaves_the_earlier_one(
    nxcloud_simulator, tmp_path, monkeypatch
):
    start, end = shared.month_interval()
    SMS_CASES["fonedynamics"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    path, run = tmp_path / "m.parquet", TaskRun()
    path.write_bytes(b"an earlier file")
    merged = {"parts": 0}

    def dies_on_the_fifth_part(*args: Any) -> Any:
        merged["parts"] += 1
        if merged["parts"] == 5:
            raise shared.Killed("killed while merging")
        return PART_BATCH(*args)

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 500)  # row groups written before the kill
    monkeypatch.setattr(parquet, "part_batch", dies_on_the_fifth_part)
    with pytest.raises(shared.Killed):
        _operator("fonedynamics", path).execute(shared.export_context(run, start, end))
    assert path.read_bytes() == b"an earlier file"  # nothing written at the path until the file is whole
    asked = nxcloud_simulator.requests.count("fonedynamics", "list_messages")

    monkeypatch.setattr(parquet, "part_batch", PART_BATCH)
    summary = _operator("fonedynamics", path).execute(shared.export_context(run, start, end, retry=True))
    # every page was recorded before the merge: the retry only merges
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == asked
    assert summary["records"] == 3_000 and summary["resumed"] is True
    assert [row["message_id"] for row in parquet_records(path)] == [
        entry.vendor_id for entry in nxcloud_simulator.ledger.entries("fonedynamics", "sms")
    ]
    assert not (tmp_path / "m.parquet.incomplete").exists()


def test_running_the_interval_again_replaces_the_file_with_the_same_bytes(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    SMS_CASES["nxcloud"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 3_000)
    shared.assert_rerun_replaces_with_the_same_content(
        SMS_CASES["nxcloud"],
        tmp_path / "sms.parquet",
        start,
        end,
        records=3_000,
        rows=lambda content: pq.ParquetFile(io.BytesIO(content)).metadata.num_rows,
    )


def test_parquet_without_pyarrow_is_refused_by_name_before_any_request(
    nxcloud_simulator, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    start, end = shared.month_interval()
    for kwargs in ({"output_format": "parquet"}, {}):
        path = tmp_path / ("m.out" if kwargs else "m.parquet")
        with pytest.raises(AirflowFailException, match=r"output_format.*pyarrow") as failed:
            _operator("nxcloud", path, **kwargs).execute(shared.export_context(TaskRun(), start, end))
        assert failed.value.__cause__.parameter == "output_format"
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("output_format", "name"),
    [("csv", "m.csv"), ("PARQUET", "m.parquet"), ("jsonl", "m.parquet"), ("parquet", "m.jsonl"), (1, "m")],
)
def test_a_bad_output_format_is_refused_by_name_before_any_request(
    nxcloud_simulator, tmp_path, output_format, name
):
    start, end = shared.month_interval()
    shared.assert_refused_before_any_request(
        nxcloud_simulator,
        _operator("fonedynamics", tmp_path / name, output_format=output_format),
        shared.export_context(TaskRun(), start, end),
        parameter="output_format",
    )


def test_an_explicit_format_wins_over_a_path_without_a_known_suffix(nxcloud_simulator, tmp_path):
    start, end = shared.month_interval()
    SMS_CASES["fonedynamics"].seed(nxcloud_simulator, start.timestamp(), end.timestamp(), 10)
    path = tmp_path / "m.data"
    _operator("fonedynamics", path, output_format="parquet").execute(
        shared.export_context(TaskRun(), start, end)
    )
    assert pq.ParquetFile(str(path)).metadata.num_rows == 10


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ('{"at":"2026-12-02 08:15:00","n":1}', "at"),  # a time not in ISO 8601 UTC
        ('{"at":null,"n":"one"}', "n"),
        ('{"at":null,"n":1,"extra":true}', "extra"),  # a key the columns do not declare
        ('{"at":null}', "n"),  # a declared key missing
    ],
)
def test_a_value_that_does_not_fit_its_declared_column_is_refused_by_name(line, column):
    from airflow_provider_nxcloud.exceptions import InvalidInputError

    columns = [("at", "timestamp"), ("n", "int64")]
    with pytest.raises(InvalidInputError, match=f"column '{column}'") as refused:
        parquet.write_parquet(io.BytesIO(), lambda: ['{"at":null,"n":2}\n', line + "\n"], columns)
    assert refused.value.parameter == "output_format"
