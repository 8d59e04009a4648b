"""All sections in order, each against a simulator process suited to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import (
    deferred_wait,
    delivery_view,
    distributed,
    efficiency,
    hook_overhead,
    lookup,
    rate_budget,
    throughput,
    trigger_connections,
    waiting,
)
from bench.data import write_numbers
from bench.report import Row
from bench.sim import SimProcess

PLATFORMS = ("buka", "nxcloud", "fonedynamics")


@dataclass(frozen=True)
class Options:
    #: Buka campaign size (1,000 numbers a request)
    recipients: int = 1_000_000
    #: NXCloud and Fone Dynamics campaign size (100 numbers a request)
    bulk_recipients: int = 100_000
    #: simulated network round trip to the vendor, per request
    rtt_ms: float = 20.0
    #: round trips a new connection costs first (TCP + TLS 1.3)
    handshake_rtts: float = 2.0
    max_qps: float = 100.0
    max_concurrency: int = 8
    hook_calls: int = 2000
    poll_messages: int = 20_000
    check_numbers: int = 10_000
    sensors: int = 1000
    #: also compare Buka at 0 ms RTT (the CPU-bound case)
    loopback: bool = True
    #: Fone Dynamics lookups after a lost answer: (older messages on the property, messages sent in the same second)
    lookup_cases: tuple[tuple[int, int], ...] = lookup.CASES
    #: messages of the deferred waits whose trigger payload and triggerer memory are measured
    wait_sizes: tuple[int, ...] = deferred_wait.SIZES
    #: Fone Dynamics messages one trigger run waits for (3 poll rounds), pooled client against one per request
    trigger_messages: int = trigger_connections.MESSAGES
    #: sends of the shared rate budget's four processes
    budget_requests: int = rate_budget.REQUESTS
    #: the CeleryExecutor campaign (tests/distributed); 0 leaves it out
    distributed_recipients: int = 2_000_000
    #: the campaign whose delivery view page is built (results file + delivery report)
    page_recipients: int = delivery_view.RECIPIENTS

    def describe(self) -> str:
        return (
            f"Buka {self.recipients:,} recipients, NXCloud and Fone Dynamics {self.bulk_recipients:,}; "
            f"simulated RTT {self.rtt_ms:g} ms, {self.handshake_rtts:g} more for a new connection; "
            f"connection extras max_qps={self.max_qps:g}, "
            f"max_concurrency={self.max_concurrency}; {self.sensors:,} deferred sensors"
        )


Progress = Callable[[str], None]


def run_all(
    options: Options, work: Path, progress: Progress = lambda text: None
) -> tuple[list[Row], list[str]]:
    """Every section; the table rows in section order, and the notes that explain them."""
    rows: list[Row] = []
    notes: list[str] = []
    big = write_numbers(work / f"numbers-{options.recipients}.txt", options.recipients)
    bulk = write_numbers(work / f"numbers-{options.bulk_recipients}.txt", options.bulk_recipients)
    checks = write_numbers(work / f"numbers-{options.check_numbers}.txt", options.check_numbers)

    with SimProcess() as sim:
        progress("1. hook overhead")
        rows += hook_overhead.run(sim, options.hook_calls)
        progress("3. request efficiency: delivery polls, number-check submits")
        efficiency_rows = [
            efficiency.delivery_poll_row(sim, options.poll_messages),
            efficiency.number_check_row(sim, checks, options.check_numbers),
        ]
        progress("3. request efficiency: Fone Dynamics lookups after a lost answer")
        efficiency_rows += lookup.run(sim, options.lookup_cases)
        progress("5. waiting: deferred sensors, triggers in one process")
        waiting_rows = waiting.run(sim, options.sensors)

    comparisons = []
    with SimProcess(rtt_ms=options.rtt_ms, handshake_rtts=options.handshake_rtts, lean=True) as sim:
        for platform in PLATFORMS:
            size, source = (
                (options.recipients, big) if platform == "buka" else (options.bulk_recipients, bulk)
            )
            progress(f"2. throughput: {platform}, {size:,} recipients, {options.rtt_ms:g} ms RTT")
            comparisons.append(
                throughput.compare(
                    sim,
                    platform,
                    source,
                    size,
                    max_qps=options.max_qps,
                    max_concurrency=options.max_concurrency,
                )
            )
    loopback = None
    if options.loopback:
        with SimProcess(lean=True) as sim:
            progress(f"2. throughput: buka, {options.recipients:,} recipients, 0 ms RTT, no cap (CPU-bound)")
            loopback = throughput.compare(
                sim, "buka", big, options.recipients, max_qps=None, max_concurrency=options.max_concurrency
            )

    rows += [throughput.throughput_row(result) for result in comparisons]
    if loopback is not None:
        rows.append(throughput.throughput_row(loopback, reference=True))
    rows += [throughput.send_efficiency_row(result) for result in comparisons]
    rows += efficiency_rows
    rows.append(throughput.memory_row(comparisons[0]))
    rows += waiting_rows
    progress("5. waiting: one pooled client per trigger run")
    rows += trigger_connections.run(options.trigger_messages)
    progress(f"5. waiting: deferred waits of {', '.join(f'{n:,}' for n in options.wait_sizes)} messages")
    rows += deferred_wait.run(options.wait_sizes)
    progress("6. account-wide rate budget: processes sharing one connection")
    rows += rate_budget.rows(options.budget_requests)
    if options.distributed_recipients:
        progress(f"6. distributed: {options.distributed_recipients:,} recipients on CeleryExecutor")
        rows += distributed.run(options.distributed_recipients)
    progress(f"7. delivery view: one campaign's page, {options.page_recipients:,} recipients")
    rows += delivery_view.run(options.page_recipients, work)
    notes += throughput.notes(comparisons, loopback)
    return rows, notes
