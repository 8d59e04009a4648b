"""Phone numbers: parsed from any common way of writing them, checked, and written as a vendor wants.

Two vendor formats (:data:`PLATFORM_FORMATS`): ``E164`` (``+6591234567``) and
``DIGITS``, the country code and national number without the plus
(``6591234567``). Numbers libphonenumber calls invalid are rejected, not passed
on: vendors either refuse them after billing the attempt or reject the whole batch.
"""

from __future__ import annotations

import enum
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud

#: a bare digit string without a default region is read as an international number of this length
INTERNATIONAL_DIGITS = range(8, 16)

_DIGITS_AND_PUNCTUATION = re.compile(r"[\d\s().\-/]+")


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


def country_and_national(number: str) -> tuple[str, str]:
    """``("65", "91234567")`` from a valid number written ``6591234567`` or ``+6591234567``.

    For APIs that take the country calling code and the national number apart.
    """
    parsed = phonenumbers.parse("+" + str(number).strip().lstrip("+"))
    return str(parsed.country_code), phonenumbers.national_significant_number(parsed)
