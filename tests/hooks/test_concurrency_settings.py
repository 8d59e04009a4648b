"""The connection's ``max_concurrency`` and ``max_qps``: read, checked, and honoured by a campaign."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter

import pytest

from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.exceptions import ConnectionConfigError, RetryableAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.transport import PACER_HEADROOM_S, _Pacer
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.testing.accounts import CONNECTION_ENV_VARS
from tests.operators.conftest import TaskRun, numbers


class Conn:
    def __init__(self, extra):
        self.login, self.password, self.host, self.port, self.schema = "key", "secret", None, None, None
        self.extra = json.dumps(extra)


def settings(**extra):
    return BukaHook().settings_from_connection(Conn(extra), mask=lambda secret: None).transport


def test_every_form_offers_max_concurrency_with_a_default_of_one():
    for form in FORMS.values():
        [spec] = [field for field in form.fields if field.name == "max_concurrency"]
        assert (spec.kind, spec.default, spec.minimum) == ("integer", 1, 1)


def test_max_concurrency_is_read_from_the_extras():
    assert settings().max_concurrency == 1
    assert settings(max_concurrency=4).max_concurrency == 4
    assert settings(max_concurrency="8").max_concurrency == 8
    # the connection pool holds a connection for every send in flight
    assert settings(max_concurrency=40).pool_size >= 40


@pytest.mark.parametrize("value", [0, -2, 2.5, "many", True])
def test_a_bad_max_concurrency_is_refused_naming_the_field(value):
    with pytest.raises(ConnectionConfigError, match="max_concurrency"):
        settings(max_concurrency=value)


def test_pacer_slots_are_exact_and_unique_across_threads():
    """Twelve threads reserving at once: every slot a distinct step of exactly the interval."""
    pacer = _Pacer(max_qps=50, clock=lambda: 1000.0)
    delays: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def reserve() -> None:
        start.wait()
        for _ in range(25):
            delay = pacer._reserve()
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=reserve) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    interval = (1 + PACER_HEADROOM_S) / 50
    steps = [later - earlier for earlier, later in itertools.pairwise(sorted(delays))]
    assert len(delays) == 300 and min(delays) == 0
    assert all(abs(step - interval) < 1e-9 for step in steps)


def test_no_second_ever_holds_more_starts_than_the_cap():
    pacer = _Pacer(max_qps=7, clock=lambda: 0.0)
    starts = [pacer._reserve() for _ in range(100)]
    for first in starts:
        assert sum(1 for s in starts if first <= s < first + 1 + PACER_HEADROOM_S * 0.99) <= 7


def test_starts_that_really_happened_never_exceed_the_cap_in_a_window():
    """Threads that woke late may catch up, but a window never holds more than the cap."""
    now = [0.0]
    pacer = _Pacer(max_qps=10, clock=lambda: now[0])
    window = 1 + PACER_HEADROOM_S
    for late_start in (0.30, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.38, 0.39):
        now[0] = late_start
        assert pacer._admit() == 0.0  # room in the window: a late start catches up at once
    now[0] = 0.5
    assert pacer._admit() == pytest.approx(0.30 + window - 0.5)  # the eleventh waits for the first to age out
    now[0] = 0.30 + window
    assert pacer._admit() == 0.0


def test_a_cap_below_one_a_second_spaces_single_starts():
    now = [0.0]
    pacer = _Pacer(max_qps=0.5, clock=lambda: now[0])
    assert pacer._admit() == 0.0
    now[0] = 1.0
    assert pacer._admit() == pytest.approx((1 + PACER_HEADROOM_S) / 0.5 - 1.0)


def test_wait_sleeps_until_its_slot_and_a_full_interval_after_the_last_start():
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = _Pacer(max_qps=4, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(6):
        pacer.wait()
        starts.append(now[0])
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap == pytest.approx((1 + PACER_HEADROOM_S) / 4) for gap in gaps)


# ----- a campaign with several batches in flight, against the simulator ----------------------------


@pytest.fixture
def buka_with(nxcloud_simulator, monkeypatch):
    def configure(**extra) -> None:
        name = CONNECTION_ENV_VARS["buka"]
        conn = json.loads(nxcloud_simulator.connection_env()[name])
        conn["extra"].update(extra)
        monkeypatch.setenv(name, json.dumps(conn))

    return configure


def operator(recipients):
    return BukaSendSmsOperator(task_id="send", text="Your parcel is on its way", recipients=recipients)


def test_concurrent_sends_reach_everyone_once_under_the_qps_cap(nxcloud_simulator, buka_with, tmp_path):
    buka_with(max_concurrency=4, max_qps=20)
    recipients = numbers(15_500)
    summary = operator(recipients).execute(TaskRun().context())

    assert summary["accepted"] == 15_500 and summary["batches"] == 16
    sent = Counter(entry.recipient for entry in nxcloud_simulator.ledger.entries(kind="sms"))
    assert sent == Counter(recipients)
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 16
    assert nxcloud_simulator.requests.peak_qps() <= 20


def test_a_concurrent_campaign_that_fails_resumes_exactly_once(nxcloud_simulator, buka_with):
    buka_with(max_concurrency=4)
    recipients = numbers(9500)
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # one of the first four sends: -18
    run = TaskRun()
    with pytest.raises(RetryableAPIError):
        operator(recipients).execute(run.context())
    accepted = nxcloud_simulator.ledger.count()
    # the batches in flight when the error came back finished and were recorded; no later one started
    assert accepted % 1000 == 0 and 2000 <= accepted <= 7000

    summary = operator(recipients).execute(run.retry())
    sent = Counter(entry.recipient for entry in nxcloud_simulator.ledger.entries(kind="sms"))
    assert sent == Counter(recipients)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["accepted"] == 9500 and summary["resumed_batches"] == accepted // 1000


def test_async_clients_share_one_tls_context():
    """Building a TLS context reads the CA bundle (~20 ms): a triggerer's polls must not pay it each time."""
    import ssl

    from airflow_provider_nxcloud.hooks.transport import shared_ssl_context

    context = shared_ssl_context()
    assert isinstance(context, ssl.SSLContext) and context.verify_mode is ssl.CERT_REQUIRED
    assert shared_ssl_context() is context
