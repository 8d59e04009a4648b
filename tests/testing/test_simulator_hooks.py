"""The provider's hooks against the simulator, through the ``nxcloud_simulator`` fixture."""

from __future__ import annotations

import json
import os

import pytest

from airflow_provider_nxcloud.exceptions import AmbiguousSendError, PermanentAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.testing import accounts


def no_wait(seconds: float) -> None:
    """Skip backoff waits."""


def test_test_connection_succeeds_for_all_three(nxcloud_simulator):
    for hook in (NXCloudHook(), BukaHook(), FoneDynamicsHook()):
        ok, message = hook.test_connection()
        assert ok, message
    assert nxcloud_simulator.requests.by_endpoint() == {
        ("nxcloud", "number_check_query"): 1,
        ("nxcloud", "balance"): 1,
        ("buka", "balance"): 1,
        ("fonedynamics", "get_property"): 1,
    }
    assert nxcloud_simulator.ledger.count() == 0  # a connection test never sends


def wrong_password(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    conn = json.loads(os.environ[var])
    conn["password"] = "not-the-secret"
    monkeypatch.setenv(var, json.dumps(conn))


@pytest.mark.parametrize(
    "hook_class,var,code",
    [
        (NXCloudHook, "AIRFLOW_CONN_NXCLOUD_DEFAULT", "1003"),
        (BukaHook, "AIRFLOW_CONN_BUKA_DEFAULT", "-1"),
        (FoneDynamicsHook, "AIRFLOW_CONN_FONEDYNAMICS_DEFAULT", "401"),
    ],
)
def test_test_connection_fails_naming_the_code(nxcloud_simulator, monkeypatch, hook_class, var, code):
    wrong_password(monkeypatch, var)
    ok, message = hook_class(sleep=no_wait).test_connection()
    assert not ok
    assert f"code {code} " in message


def test_nxcloud_hook_with_sha256(nxcloud_simulator, monkeypatch):
    conn = json.loads(os.environ["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    conn["extra"]["sign_algorithm"] = "sha256"
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    assert NXCloudHook().test_connection()[0]


SMS = {
    "appId": accounts.BUKA_SMS_APP_ID,
    "numbers": "6112345678,6112345679",
    "content": "hi",
    "orderId": "a,b",
}


def test_buka_send_under_reset_after_is_ambiguous_and_not_resent(nxcloud_simulator):
    nxcloud_simulator.faults.next("reset_after")
    with pytest.raises(AmbiguousSendError):
        BukaHook(sleep=no_wait).call("sms_send", SMS)
    entries = nxcloud_simulator.ledger.entries()
    assert sorted(e.recipient for e in entries) == ["6112345678", "6112345679"]  # one per number
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 1


@pytest.mark.parametrize("kind", ["http_503", "vendor_rate_limit", "http_429", "reset_before"])
def test_buka_send_retried_in_hook_only_when_refused(nxcloud_simulator, kind):
    nxcloud_simulator.faults.next(kind)
    if kind in ("reset_before", "http_503"):
        # a dropped connection or a gateway's 503 cannot prove the send was refused (this one
        # came before processing, but a gateway answers the same after forwarding): no resend
        with pytest.raises(AmbiguousSendError):
            BukaHook(sleep=no_wait).call("sms_send", SMS)
        assert nxcloud_simulator.ledger.count() == 0
        assert nxcloud_simulator.requests.count("buka", "sms_send") == 1
        return
    reply = BukaHook(sleep=no_wait).call("sms_send", SMS)
    assert reply["success"] == 2
    assert nxcloud_simulator.ledger.count() == 2
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 2


def test_nxcloud_hook_resigns_after_timestamp_expired(nxcloud_simulator):
    nxcloud_simulator.faults.next("timestamp_expired")
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hi"}
    assert NXCloudHook(sleep=no_wait).call("sms_send_v2", body)["code"] == "0"
    assert nxcloud_simulator.ledger.count() == 1


def test_nxcloud_hook_with_a_skewed_vendor_clock_fails_permanently(nxcloud_simulator):
    nxcloud_simulator.clock.vendor_skew_ms = 600_000
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": "6112345678", "content": "hi"}
    with pytest.raises(PermanentAPIError) as raised:
        NXCloudHook(sleep=no_wait).call("sms_send_v2", body)
    assert raised.value.code == "1004"
    assert nxcloud_simulator.ledger.count() == 0


def test_fonedynamics_send_meeting_vendor_busy_503_is_in_doubt_not_resent(nxcloud_simulator):
    nxcloud_simulator.faults.next("vendor_busy")  # Fone Dynamics signals it with HTTP 503
    hook = FoneDynamicsHook(sleep=no_wait)
    with pytest.raises(AmbiguousSendError):
        hook.call(
            "send_message",
            {"To": "+61412345678", "Text": "hi", "ExternalId": "x-1"},
            path_params={"property_sid": hook.property_sid()},
        )
    assert nxcloud_simulator.requests.count("fonedynamics", "send_message") == 1
    assert nxcloud_simulator.ledger.count() == 0


def test_fonedynamics_send_retried_after_vendor_rate_limit_429(nxcloud_simulator):
    nxcloud_simulator.faults.next("vendor_rate_limit")
    hook = FoneDynamicsHook(sleep=no_wait)
    reply = hook.call(
        "send_message",
        {"To": "+61412345678", "Text": "hi", "ExternalId": "x-1"},
        path_params={"property_sid": hook.property_sid()},
    )
    assert reply["Message"]["MessageSid"]
    assert nxcloud_simulator.requests.count("fonedynamics", "send_message") == 2
    assert nxcloud_simulator.ledger.count() == 1


def test_reads_are_retried_after_a_reset(nxcloud_simulator):
    nxcloud_simulator.faults.next("reset_after")
    nxcloud_simulator.faults.next("reset_before")
    assert BukaHook(sleep=no_wait).get_balance()["balance"] == "1000.00"
    assert nxcloud_simulator.requests.count("buka", "balance") == 3


def test_buka_report_through_the_hook(nxcloud_simulator):
    hook = BukaHook(sleep=no_wait)
    ids = [a["msgId"] for a in hook.call("sms_send", SMS)["array"]]
    nxcloud_simulator.clock.advance(5)
    reply = hook.call("sms_report", params={"appId": hook.app_id("sms"), "msgIds": ",".join(ids)})
    assert [row["status"] for row in reply["array"]] == [0, 0]
