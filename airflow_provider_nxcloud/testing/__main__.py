"""``python -m airflow_provider_nxcloud.testing``: run the simulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence

from airflow_provider_nxcloud.testing.faults import parse_weights
from airflow_provider_nxcloud.testing.ledger import LEDGER_MODES
from airflow_provider_nxcloud.testing.server import Simulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_nxcloud.testing",
        description="Offline simulator of the NXCloud, Buka and Fone Dynamics APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one (default 8765)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault plan and vendor ids")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability of a random fault")
    parser.add_argument(
        "--fault-weights",
        type=parse_weights,
        default=None,
        help="relative weights of fault kinds, e.g. http_503=2,reset_after=1 (default: all equal)",
    )
    parser.add_argument("--latency-ms", type=int, default=500, help="delay of the latency fault")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument(
        "--delivery-delay", type=float, default=2.0, help="simulated seconds until a report is final"
    )
    parser.add_argument(
        "--print-env", action="store_true", help="also print export lines for the three default connections"
    )
    parser.add_argument(
        "--ledger",
        choices=LEDGER_MODES,
        default="entries",
        help="keep every accepted message (entries, default) or only count them (counts: for throughput "
        "benchmarks; reports and lookups then find nothing)",
    )
    parser.add_argument(
        "--rtt-ms", type=float, default=0.0, help="delay every vendor request by this network round trip"
    )
    parser.add_argument(
        "--handshake-rtts",
        type=float,
        default=0.0,
        help="with --rtt-ms: round trips the first request on a new connection waits (TCP + TLS set-up: "
        "2 for TLS 1.3, 3 for TLS 1.2)",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    # uvicorn runs in a worker thread, so these handlers (not uvicorn's) see the signals
    # and the process ends with exit code 0 after a clean shutdown.
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    simulator = Simulator(
        host=args.host,
        port=args.port,
        seed=args.seed,
        fault_rate=args.fault_rate,
        fault_weights=args.fault_weights,
        latency_ms=args.latency_ms,
        time_scale=args.time_scale,
        delivery_delay=args.delivery_delay,
        log_level=args.log_level,
        ledger=args.ledger,
        rtt_ms=args.rtt_ms,
        handshake_rtts=args.handshake_rtts,
    )
    simulator.start()
    try:
        print(f"NXCloud simulator listening on {simulator.url}", flush=True)
        if args.print_env:
            for name, value in simulator.connection_env().items():
                print(f"export {name}={shlex.quote(value)}", flush=True)
        while not stop.wait(0.5):
            if not simulator.running:
                print("NXCloud simulator: the server stopped unexpectedly", file=sys.stderr, flush=True)
                return 1
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
