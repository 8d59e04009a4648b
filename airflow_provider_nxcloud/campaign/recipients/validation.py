"""Validation: entries in, valid and distinct recipients in the vendor's format out, with a report.

Two ways to run it over a source:

* :func:`validate_recipients` (phone numbers) and :func:`validated_stream` (any kind,
  given its check) validate lazily, as the recipients are read;
* :func:`spool_recipients` and :func:`spool_valid` make the one pass a campaign needs
  before its first send: every entry is read and checked once, so ``on_invalid="fail"``
  fails before anything is sent, and the valid recipients go to a
  :class:`.spool.RecipientSpool` that the send pass reads instead of the source.

Memory: the set of numbers already seen (to drop duplicates) holds about 100 bytes per
distinct number, ~100 MB for a million, and the report's sample at most
:data:`.recipient.SAMPLE_SIZE` skipped entries; everything else is streamed.

Speed: a number already written as international digits is checked against libphonenumber's
metadata directly (:mod:`.international`, ~1 us), the rest through ``phonenumbers.parse`` (~15 us).
A chunk of :data:`CHUNK` plain entries, all bare international digits, is checked in one scan per
kind of number and spooled whole (~0.6 us a number, the pass over a million ~1 s).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import phonenumbers

from airflow_provider_nxcloud.campaign.recipients.entries import Entry, plain_start, with_lines
from airflow_provider_nxcloud.campaign.recipients.international import (
    accept_international,
    all_valid_digits,
    region_of_digits,
)
from airflow_provider_nxcloud.campaign.recipients.numbers import (
    INTERNATIONAL_DIGITS,
    InvalidNumber,
    NumberFormat,
    format_number,
    parse_number,
)
from airflow_provider_nxcloud.campaign.recipients.recipient import PlainRun, Recipient, ValidationReport
from airflow_provider_nxcloud.campaign.recipients.spool import RecipientSpool
from airflow_provider_nxcloud.exceptions import InvalidInputError

ON_INVALID = ("fail", "skip")

#: ``check(raw)``: ``(value, None)`` for a valid entry, ``("", reason)`` for an invalid one
Check = Callable[[str], tuple[str, str | None]]
#: ``all_valid(chunk)``: True when every entry of the chunk is valid and already its own value
#: (then the chunk is checked at once); False: check them one by one
AllValid = Callable[[list[str]], bool]
#: a valid entry checked on its own: ``(value, raw, line)``
Valid = tuple[str, str, int]
#: entries read and checked together
CHUNK = 4096
_ONLY_STR = {str}


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
) -> Iterator[Recipient]:
    """Valid, distinct recipients in the vendor format ``fmt``, lazily.

    ``on_invalid="fail"`` raises at the first invalid entry, naming its line
    and why but not the number; validate with :func:`spool_recipients` before
    sending, or numbers before it are already sent (those of earlier chunks:
    entries are read and checked :data:`CHUNK` at a time, and a chunk is given
    only once all of it is checked). ``"skip"`` drops invalid entries. Either
    way a number seen before is dropped as a duplicate and everything dropped
    is counted in ``report``. A stream with no valid recipient at all raises
    when it ends. Arguments are checked at once.
    """
    rules = _rules(fmt, on_invalid, default_region, allowed_regions, parameter)
    return validated_stream(
        entries,
        _number_check(rules),
        fail=rules.fail,
        parameter=parameter,
        report=report if report is not None else ValidationReport(),
        all_valid=_all_valid_numbers(rules),
    )


def spool_recipients(
    entries: Iterable[str],
    fmt: NumberFormat | str,
    *,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
    parameter: str = "recipients",
) -> RecipientSpool:
    """The one pass before the first send: every entry validated, the valid ones spooled for sending.

    With ``on_invalid="fail"`` an invalid number anywhere raises here, before anything
    is sent. The spool's ``report`` counts what was kept and skipped; iterating the
    spool gives exactly what :func:`validate_recipients` would, without reading the
    source or parsing a number again.
    """
    rules = _rules(fmt, on_invalid, default_region, allowed_regions, parameter)
    return spool_valid(
        entries,
        _number_check(rules),
        fail=rules.fail,
        parameter=parameter,
        all_valid=_all_valid_numbers(rules),
    )


def number_chunks(
    entries: Iterable[str],
    fmt: NumberFormat | str,
    *,
    report: ValidationReport,
    on_invalid: str = "fail",
    default_region: str | None = None,
    allowed_regions: Iterable[str] | None = None,
    parameter: str = "recipients",
) -> Iterator[PlainRun | list[Valid]]:
    """The valid, distinct numbers of :func:`spool_recipients`' pass as it makes them, a chunk at a
    time (for a pass that sorts them further, as a campaign's compliance screening does)."""
    rules = _rules(fmt, on_invalid, default_region, allowed_regions, parameter)
    return _valid_chunks(
        entries,
        _number_check(rules),
        fail=rules.fail,
        parameter=parameter,
        report=report,
        all_valid=_all_valid_numbers(rules),
    )


def number_checks(
    fmt: NumberFormat | str, *, default_region: str | None = None
) -> tuple[Check, AllValid | None]:
    """How recipients are checked, for another list of numbers (a suppression list): ``check(raw)``
    gives ``(number in the format fmt, None)`` or ``("", reason)``; ``all_valid(chunk)``, when not
    None, vouches for a chunk of plain entries that are all valid and already their own value."""
    rules = _rules(fmt, "skip", default_region, None, "recipients")
    return _number_check(rules), _all_valid_numbers(rules)


def spool_valid(
    entries: Iterable[str],
    check: Check,
    *,
    fail: bool,
    parameter: str,
    all_valid: AllValid | None = None,
) -> RecipientSpool:
    """:func:`spool_recipients` for recipients of any kind, given their ``check`` (email addresses too)."""
    report = ValidationReport()
    spool = RecipientSpool(report)
    try:
        spool.write(
            _valid_chunks(entries, check, fail=fail, parameter=parameter, report=report, all_valid=all_valid)
        )
    except BaseException:
        spool.close()
        raise
    return spool


def validated_stream(
    entries: Iterable[str],
    check: Check,
    *,
    fail: bool,
    parameter: str,
    report: ValidationReport,
    all_valid: AllValid | None = None,
) -> Iterator[Recipient]:
    """Valid, distinct recipients of any kind, lazily; ``check(raw)`` gives ``(value, None)`` or ``("", reason)``.

    Invalid entries fail (naming the entry's position, never its value: task logs
    should not collect recipients) or are skipped; duplicates are skipped. Both are
    counted in ``report``. Phone numbers and email addresses share this loop.
    """
    for valid in _valid_chunks(
        entries, check, fail=fail, parameter=parameter, report=report, all_valid=all_valid
    ):
        if isinstance(valid, PlainRun):
            yield from valid
        else:
            for value, raw, line in valid:
                yield Recipient(value, str(raw), line, raw.content if isinstance(raw, Entry) else None)


def _valid_chunks(
    entries: Iterable[str],
    check: Check,
    *,
    fail: bool,
    parameter: str,
    report: ValidationReport,
    all_valid: AllValid | None,
) -> Iterator[PlainRun | list[Valid]]:
    """The one loop of every validation: the valid, distinct entries, a chunk of entries at a time.

    A chunk of entries on consecutive lines, each a number alone, that ``all_valid`` vouches
    for, none seen before, comes whole as a :class:`.recipient.PlainRun`; any other chunk is
    checked entry by entry and comes as ``(value, raw, line)`` of each valid, distinct entry.
    ``report.valid`` is set when the loop ends (the rest of the report as it goes).
    """
    seen: set[str] = set()
    keep = seen.add
    #: entries read, and the line of the last one
    count = line = 0
    iterator = iter(entries)
    try:
        while chunk := list(itertools.islice(iterator, CHUNK)):
            count += len(chunk)
            # the first entry may say its line (the first after a CSV header, a blank line...)
            first = plain_start(chunk[0], line)
            if (
                first is not None
                and all_valid is not None
                and set(map(type, itertools.islice(chunk, 1, None))) <= _ONLY_STR
                and all_valid(chunk)
            ):
                fresh = set(chunk)
                if len(fresh) == len(chunk) and seen.isdisjoint(fresh):
                    seen |= fresh
                    line = first + len(chunk) - 1
                    # the run says where it starts: its first value is plain text (after the run
                    # is taken; a chunk checked entry by entry needs the Entry's own line)
                    chunk[0] = str(chunk[0])
                    yield PlainRun(chunk, first)
                    continue
            valid: list[Valid] = []
            previous = line
            for line, raw in with_lines(chunk, after=previous):
                value, reason = check(raw)
                if reason is None and value not in seen:
                    keep(value)
                    valid.append((value, raw, line))
                    continue
                if reason is None:
                    report.record_duplicate(line, raw)
                    continue
                report.record_invalid(line, raw, reason)
                if fail:
                    raise InvalidInputError(parameter, f"entry {line}: {reason}")
            if valid:
                yield valid
    finally:
        report.valid = len(seen)
    if count == 0:
        raise InvalidInputError(parameter, "no recipients")
    if not seen:
        raise InvalidInputError(parameter, f"no valid recipients among {count} entries")


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


def _number_check(rules: _Rules) -> Check:
    """``check(raw)`` for :func:`validated_stream`: the fast path first, phonenumbers for the rest."""
    region, allowed, plus = rules.default_region, rules.allowed_regions, rules.fmt is NumberFormat.E164
    shortest, longest = INTERNATIONAL_DIGITS.start, INTERNATIONAL_DIGITS.stop - 1
    bare_is_international = region is None

    def check(raw: str) -> tuple[str, str | None]:
        # the usual entry, bare international digits, straight to the metadata (as accept_international)
        if (
            bare_is_international
            and raw.isdigit()
            and raw.isascii()
            and shortest <= len(raw) <= longest
            and raw[0] != "0"
        ):
            found = region_of_digits(raw)
            if found is not None and (allowed is None or found in allowed):
                return (f"+{raw}" if plus else raw), None
            return _checked_number(raw, rules)
        fast = accept_international(raw, default_region=region)
        if fast is not None and (allowed is None or fast[1] in allowed):
            return (f"+{fast[0]}" if plus else fast[0]), None
        return _checked_number(raw, rules)

    return check


def _all_valid_numbers(rules: _Rules) -> AllValid | None:
    """``all_valid(chunk)`` for :func:`_valid_chunks`, where a valid number is written exactly as
    the vendor wants it: bare international digits (no default region) in the DIGITS format;
    else None (entries are checked one by one)."""
    if rules.fmt is not NumberFormat.DIGITS or rules.default_region is not None or rules.allowed_regions:
        return None
    shortest, longest = INTERNATIONAL_DIGITS.start, INTERNATIONAL_DIGITS.stop - 1

    def all_valid(chunk: list[str]) -> bool:
        digits = "".join(chunk)
        return (
            digits.isdigit()
            and digits.isascii()
            and all_valid_digits("\n".join(chunk), len(chunk), shortest, longest)
        )

    return all_valid


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
