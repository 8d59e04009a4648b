"""Quiet hours in each recipient's own time zone, from the number.

A number's time zones are libphonenumber's (``phonenumbers.timezone.time_zones_for_number``):
``6591234567`` is ``Asia/Singapore``, a New York landline ``America/New_York``, and a number
whose type is not tied to a place (an Australian mobile number) gets every zone of its
country. A country with one zone is answered from the country code alone (~1 us); the
others take the library's number-type check (~40 us a number: a million US numbers ~40 s).
Then conservatively: a recipient is sendable only when its local time is outside quiet
hours in **every** one of its zones. A number with no known zone cannot be placed in time:
the task fails before sending, naming ``quiet_hours`` (a hold that never ends would be worse).

A recipient's *group* is its window and its zones, ``(start, end, zone, ...)`` with start
and end in minutes after midnight (``()``: no quiet hours apply to it). Batches hold one
group each, so a batch is sendable or not as a whole.

Times are pendulum's (tz database, daylight saving included). A window's end that falls
in a daylight-saving gap is read as pendulum reads it, shifted forward by the gap (02:30 on
a spring-forward night opens at 03:30): later than the first free local time, never earlier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneNumber
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

from airflow_provider_nxcloud.campaign.recipients.international import region_of_digits
from airflow_provider_nxcloud.exceptions import InvalidInputError

PARAMETER = "quiet_hours"
#: the key of a ``quiet_hours`` mapping for every region it does not name
ANY_REGION = "*"
#: libphonenumber's answer for a prefix it has no zone for
UNKNOWN_ZONE = "Etc/Unknown"
#: how far ahead a window's opening is looked for; none by then: the zones never open together
HORIZON_DAYS = 3

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")

#: a window as (start, end) minutes after local midnight; start > end crosses midnight
Window = tuple[int, int]
Group = tuple[Any, ...]


class NoTimeZone(ValueError):
    """A number libphonenumber has no time zone for."""


class QuietHours:
    """``quiet_hours`` checked: one window for every region, or a window (or None) per region."""

    def __init__(self, by_region: Mapping[str, Window | None], default: Window | None) -> None:
        self.by_region = dict(by_region)
        self.default = default
        #: groups settled by a number's first three digits (see group_of)
        self._by_prefix: dict[str, Group] = {}
        self._groups: dict[tuple[Window, tuple[str, ...]], Group] = {}

    @classmethod
    def parse(cls, value: Any) -> QuietHours:
        """``("21:00", "08:00")``, or ``{"SG": ("22:00", "08:00"), "*": ("21:00", "08:00"), "US": None}``."""
        if isinstance(value, Mapping):
            by_region: dict[str, Window | None] = {}
            for region, window in value.items():
                code = str(region).strip().upper()
                if code != ANY_REGION and not re.fullmatch(r"[A-Z]{2}", code):
                    raise InvalidInputError(
                        PARAMETER, f"keys are two-letter regions such as 'SG' or '*', not {region!r}"
                    )
                by_region[code] = None if window is None else _window(window, f" for {code}")
            default = by_region.pop(ANY_REGION, None)
            return cls(by_region, default)
        return cls({}, _window(value, ""))

    def group_of(self, digits: str) -> Group:
        """The recipient's group from its E.164 digits; NoTimeZone if it has quiet hours but no zone.

        The first three digits hold the country code: where they settle the group (a country
        with one region, or no per-region windows, and one zone) it is kept by them, and the
        next number of that country costs one dict look-up.
        """
        known = self._by_prefix.get(digits[:3])
        if known is not None:
            return known
        code = _country_code(digits)
        regions = COUNTRY_CODE_TO_REGION_CODE[int(code)]
        window = self.default
        if self.by_region:
            region = regions[0] if len(regions) == 1 else region_of_digits(digits)
            window = self.by_region.get(str(region), self.default)
        settled_by_prefix = len(regions) == 1 or not self.by_region
        if window is None:
            if settled_by_prefix:
                self._by_prefix[digits[:3]] = ()
            return ()
        country_zones = TIMEZONE_DATA.get(code, ())
        if len(country_zones) == 1 and UNKNOWN_ZONE not in country_zones:
            group = self._group(window, tuple(country_zones))
            if settled_by_prefix:
                self._by_prefix[digits[:3]] = group
            return group
        zones = time_zones_for_number(
            PhoneNumber(country_code=int(code), national_number=int(digits[len(code) :]))
        )
        if not zones or UNKNOWN_ZONE in zones:
            raise NoTimeZone(digits)
        return self._group(window, tuple(zones))

    def _group(self, window: Window, zones: tuple[str, ...]) -> Group:
        # one tuple per group, shared by its recipients
        return self._groups.setdefault((window, zones), (*window, *zones))


def _country_code(digits: str) -> str:
    for length in (1, 2, 3):
        code = digits[:length]
        if int(code) in COUNTRY_CODE_TO_REGION_CODE:
            return code
    raise NoTimeZone(digits)


def is_quiet(group: Group, at: float) -> bool:
    """True when ``at`` (epoch seconds) is inside the window in any of the group's zones."""
    if not group:
        return False
    start, end, *zones = group
    moment = pendulum.from_timestamp(at)
    for zone in zones:
        local = moment.in_timezone(zone)
        minute = local.hour * 60 + local.minute
        inside = start <= minute < end if start < end else (minute >= start or minute < end)
        if inside:
            return True
    return False


def next_opening(group: Group, at: float) -> float | None:
    """The first moment from ``at`` when the group is outside quiet hours in every zone (epoch
    seconds); None if that does not happen within :data:`HORIZON_DAYS` days.

    Being quiet in some zone is a union of intervals, each ending at some zone's window end,
    so the opening is ``at`` itself or one of those ends: the first that no zone covers.
    """
    if not is_quiet(group, at):
        return at
    _, end, *zones = group
    moment = pendulum.from_timestamp(at)
    candidates = set()
    for zone in zones:
        today = moment.in_timezone(zone).date()
        for days in range(-1, HORIZON_DAYS + 1):
            day = today.add(days=days)
            opening = pendulum.datetime(day.year, day.month, day.day, end // 60, end % 60, tz=zone)
            if opening.timestamp() > at:
                candidates.add(opening.timestamp())
    for candidate in sorted(candidates):
        if candidate - at > HORIZON_DAYS * 86400:
            break
        if not is_quiet(group, candidate):
            return candidate
    return None


def describe(group: Group) -> str:
    if not group:
        return "no quiet hours"
    start, end, *zones = group
    return f"quiet {_clock(start)}-{_clock(end)} in {', '.join(zones)}"


def _window(value: Any, where: str) -> Window:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidInputError(
            PARAMETER, f"a window{where} is (start, end) as 'HH:MM' local times, such as ('21:00', '08:00')"
        )
    start, end = (_minutes(item, where) for item in value)
    if start == end:
        raise InvalidInputError(PARAMETER, f"the window{where} starts and ends at {_clock(start)}")
    return start, end


def _minutes(value: Any, where: str) -> int:
    found = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidInputError(PARAMETER, f"{value!r}{where} is not a local time written 'HH:MM'")
    return int(found.group(1)) * 60 + int(found.group(2))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
