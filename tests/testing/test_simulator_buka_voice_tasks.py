"""Buka voice group-call tasks (voice/group/call/send, query, detail, resend, cancel) in the simulator."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from tests.testing.clients import buka_call

VENDOR_ZONE = dt.timezone(dt.timedelta(hours=8))
ANSWERING = "6591000001"
UNANSWERED = "6591230000"  # ends in 0000: the simulator's calls to it fail


@pytest.fixture
def sim(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves the tasks on
    return nxcloud_simulator


def numbers(count: int, start: int = 6591000001) -> list[str]:
    return [str(start + i) for i in range(count)]


def create(sim, **change) -> dict:
    body = {
        "appId": accounts.BUKA_VOICE_APP_ID,
        "taskName": "spring-campaign",
        "numberList": numbers(3),
        "source": 3,
        "text": "Hello from the simulator",
        "lan": "EN",
        "loopCount": 1,
        "maxCalls": 60,
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return buka_call(sim.url, "voice_task_create", body).json()


def detail(sim, task_id) -> dict:
    return buka_call(sim.url, "voice_task_detail", path_params={"task_id": task_id}).json()


def window(sim, hours: float = 24) -> dict:
    """The query's required strTime/endTime around the vendor's clock now."""
    now = sim.clock.vendor_now_s()
    return {"strTime": vendor_time(now - hours * 3600), "endTime": vendor_time(now + hours * 3600)}


def query(sim, **params) -> dict:
    body = {"current": 1, "size": 10, "params": {**window(sim), **params}}
    return buka_call(sim.url, "voice_task_list", body).json()


def resend(sim, task_id, resend_type=1, **change) -> dict:
    body = {
        "keyId": task_id,
        "appId": accounts.BUKA_VOICE_APP_ID,
        "taskName": "spring-campaign",
        "source": 3,
        "text": "Hello from the simulator",
        "lan": "EN",
        "maxCalls": 60,
        "resendType": resend_type,
        **change,
    }
    return buka_call(sim.url, "voice_task_resend", {k: v for k, v in body.items() if v is not None}).json()


def cancel(sim, *task_ids) -> dict:
    return buka_call(sim.url, "voice_task_cancel", {"taskIdList": list(task_ids)}).json()


def assert_code(reply: dict, code: str) -> None:
    assert reply["code"] == int(code)
    assert reply["msg"] == lookup_code("buka", "voice", code).meaning
    assert reply["data"] is None


def vendor_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, VENDOR_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def status(sim, task_id) -> int:
    return detail(sim, task_id)["data"]["status"]


# ----- create ---------------------------------------------------------------------------------


def test_create_answers_the_task_id_and_records_one_entry(sim):
    reply = create(sim, numberList=[ANSWERING, UNANSWERED], displayNum="6561234567")
    assert (reply["code"], reply["msg"]) == (0, "success")
    task_id = reply["data"]
    assert isinstance(task_id, int) and not isinstance(task_id, bool)  # jobId: Integer (voice-api18)

    [entry] = sim.ledger.entries(platform="buka", kind="voice_task")
    assert (entry.recipient, entry.client_reference, entry.vendor_id) == ("spring-campaign",) * 2 + (
        str(task_id),
    )
    assert (entry.content, entry.details, entry.app) == (
        "Hello from the simulator",
        {"numbers": 2},
        accounts.BUKA_VOICE_APP_ID,
    )
    record = detail(sim, task_id)["data"]
    assert tuple(record) == buka.VOICE_TASK_DETAIL_FIELDS
    assert (record["jobId"], record["taskName"], record["numCnt"], record["sendTime"]) == (
        task_id,
        "spring-campaign",
        2,
        None,
    )
    assert (record["source"], record["text"], record["lan"], record["maxCalls"], record["loopCount"]) == (
        3,
        "Hello from the simulator",
        "EN",
        60,
        1,
    )
    [listed] = query(sim)["data"]["records"]
    assert tuple(listed) == buka.VOICE_TASK_LIST_RECORD_FIELDS
    assert (listed["jobId"], listed["numCnt"], listed["callNum"], listed["success"], listed["fail"]) == (
        task_id,
        2,
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("change", "content"),
    [
        ({"source": 1, "voiceFileId": "file-17", "text": None, "lan": None}, "file-17"),
        (
            {
                "source": 2,
                "uploadName": "welcome.mp3",
                "baseFile": base64.b64encode(b"ID3audio").decode(),
                "text": None,
                "lan": None,
            },
            "welcome.mp3",
        ),
        ({"lan": "TH"}, "Hello from the simulator"),
    ],
)
def test_each_audio_source_and_number_form_is_accepted(sim, change, content):
    assert create(sim, **change)["code"] == 0
    [entry] = sim.ledger.entries(kind="voice_task")
    assert entry.content == content


def test_every_documented_option_at_its_limits_is_accepted(sim):
    reply = create(
        sim,
        sendTime=vendor_time(sim.clock.now() + 3600),
        allowSendTime=[{"strTime": "00:00", "endTime": "12:00"}, {"strTime": "13:00", "endTime": "23:59"}],
        loopCount=9,
        maxCalls=999,
        maxRingingTime=120,
        displayNum="1" * 20,
        hangUpSms=1,
        smsAppId=accounts.BUKA_SMS_APP_ID,
        smsContent="x" * 1000,
        senderId="Shop",
        feedbackPush=1,
        feedbackValue="9",
        successPush=1,
        successPushTime=9999,
        failedPush=0,
        ringPush=0,
        toSeat=1,
        sipGroupId=42,
        toSeatType=2,
        toSeatKey="1",
        outboundControl=1,
        calloutRate=2,
    )
    assert reply["code"] == 0


#: the four hang-up SMS triggers, each required with hangUpSms=1 (voice-api17)
PUSH = {"feedbackPush": 0, "successPush": 1, "failedPush": 0, "ringPush": 0}
#: what toSeat=1 requires (voice-api17)
SEAT = {"sipGroupId": 42, "outboundControl": 1, "calloutRate": 1, "toSeatType": 1}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appId": ""}, "-22"),
        ({"appId": "someone-elses-app"}, "-32"),
        ({"taskName": "x"}, "-22"),
        ({"taskName": "x" * 65}, "-22"),
        ({"numberList": []}, "-35"),
        ({"numberList": ",".join(numbers(2))}, "-22"),  # List<String>, not a comma string
        ({"numberList": None}, "-35"),
        ({"numberList": ["6591000001", "12345"]}, "-21"),
        ({"numberList": [str(6500000000 + i) for i in range(200_001)]}, "-22"),
        ({"source": 4}, "-49"),
        ({"source": 1, "text": None}, "-50"),
        ({"source": 2, "uploadName": "a.mp3"}, "-51"),
        ({"source": 2, "uploadName": "welcome.ogg", "baseFile": "QUJD"}, "-22"),
        ({"source": 2, "uploadName": "welcome.mp3", "baseFile": "not base64!"}, "-22"),
        ({"text": ""}, "-38"),
        ({"lan": None}, "-38"),
        ({"lan": "XX"}, "-22"),
        ({"text": "x" * 1001}, "-22"),
        ({"sendTime": "2026/01/01 10:00"}, "-22"),
        ({"sendTime": "2020-01-01 10:00:00"}, "-25"),
        ({"allowSendTime": [{"strTime": "12:00", "endTime": "09:00"}]}, "-22"),
        ({"allowSendTime": [{"strTime": "9am", "endTime": "12:00"}]}, "-22"),
        ({"loopCount": 10}, "-22"),
        ({"loopCount": None}, "-22"),  # required (voice-api17)
        ({"maxCalls": 1000}, "-22"),
        ({"maxCalls": None}, "-22"),  # required (voice-api17)
        ({"maxRingingTime": 19}, "-22"),
        ({"displayNum": "1" * 21}, "-22"),
        ({"hangUpSms": 1, "smsContent": "hi", **PUSH}, "-22"),
        ({"hangUpSms": 1, "smsAppId": accounts.BUKA_SMS_APP_ID, "smsContent": "hi"}, "-22"),  # no triggers
        ({"hangUpSms": 1, "smsAppId": "not-mine", "smsContent": "hi", **PUSH}, "-32"),
        (
            {
                "hangUpSms": 1,
                "smsAppId": accounts.BUKA_SMS_APP_ID,
                "smsContent": "hi",
                **PUSH,
                "successPush": 0,
            },
            "-53",
        ),
        ({"toSeat": 1}, "-22"),
        ({"toSeat": 1, **SEAT, "sipGroupId": "42"}, "-22"),  # sipGroupId is an Integer
        ({"toSeat": 1, **SEAT, "toSeatType": 3}, "-22"),
        ({"toSeat": 1, **SEAT, "calloutRate": None}, "-22"),
    ],
)
def test_create_limits(sim, change, code):
    assert_code(create(sim, **change), code)
    assert sim.ledger.count() == 0


def test_a_task_name_is_unique_per_account(sim):
    assert create(sim)["code"] == 0
    assert_code(create(sim, text="another text"), "-41")
    assert set(buka.VOICE_TASK_EXISTS_CODES) >= {"-41"}
    assert sim.ledger.count(kind="voice_task") == 1


# ----- progress -------------------------------------------------------------------------------


def test_a_task_submits_calls_and_completes_over_the_delivery_delay(sim):
    task_id = create(sim, numberList=[*numbers(3), UNANSWERED])["data"]
    first = detail(sim, task_id)["data"]
    assert (first["status"], first["success"] + first["fail"]) == (6, 0)

    sim.clock.advance(1.5)  # three quarters of the 2 s delay: half the numbers called
    calling = detail(sim, task_id)["data"]
    assert (calling["status"], calling["success"], calling["fail"]) == (1, 2, 0)
    assert query(sim)["data"]["records"][0]["callNum"] == 2

    sim.clock.advance(1)
    done = detail(sim, task_id)["data"]
    assert (done["status"], done["numCnt"], done["success"], done["fail"]) == (2, 4, 3, 1)


def test_a_scheduled_task_waits_for_its_send_time(sim):
    send_time = vendor_time(sim.clock.now() + 120)
    task_id = create(sim, sendTime=send_time)["data"]
    assert detail(sim, task_id)["data"]["sendTime"] == send_time
    assert status(sim, task_id) == 0
    sim.clock.advance(118)
    assert status(sim, task_id) == 0
    sim.clock.advance(2)  # sendTime has whole seconds: calling began less than a second ago
    assert status(sim, task_id) == 6
    sim.clock.advance(5)
    assert status(sim, task_id) == 2


def test_outside_every_window_a_task_is_suspended(sim):
    now = dt.datetime.fromtimestamp(sim.clock.now(), VENDOR_ZONE)
    opens = now + dt.timedelta(hours=1)
    window = {
        "strTime": opens.strftime("%H:%M"),
        "endTime": (opens + dt.timedelta(minutes=30)).strftime("%H:%M"),
    }
    if window["strTime"] > window["endTime"]:  # the test runs just before midnight in UTC+8
        window["endTime"] = "23:59"
    task_id = create(sim, allowSendTime=[window])["data"]

    assert status(sim, task_id) == 5
    seconds_to_open = (opens.replace(second=0, microsecond=0) - now).total_seconds()
    sim.clock.advance(seconds_to_open + 0.5)
    assert status(sim, task_id) == 6
    sim.clock.advance(2)
    assert status(sim, task_id) == 2


# ----- detail and query -----------------------------------------------------------------------


def test_detail_of_an_unknown_task_is_data_not_found(sim):
    assert_code(detail(sim, "123456789012345678"), "-24")


def test_query_filters_by_name_status_app_and_create_time(sim):
    first = create(sim, taskName="spring-a")["data"]
    sim.clock.advance(10)
    second = create(sim, taskName="spring-b")["data"]
    create(sim, taskName="autumn")

    page = query(sim, searchCondition="spring")["data"]
    assert [r["jobId"] for r in page["records"]] == [second, first]  # newest first
    assert (page["total"], page["current"], page["size"], page["pages"]) == (2, 1, 10, 1)

    sim.clock.advance(1.0)  # the later two are calling, the first completed
    assert [r["jobId"] for r in query(sim, statusList=[2])["data"]["records"]] == [first]
    assert query(sim, idxAppId=999)["data"]["total"] == 0
    # strTime/endTime bound the creation time the vendor's clock wrote
    later = sim.clock.vendor_now_s() + 3600
    assert query(sim, strTime=vendor_time(later))["data"]["total"] == 0
    assert query(sim, endTime=vendor_time(later))["data"]["total"] == 3

    body = {"current": 2, "size": 2, "params": window(sim)}
    second_page = buka_call(sim.url, "voice_task_list", body).json()["data"]
    assert [r["taskName"] for r in second_page["records"]] == ["spring-a"]
    assert_code(buka_call(sim.url, "voice_task_list", {"current": 1, "size": 101}).json(), "-22")
    # strTime and endTime are required (voice-api18)
    no_window = {"current": 1, "size": 10, "params": {"searchCondition": "spring"}}
    assert_code(buka_call(sim.url, "voice_task_list", no_window).json(), "-22")


# ----- resend and cancel ----------------------------------------------------------------------


def test_resend_calls_the_failed_numbers_again(sim):
    task_id = create(sim, numberList=[ANSWERING, UNANSWERED])["data"]
    assert_code(resend(sim, task_id), "-42")  # still submitting

    sim.clock.advance(3)
    assert resend(sim, task_id) == {"code": 0, "msg": "success", "data": None}
    [entry] = sim.ledger.entries(kind="voice_task_resend")
    assert (entry.recipient, entry.content, entry.details) == (str(task_id), "1", {"numbers": 1})
    again = detail(sim, task_id)["data"]
    assert (again["status"], again["success"], again["fail"]) == (6, 1, 0)

    sim.clock.advance(3)
    done = detail(sim, task_id)["data"]
    assert (done["status"], done["success"] + done["fail"], done["fail"]) == (2, 2, 1)
    assert resend(sim, task_id, resend_type=0)["code"] == 0
    assert sim.ledger.entries(kind="voice_task_resend")[-1].details == {"numbers": 2}


def test_resend_with_nothing_failed_or_of_an_unknown_task(sim):
    task_id = create(sim, numberList=[ANSWERING])["data"]
    sim.clock.advance(3)
    assert_code(resend(sim, task_id), "-34")
    assert_code(resend(sim, 1), "-24")
    assert_code(resend(sim, task_id, resend_type=2), "-22")
    # the documented body: keyId an Integer; taskName and maxCalls required (voice-api21)
    assert_code(resend(sim, str(task_id)), "-22")
    assert_code(resend(sim, task_id, taskName=None), "-22")
    assert_code(resend(sim, task_id, maxCalls=None), "-22")
    assert sim.ledger.count(kind="voice_task_resend") == 0


def test_cancel_stops_running_tasks_and_leaves_ended_ones(sim):
    ended = create(sim, taskName="ended")["data"]
    sim.clock.advance(3)
    running = create(sim, taskName="running")["data"]

    assert cancel(sim, ended, running)["code"] == 0
    assert (status(sim, ended), status(sim, running)) == (2, 4)
    sim.clock.advance(5)
    cancelled = detail(sim, running)["data"]
    assert (cancelled["status"], cancelled["success"] + cancelled["fail"]) == (4, 0)

    assert cancel(sim, running)["code"] == 0  # cancelling again changes nothing
    assert_code(cancel(sim, running, 1), "-54")
    assert_code(cancel(sim, str(running)), "-22")  # taskIdList: List<Integer>
    assert_code(buka_call(sim.url, "voice_task_cancel", {"taskIdList": []}).json(), "-22")
    # a cancelled task may be called again
    assert resend(sim, running, resend_type=0, taskName="running")["code"] == 0
    assert status(sim, running) == 6
