"""NXCloudSendSmsOperator against the simulator: chunking, exactly-once across retries, bad input, APIs."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.nxcloud import NXCloudSmsSender, sys_message_id
from airflow_provider_nxcloud.campaign.progress import campaign_key
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator
from airflow_provider_nxcloud.testing import accounts
from tests.operators.conftest import (
    TaskRun,
    assert_retry_resumes,
    numbers,
)

TEXT = "Flash sale starts at noon"


def operator(**kwargs) -> NXCloudSendSmsOperator:
    kwargs.setdefault("text", TEXT)
    return NXCloudSendSmsOperator(task_id="send", **kwargs)


def sent_numbers(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="nxcloud", kind="sms"))


def key_of(run: TaskRun) -> str:
    ti = run.ti
    return campaign_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


def test_campaign_is_chunked_to_the_vendor_limit(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(250)
    results = tmp_path / "out" / "results.jsonl"
    summary = operator(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v2") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["rejected"], summary["batches"]) == (250, 0, 3)
    assert summary["platform"] == "nxcloud"
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert {line["status"] for line in lines} == {"accepted"}
    assert [line["batch"] for line in lines] == [0] * 100 + [1] * 100 + [2] * 50
    # a multi-number request's one messageid stands for each of its numbers; the
    # vendor's per-number ids (<messageid>-<10 digits>) are in no reply
    entries = nxcloud_simulator.ledger.entries()
    by_number = {entry.recipient: entry for entry in entries}
    for line in lines:
        entry = by_number[line["number"]]
        assert line["vendor_id"] == entry.batch_id
        assert re.fullmatch(re.escape(line["vendor_id"]) + r"-[0-9]{10}", entry.vendor_id)
        assert line["reference"] is None  # nothing was sent: sysMessageId is ignored for several numbers
    assert len({entry.batch_id for entry in entries}) == 3
    assert {entry.endpoint for entry in entries} == {"sms_send_v2"}
    assert {entry.app for entry in entries} == {accounts.NXCLOUD_SMS_APP_KEY}
    assert not (tmp_path / "out" / "results.jsonl.parts").exists()
    json.dumps(summary)  # the XCom value is plain JSON


def test_a_batch_of_one_number_carries_sys_message_id(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(201)
    results = tmp_path / "results.jsonl"
    operator(recipients=recipients, results_path=str(results), sender_id="Shop1").execute(task_run.context())

    last = read_results(results)
    *_, line = last
    expected = sys_message_id(f"{key_of(task_run)}-2-0")
    assert re.fullmatch(r"[0-9A-Za-z-]{10,50}", expected)
    [single] = [e for e in nxcloud_simulator.ledger.entries() if e.batch_id is None]
    assert (single.recipient, single.client_reference, single.vendor_id) == (
        recipients[-1],
        expected,
        line["vendor_id"],
    )
    assert line["reference"] == expected
    assert {e.sender for e in nxcloud_simulator.ledger.entries()} == {"Shop1"}


def test_sys_message_id_is_reshaped_to_the_vendor_charset_and_length():
    assert sys_message_id("abc") == "abc0000000"
    assert sys_message_id("a_b.c:d-e-1") == "a-b-c-d-e-1"
    long_one, other = sys_message_id("x" * 80 + "1"), sys_message_id("x" * 80 + "2")
    assert len(long_one) <= 50 and re.fullmatch(r"[0-9A-Za-z-]+", long_one)
    assert long_one != other


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(350)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third send: code 99
    op = operator(recipients=recipients, results_path=str(results))
    assert_retry_resumes(
        nxcloud_simulator, task_run, op, recipients, results, kind="sms", accepted=200, resumed=2
    )


# reset_after: the connection drops; http_503_after: a gateway answers 503 after forwarding
@pytest.mark.parametrize("fault", ["reset_after", "http_503_after"])
def test_lost_answer_is_settled_by_the_sms_records_and_never_resent(nxcloud_simulator, task_run, fault):
    recipients = numbers(250)
    nxcloud_simulator.faults.set(at={2: fault})  # batch 1 accepted, its answer lost
    summary = operator(recipients=recipients, settle_delay=0.2).execute(task_run.context())
    # getSmsCdr lists batch 1's numbers with the text, within its request's seconds: no person needed
    assert summary["resolved_batches"] == 1 and summary["accepted"] == 250
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v2") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_request_dropped_unprocessed_fails_naming_the_batch_and_is_never_resent(nxcloud_simulator, task_run):
    recipients = numbers(250)
    nxcloud_simulator.faults.set(at={2: "reset_before"})  # batch 1 never reached the vendor
    op = operator(recipients=recipients, settle_delay=0.2)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    assert "batch 1 (recipients 101-200" in str(failed.value)
    assert nxcloud_simulator.ledger.count() == 100
    with pytest.raises(AirflowFailException, match="batch 1"):  # a plain retry cannot tell either
        op.execute(task_run.retry())
    decisions = {failed.value.__cause__.reference: "resend"}
    summary = operator(recipients=recipients, in_doubt_decisions=decisions, settle_delay=0.2).execute(
        task_run.retry()
    )
    assert summary["accepted"] == 250
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_rate_limited_batch_is_retried_in_hook(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.set(at={1: "vendor_rate_limit", 2: "http_429"})
    summary = operator(recipients=numbers(10)).execute(task_run.context())
    assert summary["accepted"] == 10
    assert nxcloud_simulator.ledger.count() == 10
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v2") == 3


def test_v1_api_uses_the_v1_path(nxcloud_simulator, task_run):
    recipients = numbers(150)
    summary = operator(recipients=recipients, api="v1").execute(task_run.context())
    assert summary["accepted"] == 150
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v1") == 2
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v2") == 0
    assert {e.endpoint for e in nxcloud_simulator.ledger.entries()} == {"sms_send_v1"}
    assert sent_numbers(nxcloud_simulator) == Counter(recipients)


def test_legacy_api_sends_the_form_fields(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(101)
    results = tmp_path / "results.jsonl"
    summary = operator(
        recipients=recipients, api="legacy", sender_id="Shop1", results_path=str(results)
    ).execute(task_run.context())
    assert summary["accepted"] == 101
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_legacy") == 2
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v2") == 0
    entries = nxcloud_simulator.ledger.entries()
    assert {e.endpoint for e in entries} == {"sms_send_legacy"}
    # the simulator reads phone, content, source_address and sys_messageid from the form
    assert [e.recipient for e in entries] == recipients
    assert {(e.content, e.sender, e.account) for e in entries} == {
        (TEXT, "Shop1", accounts.NXCLOUD_SMS_APP_KEY)
    }
    assert entries[-1].client_reference == sys_message_id(f"{key_of(task_run)}-1-0")


def test_legacy_form_body_uses_snake_case_fields():
    batch = Batch(0, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 1)
    body = NXCloudSmsSender(None, text="hi", app_key="k", sender_id="S", api="legacy").body(batch)  # type: ignore[arg-type]
    assert body == {
        "appkey": "k",
        "phone": "6591000001",
        "content": "hi",
        "source_address": "S",
        "sys_messageid": "c" * 16 + "-0-0",
    }
    signed = NXCloudSmsSender(None, text="hi", app_key="k", api="v2").body(batch)  # type: ignore[arg-type]
    assert signed == {
        "appKey": "k",
        "phone": "6591000001",
        "content": "hi",
        "sysMessageId": "c" * 16 + "-0-0",
    }


def test_legacy_api_needs_the_app_secret_before_anything_is_sent(nxcloud_simulator, task_run, monkeypatch):
    conn = json.loads(nxcloud_simulator.connection_env()["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    conn["extra"].pop("sms_app_secret")
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    with pytest.raises(AirflowFailException, match="sms_app_secret"):
        operator(recipients=numbers(2), api="legacy").execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_app_key_overrides_the_connection(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="code 1"):
        operator(recipients=numbers(2), app_key="someone-elses-app").execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 1
    assert nxcloud_simulator.ledger.count() == 0


def test_invalid_number_fails_before_anything_is_sent(nxcloud_simulator, task_run):
    recipients = [*numbers(150), "12345"]
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=recipients).execute(task_run.context())
    assert "recipients: entry 151" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"sender_id": "S" * 21}, "sender_id"),
        ({"sender_id": "Shop-1"}, "sender_id"),
        ({"sender_id": ""}, "sender_id"),
        ({"api": "v3"}, "api"),
        ({"api": "V2"}, "api"),
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


def test_content_at_the_limits_is_sent(nxcloud_simulator, task_run):
    summary = operator(recipients=numbers(2), text="x" * 1000, sender_id="S" * 20).execute(task_run.context())
    assert summary["accepted"] == 2


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = NXCloudSendSmsOperator(
        task_id="t", recipients="{{ params.file }}", text="{{ params.text }}", api="nonsense"
    )
    assert (op.recipients, op.text, op.api) == ("{{ params.file }}", "{{ params.text }}", "nonsense")
    assert set(op.template_fields) >= {"recipients", "text", "app_key", "sender_id", "results_path"}
    assert nxcloud_simulator.requests.total() == 0


def test_lookup_of_a_batch_an_earlier_try_sent_cannot_tell():
    # nothing noted by send() in this process: the time of its request is unknown
    batch = Batch(0, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 1)
    assert NXCloudSmsSender(None, text="hi", app_key="k").lookup(batch) is None  # type: ignore[arg-type]


def test_mapped_instances_have_distinct_references(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    operator(recipients=numbers(1)).execute(first.context())
    operator(recipients=numbers(1)).execute(second.context())
    references = {entry.client_reference for entry in nxcloud_simulator.ledger.entries()}
    assert len(references) == 2 and None not in references
