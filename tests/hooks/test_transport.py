"""The one transport: success, every disposition, ambiguous sends, resign, backoff, overrides.

Driven through the real hooks against requests_mock, so what is asserted is
what goes over the wire: request counts, exact signed bytes, exception types.
"""

from __future__ import annotations

import itertools
import json
import logging

import pytest
import requests

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import buka, nxcloud
from airflow_provider_nxcloud.platforms.codes import Disposition
from tests.hooks.conftest import NX_SECRET, ORIGIN, SECRETS

pytestmark = pytest.mark.usefixtures("connections")

SEND_SMS = f"{ORIGIN}/v3/sendSms"
REPORT = f"{ORIGIN}/v3/getReport"
NX_QUERY = f"{ORIGIN}/api/number/query"
NX_SEND = f"{ORIGIN}/api/sms/mtsend_v2"
OK_SEND = {
    "status": "0",
    "reason": "success",
    "success": 1,
    "fail": 0,
    "array": [{"msgId": "m1", "number": "1"}],
}
OK_REPORT = {"status": "0", "reason": "success", "array": []}


def buka_hook(sleeps, clock=None, **kwargs) -> BukaHook:
    extra = {"clock": clock} if clock else {}
    return BukaHook(sleep=sleeps.append, **extra, **kwargs)


def send_sms(hook: BukaHook, order_id: str = "ref-1"):
    body = {"appId": "sms-app", "numbers": "8613800000001", "content": "hi", "orderId": order_id}
    return hook.call("sms_send", body, client_reference=order_id)


# ----- success and exact bytes ---------------------------------------------------------------


def test_nxcloud_sends_exactly_the_bytes_it_signed(requests_mock, clock):
    requests_mock.post(NX_SEND, json={"result": "success", "code": "0", "messageid": "a" * 32})
    body = {"appKey": "sms-app", "phone": "8613800000001", "content": "牛小信 says hi"}
    reply = NXCloudHook(clock=clock).call("sms_send_v2", body)

    assert reply["messageid"] == "a" * 32
    sent = requests_mock.last_request
    assert sent.body == nxcloud.serialize_body(body).encode("utf-8")
    assert sent.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert sent.headers["bizType"] == "3"
    assert sent.headers["action"] == "mtsend"
    assert sent.headers["sign"] == nxcloud.sign(
        "nx-access-key", NX_SECRET, "3", "mtsend", sent.headers["ts"], sent.body
    )
    assert "algorithm" not in sent.headers


def test_nxcloud_sha256_from_the_connection_extra(requests_mock, monkeypatch, clock):
    from tests.hooks.conftest import set_conn

    set_conn(
        monkeypatch,
        "nx_sha",
        conn_type="nxcloud",
        login="k",
        password=NX_SECRET,
        host=ORIGIN,
        extra={"sign_algorithm": "sha256"},
    )
    requests_mock.post(NX_QUERY, json={"code": 0, "msg": "success", "data": {"result": []}})
    NXCloudHook("nx_sha", clock=clock).call("number_check_query", {"page": 1})
    sent = requests_mock.last_request
    assert sent.headers["algorithm"] == "sha256"
    assert sent.headers["sign"] == nxcloud.sign(
        "k", NX_SECRET, "1", "numbercheck", sent.headers["ts"], sent.body, "sha256"
    )


def test_buka_headers_and_legacy_form_for_nxcloud(requests_mock, clock):
    requests_mock.get(
        f"{ORIGIN}/v3/getBalance", json={"status": "0", "balance": "12.5", "gift": "0", "credit": "1"}
    )
    assert BukaHook(clock=clock).get_balance() == {"balance": "12.5", "gift": "0", "credit": "1"}
    sent = requests_mock.last_request
    assert sent.headers["Api-Key"] == "buka-key"
    assert sent.headers["Sign"] == buka.sign("buka-key", "buka-api-secret-XYZ", sent.headers["Timestamp"])
    assert sent.headers["Content-Type"] == buka.CONTENT_TYPE

    requests_mock.post(f"{ORIGIN}/api/common/getBalance", json={"code": "0", "balance": "3.2"})
    NXCloudHook(clock=clock).call("balance")
    form = requests_mock.last_request.body.decode()
    assert "appkey=sms-app" in form and "secretkey=" in form
    assert "sign" not in requests_mock.last_request.headers


def test_fonedynamics_uses_basic_auth_and_path_params(requests_mock):
    requests_mock.get(f"{ORIGIN}/v2/Messages/SM%2F1", json={"Message": {"MessageSid": "SM/1"}})
    reply = FoneDynamicsHook().call("get_message", path_params={"message_sid": "SM/1"})
    assert reply["Message"]["MessageSid"] == "SM/1"
    assert requests_mock.last_request.headers["Authorization"].startswith("Basic ")


# ----- retry -------------------------------------------------------------------------------


def test_read_is_retried_with_backoff_until_it_succeeds(requests_mock, sleeps):
    requests_mock.get(REPORT, [{"status_code": 500}, {"status_code": 502}, {"json": OK_REPORT}])
    assert buka_hook(sleeps).call("sms_report", params={"appId": "a", "msgIds": "m1"}) == OK_REPORT
    assert requests_mock.call_count == 3
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0] > 0


def test_read_gives_up_after_max_attempts_with_the_last_error(requests_mock, sleeps):
    requests_mock.get(REPORT, json={"status": "-15", "reason": "Query too frequently"})
    with pytest.raises(RetryableAPIError) as err:
        buka_hook(sleeps).call("sms_report", params={"appId": "a", "msgIds": "m1"})
    assert requests_mock.call_count == 4
    assert err.value.code == "-15" and err.value.disposition is Disposition.RETRY
    assert "buka/sms code -15 (Query too frequently)" in str(err.value)


@pytest.mark.parametrize("status", [503, 520])
def test_read_meeting_any_5xx_is_retried_in_hook(requests_mock, sleeps, status):
    requests_mock.get(REPORT, [{"status_code": status, "headers": {"Retry-After": "3"}}, {"json": OK_REPORT}])
    assert buka_hook(sleeps).call("sms_report", params={"appId": "a", "msgIds": "m1"}) == OK_REPORT
    assert requests_mock.call_count == 2
    assert sleeps[0] >= 3.0  # the gateway's Retry-After is waited for


def test_read_timeout_on_a_read_is_retried(requests_mock, sleeps):
    requests_mock.get(REPORT, [{"exc": requests.exceptions.ReadTimeout}, {"json": OK_REPORT}])
    assert buka_hook(sleeps).call("sms_report", params={"appId": "a"}) == OK_REPORT
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    "first",
    [
        {"status_code": 429},
        {"json": {"status": "-15", "reason": "Query too frequently"}},
        {"exc": requests.exceptions.ConnectTimeout},
        {"exc": requests.exceptions.ConnectionError("NewConnectionError: Connection refused")},
        {"exc": requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")},
    ],
    ids=["http-429", "vendor-rate-limit", "connect-timeout", "connection-refused", "tls-failure"],
)
def test_send_refused_by_the_vendor_is_repeated_in_hook(requests_mock, sleeps, first):
    requests_mock.post(SEND_SMS, [first, {"json": OK_SEND}])
    assert send_sms(buka_hook(sleeps)) == OK_SEND
    assert requests_mock.call_count == 2


def test_retry_after_is_honoured(requests_mock, sleeps):
    requests_mock.post(SEND_SMS, [{"status_code": 429, "headers": {"Retry-After": "7"}}, {"json": OK_SEND}])
    send_sms(buka_hook(sleeps))
    assert sleeps == [7.0]


def test_send_with_a_vendor_busy_code_goes_to_airflow_retries_not_in_hook(requests_mock, sleeps):
    requests_mock.post(SEND_SMS, json={"status": "-18", "reason": "Port program unusual"})
    with pytest.raises(RetryableAPIError) as err:
        send_sms(buka_hook(sleeps))
    assert requests_mock.call_count == 1
    assert err.value.retry_in_hook is False
    assert not isinstance(err.value, AmbiguousSendError)


# ----- ambiguous sends ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "lost",
    [
        {"exc": requests.exceptions.ReadTimeout},
        {"exc": requests.exceptions.ConnectionError("Connection aborted: ConnectionResetError(104)")},
        {"status_code": 500},
        {"status_code": 502},
        {"status_code": 503, "headers": {"Retry-After": "1"}, "text": "<html>503 Service Unavailable</html>"},
        {"status_code": 504},
        {"status_code": 520, "text": "<html>origin error</html>"},
        {"text": "<html>gateway</html>"},
    ],
    ids=[
        "read-timeout",
        "reset",
        "http-500",
        "http-502",
        "http-503",
        "http-504",
        "http-520",
        "unreadable-200",
    ],
)
def test_send_whose_answer_was_lost_is_ambiguous_and_never_resent(requests_mock, sleeps, lost):
    requests_mock.post(SEND_SMS, [lost, {"json": OK_SEND}])
    with pytest.raises(AmbiguousSendError) as err:
        send_sms(buka_hook(sleeps), order_id="batch-7")
    assert requests_mock.call_count == 1
    assert err.value.client_reference == "batch-7"
    assert "batch-7" in str(err.value) and "look it up before sending again" in str(err.value)


# ----- resign --------------------------------------------------------------------------------


def test_expired_timestamp_is_signed_again_once(requests_mock, sleeps, clock):
    requests_mock.post(
        NX_QUERY, [{"json": {"code": 1004, "msg": "Timestamp expired"}}, {"json": {"code": 0}}]
    )
    NXCloudHook(sleep=sleeps.append, clock=clock).call("number_check_query", {"page": 1})
    first, second = requests_mock.request_history
    assert requests_mock.call_count == 2 and sleeps == []
    assert first.headers["ts"] != second.headers["ts"]
    assert first.headers["sign"] != second.headers["sign"]
    assert first.body == second.body


def test_expired_timestamp_twice_fails_naming_the_clock(requests_mock, sleeps, clock):
    requests_mock.post(SEND_SMS, json={"status": "-16", "reason": "Timestamp expires"})
    with pytest.raises(PermanentAPIError) as err:
        send_sms(buka_hook(sleeps, clock))
    assert requests_mock.call_count == 2
    assert err.value.code == "-16" and "check the worker's clock" in str(err.value)


def test_each_service_has_its_own_timestamp_code(requests_mock, sleeps, clock):
    # -4 is "content empty" for SMS but "timestamp expired" for AI voice.
    requests_mock.post(
        f"{ORIGIN}/v3/AiVoice/taskList", [{"json": {"status": "-4"}}, {"json": {"status": "0"}}]
    )
    buka_hook(sleeps, clock).call("ai_task_list", {"current": 1, "size": 1})
    assert requests_mock.call_count == 2
    requests_mock.post(SEND_SMS, json={"status": "-4", "reason": "SMS content is empty"})
    with pytest.raises(PermanentAPIError):
        send_sms(buka_hook(sleeps, clock))


# ----- fail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hook_name", "url", "method", "reply", "service", "code"),
    [
        ("buka", SEND_SMS, "post", {"json": {"status": "-10", "reason": "balance"}}, "sms", "-10"),
        ("nxcloud", NX_QUERY, "post", {"json": {"code": 1005, "msg": "denied"}}, "common", "1005"),
        ("nxcloud", NX_SEND, "post", {"json": {"code": "27", "result": "limit"}}, "sms", "27"),
        (
            "fonedynamics",
            f"{ORIGIN}/v2/Properties/PR1",
            "get",
            {"status_code": 403, "json": {"ResponseStatus": {"ErrorCode": "FORBIDDEN", "Message": "no"}}},
            "rest",
            "FORBIDDEN",
        ),
        (
            "fonedynamics",
            f"{ORIGIN}/v2/Properties/PR1",
            "get",
            {"status_code": 401, "json": {}},
            "rest",
            "401",
        ),
    ],
)
def test_permanent_errors_fail_on_the_first_try(
    requests_mock, sleeps, hook_name, url, method, reply, service, code
):
    getattr(requests_mock, method)(url, **reply)
    hooks = {
        "buka": lambda: send_sms(buka_hook(sleeps)),
        "nxcloud": lambda: NXCloudHook(sleep=sleeps.append).call(
            "number_check_query" if url == NX_QUERY else "sms_send_v2", {"x": 1}
        ),
        "fonedynamics": lambda: FoneDynamicsHook(sleep=sleeps.append).call(
            "get_property", path_params={"property_sid": "PR1"}
        ),
    }
    with pytest.raises(PermanentAPIError) as err:
        hooks[hook_name]()
    assert requests_mock.call_count == 1 and sleeps == []
    assert (err.value.service, err.value.code, err.value.in_catalog) == (service, code, True)
    assert f"{err.value.platform}/{service} code {code} ({err.value.meaning})" in str(err.value)


def test_unknown_code_fails_and_says_it_is_not_in_the_catalog(requests_mock, sleeps):
    requests_mock.post(SEND_SMS, json={"status": "-999", "reason": "mystery"})
    with pytest.raises(PermanentAPIError) as err:
        send_sms(buka_hook(sleeps))
    assert err.value.in_catalog is False
    assert "-999 is not in the provider's buka/sms code catalog" in str(err.value)
    assert "vendor says: mystery" in str(err.value)


def test_gateway_status_without_envelope_uses_the_http_catalog(requests_mock, sleeps):
    requests_mock.post(SEND_SMS, status_code=401, text="nope")
    with pytest.raises(PermanentAPIError) as err:
        send_sms(buka_hook(sleeps))
    assert (err.value.service, err.value.code, err.value.http_status) == ("http", "401", 401)


# ----- overrides ---------------------------------------------------------------------------


def test_override_turns_a_failure_into_a_retry_for_airflow_not_in_hook(requests_mock, sleeps):
    requests_mock.post(SEND_SMS, json={"status": "-26", "reason": "Getting fee failed"})
    with pytest.raises(RetryableAPIError) as err:
        send_sms(buka_hook(sleeps, disposition_overrides={"sms:-26": "retry"}))
    assert requests_mock.call_count == 1 and err.value.retry_in_hook is False


def test_override_of_a_read_code_retries_in_hook(requests_mock, sleeps):
    requests_mock.get(REPORT, [{"json": {"status": "-24"}}, {"json": OK_REPORT}])
    buka_hook(sleeps, disposition_overrides={-24: Disposition.RETRY}).call("sms_report", params={})
    assert requests_mock.call_count == 2


def test_override_can_make_a_retry_code_fail(requests_mock, sleeps):
    requests_mock.get(REPORT, json={"status": "-15"})
    with pytest.raises(PermanentAPIError):
        buka_hook(sleeps, disposition_overrides={"-15": "fail"}).call("sms_report", params={})
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("override", ["fail", "retry"])
def test_no_override_turns_a_send_in_doubt_into_not_sent(requests_mock, sleeps, override):
    # a "fail" would abandon the batch as not sent, and a later try would send it again
    requests_mock.post(SEND_SMS, [{"status_code": 503}, {"json": OK_SEND}])
    with pytest.raises(AmbiguousSendError):
        send_sms(buka_hook(sleeps, disposition_overrides={"503": override}), order_id="batch-3")
    assert requests_mock.call_count == 1


def test_bad_override_is_refused_naming_the_parameter():
    with pytest.raises(InvalidInputError, match="disposition_overrides"):
        BukaHook(disposition_overrides={"-15": "maybe"})


# ----- secrets -------------------------------------------------------------------------------


def test_no_secret_or_signature_in_errors_or_logs(requests_mock, sleeps, caplog, clock):
    caplog.set_level(logging.DEBUG)
    requests_mock.post(NX_QUERY, [{"status_code": 503}, {"json": {"code": 1003, "msg": "Invalid signature"}}])
    with pytest.raises(PermanentAPIError) as err:
        NXCloudHook(sleep=sleeps.append, clock=clock).call("number_check_query", {"page": 1})
    signatures = [r.headers["sign"] for r in requests_mock.request_history]
    text = str(err.value) + caplog.text + json.dumps(vars(err.value), default=str)
    for secret in (*SECRETS, *signatures):
        assert secret not in text


def test_transport_failures_do_not_claim_a_missing_catalog_code(requests_mock, sleeps):
    requests_mock.get(REPORT, exc=requests.exceptions.ConnectionError("NewConnectionError: refused"))
    with pytest.raises(RetryableAPIError) as err:
        buka_hook(sleeps).call("sms_report", params={})
    assert requests_mock.call_count == 4
    assert err.value.code == "CONNECTION_FAILED" and err.value.in_catalog is True
    assert "catalog" not in str(err.value)


def test_qps_cap_spaces_request_slots():
    from airflow_provider_nxcloud.hooks.transport import _Pacer

    pacer = _Pacer(max_qps=4)
    delays = [pacer._reserve() for _ in range(5)]
    # Each reservation starts a quarter second (plus the 10% headroom) after the one before,
    # whatever the caller does.
    assert delays[0] == 0
    assert all(0.25 < later - earlier <= 0.28 for earlier, later in itertools.pairwise(delays))
    assert _Pacer(max_qps=None)._reserve() == 0
