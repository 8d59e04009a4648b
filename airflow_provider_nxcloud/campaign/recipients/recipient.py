"""What validation gives: the recipients it keeps, and the report of what it dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
