"""Buka AI voice tasks against the simulator: create exactly once with its customers, start, pause,
delete, and wait (poke and deferrable) until every customer was called."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, PokeReturnValue, TaskDeferred

from airflow_provider_nxcloud.campaign.progress import campaign_key_from_context
from airflow_provider_nxcloud.exceptions import (
    BatchInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.buka_ai_voice import (
    AiVoiceTaskWatch,
    CustomerImporter,
    check_daily_window,
    find_task,
    task_fields,
    task_state,
)
from airflow_provider_nxcloud.jobs.watch import FAILURE, RUNNING, SUCCESS, stable_name
from airflow_provider_nxcloud.operators.buka_ai_voice import (
    BukaCreateAiVoiceTaskOperator,
    BukaDeleteAiVoiceTaskOperator,
    BukaPauseAiVoiceTaskOperator,
    BukaStartAiVoiceTaskOperator,
)
from airflow_provider_nxcloud.platforms import buka as vendor
from airflow_provider_nxcloud.sensors.buka_ai_voice import BukaAiVoiceTaskSensor
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.triggers.wait import WaitTrigger
from tests.operators.conftest import TaskRun, numbers
from tests.testing.clients import buka_call
from tests.triggers.test_wait import all_events, sleeping_on


@pytest.fixture(autouse=True)
def short_settle_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import in doubt is looked at again 60 s after it was sent; these tests wait 0.2 s."""
    monkeypatch.setattr(CustomerImporter, "settle_delay", 0.2)


APP = accounts.BUKA_AI_VOICE_APP_ID
SENDS = ("ai_task_add", "ai_import_customer", "ai_task_start", "ai_task_stop", "ai_task_delete")


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves the dialler on
    return nxcloud_simulator


@pytest.fixture
def no_backoff(monkeypatch):
    """The hook's in-hook retries without their waits."""
    original = BukaHook.__init__

    def init(self: BukaHook, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", lambda seconds: None)
        original(self, *args, **kwargs)

    monkeypatch.setattr(BukaHook, "__init__", init)


def creator(**kwargs: Any) -> BukaCreateAiVoiceTaskOperator:
    kwargs = {
        "task_id": "create",
        "name": "renewals",
        "dialog_flow_id": 7,
        "robot_count": 2,
        "line_id": 3,
        **kwargs,
    }
    return BukaCreateAiVoiceTaskOperator(**kwargs)


def later(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat()


def tasks(sim) -> list[Any]:
    return sim.ledger.entries(platform="buka", kind="ai_voice_task")


def imported(sim) -> Counter[str]:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="ai_customer"))


def record(sim, job_id: Any) -> dict[str, Any] | None:
    body = {"current": 1, "size": 100, "params": {"appId": APP}}
    records = buka_call(sim.url, "ai_task_list", body).json()["data"]["records"]
    return next((r for r in records if str(r["jobId"]) == str(job_id)), None)


def sends(sim) -> int:
    return sum(sim.requests.count("buka", endpoint) for endpoint in SENDS)


def invalid(failed: pytest.ExceptionInfo[AirflowFailException]) -> InvalidInputError:
    cause = failed.value.__cause__
    assert isinstance(cause, InvalidInputError), failed.value
    return cause


# ----- the status table and the watch (no simulator) ------------------------------------------------


@pytest.mark.parametrize(
    "status,total,completed,outcome",
    [
        ("NOT_STARTED", 0, 0, RUNNING),
        ("RUNNING", 100, 40, RUNNING),
        ("PAUSED", 100, 40, RUNNING),
        ("COMPLETED", 100, 97, SUCCESS),
        ("TERMINATED", 100, 40, FAILURE),
        # taskCompleted counts successful calls only (itniotech taskList): the counts never decide
        ("RUNNING", 100, 100, RUNNING),
        ("SOMETHING_NEW", 100, 100, RUNNING),  # nor does a status the vendor never documented
        ("RUNNING", 0, 0, RUNNING),  # an empty task is not done
        ("SOMETHING_NEW", 100, 10, RUNNING),
    ],
)
def test_the_status_table(status, total, completed, outcome):
    state = task_state(
        "Buka AI voice task 17",
        {"jobId": 17, "name": "n", "status": status, "taskTotal": total, "taskCompleted": completed},
    )
    assert state.outcome == outcome
    assert state.message.startswith(f"Buka AI voice task 17 (n): {completed} of {total} calls successful")
    assert state.details == {
        "job_id": 17,
        "name": "n",
        "task_total": total,
        "task_completed": completed,
        "progress": f"{completed} of {total}",
    }
    assert vendor.AI_TASK_STATUSES.get(status, RUNNING) in (outcome, RUNNING)


def test_the_status_table_marks_paused_and_unknown_statuses():
    paused = task_state("T", {"status": "PAUSED", "taskTotal": 2, "taskCompleted": 1})
    assert "taskStart resumes it" in paused.message
    unknown = task_state("T", {"status": "QUEUED", "taskTotal": 2, "taskCompleted": 1})
    assert "does not know" in unknown.message


def test_every_status_has_an_outcome():
    assert set(vendor.AI_TASK_STATUSES.values()) <= {RUNNING, SUCCESS, FAILURE}
    assert set(vendor.AI_STARTABLE_STATUSES) | set(vendor.AI_PAUSABLE_STATUSES) <= set(
        vendor.AI_TASK_STATUSES
    )


def test_the_watch_round_trips_its_options():
    watch = AiVoiceTaskWatch(app_id="a", job_id="17", name="n")
    assert watch.options() == {"app_id": "a", "job_id": 17, "name": "n"}
    assert watch.subject == "Buka AI voice task 17"
    json.dumps(watch.options())


def test_finding_a_task_needs_an_id_or_a_name():
    with pytest.raises(InvalidInputError, match="job_id"):
        next(find_task("a"))


@pytest.mark.parametrize(
    "window", [("09:30", "18:00"), ["9:30", "18:00"], "09:30-18:00", {"start": "9:30", "end": "18:00"}]
)
def test_a_daily_window_may_be_written_several_ways(window):
    assert check_daily_window(window) == ("09:30", "18:00")


def test_the_fields_of_an_auto_task_are_written_in_china_time():
    fields = task_fields(
        dialog_flow_id="7",
        robot_count=2,
        line_id=3,
        mode="auto",
        daily_window=["9:00", "18:30"],
        start_time="2030-01-02T01:30:00+00:00",
        end_time=dt.datetime(2030, 1, 3, 12, 0, tzinfo=dt.UTC),
        days_of_week="monday, friday",
        inactive_times=[("12:00", "13:00"), {"start": "15:00", "end": "15:30"}],
        inactive_dates=[("2030-01-05", dt.date(2030, 1, 6))],
        redial=True,
        redial_conditions=["no_answer", "BUSY"],
        redial_times="2",
        now=dt.datetime(2029, 1, 1, tzinfo=dt.UTC),
    )
    assert fields == {
        "dialogFlowId": 7,
        "robotCount": 2,
        "jobPhoneNumberId": 3,
        "mode": "AUTO",
        "dailyStartDateTime": "09:00",
        "dailyEndDateTime": "18:30",
        "redial": True,
        "redialCondition": ["NO_ANSWER", "BUSY"],
        "redialTimes": 2,
        "startDateTime": "2030-01-02 09:30:00",
        "endDateTime": "2030-01-03 20:00:00",
        "daysOfWeek": ["MONDAY", "FRIDAY"],
        "inactiveTimeList": [
            {"startTime": "12:00", "endTime": "13:00"},
            {"startTime": "15:00", "endTime": "15:30"},
        ],
        "inactiveDateList": [{"startDate": "2030-01-05", "endDate": "2030-01-06"}],
    }


# ----- create ---------------------------------------------------------------------------------------


def test_create_imports_250_customers_in_3_requests_and_starts(sim):
    recipients = numbers(250)
    run = TaskRun()
    result = creator(customers=recipients, start=True).execute(run.context())

    [task] = tasks(sim)
    assert result == {
        "job_id": int(task.vendor_id),
        "name": stable_name(campaign_key_from_context(run.context()), "renewals", max_length=64),
        "imported": 250,
        "invalid": 0,
        "created": True,
        "started": True,
    }
    json.dumps(result)
    assert task.recipient == result["name"] and len(result["name"]) <= vendor.AI_TASK_NAME_MAX
    assert sim.requests.count("buka", "ai_import_customer") == 3
    assert imported(sim) == Counter(recipients)
    assert sim.ledger.duplicates() == {}
    assert {e.content for e in sim.ledger.entries(kind="ai_customer")} == {task.vendor_id}
    assert record(sim, result["job_id"])["status"] == "RUNNING"


def test_create_takes_customers_with_names_and_script_variables(sim):
    customers = [
        {
            "phone_number": "+65 9000 0001",
            "name": "Ann",
            "gender": "F",
            "properties": {"amount": 120, "due": "May"},
        },
        {"phoneNumber": "6590000002"},
    ]
    result = creator(customers=customers).execute(TaskRun().context())
    entries = sim.ledger.entries(kind="ai_customer")
    assert [(e.recipient, e.details["name"], e.details["properties"]) for e in entries] == [
        ("6590000001", "Ann", {"amount": "120", "due": "May"}),
        ("6590000002", None, {}),
    ]
    assert (result["imported"], result["started"]) == (2, False)
    assert record(sim, result["job_id"])["status"] == "NOT_STARTED"


def test_create_skips_invalid_and_duplicate_numbers_when_asked(sim):
    result = creator(customers="6590000001, 12, 6590000001, 6590000003", on_invalid="skip").execute(
        TaskRun().context()
    )
    assert (result["imported"], result["invalid"]) == (2, 1)
    assert imported(sim) == Counter({"6590000001": 1, "6590000003": 1})


def test_create_without_customers_creates_an_empty_task(sim):
    result = creator().execute(TaskRun().context())
    assert (result["imported"], result["invalid"], result["created"]) == (0, 0, True)
    assert sim.requests.count("buka", "ai_import_customer") == 0


def test_an_auto_task_starts_itself_at_its_start_time(sim):
    result = creator(customers=numbers(4), mode="AUTO", start_time=later(hours=1), robot_count=4).execute(
        TaskRun().context()
    )
    assert record(sim, result["job_id"])["status"] == "NOT_STARTED"
    sim.clock.advance(3600 + 2)
    assert record(sim, result["job_id"])["status"] == "COMPLETED"


def test_each_mapped_instance_gets_its_own_task(sim):
    first = creator(customers=numbers(1)).execute(TaskRun(map_index=0).context())
    second = creator(customers=numbers(1)).execute(TaskRun(map_index=1).context())
    assert first["name"] != second["name"] and first["job_id"] != second["job_id"]
    assert len(tasks(sim)) == 2


def test_running_the_same_task_instance_again_changes_nothing(sim):
    run = TaskRun()
    op = creator(customers=numbers(120), start=True)
    first = op.execute(run.context())
    again = op.execute(run.retry())
    assert again == {**first, "created": False}
    assert len(tasks(sim)) == 1 and imported(sim) == Counter(numbers(120))
    assert sim.requests.count("buka", "ai_import_customer") == 2
    assert sim.requests.count("buka", "ai_task_start") == 2  # the second answered -39: already running


@pytest.mark.parametrize(
    "kwargs,parameter",
    [
        ({"daily_window": ("08:00", "19:00")}, "daily_window"),
        ({"daily_window": ("09:00", "21:00")}, "daily_window"),
        ({"daily_window": ("18:00", "10:00")}, "daily_window"),
        ({"daily_window": "9 to 5"}, "daily_window"),
        ({"mode": "AUTO"}, "start_time"),
        ({"mode": "AUTO", "start_time": "2030-05-04 10:00:00"}, "start_time"),
        ({"mode": "AUTO", "start_time": "2020-05-04T10:00:00+08:00"}, "start_time"),
        ({"mode": "AUTO", "start_time": "soon"}, "start_time"),
        ({"start_time": later(hours=1)}, "start_time"),
        ({"end_time": "2020-01-01T00:00:00Z"}, "end_time"),
        ({"mode": "AUTO", "start_time": later(hours=1), "start": True, "customers": ["6590000001"]}, "start"),
        ({"mode": "LATER"}, "mode"),
        ({"dialog_flow_id": "abc"}, "dialog_flow_id"),
        ({"robot_count": 0}, "robot_count"),
        ({"line_id": True}, "line_id"),
        ({"redial": True}, "redial_conditions"),
        ({"redial": True, "redial_conditions": ["no answer"]}, "redial_conditions"),
        ({"redial_conditions": ["NO_ANSWER"]}, "redial"),
        ({"redial": "maybe"}, "redial"),
        ({"inactive_times": [("12:00", "13:00")] * 4}, "inactive_times"),
        ({"inactive_times": [("14:00", "13:00")]}, "inactive_times"),
        ({"inactive_dates": [("2030-13-01", "2030-13-02")]}, "inactive_dates"),
        ({"days_of_week": ["FUNDAY"]}, "days_of_week"),
        ({"customers": ["6590000001", "12"]}, "customers"),
        ({"customers": [{"name": "no number"}]}, "customers"),
        ({"customers": [{"phone_number": "6590000001", "email": "x@example.com"}]}, "customers"),
        ({"customers": [{"phone_number": "6590000001", "properties": {"a": [1]}}]}, "customers"),
        ({"start": True}, "customers"),
        ({"wait_for_completion": True, "customers": ["6590000001"]}, "wait_for_completion"),
        ({"name": ""}, "name"),
        ({"on_invalid": "ignore", "customers": ["6590000001"]}, "on_invalid"),
    ],
)
def test_bad_input_fails_before_any_request(sim, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        creator(**kwargs).execute(TaskRun().context())
    assert invalid(failed).parameter == parameter
    assert sim.requests.total() == 0


def test_the_constructor_stores_arguments_unchanged_and_sends_nothing(sim):
    op = creator(dialog_flow_id="{{ params.flow }}", daily_window="{{ params.window }}", customers="{{ x }}")
    assert (op.dialog_flow_id, op.daily_window, op.customers) == (
        "{{ params.flow }}",
        "{{ params.window }}",
        "{{ x }}",
    )
    assert set(op.template_fields) >= {
        "name",
        "dialog_flow_id",
        "customers",
        "start_time",
        "daily_window",
        "app_id",
    }
    assert sim.requests.total() == 0


def test_the_operators_can_be_mapped():
    from airflow.sdk import DAG

    with DAG("ai_voice_mapping", schedule=None):
        create = BukaCreateAiVoiceTaskOperator.partial(
            task_id="create", name="n", dialog_flow_id=1, robot_count=1, line_id=1
        ).expand(customers=[["6590000001"], ["6590000002"]])
        start = BukaStartAiVoiceTaskOperator.partial(task_id="start").expand(job_id=[1, 2])
        wait = BukaAiVoiceTaskSensor.partial(task_id="wait").expand(job_id=[1, 2])
    assert (create.task_id, start.task_id, wait.task_id) == ("create", "start", "wait")


def test_a_vendor_refusal_fails_at_once(sim):
    with pytest.raises(AirflowFailException) as failed:
        creator(app_id="someone-elses-app").execute(TaskRun().context())
    assert isinstance(failed.value.__cause__, PermanentAPIError)
    assert failed.value.__cause__.code == "-37"


def test_robots_above_the_account_maximum_are_retried_later(sim, no_backoff):
    with pytest.raises(RetryableAPIError, match="code -52"):
        creator(robot_count=11).execute(TaskRun().context())
    assert tasks(sim) == []


# ----- exactly once across tries ------------------------------------------------------------------


def test_a_retried_create_never_creates_a_second_task(sim, no_backoff):
    recipients = numbers(150)
    run = TaskRun()
    # 1 taskList: not there; 2 taskAdd: accepted, its reply lost; 3-6 every in-hook attempt of the lookup
    sim.faults.set(at={2: "reset_after", **{n: "http_500" for n in range(3, 7)}})
    op = creator(customers=recipients, start=True)
    with pytest.raises(RetryableAPIError):
        op.execute(run.context())
    assert len(tasks(sim)) == 1 and imported(sim) == Counter()

    result = op.execute(run.retry())
    [task] = tasks(sim)
    assert (result["job_id"], result["name"]) == (int(task.vendor_id), task.recipient)
    assert (result["created"], result["imported"], result["started"]) == (False, 150, True)
    assert imported(sim) == Counter(recipients)
    assert sim.ledger.duplicates() == {}
    assert sim.requests.count("buka", "ai_task_add") == 1


def test_a_lost_create_reply_is_settled_in_the_same_try(sim):
    sim.faults.set(at={2: "reset_after"})  # taskAdd accepted, its reply lost; the lookup finds it
    result = creator(customers=numbers(3)).execute(TaskRun().context())
    assert len(tasks(sim)) == 1 and result["created"] is False and result["imported"] == 3
    assert sim.requests.count("buka", "ai_task_add") == 1


def test_a_retry_after_a_failure_part_way_through_the_import_imports_nobody_twice(sim):
    recipients = numbers(250)
    run = TaskRun()
    # 1 taskList, 2 taskAdd, 3 import #1, 4 import #2: -47 "network busy" (a send: never repeated in-hook)
    sim.faults.set(at={4: "vendor_busy"})
    op = creator(customers=recipients)
    with pytest.raises(RetryableAPIError, match="code -47"):
        op.execute(run.context())
    assert imported(sim) == Counter(recipients[:100])

    result = op.execute(run.retry())
    assert imported(sim) == Counter(recipients)
    assert sim.ledger.duplicates() == {}
    assert sim.requests.count("buka", "ai_import_customer") == 4  # 1 + the refused one + the last 2
    assert len(tasks(sim)) == 1 and (result["imported"], result["created"]) == (250, False)


def test_a_lost_import_reply_is_settled_from_the_task_total(sim):
    recipients = numbers(250)
    sim.faults.set(at={4: "reset_after"})  # import #2 accepted, its reply lost
    result = creator(customers=recipients).execute(TaskRun().context())
    assert imported(sim) == Counter(recipients)
    assert sim.requests.count("buka", "ai_import_customer") == 3
    assert result["imported"] == 250


def test_an_import_in_flight_when_a_try_died_is_settled_by_the_retry(sim, no_backoff):
    recipients = numbers(250)
    run = TaskRun()
    # import #2 accepted with its reply lost, and the lookup that would settle it fails 4 times
    sim.faults.set(at={4: "reset_after", **{n: "http_500" for n in range(5, 9)}})
    op = creator(customers=recipients)
    with pytest.raises(RetryableAPIError):
        op.execute(run.context())
    assert imported(sim) == Counter(recipients[:200])

    assert op.execute(run.retry())["imported"] == 250
    assert imported(sim) == Counter(recipients)
    assert sim.requests.count("buka", "ai_import_customer") == 3


def test_an_import_that_cannot_be_settled_fails_naming_it_instead_of_importing_twice(sim, no_backoff):
    recipients = numbers(250)
    run = TaskRun()
    sim.faults.set(at={4: "reset_after", **{n: "http_500" for n in range(5, 9)}})
    op = creator(customers=recipients)
    with pytest.raises(RetryableAPIError):
        op.execute(run.context())
    # someone adds a customer by hand: the task total no longer tells whether batch 1 is in
    [task] = tasks(sim)
    body = {"appId": APP, "jobId": int(task.vendor_id), "customerPersons": [{"phoneNumber": "6590009999"}]}
    assert buka_call(sim.url, "ai_import_customer", body).json()["status"] == "0"

    with pytest.raises(AirflowFailException, match="batch 1") as failed:
        op.execute(run.retry())
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert imported(sim) == Counter([*recipients[:200], "6590009999"])


# ----- start, pause, delete -----------------------------------------------------------------------


def created(sim, count: int = 3, **kwargs: Any) -> int:
    return creator(customers=numbers(count), **kwargs).execute(TaskRun().context())["job_id"]


def action(cls: type, job_id: Any, run: TaskRun | None = None, **kwargs: Any) -> dict[str, Any]:
    return cls(task_id="act", job_id=job_id, **kwargs).execute((run or TaskRun()).context())


def test_start_pause_resume(sim):
    job_id = created(sim)
    assert action(BukaStartAiVoiceTaskOperator, job_id) == {
        "job_id": job_id,
        "action": "start",
        "result": "started",
    }
    assert action(BukaStartAiVoiceTaskOperator, str(job_id))["result"] == "already running"
    assert action(BukaPauseAiVoiceTaskOperator, job_id)["result"] == "paused"
    assert record(sim, job_id)["status"] == "PAUSED"
    assert action(BukaPauseAiVoiceTaskOperator, job_id)["result"] == "already paused"
    assert action(BukaStartAiVoiceTaskOperator, job_id)["result"] == "started"
    assert record(sim, job_id)["status"] == "RUNNING"


def test_the_wrong_state_fails_naming_it(sim):
    job_id = created(sim)
    with pytest.raises(AirflowFailException, match="cannot be paused: its status is NOT_STARTED"):
        action(BukaPauseAiVoiceTaskOperator, job_id)
    action(BukaStartAiVoiceTaskOperator, job_id)
    sim.clock.advance(10)
    with pytest.raises(AirflowFailException, match="cannot be started: its status is COMPLETED"):
        action(BukaStartAiVoiceTaskOperator, job_id)


def test_start_without_customers_fails(sim):
    job_id = creator().execute(TaskRun().context())["job_id"]
    with pytest.raises(AirflowFailException, match="-45") as failed:
        action(BukaStartAiVoiceTaskOperator, job_id)
    assert isinstance(failed.value.__cause__, PermanentAPIError)


def test_a_lost_start_reply_is_settled_by_the_status(sim):
    job_id = created(sim)
    sim.faults.next("reset_after", endpoint="ai_task_start")
    assert action(BukaStartAiVoiceTaskOperator, job_id)["result"] == "started"
    assert sim.requests.count("buka", "ai_task_start") == 1


def test_delete(sim):
    job_id = created(sim, start=True)
    with pytest.raises(AirflowFailException, match="cannot be deleted: its status is RUNNING"):
        action(BukaDeleteAiVoiceTaskOperator, job_id)
    action(BukaPauseAiVoiceTaskOperator, job_id)
    assert action(BukaDeleteAiVoiceTaskOperator, job_id)["result"] == "deleted"
    assert record(sim, job_id) is None


def test_deleting_an_unknown_task_fails(sim):
    with pytest.raises(AirflowFailException, match="-32"):
        action(BukaDeleteAiVoiceTaskOperator, 123456789)


def test_a_lost_delete_reply_is_settled_by_looking(sim):
    job_id = created(sim)
    sim.faults.next("reset_after", endpoint="ai_task_delete")
    assert action(BukaDeleteAiVoiceTaskOperator, job_id)["result"] == "deleted"
    assert sim.requests.count("buka", "ai_task_delete") == 1


def test_a_delete_retried_after_a_lost_reply_counts_minus_32_as_done(sim, no_backoff):
    job_id = created(sim)
    run = TaskRun()
    sim.faults.next("reset_after", endpoint="ai_task_delete")
    sim.faults.next("http_500", 4, endpoint="ai_task_list")  # the lookup that would settle it
    with pytest.raises(RetryableAPIError):
        action(BukaDeleteAiVoiceTaskOperator, job_id, run)
    assert record(sim, job_id) is None

    result = BukaDeleteAiVoiceTaskOperator(task_id="act", job_id=job_id).execute(run.retry())
    assert result["result"] == "already deleted"
    assert sim.requests.count("buka", "ai_task_delete") == 2


@pytest.mark.parametrize(
    "cls", [BukaStartAiVoiceTaskOperator, BukaPauseAiVoiceTaskOperator, BukaDeleteAiVoiceTaskOperator]
)
def test_a_bad_job_id_fails_before_any_request(sim, cls):
    with pytest.raises(AirflowFailException) as failed:
        action(cls, "not-a-number")
    assert invalid(failed).parameter == "job_id"
    assert sim.requests.total() == 0


# ----- waiting ------------------------------------------------------------------------------------


def sensor(job_id: Any, **kwargs: Any) -> BukaAiVoiceTaskSensor:
    kwargs = {"task_id": "wait", "job_id": job_id, "poke_interval": 0.01, "timeout": 30, **kwargs}
    return BukaAiVoiceTaskSensor(**kwargs)


def done_value(result: Any) -> dict[str, Any]:
    assert isinstance(result, PokeReturnValue) and result.is_done
    json.dumps(result.xcom_value)
    return result.xcom_value


def test_the_sensor_waits_until_every_customer_was_called(sim):
    job_id = created(sim, count=5, start=True)
    wait = sensor(job_id)
    ctx = TaskRun().context()
    assert wait.poke(ctx) is False
    sim.clock.advance(2)
    assert wait.poke(ctx) is False  # 2 of 5
    sim.clock.advance(4)
    value = done_value(wait.poke(ctx))
    assert (value["outcome"], value["status"], value["progress"], value["job_id"]) == (
        "success",
        "COMPLETED",
        "5 of 5",
        job_id,
    )
    assert value["message"].startswith(f"Buka AI voice task {job_id} (")


def test_the_sensor_pages_through_the_tasks_unless_it_has_the_name(sim):
    result = creator(customers=numbers(1), start=True).execute(TaskRun().context())
    for i in range(100):  # newer tasks push it to the second page
        body = {
            "appId": APP,
            "name": f"other-{i}",
            "dialogFlowId": 1,
            "robotCount": 1,
            "jobPhoneNumberId": 1,
            "redial": False,
            "mode": "MANUAL",
            "dailyStartDateTime": "09:00",
            "dailyEndDateTime": "18:00",
        }
        assert buka_call(sim.url, "ai_task_add", body).json()["status"] == "0"
    sim.clock.advance(2)
    sim.requests.clear()

    assert done_value(sensor(result["job_id"]).poke(TaskRun().context()))["outcome"] == "success"
    assert sim.requests.count("buka", "ai_task_list") == 2
    assert (
        done_value(sensor(result["job_id"], name=result["name"]).poke(TaskRun().context()))["outcome"]
        == "success"
    )
    assert sim.requests.count("buka", "ai_task_list") == 3


def test_a_deleted_task_fails_the_wait(sim):
    job_id = created(sim)
    action(BukaDeleteAiVoiceTaskOperator, job_id)
    wait = sensor(job_id)
    ctx = TaskRun().context()
    assert wait.poke(ctx) is False  # one miss may be paging; the second is not
    with pytest.raises(AirflowFailException, match="not in the task list any more"):
        wait.poke(ctx)


def test_a_terminated_task_fails_the_wait(sim):
    job_id = created(
        sim, count=10, mode="AUTO", start_time=later(seconds=30), end_time=later(seconds=35), robot_count=1
    )
    sim.clock.advance(60)
    with pytest.raises(AirflowFailException, match="ended before every customer was called"):
        sensor(job_id).poke(TaskRun().context())


def test_a_bad_job_id_fails_the_sensor_before_any_request(sim):
    with pytest.raises(AirflowFailException) as failed:
        sensor("{{ bad }}").poke(TaskRun().context())
    assert invalid(failed).parameter == "job_id"
    assert sim.requests.total() == 0


async def test_the_deferred_sensor_runs_the_trigger_and_resumes(sim):
    job_id = created(sim, count=6, start=True)
    sent = sends(sim)
    wait = sensor(job_id, deferrable=True, poke_interval=2)
    ctx = TaskRun().context()
    with pytest.raises(TaskDeferred) as deferred:
        wait.execute(ctx)
    path, kwargs = deferred.value.trigger.serialize()
    assert path == "airflow_provider_nxcloud.triggers.wait.WaitTrigger"
    assert (kwargs["watch"], kwargs["options"], kwargs["cancel_on_kill"]) == (
        "buka_ai_voice_task",
        {"app_id": APP, "job_id": job_id, "name": None},
        False,
    )
    json.dumps(kwargs)
    trigger = sleeping_on(sim, WaitTrigger(**kwargs))

    [event] = await all_events(trigger)
    result = wait.execute_complete(ctx, event.payload)
    assert (result["outcome"], result["progress"]) == ("success", "6 of 6")
    assert sends(sim) == sent  # the wait only read


def test_create_can_wait_for_completion_on_the_worker(sim):
    sim.clock.set_time_scale(100)  # 2 simulated seconds (one step of the dialler) in 20 ms
    result = creator(
        customers=numbers(4),
        robot_count=4,
        start=True,
        wait_for_completion=True,
        poll_interval=0.01,
        wait_timeout=10,
    ).execute(TaskRun().context())
    assert result["completion"]["outcome"] == "success"
    assert result["completion"]["progress"] == "4 of 4"


async def test_create_defers_and_a_kill_pauses_the_task(sim):
    run = TaskRun()
    op = creator(customers=numbers(6), start=True, wait_for_completion=True, deferrable=True, poll_interval=2)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(run.context())
    created_result = run.ti.xcoms["ai_voice_task"]
    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["cancel_on_kill"] is True

    await WaitTrigger(**kwargs).on_kill()
    assert record(sim, created_result["job_id"])["status"] == "PAUSED"

    action(BukaStartAiVoiceTaskOperator, created_result["job_id"])
    [event] = await all_events(sleeping_on(sim, WaitTrigger(**kwargs)))
    result = op.execute_complete(run.context(), event.payload)
    assert result["job_id"] == created_result["job_id"] and result["completion"]["outcome"] == "success"
