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
from collections.abc import Iterable, Iterator
from itertools import repeat
from types import TracebackType
from typing import IO, NamedTuple

from airflow_provider_nxcloud.campaign.recipients.entries import Entry
from airflow_provider_nxcloud.campaign.recipients.recipient import Recipient, ValidationReport

#: lines written to the file at once
_BUFFERED = 4096
#: about this many characters of lines read from the file at once
_READ_HINT = 1 << 16

#: makes a Recipient from its fields' tuple in C, without the NamedTuple's Python-level ``__new__``
_new_tuple = tuple.__new__


class PlainRun(NamedTuple):
    """Valid, distinct recipients on consecutive lines from ``first_line``, each written exactly
    as the vendor wants it and with no text of its own: each entry is its own value."""

    values: list[str]
    first_line: int


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
                values, line = chunk
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

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._file.write("\n".join(lines))
            self._file.write("\n")
            self.count += len(lines)

    def __iter__(self) -> Iterator[Recipient]:
        """The recipients in the order they were written; one reader at a time (they share the file)."""
        handle = self._file
        handle.flush()
        handle.seek(0)
        line = 0
        while block := handle.readlines(_READ_HINT):
            text = "".join(block)
            if text[0] != "[" and "\n[" not in text:
                # plain lines only (the usual block): the recipients made in C, not a loop per line
                numbers = text[:-1].split("\n")
                lines = range(line + 1, line + 1 + len(numbers))
                yield from map(_new_tuple, repeat(Recipient), zip(numbers, numbers, lines, repeat(None)))
                line += len(numbers)
                continue
            for text in block:
                if text[0] == "[":
                    number, raw, line, content = json.loads(text)
                    yield Recipient(number, raw, line, content)
                else:
                    line += 1
                    number = text[:-1]
                    # the tuple made directly: no Python-level __new__ for the usual line
                    yield _new_tuple(Recipient, (number, number, line, None))

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
