"""A send operator's recipients across tries: unordered sources refused, a changed file refused, nothing sent.

The simulator's ledger is the proof: lost = a recipient never accepted, duplicated =
accepted twice. The bug these guard against resumed a retry by batch position over a
source that read differently, and the task succeeded with thousands of each.
"""

from __future__ import annotations

from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import InvalidInputError, RetryableAPIError, SourceChangedError
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from tests.operators.conftest import numbers

TEXT = "Flash sale starts at noon"


def buka_sms(**kwargs) -> BukaSendSmsOperator:
    kwargs.setdefault("text", TEXT)
    return BukaSendSmsOperator(task_id="send", **kwargs)


def sent(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))


def write(path, recipients: list[str]) -> str:
    path.write_text("".join(f"{number}\n" for number in recipients))
    return str(path)


UNORDERED = [
    pytest.param(set, id="set"),
    pytest.param(frozenset, id="frozenset"),
    pytest.param(lambda items: dict.fromkeys(items).keys(), id="dict-keys"),
    pytest.param(lambda items: dict(enumerate(items)).values(), id="dict-values"),
]


@pytest.mark.parametrize("unordered", UNORDERED)
def test_an_unordered_recipients_source_is_refused_before_any_request(nxcloud_simulator, task_run, unordered):
    with pytest.raises(AirflowFailException) as failed:
        buka_sms(recipients=unordered(numbers(20))).execute(task_run.context())
    cause = failed.value.__cause__
    assert isinstance(cause, InvalidInputError) and cause.parameter == "recipients"
    assert "no stable order" in str(cause) and "sorted(...)" in str(cause)
    assert nxcloud_simulator.requests.total() == 0


def test_a_sorted_set_is_sent_once_each(nxcloud_simulator, task_run):
    recipients = set(numbers(20))
    summary = buka_sms(recipients=sorted(recipients)).execute(task_run.context())
    assert sent(nxcloud_simulator) == Counter(recipients) and summary["accepted"] == 20


def test_the_error_names_the_operators_own_parameter(nxcloud_simulator, task_run):
    operator = NXCloudNumberCheckOperator(task_id="check", numbers=set(numbers(5)))
    with pytest.raises(AirflowFailException) as failed:
        operator.execute(task_run.context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == "numbers"
    assert nxcloud_simulator.requests.total() == 0


def test_a_file_edited_between_tries_is_refused_before_sending(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(3500)
    source = write(tmp_path / "recipients.txt", recipients)
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third sendSms: -18, retryable
    op = buka_sms(recipients=source, results_path=str(tmp_path / "results.jsonl"))
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 2000  # batches 0 and 1

    # someone removes one number near the top: every later number moves up one place
    write(tmp_path / "recipients.txt", recipients[:10] + recipients[11:])
    before = nxcloud_simulator.requests.total()
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.retry())

    cause = failed.value.__cause__
    assert isinstance(cause, SourceChangedError) and cause.parameter == "recipients"
    assert (cause.first_batch, cause.last_batch) == (0, 0)
    assert "recipients: changed between tries: batch 0 (recipients 1-1000 " in str(failed.value)
    assert nxcloud_simulator.requests.total() == before  # not one request, not even a lookup
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert sent(nxcloud_simulator) == Counter(recipients[:2000])


def test_an_unchanged_file_resumes_with_only_the_remaining_batches(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(3500)
    results = tmp_path / "results.jsonl"
    op = buka_sms(recipients=write(tmp_path / "recipients.txt", recipients), results_path=str(results))
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    before = nxcloud_simulator.requests.count("buka", "sms_send")

    summary = op.execute(task_run.retry())

    assert nxcloud_simulator.requests.count("buka", "sms_send") - before == 2  # batches 2 and 3
    assert summary["resumed_batches"] == 2 and summary["accepted"] == 3500
    assert sent(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert [line["number"] for line in read_results(results)] == recipients


def test_numbers_appended_after_the_recorded_batches_are_no_change_to_them(
    nxcloud_simulator, task_run, tmp_path
):
    recipients = numbers(3501)
    source = tmp_path / "recipients.txt"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})
    op = buka_sms(recipients=write(source, recipients[:3500]))
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())

    write(source, recipients)
    summary = op.execute(task_run.retry())

    assert summary["resumed_batches"] == 2 and summary["accepted"] == 3501
    assert sent(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_resume_by_position_is_the_users_explicit_choice(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(3500)
    source = tmp_path / "recipients.txt"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})
    with pytest.raises(RetryableAPIError):
        buka_sms(recipients=write(source, recipients)).execute(task_run.context())
    # two numbers of the sent batch 0 swap places: the same people, but not the same batch
    write(source, [recipients[1], recipients[0], *recipients[2:]])
    with pytest.raises(AirflowFailException, match="batch 0"):
        buka_sms(recipients=str(source)).execute(task_run.retry())

    summary = buka_sms(recipients=str(source), source_changed="resume_by_position").execute(task_run.retry())

    assert summary["resumed_batches"] == 2 and summary["accepted"] == 3500
    assert sent(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_an_unknown_source_changed_value_fails_naming_it_before_any_request(nxcloud_simulator, task_run):
    op = NXCloudSendSmsOperator(task_id="send", recipients=numbers(3), text=TEXT, source_changed="ignore")
    with pytest.raises(AirflowFailException, match="source_changed"):
        op.execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_a_number_check_run_again_over_other_numbers_fails_naming_numbers(nxcloud_simulator, monkeypatch):
    """The number check has its own campaign wiring: a cleared task re-run over an edited list."""
    from airflow_provider_nxcloud.platforms import nxcloud as vendor
    from tests.operators.conftest import TaskRun

    monkeypatch.setattr(vendor, "NUMBER_CHECK_MAX_NUMBERS", 2)
    monkeypatch.setattr(vendor, "NUMBER_CHECK_SUBMIT_INTERVALS", ((2, 0.0),))
    run, checked = TaskRun(), numbers(5)
    NXCloudNumberCheckOperator(task_id="check", numbers=checked).execute(run.context())
    before = nxcloud_simulator.requests.total()

    edited = [checked[0], "6598888888", *checked[2:]]  # batch 0 holds another number
    with pytest.raises(AirflowFailException) as failed:
        NXCloudNumberCheckOperator(task_id="check", numbers=edited).execute(run.retry())

    cause = failed.value.__cause__
    assert isinstance(cause, SourceChangedError) and cause.parameter == "numbers"
    assert cause.first_batch == 0
    assert nxcloud_simulator.requests.total() == before


def test_an_ai_voice_task_run_again_over_other_customers_fails_naming_customers(nxcloud_simulator):
    """The AI voice import has its own campaign wiring too: a retry over an edited customer list."""
    from airflow_provider_nxcloud.operators.buka_ai_voice import BukaCreateAiVoiceTaskOperator
    from tests.operators.conftest import TaskRun

    def creator(customers: list[str]) -> BukaCreateAiVoiceTaskOperator:
        return BukaCreateAiVoiceTaskOperator(
            task_id="create", name="renewals", dialog_flow_id=7, robot_count=2, line_id=3, customers=customers
        )

    nxcloud_simulator.clock.set_time_scale(0)
    run, customers = TaskRun(), numbers(250)
    creator(customers).execute(run.context())
    imports = nxcloud_simulator.requests.count("buka", "ai_import_customer")

    with pytest.raises(AirflowFailException) as failed:
        creator(customers[1:]).execute(run.retry())  # the first customer taken out: all move up

    cause = failed.value.__cause__
    assert isinstance(cause, SourceChangedError) and cause.parameter == "customers"
    assert nxcloud_simulator.requests.count("buka", "ai_import_customer") == imports
    assert nxcloud_simulator.ledger.duplicates() == {}
