"""SQL to SMS against a real SQLite file and the simulator: every row sent once, per-row texts as the
vendor receives them, rows streamed in chunks, retries resumed by what the query reads again."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.fonedynamics import FoneDynamicsSmsSender
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import InvalidInputError, RetryableAPIError, SourceChangedError
from airflow_provider_nxcloud.transfers.sql_to_sms import (
    SqlToBukaSmsOperator,
    SqlToFoneDynamicsSmsOperator,
    SqlToNXCloudSmsOperator,
)
from tests.operators.conftest import TaskRun, assert_retry_resumes

pytest.importorskip("airflow.providers.sqlite.hooks.sqlite")

CONN_ID = "audience_db"
QUERY = "SELECT phone, greeting FROM customers ORDER BY id"
ROWS = 25_000


def phone(i: int) -> str:
    return f"65{90_000_000 + i}"


def greeting(i: int) -> str:
    return f"Hi customer {i}, your voucher V{i:06d} is ready. Reply STOP to opt out."


def fill(db: Path, rows: list[tuple[int, str | None, str | None]]) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, phone TEXT, greeting TEXT, segment TEXT)"
        )
        connection.executemany(
            "INSERT INTO customers (id, phone, greeting, segment) VALUES (?, ?, ?, ?)",
            [(i, number, text, "vip" if i % 10 == 0 else "all") for i, number, text in rows],
        )
    connection.close()


def customers(count: int, start: int = 1) -> list[tuple[int, str | None, str | None]]:
    return [(i, phone(i), greeting(i)) for i in range(start, start + count)]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SQLite file behind the connection ``audience_db``."""
    db = tmp_path / "audience.db"
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "sqlite", "host": str(db)})
    )
    return db


@pytest.fixture
def big_table(database: Path) -> Path:
    fill(database, customers(ROWS))
    return database


def buka(**kwargs: Any) -> SqlToBukaSmsOperator:
    kwargs.setdefault("sql", QUERY)
    kwargs.setdefault("text_column", "greeting")
    return SqlToBukaSmsOperator(task_id="send", sql_conn_id=CONN_ID, number_column="phone", **kwargs)


def sent(sim: Any, platform: str) -> Counter[tuple[str, str]]:
    return Counter((e.recipient, e.content) for e in sim.ledger.entries(platform=platform, kind="sms"))


def test_every_row_gets_its_own_text_once(nxcloud_simulator, big_table, tmp_path):
    results = tmp_path / "results.jsonl"
    summary = buka(results_path=str(results)).execute(TaskRun().context())

    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(1, ROWS + 1))
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 25  # 1,000 per request
    assert (summary["accepted"], summary["invalid"], summary["batches"]) == (ROWS, 0, 25)
    assert [line["number"] for line in read_results(results)] == [phone(i) for i in range(1, ROWS + 1)]


@pytest.mark.parametrize(
    ("make", "platform", "endpoint", "requests", "plus"),
    [
        (SqlToNXCloudSmsOperator, "nxcloud", "sms_send_v2", 3, ""),
        (SqlToFoneDynamicsSmsOperator, "fonedynamics", "send_batch", 3, "+"),  # E.164 there
        (SqlToBukaSmsOperator, "buka", "sms_send", 1, ""),
    ],
)
def test_one_text_for_every_row(nxcloud_simulator, database, make, platform, endpoint, requests, plus):
    fill(database, customers(250))
    summary = make(
        task_id="send", sql=QUERY, sql_conn_id=CONN_ID, number_column="phone", text="Sale at noon"
    ).execute(TaskRun().context())
    assert summary["accepted"] == 250
    assert sent(nxcloud_simulator, platform) == Counter(
        (plus + phone(i), "Sale at noon") for i in range(1, 251)
    )
    assert nxcloud_simulator.requests.count(platform, endpoint) == requests


def test_bind_parameters_select_the_rows(nxcloud_simulator, database):
    fill(database, customers(100))
    sql = "SELECT phone, greeting FROM customers WHERE segment = ? ORDER BY id"
    buka(sql=sql, parameters=["vip"]).execute(TaskRun().context())
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(10, 101, 10))


class CountingCursor(sqlite3.Cursor):
    """SQLite's own cursor, counting how the rows are read; a read of everything at once fails the test."""

    fetches: list[int]

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = super().fetchmany(size if size is not None else self.arraysize)
        self.fetches.append(len(rows))
        return rows

    def fetchall(self) -> list[Any]:
        raise AssertionError("fetchall() read every row at once")


class CountingSqlToBukaSmsOperator(SqlToBukaSmsOperator):
    def open_cursor(self, connection: Any) -> Any:
        cursor = connection.cursor(CountingCursor)
        cursor.fetches = self.fetches
        return cursor


def test_rows_are_fetched_in_chunks_as_the_campaign_reads_them(nxcloud_simulator, big_table):
    op = CountingSqlToBukaSmsOperator(
        task_id="send",
        sql=QUERY,
        sql_conn_id=CONN_ID,
        number_column="phone",
        text_column="greeting",
        fetch_size=700,
    )
    op.fetches = []
    entries = op.open_entries()
    assert op.fetches == []  # nothing opened before the first entry is asked for
    next(entries)
    assert op.fetches == [700]  # one chunk, not the table
    entries.close()

    op.fetches = []
    summary = op.execute(TaskRun().context())
    assert summary["accepted"] == ROWS
    # 35 full chunks, the rest, and the empty read that ends the rows
    assert op.fetches == [700] * 35 + [ROWS - 35 * 700, 0]


def test_rows_are_not_held_in_memory(nxcloud_simulator, big_table):
    """The peak of Python allocations while every entry is read stays far below the rows' own size."""

    def peak(read: Any) -> int:
        tracemalloc.start()
        try:
            read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def read_all_rows() -> None:
        with sqlite3.connect(big_table) as connection:
            rows = connection.execute(QUERY).fetchall()
        connection.close()
        assert len(rows) == ROWS

    def stream_entries() -> None:
        count = sum(1 for _ in buka(fetch_size=500).open_entries())
        assert count == ROWS

    stream_entries()  # once before measuring: the connection lookup's imports and caches are not rows
    materialised, streamed = peak(read_all_rows), peak(stream_entries)
    assert materialised > 4_000_000  # 25,000 rows of a number and a 70-character text
    assert streamed < 1_000_000, f"{streamed:,} bytes at the peak (the rows at once: {materialised:,})"


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, database, tmp_path):
    fill(database, customers(3_500))
    numbers = [phone(i) for i in range(1, 3_501)]
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third sendSms/batch: -18
    op = buka(results_path=str(results))
    assert_retry_resumes(
        nxcloud_simulator, TaskRun(), op, numbers, results, kind="sms", accepted=2_000, resumed=2
    )
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(1, 3_501))


def test_a_try_that_dies_mid_send_is_resumed_without_duplicates(nxcloud_simulator, database):
    """Batch 1's answer is lost and the worker dies before looking it up; the retry reads the rows
    again, finds batch 1 in the vendor's message list and sends only batch 2."""
    fill(database, customers(250))
    nxcloud_simulator.faults.set(at={2: "reset_after"})

    class Died(Exception):
        pass

    def die(self: Any, batch: Any) -> None:
        raise Died

    run = TaskRun()
    op = SqlToFoneDynamicsSmsOperator(
        task_id="send", sql=QUERY, sql_conn_id=CONN_ID, number_column="phone", text="Sale at noon"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FoneDynamicsSmsSender, "lookup", die)
        with pytest.raises(Died):
            op.execute(run.context())
    assert nxcloud_simulator.ledger.count() == 200

    summary = op.execute(run.retry())
    assert (summary["resumed_batches"], summary["resolved_batches"], summary["accepted"]) == (1, 1, 250)
    assert Counter(e.recipient for e in nxcloud_simulator.ledger.entries()) == Counter(
        f"+{phone(i)}" for i in range(1, 251)
    )
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3


def test_rows_changed_between_tries_fail_the_retry_before_it_sends(nxcloud_simulator, database):
    fill(database, customers(2_500, start=10))
    nxcloud_simulator.faults.set(at={2: "vendor_busy"})
    run = TaskRun()
    op = buka()
    with pytest.raises(RetryableAPIError):
        op.execute(run.context())
    assert nxcloud_simulator.ledger.count() == 1_000

    fill(database, customers(1, start=1))  # a new first row: every later row moves one place
    with pytest.raises(AirflowFailException) as failed:
        op.execute(run.retry())
    assert isinstance(failed.value.__cause__, SourceChangedError)
    assert "sql, column 'phone': changed between tries: batch 0" in str(failed.value)
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 2  # nothing more was sent
    assert nxcloud_simulator.ledger.count() == 1_000


def test_null_and_malformed_numbers_are_invalid_per_on_invalid(nxcloud_simulator, database):
    fill(database, [*customers(3), (4, None, "no phone"), (5, "12", "too short"), *customers(2, start=6)])
    with pytest.raises(AirflowFailException, match=r"sql, column 'phone': entry 4: "):
        buka().execute(TaskRun().context())
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 0

    summary = buka(on_invalid="skip").execute(TaskRun().context())
    assert (summary["accepted"], summary["invalid"]) == (5, 2)
    assert [line for line, _, _ in summary["invalid_sample"]] == [4, 5]
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in (1, 2, 3, 6, 7))


def test_a_null_text_fails_naming_the_column_and_row_before_sending(nxcloud_simulator, database):
    fill(database, [*customers(1_500), (1_501, phone(1_501), None)])
    with pytest.raises(AirflowFailException, match=r"sql, column 'greeting': entry 1501: text is empty"):
        buka().execute(TaskRun().context())
    assert nxcloud_simulator.requests.total("buka") == 0


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"number_column": "mobile"}, "number_column"),
        ({"text_column": "body"}, "text_column"),
        ({"sql": "SELECT phone, greeting FROM customers"}, "sql"),
        ({"sql": "  "}, "sql"),
        ({"sql": "CREATE TEMP TABLE picked AS SELECT phone FROM customers ORDER BY id"}, "sql"),
        ({"fetch_size": 0}, "fetch_size"),
        ({"parameters": "vip"}, "parameters"),
        ({"text": "Sale"}, "text_column"),
        ({"text_column": None}, "text"),
        ({"sql_conn_id": "buka_default"}, "sql_conn_id"),
    ],
)
def test_bad_input_names_the_parameter_and_sends_nothing(nxcloud_simulator, database, kwargs, parameter):
    fill(database, customers(10))
    number_column = kwargs.pop("number_column", "phone")
    op = SqlToBukaSmsOperator(
        task_id="send",
        sql_conn_id=kwargs.pop("sql_conn_id", CONN_ID),
        number_column=number_column,
        **{"sql": QUERY, "text_column": "greeting", **kwargs},
    )
    with pytest.raises(AirflowFailException) as failed:
        op.execute(TaskRun().context())
    cause = failed.value.__cause__
    assert isinstance(cause, InvalidInputError) and cause.parameter == parameter
    assert nxcloud_simulator.requests.total("buka") == 0


def test_a_missing_column_lists_the_columns_the_query_returns(nxcloud_simulator, database):
    fill(database, customers(3))
    with pytest.raises(AirflowFailException, match="no column 'mobile'; its columns are phone, greeting"):
        SqlToNXCloudSmsOperator(
            task_id="send", sql=QUERY, sql_conn_id=CONN_ID, number_column="mobile", text="x"
        ).execute(TaskRun().context())


def test_column_names_match_ignoring_case(nxcloud_simulator, database):
    fill(database, customers(3))
    buka(sql="SELECT phone AS PHONE, greeting AS Greeting FROM customers ORDER BY id").execute(
        TaskRun().context()
    )
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(1, 4))


def test_constructor_stores_arguments_unchanged_and_templates_the_query(nxcloud_simulator):
    op = buka(parameters={"segment": "{{ ds }}"}, fetch_size=250)
    assert (op.sql, op.sql_conn_id, op.number_column, op.text_column) == (QUERY, CONN_ID, "phone", "greeting")
    assert (op.parameters, op.fetch_size, op.recipients) == ({"segment": "{{ ds }}"}, 250, None)
    assert {"sql", "sql_conn_id", "parameters", "text", "results_path"} <= set(op.template_fields)
    assert "recipients" not in op.template_fields
    assert op.template_ext == (".txt", ".j2", ".sql")
    assert nxcloud_simulator.requests.total("buka") == 0
    with pytest.raises(TypeError):
        SqlToNXCloudSmsOperator(
            task_id="x", sql=QUERY, sql_conn_id=CONN_ID, number_column="p", text_column="t"
        )


def test_a_sql_file_is_rendered_as_the_query(nxcloud_simulator, database, tmp_path):
    from airflow.sdk import DAG

    fill(database, customers(30))
    (tmp_path / "audience.sql").write_text(
        "SELECT phone, greeting FROM customers WHERE id <= {{ params.last }} ORDER BY id\n", encoding="utf-8"
    )
    with DAG("sql_file", schedule=None, template_searchpath=[str(tmp_path)], params={"last": 12}) as dag:
        op = buka(sql="audience.sql")
    op.render_template_fields(context={"dag": dag, "params": dag.params})
    assert op.sql.startswith("SELECT phone, greeting FROM customers WHERE id <= 12 ORDER BY id")
    op.execute(TaskRun().context())
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(1, 13))


def test_mapped_instances_send_their_own_rows_with_their_own_references(nxcloud_simulator, database):
    """``.partial().expand()`` over the bind parameters: one segment per mapped instance."""
    from airflow.sdk import DAG

    fill(database, customers(40))
    sql = "SELECT phone, greeting FROM customers WHERE segment = :segment ORDER BY id"
    with DAG("mapped_sql", schedule=None):
        mapped = SqlToBukaSmsOperator.partial(
            task_id="send", sql=sql, sql_conn_id=CONN_ID, number_column="phone", text_column="greeting"
        ).expand(parameters=[{"segment": "vip"}, {"segment": "all"}])
    assert mapped.partial_kwargs["sql"] == sql  # the keyword-only arguments map
    for map_index, segment in enumerate(["vip", "all"]):
        buka(sql=sql, parameters={"segment": segment}).execute(TaskRun(map_index=map_index).context())
    assert sent(nxcloud_simulator, "buka") == Counter((phone(i), greeting(i)) for i in range(1, 41))
    references = {e.client_reference.rsplit("-", 2)[0] for e in nxcloud_simulator.ledger.entries()}
    assert len(references) == 2  # a campaign key per map index: no instance resumes another's batches
