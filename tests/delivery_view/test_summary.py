"""campaign_page on files written line by line here: reasons, countries, timeline, the fast path
against the line-by-line read, missing and unreadable files."""

from __future__ import annotations

import json
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.delivery.messages import MessageStatus
from airflow_provider_nxcloud.campaign.delivery.verdict import write_report
from airflow_provider_nxcloud.campaign.results import RecipientResult, result_line
from airflow_provider_nxcloud.delivery_view import lines, summary
from airflow_provider_nxcloud.delivery_view.summary import (
    CampaignFileMissingError,
    CampaignFileUnreadableError,
    campaign_page,
    shown_path,
)

IDENTITY = {"dag_id": "d", "run_id": "r", "task_id": "send", "map_index": 3}
T0 = "2026-12-03T07:00:10Z"
T1 = "2026-12-03T07:01:59Z"
T2 = "2026-12-03T07:02:00Z"


def write_results(path: Path, rows: list[tuple[int, RecipientResult, str]]) -> str:
    path.write_text("".join(result_line(batch, result, at) + "\n" for batch, result, at in rows))
    return str(path)


def accepted(number: str, n: int) -> RecipientResult:
    return RecipientResult(number, "accepted", f"m-{n}", f"ref-{n}")


def rejected(number: str, error: str | None) -> RecipientResult:
    return RecipientResult(number, "rejected", None, "ref", error)


def record(results: str | None = None, report: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "platform": "buka",
        "kind": "sms",
        "operator": "BukaSendSmsOperator",
        "results_path": results,
        "report_path": report,
        "recipients": 12,
        "valid": 10,
        "invalid": 1,
        "duplicates": 1,
        "suppressed": 0,
        "accepted": 7,
        "rejected": 3,
        "skipped": 0,
        "in_doubt": 0,
        "delivery": None,
        "decisions": [],
        "started_at": T0,
        "ended_at": T2,
        **more,
    }


@pytest.fixture
def campaign(tmp_path: Path) -> dict[str, Any]:
    """7 accepted (2 minutes), 3 rejected (SG, US, GB-shared code), a report of 5 delivered, 1 failed
    in Canada, 1 pending."""
    results = write_results(
        tmp_path / "results.jsonl",
        [
            *[(0, accepted(f"659100000{i}", i), T0) for i in range(4)],
            (0, rejected("6591000009", "-4 invalid number"), T0),
            (1, rejected("12125550123", "-4 invalid number"), T1),
            (1, rejected("+447400123456", 'bad "quote" \\ reason'), T1),
            *[(1, accepted(f"659100001{i}", 10 + i), T1) for i in range(3)],
        ],
    )
    report = tmp_path / "report.jsonl"
    write_report(
        report,
        [
            *[MessageStatus(f"m-{i}", "delivered", f"659100000{i}", "0", None, T1) for i in range(4)],
            MessageStatus("m-10", "delivered", "6591000010", "0", None, T2),
            MessageStatus("m-11", "failed", "16135550123", "-1", "UNDELIV", T2),
            MessageStatus("m-12", "pending", "6591000012", None, None, None),
        ],
    )
    return record(results, str(report))


def test_the_funnel_counts_the_files_and_takes_the_rest_from_the_record(campaign):
    page = campaign_page(campaign, IDENTITY)
    assert page["funnel"] == {
        "recipients": 12,
        "valid": 10,
        "invalid": 1,
        "duplicates": 1,
        "suppressed": 0,
        "in_doubt": 0,
        "accepted": 7,
        "rejected": 3,
        "skipped": 0,
        "delivered": 5,
        "failed": 1,
        "pending": 1,
    }
    assert page["campaign"] == {
        **IDENTITY,
        "platform": "buka",
        "kind": "sms",
        "operator": "BukaSendSmsOperator",
        "started_at": T0,
        "ended_at": T2,
        "results_path": campaign["results_path"],
        "report_path": campaign["report_path"],
    }
    assert page["source"]["results"]["lines"] == 10 and page["source"]["report"]["lines"] == 7


def test_the_timeline_is_per_minute(campaign):
    assert campaign_page(campaign, IDENTITY)["timeline"] == [
        {"minute": "2026-12-03T07:00:00Z", "accepted": 4, "delivered": 0, "failed": 0},
        {"minute": "2026-12-03T07:01:00Z", "accepted": 3, "delivered": 4, "failed": 0},
        {"minute": "2026-12-03T07:02:00Z", "accepted": 0, "delivered": 1, "failed": 1},
    ]


def test_failures_by_reason_and_by_country(campaign):
    page = campaign_page(campaign, IDENTITY)
    assert page["failures_by_reason"] == [
        {"reason": "-4 invalid number", "stage": "send", "count": 2},
        {"reason": "UNDELIV", "stage": "delivery", "count": 1},
        {"reason": 'bad "quote" \\ reason', "stage": "send", "count": 1},
    ]
    assert page["failures_by_country"] == [
        {"country": "CA", "count": 1},
        {"country": "GB", "count": 1},
        {"country": "SG", "count": 1},
        {"country": "US", "count": 1},
    ]


def test_past_twenty_reasons_the_rest_is_one_row(tmp_path):
    rows = [(0, rejected("6591000001", f"reason {i:02d}"), T0) for i in range(25) for _ in range(i + 1)]
    page = campaign_page(record(write_results(tmp_path / "r.jsonl", rows)), IDENTITY)
    reasons = page["failures_by_reason"]
    assert len(reasons) == 21
    assert reasons[0] == {"reason": "reason 24", "stage": "send", "count": 25}
    assert reasons[-1] == {"reason": "other", "stage": "send", "count": 1 + 2 + 3 + 4 + 5}


def test_without_files_the_counts_are_the_records(tmp_path):
    delivery = {"delivered": 6, "failed": 1, "pending": 0, "samples": "not kept"}
    page = campaign_page(record(delivery=delivery), IDENTITY)
    funnel = page["funnel"]
    assert (funnel["accepted"], funnel["rejected"]) == (7, 3)
    assert (funnel["delivered"], funnel["failed"], funnel["pending"]) == (6, 1, 0)
    assert page["timeline"] == [] and page["failures_by_reason"] == []
    no_delivery = campaign_page(record(), IDENTITY)["funnel"]
    assert (no_delivery["delivered"], no_delivery["failed"], no_delivery["pending"]) == (None, None, None)


def test_the_report_path_of_the_delivery_summary_is_read(campaign):
    moved = {**campaign, "report_path": None, "delivery": {"report_path": campaign["report_path"]}}
    assert campaign_page(moved, IDENTITY)["funnel"]["delivered"] == 5


# ----- the fast path and the line-by-line read ---------------------------------------------------


def pages_both_ways(monkeypatch, campaign: dict[str, Any]) -> tuple[Any, Any]:
    fast = campaign_page(campaign, IDENTITY)
    monkeypatch.setattr(summary, "tally", partial(lines.tally, fast=False))
    slow = campaign_page(campaign, IDENTITY)
    for page in (fast, slow):
        page.pop("source")
    return fast, slow


def counted(calls: Counter[str], name: str, function: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return function(*args, **kwargs)

    return call


def test_the_fast_path_and_the_line_by_line_read_give_the_same_page(monkeypatch, campaign):
    fast, slow = pages_both_ways(monkeypatch, campaign)
    assert fast == slow


def test_lines_in_another_shape_count_the_same(monkeypatch, tmp_path, campaign):
    """Hand-written lines (other key order, blank lines, no status, another time format, escapes, CRLF)
    among the writer's: the chunks holding them are parsed, with the same result."""
    results = Path(campaign["results_path"])
    extra = [
        json.dumps({"status": "accepted", "number": "6591000099", "recorded_at": T2}),
        "",
        json.dumps({"batch": 9, "number": "6591000098", "recorded_at": "2026-12-03T07:03:00+00:00"}),
        json.dumps({"number": "+6591000097", "status": "rejected", "error": "caf\u00e9"}, ensure_ascii=True),
        json.dumps({"batch": 9, "number": "6591000096", "status": "skipped", "recorded_at": T2}) + "\r",
    ]
    results.write_text(results.read_text() + "\n".join(extra) + "\n")
    fast, slow = pages_both_ways(monkeypatch, campaign)
    assert fast == slow
    assert (fast["funnel"]["accepted"], fast["funnel"]["rejected"], fast["funnel"]["skipped"]) == (9, 4, 1)
    assert {"reason": "café", "stage": "send", "count": 1} in fast["failures_by_reason"]
    assert fast["timeline"][-2:] == [
        {"minute": "2026-12-03T07:02:00Z", "accepted": 1, "delivered": 1, "failed": 1},
        {"minute": "2026-12-03T07:03:00Z", "accepted": 1, "delivered": 0, "failed": 0},
    ]


def test_many_chunks_read_fast_equal_the_line_by_line_read(monkeypatch, tmp_path):
    """Chunks of a few hundred bytes: lines cut at chunk ends, minutes the samples may miss."""
    rows = []
    for n in range(400):
        minute = f"2026-12-03T07:{(n * 7) % 13:02d}:05Z"  # interleaved minutes
        rows.append(
            (
                n // 10,
                rejected(f"4479{n:08d}", f"r{n % 3}") if n % 9 == 0 else accepted(f"6591{n:06d}", n),
                minute,
            )
        )
    results = write_results(tmp_path / "results.jsonl", rows)
    report = tmp_path / "report.jsonl"
    outcomes = ("delivered", "failed", "pending")
    write_report(
        report,
        [
            MessageStatus(
                f"m-{n}",
                outcomes[n % 3],
                f"1242555{n:04d}",
                None,
                f"x{n % 2}",
                f"2026-12-03T07:{n % 17:02d}:00Z",
            )
            for n in range(400)
        ],
    )
    monkeypatch.setattr(lines, "CHUNK_BYTES", 700)
    monkeypatch.setattr(lines, "_SAMPLE_STRIDE", 300)
    calls: Counter[str] = Counter()
    for name in ("_add_missed_minutes", "_parse_chunk"):
        monkeypatch.setattr(lines, name, counted(calls, name, getattr(lines, name)))
    campaign_page(record(results, str(report)), IDENTITY)
    # the fast read counted every chunk, some of them after a search for minutes the samples missed
    assert calls["_add_missed_minutes"] > 0 and calls["_parse_chunk"] == 0
    fast, slow = pages_both_ways(monkeypatch, record(results, str(report)))
    assert fast == slow
    assert fast["funnel"]["accepted"] == 400 - 45 and fast["funnel"]["failed"] == 133
    assert fast["failures_by_country"] == [{"country": "BS", "count": 133}, {"country": "GB", "count": 45}]


def test_the_fast_path_reads_few_lines_one_by_one(campaign):
    source = campaign_page(campaign, IDENTITY)["source"]
    assert source["results"]["parsed_lines"] == 3  # the rejected lines only
    assert source["report"]["parsed_lines"] == 1  # the failed line only


# ----- files that cannot be read ------------------------------------------------------------------


def test_a_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "gone.jsonl")
    with pytest.raises(CampaignFileMissingError, match=r"results file .*gone\.jsonl does not exist") as error:
        campaign_page(record(missing), IDENTITY)
    assert error.value.path == missing


def test_a_line_that_is_not_json_is_named_with_its_number(campaign):
    path = Path(campaign["report_path"])
    path.write_text(path.read_text() + '{"message_id": "m-9", "outcome": "failed", "reason": \n')
    with pytest.raises(CampaignFileUnreadableError, match=r"delivery report .* line 8 is not a JSON object"):
        campaign_page(campaign, IDENTITY)


def test_an_object_storage_url_is_shown_without_its_credentials():
    url = "s3://AKIAEXAMPLE:wJalrSECRET@bucket/campaigns/results.jsonl"
    assert shown_path(url) == "s3://***@bucket/campaigns/results.jsonl"
    with pytest.raises(CampaignFileUnreadableError) as error:
        campaign_page(record("nosuchfs://AKIAEXAMPLE:wJalrSECRET@bucket/r.jsonl"), IDENTITY)
    assert "SECRET" not in str(error.value) and "AKIAEXAMPLE" not in str(error.value)
    assert "nosuchfs://***@bucket/r.jsonl cannot be opened" in str(error.value)


def test_a_missing_object_is_missing(tmp_path):
    with pytest.raises(CampaignFileMissingError, match="does not exist"):
        campaign_page(record(f"file://{tmp_path}/gone.jsonl"), IDENTITY)


def test_an_object_storage_url_reads_as_the_local_path(monkeypatch, campaign):
    """Through ObjectStoragePath (fsspec), in chunks that cut lines: its seeks back re-read them."""
    monkeypatch.setattr(lines, "CHUNK_BYTES", 300)
    local = campaign_page(campaign, IDENTITY)
    as_urls = {**campaign, **{key: f"file://{campaign[key]}" for key in ("results_path", "report_path")}}
    remote = campaign_page(as_urls, IDENTITY)
    assert remote["campaign"]["results_path"] == f"file://{campaign['results_path']}"
    for page in (local, remote):
        page.pop("source")
        page.pop("campaign")
    assert remote == local
