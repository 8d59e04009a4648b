"""What the batches an earlier try recorded held: progress bound to content, not position.

Progress names batches by index. An index only means the same recipients on the next
try if the source reads the same: a file edited between tries, or a source whose
order is not stable, puts other recipients at the same index, and resuming by index
then skips recipients never sent and sends others twice. So with the progress goes a
fingerprint of each recorded batch's numbers, and a retry compares before it sends.

The fingerprint stays small, whatever the campaign's size (the record is saved after
every batch, and a one-recipient-per-request campaign has a million batches):

* the contiguous run of done batches ``0 .. prefix-1`` is one running hash, a chain
  over the batches' digests in index order, plus a short mark of the chain after
  batch ``2**j - 1`` for each ``j``, which tells roughly where a difference starts;
* each batch recorded beyond that run (done out of order under ``max_concurrency``, or
  in flight) keeps its own digest until the run reaches it: a handful at any time.

:class:`SourceCheck` reads the new source's batches as a stream (nothing but the
batches between the first one to send and the last recorded one is held) and
refuses before anything is sent when a recorded batch is not what it was.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from airflow_provider_nxcloud.exceptions import SourceChangedError

log = logging.getLogger(__name__)

#: what a changed source may lead to: refuse (default), or resume by position anyway
SOURCE_CHANGED_POLICIES = ("fail", "resume_by_position")

#: hex characters of a mark: it only says where a difference starts, the chain proves it
_MARK = 8


class _Batch(Protocol):
    """What the check reads of an engine ``Batch``."""

    @property
    def index(self) -> int: ...

    @property
    def first_position(self) -> int: ...

    @property
    def numbers(self) -> list[str]: ...


BatchT = TypeVar("BatchT", bound=_Batch)


def batch_digest(numbers: Iterable[str]) -> str:
    """The digest of one batch's recipients, in order."""
    # each number followed by a line break, hashed at once
    listed = list(numbers)
    text = "\n".join(listed) + "\n" if listed else ""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _chained(chain: str, digest: str) -> str:
    return hashlib.blake2b(f"{chain}:{digest}".encode("ascii"), digest_size=16).hexdigest()


def _is_mark(index: int) -> bool:
    """Batches 0, 1, 3, 7, 15 ...: a mark after each, so ~20 marks cover a million batches."""
    return (index + 1) & index == 0


@dataclass
class SourceRecord:
    """The content of the batches a campaign recorded (see the module's docstring)."""

    #: batches ``0 .. prefix-1`` are done and folded into ``chain``
    prefix: int = 0
    chain: str = ""
    #: ``chain[:8]`` after batch ``2**j - 1``, for j = 0, 1, ... while that batch is in the prefix
    marks: list[str] = field(default_factory=list)
    #: digests of batches recorded beyond the prefix; an entry of a batch the vendor refused
    #: may linger until that batch is sent again (only recorded batches are ever compared)
    batches: dict[int, str] = field(default_factory=dict)

    def note(self, index: int, digest: str) -> None:
        """Batch ``index`` (holding ``digest``) is about to be sent."""
        if index >= self.prefix:
            self.batches[index] = digest

    def fold(self, is_done: Callable[[int], bool]) -> None:
        """Extend the done run over every batch now done right after it."""
        while self.prefix in self.batches and is_done(self.prefix):
            self.chain = _chained(self.chain, self.batches.pop(self.prefix))
            if _is_mark(self.prefix):
                self.marks.append(self.chain[:_MARK])
            self.prefix += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "chain": self.chain,
            "marks": self.marks,
            "batches": {str(index): digest for index, digest in sorted(self.batches.items())},
        }

    @classmethod
    def from_json(cls, value: Any) -> SourceRecord:
        if not isinstance(value, dict):
            return cls()
        return cls(
            prefix=int(value.get("prefix", 0)),
            chain=str(value.get("chain", "")),
            marks=[str(mark) for mark in value.get("marks", [])],
            batches={int(index): str(digest) for index, digest in dict(value.get("batches", {})).items()},
        )


class SourceCheck:
    """Passes a retry's batches on once every batch an earlier try recorded is found unchanged.

    Batches recorded done are passed on at once (the engine only counts them); from the
    first batch that may be sent or looked up, batches are held until the last recorded
    one has been compared, so nothing reaches the vendor before the whole comparison
    holds. Then ``adopt`` gets the record of the source as it reads now.
    """

    def __init__(
        self,
        stored: SourceRecord,
        *,
        is_done: Callable[[int], bool],
        is_in_flight: Callable[[int], bool],
        last_recorded: int,
        adopt: Callable[[SourceRecord], None],
        parameter: str,
        policy: str,
    ) -> None:
        self.stored = stored
        self.is_done = is_done
        self.is_in_flight = is_in_flight
        #: the last batch to compare: the end of the done run, or the last batch recorded after it
        self.last = max(stored.prefix - 1, last_recorded)
        self.adopt = adopt
        self.parameter = parameter
        self.policy = policy
        #: the record of the source as it reads now, adopted once checked
        self.fresh = SourceRecord()
        self._chain = ""
        self._marks = 0
        #: the first batch after the last matching mark, and its first recipient's position
        self._since = (0, 1)
        self.changed: SourceChangedError | None = None

    def batches(self, batches: Iterable[BatchT]) -> Iterator[BatchT]:
        held: list[BatchT] = []
        stream = iter(batches)
        index = -1
        for batch in stream:
            if batch.index > self.last:
                yield from self._checked(held)
                yield batch
                yield from stream
                return
            index = batch.index
            self._compare(batch)
            if held or not self.is_done(index):
                held.append(batch)
            else:
                yield batch
        if index < self.last:
            self._differs(
                index + 1,
                self.last,
                f"it now ends after batch {index}, and an earlier try recorded batches up to {self.last}",
            )
        yield from self._checked(held)

    def _checked(self, held: list[BatchT]) -> Iterator[BatchT]:
        """The held batches, once the comparison is complete."""
        if self.changed is not None:
            if self.policy == "fail":
                raise self.changed
            log.warning("%s; resuming by position as source_changed asks", self.changed)
        self.adopt(self.fresh)
        yield from held

    def _compare(self, batch: _Batch) -> None:
        index, digest = batch.index, batch_digest(batch.numbers)
        recorded = self.is_done(index) or self.is_in_flight(index)
        if recorded:
            self.fresh.note(index, digest)
            self.fresh.fold(self.is_done)
        stored = self.stored
        last_position = batch.first_position + len(batch.numbers) - 1
        if index < stored.prefix:
            self._chain = _chained(self._chain, digest)
            mark = _is_mark(index)
            if mark and self._marks < len(stored.marks) and stored.marks[self._marks] != self._chain[:_MARK]:
                self._run_differs(index, last_position)
            if index == stored.prefix - 1 and self._chain != stored.chain:
                self._run_differs(index, last_position)
            if mark:
                self._marks += 1
                self._since = (index + 1, last_position + 1)
        elif recorded and index in stored.batches and stored.batches[index] != digest:
            state = "sent" if self.is_done(index) else "was sending when it stopped"
            self._differs(
                index,
                index,
                f"batch {index} (recipients {batch.first_position}-{last_position} as it reads now) "
                f"is not what an earlier try {state}",
            )

    def _run_differs(self, index: int, last_position: int) -> None:
        first, first_position = self._since
        where = f"batch {index}" if first == index else f"one of batches {first}-{index}"
        self._differs(
            first,
            index,
            f"{where} (recipients {first_position}-{last_position} as it reads now) "
            "is not what an earlier try sent",
        )

    def _differs(self, first: int, last: int, what: str) -> None:
        if self.changed is not None:
            return
        self.changed = SourceChangedError(self.parameter, first, last, what)
        if self.policy == "fail":
            raise self.changed
