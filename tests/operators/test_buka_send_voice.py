"""BukaSendVoiceOperator against the simulator: chunking, exactly-once across retries, bad input."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.buka import BukaVoiceSender, voice_results
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, RetryableAPIError
from airflow_provider_nxcloud.operators.buka import BukaSendVoiceOperator
from airflow_provider_nxcloud.testing import accounts
from tests.operators.conftest import TaskRun, numbers

TEXT = "Your delivery arrives today"
FILE_ID = "12022022570cc2484c59d4f8b9745d34226285b1e.mp3"


def tts(**kwargs) -> BukaSendVoiceOperator:
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("language", "EN")
    return BukaSendVoiceOperator(task_id="call", **kwargs)


def audio(**kwargs) -> BukaSendVoiceOperator:
    kwargs.setdefault("file_id", FILE_ID)
    return BukaSendVoiceOperator(task_id="call", mode="audio", **kwargs)


def called(sim) -> Counter:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="voice"))


def test_audio_campaign_is_chunked_to_200_callees(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(450)
    results = tmp_path / "out" / "results.jsonl"
    op = audio(recipients=recipients, results_path=str(results), max_duration=60, display_number="6561234567")
    summary = op.execute(task_run.context())

    assert nxcloud_simulator.requests.count("buka", "voice_send_group") == 3
    assert called(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert (summary["accepted"], summary["rejected"], summary["batches"]) == (450, 0, 3)
    entries = nxcloud_simulator.ledger.entries(kind="voice")
    assert {(e.content, e.app, e.sender, e.client_reference) for e in entries} == {
        (FILE_ID, accounts.BUKA_VOICE_APP_ID, "6561234567", None)
    }
    lines = list(read_results(results))
    assert [line["number"] for line in lines] == recipients
    assert {line["vendor_id"] for line in lines} == {e.vendor_id for e in entries}
    assert [line["batch"] for line in lines] == [0] * 200 + [1] * 200 + [2] * 50
    json.dumps(summary)


def test_tts_calls_one_number_per_request(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(4)
    results = tmp_path / "results.jsonl"
    summary = tts(
        recipients=recipients, results_path=str(results), speaking_rate=1.5, gender=2, recall_count=2
    ).execute(task_run.context())

    assert nxcloud_simulator.requests.count("buka", "voice_send_code") == 4
    assert summary["batches"] == summary["accepted"] == 4
    entries = nxcloud_simulator.ledger.entries(kind="voice")
    assert [(e.recipient, e.content, e.endpoint) for e in entries] == [
        (number, TEXT, "voice_send_code") for number in recipients
    ]
    assert [line["vendor_id"] for line in read_results(results)] == [e.vendor_id for e in entries]


def test_retry_resumes_after_the_last_accepted_batch(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(700)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third sendGroup: -18
    op = audio(recipients=recipients, results_path=str(results))
    with pytest.raises(RetryableAPIError, match="code -18"):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 400

    summary = op.execute(task_run.retry())
    assert called(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["resumed_batches"] == 2 and summary["accepted"] == 700
    assert [line["number"] for line in read_results(results)] == recipients


def test_tts_retry_resumes_after_the_last_accepted_call(nxcloud_simulator, task_run):
    recipients = numbers(5)
    nxcloud_simulator.faults.set(at={4: "vendor_busy"})
    op = tts(recipients=recipients)
    with pytest.raises(RetryableAPIError):
        op.execute(task_run.context())
    assert nxcloud_simulator.ledger.count() == 3
    summary = op.execute(task_run.retry())
    assert called(nxcloud_simulator) == Counter(recipients)
    assert summary["resumed_batches"] == 3


def test_lost_answer_fails_naming_the_batch_and_is_never_resent(nxcloud_simulator, task_run):
    recipients = numbers(500)
    nxcloud_simulator.faults.set(at={2: "reset_after"})  # batch 1 called, its answer lost
    op = audio(recipients=recipients)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(task_run.context())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert "batch 1 (recipients 201-400" in str(failed.value)
    assert nxcloud_simulator.ledger.count() == 400

    # A plain retry still refuses to guess...
    with pytest.raises(AirflowFailException, match="batch 1"):
        op.execute(task_run.retry())
    assert nxcloud_simulator.ledger.count() == 400
    # ...until a person decides on that batch (it went out).
    summary = audio(
        recipients=recipients, in_doubt_decisions={failed.value.__cause__.reference: "skip"}
    ).execute(task_run.retry())
    assert called(nxcloud_simulator) == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["skipped_batches"] == [1]


def test_gateway_throttle_is_retried_in_hook(nxcloud_simulator, task_run):
    # a 429 proves the send was refused; a 503 would not (a gateway may answer it after forwarding)
    nxcloud_simulator.faults.set(at={1: "http_429"})
    summary = audio(recipients=numbers(10)).execute(task_run.context())
    assert summary["accepted"] == 10
    assert nxcloud_simulator.ledger.count() == 10
    assert nxcloud_simulator.requests.count("buka", "voice_send_group") == 2


def test_invalid_number_fails_before_anything_is_sent(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        audio(recipients=[*numbers(300), "12345"]).execute(task_run.context())
    assert "recipients: entry 301" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def test_invalid_numbers_can_be_skipped_and_reported(nxcloud_simulator, task_run, tmp_path):
    source = tmp_path / "callees.txt"
    source.write_text("\n".join([*numbers(3), "not-a-number", numbers(1)[0]]) + "\n")
    summary = audio(recipients=str(source), on_invalid="skip").execute(task_run.context())
    assert (summary["accepted"], summary["invalid"], summary["duplicates"]) == (3, 1, 1)
    assert nxcloud_simulator.ledger.count() == 3


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"mode": "video"}, "mode"),
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"language": "XX"}, "language"),
        ({"language": None}, "language"),
        ({"file_id": FILE_ID}, "file_id"),
        ({"speaking_rate": 0.2}, "speaking_rate"),
        ({"speaking_rate": 4.5}, "speaking_rate"),
        ({"gender": 3}, "gender"),
        ({"recall_count": 10}, "recall_count"),
        ({"recall_interval": 0}, "recall_interval"),
        ({"loop_count": 0}, "loop_count"),
        ({"loop_count": 4}, "loop_count"),
        ({"max_duration": 121}, "max_duration"),
        ({"max_ringing_time": 19}, "max_ringing_time"),
        ({"max_ringing_time": 121}, "max_ringing_time"),
        ({"display_number": "123456"}, "display_number"),
        ({"display_number": "+6561234567"}, "display_number"),
        ({"recipients": []}, "recipients"),
        ({"in_doubt": "maybe"}, "in_doubt"),
        ({"on_invalid": "ignore"}, "on_invalid"),
    ],
)
def test_bad_tts_input_names_the_parameter_and_sends_nothing(nxcloud_simulator, task_run, kwargs, parameter):
    kwargs = {"recipients": numbers(2), **kwargs}
    with pytest.raises(AirflowFailException) as failed:
        tts(**kwargs).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"file_id": ""}, "file_id"),
        ({"file_id": None}, "file_id"),
        ({"text": TEXT}, "text"),
        ({"language": "EN"}, "language"),
        ({"recall_count": 1}, "recall_count"),
        ({"max_duration": 0}, "max_duration"),
        ({"loop_count": "three"}, "loop_count"),
        ({"loop_count": True}, "loop_count"),
    ],
)
def test_bad_audio_input_names_the_parameter_and_sends_nothing(
    nxcloud_simulator, task_run, kwargs, parameter
):
    with pytest.raises(AirflowFailException) as failed:
        audio(recipients=numbers(2), **kwargs).execute(task_run.context())
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_limits_are_accepted_at_their_bounds(nxcloud_simulator, task_run):
    summary = tts(
        recipients=numbers(1),
        text="x" * 1000,
        language="idn",
        speaking_rate=4,
        gender=1,
        recall_count=9,
        recall_interval=999,
        loop_count=3,
        max_duration=120,
        max_ringing_time=20,
        display_number="1234567",
    ).execute(task_run.context())
    assert summary["accepted"] == 1


def test_permanent_vendor_error_fails_without_retry(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="code -32"):
        audio(recipients=numbers(2), app_id="someone-elses-app").execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 1


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = BukaSendVoiceOperator(
        task_id="t", recipients="{{ params.file }}", text="{{ params.text }}", language="{{ params.lang }}"
    )
    assert (op.recipients, op.text, op.language, op.mode) == (
        "{{ params.file }}",
        "{{ params.text }}",
        "{{ params.lang }}",
        "tts",
    )
    assert set(op.template_fields) >= {
        "recipients",
        "results_path",
        "text",
        "language",
        "file_id",
        "display_number",
        "app_id",
    }
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_resume_independently(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    audio(recipients=numbers(2)).execute(first.context())
    summary = audio(recipients=numbers(2)).execute(second.context())
    assert summary["resumed_batches"] == 0
    assert nxcloud_simulator.ledger.count() == 4


def test_sender_batch_size_follows_the_mode():
    assert BukaVoiceSender(None, app_id="a", text="t", language="EN").max_batch == 1
    assert BukaVoiceSender(None, app_id="a", mode="audio", file_id="f").max_batch == 200


def test_reply_parsing_per_callee():
    reply = {
        "status": "0",
        "data": [
            {"voiceId": "v1", "callee": "6591000001", "terminationCode": "0"},
            {"voiceId": "", "callee": "6591000002", "terminationCode": "-21", "terminationReason": "bad"},
        ],
    }
    results = voice_results(["6591000001", "6591000002", "6591000003"], reply)
    assert [(r.status, r.vendor_id, r.error) for r in results] == [
        ("accepted", "v1", None),
        ("rejected", None, "bad"),
        ("rejected", None, "not accepted by Buka"),
    ]
    # a bare id for a one-callee request, and a success without ids
    assert voice_results(["6591000001"], {"data": "v9"})[0].vendor_id == "v9"
    assert [r.status for r in voice_results(["6591000001", "6591000002"], {"status": "0"})] == [
        "accepted",
        "accepted",
    ]
