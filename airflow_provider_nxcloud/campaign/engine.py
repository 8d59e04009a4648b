"""The send loop every campaign operator shares: exactly once per recipient across task retries.

For each batch, in order:

1. done in an earlier try → skipped;
2. in flight in an earlier try (that try died, or its answer was lost) →
   looked up by its client reference; accepted → recorded as done, not sent;
   provably absent → sent; unknown → the ``in_doubt`` policy decides (by
   default the task fails naming the batch: nothing is re-sent silently);
3. otherwise recorded as in flight, sent, its results written, recorded done.

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

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_nxcloud.campaign.fingerprint import (
    SOURCE_CHANGED_POLICIES,
    SourceCheck,
    SourceRecord,
    batch_digest,
)
from airflow_provider_nxcloud.campaign.progress import ProgressStore
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, Recipient, chunked
from airflow_provider_nxcloud.campaign.results import RecipientResult, ResultsWriter
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    InvalidInputError,
    VendorAPIError,
)

log = logging.getLogger(__name__)

IN_DOUBT_POLICIES = ("fail", "skip", "resend")


@dataclass(frozen=True)
class Batch:
    index: int
    recipients: list[Recipient]
    #: the campaign key: with the index, a client reference stable across tries
    campaign: str
    #: 1-based position of the first recipient in the campaign
    first_position: int

    @property
    def reference(self) -> str:
        return f"{self.campaign}-{self.index}"

    def recipient_reference(self, position: int) -> str:
        """The client reference of the ``position``-th recipient (0-based) of this batch."""
        return f"{self.campaign}-{self.index}-{position}"

    @property
    def numbers(self) -> list[str]:
        return [recipient.number for recipient in self.recipients]


class Sender(Protocol):
    """One platform's way of sending a batch and of looking a batch up afterwards."""

    platform: str
    #: the vendor's per-request limit
    max_batch: int
    number_format: NumberFormat
    # A sender may also have ``batch_group(number) -> key``: then every batch holds numbers
    # of one key only (NXCloud voice: one country code per request).

    def send(self, batch: Batch) -> list[RecipientResult]:
        """Send the batch; per-recipient results, or a VendorAPIError for the whole batch."""
        ...

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        """What the vendor holds of a batch sent before: its results if it was accepted,
        ``[]`` if the vendor provably has none of it, ``None`` if the vendor cannot tell."""
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
    #: batches in doubt left unsent by ``in_doubt="skip"``
    skipped_batches: list[int] = field(default_factory=list)
    vendor_ids: list[str] = field(default_factory=list)
    rejections: dict[str, int] = field(default_factory=dict)

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
        in_doubt: str = "fail",
        max_concurrency: int = 1,
        source_changed: str = "fail",
        source_parameter: str = "recipients",
    ) -> None:
        """``source_changed``: what a try does when the batches an earlier try recorded
        now hold other recipients: ``"fail"`` (default, before anything is sent, naming
        the batch) or ``"resume_by_position"``. ``source_parameter`` names the recipients
        parameter in that error."""
        if source_changed not in SOURCE_CHANGED_POLICIES:
            raise InvalidInputError(
                "source_changed",
                f"must be one of {', '.join(SOURCE_CHANGED_POLICIES)}, not {source_changed!r}",
            )
        self.source_changed = source_changed
        self.source_parameter = source_parameter
        if in_doubt not in IN_DOUBT_POLICIES:
            raise InvalidInputError(
                "in_doubt", f"must be one of {', '.join(IN_DOUBT_POLICIES)}, not {in_doubt!r}"
            )
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidInputError(
                "max_concurrency", f"must be a whole number of at least 1, not {max_concurrency!r}"
            )
        self.max_concurrency = max_concurrency
        self.sender = sender
        self.store = store
        self.writer = writer
        self.in_doubt = in_doubt
        self.progress = store.load()
        self.summary = CampaignSummary(accepted=self.progress.accepted, rejected=self.progress.rejected)
        #: batches in_doubt="resend" sent again in this try
        self._resent: set[int] = set()
        #: an error was seen while sends were in flight: nothing new is sent from then on
        self._stopping = False

    def run(self, batches: Iterable[Batch]) -> CampaignSummary:
        batches = self._checked_against_record(batches)
        if self.max_concurrency > 1:
            self._run_concurrently(batches)
        else:
            for batch in batches:
                if self._due(batch):
                    self._send(batch)
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
        earlier = "an earlier try sent it and did not record the answer"
        return not self.progress.is_in_flight(batch.index) or self._settle(batch, earlier)

    def _start(self, batch: Batch) -> None:
        self.progress.start(batch.index, batch_digest(batch.numbers))
        self.store.save(self.progress)

    def _send(self, batch: Batch) -> None:
        self._start(batch)
        self._complete(batch, lambda: self.sender.send(batch))

    def _complete(self, batch: Batch, outcome: Callable[[], list[RecipientResult]]) -> None:
        """Record what the send of ``batch`` came to (``outcome`` returns its results or raises)."""
        try:
            results = outcome()
        except AmbiguousSendError as exc:
            log.warning("batch %d: the answer was lost (%s); looking it up", batch.index, exc.meaning)
            if self._settle(batch, f"the answer to its send was lost ({exc.meaning})"):
                if self._stopping:
                    # another batch failed meanwhile: it is left unsent (not done) for the next try
                    self.store.save(self.progress)
                    return
                # settled as provably not accepted: sending now is the first send the vendor sees
                self._send(batch)
            return
        except VendorAPIError:
            self.progress.abandon(batch.index)
            self.store.save(self.progress)
            raise
        self._record(batch, results)

    def _run_concurrently(self, batches: Iterable[Batch]) -> None:
        """Sends in up to ``max_concurrency`` worker threads; all recording in this thread."""
        in_flight: dict[Future[list[RecipientResult]], Batch] = {}
        failure: Exception | None = None
        name = f"{self.sender.platform}-send"
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix=name) as pool:
            try:
                # the next batch is read (and its recipients checked) while the sends are in
                # flight, so it is ready the moment a send slot frees up
                for batch in batches:
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

    def _complete_some(self, in_flight: dict[Future[list[RecipientResult]], Batch]) -> None:
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
        """Resolve a batch in doubt. True when it must be sent (provably not accepted, or resend)."""
        found = self.sender.lookup(batch)
        if found:
            log.info("batch %d: the vendor has it; recording it without sending again", batch.index)
            self.summary.resolved_batches += 1
            self._record(batch, found)
            return False
        if found == []:
            log.info("batch %d: the vendor has none of it; sending it", batch.index)
            self.summary.resolved_batches += 1
            self.progress.abandon(batch.index)
            return True
        if self.in_doubt == "resend" and batch.index not in self._resent:
            log.warning("batch %d is in doubt and in_doubt='resend': sending it again", batch.index)
            # Once per try: if the answer to the resend is lost too, the vendor may now hold the
            # batch, and a third send could deliver it twice; the task fails naming it instead.
            self._resent.add(batch.index)
            return True
        if self.in_doubt == "skip":
            log.warning("batch %d is in doubt and in_doubt='skip': not sending it", batch.index)
            self.summary.skipped_batches.append(batch.index)
            self.progress.abandon(batch.index)
            self.progress.finish(batch.index, 0, 0)
            self.store.save(self.progress)
            return False
        last = batch.first_position + len(batch.recipients) - 1
        raise BatchInDoubtError(
            platform=self.sender.platform,
            batch=batch.index,
            reference=batch.reference,
            first=batch.first_position,
            last=last,
            why=why,
        )

    def _record(self, batch: Batch, results: list[RecipientResult]) -> None:
        accepted = sum(1 for result in results if result.accepted)
        rejected = len(results) - accepted
        for result in results:
            if not result.accepted:
                reason = result.error or "rejected"
                self.summary.rejections[reason] = self.summary.rejections.get(reason, 0) + 1
        # results first: a done batch must never lack its results lines
        self.writer.write(batch.index, results)
        self.progress.finish(batch.index, accepted, rejected)
        self.store.save(self.progress)
        self.summary.accepted = self.progress.accepted
        self.summary.rejected = self.progress.rejected
