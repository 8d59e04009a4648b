"""Buka voice group-call tasks against the simulator: create exactly once, wait (poke and deferred),
resend exactly once, cancel, and every status a task can show."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, PokeReturnValue, TaskDeferred

from airflow_provider_nxcloud.campaign.progress import STORE_KEY, campaign_key
from airflow_provider_nxcloud.exceptions import CreateInDoubtError, RetryableAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.buka_voice import (
    VoiceTasks,
    VoiceTaskWatch,
    task_state,
    upload_name,
    vendor_windows,
)
from airflow_provider_nxcloud.jobs.watch import FAILURE, RUNNING, SUCCESS, stable_name, watch_for
from airflow_provider_nxcloud.operators.buka_voice_tasks import (
    BukaCancelVoiceTaskOperator,
    BukaCreateVoiceTaskOperator,
    BukaResendVoiceTaskOperator,
)
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.sensors.buka_voice_tasks import BukaVoiceTaskSensor
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import TaskRun, numbers
from tests.triggers.test_wait import all_events, sleeping_on

UNANSWERED = "6591230000"  # ends in 0000: the simulator's call to it fails
TRIGGER = "airflow_provider_nxcloud.triggers.wait.WaitTrigger"


@pytest.fixture
def sim(nxcloud_simulator, monkeypatch):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves the tasks on
    original = BukaHook.__init__

    def without_backoff(self, *args: Any, **kwargs: Any) -> None:
        # the hook's in-hook retries without their waits (the simulator asks for Retry-After: 1)
        kwargs.setdefault("sleep", lambda seconds: None)
        original(self, *args, **kwargs)

    monkeypatch.setattr(BukaHook, "__init__", without_backoff)
    return nxcloud_simulator


@pytest.fixture
def run() -> TaskRun:
    return TaskRun(dag_id="voice_dag", task_id="create_voice_task")


def creator(**kwargs: Any) -> BukaCreateVoiceTaskOperator:
    kwargs.setdefault("numbers", numbers(3))
    kwargs.setdefault("task_name", "spring")
    if not {"voice_file_id", "audio_file", "text"} & set(kwargs):
        kwargs["text"] = "Hello from the campaign"
        kwargs.setdefault("language", "EN")
    return BukaCreateVoiceTaskOperator(task_id="create_voice_task", **kwargs)


def stored(sim) -> dict[str, Any]:
    """The one task the simulator holds (what the vendor received)."""
    [task] = sim.state.store.table("buka", "voice_task").values()
    return task


def detail(task_id: str) -> dict[str, Any]:
    return BukaHook().call("voice_task_detail", path_params={"task_id": task_id})["data"]


def create_task(run: TaskRun, **kwargs: Any) -> str:
    return creator(**kwargs).execute(run.context())["task_id"]


def sensor(**kwargs: Any) -> BukaVoiceTaskSensor:
    kwargs.setdefault("poke_interval", 0.01)
    kwargs.setdefault("timeout", 60)
    return BukaVoiceTaskSensor(task_id="wait_voice_task", **kwargs)


def expected_name(run: TaskRun, prefix: str = "spring") -> str:
    ti = run.ti
    return stable_name(campaign_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index), prefix, max_length=64)


# ----- create ---------------------------------------------------------------------------------


def test_create_makes_one_task_named_after_the_task_instance(sim, run):
    result = creator(numbers=[*numbers(2), UNANSWERED], display_number="6561234567").execute(run.context())

    name = expected_name(run)
    assert result == {
        "task_id": result["task_id"],
        "task_name": name,
        "numbers": 3,
        "invalid": 0,
        "duplicates": 0,
        "created": True,
    }
    json.dumps(result)
    assert run.ti.xcoms["task_id"] == result["task_id"]
    [entry] = sim.ledger.entries(platform="buka", kind="voice_task")
    assert (entry.vendor_id, entry.recipient, entry.client_reference) == (result["task_id"], name, name)
    # looked up by name first, through the documented query (strTime/endTime are required)
    assert sim.requests.count("buka", "voice_task_list") == 1
    task = stored(sim)
    assert task["numbers"] == [*numbers(2), UNANSWERED]
    assert task["settings"] == {
        "appId": accounts.BUKA_VOICE_APP_ID,
        "taskName": name,
        "source": 3,
        "text": "Hello from the campaign",
        "lan": "EN",
        "displayNum": "6561234567",
        # required by voice-api17; the operator's documented defaults
        "loopCount": 1,
        "maxCalls": 120,
    }
    assert len(name) <= 64 and name.startswith("spring-")


def test_the_constructor_stores_arguments_unchanged_and_sends_nothing(sim):
    op = creator(numbers="{{ params.numbers }}", loop_count="{{ params.loops }}", send_time="{{ ds }}")
    assert (op.numbers, op.loop_count, op.send_time) == (
        "{{ params.numbers }}",
        "{{ params.loops }}",
        "{{ ds }}",
    )
    assert {"numbers", "task_name", "text", "send_time", "allowed_windows"} <= set(op.template_fields)
    assert sim.requests.total() == 0


def test_create_can_be_mapped():
    from airflow.sdk import DAG

    with DAG("voice_task_mapping", schedule=None):
        mapped = BukaCreateVoiceTaskOperator.partial(
            task_id="create", task_name="spring", text="Hi", language="EN"
        ).expand(numbers=[numbers(2), numbers(3)])
    assert mapped.task_id == "create"


def test_mapped_instances_get_their_own_task(sim):
    ids = {create_task(TaskRun(map_index=index)) for index in range(2)}
    assert len(ids) == 2
    assert sim.ledger.count(kind="voice_task") == 2


def test_a_second_try_finds_the_task_and_creates_nothing(sim, run):
    first = creator().execute(run.context())
    again = creator().execute(run.retry())
    assert (again["task_id"], again["created"]) == (first["task_id"], False)
    assert sim.ledger.count(kind="voice_task") == 1
    assert sim.requests.count("buka", "voice_task_create") == 1


def test_a_retried_create_never_creates_a_second_task(sim, run):
    # request 1 looks (nothing), 2 creates and its reply is lost, 3-6 look again and fail
    sim.faults.set(at={2: "reset_after", 3: "http_503", 4: "http_503", 5: "http_503", 6: "http_503"})
    with pytest.raises(RetryableAPIError):
        creator().execute(run.context())
    [entry] = sim.ledger.entries(kind="voice_task")

    result = creator().execute(run.retry())
    assert (result["task_id"], result["created"]) == (entry.vendor_id, False)
    assert sim.ledger.count(kind="voice_task") == 1
    assert sim.requests.count("buka", "voice_task_create") == 1
    assert run.ti.xcoms["task_id"] == entry.vendor_id


def test_a_lost_create_reply_is_resolved_in_the_same_try(sim, run):
    sim.faults.next("reset_after", endpoint="voice_task_create", platform="buka")
    result = creator().execute(run.context())
    [entry] = sim.ledger.entries(kind="voice_task")
    assert (result["task_id"], result["created"]) == (entry.vendor_id, False)


def test_a_lost_create_that_the_vendor_never_saw_is_in_doubt_and_a_retry_creates_it(sim, run):
    sim.faults.next("reset_before", endpoint="voice_task_create", platform="buka")
    with pytest.raises(CreateInDoubtError, match="a retry looks it up again"):
        creator().execute(run.context())
    assert sim.ledger.count(kind="voice_task") == 0

    assert creator().execute(run.retry())["created"] is True
    assert sim.ledger.count(kind="voice_task") == 1


def test_each_audio_source(sim, run, tmp_path):
    audio = tmp_path / "welcome message.mp3"
    audio.write_bytes(b"ID3 not really audio")

    create_task(run, voice_file_id="file-17")
    assert {k: stored(sim)["settings"][k] for k in ("source", "voiceFileId")} == {
        "source": 1,
        "voiceFileId": "file-17",
    }

    sim.reset()
    sim.clock.set_time_scale(0)
    create_task(run, audio_file=str(audio))
    settings = stored(sim)["settings"]
    assert settings["source"] == 2
    assert settings["uploadName"] == upload_name("welcome message.mp3", expected_name(run)[-16:])
    assert settings["uploadName"].startswith("welcome message-") and len(settings["uploadName"]) <= 32
    [entry] = sim.ledger.entries(kind="voice_task")
    assert entry.content == settings["uploadName"]

    sim.reset()
    sim.clock.set_time_scale(0)
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    create_task(run, audio_file=ObjectStoragePath(f"file://{audio}"))
    assert stored(sim)["settings"]["uploadName"] == settings["uploadName"]


def test_options_reach_the_vendor_as_its_fields(sim, run):
    create_task(
        run,
        send_time="2030-01-15T09:30:00+00:00",
        allowed_windows=[("09:00", "12:00"), {"start": "14:00", "end": "18:00"}],
        windows_timezone="Europe/London",
        loop_count="3",
        max_call_seconds=60,
        max_ringing_seconds=30,
        hang_up_sms={
            "content": "Thanks for listening",
            "sender_id": "Shop",
            "triggers": ["success", "feedback"],
            "feedback_value": 1,
        },
        transfer_to_agent={
            "sip_group_id": 42,
            "type": "on_key",
            "key": 1,
            "outbound_control": 1,
            "callout_rate": 2,
        },
    )
    settings = stored(sim)["settings"]
    assert {k: v for k, v in settings.items() if k not in ("appId", "taskName", "source", "text", "lan")} == {
        "sendTime": "2030-01-15 17:30:00",
        # London is UTC+0 in January: 09-12 is 17-20 in UTC+8, 14-18 is 22-02 (split at midnight)
        "allowSendTime": [
            {"strTime": "00:00", "endTime": "02:00"},
            {"strTime": "17:00", "endTime": "20:00"},
            {"strTime": "22:00", "endTime": "23:59"},
        ],
        "loopCount": 3,
        "maxCalls": 60,
        "maxRingingTime": 30,
        "hangUpSms": 1,
        "smsAppId": accounts.BUKA_SMS_APP_ID,
        "smsContent": "Thanks for listening",
        "senderId": "Shop",
        "feedbackPush": 1,
        "feedbackValue": "1",
        "successPush": 1,
        "failedPush": 0,
        "ringPush": 0,
        "toSeat": 1,
        "sipGroupId": 42,
        "toSeatType": 2,
        "toSeatKey": "1",
        "outboundControl": 1,
        "calloutRate": 2,
    }
    assert detail(stored(sim)["id"])["status"] == 0  # waits for its send time


JANUARY = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)
JULY = dt.datetime(2030, 7, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("windows", "zone", "on", "expected"),
    [
        ([("09:00", "12:00")], "Asia/Singapore", JANUARY, [("09:00", "12:00")]),
        ([("09:00", "12:00")], "Europe/London", JANUARY, [("17:00", "20:00")]),
        ([("09:00", "12:00")], "Europe/London", JULY, [("16:00", "19:00")]),  # BST, UTC+1
        ([("09:00", "17:00")], "America/New_York", JULY, [("00:00", "05:00"), ("21:00", "23:59")]),
        # a window that wraps midnight where it is written is split in the vendor's zone too
        ([("22:00", "02:00")], "Asia/Shanghai", JANUARY, [("00:00", "02:00"), ("22:00", "23:59")]),
        ([{"start": "16:00", "end": "24:00"}], "UTC", JANUARY, [("00:00", "08:00")]),
        ([("00:00", "24:00")], "Asia/Singapore", JANUARY, [("00:00", "23:59")]),
        # overlapping windows are merged
        ([("09:00", "12:00"), ("11:00", "13:00")], "Asia/Singapore", JANUARY, [("09:00", "13:00")]),
    ],
)
def test_windows_move_to_the_vendor_zone(windows, zone, on, expected):
    converted = vendor_windows(windows, zone, on=on)
    assert [(w["strTime"], w["endTime"]) for w in converted] == expected


def test_invalid_numbers_can_be_skipped(sim, run):
    result = creator(numbers=[*numbers(2), "12345", numbers(1)[0]], on_invalid="skip").execute(run.context())
    assert (result["numbers"], result["invalid"], result["duplicates"]) == (2, 1, 1)
    assert stored(sim)["numbers"] == numbers(2)


def test_numbers_come_from_a_file(sim, run, tmp_path):
    source = tmp_path / "numbers.txt"
    source.write_text("\n".join(["number", *numbers(4)]) + "\n")
    assert creator(numbers=str(source)).execute(run.context())["numbers"] == 4


def test_a_send_time_that_passed_is_accepted_on_a_retry(sim, run):
    """A retry may come after the send time: it finds the task the first try asked for in time."""
    first = creator(send_time="2099-01-01T00:00:00+00:00").execute(run.context())
    passed = "2020-01-01T00:00:00+00:00"  # as if the retry came after the send time
    again = creator(send_time=passed).execute(run.retry())
    assert (again["task_id"], again["created"]) == (first["task_id"], False)

    # without a task to find, the vendor refuses a send time in the past (-25)
    late = TaskRun(task_id="late")
    late.ti.try_number = 2
    with pytest.raises(AirflowFailException, match="-25"):
        creator(send_time=passed).execute(late.context())
    assert sim.ledger.count(kind="voice_task") == 1


def audio_file(tmp_path, name: str, data: bytes = b"ID3") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"numbers": ["6591000001", "12345"]}, "numbers"),
    ({"numbers": []}, "numbers"),
    ({"numbers": None}, "numbers"),
    ({"on_invalid": "maybe"}, "on_invalid"),
    ({"allowed_regions": ["MY"]}, "numbers"),
    ({"task_name": " "}, "task_name"),
    ({"text": None, "language": None}, "voice_file_id | audio_file | text"),
    ({"voice_file_id": "file-17", "text": "hi", "language": "EN"}, "voice_file_id | audio_file | text"),
    ({"voice_file_id": "file-17", "language": "EN"}, "language"),
    ({"language": None}, "language"),
    ({"language": "XX"}, "language"),
    ({"text": "x" * 1001}, "text"),
    ({"text": None, "language": None, "audio_file": "/no/such/dir/welcome.mp3"}, "audio_file"),
    ({"text": None, "language": None, "audio_file": "TMP/welcome.ogg"}, "audio_file"),
    ({"text": None, "language": None, "audio_file": "TMP/empty.mp3"}, "audio_file"),
    ({"text": None, "language": None, "audio_file": 17}, "audio_file"),
    ({"send_time": "2030-01-01 10:00"}, "send_time"),
    ({"send_time": dt.datetime(2030, 1, 1, 10, 0)}, "send_time"),
    ({"send_time": "2020-01-01T00:00:00+00:00"}, "send_time"),
    ({"send_time": "not a time"}, "send_time"),
    ({"send_time": "P1D"}, "send_time"),
    ({"allowed_windows": [("09:00", "12:00")]}, "windows_timezone"),
    ({"allowed_windows": [("09:00", "12:00")], "windows_timezone": "Mars/Olympus"}, "windows_timezone"),
    ({"windows_timezone": "UTC"}, "windows_timezone"),
    ({"allowed_windows": [("9am", "12:00")], "windows_timezone": "UTC"}, "allowed_windows[0]"),
    ({"allowed_windows": [("09:00", "09:00")], "windows_timezone": "UTC"}, "allowed_windows[0]"),
    ({"allowed_windows": [{"from": "09:00"}], "windows_timezone": "UTC"}, "allowed_windows[0]"),
    ({"allowed_windows": "09:00-12:00", "windows_timezone": "UTC"}, "allowed_windows"),
    ({"display_number": "+6561234567"}, "display_number"),
    ({"display_number": "1" * 21}, "display_number"),
    ({"loop_count": 10}, "loop_count"),
    ({"loop_count": "often"}, "loop_count"),
    ({"max_call_seconds": 1000}, "max_call_seconds"),
    ({"max_ringing_seconds": 19}, "max_ringing_seconds"),
    ({"hang_up_sms": {"content": ""}}, "hang_up_sms"),
    ({"hang_up_sms": {"content": "hi", "sender": "x"}}, "hang_up_sms"),
    ({"hang_up_sms": {"content": "x" * 1025}}, "hang_up_sms"),
    ({"hang_up_sms": "hi"}, "hang_up_sms"),
    ({"transfer_to_agent": {"type": "after_task"}}, "transfer_to_agent"),
    ({"transfer_to_agent": {"sip_group_id": "42", "type": "on_key"}}, "transfer_to_agent"),
    ({"transfer_to_agent": {"sip_group_id": "42", "key": 1}}, "transfer_to_agent"),
    ({"transfer_to_agent": {"sip_group_id": "42", "type": "later"}}, "transfer_to_agent"),
    ({"transfer_to_agent": {"sip_group_id": "42", "callout_rate": 0}}, "transfer_to_agent"),
    ({"transfer_to_agent": {"sip_group_id": "42", "outbound_control": 2}}, "transfer_to_agent"),
    ({"disposition_overrides": {"-41": "sometimes"}}, "disposition_overrides"),
]


@pytest.mark.parametrize(("change", "parameter"), BAD_INPUT)
def test_bad_input_fails_before_any_request(sim, run, tmp_path, change, parameter):
    audio_file(tmp_path, "welcome.ogg")
    audio_file(tmp_path, "empty.mp3", b"")
    if isinstance(change.get("audio_file"), str):
        change = {**change, "audio_file": change["audio_file"].replace("TMP", str(tmp_path))}
    with pytest.raises(AirflowFailException) as failed:
        creator(**change).execute(run.context())
    assert str(failed.value).startswith(f"{parameter}:")
    assert sim.requests.total() == 0


def test_more_numbers_than_a_task_takes_fail_before_any_request(sim, run, monkeypatch):
    monkeypatch.setattr(buka, "VOICE_TASK_MAX_NUMBERS", 3)  # 200,000 numbers are slow to validate
    with pytest.raises(AirflowFailException, match="numbers: has more than 3 valid numbers"):
        creator(numbers=numbers(4)).execute(run.context())
    assert sim.requests.total() == 0


def test_a_vendor_refusal_fails_without_retries(sim, run):
    with pytest.raises(AirflowFailException, match="-32"):
        creator(app_id="someone-elses-app").execute(run.context())
    assert sim.ledger.count() == 0


def test_the_concurrent_task_limit_is_not_retried_in_the_hook(sim, run):
    """-37: a running task has to end first (hours): the create fails at once, sent once."""
    sim.faults.next_code("-37", endpoint="voice_task_create", platform="buka")
    with pytest.raises(AirflowFailException, match="-37"):
        creator().execute(run.context())
    assert sim.requests.count("buka", "voice_task_create") == 1
    # a DAG that should wait it out opts in: Airflow's task retry, never the hook's
    sim.faults.next_code("-37", endpoint="voice_task_create", platform="buka")
    with pytest.raises(RetryableAPIError) as retried:
        creator(disposition_overrides={"voice:-37": "retry"}).execute(run.retry())
    assert retried.value.retry_in_hook is False
    assert sim.requests.count("buka", "voice_task_create") == 2


# ----- waiting --------------------------------------------------------------------------------


def test_create_and_wait_on_the_worker(sim, run):
    sim.clock.set_time_scale(100)  # 2 simulated seconds pass in 0.02 real ones
    result = creator(numbers=[*numbers(2), UNANSWERED], wait_for_completion=True, poll_interval=0.01).execute(
        run.context()
    )
    state = result["state"]
    assert (state["outcome"], state["status"], state["task_id"]) == (
        SUCCESS,
        "2 completed",
        result["task_id"],
    )
    assert (state["numbers"], state["called"], state["answered"], state["failed"]) == (3, 3, 2, 1)
    assert (
        state["message"]
        == f"Buka voice task {result['task_id']} completed: 3 of 3 numbers called (2 answered, 1 failed)"
    )


async def test_create_defers_and_resumes(sim, run):
    op = creator(wait_for_completion=True, deferrable=True, poll_interval=5, timeout=600)
    ctx = run.context()
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(ctx)
    task_id = run.ti.xcoms["task_id"]  # pushed before the wait
    path, kwargs = deferred.value.trigger.serialize()
    assert path == TRIGGER
    assert (kwargs["watch"], kwargs["options"], kwargs["cancel_on_kill"]) == (
        "buka_voice_task",
        {"task_id": task_id},
        True,
    )
    json.dumps(kwargs)
    assert deferred.value.method_name == "execute_complete"

    [event] = await all_events(sleeping_on(sim, WaitTrigger(**kwargs)))
    result = op.execute_complete(ctx, event.payload)
    assert (result["task_id"], result["created"], result["state"]["outcome"]) == (task_id, True, SUCCESS)
    assert (result["state"]["status"], result["state"]["called"]) == ("2 completed", 3)
    assert sim.requests.count("buka", "voice_task_create") == 1


@pytest.mark.parametrize("cancel_on_kill", [True, False])
async def test_the_triggers_on_kill_cancels_only_when_asked(sim, run, cancel_on_kill):
    op = creator(wait_for_completion=True, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(run.context())
    _, kwargs = deferred.value.trigger.serialize()
    trigger = WaitTrigger(**{**kwargs, "cancel_on_kill": cancel_on_kill})

    await trigger.on_kill()

    task_id = run.ti.xcoms["task_id"]
    assert detail(task_id)["status"] == (4 if cancel_on_kill else 6)
    assert sim.requests.count("buka", "voice_task_cancel") == (1 if cancel_on_kill else 0)


def test_the_operators_on_kill_cancels_the_task_of_this_try(sim, run):
    op = creator()
    op.on_kill()  # nothing created yet: nothing to cancel
    assert sim.requests.total() == 0

    task_id = op.execute(run.context())["task_id"]
    op.on_kill()
    assert detail(task_id)["status"] == 4
    assert sim.requests.count("buka", "voice_task_cancel") == 1


def test_a_cancelled_task_fails_the_wait(sim, run):
    sim.clock.set_time_scale(1)
    op = creator(wait_for_completion=True, poll_interval=0.01, timeout=30)
    task_id = create_task(run)
    BukaCancelVoiceTaskOperator(task_id="cancel", voice_task_ids=task_id).execute(run.context())
    with pytest.raises(
        AirflowFailException, match=rf"Buka voice task {task_id} ended with status 4 \(cancelled\)"
    ):
        op.execute(run.retry())


# ----- the sensor -----------------------------------------------------------------------------


def test_sensor_pokes_until_the_task_completes(sim, run):
    task_id = create_task(run, numbers=[*numbers(3), UNANSWERED])
    wait = sensor(voice_task_id=task_id)
    ctx = run.context()

    assert wait.poke(ctx) is False
    sim.clock.advance(1.5)
    assert wait.poke(ctx) is False
    sim.clock.advance(1)
    done = wait.poke(ctx)
    assert isinstance(done, PokeReturnValue) and done.is_done
    assert done.xcom_value == {
        "outcome": SUCCESS,
        "status": "2 completed",
        "message": f"Buka voice task {task_id} completed: 4 of 4 numbers called (3 answered, 1 failed)",
        "task_id": task_id,
        "task_name": expected_name(run),
        "status_code": 2,
        "numbers": 4,
        "called": 4,
        "answered": 3,
        "failed": 1,
    }
    assert sim.ledger.count(kind="voice_task") == 1  # waiting sent nothing


async def test_sensor_defers_and_resumes(sim, run):
    task_id = create_task(run)
    wait = sensor(voice_task_id=task_id, deferrable=True, poke_interval=5)
    ctx = run.context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    _, kwargs = deferred.value.trigger.serialize()
    assert (kwargs["options"], kwargs["cancel_on_kill"], kwargs["conn_id"]) == (
        {"task_id": task_id},
        False,
        "buka_default",
    )

    [event] = await all_events(sleeping_on(sim, WaitTrigger(**kwargs)))
    result = wait.execute_complete(ctx, event.payload)
    assert (result["outcome"], result["status"], result["called"]) == (SUCCESS, "2 completed", 3)
    assert sim.requests.count("buka", "voice_task_cancel") == 0


def test_sensor_fails_on_a_cancelled_task(sim, run):
    task_id = create_task(run)
    BukaCancelVoiceTaskOperator(task_id="cancel", voice_task_ids=[task_id]).execute(run.context())
    with pytest.raises(
        AirflowFailException, match=r"ended with status 4 \(cancelled\): 0 of 3 numbers called"
    ):
        sensor(voice_task_id=task_id).poke(run.context())


def test_sensor_reads_a_suspended_task_as_running(sim, run):
    now = dt.datetime.fromtimestamp(sim.clock.now(), dt.UTC)
    later = now + dt.timedelta(hours=2)
    window = (later.strftime("%H:%M"), (later + dt.timedelta(minutes=1)).strftime("%H:%M"))
    task_id = create_task(run, allowed_windows=[window], windows_timezone="UTC")
    state = VoiceTasks(BukaHook()).state(task_id)
    assert (state.outcome, state.status) == (RUNNING, "5 suspended")
    assert "is suspended (paused, or outside its allowed calling windows)" in state.message
    assert sensor(voice_task_id=task_id).poke(run.context()) is False


@pytest.mark.parametrize("voice_task_id", ["", None, True, ["1"], "task-17"])
def test_sensor_bad_input_fails_before_any_request(sim, run, voice_task_id):
    with pytest.raises(AirflowFailException, match=r"^voice_task_id:"):
        sensor(voice_task_id=voice_task_id).poke(run.context())
    assert sim.requests.total() == 0


def test_an_unknown_task_fails_the_sensor(sim, run):
    with pytest.raises(AirflowFailException, match="-24"):
        sensor(voice_task_id="123456789").poke(run.context())


# ----- every status -----------------------------------------------------------------------------

EXPECTED_STATUS = {
    0: (RUNNING, "is waiting to be submitted (status 0)"),
    1: (RUNNING, "is calling (status 1)"),
    2: (SUCCESS, "completed"),
    3: (FAILURE, "ended with status 3 (submission failed)"),
    4: (FAILURE, "ended with status 4 (cancelled)"),
    5: (RUNNING, "is suspended (paused, or outside its allowed calling windows)"),
    6: (RUNNING, "is submitting (status 6)"),
}


def test_every_documented_status_is_mapped():
    assert set(EXPECTED_STATUS) == set(buka.VOICE_TASK_STATUSES)


@pytest.mark.parametrize("status", sorted(EXPECTED_STATUS))
@pytest.mark.parametrize("as_text", [False, True])
def test_status_mapping(status, as_text):
    # the detail's documented names (onbuka.com/voice-api19): no callNum there
    record = {"jobId": 17, "taskName": "t", "status": str(status) if as_text else status, "numCnt": 100}
    record.update(success=38, fail=2)
    watch = VoiceTaskWatch("17")
    calls = []

    def request(endpoint, **kwargs):
        calls.append((endpoint.name, kwargs))
        return {"code": 0, "msg": "success", "data": record}

    state = drive(watch.poll(), request, Pacer())
    outcome, words = EXPECTED_STATUS[status]
    assert state.outcome == outcome
    assert state.message == f"Buka voice task 17 {words}: 40 of 100 numbers called (38 answered, 2 failed)"
    assert state.details["status_code"] == status
    assert calls == [("voice_task_detail", {"path_params": {"task_id": 17}})]


def test_an_undocumented_status_keeps_the_wait_going():
    state = task_state("17", {"status": 9})
    assert (state.outcome, state.status) == (RUNNING, "9 not documented")
    assert "status 9, which Buka does not document" in state.message
    with pytest.raises(ValueError, match="no task record"):
        drive(VoiceTaskWatch("17").poll(), lambda endpoint, **kw: {"code": 0, "data": None}, Pacer())


def test_the_watch_is_registered_and_round_trips():
    watch = watch_for("buka_voice_task", None, {"task_id": 17})
    assert isinstance(watch, VoiceTaskWatch)
    assert (watch.options(), watch.subject, watch.platform) == (
        {"task_id": "17"},
        "Buka voice task 17",
        "buka",
    )


# ----- resend -----------------------------------------------------------------------------------


def resender(**kwargs: Any) -> BukaResendVoiceTaskOperator:
    return BukaResendVoiceTaskOperator(task_id="resend_voice_task", **kwargs)


def finished_task(sim, run, numbers_: list[str] | None = None) -> str:
    task_id = create_task(run, numbers=numbers_ or [*numbers(2), UNANSWERED])
    sim.clock.advance(3)
    return task_id


def test_resend_calls_the_failed_numbers_once_per_task_instance(sim, run):
    task_id = finished_task(sim, run)
    resend_run = TaskRun(task_id="resend_voice_task")

    result = resender(voice_task_id=task_id).execute(resend_run.context())
    assert result == {"task_id": task_id, "resent": True, "failed_only": True, "resolution": "resent"}
    [entry] = sim.ledger.entries(kind="voice_task_resend")
    assert (entry.recipient, entry.content, entry.details) == (task_id, "1", {"numbers": 1})
    assert detail(task_id)["status"] == 6

    again = resender(voice_task_id=task_id).execute(resend_run.retry())
    assert again["resolution"] == "resent by an earlier try"
    assert sim.requests.count("buka", "voice_task_resend") == 1


def test_resend_of_all_numbers(sim, run):
    task_id = finished_task(sim, run)
    resender(voice_task_id=task_id, failed_only=False).execute(TaskRun(task_id="r").context())
    [entry] = sim.ledger.entries(kind="voice_task_resend")
    assert (entry.content, entry.details) == ("0", {"numbers": 3})


def test_resend_with_no_failed_number_resends_nothing(sim, run):
    task_id = finished_task(sim, run, numbers(2))
    resend_run = TaskRun(task_id="r")
    result = resender(voice_task_id=task_id).execute(resend_run.context())
    assert (result["resent"], result["resolution"]) == (False, "nothing to resend")
    assert resend_run.store.values[STORE_KEY]["in_flight"] == []
    assert sim.ledger.count(kind="voice_task_resend") == 0


def test_a_resend_whose_reply_is_lost_is_resolved_by_reading_the_task(sim, run):
    task_id = finished_task(sim, run)
    resend_run = TaskRun(task_id="r")
    sim.faults.next("reset_after", endpoint="voice_task_resend", platform="buka")

    assert resender(voice_task_id=task_id).execute(resend_run.context())["resolution"] == "resent"
    resender(voice_task_id=task_id).execute(resend_run.retry())
    assert sim.ledger.count(kind="voice_task_resend") == 1
    assert sim.requests.count("buka", "voice_task_resend") == 1


def test_a_resend_whose_reply_is_lost_is_not_repeated_on_retry(sim, run, monkeypatch):
    task_id = finished_task(sim, run)
    resend_run = TaskRun(task_id="r")
    # the resend is accepted but its reply lost, and the task cannot be read again in this try
    sim.faults.next("reset_after", endpoint="voice_task_resend", platform="buka")
    send = VoiceTasks.resend

    def resend_then_unreadable(self: VoiceTasks, *args: Any, **kwargs: Any) -> None:
        sim.faults.next("http_503", 4, endpoint="voice_task_detail", platform="buka")
        send(self, *args, **kwargs)

    monkeypatch.setattr(VoiceTasks, "resend", resend_then_unreadable)
    with pytest.raises(RetryableAPIError):
        resender(voice_task_id=task_id).execute(resend_run.context())
    assert resend_run.store.values[STORE_KEY]["in_flight"] == [0]

    monkeypatch.setattr(VoiceTasks, "resend", send)
    result = resender(voice_task_id=task_id).execute(resend_run.retry())
    assert (result["resent"], result["resolution"]) == (True, "the resend of an earlier try took effect")
    assert sim.ledger.count(kind="voice_task_resend") == 1
    assert sim.requests.count("buka", "voice_task_resend") == 1


def test_a_resend_the_vendor_never_saw_is_sent_on_the_retry(sim, run):
    task_id = finished_task(sim, run)
    resend_run = TaskRun(task_id="r")
    sim.faults.next("reset_before", endpoint="voice_task_resend", platform="buka")
    with pytest.raises(CreateInDoubtError, match=f"Buka voice task {task_id} resend"):
        resender(voice_task_id=task_id).execute(resend_run.context())
    assert sim.ledger.count(kind="voice_task_resend") == 0

    assert resender(voice_task_id=task_id).execute(resend_run.retry())["resolution"] == "resent"
    assert sim.ledger.count(kind="voice_task_resend") == 1


def test_resend_of_a_running_task_fails_and_forgets_the_attempt(sim, run):
    task_id = create_task(run)
    resend_run = TaskRun(task_id="r")
    with pytest.raises(AirflowFailException, match="-42"):
        resender(voice_task_id=task_id).execute(resend_run.context())
    assert resend_run.store.values[STORE_KEY]["in_flight"] == []


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"voice_task_id": ""}, "voice_task_id"),
        ({"voice_task_id": "17", "failed_only": "yes"}, "failed_only"),
    ],
)
def test_resend_bad_input_fails_before_any_request(sim, kwargs, parameter):
    with pytest.raises(AirflowFailException, match=f"^{parameter}:"):
        resender(**kwargs).execute(TaskRun().context())
    assert sim.requests.total() == 0


# ----- cancel -----------------------------------------------------------------------------------


def canceller(ids: Any) -> BukaCancelVoiceTaskOperator:
    return BukaCancelVoiceTaskOperator(task_id="cancel_voice_tasks", voice_task_ids=ids)


def test_cancel_one_task_or_several(sim, run):
    first = create_task(run)
    second = create_task(TaskRun(map_index=1))
    assert canceller(first).execute(run.context()) == {"cancelled": [first]}
    assert canceller([first, second]).execute(run.context()) == {"cancelled": [first, second]}
    assert (detail(first)["status"], detail(second)["status"]) == (4, 4)


def test_a_cancel_whose_reply_is_lost_is_checked_not_blindly_failed(sim, run):
    task_id = create_task(run)
    sim.faults.next("reset_after", endpoint="voice_task_cancel", platform="buka")
    assert canceller(task_id).execute(run.context()) == {"cancelled": [task_id]}
    assert detail(task_id)["status"] == 4
    assert sim.requests.count("buka", "voice_task_cancel") == 1


def test_cancel_of_an_unknown_task_fails(sim, run):
    with pytest.raises(AirflowFailException, match="-54"):
        canceller(["123"]).execute(run.context())


@pytest.mark.parametrize("ids", [[], "", None, {"id": "1"}, ["1", ""]])
def test_cancel_bad_input_fails_before_any_request(sim, run, ids):
    with pytest.raises(AirflowFailException, match=r"^voice_task_ids:"):
        canceller(ids).execute(run.context())
    assert sim.requests.total() == 0
