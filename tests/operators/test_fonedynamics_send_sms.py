"""FoneDynamicsSendSmsOperator against the simulator: chunking, exactly-once across retries and
lost answers (settled only by proven presence, else in doubt), partial failure under HTTP 200,
bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign import fonedynamics as fd
from airflow_provider_nxcloud.campaign.engine import Batch, Campaign
from airflow_provider_nxcloud.campaign.fonedynamics import FoneDynamicsSmsSender
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.campaign.results import ResultsWriter, read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, RetryableAPIError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.testing import accounts, run_simulator
from tests.operators.conftest import TaskRun, numbers

TEXT = "Flash sale starts at noon"


def operator(**kwargs) -> FoneDynamicsSendSmsOperator:
    kwargs.setdefault("text", TEXT)
    # a lookup that does not find a batch looks again this long after the send (60 s by default)
    kwargs.setdefault("settle_delay", 0.2)
    return FoneDynamicsSendSmsOperator(task_id="send", **kwargs)


def e164(recipients: list[str]) -> list[str]:
    return [f"+{number}" for number in recipients]


def sent_numbers(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="fonedynamics", kind="sms"))


@pytest.fixture
def no_backoff(monkeypatch):
    """The hook's in-hook retries without their waits (the simulator asks for Retry-After: 1)."""
    original = FoneDynamicsHook.__init__

    def init(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", lambda seconds: None)
        original(self, *args, **kwargs)

    monkeypatch.setattr(FoneDynamicsHook, "__init__", init)


def sender(**kwargs: Any) -> FoneDynamicsSmsSender:
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("property_sid", accounts.FONEDYNAMICS_PROPERTY_SID)
    return FoneDynamicsSmsSender(FoneDynamicsHook(), **kwargs)


def batch_of(*numbers_: str, index: int = 0) -> Batch:
    return Batch(index, [Recipient(n, n, i + 1) for i, n in enumerate(numbers_)], "c" * 16, 1)


# ----- the operator -----------------------------------------------------------------------------


def test_campaign_is_chunked_to_the_vendor_limit(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(250)
    results = tmp_path / "out" / "results.jsonl"
    summary = operator(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["rejected"], summary["batches"]) == (250, 0, 3)
    assert summary["platform"] == "fonedynamics"
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == e164(recipients)
    assert {line["status"] for line in lines} == {"accepted"}
    entries = nxcloud_simulator.ledger.entries()
    assert [(line["vendor_id"], line["reference"]) for line in lines] == [
        (entry.vendor_id, entry.client_reference) for entry in entries
    ]
    assert len({entry.client_reference for entry in entries}) == 250
    assert {(entry.content, entry.app) for entry in entries} == {(TEXT, accounts.FONEDYNAMICS_PROPERTY_SID)}
    assert all(entry.details["delivery_receipt"] is True for entry in entries)
    assert not (tmp_path / "out" / "results.jsonl.parts").exists()
    assert len(summary["vendor_ids"]) == 100
    json.dumps(summary)  # the XCom value is plain JSON


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path, no_backoff):
    recipients = numbers(350)
    results = tmp_path / "results.jsonl"
    # the third BatchMessages meets HTTP 429 on every in-hook attempt (4): refused, so not in doubt
    nxcloud_simulator.faults.set(at={n: "vendor_rate_limit" for n in range(3, 7)})
    op = operator(recipients=recipients, results_path=str(results))
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 200

    summary = op.execute(task_run.retry())
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["resumed_batches"] == 2 and summary["accepted"] == 350
    assert [line["number"] for line in read_results(results)] == e164(recipients)


def test_lost_answer_is_resolved_by_lookup_without_sending_again(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(250)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={2: "reset_after"})  # batch 1 accepted, its answer lost
    summary = operator(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert summary["resolved_batches"] == 1 and summary["accepted"] == 250
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3
    # the batch's window (from its send time) holds both batches: one page of 200
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 1
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))
    assert nxcloud_simulator.ledger.duplicates() == {}
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == e164(recipients)
    by_reference = {e.client_reference: e.vendor_id for e in nxcloud_simulator.ledger.entries()}
    assert all(by_reference[line["reference"]] == line["vendor_id"] for line in lines)


def test_gateway_503_after_forwarding_is_resolved_by_lookup_without_sending_again(
    nxcloud_simulator, task_run, tmp_path
):
    recipients = numbers(250)
    nxcloud_simulator.faults.set(at={2: "http_503_after"})  # batch 1 accepted, a gateway answers 503
    summary = operator(recipients=recipients, results_path=str(tmp_path / "r.jsonl")).execute(
        task_run.context()
    )

    assert summary["resolved_batches"] == 1 and summary["accepted"] == 250
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3  # never re-sent
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_request_dropped_unprocessed_is_in_doubt_not_sent_again(nxcloud_simulator, task_run):
    # batch 1 never reached the vendor, but an empty list cannot prove that: the list may lag
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={2: "reset_before"})
    with pytest.raises(AirflowFailException, match="batch 1"):
        operator(recipients=recipients).execute(task_run.context())
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 2
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients[:100]))


def test_request_dropped_unprocessed_is_sent_once_more_when_the_user_says_resend(nxcloud_simulator, task_run):
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={2: "reset_before"})
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=recipients).execute(task_run.context())
    decisions = {failed.value.__cause__.reference: "resend"}
    summary = operator(recipients=recipients, in_doubt_decisions=decisions).execute(task_run.retry())
    assert summary["accepted"] == 150
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))


def test_lost_answer_with_a_lagging_list_is_in_doubt_never_sent_again(
    nxcloud_simulator, task_run, monkeypatch
):
    # the vendor processed batch 1 (reset after processing), but its list does not show it yet
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    monkeypatch.setattr(FoneDynamicsHook, "list_messages", lambda self, *args, **kwargs: [])
    with pytest.raises(AirflowFailException, match="batch 1"):
        operator(recipients=recipients).execute(task_run.context())
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 2
    assert sent_numbers(nxcloud_simulator) == Counter(e164(recipients))  # each once
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_lost_answer_on_a_simulator_whose_list_lags_is_in_doubt(task_run, monkeypatch):
    # the vendor processed batch 1 and dropped the connection; its list shows a message only an
    # hour after it was accepted: the lookup finds nothing, and nothing is sent again
    lagging = accounts.FoneDynamicsAccount(list_lag_s=3600)
    with run_simulator(fonedynamics=lagging) as sim:
        for name, value in sim.connection_env().items():
            monkeypatch.setenv(name, value)
        recipients = numbers(150)
        sim.faults.set(at={2: "reset_after"})
        with pytest.raises(AirflowFailException, match="batch 1"):
            operator(recipients=recipients, settle_delay=2).execute(task_run.context())
        assert sim.requests.count("fonedynamics", "send_batch") == 2
        # looked up, and again after the settle delay (each look reads the batch's window and
        # the clock-skew slice before it): an hour's lag outlasts it
        assert sim.requests.count("fonedynamics", "list_messages") == 4
        sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="fonedynamics"))
        assert sent == Counter(e164(recipients))  # every message once: batch 1 was not re-sent
        assert sim.ledger.duplicates() == {}


def test_lost_answer_with_an_unreadable_list_is_in_doubt(nxcloud_simulator, task_run, monkeypatch):
    nxcloud_simulator.faults.set(at={1: "reset_after"})
    monkeypatch.setattr(FoneDynamicsHook, "list_messages", lambda self, *args, **kwargs: None)
    with pytest.raises(AirflowFailException, match="batch 0"):
        operator(recipients=numbers(3)).execute(task_run.context())
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 1
    assert nxcloud_simulator.ledger.count() == 3


def test_read_timeout_is_in_doubt_and_never_sent_again(nxcloud_simulator, task_run, monkeypatch):
    # the worker stops listening after 1 s, the vendor would answer after 1.5 s: whether it
    # processed the batch the worker cannot know, and an empty list does not tell it either
    connection = json.loads(nxcloud_simulator.connection_env()["AIRFLOW_CONN_FONEDYNAMICS_DEFAULT"])
    connection["extra"] = {**connection.get("extra", {}), "read_timeout": 1}
    monkeypatch.setenv("AIRFLOW_CONN_FONEDYNAMICS_DEFAULT", json.dumps(connection))
    nxcloud_simulator.faults.set(at={1: "latency"}, latency_ms=1500)
    with pytest.raises(AirflowFailException, match=r"batch 0 .* None was re-sent"):
        operator(recipients=numbers(3), settle_delay=0).execute(task_run.context())
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 1
    # one look (no settle delay): the batch's window, then the clock-skew slice before it
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") == 2


def test_batch_in_flight_from_a_dead_try_is_looked_up(nxcloud_simulator, task_run):
    recipients = numbers(150)
    nxcloud_simulator.faults.set(at={2: "reset_after"})

    class Died(Exception):
        pass

    def die(self, batch):  # the worker dies after the lost answer, before the lookup
        raise Died

    op = operator(recipients=recipients)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FoneDynamicsSmsSender, "lookup", die)
        with pytest.raises(Died):
            op.execute(task_run.context())
    store_value = next(iter(task_run.store.values.values()))
    assert store_value["in_flight"] == [1]

    summary = op.execute(task_run.retry())
    assert (summary["resumed_batches"], summary["resolved_batches"], summary["accepted"]) == (1, 1, 150)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 2


def test_rate_limited_batch_is_retried_in_hook(nxcloud_simulator, task_run, no_backoff):
    nxcloud_simulator.faults.set(at={1: "vendor_rate_limit", 2: "http_429"})
    summary = operator(recipients=numbers(10)).execute(task_run.context())
    assert summary["accepted"] == 10
    assert nxcloud_simulator.ledger.count() == 10
    assert nxcloud_simulator.requests.count("fonedynamics", "send_batch") == 3


def test_sender_schedule_and_receipt_are_sent(nxcloud_simulator, task_run):
    when = pendulum.now("Asia/Singapore").add(days=2).replace(microsecond=0)
    summary = operator(recipients=numbers(3), sender_id="Shop 1", schedule_time=when.isoformat()).execute(
        task_run.context()
    )
    assert summary["accepted"] == 3
    entries = nxcloud_simulator.ledger.entries()
    assert {e.sender for e in entries} == {"Shop 1"}
    assert {e.details["scheduled"] for e in entries} == {int(when.timestamp())}


def test_schedule_time_may_be_a_datetime_and_an_e164_sender(nxcloud_simulator, task_run):
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=-5))) - dt.timedelta(minutes=30)
    operator(recipients=numbers(1), sender_id="+61400000001", schedule_time=when).execute(task_run.context())
    [entry] = nxcloud_simulator.ledger.entries()
    assert entry.sender == "+61400000001"
    assert entry.details["scheduled"] == int(when.timestamp())


def test_property_sid_overrides_the_connection(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="PROPERTY_NOT_FOUND"):
        operator(recipients=numbers(2), property_sid="someone-elses").execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 1
    assert nxcloud_simulator.ledger.count() == 0


def test_invalid_number_fails_before_anything_is_sent(nxcloud_simulator, task_run):
    recipients = [*numbers(150), "12345"]
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=recipients).execute(task_run.context())
    assert "recipients: entry 151" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def iso(seconds_from_now: float, tz: str = "Australia/Sydney") -> str:
    return pendulum.from_timestamp(time.time() + seconds_from_now, tz=tz).isoformat()


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"sender_id": "TooLongSender"}, "sender_id"),
        ({"sender_id": "12345"}, "sender_id"),
        ({"sender_id": "Shop-1"}, "sender_id"),
        ({"sender_id": "61400000001"}, "sender_id"),
        ({"schedule_time": "2030-01-01T09:00:00"}, "schedule_time"),
        ({"schedule_time": dt.datetime(2030, 1, 1, 9)}, "schedule_time"),
        ({"schedule_time": "next tuesday"}, "schedule_time"),
        ({"schedule_time": 1_900_000_000}, "schedule_time"),
        ({"schedule_time": iso(15 * 24 * 3600)}, "schedule_time"),
        ({"schedule_time": iso(-2 * 3600)}, "schedule_time"),
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


def test_long_text_up_to_the_protocol_ceiling_is_sent(nxcloud_simulator, task_run):
    # Fone Dynamics documents no limit; 255 concatenated segments is the SMS protocol's own
    assert operator(recipients=numbers(1), text="x" * 2000).execute(task_run.context())["accepted"] == 1


def test_ten_megabyte_text_is_refused_before_any_request(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        operator(recipients=numbers(2), text="x" * 10_000_000).execute(task_run.context())
    assert str(failed.value).startswith("text: has 10000000 characters; at most 39015")
    assert nxcloud_simulator.requests.total() == 0


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = FoneDynamicsSendSmsOperator(
        task_id="t", recipients="{{ params.file }}", text="{{ params.text }}", schedule_time="{{ ds }}"
    )
    assert (op.recipients, op.text, op.schedule_time) == (
        "{{ params.file }}",
        "{{ params.text }}",
        "{{ ds }}",
    )
    assert set(op.template_fields) >= {
        "recipients",
        "text",
        "property_sid",
        "sender_id",
        "schedule_time",
        "results_path",
    }
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_have_distinct_references(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    operator(recipients=numbers(2)).execute(first.context())
    operator(recipients=numbers(2)).execute(second.context())
    references = {entry.client_reference for entry in nxcloud_simulator.ledger.entries()}
    assert len(references) == 4


# ----- the sender, with batches the operator's validation would never build --------------------


def test_partial_failure_under_http_200_rejects_only_the_refused_messages(nxcloud_simulator):
    batch = batch_of("+61412345678", "0412345678", "+61412345679")
    results = sender().send(batch)
    assert [r.status for r in results] == ["accepted", "rejected", "accepted"]
    refused = results[1]
    assert refused.error is not None and refused.error.startswith("INVALID_PHONENUMBER_FORMAT: ")
    assert refused.vendor_id is None and refused.reference == batch.recipient_reference(1)
    entries = nxcloud_simulator.ledger.entries()
    assert [(e.vendor_id, e.client_reference) for e in entries] == [
        (results[0].vendor_id, batch.recipient_reference(0)),
        (results[2].vendor_id, batch.recipient_reference(2)),
    ]


def test_partial_failure_is_counted_by_error_in_the_campaign(nxcloud_simulator, tmp_path):
    results = tmp_path / "results.jsonl"
    writer = ResultsWriter(str(results))
    campaign = Campaign(sender(), MemoryProgressStore(), writer)
    batches = [batch_of("+61412345678", "0412345678"), batch_of("+61412345679", index=1)]
    summary = campaign.run(batches)
    writer.finish()
    assert (summary.accepted, summary.rejected) == (2, 1)
    [(error, count)] = summary.rejections.items()
    assert error.startswith("INVALID_PHONENUMBER_FORMAT: ") and count == 1
    lines = list(read_results(results))
    assert [(line["number"], line["status"]) for line in lines] == [
        ("+61412345678", "accepted"),
        ("0412345678", "rejected"),
        ("+61412345679", "accepted"),
    ]


def test_lookup_proves_presence_only(nxcloud_simulator):
    found_all = batch_of("+61412345678", "+61412345679")
    partly = batch_of("+61412345670", "0412345678", index=1)
    never = batch_of("+61412345671", index=2)
    fd_sender = sender()
    sent = fd_sender.send(found_all)
    fd_sender.send(partly)  # one refused: the vendor holds half of the batch

    assert fd_sender.lookup(found_all) == sent
    assert fd_sender.lookup(never) is None  # not listed is not proof of absence
    assert fd_sender.lookup(partly) is None


def test_lookup_cannot_tell_when_a_reference_went_to_another_number(nxcloud_simulator):
    fd_sender = sender()
    fd_sender.send(batch_of("+61412345678"))
    assert fd_sender.lookup(batch_of("+61412345679")) is None  # same reference, other number


def test_lookup_without_a_send_time_searches_a_window_around_now(nxcloud_simulator):
    fd_sender = sender(clock=lambda: time.time() + 30 * 24 * 3600)
    batch = batch_of("+61412345678")
    fd_sender.send(batch)
    assert fd_sender.lookup(batch) is None  # sent 30 days before the clock's now: outside the window


def test_lookup_searches_from_the_batch_send_time(nxcloud_simulator):
    fd_sender = sender()
    batch = batch_of("+61412345678")
    results = fd_sender.send(batch)
    now = time.time()
    assert fd_sender.lookup(replace(batch, sent_at=float(int(now)))) == results
    # recorded as sent an hour after the vendor stamped it: outside the window, so not proven
    assert fd_sender.lookup(replace(batch, sent_at=float(int(now + 3600)))) is None


class ScriptedHook(FoneDynamicsHook):
    """Answers send_batch with a reply one element short; the lookup reads the real simulator."""

    def __init__(self) -> None:
        super().__init__()
        self.sends = 0

    def send_batch(self, messages: Any, **kwargs: Any) -> Any:
        self.sends += 1
        return super().send_batch(messages, **kwargs)[:-1]


def test_unreadable_reply_is_settled_by_lookup(nxcloud_simulator):
    hook = ScriptedHook()
    fd_sender = FoneDynamicsSmsSender(hook, text=TEXT, property_sid=accounts.FONEDYNAMICS_PROPERTY_SID)
    campaign = Campaign(fd_sender, MemoryProgressStore(), ResultsWriter(None))
    summary = campaign.run([batch_of("+61412345678", "+61412345679")])
    assert (summary.accepted, summary.resolved_batches, hook.sends) == (2, 1, 1)
    assert nxcloud_simulator.ledger.duplicates() == {}


def test_partly_found_batch_stays_in_doubt(nxcloud_simulator):
    fd_sender = sender()
    batch = batch_of("+61412345678", "0412345678")
    fd_sender.send(batch)  # as if its answer was lost
    store = MemoryProgressStore()
    progress = store.load()
    progress.start(0)
    store.save(progress)
    slept: list[float] = []
    with pytest.raises(BatchInDoubtError, match="batch 0"):
        Campaign(fd_sender, store, ResultsWriter(None), sleep=slept.append).run([batch])
    assert slept == [60.0]  # looked at again after Fone Dynamics' settle delay, to no avail
    assert nxcloud_simulator.ledger.count() == 1  # nothing sent again


def test_schedule_rules():
    now = time.time()
    assert fd.schedule_epoch(None) is None
    assert fd.schedule_epoch("2026-11-23T09:00:00+08:00") == int(
        dt.datetime(2026, 11, 23, 1, tzinfo=dt.UTC).timestamp()
    )
    fd.check_schedule(int(now + 14 * 24 * 3600 - 60), now)
    fd.check_schedule(int(now - 3500), now)  # less than an hour late: the vendor sends at once
