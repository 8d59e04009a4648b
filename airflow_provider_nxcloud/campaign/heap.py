"""Python's cyclic garbage collector during a campaign: what was alive before it starts is frozen.

A campaign of a million recipients makes millions of short-lived objects (recipients,
results, replies), and every so often the collector's full pass walks every object the
process holds. In a task process that is Airflow, its providers and the DAG: ~170,000
objects, ~140 ms a walk, and a million-recipient Buka send set off ~26 of them, 3.7 s of
its 14.3 s of task CPU (bench, 0 ms RTT reference). None of those objects is the
campaign's garbage. ``gc.freeze()`` moves them to the permanent generation, which the
collector skips; the campaign's own objects are still collected as before. Airflow's own
executors freeze the heap the same way before they fork workers.

On the way out the heap is unfrozen, unless it was frozen already when the campaign
started (a worker forked from a frozen parent keeps its parent's objects frozen, which
is what spares its memory copy-on-write): then it stays as it was found.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


class _Freezes:
    """The campaigns of this process running with the heap frozen by them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        #: whether the heap was frozen by someone else when the first of them started
        self.found_frozen = False


_freezes = _Freezes()


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze what the process holds now, for the length of the block (nestable, thread-safe)."""
    state = _freezes
    with state.lock:
        if state.holders == 0:
            state.found_frozen = gc.get_freeze_count() > 0
        state.holders += 1
        gc.freeze()
    try:
        yield
    finally:
        with state.lock:
            state.holders -= 1
            if state.holders == 0 and not state.found_frozen:
                gc.unfreeze()
