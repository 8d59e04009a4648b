"""How accepted work moves on over (progress-clock) time.

An accepted message gets a timeline when it is accepted: ``pending`` at once,
``submitted`` after half the delivery delay, and its final status after the
whole delay. Which messages fail is deterministic, never random:

* every number in ``undeliverable`` (compared by digits, so ``+61400000001``
  and ``61400000001`` are one number) is undeliverable;
* by default, every number whose digits end in ``0000`` (its national number
  ends in 0000) is undeliverable. ``undeliverable_suffix=None`` turns this off.

Each platform shows these generic statuses in its own words (Buka -1/0/1,
NXCloud empty/DELIVRD/UNDELIV, Fone Dynamics Processing/Submitted/Delivered/Failed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

PENDING = "pending"
SUBMITTED = "submitted"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FINAL_STATUSES = frozenset({DELIVERED, UNDELIVERED})

#: simulated seconds from acceptance to a final delivery report
DEFAULT_DELIVERY_DELAY = 2.0
#: numbers whose digits end in this are undeliverable
DEFAULT_UNDELIVERABLE_SUFFIX = "0000"

Timeline = tuple[tuple[float, str], ...]


def digits(number: str) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


class Delivery:
    """The delivery model: delay and which numbers fail."""

    def __init__(
        self,
        *,
        delay: float = DEFAULT_DELIVERY_DELAY,
        undeliverable: Iterable[str] = (),
        undeliverable_suffix: str | None = DEFAULT_UNDELIVERABLE_SUFFIX,
    ) -> None:
        if delay < 0:
            raise ValueError(f"delivery_delay must be >= 0, not {delay}")
        self.delay = float(delay)
        self.undeliverable_suffix = undeliverable_suffix
        self._lock = threading.Lock()
        self._undeliverable = {digits(n) for n in undeliverable}

    def add_undeliverable(self, *numbers: str) -> None:
        """Numbers sent to from now on fail."""
        with self._lock:
            self._undeliverable.update(digits(n) for n in numbers)

    def is_undeliverable(self, number: str) -> bool:
        plain = digits(number)
        with self._lock:
            if plain in self._undeliverable:
                return True
        suffix = self.undeliverable_suffix
        return bool(suffix) and suffix is not None and plain.endswith(suffix)

    def sms_timeline(self, recipient: str, accepted_at: float, *, receipt: bool = True) -> Timeline:
        """pending -> submitted -> delivered/undelivered; without a receipt ``submitted`` is final."""
        submitted_at = accepted_at + self.delay / 2
        if not receipt:
            return ((accepted_at, PENDING), (submitted_at, SUBMITTED))
        final = UNDELIVERED if self.is_undeliverable(recipient) else DELIVERED
        return ((accepted_at, PENDING), (submitted_at, SUBMITTED), (accepted_at + self.delay, final))


def status_at(timeline: Timeline, when: float) -> str:
    """The last status whose time has come (the first one before that)."""
    current = timeline[0][1]
    for at, status in timeline:
        if at <= when:
            current = status
        else:
            break
    return current


def reached_at(timeline: Timeline, status: str, when: float) -> float | None:
    """When ``status`` was reached, if it has been by ``when``."""
    for at, name in timeline:
        if name == status and at <= when:
            return at
    return None
