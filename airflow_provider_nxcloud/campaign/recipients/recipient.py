"""What validation gives: the recipients it keeps, and the report of what it dropped."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import NamedTuple, overload

#: how many skipped entries a :class:`ValidationReport` keeps, whatever the campaign's size
SAMPLE_SIZE = 100


class Recipient(NamedTuple):
    """One valid recipient; a tuple, as a million of them are made for one campaign (cheaply)."""

    #: in the requested vendor format
    number: str
    #: as the source wrote it
    raw: str
    #: line in the file, or 1-based position in the list
    line: int
    #: the recipient's own message text (personalised sources), else None
    content: str | None = None


#: makes a Recipient from its fields' tuple in C, without the NamedTuple's Python-level ``__new__``
_new_tuple = tuple.__new__


class PlainRun(Sequence[Recipient]):
    """Valid, distinct recipients on consecutive lines from ``first_line``, each written exactly
    as the vendor wants it and with no text of its own: each entry is its own value.

    So the values and the first line are the whole of them, and a campaign's usual batches
    are kept as that: a reader that wants :class:`Recipient` tuples gets them made as it
    reads, one that wants the numbers (a send request) takes ``values`` as they are.
    """

    __slots__ = ("first_line", "values")

    def __init__(self, values: list[str], first_line: int) -> None:
        self.values = values
        self.first_line = first_line

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Recipient: ...

    @overload
    def __getitem__(self, index: slice) -> PlainRun: ...

    def __getitem__(self, index: int | slice) -> Recipient | PlainRun:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self.values))
            if step != 1:
                raise ValueError("a PlainRun is sliced in steps of 1 only")
            return PlainRun(self.values[start:stop], self.first_line + start)
        value = self.values[index]
        return Recipient(value, value, self.first_line + range(len(self.values))[index])

    def __iter__(self) -> Iterator[Recipient]:
        values, first = self.values, self.first_line
        lines = range(first, first + len(values))
        return map(_new_tuple, repeat(Recipient), zip(values, values, lines, repeat(None)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlainRun):
            return self.first_line == other.first_line and self.values == other.values
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PlainRun({len(self.values)} values from line {self.first_line})"


class Skipped(NamedTuple):
    line: int
    raw: str
    reason: str


@dataclass
class ValidationReport:
    """What validation kept and dropped; the sample is bounded, the counts are exact."""

    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    #: the first :data:`SAMPLE_SIZE` skipped entries, invalid or duplicate
    sample: list[Skipped] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.invalid + self.duplicates

    def summary(self) -> str:
        """Counts only: safe for logs, which should not carry the numbers themselves."""
        return f"{self.valid} valid, {self.invalid} invalid, {self.duplicates} duplicate"

    def record_invalid(self, line: int, raw: str, reason: str) -> None:
        self.invalid += 1
        self._sample(line, raw, reason)

    def record_duplicate(self, line: int, raw: str) -> None:
        self.duplicates += 1
        self._sample(line, raw, "duplicate")

    def _sample(self, line: int, raw: str, reason: str) -> None:
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(Skipped(line, str(raw), reason))
