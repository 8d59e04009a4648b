"""The fast path: numbers already written as international digits, checked against libphonenumber's metadata.

A million recipients parsed with ``phonenumbers.parse`` cost ~10 us each (~15 us with the
validity checks) before the first send can go out. Most lists hold numbers already written as
``6591234567`` or ``+6591234567``: for those, the country code is read off the front and
the national number checked against libphonenumber's own metadata for that country
(compiled once per country and length into one pattern), which is what ``parse`` +
``is_possible_number`` + ``is_valid_number`` decide for such input. The fast path only ever
*accepts*; anything it does not vouch for (a national prefix or leading zero that ``parse``
would treat specially, an unknown country code, a number that fails a check) goes through
the full path (:func:`.numbers.parse_number`), which gives the exact reason.
tests/campaign/recipients/test_international.py holds the two paths to the same answers over
every country's example numbers and random digits.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata

from airflow_provider_nxcloud.campaign.recipients.numbers import INTERNATIONAL_DIGITS

#: phonenumbers' bounds on a national significant number (``_MIN/_MAX_LENGTH_FOR_NSN``)
_NSN_LENGTHS = range(2, 18)
#: the prefix of the group that names a region in a country code's pattern
_GROUP = "region_"


def accept_international(raw: str, *, default_region: str | None = None) -> tuple[str, str] | None:
    """``(digits, region)`` of a valid number written as international digits, else None (undecided).

    ``digits`` is the country code and national number (the DIGITS format). Accepts
    ``+`` followed by digits, or, without a default region, 8-15 bare digits (the way
    :func:`.numbers.parse_number` reads them). None means "use ``parse_number``", never "invalid".
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
    region = region_of_digits(digits)
    return None if region is None else (digits, region)


class _Plan(NamedTuple):
    """How to decide the numbers of one (first three digits, number of digits)."""

    #: digits of the country code
    code_length: int
    #: ``fullmatch`` of the national number: valid
    fullmatch: Callable[[str], re.Match[str] | None]
    #: the region, or None: the match's group names it
    region: str | None
    #: the national number's pattern, for :func:`all_valid_digits`
    pattern: str


#: (first three digits, number of digits) -> their plan, or None when the fast path leaves
#: such numbers to phonenumbers
_PLANS: dict[tuple[str, int], _Plan | None] = {}


def region_of_digits(digits: str) -> str | None:
    """The region of a valid number given as ASCII international digits (no plus, no leading 0); None: undecided.

    One dict look-up and one pattern match: the loop of every validation pass.
    """
    key = (digits[:3], len(digits))
    try:
        plan = _PLANS[key]
    except KeyError:
        plan = _plan_of(*key)
    if plan is None:
        return None
    code_length, fullmatch, region, _ = plan
    found = fullmatch(digits[code_length:])
    if found is None:
        return None
    return region or found.lastgroup[len(_GROUP) :]  # type: ignore[index]


def _plan_of(first_digits: str, length: int) -> _Plan | None:
    """The plan for numbers of ``length`` digits starting with ``first_digits``, made once."""
    key = (first_digits, length)
    if key not in _PLANS:
        _PLANS[key] = _plan(first_digits, length)
    return _PLANS[key]


def _plan(first_digits: str, length: int) -> _Plan | None:
    found = _country_of(first_digits)
    if found is None:
        return None
    code_length, country = found
    plan = country.plan(length - code_length)
    if plan is None:
        return None
    pattern, region = plan
    return _Plan(code_length, pattern.fullmatch, region, pattern.pattern)


#: at most this many kinds of number (plans) are looked for in one chunk by :func:`all_valid_digits`
#: (a scan of the chunk each); a chunk of more kinds is checked number by number
BULK_PLANS = 16
#: the kinds of number (first three digits, length) the last chunk looked for held, most first
_scan_order: list[tuple[str, int]] = []
#: the plans' own groups name regions: not needed to say "valid"
_REGION_GROUP = re.compile(r"\(\?P<" + _GROUP + r"[A-Za-z0-9]+>")


def all_valid_digits(text: str, count: int, shortest: int, longest: int) -> bool:
    """Whether each of the ``count`` lines of ``text`` is a number :func:`region_of_digits` accepts,
    of ``shortest`` to ``longest`` digits; False means "check them one by one", never "invalid".

    ``text`` holds ASCII digits and line breaks only (the caller has checked). A million
    numbers are checked at C speed instead of a pattern match call each: one scan of the
    whole text per kind of number (first three digits, length) the chunk holds
    (:func:`_scan_pattern`), each line matched by at most one kind, until every line is
    matched. The kinds the last chunk held are looked for first; when they do not cover
    this chunk, its own kinds are counted and looked for (at most :data:`BULK_PLANS`).
    """
    # every line between line breaks, the first and the last too (see _scan_pattern)
    scanned = f"\n{text}\n"
    if _scan(scanned, count, shortest, longest, _scan_order):
        return True
    kinds = collections.Counter((line[:3], len(line)) for line in text.split("\n"))
    if len(kinds) > BULK_PLANS:
        return False
    _scan_order[:] = [kind for kind, _ in kinds.most_common()]
    return _scan(scanned, count, shortest, longest, _scan_order)


def _scan(text: str, count: int, shortest: int, longest: int, kinds: list[tuple[str, int]]) -> bool:
    """Whether the scans for ``kinds`` together match all ``count`` lines of ``text`` (which
    starts and ends with a line break)."""
    total = 0
    for kind in kinds:
        if not shortest <= kind[1] <= longest or (pattern := _scan_pattern(kind)) is None:
            return False
        total += pattern.subn("", text)[1]
        if total >= count:
            break
    return total == count


@functools.cache
def _scan_pattern(key: tuple[str, int]) -> re.Pattern[str] | None:
    """The lines of a text that are valid numbers of this kind (first three digits, length), for
    ``subn`` to count: the line must start with the key's digits and have its length, and the
    national number after the country code match the plan's pattern to the end of the line,
    as ``fullmatch`` would. None when the plan cannot be scanned for (checked one by one)."""
    first_digits, length = key
    plan = _plan_of(first_digits, length)
    if plan is None:
        return None
    # \Z ends the national number in a plan; here the line break after the line ends it
    national = _REGION_GROUP.sub("(?:", plan.pattern).replace("\\Z", "(?=\\n)")
    code = first_digits[: plan.code_length]
    try:
        # each line is matched with the line break before it (the scan's text starts with one):
        # a pattern that starts with a literal is searched for at line breaks only, where one
        # that starts with ^ would be tried at every character
        return re.compile(f"\\n(?={first_digits}\\d{{{length - 3}}}\\n){code}(?:{national})(?=\\n)")
    except re.error:
        return None


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
            # first: most numbers a campaign sends to are mobiles, and the order of the types
            # in the pattern (alternatives, one of which must match) only changes its speed
            names.insert(0, "mobile")
        self.types = [d for d in (_desc(getattr(metadata, name, None)) for name in names) if d is not None]

    def pattern(self, length: int) -> str | None:
        """One pattern for the whole test of national numbers of ``length`` (``fullmatch``: valid);
        None when nothing of that length is valid."""
        general = self.general
        if general is None or (general.lengths and length not in general.lengths):
            return None
        types = [d.pattern for d in self.types if not d.lengths or length in d.lengths]
        if not types:
            return None
        # fully matched exactly when the general description and one of the types fully match
        alternatives = "|".join(f"(?:{pattern})" for pattern in types)
        return f"(?=(?:{general.pattern})\\Z)(?:{alternatives})"


class _CountryRules:
    """What ``parse`` + ``is_possible_number`` + ``is_valid_number`` decide for ``+<code><nsn>``."""

    def __init__(self, code: int, regions: tuple[str, ...]) -> None:
        main = phonenumbers.region_code_for_country_code(code)
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, main)
        if metadata is None:
            raise LookupError(code)
        self.national_prefix_pattern: str | None = metadata.national_prefix_for_parsing or None
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

    def plan(self, length: int) -> tuple[re.Pattern[str], str | None] | None:
        """One pattern deciding national numbers of ``length`` (``fullmatch``: valid), with the region
        when the country code has one, else None: the matched group is named after the region;
        None (no plan) leaves such numbers to phonenumbers."""
        if length not in _NSN_LENGTHS or length in self.local_only or length not in self.possible:
            return None  # parse would refuse it, or is_possible_number would say no
        # parse keeps leading zeros apart, and might strip a national prefix or carrier code:
        # such numbers are left to it
        guard = "(?!0)" + (f"(?!{self.national_prefix_pattern})" if self.national_prefix_pattern else "")
        try:
            if len(self.regions) == 1:
                pattern = self.regions[0].pattern(length)
                if pattern is None:
                    return None
                return re.compile(f"{guard}(?:{pattern})"), self.regions[0].region
            return re.compile(f"{guard}(?:{self._several_pattern(length)})"), None
        except re.error:
            return None  # a pattern Python's re cannot combine: phonenumbers decides

    def _several_pattern(self, length: int) -> str:
        """What ``region_code_for_number`` + ``is_valid_number`` decide, as one pattern: an alternative
        per region, in its order. The first region whose leading digits match decides (the number
        must be valid there), else the first region without leading digits where it is valid."""
        alternatives = []
        # a region whose leading digits match decides: the ones after it must not match them
        earlier = ""
        for rules in self.regions:
            valid = rules.pattern(length)
            leading = f"(?:{rules.leading.pattern})" if rules.leading is not None else None
            if valid is not None:
                own = f"(?={leading})" if leading else ""
                alternatives.append(f"(?P<{_GROUP}{rules.region}>{earlier}{own}(?:{valid}))")
            if leading:
                earlier += f"(?!{leading})"
        return "|".join(alternatives) or "(?!)"


@functools.cache
def _country_rules(code: int) -> _CountryRules | None:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return None
    try:
        return _CountryRules(code, tuple(regions))
    except (LookupError, re.error):
        return None
