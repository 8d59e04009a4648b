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

    def hex(self, length: int = 32) -> str:
        with self._lock:
            return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def digits(self, length: int) -> str:
        with self._lock:
            first = self._rng.choice("123456789")
            return first + "".join(self._rng.choice("0123456789") for _ in range(length - 1))

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
    ) -> None:
        self.accounts = accounts or Accounts()
        self.seed = seed
        self.clock = SimClock(time_scale=time_scale)
        self.ledger = Ledger(self.clock.now)
        self.requests = RequestLog()
        self.faults = Faults(fault_plan or FaultPlan(seed=seed))
        self.delivery = Delivery(
            delay=delivery_delay, undeliverable=undeliverable, undeliverable_suffix=undeliverable_suffix
        )
        self.ids = Ids(seed)
        self.store = Store()

    def reset(self) -> None:
        """Forget everything that happened: ledger, request log, faults (back to the start plan),
        clock advances and skew, stored objects and the id stream. Accounts and the delivery model stay.
        """
        self.ledger.clear()
        self.requests.clear()
        self.faults.reset()
        self.clock.reset()
        self.store.clear()
        self.ids.reset()
