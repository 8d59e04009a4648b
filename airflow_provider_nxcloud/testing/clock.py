"""The simulator's two clocks.

* The **progress clock** drives everything that happens over time (delivery
  reports turning final, later task progress): ``now()`` is the start time plus
  the real time elapsed multiplied by ``time_scale``, plus every manual
  ``advance()``. Tests move it forward instead of sleeping.
* The **vendor clock** is what the vendors' servers compare request timestamps
  with (NXCloud ``ts`` ±60 s, Buka ``Timestamp`` ±30 min): real wall time plus a
  settable ``vendor_skew_ms``. It ignores ``advance()`` so that moving reports
  forward never makes a correctly signed request "expire".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must be >= 0, not {time_scale}")
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._scale = float(time_scale)
        self._initial_scale = self._scale
        #: added to wall time for the vendors' timestamp checks (negative = vendor behind)
        self.vendor_skew_ms = 0
        self._start_wall = wall()
        self._start_mono = monotonic()
        self._advanced = 0.0

    # ----- progress clock -------------------------------------------------------------

    def now(self) -> float:
        """Simulated time as epoch seconds."""
        with self._lock:
            elapsed = (self._monotonic() - self._start_mono) * self._scale
            return self._start_wall + elapsed + self._advanced

    def advance(self, seconds: float) -> float:
        """Move the progress clock forward; returns the new ``now()``."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; cannot advance by {seconds}")
        with self._lock:
            self._advanced += float(seconds)
        return self.now()

    def set_time_scale(self, time_scale: float) -> None:
        """Change the speed from now on (``0`` freezes it: time then moves only by ``advance()``)."""
        if time_scale < 0:
            raise ValueError(f"time_scale must be >= 0, not {time_scale}")
        with self._lock:
            mono = self._monotonic()
            self._start_wall += (mono - self._start_mono) * self._scale
            self._start_mono = mono
            self._scale = float(time_scale)

    @property
    def time_scale(self) -> float:
        """Simulated seconds per real second (change it with :meth:`set_time_scale`)."""
        return self._scale

    @property
    def advanced(self) -> float:
        """Seconds added by ``advance()`` since start or the last reset."""
        return self._advanced

    # ----- vendor clock ---------------------------------------------------------------

    def vendor_now_ms(self) -> int:
        """The vendors' idea of the current time, epoch milliseconds."""
        return int(self._wall() * 1000) + int(self.vendor_skew_ms)

    def vendor_now_s(self) -> int:
        return self.vendor_now_ms() // 1000

    # ----- reset ----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to real time: no manual advances, no vendor skew, the start speed, elapsed time from now."""
        with self._lock:
            self._scale = self._initial_scale
            self._start_wall = self._wall()
            self._start_mono = self._monotonic()
            self._advanced = 0.0
            self.vendor_skew_ms = 0

    def to_json(self) -> dict[str, float]:
        return {
            "now": self.now(),
            "time_scale": self.time_scale,
            "advanced": self._advanced,
            "vendor_skew_ms": self.vendor_skew_ms,
            "vendor_now_ms": self.vendor_now_ms(),
        }
