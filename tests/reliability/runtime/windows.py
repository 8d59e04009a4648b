"""The dangerous windows, each made to really happen inside a real Airflow task try.

Every window runs one DAG (one send task, ``retries=5``, ``retry_delay`` 2 s) through the
scheduler and LocalExecutor; an *injector* thread watches the traffic and injects its fault at
the right moment, and writes down the evidence that the window happened (the fault history, the
process it killed and why it was the task process). When the run ends, the simulator's ledger
gives lost and duplicated, the metadata DB the tries and the final state.

Windows (the "k-th send" is the one a third of the way through the campaign's batches):

``baseline``   no fault: the runtime alone sends everything once.
``kill_after_accept``  the proxy forwards the k-th send (the vendor records it) and holds the reply;
               the task process that owns that client socket is SIGKILLed; the reply is let go.
``kill_before_processed``  the proxy holds the k-th send after its headers, before the body is read
               or anything forwarded; the task process is SIGKILLed; nothing reaches the vendor.
``reset_after``  the vendor processes the k-th send, then drops the connection without a reply.
``http_503_after``  the vendor processes the k-th send, then a gateway answers 503.
``late_processing``  the k-th send is held longer than the connection's read timeout (3 s), then
               processed: the vendor accepts it after the client gave up.
``lagging_list``  the record lists show a message only 6 s after it was accepted, and the k-th send
               is processed with its answer lost (``reset_after``): a lookup right after must not
               take "not listed" for "not sent".
``tls_failure``  over https: 5 connections in a row (more than the hook's 4 attempts) meet a plain
               HTTP answer to their TLS handshake, so the try fails before writing anything and
               Airflow retries it.
``redirect``   the k-th send is answered 307 to another host: never followed; nothing may arrive there.
               The provider takes a redirect for a misconfigured host (``Reason.CONFIGURATION``):
               the task fails at once naming the host, without retries; expected ``failed``.
``source_changed``  try 1 is SIGKILLed as in ``kill_after_accept``; meanwhile the recipients file is
               edited in a batch try 1 recorded; the next try must fail before sending anything,
               naming that batch.
``cleared_after_success``  no fault: the run succeeds (Airflow runs with ``[state_store]
               clear_on_success=True``, so the task's ``task_state_store`` rows go on success); then
               the succeeded task instance is cleared through the REST API and runs again: it must
               send nothing (the vendor's send count unchanged), leave the results file
               byte-identical, and succeed on a higher try number.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from tests.reliability.runtime.dags import DagSpec, batch_size, numbers, send_endpoint, send_path
from tests.reliability.runtime.stack import Stack

#: a run that takes longer than this is stuck
RUN_TIMEOUT_S = 1800.0
LAG_S = 6.0
LATENCY_MS = 6000
TERMINAL = ("success", "failed")
#: the send task of every window's DAG (dags.py)
TASK_ID = "send_sms"


@dataclass
class Row:
    platform: str
    window: str
    recipients: int
    dag_id: str = ""
    tries: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    backoff_s: float = 0.0
    lost: int = 0
    duplicated: int = 0
    state: str = "not run"
    seconds: float = 0.0
    #: what proves the window happened (fault history, pid killed, ...)
    evidence: list[str] = field(default_factory=list)
    #: why the run failed, from the task's log, when it did
    failure: str = ""
    #: this window's expected end: "success", or "failed" (source_changed)
    expected_state: str = "success"
    #: recipients intentionally left unsent by a run expected to fail (not counted as lost)
    unsent_by_design: int = 0
    #: whether the window's injection really happened
    happened: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.happened
            and self.state == self.expected_state
            and self.lost == 0
            and self.duplicated == 0
            and not self.failure.startswith("unexpected")
        )


# ----- finding and killing the task process ---------------------------------------------------------


def task_process_on(peer_port: int, proxy_port: int) -> psutil.Process | None:
    """The process owning the client socket ``127.0.0.1:peer_port`` connected to the proxy."""
    for conn in psutil.net_connections(kind="tcp"):
        if (
            conn.pid
            and conn.laddr
            and conn.raddr
            and conn.laddr.port == peer_port
            and conn.raddr.port == proxy_port
        ):
            return psutil.Process(conn.pid)
    return None


def describe_lineage(process: psutil.Process) -> str:
    chain: list[str] = []
    current: psutil.Process | None = process
    while current is not None and len(chain) < 4:
        try:
            chain.append(f"{current.pid} {' '.join(current.cmdline())[:90]!r}")
            current = current.parent()
        except psutil.Error:
            break
    return " <- ".join(chain)


def is_task_process(process: psutil.Process) -> bool:
    """The task process: a child of the LocalExecutor worker that runs the task supervisor."""
    try:
        parent = process.parent()
        return parent is not None and "LocalExecutor" in " ".join(parent.cmdline())
    except psutil.Error:
        return False


# ----- one window ----------------------------------------------------------------------------------


class WindowRun:
    """One (platform, window) run: trigger, inject, wait, count."""

    def __init__(self, stack: Stack, spec: DagSpec, window: str, recipients: list[str]) -> None:
        self.stack = stack
        self.spec = spec
        self.window = window
        self.recipients = recipients
        self.platform = spec.platform
        self.row = Row(spec.platform, window, len(recipients), dag_id=spec.dag_id)
        self.run_id = ""
        self.done = threading.Event()
        self.batches = -(-len(recipients) // batch_size(spec.platform))
        #: the send the fault lands on: a third of the way in
        self.k = max(1, self.batches // 3)

    # ----- watching the traffic -------------------------------------------------------------

    def sends(self) -> int:
        requests = self.stack.sim("GET", "/requests")
        return int(requests["by_endpoint"].get(f"{self.platform}/{send_endpoint(self.platform)}", 0))

    def wait_sends(self, count: int) -> bool:
        """Until the vendor has seen ``count`` sends; False if the run ended first."""
        while not self.done.is_set():
            if self.sends() >= count:
                return True
            time.sleep(0.05)
        return False

    def append_rule(self, kind: str) -> None:
        self.stack.sim(
            "POST",
            "/faults",
            {
                "mode": "append",
                "rules": [
                    {"kind": kind, "platform": self.platform, "endpoint": send_endpoint(self.platform)}
                ],
            },
        )

    def proxy_event(self, action: str, timeout: float = 120) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.done.is_set():
            events = [e for e in self.stack.console("GET", "/proxy")["events"] if e["action"] == action]
            if events:
                return events[-1]
            time.sleep(0.05)
        return None

    def accepted(self) -> int:
        tally = self.stack.console(
            "POST", "/tally", {"platform": self.platform, "recipients_file": str(self.spec.recipients_file)}
        )
        return int(tally["accepted"])

    def kill_held(self, action: str) -> bool:
        """Arm the proxy, wait for the held send, SIGKILL the task process owning its socket, release."""
        self.stack.console(
            "POST", "/proxy/arm", {"action": action, "count": 1, "path_contains": send_path(self.platform)}
        )
        event = self.proxy_event(action)
        if event is None:
            self.row.evidence.append(f"{action}: the held send never came")
            return False
        accepted = self.accepted_at_hold = self.accepted()
        process = task_process_on(int(event["peer"][1]), self.stack.ports.proxy)
        if process is None:
            self.stack.console("POST", "/proxy/release")
            self.row.evidence.append(f"{action}: no process owns client port {event['peer'][1]}")
            return False
        lineage = describe_lineage(process)
        if not is_task_process(process):
            self.stack.console("POST", "/proxy/release")
            self.row.evidence.append(f"{action}: the socket's owner is not a task process: {lineage}")
            return False
        os.kill(process.pid, signal.SIGKILL)
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(10)
        self.row.kills += 1
        self.stack.console("POST", "/proxy/release")
        time.sleep(0.3)
        after = self.stack.console("GET", "/proxy")["events"][-1]
        self.row.evidence.append(
            f"{action} on a send to {event['path']} ({self.sends()} sends reached the vendor by then): "
            f"vendor had accepted {accepted} "
            f"recipients while held; SIGKILLed pid {process.pid} ({lineage}); "
            f"client gone at release: {after['client_gone']}"
        )
        return True

    # ----- the injectors ----------------------------------------------------------------------

    def inject(self) -> None:
        injector: Callable[[], bool] = getattr(self, f"_inject_{self.window}")
        try:
            self.row.happened = injector()
        except Exception as exc:  # the injector's failure is part of the row, not a crash of the table
            self.row.evidence.append(f"injector failed: {type(exc).__name__}: {exc}")

    def _inject_baseline(self) -> bool:
        return True

    def _inject_kill_after_accept(self) -> bool:
        return self.wait_sends(self.k) and self.kill_held("hold_reply")

    def _inject_kill_before_processed(self) -> bool:
        if not self.wait_sends(self.k):
            return False
        killed = self.kill_held("hold_request")
        time.sleep(0.5)
        # nothing of the held send reached the vendor: it accepted no more than while it was held
        before, after = getattr(self, "accepted_at_hold", None), self.accepted()
        self.row.evidence.append(f"vendor accepted {before} while the send was held, {after} after the kill")
        return killed and after == before

    def _inject_fault_at_k(self, kind: str) -> bool:
        if not self.wait_sends(self.k):
            return False
        self.append_rule(kind)
        return self._fault_seen(kind)

    def _fault_seen(self, kind: str, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.stack.sim("GET", "/faults")["history"]
            hits = [f for f in history if f["kind"] == kind]
            if hits:
                self.row.evidence.append(
                    f"{kind} on request {hits[0]['request_number']} ({hits[0]['endpoint']})"
                )
                return True
            if self.done.is_set():
                return False
            time.sleep(0.1)
        return False

    def _inject_reset_after(self) -> bool:
        return self._inject_fault_at_k("reset_after")

    def _inject_http_503_after(self) -> bool:
        return self._inject_fault_at_k("http_503_after")

    def _inject_late_processing(self) -> bool:
        # latency_ms is a plan field: the plan (no rules yet) was set before the trigger
        if not self._inject_fault_at_k("latency"):
            return False
        held_at = time.monotonic()
        before = self.accepted()
        # the vendor processes the held send LATENCY_MS after it arrived, long after the client's
        # read timeout; under load the processing itself may take a while more, so watch for it
        # (the task sends nothing new meanwhile: it is settling the batch whose answer it lost)
        after, accepted_after = before, None
        while time.monotonic() - held_at < LATENCY_MS / 1000 + 30:
            after = self.accepted()
            if after > before:
                accepted_after = time.monotonic() - held_at
                break
            time.sleep(0.5)
        self.row.evidence.append(
            f"held {LATENCY_MS} ms against a {self.stack_read_timeout()} s read timeout; vendor accepted "
            f"{before} -> {after}"
            + (f", {accepted_after:.1f} s after the send arrived" if accepted_after is not None else "")
        )
        return after > before

    def stack_read_timeout(self) -> float:
        from tests.reliability.runtime.stack import SHORT_READ_TIMEOUT_S

        return SHORT_READ_TIMEOUT_S

    def _inject_lagging_list(self) -> bool:
        # the lag was set before the trigger; the answer of the k-th send is lost
        return self._inject_fault_at_k("reset_after")

    def _inject_tls_failure(self) -> bool:
        if not self.wait_sends(self.k):
            return False
        self.stack.console("POST", "/proxy/arm", {"action": "tls_plain", "count": 5})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.done.is_set():
            answered = self.stack.console("GET", "/proxy")["tls_plain_answers"]
            if answered >= 5:
                self.row.evidence.append(f"{answered} TLS handshakes answered in plain HTTP")
                return True
            time.sleep(0.1)
        return False

    def _inject_redirect(self) -> bool:
        if not self.wait_sends(self.k):
            return False
        self.stack.console(
            "POST",
            "/proxy/arm",
            {"action": "redirect", "count": 1, "path_contains": send_path(self.platform)},
        )
        event = self.proxy_event("redirect")
        if event is None:
            return False
        time.sleep(1)
        other = self.stack.console("GET", "/proxy")["other_host_requests"]
        self.row.evidence.append(
            f"307 to the other host on {event['path']}; requests that reached it: {other}"
        )
        return other == 0

    def _inject_cleared_after_success(self) -> bool:
        # no fault during the first run; only watch the task write its task_state_store rows
        while not self.done.is_set():
            self.state_rows_seen = max(getattr(self, "state_rows_seen", 0), self.state_rows())
            time.sleep(0.2)
        # whether the window happened is known only after the clear (clear_and_rerun)
        return False

    def state_rows(self) -> int:
        """The send task's rows in the metadata DB's ``task_state_store`` for this run."""
        with self.stack.db() as db:
            try:
                row = db.execute(
                    "SELECT COUNT(*) FROM task_state_store WHERE dag_id = ? AND run_id = ? AND task_id = ?",
                    (self.spec.dag_id, self.run_id, TASK_ID),
                ).fetchone()
            except sqlite3.OperationalError:  # locked for longer than the timeout: not seen this time
                return 0
        return int(row[0])

    def task_instance(self) -> tuple[int, str | None, str | None]:
        """The send task instance's (try_number, state, end_date) in the metadata DB."""
        with self.stack.db() as db:
            row = db.execute(
                "SELECT try_number, state, end_date FROM task_instance "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ?",
                (self.spec.dag_id, self.run_id, TASK_ID),
            ).fetchone()
        return (int(row[0]), row[1], row[2]) if row else (0, None, None)

    def sealed_record(self) -> dict[str, Any] | None:
        """The campaign record the provider sealed into an Airflow Variable on success."""
        from airflow_provider_nxcloud.campaign.progress import STORE_KEY, campaign_key

        name = f"{STORE_KEY}_{campaign_key(self.spec.dag_id, self.run_id, TASK_ID, -1)}"
        with self.stack.db() as db:
            row = db.execute("SELECT val FROM variable WHERE key = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            return {"name": name, **json.loads(row[0])}
        except ValueError:
            return {"name": name, "unreadable": True}

    def results_bytes(self) -> bytes | None:
        path = self.spec.results_path
        return path.read_bytes() if path.exists() else None

    def clear_and_rerun(self, started: float) -> str:
        """After the first run succeeded: clear the succeeded send task through the REST API, wait
        for it to run again, and check the second run sent nothing and rewrote nothing."""
        evidence = self.row.evidence
        problems: list[str] = []
        seen, after = getattr(self, "state_rows_seen", 0), self.state_rows()
        cleared_log = self.stack.logs / "api-server.log"
        cleared_lines = sum(
            1
            for line in cleared_log.read_text(errors="replace").splitlines()
            if "Cleared task state on success" in line and self.spec.dag_id in line
        )
        evidence.append(
            f"task_state_store rows of {TASK_ID}: up to {seen} seen during the run, {after} after success "
            f"(api-server logged 'Cleared task state on success' for this DAG {cleared_lines} time(s))"
        )
        sealed = self.sealed_record()
        evidence.append(
            "sealed record: "
            + (
                f"Variable {sealed['name']}: accepted {sealed.get('accepted')}, done {sealed.get('done')}, "
                f"in flight {sealed.get('in_flight')}"
                if sealed
                else "no Variable found"
            )
        )
        before_bytes = self.results_bytes()
        before_sends, before_accepted = self.sends(), self.accepted()
        before_try, before_state, before_end = self.task_instance()
        digest = hashlib.sha256(before_bytes).hexdigest()[:16] if before_bytes is not None else "-"
        evidence.append(
            f"after the first run: {TASK_ID} try {before_try} {before_state}; {before_sends} sends "
            f"reached the vendor, {before_accepted} recipients accepted; results file "
            f"{len(before_bytes) if before_bytes is not None else 'missing'} bytes, sha256 {digest}"
        )
        body = {
            "dry_run": False,
            "task_ids": [TASK_ID],
            "dag_run_id": self.run_id,
            "only_failed": False,
            "reset_dag_runs": True,
        }
        answer = self.stack.api("POST", f"/dags/{self.spec.dag_id}/clearTaskInstances", body)
        cleared = [(ti.get("task_id"), ti.get("state")) for ti in answer.get("task_instances", [])]
        evidence.append(
            f"POST /api/v2/dags/{self.spec.dag_id}/clearTaskInstances {json.dumps(body)}: cleared {cleared}"
        )
        state, ti = "running", (before_try, before_state, before_end)
        while time.monotonic() - started < RUN_TIMEOUT_S:
            ti = self.task_instance()
            state = self.stack.api("GET", f"/dags/{self.spec.dag_id}/dagRuns/{self.run_id}")["state"]
            if ti[0] > before_try and ti[1] in TERMINAL and state in TERMINAL:
                break
            self.stack.check_alive()
            time.sleep(1)
        after_bytes = self.results_bytes()
        after_sends, after_accepted = self.sends(), self.accepted()
        identical = after_bytes is not None and after_bytes == before_bytes
        evidence.append(
            f"after the clear: {TASK_ID} try {ti[0]} {ti[1]} (ended {ti[2]}; the first run's try ended "
            f"{before_end}); run {state}; {after_sends} sends reached the vendor (+{after_sends - before_sends}), "
            f"{after_accepted} recipients accepted; results file "
            f"{len(after_bytes) if after_bytes is not None else 'missing'} bytes, byte-identical: {identical}"
        )
        said = re.findall(r'"event":"([^"]*campaign:[^"]*)"', self.attempt_log(ti[0]))
        evidence.append(f"try {ti[0]}'s log: {said[-1] if said else '(no campaign summary found)'}")
        if after_sends != before_sends:
            problems.append(f"{after_sends - before_sends} send(s) after the clear")
        if not identical:
            problems.append("the results file changed")
        if ti[0] <= before_try:
            problems.append(f"the task did not run again (try {ti[0]})")
        if ti[1] != "success":
            problems.append(f"the task ended {ti[1]} after the clear")
        if problems:
            self.row.failure = "unexpected: " + "; ".join(problems)
        # the window happened: the task state was there, clear_on_success removed it, the task ran again
        self.row.happened = seen > 0 and after == 0 and before_state == "success" and ti[0] > before_try
        return state

    def _inject_source_changed(self) -> bool:
        if not (self.wait_sends(self.k) and self.kill_held("hold_reply")):
            return False
        # a batch try 1 recorded done: the first one; one number replaced by a new one
        lines = self.spec.recipients_file.read_text(encoding="utf-8").splitlines()
        self.original.write_text("\n".join(lines) + "\n", encoding="utf-8")
        replacement = "6598765432"  # a valid SG mobile number outside the list
        lines[1] = replacement
        self.spec.recipients_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.sends_at_edit = self.sends()
        self.row.evidence.append(f"recipients file edited after the kill: line 2 -> {replacement} (batch 0)")
        return True

    # ----- the run ------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Before the trigger: a clean simulator, and the plan or lag the window needs from the start."""
        self.stack.console("POST", "/reset")
        if self.window == "late_processing":
            self.stack.sim("POST", "/faults", {"latency_ms": LATENCY_MS})
        if self.window == "lagging_list":
            self.stack.console("POST", "/lag", {"seconds": LAG_S})
        if self.window in EXPECTED_TO_FAIL:
            self.row.expected_state = "failed"

    def run(self, person: Any = None) -> Row:
        self.prepare()
        started = time.monotonic()
        run = self.stack.api("POST", f"/dags/{self.spec.dag_id}/dagRuns", {"logical_date": None})
        self.run_id = run["dag_run_id"]
        injector = threading.Thread(target=self.inject, name=f"inject-{self.window}", daemon=True)
        injector.start()
        state = "running"
        while time.monotonic() - started < RUN_TIMEOUT_S:
            state = self.stack.api("GET", f"/dags/{self.spec.dag_id}/dagRuns/{self.run_id}")["state"]
            if state in TERMINAL:
                break
            self.stack.check_alive()
            time.sleep(1)
        self.done.set()
        injector.join(30)
        if self.window == "cleared_after_success" and state == "success":
            state = self.clear_and_rerun(started)
        self.row.seconds = time.monotonic() - started
        self.row.state = state if state in TERMINAL else f"not finished ({state})"
        self.count()
        if person is not None:
            self.row.decisions = person.decisions_for(self.spec.dag_id)
            self.row.evidence += [
                f"person answered {d.chosen!r} on {d.reference}: {d.why}"
                for d in person.decisions
                if d.dag_id == self.spec.dag_id
            ]
        return self.row

    @property
    def original(self) -> Path:
        """The list as it read before an edit (source_changed), counted too: it was sent from."""
        return self.spec.recipients_file.with_name("recipients.before-edit.txt")

    def count(self) -> None:
        files = [str(self.spec.recipients_file)]
        if self.original.exists():
            files.append(str(self.original))
        tally = self.stack.console("POST", "/tally", {"platform": self.platform, "recipients_files": files})
        self.row.faults = dict(tally["faults"])
        proxy = tally["proxy"]
        if proxy["tls_plain_answers"]:
            self.row.faults["tls_plain (proxy)"] = proxy["tls_plain_answers"]
        redirects = sum(1 for e in proxy["events"] if e["action"] == "redirect")
        if redirects:
            self.row.faults["redirect_307 (proxy)"] = redirects
        for action in ("hold_reply", "hold_request"):
            held = sum(1 for e in proxy["events"] if e["action"] == action)
            if held:
                self.row.faults[f"{action} (proxy)"] = held
        if proxy["other_host_requests"]:
            self.row.evidence.append(f"{proxy['other_host_requests']} request(s) reached the other host")
            self.row.duplicated += proxy["other_host_requests"]
        self.row.lost = int(tally["lost"])
        self.row.duplicated += int(tally["duplicated"])
        self.tries_and_backoff()
        log = self.task_log()
        # the transport's own repeats (connection never made, throttled): their backoff is slept
        # inside a try, so it is not in the gaps between tries
        in_hook = len(re.findall(r"attempt \d+ failed, retrying", log))
        if in_hook:
            self.row.evidence.append(f"in-hook retries (transport, backoff slept inside the try): {in_hook}")
        if self.row.state == "failed":
            reason = self.failure_reason()
            self.row.failure = f"{self.row.failure}; {reason}" if self.row.failure else reason
        if self.window == "source_changed":
            self.judge_source_changed(tally)
        if self.window == "redirect":
            self.judge_redirect()

    def tries_and_backoff(self) -> None:
        """Tries from the task instance and its history; backoff = the gaps between tries (slept)."""
        with self.stack.db() as db:
            current = db.execute(
                "SELECT try_number, state, start_date, end_date FROM task_instance "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ?",
                (self.spec.dag_id, self.run_id, TASK_ID),
            ).fetchone()
            history = db.execute(
                "SELECT try_number, state, start_date, end_date FROM task_instance_history "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? ORDER BY try_number",
                (self.spec.dag_id, self.run_id, TASK_ID),
            ).fetchall()
            # the person's answers as Airflow recorded them: this try's, and earlier tries'
            answers = db.execute(
                "SELECT h.chosen_options FROM hitl_detail h JOIN task_instance t ON t.id = h.ti_id "
                "WHERE t.dag_id = ? AND t.run_id = ? AND h.chosen_options IS NOT NULL "
                "UNION ALL SELECT h.chosen_options FROM hitl_detail_history h "
                "JOIN task_instance_history t ON t.task_instance_id = h.ti_history_id "
                "WHERE t.dag_id = ? AND t.run_id = ? AND h.chosen_options IS NOT NULL",
                (self.spec.dag_id, self.run_id, self.spec.dag_id, self.run_id),
            ).fetchall()
        if answers:
            self.row.evidence.append(
                "answers recorded in the metadata DB: " + ", ".join(str(a[0]) for a in answers)
            )
        tries = {row[0]: row for row in history}
        if current is not None:
            tries[current[0]] = current
        self.row.tries = max(tries, default=0)
        ordered = [tries[n] for n in sorted(tries)]
        gaps = []
        for before, after in itertools.pairwise(ordered):
            if before[3] and after[2]:
                gaps.append((_when(after[2]) - _when(before[3])).total_seconds())
        if self.window == "cleared_after_success":
            # the gap before the try after the clear is the harness's checks and the clear, not a backoff
            gaps = gaps[:-1]
        self.row.backoff_s = sum(gap for gap in gaps if gap > 0)
        self.row.evidence.append("tries: " + ", ".join(f"{row[0]} {row[1]}" for row in ordered))

    def task_log(self) -> str:
        root = self.stack.home / "logs"
        texts = []
        for path in sorted(root.rglob("*.log")):
            if f"dag_id={self.spec.dag_id}" in str(path) and _run_dir(self.run_id) in str(path):
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)

    def attempt_log(self, try_number: int) -> str:
        """The log of one try of the send task."""
        root = self.stack.home / "logs" / f"dag_id={self.spec.dag_id}" / _run_dir(self.run_id)
        path = root / f"task_id={TASK_ID}" / f"attempt={try_number}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def failure_reason(self) -> str:
        log = self.task_log()
        found = re.findall(r'"exc_type":"([^"]*)","exc_value":"((?:[^"\\]|\\.)*)"', log)
        if found:
            exc_type, exc_value = found[-1]
            return f"{exc_type}: {exc_value}"[:500]
        return "(no reason found in the task log)"

    def judge_source_changed(self, tally: dict[str, Any]) -> None:
        """The try after the edit must fail before any send, its error naming the batch that changed."""
        sends_at_edit = getattr(self, "sends_at_edit", None)
        sends_after = self.sends()
        # fingerprint.py: "batch 0 (recipients 1-100 as it reads now) is not what an earlier try ..."
        named = re.search(r"\bbatch 0 \(recipients [^)]*as it reads now\)", self.row.failure)
        self.row.evidence.append(
            f"sends at the edit {sends_at_edit}, at the end {sends_after}; "
            f"the failure names batch 0 as changed: {bool(named)}"
        )
        if sends_at_edit is not None and sends_after != sends_at_edit:
            self.row.failure = (
                f"unexpected: {sends_after - sends_at_edit} send(s) after the edit; {self.row.failure}"
            )
        elif not named:
            self.row.failure = f"unexpected: the failure does not name batch 0 as changed: {self.row.failure}"
        # the campaign stops by design: what it never sent is not "lost"
        self.row.unsent_by_design = self.row.lost
        self.row.lost = 0

    def judge_redirect(self) -> None:
        """A redirect is a misconfigured host to the provider: the task fails at once, naming the
        redirect's host, and nothing (no credential, no signature) went there."""
        if self.row.state == "failed" and "REDIRECT" not in self.row.failure:
            self.row.failure = f"unexpected: the failure is not the redirect: {self.row.failure}"
        self.row.unsent_by_design = self.row.lost
        self.row.lost = 0


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace(" ", "T"))


def _run_dir(run_id: str) -> str:
    return f"run_id={run_id}"


WINDOWS = (
    "baseline",
    "kill_after_accept",
    "kill_before_processed",
    "reset_after",
    "http_503_after",
    "late_processing",
    "lagging_list",
    "tls_failure",
    "redirect",
    "source_changed",
    "cleared_after_success",
)
#: windows whose right ending is a failed task: the changed list (the task must not guess which
#: recipients were sent), the redirect (a misconfigured host: never followed, never retried)
EXPECTED_TO_FAIL = ("source_changed", "redirect")
#: windows whose DAG uses another connection
CONNECTION_OF = {"late_processing": "short", "tls_failure": "tls"}


def spec_for(work: Path, platform: str, window: str) -> DagSpec:
    dag_id = f"rt_{platform}_{window}"
    data = work / "data" / dag_id
    return DagSpec(
        dag_id,
        platform,
        data / "recipients.txt",
        data / "results.jsonl",
        connection=CONNECTION_OF.get(window, "default"),
    )


def recipients_for(size: int) -> list[str]:
    return numbers(size)
