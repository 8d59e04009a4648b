"""Fault injection as clients see it: statuses, vendor codes, dropped connections, delays."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import Reason
from airflow_provider_nxcloud.testing import FaultKind, FaultPlan, FaultRule
from tests.testing.clients import PROPERTY_PATH, buka_call, buka_sms, fd_call, nx_sms

Send = Callable[[str], requests.Response]


def buka_send(url: str) -> requests.Response:
    return buka_sms(url, "6112345678")


def nx_send(url: str) -> requests.Response:
    return nx_sms(url, "6112345678")


def fd_send(url: str) -> requests.Response:
    return fd_call(url, "POST", PROPERTY_PATH + "/Messages", {"To": "+61412345678", "Text": "hi"})


SENDS = {"buka": buka_send, "nxcloud": nx_send, "fonedynamics": fd_send}
ENDPOINT = {"buka": "sms_send", "nxcloud": "sms_send_v2", "fonedynamics": "send_message"}


@pytest.mark.parametrize("platform", SENDS)
@pytest.mark.parametrize(
    "kind,status", [("http_500", 500), ("http_502", 502), ("http_503", 503), ("http_429", 429)]
)
def test_http_faults(nxcloud_simulator, platform, kind, status):
    nxcloud_simulator.faults.next(kind)
    reply = SENDS[platform](nxcloud_simulator.url)
    assert reply.status_code == status
    if status in (429, 503):
        assert reply.headers["Retry-After"] == "1"
    assert nxcloud_simulator.ledger.count() == 0
    assert nxcloud_simulator.faults.counts() == {kind: 1}
    assert SENDS[platform](nxcloud_simulator.url).status_code == 200  # only the next request


@pytest.mark.parametrize(
    "platform,kind,code,reason",
    [
        ("buka", "vendor_rate_limit", "-15", Reason.RATE_LIMITED),
        ("buka", "vendor_busy", "-18", Reason.PLATFORM_FAULT),
        ("buka", "timestamp_expired", "-16", Reason.CLOCK),
        ("nxcloud", "vendor_rate_limit", "28", Reason.RATE_LIMITED),
        ("nxcloud", "vendor_busy", "99", Reason.PLATFORM_FAULT),
        ("nxcloud", "timestamp_expired", "1004", Reason.CLOCK),
    ],
)
def test_vendor_code_faults(nxcloud_simulator, platform, kind, code, reason):
    nxcloud_simulator.faults.next(kind)
    reply = SENDS[platform](nxcloud_simulator.url)
    assert reply.status_code == 200
    body = reply.json()
    assert str(body.get("status", body.get("code"))) == code
    assert lookup_code(platform, "sms", code).reason is reason
    assert nxcloud_simulator.ledger.count() == 0


def test_nxcloud_signed_envelope_fault(nxcloud_simulator):
    from tests.testing.test_simulator_auth import QUERY, nx_signed

    nxcloud_simulator.faults.next("timestamp_expired")
    body = nx_signed(nxcloud_simulator.url, "number_check_query", QUERY).json()
    assert body["code"] == 1004 and body["requestId"]


@pytest.mark.parametrize("kind,status", [("vendor_rate_limit", 429), ("vendor_busy", 503)])
def test_fonedynamics_signals_vendor_faults_by_status(nxcloud_simulator, kind, status):
    nxcloud_simulator.faults.next(kind)
    reply = fd_send(nxcloud_simulator.url)
    assert reply.status_code == status
    assert reply.json()["ResponseStatus"]["ErrorCode"]
    assert nxcloud_simulator.ledger.count() == 0


def test_kinds_that_do_not_apply_are_not_injected(nxcloud_simulator):
    nxcloud_simulator.faults.set(at={1: "timestamp_expired"})  # Fone Dynamics has no timestamps
    assert fd_send(nxcloud_simulator.url).status_code == 200
    assert nxcloud_simulator.faults.counts() == {}
    nxcloud_simulator.faults.next("timestamp_expired")  # a rule waits for a request it applies to
    assert fd_send(nxcloud_simulator.url).status_code == 200
    assert buka_send(nxcloud_simulator.url).json()["status"] == "-16"


@pytest.mark.parametrize("platform", SENDS)
def test_reset_after_processes_then_drops_the_connection(nxcloud_simulator, platform):
    nxcloud_simulator.faults.next("reset_after")
    with pytest.raises(requests.exceptions.ConnectionError):
        SENDS[platform](nxcloud_simulator.url)
    assert nxcloud_simulator.ledger.count() == 1
    assert nxcloud_simulator.faults.counts() == {"reset_after": 1}


@pytest.mark.parametrize("platform", SENDS)
def test_http_503_after_processes_then_answers_the_gateway_page(nxcloud_simulator, platform):
    nxcloud_simulator.faults.next("http_503_after")
    reply = SENDS[platform](nxcloud_simulator.url)
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "1"
    assert reply.headers["content-type"].startswith("text/html")  # the gateway's page, no vendor code
    assert nxcloud_simulator.ledger.count() == 1  # the vendor took the send all the same
    assert nxcloud_simulator.faults.counts() == {"http_503_after": 1}
    assert SENDS[platform](nxcloud_simulator.url).status_code == 200  # only the next request


@pytest.mark.parametrize("platform", SENDS)
def test_reset_before_drops_the_connection_and_records_nothing(nxcloud_simulator, platform):
    nxcloud_simulator.faults.next("reset_before")
    with pytest.raises(requests.exceptions.ConnectionError):
        SENDS[platform](nxcloud_simulator.url)
    assert nxcloud_simulator.ledger.count() == 0
    assert nxcloud_simulator.requests.total() == 1
    assert SENDS[platform](nxcloud_simulator.url).status_code == 200


def test_reset_on_a_kept_alive_connection(nxcloud_simulator):
    session = requests.Session()
    url = nxcloud_simulator.url
    assert buka_call(url, "balance", session=session).status_code == 200
    nxcloud_simulator.faults.next("reset_before")
    with pytest.raises(requests.exceptions.ConnectionError):
        buka_call(url, "balance", session=session)
    assert buka_call(url, "balance", session=session).json()["status"] == "0"


def test_latency_delays_the_reply(nxcloud_simulator):
    nxcloud_simulator.faults.set(latency_ms=300)
    nxcloud_simulator.faults.next("latency")
    started = time.monotonic()
    reply = buka_send(nxcloud_simulator.url)
    elapsed = time.monotonic() - started
    assert reply.json()["status"] == "0"
    assert elapsed >= 0.3
    started = time.monotonic()
    buka_send(nxcloud_simulator.url)
    assert time.monotonic() - started < 0.3
    assert nxcloud_simulator.ledger.count() == 2


def test_exact_request_numbers(nxcloud_simulator):
    nxcloud_simulator.faults.set(at={2: "http_500", 4: FaultKind.HTTP_502})
    statuses = [buka_call(nxcloud_simulator.url, "balance").status_code for _ in range(5)]
    assert statuses == [200, 500, 200, 502, 200]
    assert [(f.request_number, f.kind) for f in nxcloud_simulator.faults.history()] == [
        (2, FaultKind.HTTP_500),
        (4, FaultKind.HTTP_502),
    ]


def test_rules_match_platform_and_endpoint(nxcloud_simulator):
    nxcloud_simulator.faults.next("http_503", 2, endpoint="sms_send", platform="buka")
    url = nxcloud_simulator.url
    assert buka_call(url, "balance").status_code == 200
    assert nx_send(url).status_code == 200
    assert [buka_send(url).status_code for _ in range(3)] == [503, 503, 200]


def test_faults_never_touch_control_routes(nxcloud_simulator):
    nxcloud_simulator.faults.set(rate=1.0, weights={"http_500": 1})
    assert requests.get(nxcloud_simulator.url + "/_simulator/health", timeout=5).status_code == 200
    assert requests.get(nxcloud_simulator.url + "/_simulator/ledger", timeout=5).status_code == 200
    assert buka_call(nxcloud_simulator.url, "balance").status_code == 500


def outcome(reply_or_error: requests.Response | Exception) -> str:
    if isinstance(reply_or_error, Exception):
        return type(reply_or_error).__name__
    body = reply_or_error.json() if "json" in reply_or_error.headers.get("content-type", "") else {}
    return f"{reply_or_error.status_code}:{body.get('status', '')}"


def run_requests(sim, count: int) -> list[str]:
    outcomes = []
    for _ in range(count):
        try:
            outcomes.append(outcome(buka_call(sim.url, "balance")))
        except requests.exceptions.ConnectionError as exc:
            outcomes.append(outcome(exc))
    return outcomes


PLAN = FaultPlan(
    seed=42,
    rate=0.5,
    weights={"http_503": 1, "vendor_rate_limit": 1, "vendor_busy": 1, "reset_before": 1, "http_429": 1},
)


def test_a_seeded_plan_reproduces_the_same_sequence(nxcloud_simulator):
    nxcloud_simulator.faults.set(PLAN)
    first = run_requests(nxcloud_simulator, 40)
    first_history = nxcloud_simulator.faults.history()
    nxcloud_simulator.faults.set(PLAN)
    second = run_requests(nxcloud_simulator, 40)
    assert first == second
    assert first_history == nxcloud_simulator.faults.history()
    assert 5 < len(first_history) < 35  # about half
    assert len({f.kind for f in first_history}) >= 3
    nxcloud_simulator.faults.set(FaultPlan(seed=43, rate=0.5, weights=PLAN.weights))
    assert run_requests(nxcloud_simulator, 40) != first


def test_rules_do_not_shift_the_random_sequence(nxcloud_simulator):
    nxcloud_simulator.faults.set(PLAN)
    run_requests(nxcloud_simulator, 30)
    plain = [(f.request_number, f.kind) for f in nxcloud_simulator.faults.history()]
    nxcloud_simulator.faults.set(FaultPlan(seed=42, rate=0.5, weights=PLAN.weights, at={1: "http_500"}))
    run_requests(nxcloud_simulator, 30)
    with_exact = [(f.request_number, f.kind) for f in nxcloud_simulator.faults.history()]
    assert with_exact[0] == (1, FaultKind.HTTP_500)
    assert [f for f in with_exact if f[0] != 1] == [f for f in plain if f[0] != 1]


def test_seed_and_rate_given_at_start():
    from airflow_provider_nxcloud.testing import run_simulator

    weights = {"http_503": 1, "http_500": 1}
    with run_simulator(seed=7, fault_rate=0.5, fault_weights=weights) as one:
        first = run_requests(one, 20)
        assert one.faults.counts()
        one.reset()  # back to the start plan, from its first request
        assert run_requests(one, 20) == first
    with run_simulator(seed=7, fault_rate=0.5, fault_weights=weights) as two:
        assert run_requests(two, 20) == first


def test_fault_plan_over_http(nxcloud_simulator):
    url = nxcloud_simulator.url
    plan = {"rules": [{"kind": "vendor_rate_limit", "count": 1, "platform": "buka", "endpoint": "balance"}]}
    reply = requests.post(url + "/_simulator/faults", json=plan, timeout=5)
    assert reply.status_code == 200
    assert reply.json()["remaining_rules"] == [plan["rules"][0]]
    assert buka_call(url, "balance").json()["status"] == "-15"
    requests.post(
        url + "/_simulator/faults", json={"mode": "append", "rules": [{"kind": "http_502"}]}, timeout=5
    )
    assert buka_call(url, "balance").status_code == 502
    state = requests.get(url + "/_simulator/faults", timeout=5).json()
    assert state["counts"] == {"http_502": 1, "vendor_rate_limit": 1}
    assert requests.get(url + "/_simulator/ledger", timeout=5).json()["faults"] == state["counts"]
    bad = requests.post(url + "/_simulator/faults", json={"rules": [{"kind": "meteor"}]}, timeout=5)
    assert bad.status_code == 400


def test_plan_validation():
    with pytest.raises(ValueError):
        FaultPlan(rate=1.5)
    with pytest.raises(ValueError):
        FaultPlan(weights={"http_500": 0})
    with pytest.raises(ValueError):
        FaultRule("nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FaultRule(FaultKind.HTTP_500, count=0)
