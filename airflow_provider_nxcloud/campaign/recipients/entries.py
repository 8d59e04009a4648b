"""Entries: the raw recipients of a source, one per list item or file line, before any validation.

An entry is the text of one recipient, stripped. Most entries are plain ``str``: one on
the line (or 1-based list position) right after the previous entry's (the first entry:
line 1). An entry anywhere else (after blank lines, ``#`` comments or a CSV header), or
with its own message text, is an :class:`Entry`, which remembers both: a million plain
numbers, a header above them or not, are read without an object more than their text
each. :func:`with_lines` gives each entry's line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, NamedTuple

from airflow_provider_nxcloud.exceptions import InvalidInputError


class Entry(str):
    """A raw entry that remembers its line in the file (or position in the list), and its own text if any."""

    line: int
    content: str | None

    def __new__(cls, text: str, line: int = 0, content: str | None = None) -> Entry:
        entry = super().__new__(cls, text)
        entry.line = line
        entry.content = content
        return entry


def with_lines(entries: Iterable[str], after: int = 0) -> Iterator[tuple[int, str]]:
    """``(line, entry)`` of each entry of a source (or list position): an :class:`Entry` says its
    own, a plain one is on the line after the previous entry's; ``after``: the line of the entry
    before the first one given."""
    line = after
    for entry in entries:
        line = entry.line if isinstance(entry, Entry) else line + 1
        yield line, entry


def last_line(entries: Sequence[str], after: int) -> int:
    """The line of the last of ``entries`` (see :func:`with_lines`), read in C when all are plain."""
    if set(map(type, entries)) <= _ONLY_STR:
        return after + len(entries)
    for back, entry in enumerate(reversed(entries)):
        if isinstance(entry, Entry):
            return entry.line + back
    return after + len(entries)


def plain_start(entry: str, after: int) -> int | None:
    """The line of ``entry`` (following an entry on line ``after``) if it is a number alone, with
    no text of its own; else None."""
    if type(entry) is str:
        return after + 1
    if isinstance(entry, Entry) and entry.content is None:
        return entry.line
    return None


_ONLY_STR = {str}


def content_of(entry: str) -> str | None:
    """The entry's own message text (personalised sources), else None."""
    return entry.content if isinstance(entry, Entry) else None


class Reader(NamedTuple):
    """How one kind of source turns list items and file lines into entries.

    Both raise :class:`InvalidInputError` naming the parameter when there is no entry at all.
    """

    #: ``(items, parameter)`` -> the entries of a list
    items: Callable[[Iterable[Any], str], Iterator[str]]
    #: ``(open text file, parameter, where)`` -> its entries; ``where`` names the file in errors
    lines: Callable[[IO[str], str, str], Iterator[str]]


def _number_lines(handle: IO[str], parameter: str, where: str) -> Iterator[str]:
    """One number per line (or a CSV row's first column), a first row of column names left out."""
    previous = line = 0
    first = True
    try:
        for line, text in enumerate(handle, start=1):
            entry = text.strip()
            # the usual line is just a number (a million of them): nothing more to do
            if not entry.isdigit():
                entry = _first_column(text)
                if not _is_entry(entry):
                    continue
                if first and _is_header(entry):
                    first = False
                    continue
            first = False
            yield entry if line == previous + 1 else Entry(entry, line)
            previous = line
    except UnicodeDecodeError:
        raise _not_utf8(parameter, where) from None
    except OSError as exc:
        raise _unreadable(parameter, where, line, exc) from exc
    if previous == 0:
        raise _no_entries(parameter, where)


def _lines(
    handle: IO[str], parameter: str, where: str, read: Callable[[str, int, str], str | None]
) -> Iterator[str]:
    """The entries ``read(text, line, parameter)`` makes of the lines (None: not an entry), a first
    row of column names left out."""
    previous = line = 0
    first = True
    try:
        for line, text in enumerate(handle, start=1):
            entry = read(text, line, parameter)
            if entry is None:
                continue
            if first:
                first = False
                if _is_header(entry):
                    continue
            yield entry if line == previous + 1 or isinstance(entry, Entry) else Entry(entry, line)
            previous = line
    except UnicodeDecodeError:
        raise _not_utf8(parameter, where) from None
    except OSError as exc:
        raise _unreadable(parameter, where, line, exc) from exc
    if previous == 0:
        raise _no_entries(parameter, where)


def _not_utf8(parameter: str, where: str) -> InvalidInputError:
    # the decoder's message quotes the bytes; decoding runs ahead in blocks, so no line either
    return InvalidInputError(parameter, f"{where} is not UTF-8 text")


def _unreadable(parameter: str, where: str, line: int, exc: OSError) -> InvalidInputError:
    return InvalidInputError(parameter, f"cannot read {where} after line {line}: {why_unreadable(exc)}")


def _no_entries(parameter: str, where: str) -> InvalidInputError:
    return InvalidInputError(parameter, f"no recipients in {where}" if where else "no recipients")


def why_unreadable(exc: BaseException) -> str:
    """Why a source could not be read, in a few words."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _items(items: Iterable[Any], parameter: str) -> Iterator[str]:
    previous = 0
    for line, item in enumerate(items, start=1):
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise InvalidInputError(parameter, f"entry {line} is a {type(item).__name__}, not text")
        text = str(item).strip()
        if _is_entry(text):
            yield text if line == previous + 1 else Entry(text, line)
            previous = line
    if previous == 0:
        raise _no_entries(parameter, "")


def _first_column(text: str) -> str:
    """A CSV export's first column; a plain line is its own first column."""
    return text.split(",", 1)[0].strip().strip('"').strip()


def _is_entry(text: str) -> bool:
    return bool(text) and not text.startswith("#")


def _is_header(text: str) -> bool:
    """An exported CSV's column names: a first row with no digit cannot be a number."""
    return not any(char.isdigit() for char in text)


NUMBER_READER = Reader(_items, _number_lines)


# --- personalised sources: a text per number ------------------------------------------------


def _message_items(items: Iterable[Any], parameter: str) -> Iterator[str]:
    empty = True
    for position, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            empty = False
            yield _message(item, position, parameter)
        elif isinstance(item, str | int) and not isinstance(item, bool):
            # a plain number: no text of its own (which with_texts reports)
            if _is_entry(text := str(item).strip()):
                empty = False
                yield Entry(text, position)
        else:
            raise InvalidInputError(parameter, f"entry {position} is a {type(item).__name__}, not a dict")
    if empty:
        raise _no_entries(parameter, "")


def _message_line(text: str, line: int, parameter: str) -> Entry | None:
    """A JSON Lines object or a CSV row (number, text); None for a blank or ``#`` line."""
    stripped = text.strip()
    if not _is_entry(stripped):
        return None
    if stripped.startswith("{"):
        try:
            item = json.loads(stripped)
        except ValueError:
            raise InvalidInputError(parameter, f"line {line} is not a JSON object") from None
        return _message(item, line, parameter)
    # the csv module, so a quoted text may hold commas
    row = next(csv.reader([text.rstrip("\r\n")], skipinitialspace=True), [])
    number = row[0].strip() if row else ""
    if not _is_entry(number):
        return None
    return Entry(number, line, row[1] if len(row) > 1 else None)


def _message(item: Any, line: int, parameter: str) -> Entry:
    if not isinstance(item, Mapping):
        raise InvalidInputError(parameter, f"entry {line} is not a {{number, text}} object")
    number, text = item.get("number"), item.get("text", "")
    if isinstance(number, bool) or not isinstance(number, str | int) or not str(number).strip():
        raise InvalidInputError(parameter, f"entry {line} has no number")
    if text is not None and not isinstance(text, str):
        raise InvalidInputError(parameter, f"entry {line}: text is a {type(text).__name__}, not text")
    return Entry(str(number).strip(), line, text or "")


def _message_lines(handle: IO[str], parameter: str, where: str) -> Iterator[str]:
    return _lines(handle, parameter, where, _message_line)


MESSAGE_READER = Reader(_message_items, _message_lines)


def with_texts(entries: Iterator[str], parameter: str, text_parameter: str) -> Iterator[str]:
    """``entries``, each checked to carry a text of its own."""
    for position, (line, entry) in enumerate(with_lines(entries), start=1):
        content = content_of(entry)
        if content is None and position == 1:
            raise InvalidInputError(
                text_parameter, "is not given, and the recipients carry no texts of their own"
            )
        if not (content or "").strip():
            raise InvalidInputError(parameter, f"entry {line} has no text")
        yield entry
