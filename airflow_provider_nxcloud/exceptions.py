"""The one error hierarchy every layer of the provider speaks::

    NXCloudProviderError
    ├── InvalidInputError          rejected before any request was sent
    │   └── ConnectionConfigError  the Airflow connection is unusable
    └── VendorAPIError             a vendor call did not succeed
        ├── RetryableAPIError      a later try can succeed (Airflow retries apply)
        ├── PermanentAPIError      a retry cannot help (the task fails at once)
        └── AmbiguousSendError     a send may or may not have taken effect
    BatchInDoubtError              a campaign batch nobody can say was accepted or not
    CreateInDoubtError             a task or binding create whose reply was lost (retryable)
    DeliveryWaitError              a delivery wait that could not read the reports (retryable)

No Airflow imports: the operator layer turns these into task outcomes with
:func:`airflow_provider_nxcloud.outcome.airflow_outcome`. Messages never
carry credentials, signatures or request headers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_nxcloud.platforms.codes import Disposition


class NXCloudProviderError(Exception):
    """Base of everything this provider raises on purpose."""


class InvalidInputError(NXCloudProviderError, ValueError):
    """Input that is wrong before anything is sent; names the parameter at fault."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


def check_one_of(parameter: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` when it is one of ``choices``, else an InvalidInputError naming ``parameter``."""
    allowed = list(choices)
    if value not in allowed:
        raise InvalidInputError(parameter, f"must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def check_seconds(parameter: str, value: Any, *, allow_zero: bool = True) -> float:
    """``value`` (a number of seconds or a timedelta) as seconds, if a deadline can be built from it.

    Refuses what only fails later, on the way to a timedelta or a deadline: text, NaN,
    infinity, negatives (and 0 unless ``allow_zero``), and lengths past the calendar's end.
    """
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise InvalidInputError(parameter, f"must be a finite number of seconds, not {value!r}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise InvalidInputError(parameter, f"must be {least} seconds, not {value!r}")
    try:
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    except OverflowError:
        raise InvalidInputError(
            parameter, f"{value!r} seconds is past the last date a clock can hold"
        ) from None
    return float(seconds)


def check_encodable(parameter: str, value: Any) -> None:
    """Refuse text that cannot be encoded as UTF-8 (a lone surrogate such as ``"\\ud800"``).

    Such text fails only when a request body is encoded, after the batch was recorded in
    flight. Looks into the strings of mappings (keys too), lists and tuples.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(
                parameter,
                f"has a lone surrogate (U+{ord(value[exc.start]):04X}) at character {exc.start}, which no "
                "vendor can receive: it is not text (a badly decoded source?)",
            ) from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_encodable(parameter, key)
            check_encodable(parameter, item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_encodable(parameter, item)


class ConnectionConfigError(InvalidInputError):
    """An Airflow connection that cannot be used as configured."""

    def __init__(self, conn_id: str, field: str, problem: str) -> None:
        self.conn_id = conn_id
        self.field = field
        super().__init__(f"connection {conn_id!r} field {field!r}", problem)


class VendorAPIError(NXCloudProviderError):
    """A vendor call that did not succeed, with everything needed to act on it."""

    def __init__(
        self,
        *,
        platform: str,
        service: str,
        code: str | None,
        meaning: str,
        disposition: Disposition,
        endpoint: str,
        vendor_message: str = "",
        request_id: str | None = None,
        http_status: int | None = None,
        in_catalog: bool = True,
        detail: str = "",
    ) -> None:
        self.platform = platform
        self.service = service
        self.code = code
        self.meaning = meaning
        self.disposition = disposition
        self.endpoint = endpoint
        self.vendor_message = vendor_message
        self.request_id = request_id
        self.http_status = http_status
        #: False only for a vendor code the provider's catalog does not know
        self.in_catalog = in_catalog
        self.detail = detail
        super().__init__(self._describe())

    def _describe(self) -> str:
        code = f"code {self.code}" if self.code is not None else "no code"
        text = f"{self.platform}/{self.service} {code} ({self.meaning}) on {self.endpoint}"
        if not self.in_catalog:
            text += f"; {self.code} is not in the provider's {self.platform}/{self.service} code catalog"
        if self.vendor_message and self.vendor_message != self.meaning:
            text += f"; vendor says: {self.vendor_message}"
        if self.request_id:
            text += f"; request id {self.request_id}"
        if self.detail:
            text += f"; {self.detail}"
        return f"{text} [{self.disposition.value}]"


class RetryableAPIError(VendorAPIError):
    """A transient failure: the same call can succeed later."""

    #: whether the hook may repeat the call itself (reads, and sends the vendor provably refused)
    retry_in_hook: bool = False
    #: seconds the vendor asked the caller to wait (HTTP Retry-After), if it did
    retry_after: float | None = None


class PermanentAPIError(VendorAPIError):
    """A failure no retry can fix: wrong credentials, balance, invalid input, not found."""


class AmbiguousSendError(VendorAPIError):
    """A send whose outcome is unknown: the request was written, the answer was lost.

    Never answered by sending again: the caller resolves it by looking the
    send up by its client reference, or fails naming what is in doubt.
    """

    def __init__(self, *, client_reference: str | None = None, **kwargs: object) -> None:
        self.client_reference = client_reference
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def _describe(self) -> str:
        text = super()._describe()
        if self.client_reference:
            text += f"; client reference {self.client_reference}"
        return text + "; the send may have been accepted: look it up before sending again"


@dataclass(frozen=True)
class InDoubtBatch:
    """One batch that may have been accepted: what a person needs to check it at the vendor."""

    index: int
    #: the batch's client reference (the key of a decision)
    reference: str
    #: 1-based positions of its first and last recipient in the campaign
    first: int
    last: int
    first_number: str
    last_number: str
    #: when its request was written (ISO 8601 UTC), if known
    sent_at: str | None
    why: str

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def describe(self) -> str:
        when = f", sent {self.sent_at}" if self.sent_at else ""
        return (
            f"batch {self.index} (recipients {self.first}-{self.last}, client reference {self.reference}, "
            f"numbers {self.first_number} .. {self.last_number}{when}): {self.why}"
        )


class BatchInDoubtError(NXCloudProviderError):
    """Campaign batches that may have been accepted, and that no lookup could settle.

    Raised instead of re-sending or dropping them: the message names every batch in
    doubt (its reference, the positions and numbers of its recipients, when it was
    sent), so a person can check the vendor's console and decide per batch, through the
    send task's Human-in-the-loop question or ``in_doubt_decisions={reference:
    "skip"|"resend"}``.
    """

    def __init__(
        self,
        platform: str,
        batches: Sequence[InDoubtBatch],
        *,
        also: BaseException | None = None,
        decided_by: str | None = None,
    ) -> None:
        self.platform = platform
        self.batches = list(batches)
        first = self.batches[0]
        #: the first batch in doubt (the one a question asks about)
        self.batch = first.index
        self.reference = first.reference
        self.first = first.first
        self.last = first.last
        self.decided_by = decided_by
        if decided_by is not None:
            message = (
                f"{platform}: {first.describe()}. {decided_by} decided to fail the task; nothing was re-sent."
            )
        else:
            listed = "; ".join(batch.describe() for batch in self.batches)
            references = ", ".join(repr(batch.reference) for batch in self.batches)
            message = (
                f"{platform}: {len(self.batches)} batch(es) may have been accepted and could not be looked "
                f"up: {listed}. None was re-sent. Check the vendor's records for each, then answer the "
                "task's Human-in-the-loop question, or give in_doubt_decisions={reference: 'skip' (the "
                "vendor has it) or 'resend' (it does not)}"
                f" for {references}."
            )
        if also is not None:
            message += f" Also: {also}"
        super().__init__(message)


class UnreadableRecordError(NXCloudProviderError):
    """A vendor record an export cannot place or read (no time stamp, a list that shifted while
    it was paged); a retry reads the query again from the last page written."""


class RecordsNotSettledError(NXCloudProviderError):
    """An interval that ended less than its record source's settle time ago: the vendor's list may
    still lack some of its records. Raised before any request; not a failure, so Airflow's retry
    (or a deferral until ``ready_at``, epoch seconds) exports the interval once it has settled."""

    def __init__(self, ready_at: float, message: str) -> None:
        self.ready_at = ready_at
        super().__init__(message)


class SourceChangedError(InvalidInputError):
    """A retry's recipients differ from what an earlier try of the same task recorded as sent.

    Raised before anything is sent: resuming by batch position would then miss some
    recipients and send others twice. Names the batch (or the run of batches) that
    differs; ``first_batch``/``last_batch`` are its indexes.
    """

    def __init__(self, parameter: str, first_batch: int, last_batch: int, what: str) -> None:
        self.first_batch = first_batch
        self.last_batch = last_batch
        super().__init__(
            parameter,
            f"changed between tries: {what}. Nothing was sent in this try. Give the task the source the "
            "earlier try read (a file must not be edited while its campaign runs), or, where the "
            "operator takes it, pass source_changed='resume_by_position' to resume by batch position "
            "anyway, accepting that recipients who moved between batches may be missed or sent twice",
        )


class CreateInDoubtError(NXCloudProviderError):
    """A create (voice task, AI task, binding) whose reply was lost and which a lookup did not find.

    Not a failure: the create carried a stable unique key, so Airflow's retry looks
    it up again before creating, and never makes a second one.
    """

    def __init__(self, what: str, why: str) -> None:
        self.what = what
        super().__init__(
            f"{what}: the create may or may not have been accepted ({why}) and a lookup did not find it; "
            "a retry looks it up again by the same key before creating"
        )


class DeliveryWaitError(NXCloudProviderError):
    """The delivery trigger gave up reading reports after repeated transient errors.

    Nothing was sent by the wait; Airflow's retries run the wait again.
    """
