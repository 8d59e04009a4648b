"""Run the simulator: uvicorn on loopback in a background thread."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import uvicorn

from airflow_provider_nxcloud.testing.accounts import (
    Accounts,
    BukaAccount,
    FoneDynamicsAccount,
    NXCloudAccount,
)
from airflow_provider_nxcloud.testing.app import create_app
from airflow_provider_nxcloud.testing.clock import SimClock
from airflow_provider_nxcloud.testing.faults import FaultKind, FaultPlan, Faults, fault_kind
from airflow_provider_nxcloud.testing.ledger import Ledger, RequestLog
from airflow_provider_nxcloud.testing.progress import (
    DEFAULT_DELIVERY_DELAY,
    DEFAULT_UNDELIVERABLE_SUFFIX,
    Delivery,
)
from airflow_provider_nxcloud.testing.state import SimulatorState

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0


class Simulator:
    """One simulator: its state, and the uvicorn server that serves it in a background thread.

    :param host: interface to listen on (loopback by default).
    :param port: TCP port; 0 picks a free one (``url`` has the real one once started).
    :param seed: seeds the fault plan (unless ``fault_plan`` is given) and the vendor id stream.
    :param fault_rate: probability that a vendor request meets a random fault.
    :param fault_weights: relative weight per fault kind (default: all kinds equally).
    :param fault_plan: a complete :class:`FaultPlan`; overrides ``seed``/``fault_rate``/``fault_weights``
        for faults.
    :param latency_ms: delay added by the ``latency`` fault.
    :param time_scale: simulated seconds per real second on the progress clock.
    :param delivery_delay: simulated seconds until a delivery report is final.
    :param undeliverable: numbers whose messages fail (besides those ending in 0000).
    :param undeliverable_suffix: numbers ending in this fail; None turns the rule off.
    :param nxcloud: / :param buka: / :param fonedynamics: the simulated accounts.
    :param ledger: ``"entries"`` (default) keeps every accepted message; ``"counts"`` only
        counts them, for throughput benchmarks (nothing can then be reported or looked up).
    :param rtt_ms: milliseconds added to every vendor request, standing in for the network
        round trip to a real vendor (not a fault: it applies to every request).
    :param handshake_rtts: with ``rtt_ms``, round trips the first request on each new
        connection waits before it arrives: the TCP and TLS set-up a real vendor's HTTPS
        costs (2 for TLS 1.3: SYN, then the TLS handshake; 3 for TLS 1.2). The simulator
        itself speaks plain HTTP on loopback, where a connection costs nothing.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        fault_rate: float = 0.0,
        fault_weights: Mapping[FaultKind | str, float] | None = None,
        fault_plan: FaultPlan | None = None,
        latency_ms: int = 500,
        time_scale: float = 1.0,
        delivery_delay: float = DEFAULT_DELIVERY_DELAY,
        undeliverable: Iterable[str] = (),
        undeliverable_suffix: str | None = DEFAULT_UNDELIVERABLE_SUFFIX,
        nxcloud: NXCloudAccount | None = None,
        buka: BukaAccount | None = None,
        fonedynamics: FoneDynamicsAccount | None = None,
        log_level: str = "warning",
        ledger: str = "entries",
        rtt_ms: float = 0.0,
        handshake_rtts: float = 0.0,
    ) -> None:
        if fault_plan is None:
            fault_plan = FaultPlan(
                seed=seed,
                rate=fault_rate,
                weights={fault_kind(k): float(v) for k, v in fault_weights.items()}
                if fault_weights
                else None,
                latency_ms=latency_ms,
            )
        accounts = Accounts(
            nxcloud=nxcloud or NXCloudAccount(),
            buka=buka or BukaAccount(),
            fonedynamics=fonedynamics or FoneDynamicsAccount(),
        )
        self.state = SimulatorState(
            accounts=accounts,
            seed=seed,
            fault_plan=fault_plan,
            time_scale=time_scale,
            delivery_delay=delivery_delay,
            undeliverable=undeliverable,
            undeliverable_suffix=undeliverable_suffix,
            ledger=ledger,
            rtt_ms=rtt_ms,
            handshake_rtts=handshake_rtts,
        )
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # ----- what tests use -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where clients reach it; a wildcard listen address is reached over loopback."""
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def ledger(self) -> Ledger:
        return self.state.ledger

    @property
    def requests(self) -> RequestLog:
        return self.state.requests

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def clock(self) -> SimClock:
        return self.state.clock

    @property
    def delivery(self) -> Delivery:
        return self.state.delivery

    @property
    def accounts(self) -> Accounts:
        return self.state.accounts

    def seed_sms_history(self, platform: str, since: float, until: float, count: int) -> int:
        """File ``count`` SMS of ``platform`` sent in ``[since, until)`` (see :mod:`.seeding`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_sms_history

        return seed_sms_history(self.state, platform, since, until, count)

    def seed_email_history(self, since: float, until: float, count: int) -> int:
        """File ``count`` Buka emails accepted in ``[since, until)`` (see :mod:`.seeding`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_email_history

        return seed_email_history(self.state, since, until, count)

    def seed_call_center_history(self, since: float, until: float, count: int) -> int:
        """File ``count`` Buka call-center calls started in ``[since, until)`` (see :mod:`.seeding`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_call_center_history

        return seed_call_center_history(self.state, since, until, count)

    def seed_voice_history(self, since: float, until: float, count: int) -> int:
        """File ``count`` ended Buka group/OTP calls placed in ``[since, until)`` (see :mod:`.seeding`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_voice_history

        return seed_voice_history(self.state, since, until, count)

    def seed_call_history(self, since: float, until: float, count: int) -> int:
        """File ``count`` NXCloud voice calls started in ``[since, until)`` (see :mod:`.seeding`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_call_history

        return seed_call_history(self.state, since, until, count)

    def enforce_query_interval(self, platform: str, endpoint: str, seconds: float) -> None:
        """Refuse an app's requests to ``endpoint`` sooner than ``seconds`` after its previous one,
        as the vendor documents (NXCloud ``voice_records``: 1.0); 0 stops enforcing it."""
        self.state.query_intervals[(platform, endpoint)] = seconds

    def reset(self) -> None:
        """Clear ledger, request log, injected faults (back to the start plan), clock and task state."""
        self.state.reset()

    def connection_env(self) -> dict[str, str]:
        """``AIRFLOW_CONN_*_DEFAULT`` variables pointing the three default connections here."""
        return self.state.accounts.connection_env(self.url)

    # ----- lifecycle ------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.state),
            host=self.host,
            port=self.port,
            log_level=self.log_level,
            access_log=False,
            lifespan="off",
            # leave the host process's logging alone; uvicorn's loggers propagate to its root logger
            log_config=None,
            timeout_graceful_shutdown=2,
            # the simulator is a test double: never leak a server banner into tests' assertions
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"nxcloud-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("the simulator's server thread stopped during start-up")
            if self._server is not None and self._server.started and self._answers():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the simulator did not answer on {self.url} within {STARTUP_TIMEOUT_S} s")

    def _answers(self) -> bool:
        try:
            host = self.url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
            conn = http.client.HTTPConnection(host, self.port, timeout=2)
            try:
                conn.request("GET", "/_simulator/health")
                return conn.getresponse().status == 200
            finally:
                conn.close()
        except OSError:
            return False

    def stop(self) -> None:
        """Stop serving and join the server thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT_S)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(SHUTDOWN_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def run_simulator(**config: Any) -> Iterator[Simulator]:
    """Start a simulator (see :class:`Simulator` for the options), yield it, stop it."""
    simulator = Simulator(**config)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()
