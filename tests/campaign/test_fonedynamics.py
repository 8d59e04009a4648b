"""Fone Dynamics lost-answer lookups read only the batch's window, never the property's history.

The property holds 5,000 older messages; a batch's answer is then lost. The lookup must settle
(or leave in doubt) exactly as before, with list requests bounded by the messages in the
batch's window, whatever the history holds. The campaign runs on the simulator's clock: the
send time it records and the vendor's ``Created`` stamps agree, as on NTP-synced hosts.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign import fonedynamics as fd
from airflow_provider_nxcloud.campaign.engine import Campaign, make_batches
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.campaign.results import ResultsWriter
from airflow_provider_nxcloud.exceptions import BatchInDoubtError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.platforms import fonedynamics as vendor
from airflow_provider_nxcloud.testing import accounts

TEXT = "Flash sale starts at noon"
HISTORY = 5000
DAY = 24 * 3600
PAGE = fd.LOOKUP_PAGE_SIZE


class WindowRecordingHook(FoneDynamicsHook):
    """The real hook; it also notes the date bounds of every list request it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.windows: list[tuple[int, int]] = []

    def list_messages(self, date_from: int, date_to: int, **kwargs: Any) -> Any:
        self.windows.append((date_from, date_to))
        return super().list_messages(date_from, date_to, **kwargs)


def send_history(hook: FoneDynamicsHook, count: int) -> None:
    for start in range(0, count, vendor.BATCH_MAX_MESSAGES):
        hook.send_batch(
            [
                vendor.message_body(f"+6140{n:07d}", "An older message", external_id=f"history-{n}")
                for n in range(start, min(count, start + vendor.BATCH_MAX_MESSAGES))
            ]
        )


def recipients(count: int, first: int = 0) -> list[Recipient]:
    return [Recipient(f"+6149{n:07d}", f"+6149{n:07d}", n + 1) for n in range(first, first + count)]


@pytest.fixture
def history(nxcloud_simulator):
    """5,000 messages on the property, a day older than anything the campaign sends."""
    # the clock stands still but for advance(): every later message shares one stamp
    nxcloud_simulator.clock.set_time_scale(0)
    send_history(FoneDynamicsHook(), HISTORY)
    nxcloud_simulator.clock.advance(DAY)
    nxcloud_simulator.requests.clear()
    return nxcloud_simulator


def campaign(
    sim: Any,
    hook: FoneDynamicsHook,
    *,
    clock_ahead: float = 0.0,
    store: MemoryProgressStore | None = None,
    sleep: Any = None,
) -> Campaign:
    """A campaign on the simulator's clock (``clock_ahead``: the worker's runs ahead of the vendor's);
    ``sleep`` records the settle delay instead of waiting it out."""

    def clock() -> float:
        return float(sim.clock.now()) + clock_ahead

    sender = fd.FoneDynamicsSmsSender(
        hook, text=TEXT, property_sid=accounts.FONEDYNAMICS_PROPERTY_SID, clock=clock
    )
    return Campaign(
        sender,
        store or MemoryProgressStore(),
        ResultsWriter(None),
        clock=clock,
        sleep=sleep or (lambda seconds: None),
    )


def in_window(sim: Any, date_from: int, date_to: int) -> int:
    """Messages the simulator lists between the bounds, counted from its ledger."""
    return sum(
        1 for entry in sim.ledger.entries(platform="fonedynamics") if date_from <= int(entry.time) < date_to
    )


def test_lost_answer_after_a_long_history_reads_only_the_batch_window(history):
    hook = WindowRecordingHook()
    history.faults.next("reset_after", endpoint="send_batch", platform="fonedynamics")
    summary = campaign(history, hook).run(make_batches(recipients(100), 100, "c" * 16))

    # the verdict is as before: every message listed with its reference, number and text
    assert (summary.resolved_batches, summary.accepted) == (1, 100)
    assert history.requests.count("fonedynamics", "send_batch") == 1
    assert history.ledger.duplicates() == {}
    window = sum(in_window(history, *bounds) for bounds in set(hook.windows))
    assert window == 100  # none of the 5,000 older messages
    used = history.requests.count("fonedynamics", "list_messages")
    assert used <= math.ceil(window / PAGE) + 1
    assert used == 1


def test_lost_answer_mid_campaign_reads_from_the_batch_send_time(history):
    # three batches a minute apart; the third's answer is lost: the first two are outside its window
    hook = WindowRecordingHook()
    sim = history
    store = MemoryProgressStore()
    batches = list(make_batches(recipients(300), 100, "c" * 16))
    campaign(sim, hook, store=store).run(batches[:2])
    sim.clock.advance(60)
    sim.faults.next("reset_after", endpoint="send_batch", platform="fonedynamics")
    summary = campaign(sim, hook, store=store).run(batches)

    assert (summary.resolved_batches, summary.accepted, summary.resumed_batches) == (1, 300, 2)
    assert sim.requests.count("fonedynamics", "send_batch") == 3
    assert sim.ledger.duplicates() == {}
    [(date_from, date_to)] = hook.windows
    assert in_window(sim, date_from, date_to) == 100
    assert sim.requests.count("fonedynamics", "list_messages") == 1


def test_batch_that_never_arrived_stays_in_doubt_with_a_bounded_read(history):
    hook = WindowRecordingHook()
    history.faults.next("reset_before", endpoint="send_batch", platform="fonedynamics")
    slept: list[float] = []
    with pytest.raises(BatchInDoubtError, match="batch 0"):
        campaign(history, hook, sleep=slept.append).run(make_batches(recipients(100), 100, "c" * 16))

    # as before: an empty list proves nothing, so nothing is sent again (looked at twice)
    [slept_once] = slept
    assert 0 < slept_once <= fd.FoneDynamicsSmsSender.settle_delay
    assert history.requests.count("fonedynamics", "send_batch") == 1
    assert history.ledger.count() == HISTORY
    # each look reads the near slice and the skew slice: both empty, one request each
    assert history.requests.count("fonedynamics", "list_messages") == 4
    near, skew = hook.windows[:2]
    assert near[0] == skew[1]  # disjoint, adjacent: nothing read twice
    assert all(in_window(history, *bounds) == 0 for bounds in hook.windows)


def test_vendor_clock_behind_within_the_margin_is_found_in_the_skew_slice(history):
    # the worker's clock runs 60 s ahead of the vendor's: the batch is stamped before its recorded send
    hook = WindowRecordingHook()
    history.faults.next("reset_after", endpoint="send_batch", platform="fonedynamics")
    summary = campaign(history, hook, clock_ahead=60).run(make_batches(recipients(100), 100, "c" * 16))

    assert (summary.resolved_batches, summary.accepted) == (1, 100)
    assert history.requests.count("fonedynamics", "send_batch") == 1
    window = sum(in_window(history, *bounds) for bounds in hook.windows)
    assert window == 100
    assert history.requests.count("fonedynamics", "list_messages") <= math.ceil(window / PAGE) + 1


def test_vendor_clock_behind_beyond_the_margin_leaves_the_batch_in_doubt(history):
    # fail-safe of FD-7: stamped before the window, the batch is not found; it is never re-sent
    hook = WindowRecordingHook()
    history.faults.next("reset_after", endpoint="send_batch", platform="fonedynamics")
    ahead = fd.LOOKUP_SKEW_S + 100
    with pytest.raises(BatchInDoubtError, match="batch 0"):
        campaign(history, hook, clock_ahead=ahead).run(make_batches(recipients(100), 100, "c" * 16))
    assert history.requests.count("fonedynamics", "send_batch") == 1
    assert history.ledger.count() == HISTORY + 100  # the vendor holds it once
    assert history.ledger.duplicates() == {}


def test_a_window_fuller_than_a_page_is_read_page_by_page(history):
    # another sender's 500 messages land in the batch's second, before it: 600 in its window
    hook = WindowRecordingHook()
    send_history(FoneDynamicsHook(), 500)
    history.requests.clear()
    history.faults.next("reset_after", endpoint="send_batch", platform="fonedynamics")
    summary = campaign(history, hook).run(make_batches(recipients(100), 100, "c" * 16))

    assert (summary.resolved_batches, summary.accepted) == (1, 100)
    [window] = {in_window(history, *bounds) for bounds in hook.windows}
    assert window == 600
    used = history.requests.count("fonedynamics", "list_messages")
    assert used == math.ceil(window / PAGE) <= math.ceil(window / PAGE) + 1
