"""Suppression lists, quiet hours and the balance check of the send operators, against the simulator."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred
from airflow.providers.standard.triggers.temporal import DateTimeTrigger

from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import RetryableAPIError
from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator, BukaSendSmsOperator
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator, NXCloudSendVoiceOperator
from airflow_provider_nxcloud.testing.accounts import CONNECTION_ENV_VARS
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from airflow_provider_nxcloud.testing.clock import SimClock
from tests.operators.conftest import TaskRun, numbers

TEXT = "Flash sale starts at noon"


def buka(**kwargs: Any) -> BukaSendSmsOperator:
    return BukaSendSmsOperator(task_id="send", text=TEXT, **kwargs)


def sent(sim: Any, platform: str = "buka") -> Counter[str]:
    return Counter(entry.recipient.lstrip("+") for entry in sim.ledger.entries(platform=platform, kind="sms"))


def statuses(results: Any) -> Counter[str]:
    return Counter(line["status"] for line in read_results(results))


# ----- suppression list ----------------------------------------------------------------------------


def test_suppressed_numbers_are_never_sent_and_written_once_as_suppressed(
    nxcloud_simulator, task_run, tmp_path
):
    recipients = numbers(2500)
    opted_out = recipients[::25]  # 100, spread over every batch
    listed = tmp_path / "opt-out.txt"
    # written as people type them: the same numbers as the recipients once normalised
    listed.write_text(
        "number\n" + "\n".join(f"+{n[:2]} {n[2:6]} {n[6:]}" for n in opted_out) + "\nnot a number\n"
    )
    results = tmp_path / "results.jsonl"
    op = buka(recipients=recipients, suppression_list=str(listed), results_path=str(results))
    nxcloud_simulator.faults.set(at={2: "vendor_busy"})  # the second sendSms: -18, retryable
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())

    summary = op.execute(task_run.retry())
    to_send = [n for n in recipients if n not in set(opted_out)]
    assert sent(nxcloud_simulator) == Counter(to_send)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["suppressed"], summary["invalid"]) == (2400, 100, 0)
    lines = list(read_results(results))
    assert Counter(line["number"] for line in lines) == Counter(recipients)  # each recipient once
    assert sorted(line["number"] for line in lines if line["status"] == "suppressed") == sorted(opted_out)

    # the task cleared and run again: nothing sent, no line written twice
    again = op.execute(task_run.retry())
    assert nxcloud_simulator.ledger.count() == 2400
    assert again["suppressed"] == 100 and again["results_lines"] == 2500
    assert statuses(results) == Counter({"accepted": 2400, "suppressed": 100})


def test_e164_platform_matches_the_list_whatever_way_numbers_are_written(nxcloud_simulator, task_run):
    op = FoneDynamicsSendSmsOperator(
        task_id="send",
        text=TEXT,
        recipients=["+65 9000 0001", "6590000002", "0065 9000 0003"],
        suppression_list="6590000001, +65 9000 0003",
    )
    summary = op.execute(task_run.context())
    assert sent(nxcloud_simulator, "fonedynamics") == Counter(["6590000002"])
    assert (summary["accepted"], summary["suppressed"], summary["invalid"]) == (1, 2, 0)


def test_a_suppression_list_that_cannot_be_read_fails_before_any_request(
    nxcloud_simulator, task_run, tmp_path
):
    op = buka(recipients=numbers(3), suppression_list=str(tmp_path / "missing.txt"))
    with pytest.raises(AirflowFailException, match="suppression_list: cannot read"):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_email_refuses_number_screening(nxcloud_simulator, task_run):
    op = BukaSendEmailOperator(
        task_id="send",
        recipients=["a@example.com"],
        subject="s",
        template_id=1001,
        from_address=DEFAULT_EMAIL_SENDER,
        suppression_list=[],
    )
    with pytest.raises(AirflowFailException, match="suppression_list: applies to phone numbers"):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


# ----- quiet hours -------------------------------------------------------------------------------

#: 23:00 in Singapore, 10:00 in New York
SGT_23 = pendulum.datetime(2026, 12, 3, 15, 0, tz="UTC")
#: 08:00 in Singapore: its window opens
SGT_08 = pendulum.datetime(2026, 12, 4, 0, 0, tz="UTC")
SINGAPORE = numbers(1500)
NEW_YORK = [f"1212736{5000 + i}" for i in range(1, 1201)]


def fixed_clock(at: pendulum.DateTime) -> SimClock:
    """A clock that moves only by advance()."""
    return SimClock(time_scale=0, wall=at.timestamp)


def quiet(clock: SimClock, **kwargs: Any) -> BukaSendSmsOperator:
    op = buka(recipients=[*SINGAPORE, *NEW_YORK], quiet_hours=("21:00", "08:00"), **kwargs)
    op.clock = clock.now
    return op


def test_deferrable_holds_singapore_at_night_sends_new_york_then_resumes_when_the_window_opens(
    nxcloud_simulator, task_run, tmp_path
):
    clock = fixed_clock(SGT_23)
    results = tmp_path / "results.jsonl"
    opted_out = [SINGAPORE[0], NEW_YORK[0]]
    op = quiet(clock, deferrable=True, results_path=str(results), suppression_list=opted_out)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(task_run.context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, DateTimeTrigger) and trigger.moment == SGT_08
    assert deferred.value.method_name == "resume_after_quiet_hours"
    assert sent(nxcloud_simulator) == Counter(NEW_YORK[1:])  # none of Singapore's at 23:00 local
    # the suppressed are recorded at once, whatever their zone
    assert statuses(results) == Counter({"accepted": 1199, "suppressed": 2})

    clock.advance(SGT_08.timestamp() - SGT_23.timestamp())
    summary = op.resume_after_quiet_hours(task_run.context(), {"status": "success"})
    assert sent(nxcloud_simulator) == Counter([*SINGAPORE[1:], *NEW_YORK[1:]])
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["suppressed"], summary["resumed_batches"]) == (2698, 2, 3)
    assert Counter(line["number"] for line in read_results(results)) == Counter([*SINGAPORE, *NEW_YORK])
    assert statuses(results) == Counter({"accepted": 2698, "suppressed": 2})


def test_in_the_worker_the_task_sleeps_until_the_window_opens(nxcloud_simulator, task_run):
    clock = fixed_clock(SGT_23)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    op = quiet(clock, deferrable=False)
    op.sleep = sleep
    summary = op.execute(task_run.context())
    assert slept == [9 * 3600]
    assert sent(nxcloud_simulator) == Counter([*SINGAPORE, *NEW_YORK])
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["accepted"] == 2700


def test_a_retry_during_quiet_hours_sends_nothing_twice(nxcloud_simulator, task_run):
    clock = fixed_clock(SGT_23)
    op = quiet(clock, deferrable=True)
    nxcloud_simulator.faults.set(at={2: "vendor_busy"})  # New York's second batch
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 1000
    with pytest.raises(TaskDeferred):
        op.execute(task_run.retry())
    assert sent(nxcloud_simulator) == Counter(NEW_YORK)

    clock.advance(SGT_08.timestamp() - SGT_23.timestamp())
    op.resume_after_quiet_hours(task_run.context())
    assert sent(nxcloud_simulator) == Counter([*SINGAPORE, *NEW_YORK])
    assert nxcloud_simulator.ledger.duplicates() == {}


#: 14:00 in Singapore, 01:00 in New York
SGT_14 = pendulum.datetime(2026, 12, 3, 6, 0, tz="UTC")
#: 08:00 in New York (EST)
EST_08 = pendulum.datetime(2026, 12, 3, 13, 0, tz="UTC")


def test_held_batches_before_recorded_ones_and_concurrent_sends_resume_exactly_once(
    nxcloud_simulator, task_run, monkeypatch
):
    # New York's group sorts first (batches 0-1) and is held; Singapore's (2-3) is sent, four at a time
    name = CONNECTION_ENV_VARS["buka"]
    conn = json.loads(nxcloud_simulator.connection_env()[name])
    conn["extra"].update(max_concurrency=4)
    monkeypatch.setenv(name, json.dumps(conn))
    clock = fixed_clock(SGT_14)
    op = quiet(clock, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(task_run.context())
    assert deferred.value.trigger.moment == EST_08
    assert sent(nxcloud_simulator) == Counter(SINGAPORE)

    clock.advance(EST_08.timestamp() - SGT_14.timestamp())
    summary = op.resume_after_quiet_hours(task_run.context())
    assert sent(nxcloud_simulator) == Counter([*SINGAPORE, *NEW_YORK])
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["resumed_batches"]) == (2700, 2)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (("21:00",), "a window is"),
        (("25:00", "08:00"), "'25:00' is not a local time"),
        (("08:00", "08:00"), "the window starts and ends at 08:00"),
        ({"Singapore": ("21:00", "08:00")}, "keys are two-letter regions"),
    ],
)
def test_bad_quiet_hours_fail_before_any_request(nxcloud_simulator, task_run, value, problem):
    with pytest.raises(AirflowFailException, match=f"quiet_hours: {problem}"):
        buka(recipients=numbers(3), quiet_hours=value).execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_quiet_hours_per_region(nxcloud_simulator, task_run):
    clock = fixed_clock(SGT_23)
    # New York has the window, Singapore none: at 23:00 SGT / 10:00 EST everyone is sendable
    op = buka(recipients=[*SINGAPORE[:5], *NEW_YORK[:5]], quiet_hours={"US": ("22:00", "07:00")})
    op.clock = clock.now
    assert op.execute(task_run.context())["accepted"] == 10


# ----- balance check -----------------------------------------------------------------------------


def test_an_estimate_above_the_balance_fails_before_the_first_send(nxcloud_simulator, task_run):
    op = buka(recipients=numbers(2500), balance_check=True, price_per_message=0.5)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    message = str(failed.value)
    assert message.startswith(
        "balance_check: the estimated cost 1250.0 (2500 messages x price_per_message 0.5;"
    )
    assert "above the buka account balance 1000.00; nothing was sent" in message
    assert nxcloud_simulator.requests.count("buka", "balance") == 1
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 0
    assert isinstance(failed.value, AirflowFailException)


def test_suppressed_recipients_are_not_in_the_estimate(nxcloud_simulator, task_run):
    recipients = numbers(2500)
    op = buka(
        recipients=recipients, suppression_list=recipients[:500], balance_check=True, price_per_message="0.5"
    )
    summary = op.execute(task_run.context())  # 2000 x 0.5 = 1000: within the 1000.00 balance
    assert summary["accepted"] == 2000
    assert nxcloud_simulator.requests.count("buka", "balance") == 1


def test_a_retry_estimates_only_what_is_left_to_send(nxcloud_simulator, task_run):
    recipients = numbers(2500)
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # 2000 accepted, then a retryable error
    with pytest.raises(RetryableAPIError):
        buka(recipients=recipients).execute(task_run.context())
    # 2500 x 0.45 = 1125 would be above the balance; the 500 left cost 225
    summary = buka(recipients=recipients, balance_check=True, price_per_message=0.45).execute(
        task_run.retry()
    )
    assert summary["accepted"] == 2500 and nxcloud_simulator.ledger.duplicates() == {}


def test_nxcloud_checks_its_balance(nxcloud_simulator, task_run):
    op = NXCloudSendSmsOperator(
        task_id="send", text=TEXT, recipients=numbers(10), balance_check=True, price_per_message=101
    )
    with pytest.raises(
        AirflowFailException, match=r"estimated cost 1010 .* above the nxcloud account balance 1000\.00"
    ):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.count("nxcloud", "balance") == 1
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send") == 0


@pytest.mark.parametrize(
    ("make", "kwargs", "problem"),
    [
        (
            FoneDynamicsSendSmsOperator,
            {"price_per_message": 1},
            "balance_check: fonedynamics documents no balance",
        ),
        (BukaSendSmsOperator, {}, "price_per_message: is needed with balance_check=True"),
        (
            BukaSendSmsOperator,
            {"price_per_message": -1},
            "price_per_message: must be a finite amount above 0",
        ),
        (BukaSendSmsOperator, {"balance_check": "yes"}, "balance_check: must be True or False"),
    ],
)
def test_a_balance_check_that_cannot_be_made_fails_before_any_request(
    nxcloud_simulator, task_run, make, kwargs, problem
):
    kwargs = {"balance_check": True, **kwargs}
    op = make(task_id="send", text=TEXT, recipients=numbers(3), **kwargs)
    with pytest.raises(AirflowFailException, match=problem):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_price_without_the_check_is_refused(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="price_per_message: is only used with balance_check=True"):
        buka(recipients=numbers(3), price_per_message=0.1).execute(task_run.context())


def test_without_the_features_the_summary_is_unchanged(nxcloud_simulator, task_run: TaskRun):
    summary = buka(recipients=numbers(3)).execute(task_run.context())
    assert "suppressed" not in summary and nxcloud_simulator.requests.count("buka", "balance") == 0


def test_nxcloud_voice_batches_still_hold_one_country_each(nxcloud_simulator, task_run, tmp_path):
    malaysia = ["60123456789", "60123456788"]
    recipients = [SINGAPORE[0], malaysia[0], SINGAPORE[1], malaysia[1], SINGAPORE[2]]
    results = tmp_path / "results.jsonl"
    op = NXCloudSendVoiceOperator(
        task_id="call",
        text="Your appointment is tomorrow at ten",
        language="en",
        display_number="6561234567",
        recipients=recipients,
        suppression_list=[SINGAPORE[1]],
        quiet_hours={"SG": ("21:00", "08:00")},
        results_path=str(results),
    )
    op.clock = fixed_clock(SGT_14).now  # 14:00 in Singapore: open
    summary = op.execute(task_run.context())
    by_request: dict[str, set[str]] = {}
    for entry in nxcloud_simulator.ledger.entries(kind="voice"):
        by_request.setdefault(entry.vendor_id, set()).add(entry.details["country_code"])
    assert sorted(map(sorted, by_request.values())) == [["60"], ["65"]]
    called = Counter(entry.recipient for entry in nxcloud_simulator.ledger.entries(kind="voice"))
    assert called == Counter([SINGAPORE[0], SINGAPORE[2], *malaysia])
    assert (summary["accepted"], summary["suppressed"]) == (4, 1)
    assert statuses(results) == Counter({"accepted": 4, "suppressed": 1})
