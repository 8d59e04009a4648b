"""Buka SMS entries: a campaign with one ``text`` refuses recipients that carry texts of their own."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.campaign.buka import sms_entries
from airflow_provider_nxcloud.exceptions import InvalidInputError


def test_plain_numbers_pass_through_unchanged(tmp_path):
    numbers = [f"659{1000000 + n}" for n in range(10_000)]
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(numbers) + "\n", encoding="utf-8")
    assert list(sms_entries(str(path), "hello")) == numbers


@pytest.mark.parametrize("at", [1, 4_096, 4_097, 9_000])
def test_an_entry_with_its_own_text_is_refused_naming_its_line(tmp_path, at):
    lines = [f"659{1000000 + n}" for n in range(9_000)]
    lines[at - 1] = '{"number": "6591234567", "text": "hi"}'
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:
        list(sms_entries(str(path), "hello"))
    assert error.value.parameter == "text"
    assert f"entry {at} carries its own text" in str(error.value)
