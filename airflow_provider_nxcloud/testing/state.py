"""Everything the simulator remembers, shared by the server thread and the test thread.

Every part is thread-safe on its own: the server's event loop writes while a
test reads from another thread.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from typing import Any

from airflow_provider_nxcloud.testing.accounts import Accounts
from airflow_provider_nxcloud.testing.clock import SimClock
from airflow_provider_nxcloud.testing.faults import FaultPlan, Faults
from airflow_provider_nxcloud.testing.ledger import Ledger, RequestLog
from airflow_provider_nxcloud.testing.progress import (
    DEFAULT_DELIVERY_DELAY,
    DEFAULT_UNDELIVERABLE_SUFFIX,
    Delivery,
)


class Ids:
    """Vendor ids from a seeded stream: the same seed gives the same ids in the same order."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rng = random.Random(f"ids-{seed}")

    # One draw per id, not one per character: a million-message campaign asks for a million ids.
    def hex(self, length: int = 32) -> str:
        with self._lock:
            return f"{self._rng.getrandbits(4 * length):0{length}x}"

    def digits(self, length: int) -> str:
        """``length`` digits, the first not 0."""
        with self._lock:
            return str(self._rng.randrange(10 ** (length - 1), 10**length))

    def reset(self) -> None:
        with self._lock:
            self._rng = random.Random(f"ids-{self._seed}")


class Store:
    """Per-platform objects that later endpoints keep (tasks, bindings, groups); cleared on reset."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._data: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def table(self, platform: str, kind: str) -> dict[str, Any]:
        """The mutable ``{id: object}`` table of one kind; hold :attr:`lock` while changing it."""
        with self._lock:
            return self._data.setdefault((platform, kind), {})

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class SimulatorState:
    """Accounts, clocks, ledger, request log, faults and stored objects of one simulator."""

    def __init__(
        self,
        *,
        accounts: Accounts | None = None,
        seed: int = 0,
        fault_plan: FaultPlan | None = None,
        time_scale: float = 1.0,
        delivery_delay: float = DEFAULT_DELIVERY_DELAY,
        undeliverable: Iterable[str] = (),
        undeliverable_suffix: str | None = DEFAULT_UNDELIVERABLE_SUFFIX,
        ledger: str = "entries",
        rtt_ms: float = 0.0,
        handshake_rtts: float = 0.0,
    ) -> None:
        if rtt_ms < 0 or handshake_rtts < 0:
            raise ValueError(f"rtt_ms and handshake_rtts must be >= 0, not {rtt_ms}, {handshake_rtts}")
        self.accounts = accounts or Accounts()
        self.seed = seed
        #: milliseconds every vendor request is held before it is answered (the network's round trip)
        self.rtt_ms = float(rtt_ms)
        #: round trips the first request of a new connection waits first (TCP and TLS set-up)
        self.handshake_rtts = float(handshake_rtts)
        self.clock = SimClock(time_scale=time_scale)
        self.ledger = Ledger(self.clock.now, keep=ledger)
        self.requests = RequestLog()
        self.faults = Faults(fault_plan or FaultPlan(seed=seed))
        self.delivery = Delivery(
            delay=delivery_delay, undeliverable=undeliverable, undeliverable_suffix=undeliverable_suffix
        )
        self.ids = Ids(seed)
        self.store = Store()
        #: (platform, endpoint) -> seconds an app's requests must keep apart, where a simulated
        #: endpoint enforces its documented rate (NXCloud getVoiceCdr); unset: not enforced, so tests
        #: of other things may ask back to back. :meth:`reset` forgets it, as it does a fault plan's changes
        self.query_intervals: dict[tuple[str, str], float] = {}

    def reset(self) -> None:
        """Forget everything that happened: ledger, request log, faults (back to the start plan),
        clock advances and skew, stored objects, enforced query rates and the id stream. Accounts
        and the delivery model stay.
        """
        self.ledger.clear()
        self.requests.clear()
        self.faults.reset()
        self.clock.reset()
        self.store.clear()
        self.query_intervals.clear()
        self.ids.reset()
