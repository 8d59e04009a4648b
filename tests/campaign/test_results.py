"""The results file: written per batch, merged at the end, never truncated by a later try."""

from __future__ import annotations

import json

import pytest

from airflow_provider_nxcloud.campaign.results import (
    AcceptedRun,
    RecipientResult,
    ResultsWriter,
    accepted_count,
    read_results,
)
from airflow_provider_nxcloud.exceptions import InvalidInputError


def accepted(number: str) -> RecipientResult:
    return RecipientResult(number=number, status="accepted", vendor_id=f"id-{number}")


def test_a_resumed_campaign_appends_only_the_batches_the_file_lacks(tmp_path):
    path = tmp_path / "results.jsonl"
    first = ResultsWriter(str(path), try_number=1)
    first.write(0, [accepted("6591000001")])
    first.write(1, [accepted("6591000002")])
    first.finish()
    earlier = path.read_bytes()

    later = ResultsWriter(str(path), try_number=2)
    later.write(1, [accepted("6591000099")])  # a batch the file already has: its lines stay as they were
    later.write(2, [accepted("6591000003")])

    assert later.finish(keep_earlier=True) == 3
    assert path.read_bytes().startswith(earlier)
    assert [(line["batch"], line["number"]) for line in read_results(path)] == [
        (0, "6591000001"),
        (1, "6591000002"),
        (2, "6591000003"),
    ]
    assert not (tmp_path / "results.jsonl.parts").exists()


def test_a_resumed_campaign_with_nothing_new_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"batch": 0, "number": "6591000001", "status": "accepted"}) + "\n")
    before = path.read_bytes()

    assert ResultsWriter(str(path), try_number=3).finish(keep_earlier=True) == 1
    assert path.read_bytes() == before


def test_a_fresh_campaign_replaces_a_file_another_run_left(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"batch": 0, "number": "6599999999", "status": "accepted"}) + "\n")
    writer = ResultsWriter(str(path))
    writer.write(0, [accepted("6591000001")])

    assert writer.finish() == 1
    assert [line["number"] for line in read_results(path)] == ["6591000001"]


def test_a_place_results_cannot_be_written_is_refused_naming_results_path(tmp_path):
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    with pytest.raises(InvalidInputError) as refused:
        ResultsWriter(str(blocker / "results.jsonl")).check_writable()
    assert refused.value.parameter == "results_path"


def test_the_writability_check_changes_nothing_it_finds(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"batch": 0}\n')
    writer = ResultsWriter(str(path), try_number=2)
    writer.check_writable()
    assert path.read_text() == '{"batch": 0}\n'
    assert list((tmp_path / "results.jsonl.parts").iterdir()) == []


def test_an_accepted_run_reads_as_the_results_it_stands_for(tmp_path):
    run = AcceptedRun(["6591000001", "6591000002"], [17, "m-2"], ["c-0-0", "c-0-1"])
    expected = [
        RecipientResult("6591000001", "accepted", "17", "c-0-0"),
        RecipientResult("6591000002", "accepted", "m-2", "c-0-1"),
    ]
    assert list(run) == expected and run == expected and run[-1] == expected[-1] and run[:1] == expected[:1]
    assert accepted_count(run) == 2
    assert accepted_count([*expected, RecipientResult("6591000003", "rejected", error="bad")]) == 2
    with pytest.raises(ValueError, match="one vendor id and one reference per number"):
        AcceptedRun(["6591000001"], [], ["c-0-0"])
    path = tmp_path / "results.jsonl"
    writer = ResultsWriter(str(path))
    writer.write(0, run)
    writer.finish()
    assert [line["vendor_id"] for line in read_results(str(path))] == ["17", "m-2"]
