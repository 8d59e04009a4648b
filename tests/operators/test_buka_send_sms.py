"""BukaSendSmsOperator against the simulator: chunking, exactly-once across retries, bad input."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, RetryableAPIError
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from tests.operators.conftest import TaskRun, numbers

TEXT = "Flash sale starts at noon"


def operator(**kwargs) -> BukaSendSmsOperator:
    kwargs.setdefault("text", TEXT)
    return BukaSendSmsOperator(task_id="send", **kwargs)


def sent_numbers(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))


def test_campaign_is_chunked_to_the_vendor_limit(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(2501)
    results = tmp_path / "out" / "results.jsonl"
    summary = operator(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert nxcloud_simulator.requests.count("buka", "sms_send") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["rejected"], summary["batches"]) == (2501, 0, 3)
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert {line["status"] for line in lines} == {"accepted"}
    ledger_ids = {entry.vendor_id for entry in nxcloud_simulator.ledger.entries()}
    assert {line["vendor_id"] for line in lines} == ledger_ids
    references = [entry.client_reference for entry in nxcloud_simulator.ledger.entries()]
    assert len(set(references)) == 2501
    assert not (tmp_path / "out" / "results.jsonl.parts").exists()
    assert len(summary["vendor_ids"]) == 100
    json.dumps(summary)  # the XCom value is plain JSON


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(3500)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third sendSms: -18
    op = operator(recipients=recipients, results_path=str(results))
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 2000

    summary = op.execute(task_run.retry())
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["resumed_batches"] == 2 and summary["accepted"] == 3500
    assert [line["number"] for line in read_results(results)] == recipients


# reset_after: the connection drops; http_503_after: a gateway answers 503 after forwarding
@pytest.mark.parametrize("fault", ["reset_after", "http_503_after"])
def test_lost_answer_is_settled_by_the_sent_records_and_never_resent(nxcloud_simulator, task_run, fault):
    recipients = numbers(2500)
    nxcloud_simulator.faults.set(at={2: fault})  # batch 1 accepted, its answer lost
    summary = operator(recipients=recipients, settle_delay=0.2).execute(task_run.context())
    # getSentRcd lists every number of batch 1 within its request's seconds: no person needed
    assert summary["resolved_batches"] == 1 and summary["accepted"] == 2500
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_request_dropped_unprocessed_fails_naming_the_batch_and_is_never_resent(nxcloud_simulator, task_run):
    recipients = numbers(2500)
    nxcloud_simulator.faults.set(at={2: "reset_before"})  # batch 1 never reached the vendor
    op = operator(recipients=recipients, settle_delay=0.2)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert "batch 1 (recipients 1001-2000" in str(failed.value)
    assert nxcloud_simulator.ledger.count() == 1000

    # A plain retry still refuses to guess...
    with pytest.raises(AirflowFailException, match="batch 1"):
        op.execute(task_run.retry())
    assert nxcloud_simulator.ledger.count() == 1000
    # ...until a person decides on that batch (it did not go out).
    summary = operator(
        recipients=recipients,
        in_doubt_decisions={failed.value.__cause__.reference: "resend"},
        settle_delay=0.2,
    ).execute(task_run.retry())
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["accepted"] == 2500


def test_rate_limited_batch_is_retried_in_hook(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.set(at={1: "vendor_rate_limit", 2: "http_429"})
    summary = operator(recipients=numbers(10)).execute(task_run.context())
    assert summary["accepted"] == 10
    assert nxcloud_simulator.ledger.count() == 10
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 3


def test_invalid_number_fails_before_anything_is_sent(nxcloud_simulator, task_run, tmp_path):
    recipients = [*numbers(1500), "12345"]
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=recipients).execute(task_run.context())
    assert "recipients: entry 1501" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def test_invalid_numbers_can_be_skipped_and_reported(nxcloud_simulator, task_run, tmp_path):
    source = tmp_path / "recipients.txt"
    source.write_text("\n".join([*numbers(3), "not-a-number", numbers(1)[0]]) + "\n")
    summary = operator(recipients=str(source), on_invalid="skip").execute(task_run.context())
    assert (summary["accepted"], summary["invalid"], summary["duplicates"]) == (3, 1, 1)
    assert nxcloud_simulator.ledger.count() == 3


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 1025}, "text"),
        ({"sender_id": "S" * 33}, "sender_id"),
        ({"recipients": []}, "recipients"),
        ({"in_doubt": "maybe"}, "in_doubt"),
        ({"on_invalid": "ignore"}, "on_invalid"),
    ],
)
def test_bad_input_names_the_parameter_and_sends_nothing(nxcloud_simulator, task_run, kwargs, parameter):
    kwargs = {"recipients": numbers(2), **kwargs}
    with pytest.raises(AirflowFailException) as failed:
        operator(**kwargs).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_permanent_vendor_error_fails_without_retry(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="code -32"):
        operator(recipients=numbers(2), app_id="someone-elses-app").execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 1


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = BukaSendSmsOperator(task_id="t", recipients="{{ params.file }}", text="{{ params.text }}")
    assert (op.recipients, op.text) == ("{{ params.file }}", "{{ params.text }}")
    assert set(op.template_fields) >= {"recipients", "text", "app_id", "sender_id", "results_path"}
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_have_distinct_references(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    operator(recipients=numbers(2)).execute(first.context())
    operator(recipients=numbers(2)).execute(second.context())
    references = {entry.client_reference for entry in nxcloud_simulator.ledger.entries()}
    assert len(references) == 4


# ----- personalised: a text per number through sendSms/batch ---------------------------------


def personal(count: int) -> list[dict[str, str]]:
    return [
        {"number": number, "text": f"Hi {number[-4:]}, your code is {i}"}
        for i, number in enumerate(numbers(count))
    ]


def sent_messages(sim) -> Counter:
    return Counter(
        (entry.recipient, entry.content) for entry in sim.ledger.entries(platform="buka", kind="sms")
    )


def expected(messages: list[dict[str, str]]) -> Counter:
    return Counter((message["number"], message["text"]) for message in messages)


def test_personalised_list_sends_each_number_its_own_text(nxcloud_simulator, task_run):
    messages = personal(5)
    summary = operator(recipients=messages, text=None, sender_id="SHOP").execute(task_run.context())
    assert summary["accepted"] == 5
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 1
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 0
    assert sent_messages(nxcloud_simulator) == expected(messages)
    assert {entry.sender for entry in nxcloud_simulator.ledger.entries()} == {"SHOP"}
    assert len({entry.client_reference for entry in nxcloud_simulator.ledger.entries()}) == 5


def test_personalised_jsonl_file(nxcloud_simulator, task_run, tmp_path):
    messages = personal(4)
    source = tmp_path / "messages.jsonl"
    source.write_text("\n".join(json.dumps(message) for message in messages) + "\n", encoding="utf-8")
    summary = operator(recipients=str(source), text=None).execute(task_run.context())
    assert summary["accepted"] == 4
    assert sent_messages(nxcloud_simulator) == expected(messages)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_personalised_csv_file_with_a_quoted_comma(nxcloud_simulator, task_run, tmp_path):
    first, second = numbers(2)
    source = tmp_path / "messages.csv"
    source.write_text(f'number,text\n{first},"Hello, Ann"\n{second},Plain text\n', encoding="utf-8")
    operator(recipients=str(source), text=None).execute(task_run.context())
    assert sent_messages(nxcloud_simulator) == Counter({(first, "Hello, Ann"): 1, (second, "Plain text"): 1})


def test_personalised_campaign_is_chunked_to_the_limit(nxcloud_simulator, task_run):
    messages = personal(2001)
    summary = operator(recipients=messages, text=None).execute(task_run.context())
    assert nxcloud_simulator.requests.count("buka", "sms_send_batch") == 3
    assert (summary["accepted"], summary["batches"]) == (2001, 3)
    assert sent_messages(nxcloud_simulator) == expected(messages)


def test_personalised_retry_resumes_without_duplicates(nxcloud_simulator, task_run):
    messages = personal(2500)
    nxcloud_simulator.faults.set(at={2: "vendor_busy"})
    op = operator(recipients=messages, text=None)
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 1000

    summary = op.execute(task_run.retry())
    assert summary["resumed_batches"] == 1 and summary["accepted"] == 2500
    assert sent_messages(nxcloud_simulator) == expected(messages)
    assert nxcloud_simulator.ledger.duplicates() == {}


@pytest.mark.parametrize("bad_text", ["x" * 1025, "", "   "])
def test_bad_personal_text_fails_naming_the_entry_before_sending(nxcloud_simulator, task_run, bad_text):
    messages = personal(1500)
    messages[1200]["text"] = bad_text
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=messages, text=None).execute(task_run.context())
    assert str(failed.value).startswith("recipients: entry 1201")
    assert "x" * 1025 not in str(failed.value)
    assert messages[1200]["number"] not in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def test_text_and_personal_texts_fail_naming_text(nxcloud_simulator, task_run, tmp_path):
    source = tmp_path / "messages.jsonl"
    source.write_text("\n".join(json.dumps(message) for message in personal(2)) + "\n", encoding="utf-8")
    for recipients in (personal(2), str(source)):
        with pytest.raises(AirflowFailException) as failed:
            operator(recipients=recipients, text=TEXT).execute(task_run.context())
        assert str(failed.value).startswith("text")
    assert nxcloud_simulator.requests.total() == 0


def test_neither_text_nor_personal_texts_fails_naming_text(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=numbers(2), text=None).execute(task_run.context())
    assert str(failed.value).startswith("text")
    assert nxcloud_simulator.requests.total() == 0


def test_contact_the_admin_is_not_retried(nxcloud_simulator, task_run):
    """SMS -12 asks the caller to contact Buka's admin: no retry (hook or task) can clear it."""
    nxcloud_simulator.faults.next_code("-12", endpoint="sms_send", platform="buka")
    with pytest.raises(AirflowFailException, match="-12"):
        operator(recipients=numbers(2)).execute(task_run.context())
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 1
    assert nxcloud_simulator.ledger.count() == 0
