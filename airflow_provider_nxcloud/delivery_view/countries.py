"""The country of a failed number, fast enough for a page that counts a million recipients.

``phonenumbers.parse`` takes tens of microseconds a number; a page names the country of every
failure. Calling codes are prefix-free (ITU-T E.164), so a number's first one to three digits
name its code, looked up in a table built once from phonenumbers' own
``COUNTRY_CODE_TO_REGION_CODE``. Only a code shared by several regions (1: the North American
Numbering Plan, 7: Russia and Kazakhstan, 44: the UK and the Crown Dependencies...) needs the
number itself: phonenumbers is asked once per distinct :data:`SHARED_KEY_DIGITS`-digit prefix
(NANP: ``1`` + the area code) and the answer is kept.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

#: what a number whose country is not known counts as
UNKNOWN = "unknown"
#: phonenumbers' region of non-geographic codes (+800, +882...): no country
_NON_GEOGRAPHIC = "001"
#: digits after a shared calling code that decide the region (NANP: the three-digit area code;
#: the Crown Dependencies' ranges, +44 1481 or +44 7781, need four)
SHARED_KEY_DIGITS = 4


@lru_cache(maxsize=1)
def _regions_by_code() -> dict[str, tuple[str, ...]]:
    return {str(code): tuple(regions) for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


def international_digits(number: str | None) -> str:
    """The digits of a number as the results and reports name it (``6591234567``, ``+6591234567``):
    country code first (every vendor's number format is international)."""
    return "".join(filter(str.isdigit, number)) if number else ""


class CountryLookup:
    """ISO 3166 alpha-2 of international numbers; one instance per page (its cache is the page's)."""

    def __init__(self) -> None:
        self._codes = _regions_by_code()
        self._shared: dict[str, str] = {}

    def country(self, number: str | None) -> str:
        digits = international_digits(number)
        for length in (1, 2, 3):
            regions = self._codes.get(digits[:length])
            if regions is not None:
                if len(regions) == 1:
                    return UNKNOWN if regions[0] == _NON_GEOGRAPHIC else regions[0]
                return self._shared_region(digits, length, regions)
        return UNKNOWN

    def _shared_region(self, digits: str, code_length: int, regions: tuple[str, ...]) -> str:
        key = digits[: code_length + SHARED_KEY_DIGITS]
        region = self._shared.get(key)
        if region is None:
            try:
                found = phonenumbers.region_code_for_number(phonenumbers.parse("+" + digits))
            except phonenumbers.NumberParseException:
                found = None
            # a number phonenumbers cannot place (a range it does not know) counts for the code's
            # main region, which phonenumbers lists first
            region = found if found in regions else regions[0]
            self._shared[key] = region
        return region
