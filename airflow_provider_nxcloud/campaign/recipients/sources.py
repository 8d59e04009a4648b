"""Opening a campaign's ``recipients`` parameter: lists, comma-separated text, files, URLs, object storage.

Three kinds of source, told apart by their type and shape:

* a list, tuple or any other non-string iterable of numbers (ints are accepted),
  except a ``set``, ``frozenset`` or dict view, which is refused naming the parameter:
  its order can differ between worker processes (string hashes are randomised per
  process), and a retry resumes by batch, so the batches an earlier try sent would
  hold other recipients. Refused rather than sorted here, so the order is the one the
  DAG's author wrote (``sorted(...)`` of it), the same on every try and visible in the
  DAG, not a rule of this module; a dict view is refused with sets as its dict is
  often built from one;
* a comma-separated string, ``"6591234567, 6591234568"`` (line breaks separate too);
* a text file with one number per line, named by a string that starts with
  ``/``, ``./``, ``../`` or ``~`` or contains ``://``, by an ``os.PathLike``, or
  by an Airflow ``ObjectStoragePath``. URLs (``file://``, ``s3://`` ...) are
  opened through ``ObjectStoragePath``, so any scheme the installed providers
  register works. A line may be a CSV row: its first column is the number.

:func:`open_messages` reads personalised sources, a text per number: a list of
``{"number", "text"}`` dicts, or a file of JSON Lines (one such object per line)
or of CSV rows (number, text).

Files are read line by line and every step is a generator, so a campaign of
millions of numbers never sits in memory.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, ValuesView
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from airflow_provider_nxcloud.campaign.recipients.entries import (
    MESSAGE_READER,
    NUMBER_READER,
    Reader,
    why_unreadable,
    with_texts,
)
from airflow_provider_nxcloud.exceptions import InvalidInputError

_LOCATION_PREFIXES = ("/", "./", "../", "~")
_SEPARATORS = re.compile(r"[,\n]")
_OBJECT_STORAGE_MODULES = ("airflow.sdk", "airflow.providers.common.compat.sdk")

#: sets and dict views: why they are refused is in the module's docstring
_UNORDERED = (
    "a {kind} has no stable order (it can differ between the tries of one task, which resume "
    "by batch), so it is refused: pass sorted(...) of it, or a list"
)


def open_recipients(source: object, *, parameter: str = "recipients") -> Iterator[str]:
    """The raw entries of ``source``, stripped, without blank lines and ``#`` comments.

    The source's type is checked at once; a file is opened on the first
    ``next()`` and closed when the stream ends or is closed. An entry not on the
    line after the previous entry's is an :class:`.entries.Entry` (see
    :func:`.entries.with_lines`), so later errors can name its line.
    """
    return _entries_of(source, parameter)


def open_messages(
    source: object, *, parameter: str = "recipients", text_parameter: str = "text"
) -> Iterator[str]:
    """The entries of a personalised source, each an :class:`.entries.Entry` whose ``content`` is its own text.

    ``source`` is a list of ``{"number": ..., "text": ...}`` dicts, or a file (as for
    :func:`open_recipients`) of JSON Lines, one such object per line, or of CSV rows
    whose first column is the number and second the text. Errors name ``parameter``
    and the entry, never the number or the text; a source whose first entry has no
    text column at all (plain numbers) is an error naming ``text_parameter``.
    """
    return with_texts(_entries_of(source, parameter, MESSAGE_READER), parameter, text_parameter)


def _entries_of(source: object, parameter: str, reader: Reader | None = None) -> Iterator[str]:
    reader = reader or NUMBER_READER
    if source is None:
        raise InvalidInputError(parameter, "no recipients given (None)")
    if isinstance(source, str):
        return _entries_of_text(source, parameter, reader)
    if isinstance(source, bytes | bytearray):
        raise InvalidInputError(parameter, "bytes are not accepted: pass text, a list or a file path")
    if isinstance(source, Mapping):
        raise InvalidInputError(parameter, "a mapping is not a list of numbers")
    # before os.PathLike: under universal-pathlib < 0.3 (Airflow 3.1) an ObjectStoragePath is
    # one, and os.fspath() of a file:// URL is no local path
    if not isinstance(source, list | tuple) and is_object_storage_path(source):
        return _entries_of_storage_path(source, parameter, reader)
    if isinstance(source, os.PathLike):
        return _entries_of_local_file(Path(os.fspath(source)).expanduser(), parameter, reader)
    if isinstance(source, AbstractSet | ValuesView):
        raise InvalidInputError(parameter, _UNORDERED.format(kind=type(source).__name__))
    if isinstance(source, Iterable):
        return reader.items(source, parameter)
    raise InvalidInputError(
        parameter,
        f"expected a list of numbers, a comma-separated string or a file path/URL, not {type(source).__name__}",
    )


def _entries_of_text(text: str, parameter: str, reader: Reader) -> Iterator[str]:
    location = text.strip()
    if "://" in location:
        return _entries_of_url(location, parameter, reader)
    if location.startswith(_LOCATION_PREFIXES):
        return _entries_of_local_file(Path(location).expanduser(), parameter, reader)
    return reader.items(_SEPARATORS.split(text), parameter)


def _entries_of_url(url: str, parameter: str, reader: Reader) -> Iterator[str]:
    where = redacted_location(url)
    return _file_entries(
        lambda: storage_path_of(url).open("r", encoding="utf-8-sig"), where, parameter, reader
    )


def _entries_of_storage_path(path: Any, parameter: str, reader: Reader) -> Iterator[str]:
    where = redacted_location(str(path))
    return _file_entries(lambda: path.open("r", encoding="utf-8-sig"), where, parameter, reader)


def _entries_of_local_file(path: Path, parameter: str, reader: Reader) -> Iterator[str]:
    # utf-8-sig: spreadsheet exports often start with a byte order mark
    return _file_entries(lambda: path.open(encoding="utf-8-sig"), str(path), parameter, reader)


def _file_entries(
    open_text: Callable[[], IO[str]], where: str, parameter: str, reader: Reader
) -> Iterator[str]:
    try:
        handle = open_text()
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInputError(parameter, f"cannot read {where}: {why_unreadable(exc)}") from exc
    with handle:
        yield from reader.lines(handle, parameter, where)


def source_location(source: object) -> str | None:
    """The file or URL a recipients source names (a password in a URL removed); None for numbers given inline."""
    if isinstance(source, str):
        location = source.strip()
        if "://" in location:
            return redacted_location(location)
        return (
            str(Path(location).expanduser().absolute()) if location.startswith(_LOCATION_PREFIXES) else None
        )
    if is_object_storage_path(source):
        return redacted_location(str(source))
    if isinstance(source, os.PathLike):
        return str(Path(os.fspath(source)).expanduser().absolute())
    return None


def storage_path_of(url: str) -> Any:
    """Airflow's ObjectStoragePath for a ``scheme://`` URL (the reader of any URL source)."""
    storage_path = _object_storage_path_class()
    if storage_path is None:
        raise ValueError("Airflow's ObjectStoragePath is not available")
    return storage_path(url)


def is_object_storage_path(source: object) -> bool:
    """Whether ``source`` is an ObjectStoragePath: ask before ``os.PathLike``, which it may also be."""
    storage_path = _object_storage_path_class()
    return storage_path is not None and isinstance(source, storage_path)


def _object_storage_path_class() -> Any:
    for module in _OBJECT_STORAGE_MODULES:
        try:
            return importlib.import_module(module).ObjectStoragePath
        except (ImportError, AttributeError):
            continue
    return None


def redacted_location(location: str) -> str:
    """A URL as an error message may show it: without a password in its user part."""
    try:
        password = urlsplit(location).password
    except ValueError:
        return location
    return location.replace(f":{password}@", ":***@", 1) if password else location
