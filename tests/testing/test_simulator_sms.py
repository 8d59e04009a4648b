"""SMS sends, documented limits, delivery progression and the ledger, per platform."""

from __future__ import annotations

import datetime as dt
import math
import re
import time

import pytest
import requests

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts, run_simulator
from tests.testing.clients import PROPERTY_PATH, buka_call, buka_sms, fd_call, nx_legacy, nx_signed, nx_sms


def numbers(count: int, start: int = 61400000001) -> str:
    return ",".join(str(start + i) for i in range(count))


def today_compact() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d")


# ----- NXCloud --------------------------------------------------------------------------------


def test_nxcloud_send_one_number(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    reply = nx_sms(
        nxcloud_simulator.url, "6112345678", "hello", sysMessageId="order-000001", sourceAddress="Brand1"
    )
    body = reply.json()
    assert body["code"] == "0" and body["result"] == "success"
    assert re.fullmatch(r"[0-9a-f]{32}", body["messageid"])
    [entry] = nxcloud_simulator.ledger.entries()
    assert (entry.platform, entry.kind, entry.endpoint) == ("nxcloud", "sms", "sms_send_v2")
    assert (entry.recipient, entry.content, entry.client_reference) == ("6112345678", "hello", "order-000001")
    assert entry.vendor_id == body["messageid"]
    assert entry.account == accounts.NXCLOUD_ACCESS_KEY
    assert entry.app == accounts.NXCLOUD_SMS_APP_KEY
    assert entry.sender == "Brand1"
    assert entry.status == "pending"


def test_nxcloud_send_several_numbers_gets_one_id_per_number(nxcloud_simulator):
    body = nx_sms(nxcloud_simulator.url, "6112345678,6112345679", sysMessageId="order-000001").json()
    entries = nxcloud_simulator.ledger.entries()
    assert [e.recipient for e in entries] == ["6112345678", "6112345679"]
    for entry in entries:
        assert re.fullmatch(re.escape(body["messageid"]) + r"-[0-9]{10}", entry.vendor_id)
        assert entry.batch_id == body["messageid"]
        assert entry.client_reference is None  # ignored for multi-number requests


@pytest.mark.parametrize(
    "change,code",
    [
        ({"appKey": "other-app"}, "1"),
        ({"content": ""}, "4"),
        ({"content": "x" * 1001}, "5"),
        ({"phone": "+6112345678"}, "6"),
        ({"phone": "123456"}, "6"),
        ({"phone": "6112345678,61abc45678"}, "6"),
        ({"phone": numbers(101)}, "7"),
        ({"sourceAddress": "Brand-1"}, "8"),
        ({"sourceAddress": "B" * 21}, "8"),
        ({"phone": ""}, "2"),
    ],
)
def test_nxcloud_send_limits(nxcloud_simulator, change, code):
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hello", **change}
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v2", body).json()
    assert reply["code"] == code
    assert reply["result"].startswith(lookup_code("nxcloud", "sms", code).meaning)
    assert nxcloud_simulator.ledger.count() == 0


def test_nxcloud_send_at_the_limits_is_accepted(nxcloud_simulator):
    reply = nx_sms(nxcloud_simulator.url, numbers(100), "x" * 1000, sourceAddress="B" * 20)
    assert reply.json()["code"] == "0"
    assert nxcloud_simulator.ledger.count() == 100


def test_nxcloud_v1_send_behaves_as_v2(nxcloud_simulator):
    body = {
        "appKey": accounts.NXCLOUD_SMS_APP_KEY,
        "phone": "6112345678",
        "content": "hello",
        "sysMessageId": "order-000003",
        "sourceAddress": "Brand1",
    }
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v1", body).json()
    assert reply["code"] == "0" and reply["result"] == "success"
    assert re.fullmatch(r"[0-9a-f]{32}", reply["messageid"])
    [entry] = nxcloud_simulator.ledger.entries()
    assert (entry.endpoint, entry.vendor_id, entry.client_reference, entry.sender) == (
        "sms_send_v1",
        reply["messageid"],
        "order-000003",
        "Brand1",
    )
    assert nxcloud_simulator.requests.count("nxcloud", "sms_send_v1") == 1


@pytest.mark.parametrize(
    "change,code",
    [
        ({"appKey": "other-app"}, "1"),
        ({"content": "x" * 1001}, "5"),
        ({"phone": numbers(101)}, "7"),
        ({"sourceAddress": "Brand-1"}, "8"),
    ],
)
def test_nxcloud_v1_send_limits(nxcloud_simulator, change, code):
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hello", **change}
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v1", body).json()
    assert reply["code"] == code
    assert nxcloud_simulator.ledger.count() == 0


def test_nxcloud_v1_send_checks_its_own_signature(nxcloud_simulator):
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hello"}
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v1", body, access_secret="wrong").json()
    assert reply["code"] == "1003"
    assert nxcloud_simulator.ledger.count() == 0


def test_nxcloud_legacy_send(nxcloud_simulator):
    form = {"phone": "6112345678", "content": "hello", "sys_messageid": "order-000002"}
    reply = nx_legacy(nxcloud_simulator.url, "sms_send_legacy", form).json()
    assert reply["code"] == "0"
    [entry] = nxcloud_simulator.ledger.entries()
    assert (entry.account, entry.client_reference) == (accounts.NXCLOUD_SMS_APP_KEY, "order-000002")


def record(sim, message_id: str, date: str | None = None) -> dict:
    form = {"date": date or today_compact(), "messageid": message_id}
    return nx_legacy(sim.url, "sms_record", form).json()


def test_nxcloud_record_goes_from_pending_to_final(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    sim = nxcloud_simulator
    delivered = nx_sms(sim.url, "6112345678").json()["messageid"]
    failed = nx_sms(sim.url, "6112340000").json()["messageid"]  # national number ends in 0000
    for message_id in (delivered, failed):
        row = record(sim, message_id)["row"]
        assert (row["dr"], row["dr_status"], row["dr_time"]) == ("", "", "")
    sim.clock.advance(2)
    ok, ko = record(sim, delivered), record(sim, failed)
    assert ok["code"] == "0"
    assert (ok["row"]["dr"], ok["row"]["dr_status"]) == ("DELIVRD", "Successful")
    assert (ko["row"]["dr"], ko["row"]["dr_status"]) == ("UNDELIV", "Failed")
    assert ok["row"]["msgid"] == delivered and ok["row"]["phone"] == "6112345678"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", ok["row"]["dr_time"])
    assert [e.status for e in sim.ledger.entries()] == ["delivered", "undelivered"]


def test_nxcloud_record_errors(nxcloud_simulator):
    sim = nxcloud_simulator
    message_id = nx_sms(sim.url, "6112345678").json()["messageid"]
    assert record(sim, "0" * 32)["code"] == "1"  # unknown id
    assert record(sim, message_id, "2026-01-01")["code"] == "3"  # not yyyyMMdd
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).strftime("%Y%m%d")
    assert record(sim, message_id, old)["code"] == "3"  # beyond 31 days
    three_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).strftime("%Y%m%d")
    assert record(sim, message_id, three_days_ago)["code"] == "1"  # not sent that day


# ----- Buka -----------------------------------------------------------------------------------


def test_buka_send_with_order_ids(nxcloud_simulator):
    reply = buka_sms(
        nxcloud_simulator.url, "6112345678,6112345679", orderId="o-1,o-2", senderId="Brand"
    ).json()
    assert (reply["status"], reply["success"], reply["fail"]) == ("0", 2, 0)
    assert [(a["number"], a["orderId"]) for a in reply["array"]] == [
        ("6112345678", "o-1"),
        ("6112345679", "o-2"),
    ]
    entries = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
    assert [(e.vendor_id, e.client_reference) for e in entries] == [
        (a["msgId"], a["orderId"]) for a in reply["array"]
    ]
    assert {e.app for e in entries} == {accounts.BUKA_SMS_APP_ID}


@pytest.mark.parametrize(
    "change,code",
    [
        ({"numbers": numbers(1001)}, "-7"),
        ({"content": "x" * 1025}, "-5"),
        ({"content": ""}, "-4"),
        ({"numbers": ""}, "-8"),
        ({"numbers": "+6112345678,12345"}, "-9"),
        ({"orderId": "only-one"}, "-22"),
        ({"senderId": "S" * 33}, "-22"),
        ({"appId": "someone-elses-app"}, "-32"),
    ],
)
def test_buka_send_limits(nxcloud_simulator, change, code):
    body = {"appId": accounts.BUKA_SMS_APP_ID, "numbers": "6112345678,6112345679", "content": "hi", **change}
    reply = buka_call(nxcloud_simulator.url, "sms_send", body).json()
    assert reply["status"] == code
    assert reply["reason"] == lookup_code("buka", "sms", code).meaning
    assert nxcloud_simulator.ledger.count() == 0


def test_buka_send_at_the_limits_is_accepted(nxcloud_simulator):
    reply = buka_sms(nxcloud_simulator.url, numbers(1000), "x" * 1024, senderId="S" * 32).json()
    assert (reply["status"], reply["success"]) == ("0", 1000)
    assert nxcloud_simulator.ledger.count() == 1000


def test_buka_invalid_numbers_are_counted_as_failed(nxcloud_simulator):
    reply = buka_sms(nxcloud_simulator.url, "6112345678,12345,61-2345678").json()
    assert (reply["status"], reply["success"], reply["fail"]) == ("0", 1, 2)
    assert nxcloud_simulator.ledger.count() == 1


def test_buka_batch_send(nxcloud_simulator):
    body = {
        "appId": accounts.BUKA_SMS_APP_ID,
        "array": [
            {"numbers": "6112345678", "content": "one", "orderId": "a"},
            {"numbers": "6112345679,6112345670", "content": "two", "orderId": "b,c"},
        ],
    }
    reply = buka_call(nxcloud_simulator.url, "sms_send_batch", body).json()
    assert (reply["status"], reply["success"]) == ("0", 3)
    entries = nxcloud_simulator.ledger.entries()
    assert [(e.recipient, e.content, e.client_reference) for e in entries] == [
        ("6112345678", "one", "a"),
        ("6112345679", "two", "b"),
        ("6112345670", "two", "c"),
    ]
    assert {e.endpoint for e in entries} == {"sms_send_batch"}


def test_buka_batch_with_one_bad_element_sends_nothing(nxcloud_simulator):
    body = {
        "appId": accounts.BUKA_SMS_APP_ID,
        "array": [
            {"numbers": "6112345678", "content": "ok"},
            {"numbers": "6112345679", "content": "x" * 1025},
        ],
    }
    assert buka_call(nxcloud_simulator.url, "sms_send_batch", body).json()["status"] == "-5"
    assert nxcloud_simulator.ledger.count() == 0


def report(url: str, ids: list[str]) -> dict:
    params = {"appId": accounts.BUKA_SMS_APP_ID, "msgIds": ",".join(ids)}
    return buka_call(url, "sms_report", params=params).json()


def test_buka_report_more_than_200_ids_is_minus_22(nxcloud_simulator):
    assert report(nxcloud_simulator.url, [str(i) for i in range(201)])["status"] == "-22"
    assert report(nxcloud_simulator.url, [str(i) for i in range(200)])["nofound"] == 200


def test_buka_report_goes_from_sending_to_final(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    sim = nxcloud_simulator
    array = buka_sms(sim.url, "6112345678,6112340000").json()["array"]
    ids = [a["msgId"] for a in array] + ["9999999999999999999"]
    before = report(sim.url, ids)
    assert (before["success"], before["fail"], before["sending"], before["nofound"]) == (0, 0, 2, 1)
    assert [row["status"] for row in before["array"]] == [-1, -1]
    sim.clock.advance(2)
    after = report(sim.url, ids)
    assert (after["success"], after["fail"], after["sending"], after["nofound"]) == (1, 1, 0, 1)
    assert [(row["number"], row["status"]) for row in after["array"]] == [
        ("6112345678", 0),
        ("6112340000", 1),
    ]
    received = dt.datetime.fromisoformat(after["array"][0]["receiveTime"])
    assert received.utcoffset() is not None
    assert abs(received.timestamp() - sim.clock.now()) < 5


def test_buka_report_of_another_app_is_nofound(nxcloud_simulator):
    msg_id = buka_sms(nxcloud_simulator.url, "6112345678").json()["array"][0]["msgId"]
    params = {"appId": "someone-elses-app", "msgIds": msg_id}
    assert buka_call(nxcloud_simulator.url, "sms_report", params=params).json()["status"] == "-32"


# ----- Fone Dynamics --------------------------------------------------------------------------


def fd_send(url: str, **message) -> requests.Response:
    return fd_call(url, "POST", PROPERTY_PATH + "/Messages", {"To": "+61412345678", "Text": "hi", **message})


def test_fonedynamics_send(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    reply = fd_send(nxcloud_simulator.url, From="Brand", ExternalId="ext-1")
    assert reply.status_code == 200
    message = reply.json()["Message"]
    assert message["Status"] == "Processing"
    assert message["AccountSid"] == accounts.FONEDYNAMICS_ACCOUNT_SID
    assert message["PropertySid"] == accounts.FONEDYNAMICS_PROPERTY_SID
    assert (message["To"], message["From"], message["Text"], message["ExternalId"]) == (
        "+61412345678",
        "Brand",
        "hi",
        "ext-1",
    )
    assert message["NumSegments"] == 1 and message["DeliveryReceipt"] is True
    assert isinstance(message["Created"], int)
    [entry] = nxcloud_simulator.ledger.entries()
    assert (entry.vendor_id, entry.client_reference) == (message["MessageSid"], "ext-1")


@pytest.mark.parametrize(
    "change,code,field",
    [
        ({"To": "61412345678"}, "INVALID_PHONENUMBER_FORMAT", "To"),
        ({"To": "+6141234567a"}, "INVALID_PHONENUMBER_FORMAT", "To"),
        ({"To": None}, "PARAMETER_REQUIRED", "To"),
        ({"Text": None}, "PARAMETER_REQUIRED", "Text"),
        ({"Text": ""}, "INVALID_SMS_TEXT", "Text"),
        ({"From": "TooLongSenderId"}, "INVALID_SMS_SENDER", "From"),
        ({"Schedule": int(time.time()) + 20 * 24 * 3600}, "SCHEDULED_TIME_OUT_OF_RANGE", "Schedule"),
    ],
)
def test_fonedynamics_send_errors(nxcloud_simulator, change, code, field):
    message = {"To": "+61412345678", "Text": "hi", **change}
    message = {k: v for k, v in message.items() if v is not None}
    reply = fd_call(nxcloud_simulator.url, "POST", PROPERTY_PATH + "/Messages", message)
    assert reply.status_code == 400
    status = reply.json()["ResponseStatus"]
    assert status["ErrorCode"] == code
    assert status["Errors"] == [{"FieldName": field}]
    assert nxcloud_simulator.ledger.count() == 0


def test_fonedynamics_send_to_unknown_property_is_404(nxcloud_simulator):
    reply = fd_call(
        nxcloud_simulator.url, "POST", "/v2/Properties/nope/Messages", {"To": "+61412345678", "Text": "x"}
    )
    assert reply.status_code == 404
    assert reply.json()["ResponseStatus"]["ErrorCode"] == "PROPERTY_NOT_FOUND"


def test_fonedynamics_batch_partial_failure_under_http_200(nxcloud_simulator):
    messages = [
        {"To": "+61412345678", "Text": "one", "ExternalId": "a"},
        {"To": "0412345678", "Text": "two", "ExternalId": "b"},
        {"To": "+61412345679", "Text": "", "ExternalId": "c"},
        {"To": "+61412345670", "Text": "four", "ExternalId": "d"},
    ]
    reply = fd_call(nxcloud_simulator.url, "POST", PROPERTY_PATH + "/BatchMessages", {"Messages": messages})
    assert reply.status_code == 200
    results = reply.json()
    assert isinstance(results, list) and len(results) == 4
    assert [("MessageSid" in r) for r in results] == [True, False, False, True]
    # the error text is the element's "Message" (fonedynamics-csharp BatchMessageResource.cs)
    assert results[1]["ErrorCode"] == "INVALID_PHONENUMBER_FORMAT" and results[1]["Message"]
    assert "ErrorMessage" not in results[1]
    assert results[2]["ErrorCode"] == "INVALID_SMS_TEXT"
    assert [e.client_reference for e in nxcloud_simulator.ledger.entries()] == ["a", "d"]


def test_fonedynamics_batch_over_100_is_400(nxcloud_simulator):
    messages = [{"To": "+61412345678", "Text": str(i)} for i in range(101)]
    reply = fd_call(nxcloud_simulator.url, "POST", PROPERTY_PATH + "/BatchMessages", {"Messages": messages})
    assert reply.status_code == 400
    assert reply.json()["ResponseStatus"]["ErrorCode"] == "PARAMETER_INVALID"
    assert nxcloud_simulator.ledger.count() == 0


def get_message(url: str, sid: str) -> dict:
    return fd_call(url, "GET", f"/v2/Messages/{sid}").json()["Message"]


def test_fonedynamics_message_progresses(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    sim = nxcloud_simulator
    ok = fd_send(sim.url).json()["Message"]["MessageSid"]
    ko = fd_send(sim.url, To="+61400000000").json()["Message"]["MessageSid"]
    silent = fd_send(sim.url, To="+61412345670", DeliveryReceipt=False).json()["Message"]["MessageSid"]
    assert {get_message(sim.url, sid)["Status"] for sid in (ok, ko, silent)} == {"Processing"}
    sim.clock.advance(1)
    assert {get_message(sim.url, sid)["Status"] for sid in (ok, ko, silent)} == {"Submitted"}
    sim.clock.advance(1)
    delivered = get_message(sim.url, ok)
    assert delivered["Status"] == "Delivered" and isinstance(delivered["Delivered"], int)
    assert get_message(sim.url, ko)["Status"] == "Failed"
    assert get_message(sim.url, silent)["Status"] == "Submitted"  # no receipt asked: Submitted is final
    sim.clock.advance(3600)
    assert get_message(sim.url, silent)["Status"] == "Submitted"


def test_fonedynamics_unknown_message_is_404(nxcloud_simulator):
    reply = fd_call(nxcloud_simulator.url, "GET", "/v2/Messages/MS0000")
    assert reply.status_code == 404
    assert reply.json()["ResponseStatus"]["ErrorCode"] == "MESSAGE_NOT_FOUND"


def test_fonedynamics_list_messages(nxcloud_simulator):
    fd_send(nxcloud_simulator.url)
    fd_send(nxcloud_simulator.url)
    window = {"Date_From": "0", "Date_To": str(int(time.time()) + 3600)}
    reply = fd_call(
        nxcloud_simulator.url, "GET", PROPERTY_PATH + "/Messages", params={**window, "Results_Count": "1"}
    )
    assert len(reply.json()["Messages"]) == 1
    reply = fd_call(nxcloud_simulator.url, "GET", PROPERTY_PATH + "/Messages", params=window)
    assert len(reply.json()["Messages"]) == 2  # default page: 200


def test_fonedynamics_list_messages_needs_its_date_range(nxcloud_simulator):
    # find-SMS: Date_From and Date_To are the required parameters
    reply = fd_call(nxcloud_simulator.url, "GET", PROPERTY_PATH + "/Messages", params={"Date_From": "0"})
    assert reply.status_code == 400
    status = reply.json()["ResponseStatus"]
    assert (status["ErrorCode"], status["Errors"]) == ("PARAMETER_REQUIRED", [{"FieldName": "Date_To"}])


def test_fonedynamics_list_messages_date_from_is_inclusive_and_date_to_exclusive(nxcloud_simulator):
    # find-SMS: a message is listed iff its whole-second Created stamp is in [Date_From, Date_To)
    clock = nxcloud_simulator.clock
    clock.set_time_scale(0)
    clock.advance(math.ceil(clock.now()) - clock.now() - 3e-7)  # a hair before the next second
    assert clock.now() % 1 > 0.999999
    created = fd_send(nxcloud_simulator.url).json()["Message"]["Created"]
    assert created == int(clock.now())

    def listed(date_from: int, date_to: int) -> int:
        window = {"Date_From": str(date_from), "Date_To": str(date_to)}
        reply = fd_call(nxcloud_simulator.url, "GET", PROPERTY_PATH + "/Messages", params=window)
        return len(reply.json()["Messages"])

    assert listed(created, created + 1) == 1
    assert listed(created - 1, created) == 0
    assert listed(created + 1, created + 2) == 0


# ----- ledger, time, control routes -----------------------------------------------------------


def test_duplicates_are_counted_by_recipient_content_and_reference(nxcloud_simulator):
    url = nxcloud_simulator.url
    buka_sms(url, "6112345678", "same", orderId="o-1")
    buka_sms(url, "6112345678", "same", orderId="o-1")
    buka_sms(url, "6112345678", "same", orderId="o-2")
    fd_send(url, To="+61412345678", Text="same", ExternalId="e")
    assert nxcloud_simulator.ledger.count() == 4
    assert nxcloud_simulator.ledger.count(platform="buka") == 3
    assert nxcloud_simulator.ledger.duplicates() == {("6112345678", "same", "o-1"): 2}


def test_ledger_over_http(nxcloud_simulator):
    url = nxcloud_simulator.url
    buka_sms(url, "6112345678", "same", orderId="o-1")
    buka_sms(url, "6112345678", "same", orderId="o-1")
    body = requests.get(url + "/_simulator/ledger", timeout=5).json()
    assert [e["recipient"] for e in body["entries"]] == ["6112345678", "6112345678"]
    assert body["entries"][0]["platform"] == "buka" and body["entries"][0]["client_reference"] == "o-1"
    assert body["duplicates"] == [
        {"recipient": "6112345678", "content": "same", "client_reference": "o-1", "count": 2}
    ]
    assert body["requests"]["total"] == 2
    assert body["requests"]["by_endpoint"] == {"buka/sms_send": 2}
    assert body["requests"]["peak_qps"] >= 2


def test_clock_advance_and_reset_over_http(nxcloud_simulator):
    url = nxcloud_simulator.url
    msg_id = buka_sms(url, "6112345678").json()["array"][0]["msgId"]
    before = nxcloud_simulator.clock.now()
    reply = requests.post(url + "/_simulator/clock/advance", json={"seconds": 10}, timeout=5).json()
    assert reply["now"] >= before + 10
    assert report(url, [msg_id])["success"] == 1
    assert (
        requests.post(url + "/_simulator/clock/advance", json={"seconds": -1}, timeout=5).status_code == 400
    )
    frozen = requests.post(url + "/_simulator/clock/scale", json={"time_scale": 0}, timeout=5).json()
    assert frozen["time_scale"] == 0
    skewed = requests.post(
        url + "/_simulator/clock/skew", json={"vendor_skew_ms": -120_000}, timeout=5
    ).json()
    assert skewed["vendor_skew_ms"] == -120_000
    assert buka_call(url, "balance").json()["status"] == "0"  # 2 minutes is inside Buka's window
    assert requests.post(url + "/_simulator/reset", timeout=5).json() == {"status": "ok"}
    assert nxcloud_simulator.ledger.count() == 0
    assert nxcloud_simulator.requests.total() == 0
    assert nxcloud_simulator.clock.advanced == 0
    assert nxcloud_simulator.clock.time_scale == 1 and nxcloud_simulator.clock.vendor_skew_ms == 0


def test_health(nxcloud_simulator):
    body = requests.get(nxcloud_simulator.url + "/_simulator/health", timeout=5).json()
    assert body["status"] == "ok"
    assert body["platforms"] == ["nxcloud", "buka", "fonedynamics"]
    assert nxcloud_simulator.requests.total() == 0  # control routes are not vendor requests


def test_configured_undeliverable_numbers_and_time_scale():
    with run_simulator(undeliverable=["+61 412 345 678"], time_scale=1000, delivery_delay=2) as sim:
        ids = [a["msgId"] for a in buka_sms(sim.url, "61412345678,61412345679").json()["array"]]
        time.sleep(0.05)  # 50 real ms = 50 simulated seconds
        assert [row["status"] for row in report(sim.url, ids)["array"]] == [1, 0]


def test_default_rule_can_be_turned_off():
    with run_simulator(undeliverable_suffix=None, delivery_delay=0) as sim:
        ids = [a["msgId"] for a in buka_sms(sim.url, "61400000000").json()["array"]]
        assert [row["status"] for row in report(sim.url, ids)["array"]] == [0]


# ----- NXCloud number-check query (the hook's connection test) -------------------------------


def _today() -> str:
    """The number-check query reaches 14 days back: a date it accepts."""
    return dt.datetime.now(dt.UTC).date().isoformat()


@pytest.mark.parametrize(
    "change,code",
    [
        ({"pageSize": 101}, 88),
        ({"pageSize": 0}, 88),
        ({"page": "1"}, 88),
        ({"date": "20260102"}, 88),
        ({"date": "2026-02-30"}, 88),
        ({"batchNo": None}, 88),
        ({"appkey": "someone-elses-app"}, 202),
    ],
)
def test_nxcloud_number_check_query_errors(nxcloud_simulator, change, code):
    body = {"page": 1, "pageSize": 100, "date": _today(), "batchNo": "b-1", **change}
    body = {k: v for k, v in body.items() if v is not None}
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", body).json()
    assert reply["code"] == code
    assert reply["msg"].startswith(lookup_code("nxcloud", "number_check", code).meaning)


def test_nxcloud_number_check_query_with_the_apps_key(nxcloud_simulator):
    body = {"page": 2, "pageSize": 100, "date": _today(), "requestId": "r-1"}
    body["appkey"] = accounts.NXCLOUD_NUMBER_CHECK_APP_KEY
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", body).json()
    assert reply == {
        "code": 0,
        "msg": "success",
        "data": {"page": 2, "pageSize": 100, "totalPage": 0, "totalSize": 0, "result": []},
    }
