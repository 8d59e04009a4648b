"""NXCloudSendVoiceOperator against the simulator: chunking per country, exactly-once across retries, bad input."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.nxcloud import NXCloudVoiceSender, task_time
from airflow_provider_nxcloud.campaign.recipients import Recipient, chunked, country_and_national
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendVoiceOperator
from airflow_provider_nxcloud.testing import accounts
from tests.operators.conftest import (
    TaskRun,
    assert_lost_answer_is_never_resent,
    assert_retry_resumes,
    numbers,
)

TEXT = "Your appointment is tomorrow at ten"
AUDIO = "https://files.example.com/voice/reminder.mp3"
SHOWN = "6561234567"
MALAYSIA = ["60123456789", "60123456788"]


def notify(**kwargs) -> NXCloudSendVoiceOperator:
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("language", "en")
    kwargs.setdefault("display_number", SHOWN)
    return NXCloudSendVoiceOperator(task_id="call", **kwargs)


def broadcast(**kwargs) -> NXCloudSendVoiceOperator:
    kwargs.setdefault("audio_url", AUDIO)
    kwargs.setdefault("display_number", SHOWN)
    return NXCloudSendVoiceOperator(task_id="call", mode="broadcast", **kwargs)


def called(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="nxcloud", kind="voice"))


def test_notification_is_chunked_to_100_numbers_per_request(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(250)
    results = tmp_path / "out" / "results.jsonl"
    before = time.time()
    summary = notify(recipients=recipients, results_path=str(results), display_number="6561234567").execute(
        task_run.context()
    )

    assert nxcloud_simulator.requests.count("nxcloud", "voice_notify") == 3
    assert called(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["batches"], summary["platform"]) == (250, 3, "nxcloud")
    entries = nxcloud_simulator.ledger.entries(kind="voice")
    assert {(e.content, e.app, e.sender, e.client_reference) for e in entries} == {
        (TEXT, accounts.NXCLOUD_VOICE_APP_KEY, "6561234567", None)
    }
    # phone carried the international numbers, country_code their country code beside them
    assert {(e.details["country_code"], e.details["lang"]) for e in entries} == {("65", "en")}
    assert [e.recipient for e in entries] == recipients
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert [line["batch"] for line in lines] == [0] * 100 + [1] * 100 + [2] * 50
    # one messageid per request, kept on every line with the send time
    assert {line["vendor_id"] for line in lines} == {e.vendor_id for e in entries}
    assert len(set(summary["vendor_ids"])) == 3
    sent = {dt.datetime.fromisoformat(line["sent_at"]).timestamp() for line in lines}
    assert all(before - 1 <= when <= time.time() for when in sent)
    json.dumps(summary)


def test_a_batch_holds_one_country(nxcloud_simulator, task_run, tmp_path):
    recipients = [*numbers(2), *MALAYSIA, *numbers(3)[2:]]
    results = tmp_path / "results.jsonl"
    summary = notify(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert summary["batches"] == 3 and nxcloud_simulator.requests.count("nxcloud", "voice_notify") == 3
    by_request: dict[str, set[str]] = {}
    for entry in nxcloud_simulator.ledger.entries(kind="voice"):
        by_request.setdefault(entry.vendor_id, set()).add(entry.details["country_code"])
    assert sorted(map(sorted, by_request.values())) == [["60"], ["65"], ["65"]]
    assert called(nxcloud_simulator) == Counter(recipients)


def test_verification_calls_one_number_per_request(nxcloud_simulator, task_run):
    recipients = numbers(3)
    summary = NXCloudSendVoiceOperator(
        task_id="call",
        mode="verification",
        recipients=recipients,
        text="1-2-3-4",
        language="zh-yue",
        display_number=SHOWN,
    ).execute(task_run.context())

    assert nxcloud_simulator.requests.count("nxcloud", "voice_verify") == 3
    assert summary["batches"] == summary["accepted"] == 3
    assert len(set(summary["vendor_ids"])) == 3
    assert [e.details["mode"] for e in nxcloud_simulator.ledger.entries()] == ["verification"] * 3


def test_broadcast_plays_the_file_at_the_scheduled_time(nxcloud_simulator, task_run, tmp_path):
    results = tmp_path / "results.jsonl"
    start = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0) + dt.timedelta(hours=2)
    summary = broadcast(
        recipients=numbers(2), schedule_time=start.isoformat(), results_path=str(results)
    ).execute(task_run.context())

    assert summary["accepted"] == 2
    entries = nxcloud_simulator.ledger.entries(kind="voice")
    assert {(e.content, e.endpoint) for e in entries} == {(AUDIO, "voice_broadcast")}
    assert {(e.details["task_time"], e.details["time_zone"]) for e in entries} == {
        (start.strftime("%Y-%m-%d %H:%M:%S"), "8")
    }
    # the calls start then: that is their send time
    assert {line["sent_at"] for line in read_results(results)} == {start.astimezone(dt.UTC).isoformat()}


def test_task_time_is_sent_in_utc_for_an_offset_of_part_hours():
    start = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert task_time(start, now=0) == {"task_time": "2026-11-23 04:00:00", "time_zone": "0"}
    assert task_time(start.astimezone(dt.timezone(dt.timedelta(hours=-5))), now=0)["time_zone"] == "-5"
    assert task_time(None, now=0) == {}


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(250)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third notsend: code 99
    op = notify(recipients=recipients, results_path=str(results))
    assert_retry_resumes(
        nxcloud_simulator, task_run, op, recipients, results, kind="voice", accepted=200, resumed=2
    )


def test_lost_answer_fails_naming_the_batch_and_is_never_resent(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.set(at={2: "reset_after"})  # batch 1 called, its answer lost
    assert_lost_answer_is_never_resent(
        nxcloud_simulator,
        task_run,
        notify,
        numbers(250),
        kind="voice",
        batch="batch 1 (recipients 101-200",
        accepted=200,
    )


def test_rate_limited_request_is_retried_in_hook(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.set(at={1: "vendor_rate_limit"})  # voice 28: refused, so sent again
    summary = notify(recipients=numbers(5)).execute(task_run.context())
    assert summary["accepted"] == 5 and nxcloud_simulator.ledger.count() == 5
    assert nxcloud_simulator.requests.count("nxcloud", "voice_notify") == 2


def test_invalid_number_fails_before_anything_is_sent(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        notify(recipients=[*numbers(150), "12345"]).execute(task_run.context())
    assert "recipients: entry 151" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("make", "kwargs", "parameter"),
    [
        (notify, {"mode": "sms"}, "mode"),
        (notify, {"text": ""}, "text"),
        (notify, {"text": None}, "text"),
        (notify, {"language": None}, "language"),
        (notify, {"language": "english"}, "language"),
        (notify, {"audio_url": AUDIO}, "audio_url"),
        (notify, {"schedule_time": "2099-01-01T00:00:00+00:00"}, "schedule_time"),
        (notify, {"display_number": "+6561234567"}, "display_number"),
        (notify, {"display_number": "1" * 51}, "display_number"),
        # show_phone is required by notsend, versend and gpsend and has no documented default
        (notify, {"display_number": None}, "display_number"),
        (notify, {"display_number": ""}, "display_number"),
        (broadcast, {"display_number": None}, "display_number"),
        (notify, {"mode": "verification", "display_number": None}, "display_number"),
        (notify, {"language": "xx"}, "language"),
        (notify, {"recipients": []}, "recipients"),
        (notify, {"in_doubt": "maybe"}, "in_doubt"),
        (broadcast, {"audio_url": ""}, "audio_url"),
        (broadcast, {"audio_url": "ftp://files.example.com/a.mp3"}, "audio_url"),
        (broadcast, {"text": TEXT}, "text"),
        (broadcast, {"language": "en"}, "language"),
        (broadcast, {"schedule_time": "2020-01-01T09:00:00+08:00"}, "schedule_time"),
        (broadcast, {"schedule_time": "2099-01-01T09:00:00"}, "schedule_time"),
        (broadcast, {"schedule_time": "soon"}, "schedule_time"),
    ],
)
def test_bad_input_names_the_parameter_and_sends_nothing(
    nxcloud_simulator, task_run, make, kwargs, parameter
):
    kwargs = {"recipients": numbers(2), **kwargs}
    with pytest.raises(AirflowFailException) as failed:
        make(**kwargs).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_the_voice_app_secret_is_needed_before_anything_is_sent(nxcloud_simulator, task_run, monkeypatch):
    conn = json.loads(nxcloud_simulator.connection_env()["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    conn["extra"].pop("voice_app_secret")
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    with pytest.raises(AirflowFailException, match="voice_app_secret"):
        notify(recipients=numbers(2)).execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = NXCloudSendVoiceOperator(
        task_id="t", recipients="{{ params.file }}", text="{{ params.text }}", mode="nonsense"
    )
    assert (op.recipients, op.text, op.mode, op.language) == (
        "{{ params.file }}",
        "{{ params.text }}",
        "nonsense",
        None,
    )
    assert set(op.template_fields) >= {
        "recipients",
        "results_path",
        "text",
        "language",
        "audio_url",
        "schedule_time",
        "display_number",
    }
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_resume_independently(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    notify(recipients=numbers(2)).execute(first.context())
    summary = notify(recipients=numbers(2)).execute(second.context())
    assert summary["resumed_batches"] == 0
    assert nxcloud_simulator.ledger.count() == 4


def test_sender_batches_and_lookup():
    sender = NXCloudVoiceSender(None, text="t", language="en", display_number=SHOWN)  # type: ignore[arg-type]
    assert (sender.max_batch, sender.endpoint) == (100, "voice_notify")
    verify = NXCloudVoiceSender(None, mode="verification", text="1", language="en", display_number=SHOWN)  # type: ignore[arg-type]
    # versend's page: "only single submission is allowed, cannot be submitted in batches"
    assert verify.max_batch == 1
    batch = Batch(0, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 1)
    assert sender.lookup(batch) is None
    assert country_and_national("+6591000001") == country_and_national("6591000001") == ("65", "91000001")
    assert sender.batch_group("12125550123") == "1"


def test_chunked_by_key_ends_a_chunk_where_the_key_changes():
    items = ["a1", "a2", "a3", "b1", "a4", "b2", "b3"]
    assert list(chunked(items, 2, key=lambda item: item[0])) == [
        ["a1", "a2"],
        ["a3"],
        ["b1"],
        ["a4"],
        ["b2", "b3"],
    ]
    assert list(chunked(items, 3)) == [["a1", "a2", "a3"], ["b1", "a4", "b2"], ["b3"]]
