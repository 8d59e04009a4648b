"""A long send says how far it is: a line every 10 s or 10 % of the recipients, counts only."""

from __future__ import annotations

import logging

from airflow_provider_nxcloud.campaign.progress_log import ProgressLog
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from tests.operators.conftest import numbers

LOGGER = "airflow_provider_nxcloud.campaign.progress_log"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_each_tenth_of_the_recipients_or_each_ten_seconds(caplog):
    clock = Clock()
    progress = ProgressLog("buka", 10_000, clock=clock)
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock.now += 1
    assert not progress.note(900, 0, 0)  # under a tenth, under ten seconds
    assert progress.note(1_000, 0, 0)  # a tenth
    assert not progress.note(1_500, 0, 0)
    clock.now += 10
    assert progress.note(1_600, 0, 1)  # ten seconds since the last line
    assert progress.note(3_500, 100, 1)  # past two tenths at once: one line
    assert not progress.note(3_700, 100, 1)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == (
        "buka campaign: 1,000 of 10,000 (10%) recipients answered: 1,000 accepted, 0 rejected, "
        "0 batch(es) in doubt; 1000 recipients/s, about 9 s left"
    )
    assert lines[1].startswith("buka campaign: 1,600 of 10,000 (16%) recipients answered: 1,600 accepted")
    assert "1 batch(es) in doubt; 145 recipients/s, about 58 s left" in lines[1]
    assert len(lines) == 3 and "3,600 of 10,000 (36%)" in lines[2] and "100 rejected" in lines[2]


def test_without_a_total_only_time_makes_a_line_due():
    clock = Clock()
    unknown = ProgressLog("fonedynamics", None, clock=clock)
    assert not unknown.note(9_999_999, 0, 0)  # no total: only time makes a line due
    clock.now += 10
    assert unknown.note(10_000_000, 0, 0)


def test_the_retry_rate_counts_only_this_tries_answers(caplog):
    clock = Clock()
    caplog.set_level(logging.INFO, logger=LOGGER)
    progress = ProgressLog("nxcloud", 10_000, done_before=5_000, clock=clock)
    clock.now += 10
    assert progress.note(5_500, 0, 0)
    assert "5,500 of 10,000 (55%)" in caplog.text and "50 recipients/s, about 1 min 30 s left" in caplog.text


def test_a_campaign_logs_its_progress_with_counts_and_no_numbers(nxcloud_simulator, task_run, caplog):
    recipients = numbers(2_501)
    caplog.set_level(logging.INFO, logger=LOGGER)
    summary = BukaSendSmsOperator(task_id="send", text="Sale at noon", recipients=recipients).execute(
        task_run.context()
    )
    assert summary["accepted"] == 2_501
    lines = [record.getMessage() for record in caplog.records if record.name == LOGGER]
    # batches of 1,000: 40 %, 80 % and the end each pass a tenth
    assert [line.split(" recipients answered")[0] for line in lines] == [
        "buka campaign: 1,000 of 2,501 (40%)",
        "buka campaign: 2,000 of 2,501 (80%)",
        "buka campaign: 2,501 of 2,501 (100%)",
    ]
    assert not any(number in caplog.text for number in recipients)
