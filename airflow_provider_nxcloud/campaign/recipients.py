"""A campaign's ``recipients`` parameter, turned into a stream of validated, vendor-formatted numbers.

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

Two vendor formats (:data:`PLATFORM_FORMATS`): ``E164`` (``+6591234567``) and
``DIGITS``, the country code and national number without the plus
(``6591234567``).

Memory: files are read line by line and every step here is a generator, so a
campaign of millions of numbers never sits in memory. The exceptions are the
set of numbers already seen (to drop duplicates), about 100 bytes per distinct
number, i.e. ~100 MB for a million, the report's sample of at most
:data:`SAMPLE_SIZE` skipped entries, and, when the send pass replays the up-front
pass (:class:`Verdicts`), 9 bytes per entry instead of a second set.

Speed: numbers already written as international digits are checked against
libphonenumber's metadata directly (:func:`accept_international`, ~1.5 us), the rest
through ``phonenumbers.parse`` (~15 us); see the fast path's section below.
"""

from __future__ import annotations

import array
import collections
import csv
import enum
import functools
import importlib
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, ValidationResult

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud

T = TypeVar("T")

#: how many skipped entries a :class:`ValidationReport` keeps, whatever the campaign's size
SAMPLE_SIZE = 100

#: a bare digit string without a default region is read as an international number of this length
INTERNATIONAL_DIGITS = range(8, 16)

ON_INVALID = ("fail", "skip")

_LOCATION_PREFIXES = ("/", "./", "../", "~")
_SEPARATORS = re.compile(r"[,\n]")
_DIGITS_AND_PUNCTUATION = re.compile(r"[\d\s().\-/]+")
_OBJECT_STORAGE_MODULES = ("airflow.sdk", "airflow.providers.common.compat.sdk")

#: sets and dict views: why they are refused is in the module's docstring
_UNORDERED = (
    "a {kind} has no stable order (it can differ between the tries of one task, which resume "
    "by batch), so it is refused: pass sorted(...) of it, or a list"
)


class NumberFormat(str, enum.Enum):
    """How a vendor's API wants a number written."""

    #: "+6591234567"
    E164 = "e164"
    #: "6591234567": country code and national number, no plus
    DIGITS = "digits"


PLATFORM_FORMATS: dict[str, NumberFormat] = {
    fonedynamics.PLATFORM: NumberFormat.E164,
    buka.PLATFORM: NumberFormat.DIGITS,
    nxcloud.PLATFORM: NumberFormat.DIGITS,
}

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no or unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_IMPOSSIBLE_REASONS = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing area code",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.INVALID_LENGTH: "wrong length for its country",
    ValidationResult.TOO_LONG: "too long",
}


class InvalidNumber(ValueError):
    """One entry that is not a number a vendor would deliver to."""

    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"{raw!r}: {reason}")


class Entry(str):
    """A raw entry that remembers its line in the file (or position in the list), and its own text if any."""

    line: int
    content: str | None

    def __new__(cls, text: str, line: int = 0, content: str | None = None) -> Entry:
        entry = super().__new__(cls, text)
        entry.line = line
        entry.content = content
        return entry


@dataclass(frozen=True)
class Recipient:
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


class Verdicts:
    """What the up-front pass decided for each entry, by position, so the send pass need not
    parse every number again: a byte and a hash per entry (~9 MB for a million).

    The send pass reads the same source again; an entry whose text no longer hashes the
    same, or a source that got longer or shorter, means it changed between the passes,
    and the send pass stops with an error rather than send what was not checked.
    """

    #: skipped (invalid or a duplicate) / valid, its value the entry's own digits / valid, check again
    SKIP, OWN_DIGITS, CHECK = 0, 1, 2

    def __init__(self) -> None:
        self.codes = bytearray()
        self.hashes = array.array("q")

    def add(self, raw: str, code: int) -> None:
        self.codes.append(code)
        self.hashes.append(hash(raw))  # an Entry hashes as its text

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class ValidationReport:
    """What validation kept and dropped; the sample is bounded, the counts are exact."""

    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    #: the first :data:`SAMPLE_SIZE` skipped entries, invalid or duplicate
    sample: list[Skipped] = field(default_factory=list)
    #: each entry's verdict (:func:`check_all` with ``keep_verdicts``), for the send pass
    verdicts: Verdicts | None = field(default=None, repr=False, compare=False)

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


# --- sources -------------------------------------------------------------------------------


def open_recipients(source: object, *, parameter: str = "recipients") -> Iterator[str]:
    """The raw entries of ``source``, stripped, without blank lines and ``#`` comments.

    The source's type is checked at once; a file is opened on the first
    ``next()`` and closed when the stream ends or is closed. Every entry is an
    :class:`Entry`, so later errors can name its line.
    """
    entries, where = _entries_of(source, parameter)
    return _not_empty(entries, parameter, where)


def open_messages(
    source: object, *, parameter: str = "recipients", text_parameter: str = "text"
) -> Iterator[str]:
    """The entries of a personalised source, each an :class:`Entry` whose ``content`` is its own text.

    ``source`` is a list of ``{"number": ..., "text": ...}`` dicts, or a file (as for
    :func:`open_recipients`) of JSON Lines, one such object per line, or of CSV rows
    whose first column is the number and second the text. Errors name ``parameter``
    and the entry, never the number or the text; a source whose first entry has no
    text column at all (plain numbers) is an error naming ``text_parameter``.
    """
    entries, where = _entries_of(source, parameter, _MESSAGE_READER)
    return _with_texts(_not_empty(entries, parameter, where), parameter, text_parameter)


class _Reader(NamedTuple):
    """How one kind of source turns list items and file lines into entries."""

    items: Callable[[Iterable[Any], str], Iterator[Entry]]
    #: ``(line text, line number, parameter)`` -> an entry, or None for a line that is none
    line: Callable[[str, int, str], Entry | None]


def _entries_of(source: object, parameter: str, reader: _Reader | None = None) -> tuple[Iterator[Entry], str]:
    reader = reader or _NUMBER_READER
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
        return reader.items(source, parameter), ""
    raise InvalidInputError(
        parameter,
        f"expected a list of numbers, a comma-separated string or a file path/URL, not {type(source).__name__}",
    )


def _entries_of_text(text: str, parameter: str, reader: _Reader) -> tuple[Iterator[Entry], str]:
    location = text.strip()
    if "://" in location:
        return _entries_of_url(location, parameter, reader)
    if location.startswith(_LOCATION_PREFIXES):
        return _entries_of_local_file(Path(location).expanduser(), parameter, reader)
    return reader.items(_SEPARATORS.split(text), parameter), ""


def _entries_of_url(url: str, parameter: str, reader: _Reader) -> tuple[Iterator[Entry], str]:
    where = redacted_location(url)
    return _file_entries(
        lambda: storage_path_of(url).open("r", encoding="utf-8-sig"), where, parameter, reader
    ), where


def _entries_of_storage_path(path: Any, parameter: str, reader: _Reader) -> tuple[Iterator[Entry], str]:
    where = redacted_location(str(path))
    return _file_entries(lambda: path.open("r", encoding="utf-8-sig"), where, parameter, reader), where


def _entries_of_local_file(path: Path, parameter: str, reader: _Reader) -> tuple[Iterator[Entry], str]:
    # utf-8-sig: spreadsheet exports often start with a byte order mark
    opened = _file_entries(lambda: path.open(encoding="utf-8-sig"), str(path), parameter, reader)
    return opened, str(path)


def _items(items: Iterable[Any], parameter: str) -> Iterator[Entry]:
    for position, item in enumerate(items, start=1):
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise InvalidInputError(parameter, f"entry {position} is a {type(item).__name__}, not text")
        text = str(item).strip()
        if _is_entry(text):
            yield Entry(text, position)


def _file_entries(
    open_text: Callable[[], IO[str]], where: str, parameter: str, reader: _Reader
) -> Iterator[Entry]:
    try:
        handle = open_text()
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInputError(parameter, f"cannot read {where}: {_why(exc)}") from exc
    with handle:
        yield from _file_lines(handle, where, parameter, reader)


def _file_lines(handle: IO[str], where: str, parameter: str, reader: _Reader) -> Iterator[Entry]:
    line = 0
    first = True
    try:
        for line, text in enumerate(handle, start=1):
            entry = reader.line(text, line, parameter)
            if entry is None:
                continue
            if first and _is_header(entry):
                first = False
                continue
            first = False
            yield entry
    except UnicodeDecodeError:
        # the decoder's message quotes the bytes; decoding runs ahead in blocks, so no line either
        raise InvalidInputError(parameter, f"{where} is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInputError(parameter, f"cannot read {where} after line {line}: {_why(exc)}") from exc


def _number_line(text: str, line: int, parameter: str) -> Entry | None:
    plain = text.strip()
    if plain.isdigit():  # the usual line: just a number (a million of them, read twice)
        return Entry(plain, line)
    number = _first_column(text)
    return Entry(number, line) if _is_entry(number) else None


def _first_column(text: str) -> str:
    """A CSV export's first column; a plain line is its own first column."""
    return text.split(",", 1)[0].strip().strip('"').strip()


def _is_entry(text: str) -> bool:
    return bool(text) and not text.startswith("#")


def _is_header(text: str) -> bool:
    """An exported CSV's column names: a first row with no digit cannot be a number."""
    return not any(char.isdigit() for char in text)


_NUMBER_READER = _Reader(_items, _number_line)


# --- personalised sources: a text per number ------------------------------------------------


def _message_items(items: Iterable[Any], parameter: str) -> Iterator[Entry]:
    for position, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            yield _message(item, position, parameter)
        elif isinstance(item, str | int) and not isinstance(item, bool):
            # a plain number: no text of its own (which _with_texts reports)
            if _is_entry(text := str(item).strip()):
                yield Entry(text, position)
        else:
            raise InvalidInputError(parameter, f"entry {position} is a {type(item).__name__}, not a dict")


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


_MESSAGE_READER = _Reader(_message_items, _message_line)


def _with_texts(entries: Iterator[str], parameter: str, text_parameter: str) -> Iterator[str]:
    for count, entry in enumerate(entries):
        content = getattr(entry, "content", None)
        if content is None and count == 0:
            raise InvalidInputError(
                text_parameter, "is not given, and the recipients carry no texts of their own"
            )
        if not (content or "").strip():
            raise InvalidInputError(parameter, f"entry {getattr(entry, 'line', count + 1)} has no text")
        yield entry


def _not_empty(entries: Iterator[Entry], parameter: str, where: str) -> Iterator[str]:
    empty = True
    for entry in entries:
        empty = False
        yield entry
    if empty:
        raise InvalidInputError(parameter, f"no recipients in {where}" if where else "no recipients")


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


def _why(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# --- numbers -------------------------------------------------------------------------------


def normalize_number(raw: str, fmt: NumberFormat | str, *, default_region: str | None = None) -> str:
    """``raw`` in the vendor format ``fmt``, or :class:`InvalidNumber` saying why not.

    Numbers libphonenumber calls invalid are rejected, not passed on: vendors
    either refuse them after billing the attempt or reject the whole batch.
    """
    return format_number(parse_number(raw, default_region=default_region), NumberFormat(fmt))


def format_number(number: PhoneNumber, fmt: NumberFormat) -> str:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if fmt is NumberFormat.E164 else e164.removeprefix("+")


def parse_number(raw: str, *, default_region: str | None = None) -> PhoneNumber:
    """A valid number from any common way of writing it.

    ``+65 9123 4567``, ``(+65) 9123-4567``, ``0065 9123 4567`` and, without a
    default region, ``6591234567`` (a bare digit string is international). With
    a default region, national forms (``9123 4567``) too, and a bare digit
    string that is not a valid national number is tried as international.
    """
    text = str(raw).strip()
    digits = _bare_digits(text)
    if digits is not None and digits.startswith("00"):
        return _parse_valid(raw, "+" + digits[2:], None)
    if digits is not None and default_region is None:
        _check_international_length(raw, digits)
        return _parse_valid(raw, "+" + digits, None)
    try:
        return _parse_valid(raw, text, default_region)
    except InvalidNumber as national_error:
        if digits is None or len(digits) not in INTERNATIONAL_DIGITS:
            raise
        try:
            return _parse_valid(raw, "+" + digits, None)
        except InvalidNumber:
            raise national_error from None


def _bare_digits(text: str) -> str | None:
    """The digits of a number written without a plus, or None for anything else."""
    if not _DIGITS_AND_PUNCTUATION.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    return digits or None


def _check_international_length(raw: str, digits: str) -> None:
    if len(digits) < INTERNATIONAL_DIGITS.start:
        raise InvalidNumber(raw, "too short")
    if len(digits) >= INTERNATIONAL_DIGITS.stop:
        raise InvalidNumber(raw, "too long")


def _parse_valid(raw: str, text: str, region: str | None) -> PhoneNumber:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidNumber(raw, _PARSE_REASONS.get(exc.error_type, "not a phone number")) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise InvalidNumber(raw, _IMPOSSIBLE_REASONS.get(possible, "not a possible number"))
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(raw, "invalid for its country")
    return number


# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    fmt: NumberFormat
    fail: bool
    default_region: str | None
    allowed_regions: frozenset[str] | None
    parameter: str


def validate_recipients(
    entries: Iterable[str],
    fmt: NumberFormat | str,
    *,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
    parameter: str = "recipients",
    report: ValidationReport | None = None,
    verdicts: Verdicts | None = None,
) -> Iterator[Recipient]:
    """Valid, distinct recipients in the vendor format ``fmt``, lazily.

    ``on_invalid="fail"`` raises at the first invalid entry, naming its line
    and why but not the number; validate with :func:`check_all` before
    sending, or numbers before it are already sent. ``"skip"`` drops invalid
    entries. Either way a number seen before is dropped as a duplicate and
    everything dropped is counted in ``report``. A stream with no valid
    recipient at all raises when it ends. Arguments are checked at once.

    ``verdicts`` (from :func:`check_all` over the same entries with the same rules)
    replays the up-front pass's decisions instead of deciding again; the counts are
    then that pass's, and ``report`` is left alone.
    """
    rules = _rules(fmt, on_invalid, default_region, allowed_regions, parameter)
    if verdicts is not None:
        return _replayed(entries, rules, verdicts)
    return _validated(entries, rules, report if report is not None else ValidationReport())


def check_all(
    entries: Iterable[str],
    fmt: NumberFormat | str,
    *,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
    parameter: str = "recipients",
    keep_verdicts: bool = False,
) -> ValidationReport:
    """Validate every entry without sending: the up-front pass that makes ``"fail"`` fail before any send.

    ``keep_verdicts``: the report also carries each entry's :class:`Verdicts`, which
    :func:`validate_recipients` replays in the send pass instead of validating again.
    """
    report = ValidationReport()
    rules = _rules(fmt, on_invalid, default_region, allowed_regions, parameter)
    if keep_verdicts:
        report.verdicts = Verdicts()
    # consumed without building a Recipient for each entry: only the counts are kept
    collections.deque(
        _valid_entries(
            entries,
            _number_check(rules),
            fail=rules.fail,
            parameter=parameter,
            report=report,
            verdicts=report.verdicts,
            own_value=_own_value(rules.fmt),
        ),
        maxlen=0,
    )
    return report


def _rules(
    fmt: NumberFormat | str,
    on_invalid: str,
    default_region: str | None,
    allowed_regions: Iterable[str] | None,
    parameter: str,
) -> _Rules:
    if on_invalid not in ON_INVALID:
        raise InvalidInputError("on_invalid", f"must be one of {', '.join(ON_INVALID)}, not {on_invalid!r}")
    try:
        number_format = NumberFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in NumberFormat)
        raise InvalidInputError("fmt", f"must be one of {choices}, not {fmt!r}") from None
    region = _region(default_region, "default_region") if default_region is not None else None
    allowed = (
        frozenset(_region(code, "allowed_regions") for code in allowed_regions)
        if allowed_regions is not None
        else None
    )
    return _Rules(number_format, on_invalid == "fail", region, allowed, parameter)


def _region(code: str, parameter: str) -> str:
    region = str(code).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(parameter, f"{code!r} is not a two-letter region code such as 'SG'")
    return region


def _validated(entries: Iterable[str], rules: _Rules, report: ValidationReport) -> Iterator[Recipient]:
    return validated_stream(
        entries, _number_check(rules), fail=rules.fail, parameter=rules.parameter, report=report
    )


def _own_value(fmt: NumberFormat) -> Callable[[str], str | None]:
    """The value an entry written as plain digits (``+`` optional) has in ``fmt``, from its text alone."""
    plus = fmt is NumberFormat.E164

    def own(raw: str) -> str | None:
        text = raw.strip()
        digits = text[1:] if text.startswith("+") else text
        if not (digits.isascii() and digits.isdigit()):
            return None
        return f"+{digits}" if plus else digits

    return own


def _replayed(entries: Iterable[str], rules: _Rules, verdicts: Verdicts) -> Iterator[Recipient]:
    """The send pass from the up-front pass's verdicts: the same recipients, without parsing again."""
    plus = rules.fmt is NumberFormat.E164
    check = _number_check(rules)
    codes, hashes = verdicts.codes, verdicts.hashes
    position = -1
    for position, raw in enumerate(entries):
        line = getattr(raw, "line", position + 1)
        if position >= len(codes) or hashes[position] != hash(raw):
            raise _changed(rules.parameter, line)
        code = codes[position]
        if code == Verdicts.SKIP:
            continue
        if code == Verdicts.OWN_DIGITS:
            # the same text the first pass found to be digits, with an optional plus
            text = raw.strip()
            digits = text[1:] if text[0] == "+" else text
            value = f"+{digits}" if plus else digits
        else:
            value = check(raw)[0]
            if not value:
                raise _changed(rules.parameter, line)
        yield Recipient(value, str(raw), line, getattr(raw, "content", None))
    if position + 1 != len(codes):
        raise _changed(rules.parameter, position + 2)


def _changed(parameter: str, line: int) -> InvalidInputError:
    return InvalidInputError(
        parameter,
        f"changed while the task ran (entry {line} is not what the check before the first send "
        "read); nothing after it was sent. Re-run the task once the source is final",
    )


def _number_check(rules: _Rules) -> Callable[[str], tuple[str, str | None]]:
    """``check(raw)`` for :func:`validated_stream`: the fast path first, phonenumbers for the rest."""
    region, allowed, plus = rules.default_region, rules.allowed_regions, rules.fmt is NumberFormat.E164

    def check(raw: str) -> tuple[str, str | None]:
        fast = accept_international(raw, default_region=region)
        if fast is not None and (allowed is None or fast[1] in allowed):
            return (f"+{fast[0]}" if plus else fast[0]), None
        return _checked_number(raw, rules)

    return check


def validated_stream(
    entries: Iterable[str],
    check: Callable[[str], tuple[str, str | None]],
    *,
    fail: bool,
    parameter: str,
    report: ValidationReport,
) -> Iterator[Recipient]:
    """Valid, distinct recipients of any kind, lazily; ``check(raw)`` gives ``(value, None)`` or ``("", reason)``.

    Invalid entries fail (naming the entry's position, never its value: task logs
    should not collect recipients) or are skipped; duplicates are skipped. Both are
    counted in ``report``. Phone numbers and email addresses share this loop.
    """
    for value, raw, line in _valid_entries(entries, check, fail=fail, parameter=parameter, report=report):
        yield Recipient(value, str(raw), line, getattr(raw, "content", None))


def _valid_entries(
    entries: Iterable[str],
    check: Callable[[str], tuple[str, str | None]],
    *,
    fail: bool,
    parameter: str,
    report: ValidationReport,
    verdicts: Verdicts | None = None,
    own_value: Callable[[str], str | None] | None = None,
) -> Iterator[tuple[str, str, int]]:
    """The loop of :func:`validated_stream`: ``(value, raw, line)`` of each valid, distinct entry.

    With ``verdicts``, each entry's verdict is noted too: ``OWN_DIGITS`` when its value is
    what ``own_value(raw)`` makes of the entry's text alone, else ``CHECK``; ``SKIP`` if dropped.
    """
    seen: set[str] = set()
    position = valid = 0
    for position, raw in enumerate(entries, start=1):
        line = getattr(raw, "line", position)
        value, reason = check(raw)
        if reason is not None:
            report.record_invalid(line, raw, reason)
            if verdicts is not None:
                verdicts.add(raw, Verdicts.SKIP)
            if fail:
                raise InvalidInputError(parameter, f"entry {line}: {reason}")
            continue
        if value in seen:
            report.record_duplicate(line, raw)
            if verdicts is not None:
                verdicts.add(raw, Verdicts.SKIP)
            continue
        seen.add(value)
        valid += 1
        report.valid += 1
        if verdicts is not None:
            # value == raw: the usual case, a number already written as the vendor wants it
            own = own_value is not None and (value == raw or own_value(raw) == value)
            verdicts.add(raw, Verdicts.OWN_DIGITS if own else Verdicts.CHECK)
        yield value, raw, line
    if position == 0:
        raise InvalidInputError(parameter, "no recipients")
    if valid == 0:
        raise InvalidInputError(parameter, f"no valid recipients among {position} entries")


def _checked_number(raw: str, rules: _Rules) -> tuple[str, str | None]:
    """The number in the vendor format, or why not; a reason, so a rejection has no number in its context."""
    try:
        return _vendor_number(raw, rules), None
    except InvalidNumber as exc:
        return "", exc.reason


def _vendor_number(raw: str, rules: _Rules) -> str:
    number = parse_number(raw, default_region=rules.default_region)
    if rules.allowed_regions is not None:
        region = phonenumbers.region_code_for_number(number)
        if region not in rules.allowed_regions:
            raise InvalidNumber(raw, f"country {region} is not allowed")
    return format_number(number, rules.fmt)


# --- the fast path: numbers already written as international digits -------------------------
#
# A million recipients parsed with ``phonenumbers.parse`` cost ~10 us each (~15 us with the
# validity checks) before the first send can go out. Most lists hold numbers already written as
# ``6591234567`` or ``+6591234567``: for those, the country code is read off the front and
# the national number checked against libphonenumber's own metadata for that country
# (compiled once per country and length), which is what ``parse`` + ``is_possible_number``
# + ``is_valid_number`` decide for such input. The fast path only ever *accepts*; anything
# it does not vouch for (a national prefix or leading zero that ``parse`` would treat
# specially, an unknown country code, a number that fails a check) goes through the full
# path above, which gives the exact reason. tests/campaign/test_fast_numbers.py holds the
# two paths to the same answers over every country's example numbers and random digits.

#: phonenumbers' bounds on a national significant number (``_MIN/_MAX_LENGTH_FOR_NSN``)
_NSN_LENGTHS = range(2, 18)


def accept_international(raw: str, *, default_region: str | None = None) -> tuple[str, str] | None:
    """``(digits, region)`` of a valid number written as international digits, else None (undecided).

    ``digits`` is the country code and national number (the DIGITS format). Accepts
    ``+`` followed by digits, or, without a default region, 8-15 bare digits (the way
    :func:`parse_number` reads them). None means "use :func:`parse_number`", never "invalid".
    """
    text = raw.strip()
    if text.startswith("+"):
        digits = text[1:]
    elif default_region is None and len(text) in INTERNATIONAL_DIGITS and not text.startswith("00"):
        digits = text
    else:
        return None
    if not (digits.isascii() and digits.isdigit()) or digits.startswith("0"):
        return None
    found = _country_of(digits[:3])
    if found is None:
        return None
    length, country = found
    region = country.accept(digits[length:])
    return None if region is None else (digits, region)


@functools.cache
def _country_of(first_digits: str) -> tuple[int, _CountryRules] | None:
    """The country code a number starts with (1 to 3 digits, as phonenumbers reads it) and its rules."""
    for length in range(1, len(first_digits) + 1):
        code = int(first_digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            country = _country_rules(code)
            return None if country is None else (length, country)
    return None


class _Desc(NamedTuple):
    """One ``PhoneNumberDesc``: the lengths it allows (empty: any) and its national number pattern."""

    lengths: frozenset[int]
    pattern: str


def _desc(desc: Any) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    # as phonenumbers reads it: (-1,) means "no number of this type has any length"
    return _Desc(frozenset(desc.possible_length or ()), desc.national_number_pattern)


class _RegionRules:
    """libphonenumber's validity test for one region (``_number_type_helper != UNKNOWN``), compiled."""

    #: the types _number_type_helper tries after the general description, in its order
    _TYPES = (
        "premium_rate",
        "toll_free",
        "shared_cost",
        "voip",
        "personal_number",
        "pager",
        "uan",
        "voicemail",
    )

    def __init__(self, region: str, metadata: Any) -> None:
        self.region = region
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
        self.general = _desc(metadata.general_desc)
        names = [*self._TYPES, "fixed_line"]
        if not metadata.same_mobile_and_fixed_line_pattern:
            names.append("mobile")
        self.types = [d for d in (_desc(getattr(metadata, name, None)) for name in names) if d is not None]
        #: length -> one pattern for the whole test, None when nothing of that length is valid
        self._by_length: dict[int, re.Pattern[str] | None] = {}

    def _pattern(self, length: int) -> re.Pattern[str] | None:
        general = self.general
        if general is None or (general.lengths and length not in general.lengths):
            return None
        types = [d.pattern for d in self.types if not d.lengths or length in d.lengths]
        if not types:
            return None
        # fully matched exactly when the general description and one of the types fully match
        alternatives = "|".join(f"(?:{pattern})" for pattern in types)
        return re.compile(f"(?=(?:{general.pattern})\\Z)(?:{alternatives})")

    def valid(self, nsn: str) -> bool:
        """Whether libphonenumber calls ``nsn`` valid in this region (re.error: cannot tell, raised)."""
        length = len(nsn)
        if length not in self._by_length:
            self._by_length[length] = self._pattern(length)
        pattern = self._by_length[length]
        return pattern is not None and pattern.fullmatch(nsn) is not None


class _CountryRules:
    """What ``parse`` + ``is_possible_number`` + ``is_valid_number`` decide for ``+<code><nsn>``."""

    def __init__(self, code: int, regions: tuple[str, ...]) -> None:
        main = phonenumbers.region_code_for_country_code(code)
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, main)
        if metadata is None:
            raise LookupError(code)
        self.national_prefix = (
            re.compile(metadata.national_prefix_for_parsing) if metadata.national_prefix_for_parsing else None
        )
        general = metadata.general_desc
        if general is None:
            raise LookupError(code)
        self.possible = frozenset(general.possible_length or ())
        self.local_only = frozenset(general.possible_length_local_only or ())
        self.regions = [
            _RegionRules(region, found)
            for region in regions
            if (found := PhoneMetadata.metadata_for_region_or_calling_code(code, region)) is not None
        ]
        #: national number length -> how to decide: None (leave it to phonenumbers), a single
        #: region's (region, pattern), or (None, None): several regions, see :meth:`_several`
        self._plans: dict[int, tuple[str | None, re.Pattern[str] | None] | None] = {}

    def _plan(self, length: int) -> tuple[str | None, re.Pattern[str] | None] | None:
        if length not in _NSN_LENGTHS or length in self.local_only or length not in self.possible:
            return None  # parse would refuse it, or is_possible_number would say no
        if len(self.regions) != 1:
            return None, None
        try:
            pattern = self.regions[0]._pattern(length)
        except re.error:
            return None  # a pattern Python's re cannot combine: phonenumbers decides
        return None if pattern is None else (self.regions[0].region, pattern)

    def accept(self, nsn: str) -> str | None:
        """The region of a valid national significant number, or None (undecided)."""
        length = len(nsn)
        if length in self._plans:
            plan = self._plans[length]
        else:
            plan = self._plans[length] = self._plan(length)
        if plan is None or nsn.startswith("0"):
            return None  # ... or parse would keep leading zeros apart
        if self.national_prefix is not None and self.national_prefix.match(nsn):
            return None  # parse might strip a national prefix or carrier code
        region, pattern = plan
        if pattern is not None:
            return region if pattern.fullmatch(nsn) else None
        try:
            return self._several(nsn)
        except re.error:
            return None

    def _several(self, nsn: str) -> str | None:
        # region_code_for_number: the first region whose leading digits match, or (without
        # leading digits) for which the number is valid; then the number must be valid there
        for rules in self.regions:
            if rules.leading is not None:
                if rules.leading.match(nsn):
                    return rules.region if rules.valid(nsn) else None
            elif rules.valid(nsn):
                return rules.region
        return None


@functools.cache
def _country_rules(code: int) -> _CountryRules | None:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return None
    try:
        return _CountryRules(code, tuple(regions))
    except (LookupError, re.error):
        return None


def country_and_national(number: str) -> tuple[str, str]:
    """``("65", "91234567")`` from a valid number written ``6591234567`` or ``+6591234567``.

    For APIs that take the country calling code and the national number apart.
    """
    parsed = phonenumbers.parse("+" + str(number).strip().lstrip("+"))
    return str(parsed.country_code), phonenumbers.national_significant_number(parsed)


def chunked(
    iterable: Iterable[T], size: int, *, key: Callable[[T], object] | None = None
) -> Iterator[list[T]]:
    """Lists of at most ``size`` items, read from ``iterable`` only as each list is needed.

    With ``key``, a list also ends where ``key(item)`` changes, so all items of a list
    share one key (consecutive runs: the same input always gives the same lists).
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    if key is not None:
        return _runs(iter(iterable), size, key)
    return _chunks(iter(iterable), size)


def _chunks(iterator: Iterator[T], size: int) -> Iterator[list[T]]:
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _runs(iterator: Iterator[T], size: int, key: Callable[[T], object]) -> Iterator[list[T]]:
    chunk: list[T] = []
    current: object = None
    for item in iterator:
        value = key(item)
        if chunk and (len(chunk) == size or value != current):
            yield chunk
            chunk = []
        chunk.append(item)
        current = value
    if chunk:
        yield chunk
