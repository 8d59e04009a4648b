"""``python -m bench``: every benchmark, one table, ``bench/RESULTS.md``.

Defaults are the full sizes (``make bench``); see ``--help``. Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Not under pytest: Airflow gets a private home before anything imports it.
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-provider-nxcloud-bench-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

from bench.report import machine, results_markdown, table, write_results
from bench.suite import Options, run_all

RESULTS = Path(__file__).with_name("RESULTS.md")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--recipients", type=int, default=defaults.recipients, help="Buka campaign size")
    parser.add_argument(
        "--bulk-recipients",
        type=int,
        default=defaults.bulk_recipients,
        help="NXCloud and Fone Dynamics campaign size (100 numbers a request: 10x the requests of Buka)",
    )
    parser.add_argument("--rtt-ms", type=float, default=defaults.rtt_ms, help="simulated network round trip")
    parser.add_argument(
        "--handshake-rtts",
        type=float,
        default=defaults.handshake_rtts,
        help="round trips a new connection costs before its first request (TCP + TLS 1.3: 2)",
    )
    parser.add_argument("--max-qps", type=float, default=defaults.max_qps, help="the connections' max_qps")
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=defaults.max_concurrency,
        help="the connections' max_concurrency",
    )
    parser.add_argument("--hook-calls", type=int, default=defaults.hook_calls)
    parser.add_argument("--poll-messages", type=int, default=defaults.poll_messages)
    parser.add_argument("--check-numbers", type=int, default=defaults.check_numbers)
    parser.add_argument("--sensors", type=int, default=defaults.sensors)
    parser.add_argument(
        "--no-loopback", action="store_true", help="skip the 0 ms RTT comparison (CPU-bound reference)"
    )
    parser.add_argument(
        "--distributed-recipients",
        type=int,
        default=defaults.distributed_recipients,
        help="the CeleryExecutor campaign's size (0: leave that run out)",
    )
    parser.add_argument(
        "--page-recipients",
        type=int,
        default=defaults.page_recipients,
        help="the campaign whose delivery view page is built",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the Markdown results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        recipients=args.recipients,
        bulk_recipients=args.bulk_recipients,
        rtt_ms=args.rtt_ms,
        handshake_rtts=args.handshake_rtts,
        max_qps=args.max_qps,
        max_concurrency=args.max_concurrency,
        hook_calls=args.hook_calls,
        poll_messages=args.poll_messages,
        check_numbers=args.check_numbers,
        sensors=args.sensors,
        loopback=not args.no_loopback,
        distributed_recipients=args.distributed_recipients,
        page_recipients=args.page_recipients,
    )
    started = time.perf_counter()
    print(f"bench: {machine()}; {options.describe()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        rows, notes = run_all(options, Path(work), progress=lambda text: print(f"  {text}", flush=True))
    seconds = time.perf_counter() - started
    print()
    print(table(rows))
    print()
    for note in notes:
        print(f"- {note}")
    print(f"\nbench: {seconds:,.0f} s", flush=True)
    write_results(
        args.out, results_markdown(rows, settings=options.describe(), wall_seconds=seconds, notes=notes)
    )
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
