"""``python -m tests.reliability.runtime.simhost``: the simulator, its fault proxy and a console, in one process.

Started by the harness in a process group of its own, so the Airflow task processes reach the
vendors over loopback exactly as they would reach real ones. Three things share the
simulator's state:

* the simulator itself (its ``/_simulator/`` control routes: faults, requests, ledger);
* the fault proxy (:mod:`.fault_proxy`) the connections point at;
* a small console on ``--console-port`` for the harness and for the "person":

  - ``POST /records`` ``{"platform", "numbers", "text", "since"}``: what the vendor's record
    list shows for those numbers and that text accepted since ``since`` (epoch seconds), as a
    person would see it in the vendor's console: without what arrived in the last ``lag``
    seconds;
  - ``POST /tally`` ``{"platform", "recipients_file"}``: lost and duplicated, counted in-process
    from the ledger (a 100,000-entry ledger never crosses the wire);
  - ``POST /lag`` ``{"seconds"}``: the record lists' lag from now on (the Fone Dynamics find-SMS
    list the provider's lookup reads, and the console);
  - ``POST /reset``: ledger, requests, faults and proxy back to nothing;
  - ``GET /proxy``, ``POST /proxy/arm`` ``{"action", "count", "path_contains", "skip"}``,
    ``POST /proxy/release``, ``POST /proxy/log`` ``{"path_contains", "fields"}``: the fault proxy.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from airflow_provider_nxcloud.testing.server import Simulator
from tests.reliability.runtime.fault_proxy import FaultProxy, server_context


def _e164(number: str) -> str:
    return f"+{number}"


#: how each platform's ledger writes a recipient (Fone Dynamics keeps the E.164 "+")
LEDGER_NUMBER: dict[str, Callable[[str], str]] = {"fonedynamics": _e164, "buka": str, "nxcloud": str}


class Console:
    def __init__(self, sim: Simulator, proxy: FaultProxy) -> None:
        self.sim = sim
        self.proxy = proxy
        self.lag_s = 0.0

    def set_lag(self, seconds: float) -> dict[str, Any]:
        self.lag_s = float(seconds)
        state = self.sim.state
        state.accounts = dataclasses.replace(
            state.accounts, fonedynamics=dataclasses.replace(state.accounts.fonedynamics, list_lag_s=seconds)
        )
        return {"lag_s": self.lag_s}

    def records(self, body: dict[str, Any]) -> dict[str, Any]:
        platform = body["platform"]
        wanted = {LEDGER_NUMBER[platform](str(n)) for n in body.get("numbers") or ()}
        text = body.get("text")
        since = float(body.get("since") or 0)
        visible_until = self.sim.clock.now() - self.lag_s
        # the time index, not a pass over millions of entries under the ledger's lock (which
        # would hold up every send arriving meanwhile, and bunch them in the request log)
        shown = [
            {"recipient": e.recipient, "time": e.time, "content": e.content}
            for e in self.sim.ledger.window(platform, "sms", since, visible_until)
            if e.recipient in wanted and (text is None or e.content == text)
        ]
        return {"records": shown, "now": self.sim.clock.now(), "lag_s": self.lag_s}

    def tally(self, body: dict[str, Any]) -> dict[str, Any]:
        platform = body["platform"]
        to_ledger = LEDGER_NUMBER[platform]
        # several files: a list edited between tries is counted against what each version held
        files = body.get("recipients_files") or [body["recipients_file"]]
        expected = [
            to_ledger(line.strip())
            for name in files
            for line in Path(name).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        seen = Counter(e.recipient for e in self.sim.ledger.entries(platform=platform, kind="sms"))
        wanted = set(expected)
        lost = sum(1 for number in wanted if seen[number] == 0)
        duplicated = sum(n - 1 for number, n in seen.items() if number in wanted and n > 1)
        unexpected = sum(n for number, n in seen.items() if number not in wanted)
        return {
            "expected": len(wanted),
            "accepted": sum(seen.values()),
            "lost": lost,
            "duplicated": duplicated + unexpected,
            "unexpected": unexpected,
            "faults": self.sim.faults.counts(),
            "fault_history": [f.to_json() for f in self.sim.faults.history()],
            "requests": self.sim.requests.to_json(),
            "proxy": self.proxy.state.to_json(),
        }

    def reset(self) -> dict[str, Any]:
        self.sim.reset()
        self.proxy.disarm()
        with self.proxy.state.lock:
            self.proxy.state.events.clear()
            self.proxy.state.other_host_requests = 0
            self.proxy.state.tls_plain_answers = 0
            self.proxy.state.log_path, self.proxy.state.logged = "", []
        self.set_lag(0.0)
        return {"status": "ok"}


def console_handler(console: Console) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: the harness logs what matters
            pass

        def _reply(self, payload: Any, status: int = 200) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:
            if self.path == "/proxy":
                self._reply(console.proxy.state.to_json())
            elif self.path == "/health":
                self._reply({"status": "ok", "proxy_port": console.proxy.port})
            else:
                self._reply({"error": "not found"}, 404)

        def do_POST(self) -> None:
            try:
                body = self._body()
                if self.path == "/records":
                    self._reply(console.records(body))
                elif self.path == "/tally":
                    self._reply(console.tally(body))
                elif self.path == "/lag":
                    self._reply(console.set_lag(float(body["seconds"])))
                elif self.path == "/reset":
                    self._reply(console.reset())
                elif self.path == "/proxy/arm":
                    console.proxy.arm(
                        body["action"],
                        int(body.get("count", 1)),
                        body.get("path_contains", ""),
                        int(body.get("skip", 0)),
                    )
                    self._reply(console.proxy.state.to_json())
                elif self.path == "/proxy/log":
                    console.proxy.log_fields(body["path_contains"], list(body["fields"]))
                    self._reply({"status": "ok"})
                elif self.path == "/proxy/release":
                    console.proxy.release()
                    self._reply({"status": "ok"})
                else:
                    self._reply({"error": "not found"}, 404)
            except Exception as exc:  # a harness bug shows as a 500 with its text, not a dead console
                self._reply({"error": f"{type(exc).__name__}: {exc}"}, 500)

    return Handler


#: a pause of this process longer than this is logged (the request log would count the
#: requests that queued meanwhile as one burst)
STALL_S = 0.1


def _report_stalls(sim: Simulator, stop: threading.Event) -> None:
    """Log every pause of this process (a thread that should wake each 10 ms, late by more
    than :data:`STALL_S`), with the ledger's size then: evidence for a peak the clients did not send."""
    started = time.monotonic()
    while not stop.is_set():
        before = time.monotonic()
        time.sleep(0.01)
        late = time.monotonic() - before - 0.01
        if late > STALL_S:
            print(
                f"simhost: stalled {late:.3f} s at +{before - started:.1f} s, "
                f"ledger {sim.ledger.count():,} entries",
                flush=True,
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.runtime.simhost")
    parser.add_argument("--port", type=int, required=True, help="the simulator")
    parser.add_argument("--proxy-port", type=int, required=True)
    parser.add_argument("--tls-port", type=int, required=True)
    parser.add_argument("--other-port", type=int, required=True, help="the redirect's other host")
    parser.add_argument("--console-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # The ledger of a 2,000,000-recipient run holds millions of objects: a full collection over
    # them pauses this process for hundreds of milliseconds, the requests that queued meanwhile
    # enter together, and the request log would count a burst no client sent. Nothing here builds
    # reference cycles worth collecting in a run of minutes.
    gc.disable()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # time_scale 1: ledger times are wall-clock epoch seconds, comparable with the HITL body's send time
    sim = Simulator(port=args.port, seed=args.seed, time_scale=1.0)
    sim.start()
    proxy = FaultProxy(
        ("127.0.0.1", sim.port),
        port=args.proxy_port,
        tls_port=args.tls_port,
        other_port=args.other_port,
        tls_context=server_context(args.cert, args.key),
    ).start()
    console = Console(sim, proxy)
    threading.Thread(target=_report_stalls, args=(sim, stop), name="stalls", daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.console_port), console_handler(console))
    threading.Thread(target=server.serve_forever, name="console", daemon=True).start()
    print(f"simhost: simulator {sim.url}, proxy {proxy.port}, console {args.console_port}", flush=True)
    try:
        while not stop.wait(0.5):
            if not sim.running:
                print("simhost: the simulator stopped", file=sys.stderr, flush=True)
                return 1
    finally:
        server.shutdown()
        proxy.disarm()
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
