"""Buka voice (sendCode, sendGroup) and email (sendEmail, getSendEmailRcd) in the simulator."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from tests.testing.clients import buka_call

FILE_ID = "welcome.mp3"


def callees(count: int, start: int = 6591000001) -> str:
    return ",".join(str(start + i) for i in range(count))


def emails(count: int, domain: str = "example.com") -> str:
    return ",".join(f"user{i}@{domain}" for i in range(count))


def send_code(url: str, **change) -> dict:
    body = {
        "appId": accounts.BUKA_VOICE_APP_ID,
        "callee": "6591000001",
        "text": "hi",
        "language": "EN",
        **change,
    }
    return buka_call(url, "voice_send_code", body).json()


def send_group(url: str, **change) -> dict:
    body = {"appId": accounts.BUKA_VOICE_APP_ID, "callee": callees(2), "fileId": FILE_ID, **change}
    return buka_call(url, "voice_send_group", body).json()


def send_email(url: str, **change) -> dict:
    body = {
        "appId": accounts.BUKA_EMAIL_APP_ID,
        "fromEmailAddress": DEFAULT_EMAIL_SENDER,
        "toAddress": "ann@example.com,bob@example.com",
        "subject": "Welcome",
        "templateID": "1001",
        "templateData": '{"name": "Ann"}',
        **change,
    }
    return buka_call(url, "email_send", body).json()


def email_records(url: str, ids: list[str], app_id: str = accounts.BUKA_EMAIL_APP_ID) -> dict:
    return buka_call(url, "email_records", {"appId": app_id, "emailId": ",".join(ids)}).json()


def assert_code(reply: dict, service: str, code: str) -> None:
    assert reply["status"] == code
    assert reply["reason"] == lookup_code("buka", service, code).meaning


# ----- voice ----------------------------------------------------------------------------------


def test_send_code_calls_one_number(nxcloud_simulator):
    reply = send_code(nxcloud_simulator.url, displayNum="6561234567", speakingRate=1.25, ssmlGender=2)
    assert reply["status"] == "0"
    [item] = reply["data"]
    assert (item["callee"], item["terminationCode"]) == ("6591000001", "0")
    [entry] = nxcloud_simulator.ledger.entries(platform="buka", kind="voice")
    assert (entry.recipient, entry.content, entry.vendor_id) == ("6591000001", "hi", item["voiceId"])
    assert (entry.endpoint, entry.app, entry.sender) == (
        "voice_send_code",
        accounts.BUKA_VOICE_APP_ID,
        "6561234567",
    )
    assert entry.client_reference is None
    assert entry.details["mode"] == "tts"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"callee": ""}, "-35"),
        ({"callee": "123456"}, "-22"),
        ({"callee": "6591000001,6591000002"}, "-22"),
        ({"text": ""}, "-38"),
        ({"language": None}, "-38"),
        ({"text": "x" * 1001}, "-22"),
        ({"language": "XX"}, "-22"),
        ({"speakingRate": 4.5}, "-22"),
        ({"speakingRate": 0.2}, "-22"),
        ({"ssmlGender": 3}, "-22"),
        ({"loopCount": 4}, "-22"),
        ({"recallCount": 10}, "-22"),
        ({"recallInterval": 1000}, "-22"),
        ({"maxDuration": 121}, "-22"),
        ({"maxRingingTime": 19}, "-22"),
        ({"displayNum": "123456"}, "-22"),
        ({"calledInfo": "x" * 1001}, "-22"),
        ({"appId": ""}, "-22"),
        ({"appId": "someone-elses-app"}, "-32"),
    ],
)
def test_send_code_limits(nxcloud_simulator, change, code):
    assert_code(send_code(nxcloud_simulator.url, **change), "voice", code)
    assert nxcloud_simulator.ledger.count() == 0


def test_send_code_at_the_limits_is_accepted(nxcloud_simulator):
    reply = send_code(
        nxcloud_simulator.url,
        text="x" * 1000,
        speakingRate=4,
        loopCount=3,
        recallCount=9,
        recallInterval=999,
        maxDuration=120,
        maxRingingTime=120,
        displayNum="123456789012345",
    )
    assert reply["status"] == "0"


def test_send_group_answers_per_callee(nxcloud_simulator):
    reply = send_group(nxcloud_simulator.url, callee="6591000001,12345,6591000002")
    assert reply["status"] == "0"
    assert [(d["callee"], d["terminationCode"]) for d in reply["data"]] == [
        ("6591000001", "0"),
        ("12345", "-21"),
        ("6591000002", "0"),
    ]
    assert reply["data"][1]["voiceId"] == ""
    entries = nxcloud_simulator.ledger.entries(kind="voice")
    assert [(e.recipient, e.content, e.endpoint) for e in entries] == [
        ("6591000001", FILE_ID, "voice_send_group"),
        ("6591000002", FILE_ID, "voice_send_group"),
    ]
    assert [e.vendor_id for e in entries] == [reply["data"][0]["voiceId"], reply["data"][2]["voiceId"]]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"callee": callees(201)}, "-22"),
        ({"callee": ""}, "-35"),
        ({"callee": "123,456"}, "-35"),
        ({"fileId": ""}, "-50"),
        ({"fileId": None}, "-50"),
        ({"fileId": 7}, "-22"),
        ({"loopCount": 0}, "-22"),
        ({"maxDuration": 0}, "-22"),
        ({"maxRingingTime": 121}, "-22"),
        ({"appId": "someone-elses-app"}, "-32"),
    ],
)
def test_send_group_limits(nxcloud_simulator, change, code):
    assert_code(send_group(nxcloud_simulator.url, **change), "voice", code)
    assert nxcloud_simulator.ledger.count() == 0


def test_send_group_at_200_callees_is_accepted(nxcloud_simulator):
    reply = send_group(
        nxcloud_simulator.url, callee=callees(200), loopCount=3, maxDuration=1, maxRingingTime=20
    )
    assert reply["status"] == "0" and len(reply["data"]) == 200
    assert nxcloud_simulator.ledger.count(kind="voice") == 200


def test_calls_progress_over_the_clock(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    send_group(nxcloud_simulator.url, callee="6591000001,6591230000")
    assert {e.status for e in nxcloud_simulator.ledger.entries()} == {"pending"}
    nxcloud_simulator.clock.advance(5)
    assert [e.status for e in nxcloud_simulator.ledger.entries()] == ["delivered", "undelivered"]


# ----- email ----------------------------------------------------------------------------------


def test_send_email(nxcloud_simulator):
    reply = send_email(nxcloud_simulator.url, adFlag=1, language="en")
    assert (reply["status"], reply["success"], reply["fail"]) == ("0", 2, 0)
    assert [(a["toAddress"], a["emailState"]) for a in reply["array"]] == [
        ("ann@example.com", "0"),
        ("bob@example.com", "0"),
    ]
    entries = nxcloud_simulator.ledger.entries(platform="buka", kind="email")
    assert [(e.recipient, e.content, e.vendor_id) for e in entries] == [
        (a["toAddress"], "Welcome", a["emailId"]) for a in reply["array"]
    ]
    assert {(e.app, e.sender, e.client_reference, e.endpoint) for e in entries} == {
        (accounts.BUKA_EMAIL_APP_ID, DEFAULT_EMAIL_SENDER, None, "email_send")
    }
    assert entries[0].details == {"templateID": "1001", "templateData": '{"name": "Ann"}'}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"toAddress": emails(51)}, "-14"),
        ({"toAddress": ""}, "-13"),
        ({"toAddress": None}, "-13"),
        ({"toAddress": "ann@example.com,not-an-address"}, "-32"),
        ({"fromEmailAddress": ""}, "-9"),
        ({"fromEmailAddress": None}, "-9"),
        ({"fromEmailAddress": "noreply@elsewhere.example"}, "-10"),
        ({"fromEmailAddress": "noreply"}, "-10"),
        ({"subject": ""}, "-17"),
        ({"subject": None}, "-17"),
        ({"subject": "x" * 101}, "-17"),
        ({"templateID": "abc"}, "-25"),
        ({"templateID": "0"}, "-11"),
        ({"templateID": None}, "-5"),
        ({"templateData": "not json"}, "-18"),
        ({"templateData": "[1, 2]"}, "-18"),
        ({"adFlag": 3}, "-27"),
        ({"appId": ""}, "-5"),
        ({"appId": "someone-elses-app"}, "-1"),
    ],
)
def test_send_email_limits(nxcloud_simulator, change, code):
    assert_code(send_email(nxcloud_simulator.url, **change), "email", code)
    assert nxcloud_simulator.ledger.count() == 0


def test_send_email_at_the_limits_is_accepted(nxcloud_simulator):
    reply = send_email(nxcloud_simulator.url, toAddress=emails(50), subject="x" * 100, templateID="7")
    assert (reply["status"], reply["success"]) == ("0", 50)


def test_email_records_go_from_sending_to_final(nxcloud_simulator):
    sim = nxcloud_simulator
    sim.clock.set_time_scale(0)  # only advance() moves time
    array = send_email(sim.url, toAddress="ann@example.com,bob@nowhere.invalid")["array"]
    ids = [a["emailId"] for a in array] + ["f" * 32]
    before = email_records(sim.url, ids)
    assert (before["success"], before["fail"], before["sending"], before["nofound"]) == (0, 0, 2, 1)
    assert [(row["toAddress"], row["status"], row["receiveTime"]) for row in before["array"]] == [
        ("ann@example.com", -1, ""),
        ("bob@nowhere.invalid", -1, ""),
    ]
    sim.clock.advance(2)
    after = email_records(sim.url, ids)
    assert (after["success"], after["fail"], after["sending"], after["nofound"]) == (1, 1, 0, 1)
    assert [(row["emailId"], row["status"]) for row in after["array"]] == [(ids[0], 0), (ids[1], 1)]
    received = dt.datetime.fromisoformat(after["array"][0]["receiveTime"])
    assert received.utcoffset() is not None
    assert abs(received.timestamp() - sim.clock.now()) < 5


def test_email_records_limits(nxcloud_simulator):
    url = nxcloud_simulator.url
    assert_code(email_records(url, [str(i) for i in range(201)]), "email", "-28")
    assert email_records(url, [str(i) for i in range(200)])["nofound"] == 200
    assert_code(email_records(url, []), "email", "-5")
    assert_code(email_records(url, ["x"], app_id="someone-elses-app"), "email", "-1")


def test_email_records_do_not_show_other_kinds(nxcloud_simulator):
    voice_id = send_code(nxcloud_simulator.url)["data"][0]["voiceId"]
    assert email_records(nxcloud_simulator.url, [voice_id])["nofound"] == 1


# ----- faults and auth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "service", "code"),
    [(send_code, "voice", "-18"), (send_group, "voice", "-18"), (send_email, "email", "-23")],
)
def test_vendor_busy_uses_the_services_code(nxcloud_simulator, send, service, code):
    nxcloud_simulator.faults.set(at={1: "vendor_busy"})
    assert_code(send(nxcloud_simulator.url), service, code)
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize(
    ("endpoint", "body", "code"),
    [
        ("voice_send_group", {"appId": accounts.BUKA_VOICE_APP_ID}, "-16"),
        ("email_send", {"appId": accounts.BUKA_EMAIL_APP_ID}, "-6"),
    ],
)
def test_stale_timestamp_uses_the_services_code(nxcloud_simulator, endpoint, body, code):
    reply = buka_call(nxcloud_simulator.url, endpoint, body, timestamp=int(time.time()) - 3600).json()
    assert reply["status"] == code


# ----- call records ---------------------------------------------------------------------------


def call_record(url: str, voice_id: str) -> dict:
    return buka_call(url, "voice_record", path_params={"voice_id": voice_id}).json()


def test_a_call_record_is_written_when_the_call_ends(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)
    answered, unanswered = (
        item["voiceId"] for item in send_group(nxcloud_simulator.url, callee="6591000001,6591230000")["data"]
    )
    assert_code(call_record(nxcloud_simulator.url, answered), "voice", "-24")  # still ringing

    nxcloud_simulator.clock.advance(5)
    record = call_record(nxcloud_simulator.url, answered)
    assert record["status"] == "0"
    data = record["data"]
    assert (data["voiceId"], data["callee"], data["terminationCode"], data["voiceFileId"]) == (
        answered,
        "6591000001",
        "200",
        FILE_ID,
    )
    assert data["answerTime"] and data["hangupTime"] and data["callDuration"] > 0
    missed = call_record(nxcloud_simulator.url, unanswered)["data"]
    assert (missed["terminationCode"], missed["answerTime"], missed["callDuration"]) == ("480", "", 0)


def test_a_call_record_of_an_unknown_id_or_another_kind_does_not_exist(nxcloud_simulator):
    reply = send_email(nxcloud_simulator.url)
    nxcloud_simulator.clock.advance(5)
    assert_code(call_record(nxcloud_simulator.url, reply["array"][0]["emailId"]), "voice", "-24")
    assert_code(call_record(nxcloud_simulator.url, "1234567890123456789"), "voice", "-24")
