"""Each documented auth failure: a request wrong in exactly that way gets the vendor's code,
and the same request made correctly succeeds."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from airflow_provider_nxcloud.platforms import buka, nxcloud
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import Reason
from airflow_provider_nxcloud.testing import accounts
from tests.testing.clients import PROPERTY_PATH, buka_call, fd_call, nx_legacy, nx_signed

#: the number-check query reaches 14 days back
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
QUERY = {"page": 1, "pageSize": 10, "date": TODAY, "batchNo": "b-1"}


# ----- NXCloud signed -------------------------------------------------------------------------


def test_nxcloud_signed_request_succeeds(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY).json()
    assert reply["code"] == 0
    assert reply["data"] == {"page": 1, "pageSize": 10, "totalPage": 0, "totalSize": 0, "result": []}


@pytest.mark.parametrize("header", ["accessKey", "ts", "bizType", "action", "sign"])
def test_nxcloud_missing_header_is_1001(nxcloud_simulator, header):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, headers={header: None}).json()
    assert reply["code"] == 1001
    assert reply["msg"] == lookup_code("nxcloud", "number_check", 1001).meaning
    assert reply["requestId"]


def test_nxcloud_header_names_are_case_insensitive(nxcloud_simulator):
    endpoint = nxcloud.ENDPOINTS["number_check_query"]
    body = nxcloud.serialize_body(QUERY).encode()
    signed = nxcloud.signed_headers(
        accounts.NXCLOUD_ACCESS_KEY, accounts.NXCLOUD_ACCESS_SECRET, endpoint, int(time.time() * 1000), body
    )
    lower = {name.lower(): value for name, value in signed.items()}
    reply = nx_signed(
        nxcloud_simulator.url, "number_check_query", QUERY, headers={**dict.fromkeys(signed), **lower}
    )
    assert reply.json()["code"] == 0


def test_nxcloud_unknown_access_key_is_1005(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, access_key="someone-else")
    assert reply.json()["code"] == 1005


@pytest.mark.parametrize("header,value", [("bizType", nxcloud.BIZ_SMS), ("action", "mtsend")])
def test_nxcloud_biz_type_or_action_of_another_endpoint_is_1002(nxcloud_simulator, header, value):
    # correctly signed over the wrong header value: only the header/path mismatch is wrong
    endpoint = nxcloud.ENDPOINTS["number_check_query"]
    body = nxcloud.serialize_body(QUERY).encode()
    headers = {
        "accessKey": accounts.NXCLOUD_ACCESS_KEY,
        "action": endpoint.action,
        "bizType": endpoint.biz_type,
    }
    headers["ts"] = str(int(time.time() * 1000))
    headers[header] = value
    headers["sign"] = nxcloud.digest(nxcloud.string_to_sign(headers, body, accounts.NXCLOUD_ACCESS_SECRET))
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, headers=headers)
    assert reply.json()["code"] == 1002


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_nxcloud_wrong_content_type_is_1003(nxcloud_simulator, content_type):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, content_type=content_type)
    assert reply.json()["code"] == 1003


def test_nxcloud_wrong_secret_is_1003(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, access_secret="wrong-secret")
    assert reply.json()["code"] == 1003


@pytest.mark.parametrize("algorithm", nxcloud.ALGORITHMS)
def test_nxcloud_both_algorithms_are_accepted(nxcloud_simulator, algorithm):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, algorithm=algorithm)
    assert reply.json()["code"] == 0


def test_nxcloud_sha256_signature_without_algorithm_header_is_1003(nxcloud_simulator):
    reply = nx_signed(
        nxcloud_simulator.url, "number_check_query", QUERY, algorithm="sha256", headers={"algorithm": None}
    )
    assert reply.json()["code"] == 1003


def test_nxcloud_unknown_algorithm_is_1003(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, headers={"algorithm": "sha1"})
    assert reply.json()["code"] == 1003


def test_nxcloud_body_reserialised_after_signing_is_1003(nxcloud_simulator):
    compact = nxcloud.serialize_body(QUERY).encode()
    spaced = f'{{"page": 1, "pageSize": 10, "date": "{TODAY}", "batchNo": "b-1"}}'.encode()
    url = nxcloud_simulator.url
    assert nx_signed(url, "number_check_query", raw=spaced, signed_body=compact).json()["code"] == 1003
    assert nx_signed(url, "number_check_query", raw=spaced).json()["code"] == 0  # signed as sent: fine


def test_nxcloud_sign_covers_raw_utf8_bytes(nxcloud_simulator):
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "牛小信 hello"}
    escaped = nxcloud.serialize_body(body).encode("utf-8")
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v2", raw=escaped)
    assert reply.json()["code"] == "0"
    assert nxcloud_simulator.ledger.entries()[0].content == "牛小信 hello"


@pytest.mark.parametrize("offset_ms", [-61_000, 61_000])
def test_nxcloud_ts_outside_window_is_1004(nxcloud_simulator, offset_ms):
    ts = int(time.time() * 1000) + offset_ms
    assert nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, ts_ms=ts).json()["code"] == 1004
    ts = int(time.time() * 1000) + offset_ms // 2
    assert nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, ts_ms=ts).json()["code"] == 0


def test_nxcloud_ts_in_seconds_is_1004(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, ts_ms=int(time.time()))
    assert reply.json()["code"] == 1004


def test_nxcloud_ts_not_a_number_is_1004(nxcloud_simulator):
    # correctly signed over a ts that is no number
    endpoint = nxcloud.ENDPOINTS["number_check_query"]
    body = nxcloud.serialize_body(QUERY).encode()
    headers = {
        "accessKey": accounts.NXCLOUD_ACCESS_KEY,
        "action": endpoint.action,
        "bizType": endpoint.biz_type,
    }
    headers["ts"] = "yesterday"
    headers["sign"] = nxcloud.digest(nxcloud.string_to_sign(headers, body, accounts.NXCLOUD_ACCESS_SECRET))
    assert (
        nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, headers=headers).json()["code"] == 1004
    )


def test_nxcloud_vendor_clock_skew_expires_a_correct_request(nxcloud_simulator):
    nxcloud_simulator.clock.vendor_skew_ms = 120_000
    assert nx_signed(nxcloud_simulator.url, "number_check_query", QUERY).json()["code"] == 1004
    ts = int(time.time() * 1000) + 120_000
    assert nx_signed(nxcloud_simulator.url, "number_check_query", QUERY, ts_ms=ts).json()["code"] == 0


def test_nxcloud_v2_send_answers_auth_errors_in_the_legacy_shape(nxcloud_simulator):
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hi"}
    reply = nx_signed(nxcloud_simulator.url, "sms_send_v2", body, access_secret="wrong").json()
    assert reply["code"] == "1003"
    assert reply["result"] == lookup_code("nxcloud", "sms", 1003).meaning
    assert nxcloud_simulator.ledger.count() == 0


# ----- NXCloud legacy appkey ------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint_name,code,form",
    [
        ("balance", "2", {}),
        ("sms_record", "2", {"date": "20260101", "messageid": "x"}),
        ("sms_send_legacy", "1", {"phone": "6112345678", "content": "hi"}),
    ],
)
@pytest.mark.parametrize(
    "appkey,secretkey",
    [
        (accounts.NXCLOUD_SMS_APP_KEY, "wrong-secret"),
        ("other-app", accounts.NXCLOUD_SMS_APP_SECRET),
        (None, accounts.NXCLOUD_SMS_APP_SECRET),
        (accounts.NXCLOUD_SMS_APP_KEY, None),
    ],
)
def test_nxcloud_legacy_wrong_or_missing_app_keys(
    nxcloud_simulator, endpoint_name, code, form, appkey, secretkey
):
    reply = nx_legacy(nxcloud_simulator.url, endpoint_name, form, appkey=appkey, secretkey=secretkey).json()
    assert reply["code"] == code
    service = nxcloud.ENDPOINTS[endpoint_name].service
    assert lookup_code("nxcloud", service, code).reason is Reason.AUTH


def test_nxcloud_legacy_balance_with_right_keys(nxcloud_simulator):
    reply = nx_legacy(nxcloud_simulator.url, "balance").json()
    assert reply == {"code": "0", "balance": "1000.00", "credit_balance": "0"}


def test_nxcloud_voice_app_keys_do_not_open_the_sms_app(nxcloud_simulator):
    reply = nx_legacy(
        nxcloud_simulator.url,
        "balance",
        appkey=accounts.NXCLOUD_VOICE_APP_KEY,
        secretkey=accounts.NXCLOUD_VOICE_APP_SECRET,
    )
    assert reply.json()["code"] == "2"


# ----- Buka -----------------------------------------------------------------------------------


def test_buka_signed_request_succeeds(nxcloud_simulator):
    reply = buka_call(nxcloud_simulator.url, "balance")
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "0",
        "reason": "success",
        "balance": "1000.00",
        "gift": "0",
        "credit": "0",
    }


@pytest.mark.parametrize("header", ["Api-Key", "Timestamp", "Sign"])
def test_buka_missing_header_is_minus_1(nxcloud_simulator, header):
    reply = buka_call(nxcloud_simulator.url, "balance", headers={header: None})
    assert reply.status_code == 200
    assert reply.json() == {"status": "-1", "reason": lookup_code("buka", "sms", -1).meaning}


def test_buka_unknown_api_key_is_minus_1(nxcloud_simulator):
    # signed correctly for a key the account does not have
    assert buka_call(nxcloud_simulator.url, "balance", api_key="other-key").json()["status"] == "-1"


def test_buka_wrong_sign_is_minus_1(nxcloud_simulator):
    assert buka_call(nxcloud_simulator.url, "balance", api_secret="wrong").json()["status"] == "-1"


def test_buka_sign_is_case_insensitive(nxcloud_simulator):
    ts = int(time.time())
    upper = buka.sign(accounts.BUKA_API_KEY, accounts.BUKA_API_SECRET, ts).upper()
    reply = buka_call(nxcloud_simulator.url, "balance", timestamp=ts, headers={"Sign": upper})
    assert reply.json()["status"] == "0"


@pytest.mark.parametrize(
    "endpoint_name,code",
    [
        ("balance", "-16"),
        ("sms_send", "-16"),
        ("voice_send_code", "-16"),
        ("email_send", "-6"),
        ("ai_task_list", "-4"),
    ],
)
def test_buka_timestamp_outside_30_minutes_is_the_services_code(nxcloud_simulator, endpoint_name, code):
    stale = int(time.time()) - buka.TIMESTAMP_WINDOW_S - 60
    reply = buka_call(nxcloud_simulator.url, endpoint_name, {}, timestamp=stale).json()
    assert reply["status"] == code
    assert lookup_code("buka", buka.ENDPOINTS[endpoint_name].service, code).reason is Reason.CLOCK


def test_buka_timestamp_inside_window_is_accepted(nxcloud_simulator):
    recent = int(time.time()) - buka.TIMESTAMP_WINDOW_S + 60
    assert buka_call(nxcloud_simulator.url, "balance", timestamp=recent).json()["status"] == "0"


AI_LIST = {"current": 1, "size": 10, "params": {"appId": accounts.BUKA_AI_VOICE_APP_ID}}


@pytest.mark.parametrize("header,code", [("Sign", "-57"), ("Timestamp", "-58"), ("Api-Key", "-59")])
def test_buka_ai_voice_names_the_missing_header(nxcloud_simulator, header, code):
    reply = buka_call(nxcloud_simulator.url, "ai_task_list", AI_LIST, headers={header: None}).json()
    assert reply["status"] == code
    assert reply["reason"] == lookup_code("buka", "ai_voice", code).meaning


def test_buka_ai_voice_correct_request_succeeds(nxcloud_simulator):
    reply = buka_call(nxcloud_simulator.url, "ai_task_list", AI_LIST).json()
    assert reply["status"] == "0"
    assert reply["data"]["records"] == []


def test_buka_ai_voice_wrong_sign_is_minus_1(nxcloud_simulator):
    assert buka_call(nxcloud_simulator.url, "ai_task_list", AI_LIST, api_secret="x").json()["status"] == "-1"


def test_buka_vendor_clock_skew(nxcloud_simulator):
    nxcloud_simulator.clock.vendor_skew_ms = -(buka.TIMESTAMP_WINDOW_S + 120) * 1000
    assert buka_call(nxcloud_simulator.url, "balance").json()["status"] == "-16"


# ----- Fone Dynamics --------------------------------------------------------------------------

UNAUTHORIZED = {
    "ResponseStatus": {"ErrorCode": "UNAUTHORIZED", "Message": "Wrong or missing credentials.", "Errors": []}
}


@pytest.mark.parametrize(
    "auth",
    [
        None,
        (accounts.FONEDYNAMICS_ACCOUNT_SID, "wrong-token"),
        ("other-sid", accounts.FONEDYNAMICS_TOKEN),
    ],
)
def test_fonedynamics_missing_or_wrong_basic_auth_is_401(nxcloud_simulator, auth):
    reply = fd_call(nxcloud_simulator.url, "GET", "/v2/Properties", auth=auth)
    assert reply.status_code == 401
    assert reply.json() == UNAUTHORIZED


def test_fonedynamics_correct_basic_auth(nxcloud_simulator):
    reply = fd_call(nxcloud_simulator.url, "GET", "/v2/Properties")
    assert reply.status_code == 200
    assert reply.json()["Projects"][0]["PropertySid"] == accounts.FONEDYNAMICS_PROPERTY_SID
    reply = fd_call(nxcloud_simulator.url, "GET", PROPERTY_PATH)
    # one project: the bare Project object (get-projects page, "a single object")
    assert reply.json()["PropertySid"] == accounts.FONEDYNAMICS_PROPERTY_SID


def test_fonedynamics_unknown_property_is_404(nxcloud_simulator):
    reply = fd_call(nxcloud_simulator.url, "GET", "/v2/Properties/PR-nope")
    assert reply.status_code == 404
    assert reply.json()["ResponseStatus"]["ErrorCode"] == "PROPERTY_NOT_FOUND"


def test_rejected_requests_are_counted_but_not_recorded(nxcloud_simulator):
    url = nxcloud_simulator.url
    buka_call(url, "balance", api_secret="wrong")
    nx_signed(url, "number_check_query", QUERY, access_secret="wrong")
    fd_call(url, "GET", "/v2/Properties", auth=None)
    assert nxcloud_simulator.requests.total() == 3
    assert nxcloud_simulator.requests.by_endpoint() == {
        ("buka", "balance"): 1,
        ("nxcloud", "number_check_query"): 1,
        ("fonedynamics", "list_properties"): 1,
    }
    assert nxcloud_simulator.ledger.count() == 0


def test_non_ascii_credentials_are_rejected_not_crashed(nxcloud_simulator):
    url = nxcloud_simulator.url
    assert nx_signed(url, "number_check_query", QUERY, headers={"sign": "é" * 32}).json()["code"] == 1003
    assert buka_call(url, "balance", headers={"Sign": "é" * 32}).json()["status"] == "-1"
    assert fd_call(url, "GET", "/v2/Properties", auth=("sïd", "tökén")).status_code == 401
