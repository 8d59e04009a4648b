"""Buka AI voice tasks in the simulator: taskAdd, importCustomer, taskStart/Stop/Del, taskList, progress."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.buka_ai_voice import MAX_ROBOTS, vendor_time
from tests.testing.clients import buka_call

APP = accounts.BUKA_AI_VOICE_APP_ID


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves the dialler on
    return nxcloud_simulator


def call(sim, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    return buka_call(sim.url, endpoint, body).json()


def task_body(**change: Any) -> dict[str, Any]:
    body = {
        "appId": APP,
        "name": "renewals",
        "dialogFlowId": 7,
        "robotCount": 2,
        "jobPhoneNumberId": 3,
        "redial": False,
        "mode": "MANUAL",
        "dailyStartDateTime": "09:00",
        "dailyEndDateTime": "18:00",
        **change,
    }
    return {key: value for key, value in body.items() if value is not None}


def add(sim, **change: Any) -> int:
    reply = call(sim, "ai_task_add", task_body(**change))
    assert reply["status"] == "0", reply
    return reply["data"]["jobId"]


def numbers(count: int, start: int = 6591000001) -> list[str]:
    return [str(start + i) for i in range(count)]


def import_(sim, job_id: Any, phones: list[str], **change: Any) -> dict[str, Any]:
    persons = [{"phoneNumber": phone, "name": f"Customer {i}"} for i, phone in enumerate(phones)]
    body = {"appId": APP, "jobId": job_id, "callRecordDup": False, "customerPersons": persons, **change}
    return call(sim, "ai_import_customer", body)


def act(sim, endpoint: str, job_id: Any, app_id: str = APP) -> dict[str, Any]:
    return call(sim, endpoint, {"appId": app_id, "jobId": job_id})


def listing(sim, **params: Any) -> dict[str, Any]:
    current, size = params.pop("current", 1), params.pop("size", 100)
    reply = call(sim, "ai_task_list", {"current": current, "size": size, "params": {"appId": APP, **params}})
    assert reply["status"] == "0", reply
    return reply["data"]


def record(sim, job_id: int) -> dict[str, Any]:
    [found] = [r for r in listing(sim)["records"] if r["jobId"] == job_id]
    return found


def assert_code(reply: dict[str, Any], code: str) -> None:
    assert reply["status"] == code, reply
    assert reply["reason"] == lookup_code("buka", "ai_voice", code).meaning


# ----- taskAdd ---------------------------------------------------------------------------------


def test_task_add_answers_the_job_id_and_records_the_task(sim):
    job_id = add(sim)
    assert isinstance(job_id, int)
    [entry] = sim.ledger.entries(platform="buka", kind="ai_voice_task")
    assert (entry.recipient, entry.client_reference, entry.vendor_id, entry.app) == (
        "renewals",
        "renewals",
        str(job_id),
        APP,
    )
    found = record(sim, job_id)
    assert (found["name"], found["mode"], found["robotCount"], found["status"]) == (
        "renewals",
        "MANUAL",
        2,
        "NOT_STARTED",
    )
    assert (found["taskTotal"], found["taskCompleted"]) == (0, 0)
    assert set(found) >= {
        "dialogFlowName",
        "jobPhoneNumberName",
        "createTime",
        "hangupSms",
        "isDialogFlowUnbind",
    }


@pytest.mark.parametrize(
    "change,code",
    [
        ({"appId": accounts.BUKA_SMS_APP_ID}, "-37"),
        ({"appId": None}, "-27"),  # a required field missing: parameter verification
        ({"name": ""}, "-27"),
        ({"dialogFlowId": "7"}, "-27"),
        ({"robotCount": 0}, "-27"),
        ({"jobPhoneNumberId": None}, "-27"),
        ({"redial": "no"}, "-27"),
        ({"mode": "SOON"}, "-27"),
        ({"mode": "AUTO"}, "-28"),
        ({"startDateTime": "tomorrow"}, "-27"),
        ({"dailyStartDateTime": "08:59"}, "-48"),
        ({"dailyEndDateTime": "20:01"}, "-48"),
        ({"dailyStartDateTime": "18:00", "dailyEndDateTime": "10:00"}, "-48"),
        ({"dailyStartDateTime": "9h"}, "-27"),
        ({"inactiveTimeList": [{"startTime": "12:00", "endTime": "13:00"}] * 4}, "-27"),
        ({"inactiveDateList": [{"startDate": "2026-02-07", "endDate": "2026-02-05"}]}, "-27"),
        ({"daysOfWeek": ["MONDAY", "FUNDAY"]}, "-27"),
        ({"redial": True}, "-29"),
        ({"redial": True, "redialCondition": ["NO_ANSWER"], "redialTimes": 0}, "-29"),
        ({"redial": True, "redialCondition": ["NO_ANSWER"], "redialInterval": 0}, "-30"),
        ({"redial": True, "redialCondition": ["SOMETIMES"]}, "-31"),
        ({"robotCount": MAX_ROBOTS + 1}, "-52"),
    ],
)
def test_task_add_refuses(sim, change, code):
    assert_code(call(sim, "ai_task_add", task_body(**change)), code)
    assert sim.ledger.count() == 0


def test_task_add_takes_every_optional_field(sim):
    job_id = add(
        sim,
        redial=True,
        redialCondition=["NO_ANSWER", "BUSY"],
        redialInterval=30,
        redialTimes=2,
        daysOfWeek=["MONDAY", "FRIDAY"],
        inactiveTimeList=[{"startTime": "12:00", "endTime": "13:00"}],
        inactiveDateList=[{"startDate": "2026-02-05", "endDate": "2026-02-07"}],
        endDateTime=vendor_time(sim.clock.now() + 86400),
    )
    assert record(sim, job_id)["status"] == "NOT_STARTED"


def test_a_name_is_unique_per_app(sim):
    add(sim)
    assert_code(call(sim, "ai_task_add", task_body()), "-33")
    assert sim.ledger.count(kind="ai_voice_task") == 1


# ----- importCustomer --------------------------------------------------------------------------


def test_import_adds_customers_one_ledger_entry_each(sim):
    job_id = add(sim)
    reply = import_(sim, job_id, numbers(3))
    assert reply["status"] == "0" and reply["data"] == {"total": 3}
    entries = sim.ledger.entries(kind="ai_customer")
    assert [(e.recipient, e.content, e.client_reference) for e in entries] == [
        (n, str(job_id), str(job_id)) for n in numbers(3)
    ]
    assert record(sim, job_id)["taskTotal"] == 3


def test_importing_a_number_twice_shows_as_a_duplicate(sim):
    job_id = add(sim)
    import_(sim, job_id, numbers(2))
    assert import_(sim, job_id, numbers(1))["status"] == "0"
    assert sim.ledger.duplicates() == {(numbers(1)[0], str(job_id), str(job_id)): 2}
    assert record(sim, job_id)["taskTotal"] == 3


@pytest.mark.parametrize(
    "persons,code",
    [
        ([{"phoneNumber": n} for n in numbers(101)], "-56"),
        ([], "-27"),
        ([{"phoneNumber": "12ab"}], "-27"),
        ([{"name": "no number"}], "-27"),
        ([{"phoneNumber": "6591000001", "properties": {"debt": {"nested": 1}}}], "-27"),
    ],
)
def test_import_refuses(sim, persons, code):
    job_id = add(sim)
    assert_code(import_(sim, job_id, [], customerPersons=persons), code)
    assert sim.ledger.count(kind="ai_customer") == 0


def test_import_into_an_unknown_task_is_minus_32(sim):
    assert_code(import_(sim, 123456789, numbers(1)), "-32")


def test_import_takes_the_job_id_as_a_number(sim):
    # jobId is a Long (the SDK's ImportCustomerDTO / TaskBaseDTO): text is refused as a parameter error
    job_id = add(sim)
    assert import_(sim, str(job_id), numbers(1))["status"] == "-27"
    assert import_(sim, job_id, numbers(1))["status"] == "0"


# ----- start, progress, pause ------------------------------------------------------------------


def test_start_needs_customers(sim):
    job_id = add(sim)
    assert_code(act(sim, "ai_task_start", job_id), "-45")


def test_a_started_task_calls_robot_count_customers_per_step_until_completed(sim):
    job_id = add(sim, robotCount=2)
    import_(sim, job_id, numbers(5))
    assert act(sim, "ai_task_start", job_id)["status"] == "0"
    assert (record(sim, job_id)["status"], record(sim, job_id)["taskCompleted"]) == ("RUNNING", 0)
    assert_code(act(sim, "ai_task_start", job_id), "-39")

    sim.clock.advance(2)  # one delivery delay: 2 robots, 2 customers
    assert record(sim, job_id)["taskCompleted"] == 2
    sim.clock.advance(4)
    found = record(sim, job_id)
    assert (found["status"], found["taskCompleted"], found["taskTotal"]) == ("COMPLETED", 5, 5)

    assert_code(act(sim, "ai_task_start", job_id), "-39")
    assert_code(act(sim, "ai_task_stop", job_id), "-38")
    assert_code(import_(sim, job_id, numbers(1, start=6592000001)), "-54")


def test_task_completed_counts_only_the_successful_calls(sim):
    """taskCompleted is the "number of successful calls" (itniotech taskList), not the customers called."""
    job_id = add(sim, robotCount=5)
    import_(sim, job_id, [*numbers(2), "6591230000"])  # ends in 0000: its call fails
    act(sim, "ai_task_start", job_id)
    sim.clock.advance(2)
    found = record(sim, job_id)
    assert (found["status"], found["taskCompleted"], found["taskTotal"]) == ("COMPLETED", 2, 3)


def test_pause_freezes_progress_and_start_resumes(sim):
    job_id = add(sim, robotCount=1)
    import_(sim, job_id, numbers(3))
    assert_code(act(sim, "ai_task_stop", job_id), "-38")  # not running yet
    act(sim, "ai_task_start", job_id)
    sim.clock.advance(2)
    assert act(sim, "ai_task_stop", job_id)["status"] == "0"
    sim.clock.advance(100)
    assert (record(sim, job_id)["status"], record(sim, job_id)["taskCompleted"]) == ("PAUSED", 1)

    assert act(sim, "ai_task_start", job_id)["status"] == "0"
    sim.clock.advance(4)
    assert record(sim, job_id)["status"] == "COMPLETED"


def test_an_auto_task_starts_at_its_start_time_and_ends_at_its_end_time(sim):
    now = sim.clock.now()
    job_id = add(
        sim,
        mode="AUTO",
        robotCount=1,
        startDateTime=vendor_time(now + 3600),
        endDateTime=vendor_time(now + 3600 + 5),
    )
    import_(sim, job_id, numbers(10))
    assert record(sim, job_id)["status"] == "NOT_STARTED"
    sim.clock.advance(3602)
    assert (record(sim, job_id)["status"], record(sim, job_id)["taskCompleted"]) == ("RUNNING", 1)
    sim.clock.advance(10)
    assert (record(sim, job_id)["status"], record(sim, job_id)["taskCompleted"]) == ("TERMINATED", 2)


def test_actions_on_an_unknown_or_foreign_task(sim):
    job_id = add(sim)
    for endpoint in ("ai_task_start", "ai_task_stop", "ai_task_delete"):
        assert_code(act(sim, endpoint, 999), "-32")
        assert_code(act(sim, endpoint, job_id, app_id=accounts.BUKA_VOICE_APP_ID), "-37")
        assert_code(call(sim, endpoint, {"appId": APP, "jobId": "x"}), "-27")


# ----- delete -----------------------------------------------------------------------------------


def test_delete_refuses_a_running_task_then_deletes_it_paused(sim):
    job_id = add(sim)
    import_(sim, job_id, numbers(3))
    act(sim, "ai_task_start", job_id)
    assert_code(act(sim, "ai_task_delete", job_id), "-44")
    act(sim, "ai_task_stop", job_id)
    assert act(sim, "ai_task_delete", job_id)["status"] == "0"
    assert listing(sim)["records"] == []
    assert_code(act(sim, "ai_task_delete", job_id), "-32")


# ----- taskList -----------------------------------------------------------------------------------


def test_task_list_pages_newest_first_and_filters_by_name(sim):
    ids = [add(sim, name=f"campaign-{i}") for i in range(5)]
    first = listing(sim, size=2)
    assert (first["total"], first["pages"], first["current"], first["size"]) == (5, 3, 1, 2)
    pages = [r["jobId"] for page in (1, 2, 3) for r in listing(sim, size=2, current=page)["records"]]
    assert pages == list(reversed(ids))
    assert [r["name"] for r in listing(sim, name="campaign-3")["records"]] == ["campaign-3"]
    # ASSUMPTION: the vendor matches names loosely; clients compare them exactly
    assert len(listing(sim, name="campaign")["records"]) == 5


@pytest.mark.parametrize(
    "body,code",
    [
        ({"current": 1, "size": 101, "params": {"appId": APP}}, "-27"),
        ({"current": 0, "size": 10, "params": {"appId": APP}}, "-27"),
        ({"current": 1, "size": 10, "params": {"appId": APP, "name": 5}}, "-27"),
        ({"current": 1, "size": 10, "params": {"appId": accounts.BUKA_SMS_APP_ID}}, "-37"),
    ],
)
def test_task_list_refuses(sim, body, code):
    assert_code(call(sim, "ai_task_list", body), code)
