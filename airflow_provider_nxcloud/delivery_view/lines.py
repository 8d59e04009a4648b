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

import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

#: bytes read at a time; a chunk ends at its last newline
CHUNK_BYTES = 8 * 1024 * 1024
#: how far apart a chunk is sampled for the minutes it holds (a missed minute costs a regex pass)
_SAMPLE_STRIDE = 32 * 1024
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
    """The file in pieces of about ``size`` bytes, each ending with a newline (the last one too).

    A piece's cut-off last line is read again with the next piece (a seek back, rather than a
    copy of every piece to join it).
    """
    while block := handle.read(size):
        cut = block.rfind(b"\n") + 1
        while not cut:  # a line longer than a piece
            more = handle.read(size)
            if not more:
                yield block + b"\n"
                return
            block += more
            cut = block.rfind(b"\n") + 1
        if cut < len(block):
            handle.seek(cut - len(block), io.SEEK_CUR)
            block = block[:cut]
        yield block


def _read_ahead(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """``pieces``, the next one read in a thread while this one is counted (a read leaves Python's
    lock while it copies: a page's reads and counts overlap)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="delivery-view-read") as reader:
        ahead = reader.submit(next, pieces, None)
        while (piece := ahead.result()) is not None:
            ahead = reader.submit(next, pieces, None)
            yield piece


#: gets the lines (as written, without their newline) of the statuses a shape parses, a chunk's at a
#: time; raises ValueError (before keeping anything) for a line that is not a JSON object
RareLines = Callable[[list[bytes]], None]


def tally(handle: IO[bytes], shape: LineShape, on_rare: RareLines, *, fast: bool = True) -> LineTally:
    """Count a file's lines (:class:`LineTally`); ``on_rare`` gets the lines of the statuses in
    ``shape.parsed_statuses``. ``fast=False`` parses every line (what the fast path must equal)."""
    result = LineTally()
    first_line = 1
    for chunk in _read_ahead(chunks(handle, CHUNK_BYTES)):
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
    marker = shape.timed_marker
    minutes = _sampled_minutes(chunk, marker)
    rare = [line for status in shape.parsed_statuses for line in _lines_holding(chunk, shape.marker(status))]
    counted: dict[str, int] = {}
    others = len(rare)
    for status in shape.counted_statuses:
        if sum(minutes.values()) + others == lines:
            break
        counted[status] = chunk.count(shape.marker(status))
        others += counted[status]
    if sum(minutes.values()) + others != lines:
        # a minute the samples missed, or lines that are not ours
        timed = chunk.count(marker)
        if timed + others != lines:
            return False
        _add_missed_minutes(chunk, marker, minutes, timed)
    if rare:
        try:
            on_rare(rare)
        except ValueError:
            return False  # read line by line, to name the line that is not JSON
    result.statuses[shape.timed_status] += sum(minutes.values())
    for status in shape.parsed_statuses:
        # a line's status as its marker says (the duplicate-key case aside, what parsing it says)
        result.statuses[status] += sum(1 for line in rare if shape.marker(status) in line)
    result.statuses.update({status: n for status, n in counted.items() if n})
    result.minutes.update({m.decode(): n for m, n in minutes.items() if _MINUTE.fullmatch(m)})
    result.parsed += len(rare)
    return True


def _lines_holding(chunk: bytes, marker: bytes) -> list[bytes]:
    """The lines of the chunk (without their newline) that hold ``marker``."""
    found = []
    at = chunk.find(marker)
    while at >= 0:
        end = chunk.find(b"\n", at)  # a chunk ends with a newline
        found.append(chunk[chunk.rfind(b"\n", 0, at) + 1 : end])
        at = chunk.find(marker, end)
    return found


def _sampled_minutes(chunk: bytes, marker: bytes) -> dict[bytes, int]:
    """The 16 bytes after ``marker`` (a minute, in the writer's lines) that samples of the chunk
    find, each with how many lines hold it (counted in one C pass each).

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
    return found


def _add_missed_minutes(chunk: bytes, marker: bytes, found: dict[bytes, int], total: int) -> None:
    """Find and count the minutes the samples missed, until ``total`` lines are counted: a regex
    search for the first line holding none of the known ones, per missed minute."""
    while sum(found.values()) < total:
        known = b"|".join(re.escape(minute) for minute in found)
        missed = re.compile(re.escape(marker) + (rb"(?!" + known + rb")" if known else b""))
        hit = missed.search(chunk)
        if hit is None:
            return  # cannot happen: ``total`` counts the lines holding ``marker``
        minute = chunk[hit.end() : hit.end() + MINUTE_LENGTH]
        found[minute] = chunk.count(marker + minute)


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
