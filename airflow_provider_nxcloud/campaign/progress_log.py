"""A running campaign's progress in the task log, so a long send is never silent.

A line every :data:`INTERVAL_S` seconds or every :data:`STEP` of the recipients, whichever
comes first (a million recipients at ``max_qps=1`` take hours; a fast campaign would log
too often by time alone): recipients answered, accepted, rejected, batches in doubt, this
try's rate and, when the total is known, the time left at that rate. Counts only: a task
log must not collect recipients.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: at most this many seconds between two progress lines while answers come in
INTERVAL_S = 10.0
#: and a line at each such share of the recipients
STEP = 0.1


class ProgressLog:
    """Logs a campaign's progress; :meth:`note` after each batch's answer is recorded."""

    def __init__(
        self,
        platform: str,
        total: int | None,
        *,
        done_before: int = 0,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL_S,
        step: float = STEP,
    ) -> None:
        """``total``: the recipients of the whole campaign (None: not known, no share or time
        left is said); ``done_before``: those an earlier try already had answers for."""
        self.platform = platform
        self.total = total if total and total > 0 else None
        self.interval = interval
        self.step = step
        self._clock = clock
        self._started = self._last = clock()
        self._done_before = done_before
        self._next_share = self._share_after(done_before)

    def note(self, accepted: int, rejected: int, in_doubt: int) -> bool:
        """Log a line if one is due after these counts (the campaign's, earlier tries included);
        True when it did."""
        done = accepted + rejected
        now = self._clock()
        due_by_share = self.total is not None and done >= self._next_share
        if not due_by_share and now - self._last < self.interval:
            return False
        self._last = now
        self._next_share = self._share_after(done)
        elapsed = now - self._started
        rate = (done - self._done_before) / elapsed if elapsed > 0 else 0.0
        of_total = ""
        left = ""
        if self.total is not None:
            of_total = f" of {self.total:,} ({100 * done / self.total:.0f}%)"
            if rate > 0 and done < self.total:
                left = f", about {_duration((self.total - done) / rate)} left"
        log.info(
            "%s campaign: %s%s recipients answered: %s accepted, %s rejected, %d batch(es) in doubt; "
            "%.0f recipients/s%s",
            self.platform,
            f"{done:,}",
            of_total,
            f"{accepted:,}",
            f"{rejected:,}",
            in_doubt,
            rate,
            left,
        )
        return True

    def _share_after(self, done: int) -> float:
        """The count at which the next share of the total is reached (inf: no total)."""
        if self.total is None:
            return math.inf
        steps = math.floor(done / (self.total * self.step) + 1e-9) + 1
        return steps * self.total * self.step


def _duration(seconds: float) -> str:
    """``seconds`` as a person reads it: 45 s, 12 min 5 s, 3 h 20 min."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
