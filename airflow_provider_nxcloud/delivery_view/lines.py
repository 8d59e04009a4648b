"""Counting a campaign's JSON Lines files a chunk at a time, without a Python step per line.

A million-recipient campaign leaves a results file and a delivery report of a million lines
each. ``json.loads`` on every line takes seconds; but almost every line is the common one
(accepted; delivered), written by our own writers in a pinned key order
(:data:`~airflow_provider_nxcloud.campaign.results.LINE_KEYS`,
:data:`~airflow_provider_nxcloud.campaign.delivery.messages.REPORT_KEYS`). So a chunk of a few
megabytes is read by counting byte markers in it (C loops): a status with the time beside it
(``"status": "accepted", "recorded_at": "2026-12-03T07:01``) counts the common lines per minute,
and only the rare lines a page names (rejected; failed) are cut out and parsed.

A chunk is read that way only when its markers account for every one of its lines; any other
chunk (a line written by hand, keys in another order, blank lines, an older file without times)
is parsed line by line, so every valid JSON line counts the same either way. What the counting
cannot see is a line holding a marker twice (a duplicated key, which RFC 8259 leaves
undefined) beside a line holding none.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

#: bytes read at a time; a chunk ends at its last newline
CHUNK_BYTES = 8 * 1024 * 1024
#: how far apart a chunk is sampled for the minutes it holds (a missed minute costs a regex pass)
_SAMPLE_STRIDE = 8 * 1024
#: ``yyyy-mm-ddThh:mm``: the minute a time falls in
MINUTE_LENGTH = 16
_MINUTE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d")


def minute_of(value: Any) -> str | None:
    """The minute (``2026-12-03T07:01``) of an ISO 8601 UTC time as our writers write it, or None."""
    if not isinstance(value, str) or len(value) < MINUTE_LENGTH:
        return None
    minute = value[:MINUTE_LENGTH]
    return minute if _MINUTE.fullmatch(minute.encode()) else None


@dataclass
class LineTally:
    """What one file says: how many lines of each status, the common status per minute, the rare
    lines (parsed), and how the file was read."""

    #: status -> lines
    statuses: Counter[str] = field(default_factory=Counter)
    #: minute -> lines of the timed status (accepted; delivered) in that minute
    minutes: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    #: lines parsed one by one (the rare ones, and every line of a chunk not read by counting)
    parsed: int = 0


@dataclass(frozen=True)
class LineShape:
    """How our writer writes a file's lines: the status key, the status counted per minute and the
    time key beside it, the statuses whose lines are parsed, and the others (counted only)."""

    status_key: str
    timed_status: str
    time_key: str
    parsed_statuses: tuple[str, ...]
    counted_statuses: tuple[str, ...]
    #: the status of a line that names none
    default_status: str

    def marker(self, status: str) -> bytes:
        return f'"{self.status_key}": "{status}", '.encode()

    @property
    def timed_marker(self) -> bytes:
        return f'"{self.status_key}": "{self.timed_status}", "{self.time_key}": "'.encode()


class UnreadableLineError(ValueError):
    """A line that is not a JSON object: ``line`` is its number in the file (1-based)."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        super().__init__(f"line {line} is not a JSON object ({problem})")


def chunks(handle: IO[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file in pieces of about ``size`` bytes, each ending with a newline."""
    tail = b""
    while block := handle.read(size):
        block = tail + block
        cut = block.rfind(b"\n") + 1
        tail = block[cut:]
        if cut:
            yield block[:cut]
    if tail:
        yield tail + b"\n"


#: gets the lines (as written, without their newline) of the statuses a shape parses, a chunk's at a
#: time; raises ValueError (before keeping anything) for a line that is not a JSON object
RareLines = Callable[[list[bytes]], None]


def tally(handle: IO[bytes], shape: LineShape, on_rare: RareLines, *, fast: bool = True) -> LineTally:
    """Count a file's lines (:class:`LineTally`); ``on_rare`` gets the lines of the statuses in
    ``shape.parsed_statuses``. ``fast=False`` parses every line (what the fast path must equal)."""
    result = LineTally()
    first_line = 1
    for chunk in chunks(handle, CHUNK_BYTES):
        count = chunk.count(b"\n")
        if not (fast and _count_chunk(chunk, count, shape, on_rare, result)):
            _parse_chunk(chunk, first_line, shape, on_rare, result)
        result.lines += count
        first_line += count
    return result


def _count_chunk(chunk: bytes, lines: int, shape: LineShape, on_rare: RareLines, result: LineTally) -> bool:
    """Read a chunk by counting; False (nothing counted) when its markers do not account for every line."""
    # the common lines by minute first: when they and the rare ones account for every line, the
    # common status needs no count of its own (one pass less over the chunk)
    minutes, timed = _sampled_minutes(chunk, shape.timed_marker)
    parsed = {status: chunk.split(shape.marker(status)) for status in shape.parsed_statuses}
    found = timed + sum(len(pieces) - 1 for pieces in parsed.values())
    counted: dict[str, int] = {}
    for status in shape.counted_statuses:
        if found == lines:
            break
        counted[status] = chunk.count(shape.marker(status))
        found += counted[status]
    if found != lines:
        # a minute the samples missed, or lines that are not ours: counted in full
        all_timed = chunk.count(shape.timed_marker)
        if found - timed + all_timed != lines:
            return False
        minutes, timed = _all_minutes(chunk, shape.timed_marker), all_timed
    rare = [
        _whole_line(pieces, index, marker)
        for status, pieces in parsed.items()
        for marker in (shape.marker(status),)
        for index in range(len(pieces) - 1)
    ]
    if rare:
        try:
            on_rare(rare)
        except ValueError:
            return False  # read line by line, to name the line that is not JSON
    result.statuses[shape.timed_status] += timed
    result.statuses.update({status: len(pieces) - 1 for status, pieces in parsed.items() if len(pieces) > 1})
    result.statuses.update({status: n for status, n in counted.items() if n})
    result.minutes.update(minutes)
    result.parsed += len(rare)
    return True


def _whole_line(pieces: list[bytes], index: int, marker: bytes) -> bytes:
    """The line around the ``index``-th marker of a chunk split on it."""
    before, after = pieces[index], pieces[index + 1]
    end = after.find(b"\n")
    return before[before.rfind(b"\n") + 1 :] + marker + (after if end < 0 else after[:end])


def _sampled_minutes(chunk: bytes, marker: bytes) -> tuple[Counter[str], int]:
    """The minutes of the lines holding ``marker`` that samples of the chunk find, each counted in
    one C pass, and how many lines they count (a time that is not a minute counts as a line, not
    as a minute).

    A campaign's lines come in batch order, and a delivery report's in the order its rounds
    walked them, so a chunk holds a few minutes, which samples every few kilobytes find.
    """
    found: dict[bytes, int] = {}
    start = len(marker)
    offset = 0
    while (at := chunk.find(marker, offset)) >= 0:
        minute = chunk[at + start : at + start + MINUTE_LENGTH]
        if minute not in found:
            found[minute] = chunk.count(marker + minute)
        offset = at + _SAMPLE_STRIDE
    minutes = Counter({m.decode(): n for m, n in found.items() if _MINUTE.fullmatch(m)})
    return minutes, sum(found.values())


def _all_minutes(chunk: bytes, marker: bytes) -> Counter[str]:
    """The minutes of every line holding ``marker`` (a regex pass: when the samples missed one)."""
    pattern = re.escape(marker) + rb"(" + _MINUTE.pattern + rb")"
    return Counter(minute.decode() for minute in re.findall(pattern, chunk))


def _parse_chunk(
    chunk: bytes, first_line: int, shape: LineShape, on_rare: RareLines, result: LineTally
) -> None:
    rare: list[bytes] = []
    for number, line in enumerate(chunk.split(b"\n")[:-1], start=first_line):
        if not line.strip():
            continue
        row = _load(line, number)
        status = str(row.get(shape.status_key, shape.default_status))
        result.statuses[status] += 1
        result.parsed += 1
        if status == shape.timed_status:
            minute = minute_of(row.get(shape.time_key))
            if minute is not None:
                result.minutes[minute] += 1
        elif status in shape.parsed_statuses:
            rare.append(line)
    if rare:
        on_rare(rare)


def _load(line: bytes, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise UnreadableLineError(number, str(exc)) from None
    if not isinstance(row, dict):
        raise UnreadableLineError(number, f"a JSON {type(row).__name__}")
    return row
