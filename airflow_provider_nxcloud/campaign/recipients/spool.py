"""The valid recipients of a validation pass, kept in a local temporary file until they are sent.

A campaign validates every entry before its first send (so ``on_invalid="fail"`` fails
before anything goes out) and then sends what that pass kept. Keeping it in a file
rather than reading the source again means each entry is read, parsed and checked
once, the send pass sends exactly what was checked even if the source changes
meanwhile, and memory stays bounded: the file is on local disk, unlinked from the
start (nothing is left behind if the process dies), and a few thousand lines are
buffered at most.

One line per recipient. The usual one is just the value, when the entry was written
exactly as the vendor wants it, on the line after the previous recipient's, with no
text of its own. Any other is a JSON array ``[value, raw, line, content]`` (no plain
line starts with ``[``, and JSON has no raw line breaks).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, pairwise
from types import TracebackType
from typing import IO

from airflow_provider_nxcloud.campaign.recipients.entries import Entry
from airflow_provider_nxcloud.campaign.recipients.recipient import PlainRun, Recipient, ValidationReport

#: lines written to the file at once
_BUFFERED = 4096
#: about this many characters of lines read from the file at once
_READ_HINT = 1 << 16


class RecipientSpool:
    """The valid, distinct recipients of one validation pass and its ``report``; iterate to read them back."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        # closed by close(), which the spool's reader (drain) or its user calls
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        #: recipients written
        self.count = 0
        #: the line of the last recipient written, which the next compact line follows
        self._last_line = 0

    def write(self, valid: Iterable[PlainRun | list[tuple[str, str, int]]]) -> None:
        """Append the valid recipients: runs of plain ones, and lists of ``(value, raw, line)``
        (``raw`` an entry, its text of its own kept)."""
        pending: list[str] = []
        add = pending.append
        previous = self._last_line
        for chunk in valid:
            if isinstance(chunk, PlainRun):
                values, line = chunk.values, chunk.first_line
                if line != previous + 1:
                    # the first value does not follow the last one written: it says its line
                    add(json.dumps([values[0], values[0], line, None], ensure_ascii=False))
                    values = values[1:]
                self._write(pending)
                pending = []
                add = pending.append
                self._write(values)
                previous = chunk.first_line + len(chunk.values) - 1
                continue
            for value, raw, line in chunk:
                if (
                    value == raw
                    and line == previous + 1
                    and type(raw) is str
                    and value[:1] != "["
                    and "\n" not in value
                ):
                    add(value)
                else:
                    content = raw.content if isinstance(raw, Entry) else None
                    add(json.dumps([value, str(raw), line, content], ensure_ascii=False))
                previous = line
            if len(pending) >= _BUFFERED:
                self._write(pending)
                pending = []
                add = pending.append
        self._write(pending)
        self._last_line = previous

    @property
    def next_line(self) -> int:
        """The line a run written next should start at to be spooled as plain lines (the fast read)."""
        return self._last_line + 1

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._file.write("\n".join(lines))
            self._file.write("\n")
            self.count += len(lines)

    def __iter__(self) -> Iterator[Recipient]:
        """The recipients in the order they were written; one reader at a time (they share the file)."""
        return chain.from_iterable(self._pieces())

    def _pieces(self) -> Iterator[Sequence[Recipient]]:
        """The recipients, a block of the file at a time: a :class:`PlainRun` for each run of
        numbers alone on consecutive lines (a block of plain lines is one: no Recipient made
        until a reader asks), a list for the others."""
        line = 0
        for block in self._blocks():
            texts = block[:-1].split("\n")
            if block[0] != "[" and "\n[" not in block:
                yield PlainRun(texts, line + 1)
                line += len(texts)
                continue
            run: list[str] = []
            others: list[Recipient] = []
            for text in texts:
                if text[0] != "[":
                    if others:
                        yield others
                        others = []
                    line += 1
                    run.append(text)
                    continue
                number, raw, at, content = json.loads(text)
                if run:
                    yield PlainRun(run, line - len(run) + 1)
                    run = []
                line = at
                if number == raw and content is None:
                    # a number alone that says its line (it follows a gap): it starts a run
                    if others:
                        yield others
                        others = []
                    run.append(number)
                else:
                    others.append(Recipient(number, raw, at, content))
            if run:
                yield PlainRun(run, line - len(run) + 1)
            if others:
                yield others

    def _blocks(self) -> Iterator[str]:
        """The file's text in blocks of whole lines, about :data:`_READ_HINT` characters each."""
        handle = self._file
        handle.flush()
        handle.seek(0)
        rest = ""
        while text := handle.read(_READ_HINT):
            end = text.rfind("\n") + 1
            if not end:
                rest += text
                continue
            yield rest + text[:end]
            rest = text[end:]
        if rest:  # every line is written with its line break: only a file cut short ends without one
            yield rest + "\n"

    def chunks(self, size: int) -> Iterator[Sequence[Recipient]]:
        """The recipients, once, in sequences of ``size`` (the last one shorter); the file is removed
        when they end or the stream is closed. Runs of plain lines stay :class:`PlainRun` s."""
        with self:
            yield from sized(self._pieces(), size)

    def drain(self) -> Iterator[Recipient]:
        """The recipients, once: the file is removed when the stream ends or is closed."""
        with self:
            yield from self

    def close(self) -> None:
        """Remove the file (nothing can be read after this)."""
        self._file.close()

    def __enter__(self) -> RecipientSpool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def sized(pieces: Iterable[Sequence[Recipient]], size: int) -> Iterator[Sequence[Recipient]]:
    """The recipients of ``pieces`` again, in sequences of ``size`` (the last one shorter)."""
    held: list[Sequence[Recipient]] = []
    count = 0
    for piece in pieces:
        start = 0
        while len(piece) - start >= size - count:
            end = start + size - count
            held.append(piece[start:end])
            yield _joined(held)
            held, count, start = [], 0, end
        if start < len(piece):
            held.append(piece[start:])
            count += len(piece) - start
    if held:
        yield _joined(held)


def _joined(parts: list[Sequence[Recipient]]) -> Sequence[Recipient]:
    """``parts`` as one sequence: one :class:`PlainRun` where they are runs of consecutive lines."""
    if len(parts) == 1:
        return parts[0]
    runs = [part for part in parts if isinstance(part, PlainRun)]
    if len(runs) == len(parts) and all(
        after.first_line == before.first_line + len(before) for before, after in pairwise(runs)
    ):
        return PlainRun(list(chain.from_iterable(run.values for run in runs)), runs[0].first_line)
    return list(chain.from_iterable(parts))
