"""The heap a campaign starts with is frozen while it runs, and put back as it was found."""

from __future__ import annotations

import gc
import threading
import weakref

from airflow_provider_nxcloud.campaign.heap import frozen_heap


class _Node:
    """An object that can sit in a reference cycle (only the cyclic collector frees it)."""

    other: object = None


def test_the_objects_alive_before_are_frozen_and_unfrozen_after():
    gc.unfreeze()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        # what the campaign makes is still collected: a cycle made inside the block is freed
        node = _Node()
        node.other = node
        alive = weakref.ref(node)
        del node
        gc.collect()
        assert alive() is None
    assert gc.get_freeze_count() == 0


def test_nested_and_concurrent_campaigns_unfreeze_once_the_last_ends():
    gc.unfreeze()
    inner_done = threading.Event()
    release = threading.Event()

    def other_campaign() -> None:
        with frozen_heap():
            inner_done.set()
            release.wait(5)

    with frozen_heap():
        worker = threading.Thread(target=other_campaign)
        worker.start()
        assert inner_done.wait(5)
    # the first campaign ended, the other still runs: the heap stays frozen
    assert gc.get_freeze_count() > 0
    release.set()
    worker.join(5)
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_before_stays_frozen():
    """A worker forked from a frozen parent keeps its parent's objects frozen (copy-on-write)."""
    gc.freeze()
    try:
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
