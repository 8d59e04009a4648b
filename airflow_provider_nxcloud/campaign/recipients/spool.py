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
from types import TracebackType
from typing import IO

from airflow_provider_nxcloud.campaign.recipients.entries import Entry
from airflow_provider_nxcloud.campaign.recipients.recipient import Recipient, ValidationReport

#: lines written to the file at once
_BUFFERED = 4096

#: makes a Recipient from its fields' tuple in C, without the NamedTuple's Python-level ``__new__``
_new_tuple = tuple.__new__


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

    def write(self, valid: Iterable[tuple[str, str, int]]) -> None:
        """Append ``(value, raw, line)`` of each valid entry (``raw`` an entry, its text of its own kept)."""
        pending: list[str] = []
        add = pending.append
        previous = self._last_line
        for value, raw, line in valid:
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
            if len(pending) == _BUFFERED:
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
        for text in handle:
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
