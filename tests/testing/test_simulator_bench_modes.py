"""The simulator options the benchmarks use: a ledger that only counts, a simulated network, the request log route."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.testing.__main__ import parse_args
from airflow_provider_nxcloud.testing.ledger import Ledger, LedgerEntry
from airflow_provider_nxcloud.testing.server import run_simulator
from airflow_provider_nxcloud.testing.state import Ids


def entry(number: str) -> LedgerEntry:
    return LedgerEntry(
        platform="buka",
        kind="sms",
        account="key",
        recipient=number,
        content="hi",
        vendor_id=number,
        client_reference=None,
        endpoint="sms_send",
        time=0.0,
        status="pending",
    )


def test_a_counting_ledger_counts_and_keeps_nothing():
    ledger = Ledger(lambda: 0.0, keep="counts")
    ledger.add(entry("6591000001"))
    ledger.tally("buka", "sms", 999)
    assert ledger.count() == 1000 and ledger.count("buka", "sms") == 1000 and ledger.count("nxcloud") == 0
    assert ledger.entries() == [] and ledger.get("buka", "6591000001") is None
    assert ledger.to_json()["counts"] == {"buka/sms": 1000}
    ledger.clear()
    assert ledger.count() == 0


def test_only_a_counting_ledger_takes_tallies():
    with pytest.raises(RuntimeError):
        Ledger(lambda: 0.0).tally("buka", "sms", 1)
    with pytest.raises(ValueError):
        Ledger(lambda: 0.0, keep="some")


def test_the_default_ledger_counts_what_it_keeps():
    ledger = Ledger(lambda: 0.0)
    ledger.add(entry("6591000001"))
    ledger.add(entry("6591000002"))
    assert ledger.count() == 2 == len(ledger.entries())


def test_ids_are_seeded_and_shaped():
    first, again = Ids(7), Ids(7)
    digits = [first.digits(19) for _ in range(200)]
    assert digits == [again.digits(19) for _ in range(200)]
    assert all(len(d) == 19 and d[0] != "0" and d.isdigit() for d in digits)
    assert len(set(digits)) == 200
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in (first.hex(32) for _ in range(50)))


def test_a_counting_simulator_answers_sends_and_counts_them(monkeypatch):
    with run_simulator(ledger="counts") as sim:
        for name, value in sim.connection_env().items():
            monkeypatch.setenv(name, value)
        numbers = [f"6591{i:06d}" for i in range(1000)]
        body = {"appId": "sim-sms-app", "numbers": ",".join(numbers), "content": "hi"}
        reply = BukaHook().call("sms_send", body)
        assert reply["success"] == 1000 and len({item["msgId"] for item in reply["array"]}) == 1000
        assert sim.ledger.count("buka", "sms") == 1000 and sim.ledger.entries() == []
        # nothing is kept, so reports find nothing
        ids = ",".join(item["msgId"] for item in reply["array"][:5])
        report = BukaHook().call("sms_report", params={"appId": "sim-sms-app", "msgIds": ids})
        assert report["nofound"] == 5


def test_the_request_log_route():
    with run_simulator() as sim:
        requests.get(f"{sim.url}/v3/getBalance", timeout=5)
        log = requests.get(f"{sim.url}/_simulator/requests", timeout=5).json()
        assert log["total"] == 1 and log["peak_qps"] == 1
        assert set(log) == {"total", "by_endpoint", "peak_qps", "by_window"}
        assert log["by_window"] == {}  # no record query was asked


def test_every_request_waits_a_round_trip_and_a_new_connection_its_set_up_first():
    rtt = 0.1
    with run_simulator(rtt_ms=rtt * 1000, handshake_rtts=2) as sim:
        url = f"{sim.url}/v3/getBalance"
        started = time.perf_counter()
        requests.get(url, timeout=5)  # a connection of its own
        fresh = time.perf_counter() - started
        with requests.Session() as session:
            session.get(url, timeout=5)
            started = time.perf_counter()
            for _ in range(4):
                session.get(url, timeout=5)
            reused = (time.perf_counter() - started) / 4
    assert fresh >= 3 * rtt
    assert rtt <= reused < 2 * rtt


def test_command_line_options():
    args = parse_args(["--ledger", "counts", "--rtt-ms", "20", "--handshake-rtts", "2"])
    assert (args.ledger, args.rtt_ms, args.handshake_rtts) == ("counts", 20.0, 2.0)
    defaults = parse_args([])
    assert (defaults.ledger, defaults.rtt_ms, defaults.handshake_rtts) == ("entries", 0.0, 0.0)
