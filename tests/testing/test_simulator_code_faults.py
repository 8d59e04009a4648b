"""The ``vendor_code`` fault: any code a test names, answered as the platform answers it on that endpoint."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import FaultKind, FaultPlan, FaultRule
from airflow_provider_nxcloud.testing.faults import Faults
from tests.testing.clients import (
    PROPERTY_PATH,
    buka_call,
    buka_sms,
    fd_call,
    nx_legacy,
    nx_signed,
    nx_sms,
)
from tests.testing.test_simulator_auth import QUERY

NUMBER = "6591234567"


def fd_send(url: str) -> requests.Response:
    return fd_call(url, "POST", PROPERTY_PATH + "/Messages", {"To": "+6591234567", "Text": "hi"})


def test_buka_answers_a_service_code_in_its_envelope_once(nxcloud_simulator):
    nxcloud_simulator.faults.next_code("-10", endpoint="sms_send", platform="buka")
    reply = buka_sms(nxcloud_simulator.url, NUMBER)
    assert reply.status_code == 200
    assert reply.json() == {"status": "-10", "reason": lookup_code("buka", "sms", "-10").meaning}
    assert nxcloud_simulator.ledger.count() == 0  # answered before anything was processed
    assert buka_sms(nxcloud_simulator.url, NUMBER).json()["status"] == "0"  # only once
    assert nxcloud_simulator.ledger.count() == 1


def test_the_same_number_means_what_the_endpoints_service_says(nxcloud_simulator):
    nxcloud_simulator.faults.next_code(-4, 2, platform="buka")
    assert buka_sms(nxcloud_simulator.url, NUMBER).json()["reason"] == "SMS content is empty"
    body = {"current": 1, "size": 10, "params": {"appId": "sim-ai-voice-app"}}
    assert buka_call(nxcloud_simulator.url, "ai_task_list", body).json() == {
        "status": "-4",
        "reason": "Timestamp expired",
    }


@pytest.mark.parametrize("status", [401, 429, 503, 504])
def test_an_http_status_comes_from_the_gateway(nxcloud_simulator, status):
    nxcloud_simulator.faults.next_code(status, platform="buka", endpoint="balance")
    reply = buka_call(nxcloud_simulator.url, "balance")
    assert reply.status_code == status
    assert "text/html" in reply.headers["content-type"]
    assert reply.headers.get("Retry-After") == ("1" if status in (429, 503) else None)


def test_nxcloud_signed_and_legacy_envelopes(nxcloud_simulator):
    url = nxcloud_simulator.url
    nxcloud_simulator.faults.next_code(1005, endpoint="number_check_query")
    signed = nx_signed(url, "number_check_query", QUERY).json()
    assert (signed["code"], signed["msg"]) == (1005, lookup_code("nxcloud", "common", "1005").meaning)
    assert signed["requestId"]
    nxcloud_simulator.faults.next_code(5, endpoint="sms_record")
    legacy = nx_legacy(url, "sms_record", {"messageid": "m1", "date": "20260101"}).json()
    assert legacy == {"code": "5", "result": lookup_code("nxcloud", "sms_report", "5").meaning}
    nxcloud_simulator.faults.next_code(502, endpoint="sms_send_v2")
    assert nx_sms(url, NUMBER).status_code == 502
    assert nxcloud_simulator.ledger.count() == 0


def test_voice_report_failure_is_code_0_in_its_inverted_envelope(nxcloud_simulator):
    nxcloud_simulator.faults.next_code("0", endpoint="voice_records")
    reply = nx_legacy(nxcloud_simulator.url, "voice_records", {"messageid": "m1"}).json()
    assert reply["code"] == "0"


@pytest.mark.parametrize(
    "code,status",
    [
        ("INVALID_SMS_TEXT", 400),
        ("FORBIDDEN", 403),
        ("MESSAGE_NOT_FOUND", 404),
        ("NOT_A_DOCUMENTED_CODE", 400),
    ],
)
def test_fonedynamics_error_codes_come_with_their_status(nxcloud_simulator, code, status):
    nxcloud_simulator.faults.next_code(code, platform="fonedynamics")
    reply = fd_send(nxcloud_simulator.url)
    assert reply.status_code == status
    assert reply.json()["ResponseStatus"]["ErrorCode"] == code
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize("status", [401, 429, 500, 503])
def test_fonedynamics_bare_statuses_name_no_error_code(nxcloud_simulator, status):
    nxcloud_simulator.faults.next_code(str(status), platform="fonedynamics")
    reply = fd_send(nxcloud_simulator.url)
    assert reply.status_code == status
    assert "ErrorCode" not in reply.json()["ResponseStatus"]
    assert reply.headers.get("Retry-After") == ("1" if status in (429, 503) else None)


def test_a_code_rule_waits_for_its_endpoint_and_is_recorded_with_its_code(nxcloud_simulator):
    url = nxcloud_simulator.url
    nxcloud_simulator.faults.next_code("-15", endpoint="sms_send", platform="buka")
    assert buka_call(url, "balance").json()["status"] == "0"
    assert nx_sms(url, NUMBER).json()["code"] in (0, "0")
    assert buka_sms(url, NUMBER).json()["status"] == "-15"
    [fault] = nxcloud_simulator.faults.history()
    assert (fault.platform, fault.endpoint, fault.kind, fault.code) == (
        "buka",
        "sms_send",
        "vendor_code",
        "-15",
    )
    assert fault.to_json()["code"] == "-15"
    assert nxcloud_simulator.faults.counts() == {"vendor_code": 1}


def test_paths_the_vendor_does_not_have_get_no_code(nxcloud_simulator):
    nxcloud_simulator.faults.next_code("-1", platform="buka")
    assert requests.get(nxcloud_simulator.url + "/v3/nowhere", timeout=5).status_code == 404
    assert nxcloud_simulator.faults.counts() == {}
    assert buka_call(nxcloud_simulator.url, "balance").json()["status"] == "-1"  # still waiting


def test_code_rules_over_http(nxcloud_simulator):
    url = nxcloud_simulator.url
    rule = {"kind": "vendor_code", "count": 1, "platform": "buka", "endpoint": "balance", "code": "-13"}
    state = requests.post(
        url + "/_simulator/faults", json={"mode": "append", "rules": [rule]}, timeout=5
    ).json()
    assert state["remaining_rules"] == [rule]
    assert buka_call(url, "balance").json()["status"] == "-13"
    bad = requests.post(url + "/_simulator/faults", json={"rules": [{"kind": "vendor_code"}]}, timeout=5)
    assert bad.status_code == 400


def test_vendor_code_needs_a_code_and_is_never_random():
    with pytest.raises(ValueError, match="needs a code"):
        FaultRule(FaultKind.VENDOR_CODE)
    with pytest.raises(ValueError, match="needs a code"):
        FaultRule(FaultKind.HTTP_500, code="500")
    with pytest.raises(ValueError, match="needs a code"):
        Faults().next("vendor_code")
    with pytest.raises(ValueError, match="by weight"):
        FaultPlan(rate=0.5, weights={"vendor_code": 1})
    with pytest.raises(ValueError, match="by request number"):
        FaultPlan(at={1: "vendor_code"})
    every = Faults(FaultPlan(seed=3, rate=1.0))
    assert FaultKind.VENDOR_CODE not in {every.draw("buka", "balance") for _ in range(300)}
    plan = FaultPlan(rules=(FaultRule(FaultKind.VENDOR_CODE, 2, "nxcloud", "sms_send_v2", "28"),))
    assert FaultPlan.from_json(plan.to_json()) == plan
