"""The simulator's parts on their own: clocks, delivery model, fault plans, ledger, tables."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.datastructures import Headers

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import Reason
from airflow_provider_nxcloud.testing import FaultKind, FaultPlan, FaultRule, LedgerEntry
from airflow_provider_nxcloud.testing import buka as sim_buka
from airflow_provider_nxcloud.testing import nxcloud as sim_nx
from airflow_provider_nxcloud.testing.clock import SimClock
from airflow_provider_nxcloud.testing.faults import ALL_KINDS, Faults, parse_weights
from airflow_provider_nxcloud.testing.formats import sms_segments
from airflow_provider_nxcloud.testing.ledger import Ledger, RequestLog
from airflow_provider_nxcloud.testing.platform_index import NXCLOUD, PLATFORMS
from airflow_provider_nxcloud.testing.progress import Delivery, status_at


class Ticker:
    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


def test_progress_clock_scales_and_advances():
    wall, mono = Ticker(1_700_000_000.0), Ticker(50.0)
    clock = SimClock(time_scale=10, wall=wall, monotonic=mono)
    assert clock.now() == 1_700_000_000.0
    mono.value += 2
    assert clock.now() == 1_700_000_020.0
    assert clock.advance(5) == 1_700_000_025.0
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.vendor_skew_ms = -1500
    assert clock.vendor_now_ms() == 1_700_000_000_000 - 1500  # the vendor clock ignores advance()
    clock.reset()
    assert clock.advanced == 0 and clock.vendor_skew_ms == 0
    assert clock.now() == 1_700_000_000.0


def test_progress_clock_can_be_frozen_and_sped_up_without_jumping():
    wall, mono = Ticker(1_700_000_000.0), Ticker(50.0)
    clock = SimClock(wall=wall, monotonic=mono)
    mono.value += 3
    clock.set_time_scale(0)
    assert clock.now() == 1_700_000_003.0
    mono.value += 100
    assert clock.now() == 1_700_000_003.0
    clock.set_time_scale(60)
    mono.value += 1
    assert clock.now() == 1_700_000_063.0
    clock.reset()
    assert clock.time_scale == 1.0


def test_delivery_model():
    delivery = Delivery(delay=4, undeliverable=["+61 412 345 678"])
    assert delivery.is_undeliverable("61412345678")
    assert delivery.is_undeliverable("+61400000000")
    assert not delivery.is_undeliverable("61400000001")
    timeline = delivery.sms_timeline("61400000001", 100.0)
    assert [status_at(timeline, t) for t in (99, 100, 101.9, 102, 103.9, 104, 1e9)] == [
        "pending",
        "pending",
        "pending",
        "submitted",
        "submitted",
        "delivered",
        "delivered",
    ]
    assert status_at(delivery.sms_timeline("61400000000", 0.0), 10) == "undelivered"
    assert status_at(delivery.sms_timeline("61400000000", 0.0, receipt=False), 10) == "submitted"
    assert not Delivery(undeliverable_suffix=None).is_undeliverable("61400000000")


@pytest.mark.parametrize(
    "text,segments",
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("牛" * 70, 1),
        ("牛" * 71, 2),
    ],
)
def test_sms_segments(text, segments):
    assert sms_segments(text) == segments


def test_fault_plan_json_round_trip():
    plan = FaultPlan(
        seed=3,
        rate=0.25,
        weights={"http_503": 2, FaultKind.RESET_AFTER: 1},
        rules=(FaultRule(FaultKind.LATENCY, 2, "buka", "sms_send"),),
        at={5: "http_500"},
        latency_ms=120,
    )
    assert FaultPlan.from_json(plan.to_json()) == plan
    assert parse_weights("http_503=2, reset_after=1") == {FaultKind.HTTP_503: 2.0, FaultKind.RESET_AFTER: 1.0}
    with pytest.raises(ValueError):
        parse_weights("http_503")
    with pytest.raises(ValueError):
        FaultPlan.from_json({"sed": 1})


def test_weights_pick_only_weighted_kinds_and_all_kinds_by_default():
    faults = Faults(FaultPlan(seed=1, rate=1.0, weights={"http_500": 1, "latency": 3}))
    drawn = [faults.draw("buka", "balance") for _ in range(400)]
    assert set(drawn) == {FaultKind.HTTP_500, FaultKind.LATENCY}
    assert 0.15 < drawn.count(FaultKind.HTTP_500) / 400 < 0.35
    every = Faults(FaultPlan(seed=1, rate=1.0))
    assert {every.draw("buka", "balance") for _ in range(500)} == set(ALL_KINDS)  # vendor_code: rules only


def test_counts_survive_a_new_plan_until_reset():
    faults = Faults()
    faults.next("http_500")
    faults.draw("buka", "balance")
    faults.set(rate=0.0)
    assert faults.counts() == {"http_500": 1}
    assert faults.history() == []
    faults.reset()
    assert faults.counts() == {}


def entry(recipient: str, content: str, reference: str | None, platform: str = "buka") -> LedgerEntry:
    return LedgerEntry(
        platform=platform,
        kind="sms",
        account="a",
        recipient=recipient,
        content=content,
        vendor_id=f"{recipient}-{content}-{reference}-{platform}",
        client_reference=reference,
        endpoint="sms_send",
        time=0.0,
        status="pending",
    )


def test_ledger_duplicates_and_filters():
    ledger = Ledger(lambda: 0.0)
    for item in [
        entry("1", "x", None),
        entry("1", "x", None),
        entry("1", "x", "r"),
        entry("1", "x", None, "fonedynamics"),
    ]:
        ledger.add(item)
    assert ledger.duplicates() == {("1", "x", None): 3}
    assert ledger.duplicates(platform="buka") == {("1", "x", None): 2}
    assert ledger.count(platform="fonedynamics") == 1 and ledger.count(kind="voice") == 0
    assert len(ledger.entries(platform="buka", kind="sms")) == 3


def test_request_log_peak_qps():
    clock = Ticker(0.0)
    log = RequestLog(monotonic=clock)
    for t in (0.0, 0.1, 0.2, 1.5, 1.6, 1.7, 1.8, 3.0):
        clock.value = t
        log.record("buka", "balance")
    assert log.peak_qps() == 4
    assert log.total() == 8 and log.by_endpoint() == {("buka", "balance"): 8}


@pytest.mark.parametrize("module", [sim_nx, sim_buka])
def test_injected_vendor_codes_mean_what_the_kind_says(module):
    expected = {
        FaultKind.VENDOR_RATE_LIMIT: {Reason.RATE_LIMITED, Reason.CONCURRENCY},
        FaultKind.VENDOR_BUSY: {Reason.PLATFORM_FAULT},
        FaultKind.TIMESTAMP_EXPIRED: {Reason.CLOCK},
    }
    for kind, by_service in module.FAULT_CODES.items():
        for service, code in by_service.items():
            info = lookup_code(module.PLATFORM, service, code)
            assert info is not None and info.reason in expected[kind], (service, code)


def test_auth_codes_are_auth_codes_in_the_catalogs():
    for service, code in sim_nx.LEGACY_AUTH_CODE.items():
        assert lookup_code("nxcloud", service, code).reason is Reason.AUTH
    for service, code in sim_buka.TIMESTAMP_CODE.items():
        assert lookup_code("buka", service, code).reason is Reason.CLOCK
    assert lookup_code("nxcloud", "common", sim_nx.TIMESTAMP_EXPIRED_CODE).reason is Reason.CLOCK


@pytest.mark.parametrize("sim", PLATFORMS, ids=lambda sim: sim.name)
def test_every_simulated_endpoint_is_routed_from_its_table(sim):
    router = sim.router
    assert router.handlers
    for name in router.handlers:
        endpoint = router.table[name]
        path = router.prefix + endpoint.url_path(dict.fromkeys(_params(endpoint.path), "x1"))
        headers = Headers({"action": endpoint.action or ""})
        assert router.resolve(endpoint.method, path, headers) == endpoint
    assert router.resolve("GET", "/nowhere", Headers({})) is None


def _params(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


def test_pns_requests_resolve_by_action_header():
    router = NXCLOUD.router
    path = router.table["pns_bindAXB"].path
    assert router.resolve("POST", path, Headers({"action": "unbindAXB"})).name == "pns_unbindAXB"
    assert router.resolve("POST", path, Headers({"action": "nope"})) is None


def test_ledger_window_and_ids_across_apps_and_many_entries():
    """The time index answers a window of every app; ids are found among entries enough to grow
    every shard of the id index several times."""
    ledger = Ledger(lambda: 0.0)
    for n in range(5_000):
        ledger.add(replace(entry(str(n), "x", None), time=float(n), app="a" if n % 2 else "b"))
    found = ledger.window("buka", "sms", 100.0, 103.0)
    assert sorted(e.recipient for e in found) == ["100", "101", "102", "103"]
    assert ledger.window("buka", "voice", 0.0, 10_000.0) == []
    assert all(ledger.get("buka", f"{n}-x-None-buka").recipient == str(n) for n in range(0, 5_000, 7))
    assert ledger.get("fonedynamics", "1-x-None-buka") is None
    ledger.clear()
    assert ledger.get("buka", "1-x-None-buka") is None
