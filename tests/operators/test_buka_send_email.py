"""BukaSendEmailOperator against the simulator: chunking, exactly-once across retries, bad input."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.buka import (
    InvalidAddress,
    normalize_address,
    open_addresses,
    spool_addresses,
)
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, InvalidInputError, RetryableAPIError
from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from tests.operators.conftest import TaskRun

SUBJECT = "Your order has shipped"


def addresses(count: int, domain: str = "example.com") -> list[str]:
    return [f"customer{i:05d}@{domain}" for i in range(1, count + 1)]


def operator(**kwargs) -> BukaSendEmailOperator:
    kwargs.setdefault("subject", SUBJECT)
    kwargs.setdefault("template_id", 1001)
    kwargs.setdefault("from_address", DEFAULT_EMAIL_SENDER)
    return BukaSendEmailOperator(task_id="mail", **kwargs)


def mailed(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="email"))


def test_campaign_is_chunked_to_50_addresses(nxcloud_simulator, task_run, tmp_path):
    recipients = addresses(120)
    results = tmp_path / "out" / "results.jsonl"
    summary = operator(
        recipients=recipients, results_path=str(results), template_data={"name": "Zoë", "code": 7}, ad_flag=2
    ).execute(task_run.context())

    assert nxcloud_simulator.requests.count("buka", "email_send") == 3
    assert mailed(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["rejected"], summary["batches"]) == (120, 0, 3)
    entries = nxcloud_simulator.ledger.entries(kind="email")
    assert {(e.content, e.app, e.sender, e.client_reference) for e in entries} == {
        (SUBJECT, accounts.BUKA_EMAIL_APP_ID, DEFAULT_EMAIL_SENDER, None)
    }
    assert json.loads(entries[0].details["templateData"]) == {"name": "Zoë", "code": 7}
    assert entries[0].details["templateID"] == "1001"
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert {line["vendor_id"] for line in lines} == {e.vendor_id for e in entries}
    assert [line["batch"] for line in lines] == [0] * 50 + [1] * 50 + [2] * 20
    assert not (tmp_path / "out" / "results.jsonl.parts").exists()
    json.dumps(summary)


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path):
    recipients = addresses(175)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third sendEmail: -23
    op = operator(recipients=recipients, results_path=str(results))
    with pytest.raises(RetryableAPIError, match="code -23"):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 100

    summary = op.execute(task_run.retry())
    assert mailed(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["resumed_batches"] == 2 and summary["accepted"] == 175
    assert [line["number"] for line in read_results(results)] == recipients


def test_lost_answer_fails_naming_the_batch_and_is_never_resent(nxcloud_simulator, task_run):
    recipients = addresses(130)
    nxcloud_simulator.faults.set(at={2: "reset_after"})  # batch 1 accepted, its answer lost
    op = operator(recipients=recipients)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert "batch 1 (recipients 51-100" in str(failed.value)
    assert nxcloud_simulator.ledger.count() == 100

    with pytest.raises(AirflowFailException, match="batch 1"):
        op.execute(task_run.retry())
    assert nxcloud_simulator.ledger.count() == 100
    summary = operator(
        recipients=recipients, in_doubt_decisions={failed.value.__cause__.reference: "skip"}
    ).execute(task_run.retry())
    assert mailed(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["skipped_batches"] == [1]


def test_gateway_throttle_is_retried_in_hook(nxcloud_simulator, task_run):
    # a 429 proves the send was refused; a 503 would not (a gateway may answer it after forwarding)
    nxcloud_simulator.faults.set(at={1: "http_429"})
    summary = operator(recipients=addresses(10)).execute(task_run.context())
    assert summary["accepted"] == 10
    assert nxcloud_simulator.requests.count("buka", "email_send") == 2


def test_invalid_address_fails_before_anything_is_sent(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=[*addresses(80), "not-an-address"]).execute(task_run.context())
    assert "recipients: entry 81" in str(failed.value)
    assert "not-an-address" not in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def test_addresses_are_normalised_deduplicated_and_skipped(nxcloud_simulator, task_run, tmp_path):
    source = tmp_path / "recipients.csv"
    source.write_text(
        "email,name\n"
        "ann@example.com,Ann\n"
        "Bob@Example.COM,Bob\n"
        "bob@example.com,Bob again\n"  # another mailbox: the part before @ keeps its case
        "bob@EXAMPLE.com,Bob twice\n"
        "no-at-sign,x\n"
        "# a comment\n"
        "\n"
        "carl@mail.example.org\n"
    )
    summary = operator(recipients=str(source), on_invalid="skip").execute(task_run.context())
    assert (summary["accepted"], summary["invalid"], summary["duplicates"]) == (4, 1, 1)
    assert [e.recipient for e in nxcloud_simulator.ledger.entries()] == [
        "ann@example.com",
        "Bob@example.com",
        "bob@example.com",
        "carl@mail.example.org",
    ]
    assert summary["invalid_sample"] == [
        [5, "bob@EXAMPLE.com", "duplicate"],
        [6, "no-at-sign", "not an email address (no @)"],
    ]


def test_a_first_line_without_digits_is_an_address_not_a_header(nxcloud_simulator, task_run, tmp_path):
    source = tmp_path / "recipients.txt"
    source.write_text("ann@example.com\nbea@example.com\n")
    summary = operator(recipients=str(source)).execute(task_run.context())
    assert summary["accepted"] == 2


def test_comma_separated_string(nxcloud_simulator, task_run):
    summary = operator(recipients="ann@example.com, bea@example.com").execute(task_run.context())
    assert summary["accepted"] == 2


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 101}, "subject"),
        ({"template_id": "abc"}, "template_id"),
        ({"template_id": 0}, "template_id"),
        ({"template_id": -5}, "template_id"),
        ({"template_id": True}, "template_id"),
        ({"template_id": None}, "template_id"),
        ({"template_data": "not json"}, "template_data"),
        ({"template_data": [1, 2]}, "template_data"),
        ({"template_data": {"when": object()}}, "template_data"),
        ({"from_address": ""}, "from_address"),
        ({"from_address": "noreply"}, "from_address"),
        ({"language": "english!"}, "language"),
        ({"ad_flag": 3}, "ad_flag"),
        ({"ad_flag": True}, "ad_flag"),
        ({"default_region": "SG"}, "default_region"),
        ({"allowed_regions": ["SG"]}, "allowed_regions"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["no-at-sign"], "on_invalid": "skip"}, "recipients"),
        ({"in_doubt": "maybe"}, "in_doubt"),
        ({"on_invalid": "ignore"}, "on_invalid"),
    ],
)
def test_bad_input_names_the_parameter_and_sends_nothing(nxcloud_simulator, task_run, kwargs, parameter):
    kwargs = {"recipients": addresses(2), **kwargs}
    with pytest.raises(AirflowFailException) as failed:
        operator(**kwargs).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_limits_are_accepted_at_their_bounds(nxcloud_simulator, task_run):
    summary = operator(
        recipients=addresses(50),
        subject="x" * 100,
        template_id="42",
        template_data='{"code": "1234"}',
        language="en",
        ad_flag=0,
    ).execute(task_run.context())
    assert (summary["accepted"], summary["batches"]) == (50, 1)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"from_address": "noreply@elsewhere.example"}, "-10"),
        ({"app_id": "someone-elses-app"}, "-1"),
    ],
)
def test_permanent_vendor_error_fails_without_retry(nxcloud_simulator, task_run, kwargs, code):
    with pytest.raises(AirflowFailException, match=f"code {code}"):
        operator(recipients=addresses(2), **kwargs).execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 1


def test_addresses_that_bounce_are_accepted_when_sent(nxcloud_simulator, task_run):
    summary = operator(recipients=["ann@example.com", "bob@nowhere.invalid"]).execute(task_run.context())
    assert summary["accepted"] == 2  # failure shows later, in getSendEmailRcd


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = BukaSendEmailOperator(
        task_id="t",
        recipients="{{ params.file }}",
        subject="{{ params.subject }}",
        template_id="{{ params.template }}",
        from_address="{{ var.value.sender }}",
        template_data={"name": "{{ params.name }}"},
    )
    assert (op.recipients, op.subject, op.template_id, op.template_data) == (
        "{{ params.file }}",
        "{{ params.subject }}",
        "{{ params.template }}",
        {"name": "{{ params.name }}"},
    )
    assert set(op.template_fields) >= {
        "recipients",
        "results_path",
        "subject",
        "template_id",
        "template_data",
        "from_address",
        "language",
        "app_id",
    }
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_resume_independently(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    operator(recipients=addresses(2)).execute(first.context())
    summary = operator(recipients=addresses(2)).execute(second.context())
    assert summary["resumed_batches"] == 0
    assert nxcloud_simulator.ledger.count() == 4


@pytest.mark.parametrize(
    "raw",
    [
        "plain",
        "a@b",
        "a@-b.com",
        "a..b@example.com",
        ".a@example.com",
        "a@example.c",
        "a b@example.com",
        '"quoted"@example.com',
        "a@[127.0.0.1]",
        f"{'a' * 65}@example.com",
        f"a@{'b' * 250}.com",
    ],
)
def test_conservative_address_check_refuses(raw):
    with pytest.raises(InvalidAddress):
        normalize_address(raw)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" Ann.Lee+news@Example.COM ", "Ann.Lee+news@example.com"),
        ("o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk"),
        ("x@xn--80ak6aa92e.xn--p1ai", "x@xn--80ak6aa92e.xn--p1ai"),
    ],
)
def test_address_normalisation(raw, normal):
    assert normalize_address(raw) == normal


def test_missing_file_names_the_parameter(tmp_path):
    with pytest.raises(InvalidInputError, match=r"recipients: cannot read .*no such file"):
        spool_addresses(open_addresses(str(tmp_path / "missing.txt")))
