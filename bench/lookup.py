"""3. Request efficiency: Fone Dynamics lookups after a lost answer, against a long history.

The property already holds N older messages (sent, then the simulator's clock moved
on a day). A campaign batch of 100 is then sent and its answer lost: the simulator
resets the connection after it processed the request, so the vendor holds the batch
and the client does not know it. The lookup that settles the batch lists the
property's messages; it may read only the batch's window, at most
ceil(window messages / page size) + 1 list requests, whatever N is. A third case adds
10,000 messages stamped in the batch's own second (a fast campaign's traffic just before
the lost one): those are in the window, and the lookup pays for them page by page.

The campaign runs on the simulator's clock (frozen, moved only by ``advance``), so the
send time the engine records and the vendor's ``Created`` stamps agree as they do
between two NTP-synced hosts.

Run on its own: ``python -m bench.lookup``.
"""

from __future__ import annotations

import math
from typing import Any

import requests

from bench.hook_overhead import patched_env
from bench.report import Row
from bench.sim import SimProcess
from bench.task import TEXT

BATCH = 100
#: how much older than the batch the history is
HISTORY_AGE_S = 24 * 3600
#: (older messages, messages in the batch's own second)
CASES = ((5_000, 0), (100_000, 0), (100_000, 10_000))


def _simulator_now(sim: SimProcess) -> float:
    reply = requests.get(f"{sim.url}/_simulator/health", timeout=30)
    reply.raise_for_status()
    return float(reply.json()["clock"]["now"])


def _lose_next_batch_answer(sim: SimProcess) -> None:
    """The next BatchMessages is processed, then its connection reset before the answer."""
    rule = {"kind": "reset_after", "count": 1, "platform": "fonedynamics", "endpoint": "send_batch"}
    reply = requests.post(f"{sim.url}/_simulator/faults", json={"rules": [rule]}, timeout=30)
    reply.raise_for_status()


def _send_history(hook: Any, count: int, first: int = 0) -> None:
    """``count`` messages on the property, 100 a request, each to its own number (from ``first``)."""
    from airflow_provider_nxcloud.platforms import fonedynamics as vendor

    for start in range(first, first + count, vendor.BATCH_MAX_MESSAGES):
        messages = [
            vendor.message_body(f"+6140{n:07d}", "An older message", external_id=f"history-{n}")
            for n in range(start, min(first + count, start + vendor.BATCH_MAX_MESSAGES))
        ]
        hook.send_batch(messages)


def lookup_row(sim: SimProcess, history: int, recent: int = 0) -> Row:
    """One lost answer after ``history`` older messages and ``recent`` ones stamped in the batch's
    own second (another sender's traffic, or a fast campaign's batches just before it)."""
    from airflow_provider_nxcloud.campaign import fonedynamics as fd
    from airflow_provider_nxcloud.campaign.engine import Campaign, make_batches
    from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore
    from airflow_provider_nxcloud.campaign.recipients import Recipient
    from airflow_provider_nxcloud.campaign.results import ResultsWriter
    from airflow_provider_nxcloud.exceptions import BatchInDoubtError
    from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook

    sim.reset()
    with patched_env(sim.connection_env()):
        hook = FoneDynamicsHook()
        _send_history(hook, history)
        sim.advance(HISTORY_AGE_S)
        _send_history(hook, recent, first=history)
        now = _simulator_now(sim)
        sender = fd.FoneDynamicsSmsSender(
            hook, text=TEXT, property_sid=hook.property_sid(), clock=lambda: now
        )
        recipients = [Recipient(f"+6149{n:07d}", f"+6149{n:07d}", n + 1) for n in range(BATCH)]
        campaign = Campaign(
            sender,
            MemoryProgressStore(),
            ResultsWriter(None),
            sleep=lambda seconds: None,
            clock=lambda: now,
        )
        _lose_next_batch_answer(sim)
        before = sim.count("fonedynamics", "list_messages")
        try:
            summary = campaign.run(make_batches(recipients, BATCH, "bench-lookup-campaign"))
            settled = summary.resolved_batches == 1 and summary.accepted == BATCH
        except BatchInDoubtError:
            settled = False
        used = sim.count("fonedynamics", "list_messages") - before
        sends = sim.count("fonedynamics", "send_batch")
        hook.close()
    # the history is a day older than the batch, far outside its window; the recent ones share its stamp
    window = recent + BATCH
    page = fd.LOOKUP_PAGE_SIZE
    target = math.ceil(window / page) + 1
    also = f", {recent:,} more in the send's second" if recent else ""
    measure = (
        f"Requests: Fone Dynamics lookups per lost answer, {history:,} messages of history{also}, "
        f"batch of {BATCH}"
    )
    return Row(
        "3",
        measure,
        f"{used:,} list request{'' if used == 1 else 's'}",
        f"{window:,} messages in the window, page {page}",
        "settled" if settled else "left in doubt",
        f"<= ceil({window:,}/{page})+1 = {target:,}",
        used <= target and settled and sends == math.ceil(history / BATCH) + math.ceil(recent / BATCH) + 1,
    )


def run(sim: SimProcess, cases: tuple[tuple[int, int], ...] = CASES) -> list[Row]:
    return [lookup_row(sim, history, recent) for history, recent in cases]


if __name__ == "__main__":
    from bench.report import table

    with SimProcess() as process:
        print(table(run(process)))
