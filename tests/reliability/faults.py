"""Fault-injection campaigns: the scenario code shared by the tests and the ``make reliability`` runner.

The claim under test: under faults a campaign loses nothing and duplicates nothing.

An SMS campaign of N valid recipients is sent through a platform's bulk send operator
against the simulator, which meets a seeded 20% of the vendor requests with a transient
fault (HTTP 500/502/503/429, the vendor's busy and rate-limit codes, an expired
timestamp, a connection dropped before or after the vendor processed the request).
The task runs as Airflow runs it, try after try of one task instance sharing its
``task_state_store``:

* a try that raises a retryable error is retried; after ``retries`` in a row the task
  fails and a person clears it (counted as ``clear``), as after a timestamp refused
  again once signed anew (the task fails for a person to check the clock);
* a try that fails because a batch is in doubt (:class:`BatchInDoubtError`: the answer
  to its send was lost and the vendor offers no lookup) is checked against the
  simulator: the message names exactly that batch, the simulator met its send with a
  fault that loses the answer, and the vendor holds all or none of its recipients.
  Then a person does what the message says: ``in_doubt="skip"`` when the vendor has it
  (the simulator's ledger stands in for the vendor's console), ``"resend"`` when not;
* one try is killed with SIGKILL in a child process while a send is in flight; the
  ``task_state_store`` is a file, so the next try finds what the killed one recorded.

At the end the ledger must hold every recipient exactly once.

The person's decision run covers the campaign up to the named batch only (a prefix
of the same list: the same batches, the same client references). ``in_doubt`` applies
to every batch in doubt in a try, so a decision run over the whole list would also
skip or resend batches nobody checked, whose answers the continuing faults lose.

The same loop runs a voice task create (Buka) and a privacy-number bind (NXCloud)
under "accepted, answer lost" on the create, with the seeded faults on every request
(the lookups included): exactly one task and one binding per task instance afterwards.

Backoff waits are recorded, not slept: the hooks get a ``sleep`` that adds up what
they asked for (the simulator's ``Retry-After: 1`` would otherwise dominate the time).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.progress import STORE_KEY, Progress
from airflow_provider_nxcloud.exceptions import (
    BatchInDoubtError,
    CreateInDoubtError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.platforms import buka as buka_vendor
from airflow_provider_nxcloud.platforms import fonedynamics as fonedynamics_vendor
from airflow_provider_nxcloud.platforms import nxcloud as nxcloud_vendor
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.testing.faults import FaultKind, FaultPlan
from tests.operators.conftest import FakeTI, numbers

SEED = 20261123
FAULT_RATE = 0.2
#: the transient faults of the plan, drawn with equal weight
TRANSIENT_KINDS: tuple[FaultKind, ...] = (
    FaultKind.HTTP_500,
    FaultKind.HTTP_502,
    FaultKind.HTTP_503,
    FaultKind.HTTP_429,
    FaultKind.VENDOR_RATE_LIMIT,
    FaultKind.VENDOR_BUSY,
    FaultKind.TIMESTAMP_EXPIRED,
    FaultKind.RESET_BEFORE,
    FaultKind.RESET_AFTER,
)
#: faults after which a send's answer is lost: the vendor processed it (reset_after,
#: http_503_after) or not (the others). Every 5xx is one: a gateway may answer it after forwarding
ANSWER_LOST = frozenset(
    {
        FaultKind.HTTP_500,
        FaultKind.HTTP_502,
        FaultKind.HTTP_503,
        FaultKind.HTTP_503_AFTER,
        FaultKind.RESET_BEFORE,
        FaultKind.RESET_AFTER,
    }
)
#: the lost-answer faults whose request the simulator processed
PROCESSED_ANYWAY = frozenset({FaultKind.RESET_AFTER, FaultKind.HTTP_503_AFTER})
#: Fone Dynamics signals "busy" with HTTP 503, so there it loses a send's answer too
FONEDYNAMICS_ANSWER_LOST = ANSWER_LOST | {FaultKind.VENDOR_BUSY}


def answer_lost(platform: str, kind: FaultKind | None) -> bool:
    """Whether a send on ``platform`` that met ``kind`` is in doubt (its answer proves nothing)."""
    return kind in (FONEDYNAMICS_ANSWER_LOST if platform == "fonedynamics" else ANSWER_LOST)


#: the delay that holds the killed try's send in flight; the kill lands well inside it
KILL_LATENCY_MS = 1000
#: Airflow ``retries`` of the task: automatic retries in a row; then the task fails and a person
#: clears it, which starts a new count
RETRIES = 10
#: a campaign that needs more tries than this is stuck, not unlucky
MAX_TRIES = 5000
#: a try that never ends is a bug, not a fault: the harness gives up on it
TRY_TIMEOUT_S = 600.0
TEXT = "Reliability check: flash sale starts at noon"

SUCCESS, RETRY, IN_DOUBT, CLOCK, KILLED, FAILED = "success", "retry", "in_doubt", "clock", "killed", "failed"


def fault_plan(seed: int = SEED) -> FaultPlan:
    """20% of vendor requests meet a transient fault, the kind drawn evenly, from ``seed``."""
    return FaultPlan(
        seed=seed,
        rate=FAULT_RATE,
        weights=dict.fromkeys(TRANSIENT_KINDS, 1.0),
        latency_ms=KILL_LATENCY_MS,
    )


# ----- the task instance: a task_state_store that outlives a killed process ------------------------


class FileTaskStateStore:
    """Airflow 3.3's ``task_state_store`` surface (get/set/delete) kept in a JSON file.

    Each ``set`` replaces the file atomically, so a try killed at any instant leaves
    either the record before or the record after, never half of one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        #: called after each ``set`` (the kill uses it to pause a child try between two batches)
        self.after_set: Callable[[str, Any], None] | None = None

    def _values(self) -> dict[str, Any]:
        try:
            values = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return values if isinstance(values, dict) else {}

    def _write(self, values: Mapping[str, Any]) -> None:
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(values), encoding="utf-8")
        os.replace(partial, self.path)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values().get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        values = self._values()
        values[key] = value
        self._write(values)
        if self.after_set is not None:
            self.after_set(key, value)

    def delete(self, key: str) -> None:
        values = self._values()
        if values.pop(key, None) is not None:
            self._write(values)


class DurableTaskRun:
    """Successive tries of one task instance whose ``task_state_store`` is a file."""

    def __init__(self, directory: Path, **ti: Any) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.store = FileTaskStateStore(directory / "task_state_store.json")
        self.ti = FakeTI(**ti)

    def context(self) -> dict[str, Any]:
        return {"ti": self.ti, "task_state_store": self.store}

    def retry(self) -> dict[str, Any]:
        self.ti.try_number += 1
        return self.context()

    def progress(self) -> Progress:
        return Progress.from_json(self.store.get(STORE_KEY))


# ----- what the hooks retry, what lookups settle, and the waits asked for -------------------------


class LogCounter(logging.Handler):
    """Counts log records whose message template contains one of ``templates``.

    In a child process each one is also appended to a file, which survives the child being killed.
    """

    def __init__(self, *templates: str) -> None:
        super().__init__(logging.INFO)
        self.templates = templates
        self.count = 0
        self.sink: Path | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if any(template in str(record.msg) for template in self.templates):
            self.count += 1
            if self.sink is not None:
                with self.sink.open("a", encoding="utf-8") as sink:
                    sink.write("1\n")

    def add_from(self, sink: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.count += len(sink.read_text(encoding="utf-8").splitlines())


@dataclass
class Instruments:
    #: the transport's own repeats of a request: after a refusal, and re-signed attempts
    retries: LogCounter
    #: batches in doubt that the engine's lookup settled, either way
    lookups: LogCounter
    #: every backoff the hooks asked for, in seconds (not slept)
    waits: list[float]

    def counters(self) -> dict[str, LogCounter]:
        return {"retries": self.retries, "lookups": self.lookups}


TRANSPORT = "airflow_provider_nxcloud.hooks.transport"
ENGINE = "airflow_provider_nxcloud.campaign.engine"
#: logger -> the message templates counted there
_COUNTED = {
    TRANSPORT: ("attempt %d failed, retrying", "signing again"),
    ENGINE: ("the vendor has it;", "the vendor has none of it;"),
}


@contextlib.contextmanager
def instrumented_hooks() -> Iterator[Instruments]:
    """Hooks that record their backoff instead of sleeping it; counts of in-hook retries and lookups.

    The counted loggers stop propagating meanwhile: thousands of retry warnings are counted, not printed.
    """
    waits: list[float] = []
    original = CPaaSHook.__init__

    def init(self: CPaaSHook, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", waits.append)
        original(self, *args, **kwargs)

    instruments = Instruments(LogCounter(*_COUNTED[TRANSPORT]), LogCounter(*_COUNTED[ENGINE]), waits)
    handlers = {TRANSPORT: instruments.retries, ENGINE: instruments.lookups}
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in handlers}
    CPaaSHook.__init__ = init  # type: ignore[method-assign]
    for name, handler in handlers.items():
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        yield instruments
    finally:
        CPaaSHook.__init__ = original  # type: ignore[method-assign]
        for name, handler in handlers.items():
            logger = logging.getLogger(name)
            logger.removeHandler(handler)
            logger.setLevel(saved[name][0])
            logger.propagate = saved[name][1]


# ----- one try, as Airflow would see it ----------------------------------------------------------


@dataclass(frozen=True)
class TryOutcome:
    kind: str
    message: str = ""
    #: the batch a BatchInDoubtError names
    batch: int | None = None
    result: dict[str, Any] | None = None


def outcome_of(execute: Callable[[], Any]) -> TryOutcome:
    """Run one try and say how it ended, the way Airflow tells retry from failure."""
    try:
        result = execute()
    except AirflowFailException as exc:
        cause = exc.__cause__
        if isinstance(cause, BatchInDoubtError):
            return TryOutcome(IN_DOUBT, str(exc), batch=cause.batch)
        if isinstance(cause, PermanentAPIError) and cause.disposition is Disposition.RESIGN:
            # signed again and refused again: the task fails for a person to check the clock
            return TryOutcome(CLOCK, str(exc))
        return TryOutcome(FAILED, str(exc))
    except (RetryableAPIError, CreateInDoubtError) as exc:
        return TryOutcome(RETRY, str(exc))
    except Exception as exc:
        # Airflow would retry this too, but nothing in these scenarios should raise it
        return TryOutcome(FAILED, f"unexpected {type(exc).__name__}: {exc}")
    return TryOutcome(SUCCESS, result=result)


def _try_in_child(
    operator: Any,
    context: dict[str, Any],
    pipe: Any,
    sinks: dict[str, Path],
    counters: dict[str, LogCounter],
    pause: Callable[[str, Any], None],
) -> None:
    for name, counter in counters.items():
        counter.sink = sinks[name]
    context["task_state_store"].after_set = pause
    pipe.send(outcome_of(lambda: operator.execute(context)))
    pipe.close()


class Kill:
    """SIGKILLs the try running in a child process while one of its sends is in flight.

    Deterministic, so the same seed gives the same run: the child pauses right after it
    records batch ``after_batches`` done; the parent then has the simulator hold the
    platform's next send (a ``latency`` fault) and lets the child go on; the moment the
    simulator has that send, the child is killed. The simulator drops a request whose
    client is gone before it reads the body, so the batch stays in flight in the
    progress record, and unsent.
    """

    def __init__(self, sim: Any, platform: str, endpoint: str, after_batches: int) -> None:
        self.sim = sim
        self.platform = platform
        self.endpoint = endpoint
        self.after_batches = after_batches
        self.armed = False
        self.done = False
        self._held_before = 0

    def pause_point(self, control: Any) -> Callable[[str, Any], None]:
        """The child's hook on its progress record: at the kill point, wait for the parent to arm."""
        paused = False

        def saved(key: str, value: Any) -> None:
            nonlocal paused
            if paused or key != STORE_KEY:
                return
            progress = Progress.from_json(value)
            if progress.batches_done() >= self.after_batches and not progress.in_flight:
                paused = True
                control.send("paused")
                control.recv()

        return saved

    def _held(self) -> int:
        return sum(
            1
            for fault in self.sim.faults.history()
            if fault.kind is FaultKind.LATENCY and fault.platform == self.platform
        )

    def arm(self) -> None:
        self._held_before = self._held()
        self.sim.faults.next(FaultKind.LATENCY, endpoint=self.endpoint, platform=self.platform)
        self.armed = True

    def due(self) -> bool:
        """True once the simulator holds the armed send: the child is waiting for its answer."""
        return self.armed and self._held() > self._held_before

    def settle(self) -> None:
        """Wait until the simulator is done with the held request (it sleeps KILL_LATENCY_MS first)."""
        time.sleep(KILL_LATENCY_MS / 1000 + 0.3)


def run_try_in_child(
    operator: Any, run: DurableTaskRun, context: dict[str, Any], kill: Kill, instruments: Instruments
) -> TryOutcome:
    """One try in a forked process; killed when ``kill`` says so."""
    counters = instruments.counters()
    sinks = {name: run.store.path.with_name(f"{name}.{run.ti.try_number}") for name in counters}
    mp = multiprocessing.get_context("fork")
    reader, writer = mp.Pipe(duplex=False)
    control, child_control = mp.Pipe()
    child = mp.Process(
        target=_try_in_child,
        args=(operator, context, writer, sinks, counters, kill.pause_point(child_control)),
        daemon=True,
    )
    child.start()
    writer.close()
    child_control.close()
    deadline = time.monotonic() + TRY_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if reader.poll(0.001):
                outcome: TryOutcome = reader.recv()
                child.join()
                return outcome
            if not child.is_alive():
                return TryOutcome(FAILED, f"the try's process ended without an outcome ({child.exitcode})")
            if not kill.armed and control.poll():
                control.recv()
                kill.arm()
                control.send("go on")
            if kill.due():
                assert child.pid is not None
                os.kill(child.pid, signal.SIGKILL)
                child.join()
                kill.done = True
                kill.settle()
                return TryOutcome(KILLED, f"try {run.ti.try_number} killed with SIGKILL mid-send")
        child.kill()
        child.join()
        return TryOutcome(FAILED, f"try {run.ti.try_number} did not end within {TRY_TIMEOUT_S} s")
    finally:
        reader.close()
        control.close()
        for name, counter in counters.items():
            counter.add_from(sinks[name])


# ----- the SMS campaigns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsPlatform:
    """One platform's bulk SMS path, as the scenario drives it."""

    name: str
    #: the send endpoint's name in the platform's table
    endpoint: str
    batch_size: int
    #: the operator for ``recipients`` and ``in_doubt``
    operator: Callable[..., Any]
    #: a recipient as the vendor's ledger writes it
    ledger_number: Callable[[str], str] = str


def _buka_sms(**kwargs: Any) -> Any:
    from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

    return BukaSendSmsOperator(task_id="send_sms", text=TEXT, **kwargs)


def _nxcloud_sms(**kwargs: Any) -> Any:
    from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

    return NXCloudSendSmsOperator(task_id="send_sms", text=TEXT, api="v2", **kwargs)


def _fonedynamics_sms(**kwargs: Any) -> Any:
    from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator

    return FoneDynamicsSendSmsOperator(task_id="send_sms", text=TEXT, **kwargs)


SMS_PLATFORMS: dict[str, SmsPlatform] = {
    "buka": SmsPlatform("buka", "sms_send", buka_vendor.SMS_MAX_NUMBERS, _buka_sms),
    "nxcloud": SmsPlatform("nxcloud", "sms_send_v2", nxcloud_vendor.SMS_MAX_NUMBERS, _nxcloud_sms),
    "fonedynamics": SmsPlatform(
        "fonedynamics",
        "send_batch",
        fonedynamics_vendor.BATCH_MAX_MESSAGES,
        _fonedynamics_sms,
        ledger_number=lambda number: f"+{number}",
    ),
}


@dataclass
class Report:
    """What one scenario did: one row of the published table."""

    scenario: str
    #: recipients (SMS) or task instances (creates)
    size: int
    unit: str
    faults: dict[str, int] = field(default_factory=dict)
    #: Airflow tries beyond the first: automatic retries, the killed try's retry, a person's re-runs
    task_retries: int = 0
    in_hook_retries: int = 0
    #: a person's in_doubt decisions
    decisions: Counter[str] = field(default_factory=Counter)
    #: batches in doubt that a lookup settled without a person (Fone Dynamics)
    looked_up: int = 0
    killed: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds: float = 0.0
    backoff_s: float = 0.0
    requests: int = 0
    #: "success", or why the scenario did not finish
    outcome: str = SUCCESS

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCESS and self.lost == 0 and self.duplicated == 0


class InDoubtMismatch(AssertionError):
    """The task named a batch in doubt that the simulator's records do not bear out."""


def batch_of(recipients: Sequence[str], size: int, index: int) -> list[str]:
    return list(recipients[index * size : (index + 1) * size])


def check_in_doubt(
    sim: Any,
    platform: SmsPlatform,
    run: DurableTaskRun,
    recipients: Sequence[str],
    outcome: TryOutcome,
    campaign: str,
) -> bool:
    """Check a BatchInDoubtError against the simulator; True when the vendor accepted the batch.

    The message names exactly one batch, with its positions and client reference; the
    progress record has exactly that batch in flight; the simulator's last fault on the
    send endpoint is one that loses the answer (or the kill's held request); and the
    vendor holds all of the batch (reset_after, http_503_after) or none of it (every other one).
    """
    index = outcome.batch
    assert index is not None
    members = batch_of(recipients, platform.batch_size, index)
    first = index * platform.batch_size + 1
    named = (
        f"batch {index} (recipients {first}-{first + len(members) - 1}, client reference {campaign}-{index})"
    )
    if named not in outcome.message or re.findall(r"\bbatch (\d+)", outcome.message) != [str(index)]:
        raise InDoubtMismatch(f"expected the message to name only {named!r}: {outcome.message}")
    in_flight = run.progress().in_flight
    if in_flight != [index]:
        raise InDoubtMismatch(f"batch {index} named in doubt, but the record has {in_flight} in flight")
    sends = [
        f.kind for f in sim.faults.history() if (f.platform, f.endpoint) == (platform.name, platform.endpoint)
    ]
    last = sends[-1] if sends else None
    lost = answer_lost(platform.name, last)
    if not lost and last is not FaultKind.LATENCY:
        raise InDoubtMismatch(f"batch {index} named in doubt, but its last send met {last}")
    wanted = {platform.ledger_number(number) for number in members}
    held = sum(
        1 for entry in sim.ledger.entries(platform=platform.name, kind="sms") if entry.recipient in wanted
    )
    if held not in (0, len(members)):
        raise InDoubtMismatch(f"the vendor holds {held} of batch {index}'s {len(members)} recipients")
    accepted = held == len(members)
    if lost and accepted != (last in PROCESSED_ANYWAY):
        raise InDoubtMismatch(f"batch {index} met {last} but the vendor {'has' if accepted else 'lacks'} it")
    return accepted


def tally(
    sim: Any, platform: str, kind: str, expected: Sequence[str], key: Callable[[Any], str | None]
) -> tuple[int, int]:
    """(lost, duplicated): expected keys the vendor never accepted, and extra acceptances.

    ``key`` reads an entry's key (the recipient of a message, the task instance of a created object).
    """
    seen = Counter(key(entry) for entry in sim.ledger.entries(platform=platform, kind=kind))
    wanted = Counter(expected)
    lost = sum(1 for key in wanted if seen[key] == 0)
    duplicated = sum(n - 1 for key, n in seen.items() if key in wanted and n > 1)
    duplicated += sum(n for key, n in seen.items() if key not in wanted)
    return lost, duplicated


def campaign_key_of(run: DurableTaskRun) -> str:
    from airflow_provider_nxcloud.campaign.progress import campaign_key

    ti = run.ti
    return campaign_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


class SmsCampaign:
    """One campaign of ``size`` recipients through one platform, under the seeded faults."""

    def __init__(
        self,
        sim: Any,
        platform_name: str,
        size: int,
        workdir: Path,
        *,
        seed: int = SEED,
        kill_after: float | None = 1 / 3,
        retries: int = RETRIES,
        plan: FaultPlan | None = None,
    ) -> None:
        self.sim = sim
        self.platform = platform = SMS_PLATFORMS[platform_name]
        self.size = size
        self.plan = plan or fault_plan(seed)
        self.retries = retries
        self.recipients = numbers(size)
        self.run = DurableTaskRun(
            workdir / f"{platform.name}-sms", dag_id="reliability", task_id=f"send_{platform.name}"
        )
        self.campaign = campaign_key_of(self.run)
        batches = -(-size // platform.batch_size)
        self.kill = Kill(
            sim, platform.name, platform.endpoint, after_batches=max(1, int(batches * (kill_after or 0)))
        )
        # kill_after=None: no try is killed, as if the kill were behind
        self.kill.done = kill_after is None
        self.report = Report(f"{platform.name} SMS", size, "recipients")

    def operator(self, decision: tuple[str, int] | None) -> Any:
        if decision is None:
            return self.platform.operator(recipients=self.recipients)
        policy, index = decision
        # a prefix of the list: the same batches up to the one decided, and no other
        prefix = self.recipients[: (index + 1) * self.platform.batch_size]
        return self.platform.operator(recipients=prefix, in_doubt=policy)

    def one_try(
        self, decision: tuple[str, int] | None, context: dict[str, Any], hooks: Instruments
    ) -> TryOutcome:
        operator = self.operator(decision)
        if not self.kill.done and decision is None:
            return run_try_in_child(operator, self.run, context, self.kill, hooks)
        return outcome_of(lambda: operator.execute(context))

    def tries(self, hooks: Instruments) -> str:
        """Try after try until the campaign succeeds; ``SUCCESS`` or why it stopped."""
        decision: tuple[str, int] | None = None
        in_a_row = 0
        context = self.run.context()
        while self.run.ti.try_number <= MAX_TRIES:
            outcome = self.one_try(decision, context, hooks)
            # a person's run over part of the list ends before the campaign does
            partial = decision is not None and (decision[1] + 1) * self.platform.batch_size < self.size
            decision = None
            if outcome.kind == SUCCESS and not partial:
                return SUCCESS
            if outcome.kind == IN_DOUBT:
                accepted = check_in_doubt(
                    self.sim, self.platform, self.run, self.recipients, outcome, self.campaign
                )
                assert outcome.batch is not None
                decision = ("skip" if accepted else "resend", outcome.batch)
                self.report.decisions[decision[0]] += 1
                in_a_row = 0
            elif outcome.kind == CLOCK:
                # the seeded plan expired a re-signed timestamp too; the clock is fine, a person re-runs
                self.report.decisions["clear"] += 1
                in_a_row = 0
            elif outcome.kind == KILLED:
                self.report.killed += 1
            elif outcome.kind == RETRY:
                in_a_row += 1
                if in_a_row > self.retries:
                    # the retries are used up and the task failed; a person clears it
                    self.report.decisions["clear"] += 1
                    in_a_row = 0
            elif outcome.kind == FAILED:
                return f"failed: {outcome.message}"
            context = self.run.retry()
        return f"still not sent after {MAX_TRIES} tries"

    def __call__(self) -> Report:
        sim, report = self.sim, self.report
        sim.reset()
        sim.clock.set_time_scale(0)
        sim.faults.set(self.plan)
        started = time.monotonic()
        with instrumented_hooks() as hooks:
            report.outcome = self.tries(hooks)
            report.in_hook_retries = hooks.retries.count
            report.looked_up = hooks.lookups.count
            report.backoff_s = sum(hooks.waits)
        report.seconds = time.monotonic() - started
        report.task_retries = self.run.ti.try_number - 1
        report.faults = sim.faults.counts()
        report.requests = sim.requests.total()
        expected = [self.platform.ledger_number(number) for number in self.recipients]
        report.lost, report.duplicated = tally(
            sim, self.platform.name, "sms", expected, key=lambda entry: entry.recipient
        )
        return report


def run_sms_campaign(sim: Any, platform_name: str, size: int, workdir: Path, **options: Any) -> Report:
    """Send one campaign of ``size`` recipients through ``platform_name`` under the seeded faults."""
    return SmsCampaign(sim, platform_name, size, workdir, **options)()


# ----- creates: a voice task, a privacy-number binding ---------------------------------------------


@dataclass(frozen=True)
class CreateScenario:
    scenario: str
    platform: str
    #: the create endpoint, whose first request per task instance is accepted with its answer lost
    endpoint: str
    ledger_kind: str
    task_id: str
    #: the operator of task instance ``i``
    operator: Callable[[int], Any]


def _voice_task(index: int) -> Any:
    from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaCreateVoiceTaskOperator

    return BukaCreateVoiceTaskOperator(
        task_id="create_voice_task",
        numbers=numbers(3 * (index + 1))[-3:],
        task_name="reliability",
        text="Hello from the reliability campaign",
        language="EN",
    )


def _binding(index: int) -> Any:
    from airflow_provider_nxcloud.operators.nxcloud_pns import NXCloudBindNumberOperator

    phone_a, phone_b = numbers(2 * (index + 1))[-2:]
    return NXCloudBindNumberOperator(task_id="bind", phone_a=phone_a, phone_b=phone_b, expire_seconds=3600)


CREATES: dict[str, CreateScenario] = {
    "voice_task": CreateScenario(
        "buka voice task create",
        "buka",
        "voice_task_create",
        "voice_task",
        "create_voice_task",
        _voice_task,
    ),
    "binding": CreateScenario(
        "nxcloud PNS bind",
        "nxcloud",
        nxcloud_vendor.PNS_MODES["AXB"].endpoint,
        "binding",
        "bind",
        _binding,
    ),
}


def run_creates(
    sim: Any, name: str, instances: int, workdir: Path, *, seed: int = SEED, retries: int = RETRIES
) -> Report:
    """``instances`` task instances each create one object; the first create of each loses its answer."""
    scenario = CREATES[name]
    report = Report(scenario.scenario, instances, "task instances")
    sim.reset()
    sim.clock.set_time_scale(0)
    sim.faults.set(fault_plan(seed))
    started = time.monotonic()
    keys: list[str] = []
    with instrumented_hooks() as hooks:
        for index in range(instances):
            run = DurableTaskRun(
                workdir / f"{name}-{index}", dag_id="reliability", task_id=scenario.task_id, map_index=index
            )
            keys.append(campaign_key_of(run))
            # accepted, answer lost: the create's first request for this task instance
            sim.faults.next(FaultKind.RESET_AFTER, endpoint=scenario.endpoint, platform=scenario.platform)
            context, in_a_row = run.context(), 0
            while True:
                operator = scenario.operator(index)
                outcome = outcome_of(lambda op=operator, ctx=context: op.execute(ctx))
                if outcome.kind == SUCCESS:
                    break
                if outcome.kind == CLOCK or (outcome.kind == RETRY and in_a_row >= retries):
                    report.decisions["clear"] += 1  # as for the SMS campaigns
                    in_a_row = 0
                elif outcome.kind != RETRY or run.ti.try_number >= MAX_TRIES:
                    report.outcome = f"task instance {index}: {outcome.kind}: {outcome.message}"
                    break
                else:
                    in_a_row += 1
                context = run.retry()
            report.task_retries += run.ti.try_number - 1
            if report.outcome != SUCCESS:
                break
        report.in_hook_retries = hooks.retries.count
        report.backoff_s = sum(hooks.waits)
    report.seconds = time.monotonic() - started
    report.faults = sim.faults.counts()
    report.requests = sim.requests.total()
    # the task name and the customerBindId both end in the task instance's campaign key
    report.lost, report.duplicated = tally(
        sim,
        scenario.platform,
        scenario.ledger_kind,
        keys,
        key=lambda entry: str(entry.client_reference).rsplit("-", 1)[-1],
    )
    return report


# ----- the published table -------------------------------------------------------------------------

COLUMNS = (
    "scenario",
    "size",
    "faults injected by kind",
    "task retries",
    "in-hook retries",
    "in doubt: lookup / person",
    "cleared by a person",
    "killed tries",
    "lost",
    "duplicated",
    "wall time",
)


def _faults_text(faults: Mapping[str, int]) -> str:
    total = sum(faults.values())
    return f"{total}: " + ", ".join(f"{kind} {n}" for kind, n in sorted(faults.items())) if total else "0"


def row(report: Report) -> list[str]:
    person = ", ".join(
        f"{policy} {report.decisions[policy]}" for policy in ("skip", "resend") if report.decisions[policy]
    )
    return [
        report.scenario
        if report.outcome == SUCCESS
        else f"{report.scenario} (NOT FINISHED: {report.outcome})",
        f"{report.size:,} {report.unit}",
        _faults_text(report.faults),
        str(report.task_retries),
        str(report.in_hook_retries),
        f"{report.looked_up} / {person or 0}",
        str(report.decisions["clear"]),
        str(report.killed),
        str(report.lost),
        str(report.duplicated),
        f"{report.seconds:.1f} s",
    ]


def markdown_table(reports: Sequence[Report]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(row(report)) + " |" for report in reports]
    return "\n".join(lines)


def text_table(reports: Sequence[Report]) -> str:
    rows = [list(COLUMNS), *(row(report) for report in reports)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    rendered = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)) for r in rows]
    rendered.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in rendered)
