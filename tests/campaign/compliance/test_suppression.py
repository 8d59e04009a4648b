"""The suppression list: normalised as recipients are, compact, junk left out and counted."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.campaign.compliance.suppression import SuppressionList
from airflow_provider_nxcloud.exceptions import InvalidInputError


def test_numbers_match_however_they_were_written(tmp_path):
    listed = tmp_path / "opt-out.csv"
    listed.write_text("number\n+65 9123 4567\n(+65) 9123-4568\n0065 9123 4569\n# a comment\nnot a number\n")
    suppression = SuppressionList.load(str(listed))
    assert [d in suppression for d in ("6591234567", "6591234568", "6591234569", "6591234560")] == [
        True,
        True,
        True,
        False,
    ]
    assert (len(suppression), suppression.invalid, suppression.nbytes) == (3, 1, 24)


def test_national_numbers_use_the_default_region():
    suppression = SuppressionList.load(["9123 4567"], default_region="SG")
    assert "6591234567" in suppression


def test_a_large_list_takes_8_bytes_a_number():
    listed = [f"65{90000000 + i}" for i in range(0, 20000, 2)]
    suppression = SuppressionList.load(listed)
    assert suppression.nbytes == 8 * 10000
    assert "6590000000" in suppression and "6590000001" not in suppression and "6590019998" in suppression


def test_an_empty_list_is_none_and_an_empty_file_is_refused(tmp_path):
    assert len(SuppressionList.load([])) == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(InvalidInputError, match=r"^suppression_list: no recipients"):
        SuppressionList.load(str(empty))
