"""What never leaves, and what a failure keeps: redirects, TLS failures, Retry-After dates, echoed secrets.

Over requests_mock (the network stand-in) through the real hooks, and against the
simulator for the TLS case, where a real handshake fails on a real socket.
"""

from __future__ import annotations

import base64
import email.utils
import json
import threading

import httpx
import pytest

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.hooks.transport import REDACTED, _Pacer, _retry_after_seconds
from airflow_provider_nxcloud.platforms import buka
from tests.hooks.conftest import BUKA_SECRET, FD_TOKEN, NX_SECRET, ORIGIN, SECRETS, SMS_APP_SECRET, set_conn

SEND_SMS = f"{ORIGIN}/v3/sendSms"
NX_LEGACY_SEND = f"{ORIGIN}/api/sms/mtsend"
FD_SEND = f"{ORIGIN}/v2/Properties/PR1/Messages"
ELSEWHERE = "http://collector.example.net:8080/steal"


def buka_send(hook: BukaHook):
    body = {"appId": "sms-app", "numbers": "8613800000001", "content": "hi", "orderId": "ref-1"}
    return hook.call("sms_send", body, client_reference="ref-1")


# ----- redirects are never followed ------------------------------------------------------------


@pytest.mark.usefixtures("connections")
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_fails_naming_its_host_and_nothing_goes_there(requests_mock, status):
    requests_mock.post(SEND_SMS, status_code=status, headers={"Location": ELSEWHERE})
    stolen = requests_mock.post(ELSEWHERE, json={"status": "0"})

    with pytest.raises(PermanentAPIError) as err:
        buka_send(BukaHook(sleep=lambda s: None))

    assert requests_mock.call_count == 1
    assert stolen.call_count == 0
    assert "http://collector.example.net" in str(err.value)
    assert err.value.code == "REDIRECT"
    assert not isinstance(err.value, AmbiguousSendError)


@pytest.mark.usefixtures("connections")
def test_nxcloud_legacy_secretkey_and_fonedynamics_token_do_not_follow_a_redirect(requests_mock):
    requests_mock.post(NX_LEGACY_SEND, status_code=307, headers={"Location": ELSEWHERE})
    requests_mock.post(FD_SEND, status_code=307, headers={"Location": ELSEWHERE})
    stolen = requests_mock.post(ELSEWHERE, json={})

    with pytest.raises(PermanentAPIError, match=r"collector\.example\.net"):
        NXCloudHook().call("sms_send_legacy", {"phone": "8613800000001", "content": "hi"})
    with pytest.raises(PermanentAPIError, match=r"collector\.example\.net"):
        FoneDynamicsHook().call(
            "send_message", {"To": "+61400000001", "Text": "hi"}, path_params={"property_sid": "PR1"}
        )

    assert stolen.call_count == 0


@pytest.mark.usefixtures("connections")
async def test_the_async_transport_does_not_follow_a_redirect():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": ELSEWHERE})

    transport = await BukaHook().get_async_transport(
        sleep=_no_sleep, httpx_transport=httpx.MockTransport(answer)
    )
    with pytest.raises(PermanentAPIError, match=r"collector\.example\.net"):
        await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "sms-app", "msgIds": "m1"})
    assert [request.url.host for request in seen] == ["vendor.test"]


async def _no_sleep(seconds: float) -> None:
    return None


# ----- TLS failure: nothing was sent, and the cause is kept ------------------------------------


def test_a_tls_handshake_failure_is_not_in_doubt_and_keeps_its_cause(nxcloud_simulator, monkeypatch):
    # https:// to the simulator's plain-http port: a real handshake fails on a real socket
    plain = nxcloud_simulator.url
    assert plain.startswith("http://")
    set_conn(
        monkeypatch,
        "buka_tls",
        conn_type="buka",
        login="buka-key",
        password=BUKA_SECRET,
        host="https://" + plain.removeprefix("http://"),
        extra={"app_id": "sms-app"},
    )
    before = nxcloud_simulator.requests.total()

    with pytest.raises(VendorAPIError) as err:
        buka_send(BukaHook("buka_tls", sleep=lambda s: None))

    assert not isinstance(err.value, AmbiguousSendError)
    assert isinstance(err.value, RetryableAPIError)
    assert "TLS handshake failed, so nothing was sent" in str(err.value)
    assert "[SSL" in str(err.value)
    assert nxcloud_simulator.requests.total() == before


# ----- Retry-After in both forms ------------------------------------------------------------------


def test_retry_after_as_an_http_date():
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 12, usegmt=True)
    assert _retry_after_seconds({"Retry-After": later}, now=lambda: now) == pytest.approx(12.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert _retry_after_seconds({"Retry-After": past}, now=lambda: now) == 0.0
    assert _retry_after_seconds({"Retry-After": "soon"}, now=lambda: now) is None
    assert _retry_after_seconds({"Retry-After": "inf"}, now=lambda: now) is None


@pytest.mark.usefixtures("connections")
def test_a_dated_retry_after_is_waited_out_by_the_hook(requests_mock):
    sleeps: list[float] = []
    when = email.utils.formatdate(_wall_clock() + 9, usegmt=True)
    ok = {"status": "0", "reason": "success", "success": 1, "fail": 0, "array": [{"msgId": "m1"}]}
    requests_mock.post(SEND_SMS, [{"status_code": 429, "headers": {"Retry-After": when}}, {"json": ok}])

    buka_send(BukaHook(sleep=sleeps.append))

    assert len(sleeps) == 1
    assert 7.0 <= sleeps[0] <= 9.0


def _wall_clock() -> float:
    import time

    return time.time()


# ----- no secret in an exception's text, even when the vendor echoes the request ---------------


@pytest.mark.usefixtures("connections")
def test_an_echoed_signature_and_secrets_are_redacted(requests_mock):
    def echo(request, context):
        context.status_code = 200
        headers = json.dumps(dict(request.headers))
        return {"status": "-9", "reason": f"bad request {headers} body={request.body}"}

    requests_mock.post(SEND_SMS, json=echo)
    with pytest.raises(VendorAPIError) as err:
        buka_send(BukaHook(sleep=lambda s: None))

    sign = requests_mock.last_request.headers["Sign"]
    text = str(err.value)
    assert REDACTED in text
    for secret in (sign, BUKA_SECRET, "buka-key"):
        assert secret not in text
    assert sign not in repr(err.value.__dict__)


@pytest.mark.usefixtures("connections")
def test_nxcloud_sign_and_app_secret_and_fonedynamics_token_never_reach_the_error(requests_mock):
    def echo(request, context):
        context.status_code = 200
        return {"code": "1", "result": f"echo {dict(request.headers)} {request.body}"}

    requests_mock.post(NX_LEGACY_SEND, json=echo)
    with pytest.raises(VendorAPIError) as nx_err:
        NXCloudHook(sleep=lambda s: None).call("sms_send_legacy", {"phone": "8613800000001", "content": "hi"})
    assert SMS_APP_SECRET not in str(nx_err.value)

    basic = base64.b64encode(f"AC123:{FD_TOKEN}".encode()).decode()
    requests_mock.post(
        FD_SEND,
        status_code=400,
        json={
            "ResponseStatus": {"ErrorCode": "PARAMETER_REQUIRED", "Message": f"Authorization: Basic {basic}"}
        },
    )
    with pytest.raises(VendorAPIError) as fd_err:
        FoneDynamicsHook(sleep=lambda s: None).call(
            "send_message", {"To": "+61400000001", "Text": "hi"}, path_params={"property_sid": "PR1"}
        )
    assert basic not in str(fd_err.value)
    for secret in SECRETS:
        assert secret not in str(nx_err.value)
        assert secret not in str(fd_err.value)
    assert NX_SECRET not in str(nx_err.value)


# ----- a Retry-After holds every thread of the connection ---------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("max_qps", [None, 5.0])
def test_a_hold_stops_every_other_thread_but_not_the_one_told(max_qps):
    clock = _Clock()
    pacer = _Pacer(max_qps, clock=clock, sleep=clock.sleep)
    pacer.hold(7.0)

    pacer.wait()  # the thread that was told waits in its own retry, not here
    assert clock.slept == []

    other = threading.Thread(target=pacer.wait)
    other.start()
    other.join()
    assert clock.slept[0] == pytest.approx(7.0)


@pytest.mark.usefixtures("connections")
def test_a_retry_after_on_one_send_holds_the_other_threads_of_the_hook(requests_mock):
    ok = {"status": "0", "reason": "success", "success": 1, "fail": 0, "array": [{"msgId": "m1"}]}
    requests_mock.post(SEND_SMS, [{"status_code": 429, "headers": {"Retry-After": "30"}}, {"json": ok}])
    hook = BukaHook(sleep=lambda seconds: None)
    buka_send(hook)

    held: list[float] = []
    other = threading.Thread(target=lambda: held.append(hook.get_conn().pacer._held()))
    other.start()
    other.join()
    assert 25.0 < held[0] <= 30.0


# ----- a bare 4xx no catalog lists, on a send: in doubt, never "refused" -------------------------


@pytest.mark.usefixtures("connections")
@pytest.mark.parametrize("status", [408, 499])
def test_a_bare_gateway_4xx_on_a_send_is_in_doubt_on_every_platform(requests_mock, status):
    page = {"status_code": status, "text": f"<html>{status}</html>"}
    requests_mock.post(SEND_SMS, [page])
    requests_mock.post(NX_LEGACY_SEND, [page])
    requests_mock.post(FD_SEND, [page])

    with pytest.raises(AmbiguousSendError):
        buka_send(BukaHook(sleep=lambda s: None))
    with pytest.raises(AmbiguousSendError):
        NXCloudHook(sleep=lambda s: None).call(
            "sms_send_legacy", {"phone": "8613800000001", "content": "hi"}, client_reference="b-1"
        )
    with pytest.raises(AmbiguousSendError):
        FoneDynamicsHook(sleep=lambda s: None).call(
            "send_message", {"To": "+61400000001", "Text": "hi"}, path_params={"property_sid": "PR1"}
        )
    assert requests_mock.call_count == 3


@pytest.mark.usefixtures("connections")
def test_a_bare_4xx_on_a_read_still_fails_and_a_vendor_coded_refusal_on_a_send_is_not_in_doubt(
    requests_mock,
):
    requests_mock.get(f"{ORIGIN}/v3/getReport", status_code=418, text="<html>teapot</html>")
    with pytest.raises(PermanentAPIError) as read_err:
        BukaHook(sleep=lambda s: None).call("sms_report", params={"appId": "sms-app", "msgIds": "m1"})
    assert not isinstance(read_err.value, AmbiguousSendError)

    requests_mock.post(SEND_SMS, json={"status": "-9999", "reason": "unheard of"})
    with pytest.raises(PermanentAPIError) as send_err:
        buka_send(BukaHook(sleep=lambda s: None))
    assert not isinstance(send_err.value, AmbiguousSendError)
    assert send_err.value.in_catalog is False
