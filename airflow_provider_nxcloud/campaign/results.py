"""Per-recipient results of a campaign as JSON Lines at ``results_path``, complete across retries.

Each batch's lines are written as their own small object *before* the batch
is recorded as done, so a try that dies never leaves a done batch without
results; object stores have no append, so one object per batch is also what
works on ``s3://``. When the campaign ends the parts are merged in batch
order into ``results_path`` (for a batch written by several tries, the
latest try wins) and removed.

The file is durable evidence: a later try of a campaign that already had done
batches (a retry after the delivery wait failed, a cleared task) never truncates
it. It keeps every line there and appends only the batches the file lacks. A
campaign that starts afresh replaces a file left at its path by another run.

A line: ``{"batch": 3, "number": "6591234567", "status": "accepted", "recorded_at":
"2026-12-03T07:01:02Z", "vendor_id": "...", "reference": "...", "error": null, "sent_at":
null}``, its keys always in that order (:data:`LINE_KEYS`). ``recorded_at`` (ISO 8601 UTC,
seconds) is when the batch's outcome was written: the vendor's answer to its send (or the lookup
that settled it, or the decision to skip it); the delivery view counts accepted messages per
minute by it, reading the status and the time side by side without parsing the line
(:mod:`airflow_provider_nxcloud.delivery_view.lines`). ``sent_at`` (ISO 8601, UTC) is set where a
delivery query needs the send time (NXCloud voice calls). It is not stamped on every line for the
view: the delivery waits read it (the day NXCloud's SMS query asks about, the window of a call
record search), and a view should not change what a wait asks a vendor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any, NamedTuple, overload

from airflow_provider_nxcloud.exceptions import InvalidInputError

#: vendor ids kept for the XCom summary; the full list lives in results_path
XCOM_ID_LIMIT = 100

_PART = re.compile(r"batch-(\d+)\.try-(\d+)\.jsonl$")


#: a results line's keys, in the order they are written
LINE_KEYS = ("batch", "number", "status", "recorded_at", "vendor_id", "reference", "error", "sent_at")

#: the status of a recipient the vendor accepted
ACCEPTED = "accepted"
#: the status of a recipient on the campaign's suppression list (opted out): never sent
SUPPRESSED = "suppressed"


class RecipientResult(NamedTuple):
    """One recipient's outcome; a tuple, as a million of them are made for one campaign (cheaply)."""

    number: str
    #: "accepted", "rejected", "skipped" (a batch in doubt left unsent) or "suppressed"
    status: str
    vendor_id: str | None = None
    #: the client reference sent with this recipient (orderId, ExternalId...)
    reference: str | None = None
    #: why the vendor rejected this recipient
    error: str | None = None
    #: when the message went out (a scheduled call: when it is placed), ISO 8601 UTC
    sent_at: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED


#: makes a RecipientResult from its fields' tuple in C, without the NamedTuple's Python-level ``__new__``
_new_tuple = tuple.__new__


class AcceptedRun(Sequence[RecipientResult]):
    """The results of a batch the vendor accepted whole: ``numbers[i]`` accepted with
    ``vendor_ids[i]`` under ``references[i]``.

    The usual reply to a send, kept as the three lists it came as: a reader that wants
    :class:`RecipientResult` tuples gets them made as it reads; counting them
    (:func:`accepted_count`) makes none.
    """

    __slots__ = ("numbers", "references", "vendor_ids")

    def __init__(self, numbers: list[str], vendor_ids: list[Any], references: list[str]) -> None:
        if not len(numbers) == len(vendor_ids) == len(references):
            raise ValueError("an AcceptedRun needs one vendor id and one reference per number")
        self.numbers = numbers
        #: as the reply gave them (made text as they are read)
        self.vendor_ids = vendor_ids
        self.references = references

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> RecipientResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[RecipientResult]: ...

    def __getitem__(self, index: int | slice) -> RecipientResult | list[RecipientResult]:
        if isinstance(index, slice):
            return list(self)[index]
        return RecipientResult(
            self.numbers[index], ACCEPTED, str(self.vendor_ids[index]), self.references[index]
        )

    def __iter__(self) -> Iterator[RecipientResult]:
        fields = zip(
            self.numbers,
            repeat(ACCEPTED),
            map(str, self.vendor_ids),
            self.references,
            repeat(None),
            repeat(None),
        )
        return map(_new_tuple, repeat(RecipientResult), fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AcceptedRun({len(self.numbers)} accepted)"


#: a result's status, read in C
_STATUS = operator.attrgetter("status")


def accepted_count(results: Sequence[RecipientResult]) -> int:
    """How many of ``results`` are accepted; counted in C, without a Python step per result."""
    if type(results) is AcceptedRun:
        return len(results)
    return list(map(_STATUS, results)).count(ACCEPTED)


def utc_seconds(epoch: float) -> str:
    """``epoch`` as ISO 8601 UTC to the second: ``2026-12-03T07:01:02Z``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def result_line(batch: int, result: RecipientResult, recorded_at: str) -> str:
    """One results line (no newline), its keys in :data:`LINE_KEYS` order."""
    number, status, vendor_id, reference, error, sent_at = result
    return json.dumps(
        {
            "batch": batch,
            "number": number,
            "status": status,
            "recorded_at": recorded_at,
            "vendor_id": vendor_id,
            "reference": reference,
            "error": error,
            "sent_at": sent_at,
        },
        ensure_ascii=False,
    )


def _path(value: Any) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return value if isinstance(value, ObjectStoragePath) else ObjectStoragePath(str(value))


class ResultsWriter:
    """Writes batch results durably and merges them at the end; without a path it keeps a sample of ids."""

    def __init__(
        self, results_path: Any | None, try_number: int = 1, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = _path(results_path) if results_path else None
        self.try_number = try_number
        #: what ``recorded_at`` is read from (epoch seconds)
        self.clock = clock
        self.vendor_ids: list[str] = []

    @property
    def parts(self) -> Any:
        assert self.path is not None
        return self.path.parent / f"{self.path.name}.parts"

    def write(self, batch: int, results: Iterable[RecipientResult]) -> None:
        if self.path is None and len(self.vendor_ids) >= XCOM_ID_LIMIT:
            return  # the sample of ids is full, and there is no file to write
        lines = []
        recorded_at = utc_seconds(self.clock()) if self.path is not None else ""
        for result in results:
            # NXCloud gives a whole batch one id: keep each id once
            if (
                result.vendor_id
                and len(self.vendor_ids) < XCOM_ID_LIMIT
                and result.vendor_id not in self.vendor_ids
            ):
                self.vendor_ids.append(result.vendor_id)
            if self.path is not None:
                lines.append(result_line(batch, result, recorded_at))
        if self.path is not None:
            self.parts.mkdir(parents=True, exist_ok=True)
            part = self.parts / f"batch-{batch:06d}.try-{self.try_number:03d}.jsonl"
            part.write_text("".join(f"{line}\n" for line in lines))

    def check_writable(self) -> None:
        """Fail before the first send if the results could not be kept where ``results_path`` says.

        Writes and removes a probe where the batch parts go (next to the file) and opens an
        existing file for append, so a missing or read-only place fails now, not after a
        batch was accepted (then in doubt).
        """
        if self.path is None:
            return
        try:
            if self.path.is_dir():
                raise InvalidInputError("results_path", f"{self.path} is a directory; give a file's path")
            self.parts.mkdir(parents=True, exist_ok=True)
            probe = self.parts / f"probe.try-{self.try_number:03d}"
            probe.write_text("")
            probe.unlink()
            if self.path.exists():
                self._check_appendable()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInputError("results_path", f"cannot be written at {self.path}: {reason}") from exc

    def _check_appendable(self) -> None:
        assert self.path is not None
        try:
            with self.path.open("a"):
                pass
        except (NotImplementedError, ValueError):
            pass  # a store without append: finish() writes the kept lines and the new ones as one object

    def finish(self, *, keep_earlier: bool = False) -> int:
        """Merge the parts into ``results_path``; returns the number of lines the file holds.

        ``keep_earlier``: the campaign had done batches before this try, so a file at the path is
        an earlier try's results: its lines are kept and only batches it lacks are appended.
        """
        if self.path is None:
            return 0
        latest: dict[int, Any] = {}
        stale: list[Any] = []
        if self.parts.exists():
            for part in sorted(self.parts.iterdir(), key=lambda p: p.name):
                match = _PART.search(part.name)
                if not match:
                    continue
                batch = int(match.group(1))
                if batch in latest:
                    stale.append(latest[batch])
                latest[batch] = part  # names sort by try within a batch
        kept, in_file = self._earlier_lines() if keep_earlier else (0, set())
        new = [batch for batch in sorted(latest) if batch not in in_file]
        written = 0
        if new or not kept:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            written = self._write(new, latest, append=bool(kept))
        for part in [*stale, *latest.values()]:
            part.unlink()
        if self.parts.exists():
            self.parts.rmdir()
        return kept + written

    def _earlier_lines(self) -> tuple[int, set[int]]:
        """How many lines the file at the path holds, and the batches they are of."""
        assert self.path is not None
        if not self.path.exists():
            return 0, set()
        count, batches = 0, set()
        with self.path.open("r") as lines:
            for line in lines:
                if not line.strip():
                    continue
                count += 1
                # a line naming no batch is kept as it is
                with contextlib.suppress(ValueError, AttributeError):
                    batches.add(json.loads(line).get("batch"))
        return count, batches

    def _write(self, batches: list[int], parts: dict[int, Any], *, append: bool) -> int:
        assert self.path is not None
        earlier = ""
        try:
            out = self.path.open("a" if append else "w")
        except (NotImplementedError, ValueError):
            # a store without append: one new object holding the kept lines, then the new ones
            earlier, out = self.path.read_text(), self.path.open("w")
        written = 0
        with out:
            out.write(earlier)
            for batch in batches:
                with parts[batch].open("r") as part:
                    for line in part:
                        out.write(line)
                        written += 1
        return written


def read_results(results_path: Any) -> Iterable[dict[str, Any]]:
    """Stream the lines of a results file (for sensors and tests)."""
    with _path(results_path).open("r") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
