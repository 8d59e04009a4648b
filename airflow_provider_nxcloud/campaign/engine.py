"""The send loop every campaign operator shares: exactly once per recipient across task retries.

For each batch, in order:

1. done in an earlier try → skipped;
2. in flight in an earlier try (that try died, or its answer was lost) →
   looked up by its client reference (again after the sender's settle delay,
   for record lists that lag); accepted → recorded as done, not sent; provably
   absent → sent; unknown → in doubt (below);
3. otherwise recorded as in flight, sent, its results written, recorded done.

A batch in doubt is settled only by a decision that names it (its reference):
``"skip"`` (recorded done and unsent, its recipients written as ``skipped``),
``"resend"`` (sent once more; a decision is used once) or ``"fail"``. A batch
in doubt without a decision stops new sends; the batches already in flight
finish, and the run ends with one :class:`BatchInDoubtError` naming every batch
in doubt. Nothing is ever re-sent or dropped by a blanket policy. The operator
turns that error into a question to a person (Airflow's Human-in-the-loop) or a
failure.

A vendor error on a send proves the batch was not accepted: the batch is
taken off the in-flight list and the error goes up (retryable ones to
Airflow's retries, which resume here).

With ``max_concurrency`` above 1, up to that many sends are in flight at once,
each in a worker thread; everything else stays in the calling thread, in the
order things happen: a batch is recorded in flight (and saved) before its send
starts, its results and "done" after its send returns, lost answers are settled
there too, so progress saves never interleave. The first error stops new sends;
the batches already in flight finish and are recorded before it goes up.

Progress is bound to content: each batch's digest is recorded with it, and a try
that finds recorded batches first compares them with what the source reads now
(``fingerprint.SourceCheck``); a changed one fails the task before anything is sent,
unless ``source_changed="resume_by_position"``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from airflow_provider_nxcloud import metrics
from airflow_provider_nxcloud.campaign.fingerprint import (
    SOURCE_CHANGED_POLICIES,
    SourceCheck,
    SourceRecord,
    batch_digest,
)
from airflow_provider_nxcloud.campaign.progress import ProgressStore
from airflow_provider_nxcloud.campaign.progress_log import ProgressLog
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, PlainRun, Recipient, chunked
from airflow_provider_nxcloud.campaign.results import (
    ACCEPTED,
    SUPPRESSED,
    RecipientResult,
    ResultsWriter,
    accepted_count,
)
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    InDoubtBatch,
    InvalidInputError,
    VendorAPIError,
    check_seconds,
)

log = logging.getLogger(__name__)

#: what may be decided about one batch in doubt
DECISIONS = ("skip", "resend", "fail")


@dataclass(frozen=True)
class Batch:
    index: int
    #: a :class:`PlainRun` for the usual batch, read from the spool without a tuple per recipient
    recipients: Sequence[Recipient]
    #: the campaign key: with the index, a client reference stable across tries
    campaign: str
    #: 1-based position of the first recipient in the campaign
    first_position: int
    #: when its request was written (epoch seconds, whole seconds as the progress record keeps
    #: them): set on the batch a lookup gets, so a sender can bound its search by it
    sent_at: float | None = field(default=None, compare=False)
    #: the recipients' quiet-hours group (their window and time zones, :mod:`.quiet_hours`):
    #: a hold check may keep the batch for later; empty: none applies
    time_zone_group: tuple[Any, ...] = ()
    #: its recipients are on the suppression list: recorded as ``suppressed``, never sent
    suppressed: bool = False

    @property
    def reference(self) -> str:
        return f"{self.campaign}-{self.index}"

    def recipient_reference(self, position: int) -> str:
        """The client reference of the ``position``-th recipient (0-based) of this batch."""
        return f"{self.campaign}-{self.index}-{position}"

    @functools.cached_property
    def numbers(self) -> list[str]:
        """The recipients' numbers (made once: the digest, the request and the results all read them)."""
        if type(self.recipients) is PlainRun:
            return self.recipients.values
        return [recipient.number for recipient in self.recipients]


class Sender(Protocol):
    """One platform's way of sending a batch and of looking a batch up afterwards."""

    platform: str
    #: the vendor's per-request limit
    max_batch: int
    number_format: NumberFormat
    # A sender may also have ``batch_group(number) -> key``: then every batch holds numbers
    # of one key only (NXCloud voice: one country code per request).

    def send(self, batch: Batch) -> Sequence[RecipientResult]:
        """Send the batch; per-recipient results, or a VendorAPIError for the whole batch."""
        ...

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """What the vendor holds of a batch sent before: its results if it was accepted,
        ``[]`` if the vendor's records show none of it, ``None`` if the vendor cannot tell.

        ``[]`` is taken as absence only when it is seen again ``settle_delay`` seconds
        after the batch was sent (a sender may set ``settle_delay``; without one, ``[]``
        leaves the batch in doubt): a list that lags must not make a late send look absent.
        """
        ...


@dataclass
class CampaignSummary:
    batches: int = 0
    accepted: int = 0
    rejected: int = 0
    #: batches found done from an earlier try (not sent again)
    resumed_batches: int = 0
    #: batches in doubt that a lookup settled
    resolved_batches: int = 0
    #: batches in doubt left unsent by a "skip" decision
    skipped_batches: list[int] = field(default_factory=list)
    vendor_ids: list[str] = field(default_factory=list)
    rejections: dict[str, int] = field(default_factory=dict)
    #: batches (and their recipients) a hold check kept for later in this run: not sent, not recorded
    held_batches: int = 0
    held_recipients: int = 0
    #: the quiet-hours groups of the held batches, for when to run again
    held_groups: set[tuple[Any, ...]] = field(default_factory=set)
    #: batches in doubt a decision settled in this run: ``{"batch", "reference", "decision"
    #: ("skip"|"resend"), "by" (a person, or "in_doubt_decisions"), "recipients"}``
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def to_xcom(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "resumed_batches": self.resumed_batches,
            "resolved_batches": self.resolved_batches,
            "skipped_batches": self.skipped_batches,
            "rejections": self.rejections,
            "vendor_ids": self.vendor_ids,
        }


def make_batches(
    recipients: Iterable[Recipient],
    size: int,
    campaign: str,
    *,
    group: Callable[[str], object] | None = None,
) -> Iterator[Batch]:
    """Batches of at most ``size``; with ``group``, a batch also ends where ``group(number)`` changes."""
    key = (lambda recipient: group(recipient.number)) if group is not None else None
    position = 1
    for index, chunk in enumerate(chunked(recipients, size, key=key)):
        yield Batch(index, chunk, campaign, position)
        position += len(chunk)


class Campaign:
    """Runs batches through a sender, recording progress so a retry resumes exactly."""

    def __init__(
        self,
        sender: Sender,
        store: ProgressStore,
        writer: ResultsWriter,
        *,
        decisions: Mapping[str, str] | None = None,
        settle_delay: float | None = None,
        max_concurrency: int = 1,
        source_changed: str = "fail",
        source_parameter: str = "recipients",
        total: int | None = None,
        hold: Callable[[Batch], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``decisions``: ``{batch reference: "skip"|"resend"|"fail"}`` for batches in doubt
        (the operator's ``in_doubt_decisions``; decisions a person made are in the progress
        record and win). ``settle_delay``: seconds after a batch's send before a lookup
        that finds none of it counts as absence (default: the sender's ``settle_delay``).
        ``source_changed``: what a try does when the batches an earlier try recorded
        now hold other recipients: ``"fail"`` (default, before anything is sent, naming
        the batch) or ``"resume_by_position"``. ``source_parameter`` names the recipients
        parameter in that error. ``total``: the campaign's recipients, for the progress lines'
        share and time left (:mod:`.progress_log`). ``hold(batch)``: True keeps a batch that
        is not done for a later run (quiet hours): it is neither sent nor recorded, and a
        batch in flight from an earlier try is not looked up until it is no longer held."""
        if source_changed not in SOURCE_CHANGED_POLICIES:
            raise InvalidInputError(
                "source_changed",
                f"must be one of {', '.join(SOURCE_CHANGED_POLICIES)}, not {source_changed!r}",
            )
        self.source_changed = source_changed
        self.source_parameter = source_parameter
        self.decisions = check_decisions(decisions)
        if settle_delay is None:
            settle_delay = float(getattr(sender, "settle_delay", 0.0))
        self.settle_delay = check_seconds("settle_delay", settle_delay)
        self._hold = hold
        self._sleep = sleep
        self._clock = clock
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidInputError(
                "max_concurrency", f"must be a whole number of at least 1, not {max_concurrency!r}"
            )
        self.max_concurrency = max_concurrency
        self.sender = sender
        self.store = store
        self.writer = writer
        self.progress = store.load()
        self.summary = CampaignSummary(
            accepted=self.progress.accepted,
            rejected=self.progress.rejected,
            skipped_batches=sorted(self.progress.skipped),
        )
        #: an error, or a batch in doubt, was seen: nothing new is sent from then on
        self._stopping = False
        #: batches in doubt with no decision, in the order they were found
        self._undecided: list[InDoubtBatch] = []
        self._progress_log = ProgressLog(
            sender.platform, total, done_before=self.progress.accepted + self.progress.rejected
        )
        #: the first other error while batches were in doubt, for the message
        self._other_error: Exception | None = None

    def run(self, batches: Iterable[Batch]) -> CampaignSummary:
        """Send what is due; raise :class:`BatchInDoubtError` naming every batch left in doubt."""
        batches = self._checked_against_record(batches)
        try:
            if self.max_concurrency > 1:
                self._run_concurrently(batches)
            else:
                for batch in batches:
                    if self._stopping:
                        break
                    if self._due(batch):
                        self._send(batch)
        except BatchInDoubtError:
            raise
        except Exception as exc:
            if not self._undecided:
                raise
            self._other_error = exc
        if self._undecided:
            self.store.save(self.progress)
            raise BatchInDoubtError(self.sender.platform, self._undecided, also=self._other_error)
        self.summary.vendor_ids = self.writer.vendor_ids
        return self.summary

    def _checked_against_record(self, batches: Iterable[Batch]) -> Iterable[Batch]:
        """``batches``, refused before any send if those an earlier try recorded now hold others."""
        last = self.progress.last_recorded()
        if last < 0:
            return batches
        check = SourceCheck(
            self.progress.source,
            is_done=self.progress.is_done,
            is_in_flight=self.progress.is_in_flight,
            last_recorded=last,
            adopt=self._adopt_source,
            parameter=self.source_parameter,
            policy=self.source_changed,
        )
        return check.batches(batches)

    def _adopt_source(self, record: SourceRecord) -> None:
        self.progress.source = record

    def _due(self, batch: Batch) -> bool:
        """Count the batch; True when it must be sent now (not done, and not settled as sent before)."""
        self.summary.batches += 1
        if self.progress.is_done(batch.index):
            self.summary.resumed_batches += 1
            return False
        if batch.suppressed:
            self._suppress(batch)
            return False
        if self._hold is not None and self._hold(batch):
            self.summary.held_batches += 1
            self.summary.held_recipients += len(batch.recipients)
            self.summary.held_groups.add(batch.time_zone_group)
            return False
        earlier = "an earlier try sent it and did not record the answer"
        return not self.progress.is_in_flight(batch.index) or self._settle(batch, earlier)

    def _start(self, batch: Batch) -> None:
        self.progress.start(batch.index, batch_digest(batch.numbers), at=_iso(self._clock()))
        self.store.save(self.progress)

    def _send(self, batch: Batch) -> None:
        self._start(batch)
        self._complete(batch, lambda: self.sender.send(batch))

    def _complete(self, batch: Batch, outcome: Callable[[], Sequence[RecipientResult]]) -> None:
        """Record what the send of ``batch`` came to (``outcome`` returns its results or raises)."""
        try:
            results = outcome()
        except AmbiguousSendError as exc:
            log.warning("batch %d: the answer was lost (%s); looking it up", batch.index, exc.meaning)
            if self._settle(batch, f"the answer to its send was lost ({exc.meaning})"):
                if self._stopping:
                    # another batch failed or is in doubt: this one is left unsent (not done),
                    # and not in flight, for the next try
                    self.store.save(self.progress)
                    return
                # settled as not accepted (or a decision says resend): this send is the one the vendor keeps
                self._send(batch)
            return
        except VendorAPIError:
            self.progress.abandon(batch.index)
            self.store.save(self.progress)
            raise
        self._record(batch, results)

    def _run_concurrently(self, batches: Iterable[Batch]) -> None:
        """Sends in up to ``max_concurrency`` worker threads; all recording in this thread."""
        in_flight: dict[Future[Sequence[RecipientResult]], Batch] = {}
        failure: Exception | None = None
        name = f"{self.sender.platform}-send"
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix=name) as pool:
            try:
                # the next batch is read (and its recipients checked) while the sends are in
                # flight, so it is ready the moment a send slot frees up
                for batch in batches:
                    if self._stopping:
                        break
                    if not self._due(batch):
                        continue
                    while len(in_flight) >= self.max_concurrency:
                        self._complete_some(in_flight)
                    self._start(batch)
                    in_flight[pool.submit(self.sender.send, batch)] = batch
            except Exception as exc:
                # no new sends from here on; the ones in flight are still recorded below
                failure = exc
                self._stopping = True
            while in_flight:
                try:
                    self._complete_some(in_flight)
                except Exception as exc:
                    failure = failure or exc
        if failure is not None:
            raise failure

    def _complete_some(self, in_flight: dict[Future[Sequence[RecipientResult]], Batch]) -> None:
        """Wait for at least one send, record every finished one; then raise the first error, if any."""
        finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        first: Exception | None = None
        for future in sorted(finished, key=lambda done: in_flight[done].index):
            batch = in_flight.pop(future)
            try:
                self._complete(batch, future.result)
            except Exception as exc:
                first = first or exc
                self._stopping = True
        if first is not None:
            raise first

    def _settle(self, batch: Batch, why: str) -> bool:
        """Resolve a batch in doubt. True when it must be sent (shown absent, or a "resend" decision).

        False when it is done (the vendor has it, or "skip") or still undecided (then it
        stays in flight in the record and nothing new is sent in this try).
        """
        found = self._look_up(batch)
        if found:
            log.info("batch %d: the vendor has it; recording it without sending again", batch.index)
            self.summary.resolved_batches += 1
            self._record(batch, found)
            return False
        if found == []:
            log.info("batch %d: the vendor's records show none of it; sending it", batch.index)
            self.summary.resolved_batches += 1
            self.progress.abandon(batch.index)
            return True
        decision, by = self._decision(batch.reference)
        if decision in ("resend", "skip"):
            self.summary.decisions.append(
                {
                    "batch": batch.index,
                    "reference": batch.reference,
                    "decision": decision,
                    "by": by,
                    "recipients": len(batch.numbers),
                }
            )
        if decision == "resend":
            log.warning(
                "batch %d (%s) is in doubt; %s decided to send it again", batch.index, batch.reference, by
            )
            self.progress.use_resend(batch.reference)
            self.progress.abandon(batch.index)
            self.store.save(self.progress)
            return True
        if decision == "skip":
            log.warning(
                "batch %d (%s) is in doubt; %s decided not to send it", batch.index, batch.reference, by
            )
            self._skip(batch, by)
            return False
        in_doubt = self._in_doubt(batch, why)
        if decision == "fail":
            raise BatchInDoubtError(self.sender.platform, [in_doubt], decided_by=by)
        log.warning(
            "batch %d (%s) is in doubt: %s; nothing new is sent in this try",
            batch.index,
            batch.reference,
            why,
        )
        metrics.in_doubt(self.sender.platform)
        self._undecided.append(in_doubt)
        self._stopping = True
        return False

    def _look_up(self, batch: Batch) -> list[RecipientResult] | None:
        """The lookup; ``[]`` (absent) only once ``settle_delay`` has passed since the send.

        A lookup that finds nothing before then is made again when the delay is over: a
        record list that lags must neither make a late send look absent nor leave a batch
        the vendor lists by then in doubt.
        """
        sent = _epoch(self.progress.sent_at.get(batch.index))
        batch = replace(batch, sent_at=sent)
        if self.settle_delay <= 0:
            return self.sender.lookup(batch) or None
        wait = self.settle_delay - (self._clock() - sent) if sent is not None else self.settle_delay
        found = self.sender.lookup(batch)
        if found or wait <= 0:
            return found
        log.info(
            "batch %d: not in the vendor's records yet; looking again in %.0f s (records may lag)",
            batch.index,
            wait,
        )
        self._sleep(wait)
        return self.sender.lookup(batch)

    def _decision(self, reference: str) -> tuple[str | None, str]:
        """The decision on ``reference`` and who made it: a person's (recorded) before the DAG's."""
        recorded = self.progress.decisions.get(reference)
        if recorded is not None:
            return recorded.get("decision"), recorded.get("by") or "a person"
        decision = self.decisions.get(reference)
        if decision == "resend" and reference in self.progress.resent:
            # the DAG's decision was used by an earlier send of this batch, whose answer was lost too
            return None, ""
        return decision, "in_doubt_decisions"

    def _skip(self, batch: Batch, by: str) -> None:
        """Record the batch done and unsent, its recipients in the results file as ``skipped``."""
        note = f"in doubt; not sent again by decision of {by}"
        self.writer.write(
            batch.index,
            [
                RecipientResult(number, "skipped", None, batch.recipient_reference(position), note)
                for position, number in enumerate(batch.numbers)
            ],
        )
        self.progress.skip(batch.index)
        self.store.save(self.progress)
        if batch.index not in self.summary.skipped_batches:
            self.summary.skipped_batches.append(batch.index)

    def _suppress(self, batch: Batch) -> None:
        """Record the batch done and unsent, its recipients in the results file as ``suppressed``."""
        self.writer.write(
            batch.index,
            [
                RecipientResult(number, SUPPRESSED, None, None, "on the suppression list")
                for number in batch.numbers
            ],
        )
        # its digest is noted like a sent batch's: a later try with another suppression list is refused
        self.progress.start(batch.index, batch_digest(batch.numbers))
        self.progress.finish(batch.index, 0, 0)
        self.store.save(self.progress)

    def _in_doubt(self, batch: Batch, why: str) -> InDoubtBatch:
        return InDoubtBatch(
            index=batch.index,
            reference=batch.reference,
            first=batch.first_position,
            last=batch.first_position + len(batch.recipients) - 1,
            first_number=batch.numbers[0] if batch.numbers else "",
            last_number=batch.numbers[-1] if batch.numbers else "",
            sent_at=self.progress.sent_at.get(batch.index),
            why=why,
        )

    def _record(self, batch: Batch, results: Sequence[RecipientResult]) -> None:
        accepted = accepted_count(results)
        rejected = len(results) - accepted
        if rejected:
            for result in results:
                if result.status != ACCEPTED:
                    reason = result.error or "rejected"
                    self.summary.rejections[reason] = self.summary.rejections.get(reason, 0) + 1
        # results first: a done batch must never lack its results lines
        self.writer.write(batch.index, results)
        self.progress.finish(batch.index, accepted, rejected)
        self.store.save(self.progress)
        self.summary.accepted = self.progress.accepted
        self.summary.rejected = self.progress.rejected
        metrics.recipients(self.sender.platform, accepted, rejected)
        self._progress_log.note(self.progress.accepted, self.progress.rejected, len(self._undecided))


def check_decisions(decisions: Mapping[str, str] | None) -> dict[str, str]:
    """``in_doubt_decisions`` as ``{batch reference: decision}``, or InvalidInputError naming it."""
    if decisions is None:
        return {}
    if not isinstance(decisions, Mapping):
        raise InvalidInputError(
            "in_doubt_decisions",
            f"must map batch references to one of {', '.join(DECISIONS)}, not {type(decisions).__name__}",
        )
    checked: dict[str, str] = {}
    for reference, decision in decisions.items():
        if not isinstance(reference, str) or not reference:
            raise InvalidInputError(
                "in_doubt_decisions", f"keys are batch references (text), not {reference!r}"
            )
        if decision not in DECISIONS:
            raise InvalidInputError(
                "in_doubt_decisions",
                f"{reference!r}: the decision must be one of {', '.join(DECISIONS)}, not {decision!r}",
            )
        checked[reference] = decision
    return checked


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None
