"""The provider's metrics reach a real statsd listener through Airflow's own Stats."""

from __future__ import annotations

import socket
from collections import defaultdict
from collections.abc import Iterator

import pytest
from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
from airflow.sdk.observability import stats
from airflow.sdk.observability.metrics import stats_utils

from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from tests.operators.conftest import numbers


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A UDP socket as the statsd server, and Airflow's Stats pointed at it as a task runner sets it up."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", str(listener.getsockname()[1]))
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PREFIX", "airflow")
    stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)
    try:
        yield listener
    finally:
        stats.initialize(factory=NoStatsLogger, export_legacy_names=False)
        listener.close()


def received(listener: socket.socket) -> dict[tuple[str, str], list[float]]:
    """``{(name, type): [values]}`` of every packet until the socket has been quiet for 0.5 s."""
    metrics: dict[tuple[str, str], list[float]] = defaultdict(list)
    while True:
        try:
            packet = listener.recv(65536).decode()
        except TimeoutError:
            return metrics
        for line in packet.splitlines():
            name, _, rest = line.partition(":")
            value, _, kind = rest.partition("|")
            metrics[(name, kind.split("|")[0])].append(float(value))


def test_a_send_counts_recipients_retries_and_times_each_request(statsd, nxcloud_simulator, task_run):
    # a 429 on one send: Buka took nothing, so the hook repeats it once
    nxcloud_simulator.faults.next("http_429", endpoint="sms_send", platform="buka")
    summary = BukaSendSmsOperator(task_id="send", text="Sale at noon", recipients=numbers(2_501)).execute(
        task_run.context()
    )
    assert summary["accepted"] == 2_501
    metrics = received(statsd)
    assert sum(metrics[("airflow.nxcloud_provider.buka.accepted", "c")]) == 2_501
    assert ("airflow.nxcloud_provider.buka.rejected", "c") not in metrics
    assert sum(metrics[("airflow.nxcloud_provider.buka.retried", "c")]) == 1
    # every answered request is timed: three batches, one of them twice
    latencies = metrics[("airflow.nxcloud_provider.buka.sms_send.latency", "ms")]
    assert len(latencies) == nxcloud_simulator.requests.count("buka", "sms_send") == 4
    assert all(0 < value < 30_000 for value in latencies)
