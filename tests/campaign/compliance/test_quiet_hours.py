"""Quiet hours from the number's time zones: conservative across zones, daylight saving, no zone."""

from __future__ import annotations

import pendulum
import pytest

from airflow_provider_nxcloud.campaign.compliance.quiet_hours import (
    NoTimeZone,
    QuietHours,
    is_quiet,
    next_opening,
)
from airflow_provider_nxcloud.exceptions import InvalidInputError

NIGHT = QuietHours.parse(("21:00", "08:00"))


def utc(*args: int) -> float:
    return pendulum.datetime(*args, tz="UTC").timestamp()


def test_a_number_gets_its_own_zone_and_a_mobile_number_every_zone_of_its_country():
    assert NIGHT.group_of("6591234567") == (1260, 480, "Asia/Singapore")
    assert NIGHT.group_of("12127365001") == (1260, 480, "America/New_York")
    # an Australian mobile number is not tied to a place: all of Australia's zones
    assert set(NIGHT.group_of("61412345678")[2:]) >= {
        "Australia/Perth",
        "Australia/Sydney",
        "Australia/Lord_Howe",
    }


def test_several_zones_send_only_when_every_zone_is_outside_quiet_hours():
    mobile = NIGHT.group_of("61412345678")
    sydney = NIGHT.group_of("61299990001")
    # 2026-12-03 22:00 UTC: 09:00 in Sydney (AEDT), 06:00 in Perth
    at = utc(2026, 12, 3, 22, 0)
    assert not is_quiet(sydney, at)
    assert is_quiet(mobile, at)
    # the mobile number's window opens when the last of its zones leaves quiet hours:
    # 08:00 on the Cocos Islands (UTC+6:30) is 01:30 UTC
    assert next_opening(mobile, at) == utc(2026, 12, 4, 1, 30)


def test_a_window_ending_in_a_daylight_saving_gap_opens_later_never_earlier():
    # New York springs forward 2027-03-14 02:00 -> 03:00: an end at 02:30 is read shifted by the
    # gap, 03:30 EDT (07:30 UTC), half an hour after the first free local time, never before it
    quiet = QuietHours.parse(("22:00", "02:30")).group_of("12127365001")
    assert next_opening(quiet, utc(2027, 3, 14, 5, 0)) == utc(2027, 3, 14, 7, 30)
    assert is_quiet(quiet, utc(2027, 3, 14, 6, 59)) and not is_quiet(quiet, utc(2027, 3, 14, 7, 0))


def test_zones_that_are_never_open_together_have_no_opening():
    # Russia spans eleven hours: an 18-hour quiet night leaves no moment free in all of them
    group = QuietHours.parse(("15:00", "09:00")).group_of("79161234567")
    assert next_opening(group, utc(2026, 12, 3, 12, 0)) is None


def test_per_region_windows_and_regions_without_one():
    quiet = QuietHours.parse({"sg": ("22:00", "07:00"), "*": ("21:00", "08:00"), "US": None})
    assert quiet.group_of("6591234567")[:2] == (1320, 420)
    assert quiet.group_of("12127365001") == ()
    assert quiet.group_of("441234567890")[:2] == (1260, 480)
    assert not is_quiet((), utc(2026, 12, 3, 3, 0))


def test_a_country_code_without_a_zone_is_no_time_zone():
    with pytest.raises(NoTimeZone):
        NIGHT.group_of("8881234567")  # no such country calling code


@pytest.mark.parametrize("value", ["21:00-08:00", ("21:00", "8"), ("21:00", 8), {"SG": "night"}])
def test_bad_windows_name_the_parameter(value):
    with pytest.raises(InvalidInputError, match=r"^quiet_hours: "):
        QuietHours.parse(value)
