"""The example of ``airflow_provider_nxcloud.testing``'s docstring, kept true by running it."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.exceptions import AmbiguousSendError
from airflow_provider_nxcloud.hooks.buka import BukaHook


def send_alert(text: str) -> str:
    hook = BukaHook()
    body = {"appId": hook.app_id("sms"), "numbers": "61400000001", "content": text, "orderId": "alert-1"}
    return hook.call("sms_send", body, client_reference="alert-1")["array"][0]["msgId"]


def test_alert_is_sent_once(nxcloud_simulator):
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves time
    msg_id = send_alert("Build done")
    [sms] = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
    assert (sms.recipient, sms.content, sms.client_reference) == ("61400000001", "Build done", "alert-1")
    assert sms.vendor_id == msg_id and sms.status == "pending"
    nxcloud_simulator.clock.advance(5)
    assert nxcloud_simulator.ledger.entries()[0].status == "delivered"


def test_a_lost_reply_is_not_resent(nxcloud_simulator):
    nxcloud_simulator.faults.next("reset_after", endpoint="sms_send", platform="buka")
    with pytest.raises(AmbiguousSendError) as err:
        send_alert("Build done")
    assert err.value.client_reference == "alert-1"
    assert nxcloud_simulator.ledger.count() == 1
