"""The screened validation pass: suppressed recipients set apart, the rest grouped, batches stable."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.campaign.compliance.quiet_hours import QuietHours
from airflow_provider_nxcloud.campaign.compliance.screening import screen_recipients
from airflow_provider_nxcloud.campaign.compliance.suppression import SuppressionList
from airflow_provider_nxcloud.campaign.recipients import NumberFormat
from airflow_provider_nxcloud.exceptions import InvalidInputError

SINGAPORE = [f"6590000{i:03d}" for i in range(1, 6)]
NEW_YORK = [f"1212736{5000 + i}" for i in range(1, 6)]


def interleaved() -> list[str]:
    return [number for pair in zip(SINGAPORE, NEW_YORK, strict=True) for number in pair]


def test_batches_hold_one_group_each_the_suppressed_last_with_stable_indexes():
    suppression = SuppressionList.load(["+65 9000 0002", "+1 212 736 5003"])
    made = [
        screen_recipients(
            interleaved(),
            NumberFormat.DIGITS,
            suppression=suppression,
            quiet_hours=QuietHours.parse(("21:00", "08:00")),
        )
        for _ in range(2)
    ]
    assert made[0].suppressed == 2 and made[0].to_send == 8 and made[0].report.valid == 10
    batches = [list(screened.batches(3, "key")) for screened in made]
    shape = [(b.index, b.first_position, b.numbers, b.time_zone_group[2:], b.suppressed) for b in batches[0]]
    assert shape == [
        (0, 1, ["12127365001", "12127365002", "12127365004"], ("America/New_York",), False),
        (1, 4, ["12127365005"], ("America/New_York",), False),
        (2, 5, ["6590000001", "6590000003", "6590000004"], ("Asia/Singapore",), False),
        (3, 8, ["6590000005"], ("Asia/Singapore",), False),
        (4, 9, ["6590000002", "12127365003"], (), True),
    ]
    # the same source makes the same batches on every try and every round
    assert [b.numbers for b in batches[1]] == [b.numbers for b in batches[0]]


def test_suppressed_are_valid_not_invalid_and_lines_are_kept():
    screened = screen_recipients(
        ["6590000001", "bad", "6590000002"],
        NumberFormat.E164,
        on_invalid="skip",
        suppression=SuppressionList.load(["6590000002"]),
    )
    assert (screened.report.valid, screened.report.invalid, screened.suppressed) == (2, 1, 1)
    batches = list(screened.batches(10, "key"))
    assert [(b.numbers, b.suppressed) for b in batches] == [(["+6590000001"], False), (["+6590000002"], True)]
    assert [r.line for r in batches[1].recipients] == [3]


def test_a_number_with_quiet_hours_and_no_time_zone_fails_naming_the_entry():
    # 800 numbers (international freephone) belong to no country and no zone
    with pytest.raises(InvalidInputError, match=r"^quiet_hours: entry 2: no time zone"):
        screen_recipients(
            ["6590000001", "80012345678"],
            NumberFormat.DIGITS,
            quiet_hours=QuietHours.parse(("21:00", "08:00")),
        )
