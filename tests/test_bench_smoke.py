"""The benchmarks at tiny sizes, so ``python -m bench`` cannot rot. No timing is asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import parse_args
from bench.report import COLUMNS, results_markdown, table
from bench.suite import Options, run_all

TINY = Options(
    recipients=3000,
    bulk_recipients=300,
    rtt_ms=2,
    max_qps=50,
    max_concurrency=4,
    hook_calls=20,
    poll_messages=450,
    check_numbers=5001,
    sensors=5,
    lookup_cases=((500, 0), (500, 300)),
    wait_sizes=(200, 2000),
    trigger_messages=5,
    budget_requests=200,
    distributed_recipients=0,
    page_recipients=2000,
)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list[str]]:
    return run_all(TINY, tmp_path_factory.mktemp("bench"))


def test_the_table_has_every_row(bench):
    rows, notes = bench
    measures = [row.measure for row in rows]
    expected = [
        ("1", "Hook overhead"),
        ("2", "Buka SMS, 3,000 recipients"),
        ("2", "NXCloud SMS, 300 recipients"),
        ("2", "Fone Dynamics SMS, 300 recipients"),
        ("2", "Buka SMS, 3,000 recipients from a file (0 ms RTT"),
        ("3", "Buka sends for 3,000"),
        ("3", "NXCloud sends for 300"),
        ("3", "Fone Dynamics sends for 300"),
        ("3", "getReport polls for 450 messages"),
        ("3", "number-check submits for 5,001"),
        ("3", "Fone Dynamics lookups"),
        ("3", "Fone Dynamics lookups"),
        ("4", "peak RSS of the Buka campaign task"),
        ("5", "memory of 5 deferred delivery waits"),
        ("5", "CPU per poll round of 5 triggers"),
        ("5", "holds no worker slot"),
        ("5", "connections one trigger run opens"),
        ("5", "wall time of those requests"),
        ("5", "Deferred delivery wait, 200 messages: trigger kwargs"),
        ("5", "Deferred delivery wait, 200 messages: triggerer memory"),
        ("5", "Deferred delivery wait, 2,000 messages: trigger kwargs"),
        ("5", "Deferred delivery wait, 2,000 messages: triggerer memory"),
        ("6", "store time per request start"),
        ("6", "account peak"),
        ("7", "Delivery view: one campaign's page, 2,000 recipients"),
    ]
    for section, words in expected:
        assert any(row.section == section and words in row.measure for row in rows), (words, measures)
    assert len(rows) == len(expected)
    assert [row.section for row in rows] == sorted(row.section for row in rows)
    assert notes


def test_request_efficiency_is_exactly_the_minimum(bench):
    rows, _ = bench
    efficiency = [row for row in rows if row.section == "3" and "lookups" not in row.measure]
    assert len(efficiency) == 5
    for row in efficiency:
        assert row.result == "1.00", row
        assert row.met is True, row


def test_lost_answer_lookups_stay_within_the_batch_window(bench):
    rows, _ = bench
    lookups = [row for row in rows if "lookups per lost answer" in row.measure]
    assert len(lookups) == 2
    for row in lookups:
        assert row.result == "settled" and row.met is True, row


def test_deferred_waits_carry_references_and_one_client(bench):
    rows, _ = bench
    waits = [row for row in rows if row.measure.startswith("Deferred delivery wait")]
    assert len(waits) == 4 and all(row.met is True for row in waits), waits
    (client,) = [row for row in rows if "connections one trigger run opens" in row.measure]
    assert client.provider == "1" and client.met is True, client


def test_the_waits_freed_the_worker_and_fired(bench):
    rows, _ = bench
    (slot,) = [row for row in rows if "holds no worker slot" in row.measure]
    assert slot.met is True, slot
    assert "5 worker polls for 5 sensors" in slot.result


def test_the_qps_cap_was_never_exceeded(bench):
    rows, _ = bench
    capped = [row for row in rows if row.section == "2" and "(cap " in row.result]
    assert len(capped) == 3  # the 0 ms RTT reference runs without a cap
    for row in capped:
        peak = int(row.result.split("peak ")[1].split(" QPS")[0])
        assert 1 <= peak <= TINY.max_qps, row


def test_results_markdown_names_the_machine_and_holds_the_table(bench, tmp_path):
    rows, notes = bench
    text = results_markdown(rows, settings=TINY.describe(), wall_seconds=1.0, notes=notes)
    assert "CPUs" in text and "UTC" in text
    assert table(rows) in text
    assert text.count("\n| ") == len(rows) + 1  # the header and one line per row
    assert all(column in text for column in COLUMNS)


def test_the_delivery_view_page_counts_right(bench):
    rows, _ = bench
    (page,) = [row for row in rows if row.section == "7"]
    assert "counts right" in page.result and page.met is True, page


def test_command_line_defaults_are_the_full_sizes():
    args = parse_args([])
    assert args.recipients == 1_000_000 and args.sensors == 1000
    assert args.out == Path(__file__).parent.parent / "bench" / "RESULTS.md"
