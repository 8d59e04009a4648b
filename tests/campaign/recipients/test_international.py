"""The fast path for international digits accepts exactly what phonenumbers accepts, and nothing else."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from airflow_provider_nxcloud.campaign.recipients import (
    InvalidNumber,
    NumberFormat,
    accept_international,
    format_number,
    parse_number,
    spool_recipients,
    validate_recipients,
)
from airflow_provider_nxcloud.campaign.recipients.international import (
    BULK_PLANS,
    _scan_pattern,
    all_valid_digits,
    region_of_digits,
)

TYPES = [t for t in vars(PhoneNumberType).values() if isinstance(t, int) and t != PhoneNumberType.UNKNOWN]


def slow(raw: str, default_region: str | None = None) -> tuple[str, str] | None:
    """What the full path (phonenumbers.parse, is_possible, is_valid) says: (digits, region) or None."""
    try:
        number = parse_number(raw, default_region=default_region)
    except InvalidNumber:
        return None
    return format_number(number, NumberFormat.DIGITS), str(phonenumbers.region_code_for_number(number))


def example_digits() -> list[str]:
    """Every example number libphonenumber ships (each region and type, and the non-geographic codes)."""
    found = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:])
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:])
    return sorted(found)


def near_misses(digits: str, rng: random.Random) -> list[str]:
    """Numbers one edit away from a valid one (where a pattern's boundaries are), and siblings that
    keep its first digits (mostly valid numbers of the same kind)."""
    changed = [digits[:-1], digits + str(rng.randrange(10)), digits[:-1] + str((int(digits[-1]) + 1) % 10)]
    for _ in range(4):
        position = rng.randrange(1, len(digits))
        changed.append(digits[:position] + str(rng.randrange(10)) + digits[position + 1 :])
    for _ in range(12):
        tail = rng.randrange(1, min(5, len(digits) - 1))
        changed.append(digits[:-tail] + f"{rng.randrange(10**tail):0{tail}d}")
    return changed


def random_digits(rng: random.Random) -> list[str]:
    """Random national numbers of every plausible length after every country code."""
    made = []
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(60):
            length = rng.randrange(2, 15)
            made.append(f"{code}{rng.randrange(1, 10)}{rng.randrange(10**length):0{length}d}"[:16])
    return made


def corpus() -> list[str]:
    rng = random.Random(20261123)
    examples = example_digits()
    misses = [miss for digits in examples for miss in near_misses(digits, rng)]
    return sorted({*examples, *misses, *random_digits(rng)})


CORPUS = corpus()


def test_the_corpus_is_broad():
    valid = [digits for digits in CORPUS if slow(f"+{digits}") is not None]
    assert len(CORPUS) > 30_000
    assert len(valid) > 10_000
    countries = {phonenumbers.region_code_for_number(phonenumbers.parse(f"+{d}")) for d in valid}
    assert len(countries) > 200


@pytest.mark.parametrize("plus", [True, False], ids=["plus", "bare"])
def test_what_the_fast_path_accepts_phonenumbers_accepts_too(plus):
    accepted = 0
    for digits in CORPUS:
        raw = f"+{digits}" if plus else digits
        fast = accept_international(raw)
        if fast is None:
            continue
        accepted += 1
        assert fast == slow(raw), raw
    assert accepted > 10_000


def test_the_fast_path_decides_most_valid_numbers():
    """It must actually be used: most valid numbers never reach phonenumbers.parse."""
    valid = [digits for digits in example_digits() if slow(f"+{digits}") is not None]
    decided = [digits for digits in valid if accept_international(f"+{digits}") is not None]
    assert len(decided) / len(valid) > 0.9


@pytest.mark.parametrize(
    "raw",
    [
        "6591234567",  # Singapore mobile
        "+6591234567",
        "61412345678",  # Australia mobile
        "447911123456",  # +44 is shared: Guernsey
        "447400123456",  # ...and the UK
        "16502531234",  # +1: the United States
        "8613800138000",  # China mobile
    ],
)
def test_common_numbers_take_the_fast_path(raw):
    assert accept_international(raw) == slow(raw)
    assert accept_international(raw) is not None


@pytest.mark.parametrize(
    "raw, default_region",
    [
        ("12345", None),  # too short for bare international digits
        ("1234567890123456", None),  # too long
        ("006591234567", None),  # an international prefix: the full path reads it
        ("91234567", "SG"),  # national, with a default region
        ("65 9123 4567", None),  # punctuation
        ("+65 9123 4567", None),
        ("+0591234567", None),  # no country code starts with 0
        ("+999123456789", None),  # no such country code
        ("+٦٥٩١٢٣٤٥٦٧", None),  # non-ASCII digits
        ("659123456", None),  # invalid length for Singapore
        ("+4401234567890", None),  # a national prefix after the country code
    ],
)
def test_anything_else_is_left_to_phonenumbers(raw, default_region):
    assert accept_international(raw, default_region=default_region) is None


def test_validation_gives_the_same_answers_with_and_without_the_fast_path():
    """The stream over a mixed list: the fast path changes speed, not results."""
    entries = ["6591234567", "+61412345678", "12345", "447911123456", "6591234567", "+65 9123 4568"]
    with spool_recipients(entries, NumberFormat.E164, on_invalid="skip") as spool:
        report = spool.report
    recipients = list(validate_recipients(entries, NumberFormat.E164, on_invalid="skip"))
    assert [r.number for r in recipients] == ["+6591234567", "+61412345678", "+447911123456", "+6591234568"]
    assert (report.valid, report.invalid, report.duplicates) == (4, 1, 1)
    assert report.sample[0].reason == "too short"


def test_allowed_regions_apply_to_fast_numbers():
    entries = ["6591234567", "447911123456"]
    with spool_recipients(entries, NumberFormat.DIGITS, on_invalid="skip", allowed_regions=["SG"]) as spool:
        report = spool.report
    assert (report.valid, report.invalid) == (1, 1)
    assert report.sample[0].reason == "country GG is not allowed"


def test_the_scans_accept_exactly_the_numbers_each_plan_accepts():
    """all_valid_digits scans a chunk once per kind of number: line by line over the corpus (every
    country, several-region codes such as +1 and +44 included), a kind's scan matches exactly the
    numbers of that kind region_of_digits accepts, and no other line."""
    bare = [digits for digits in CORPUS if 8 <= len(digits) <= 15 and digits[0] != "0"]
    accepted = {digits for digits in bare if region_of_digits(digits) is not None}
    by_kind: dict[tuple[str, int], list[str]] = {}
    for digits in bare:
        by_kind.setdefault((digits[:3], len(digits)), []).append(digits)
    scanned = 0
    for kind, numbers in by_kind.items():
        pattern = _scan_pattern(kind)
        if pattern is None:
            assert not accepted.intersection(numbers), kind
            continue
        for digits in numbers:
            # the scan's text: each line between line breaks
            assert (pattern.subn("", f"\n{digits}\n")[1] == 1) == (digits in accepted), digits
        # as one text, with lines of other kinds among them: one match per accepted line of its kind
        others = by_kind[min(by_kind)] if kind != min(by_kind) else []
        text = "\n".join(["", *others, *numbers, *others, ""])
        assert pattern.subn("", text)[1] == sum(digits in accepted for digits in numbers)
        scanned += len(numbers)
    assert scanned > 15_000 and len(accepted) > 10_000


def test_a_chunk_is_vouched_for_only_when_every_number_in_it_is_valid():
    good = ["6591234567", "61412345678", "447911123456", "447400123456"]
    for digits in good:
        assert region_of_digits(digits) is not None
    assert all_valid_digits("\n".join(good), len(good), 8, 15)
    for bad in ["659123456", "6501234567", "4401234567890", "12345678", "9991234567"]:
        mixed = [*good, bad]
        assert not all_valid_digits("\n".join(mixed), len(mixed), 8, 15), bad
    # a kind of number not looked for before (+1 here): the chunk's own kinds are looked for
    assert all_valid_digits("16502531234\n6591234567", 2, 8, 15)
    # too many kinds in one chunk: checked one by one instead (False is "undecided", not "invalid")
    many = [digits for digits in example_digits() if 8 <= len(digits) <= 15 and accept_international(digits)]
    assert len({(digits[:3], len(digits)) for digits in many}) > BULK_PLANS
    assert not all_valid_digits("\n".join(many), len(many), 8, 15)
    # out of the length range the caller gives: never vouched for
    assert not all_valid_digits("6591234567", 1, 11, 15)
