"""Every record type as JSON Lines and as Parquet: its declared columns, the same records in both.

The per-type files prove each export against the simulator's ledger in depth; this one holds
what every record type shares: a column of a known type for each line key, in line order,
and a Parquet file that reads back the JSON Lines export's records, value for value.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.exports.engine import COLUMN_TYPES
from airflow_provider_nxcloud.exports.files import read_records
from airflow_provider_nxcloud.operators import exports as operators
from airflow_provider_nxcloud.testing.seeding import email_results_lines
from tests.exports.conftest import CASES, export_context
from tests.exports.test_parquet import parquet_records
from tests.operators.conftest import TaskRun

pytestmark = pytest.mark.usefixtures("one_record_day")

#: records seeded per type: pages of every size the types ask fit in a few queries
RECORDS = 300
TYPES = CASES


def _as_text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _yesterday() -> tuple[dt.datetime, dt.datetime]:
    """Yesterday (UTC): settled for every type, within every vendor's retention (NXCloud calls: 7 days)."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=1), today


def test_every_operator_of_the_family_is_covered_here():
    family = {
        name
        for name in operators.__all__
        if name.endswith("ToStorageOperator") and name != "RecordsToStorageOperator"
    }
    assert family == {kind.operator.__name__ for kind in TYPES.values()}


@pytest.mark.parametrize("name", sorted(TYPES))
def test_each_record_type_declares_a_known_type_for_every_line_key(name):
    kind = TYPES[name]
    assert tuple(column for column, _ in kind.module.COLUMNS) == kind.module.LINE_KEYS
    assert {column_type for _, column_type in kind.module.COLUMNS} <= set(COLUMN_TYPES)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_each_record_type_as_parquet_reads_back_its_json_lines_records(nxcloud_simulator, tmp_path, name):
    kind = TYPES[name]
    start, end = _yesterday()
    kind.seed(nxcloud_simulator, start.timestamp(), end.timestamp(), RECORDS)
    extra: dict[str, Any] = {}
    if kind.ledger == ("buka", "email"):
        # Buka reads email records by id: the ids come from a send task's results file
        results = Path(tmp_path / "sent.jsonl")
        results.write_text("".join(email_results_lines(nxcloud_simulator.ledger.entries("buka", "email"))))
        extra["results_path"] = str(results)

    def export(path: Path) -> dict[str, Any]:
        operator = kind.operator(task_id="export", output_path=str(path), **extra)
        return operator.execute(export_context(TaskRun(), start, end))

    as_lines, as_table = export(tmp_path / "records.jsonl"), export(tmp_path / "records.parquet")

    entries = nxcloud_simulator.ledger.entries(*kind.ledger)
    assert as_table["records"] == as_lines["records"] == len(entries) == RECORDS
    text_columns = {column for column, column_type in kind.module.COLUMNS if column_type == "string"}
    lines = [
        # a text column holds a structured value (the call center's labels) as its JSON text
        {key: _as_text(value) if key in text_columns else value for key, value in line.items()}
        for line in read_records(tmp_path / "records.jsonl")
    ]
    rows = list(parquet_records(tmp_path / "records.parquet"))
    assert rows == lines
    assert all(tuple(row) == kind.module.LINE_KEYS for row in rows)
