"""Progress bound to content: a retry whose batches no longer hold what an earlier try recorded sends nothing."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.engine import Batch, Campaign, make_batches
from airflow_provider_nxcloud.campaign.fingerprint import batch_digest
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore, Progress
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, Recipient
from airflow_provider_nxcloud.campaign.results import RecipientResult, ResultsWriter
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    InvalidInputError,
    RetryableAPIError,
    SourceChangedError,
)
from airflow_provider_nxcloud.platforms.codes import Disposition

SIZE = 10


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"6591{i:06d}" for i in range(start, start + count)]


def batches(source: list[str], size: int = SIZE) -> list[Batch]:
    return list(make_batches((Recipient(n, n, i + 1) for i, n in enumerate(source)), size, "campaign"))


def vendor_error(kind: type[Exception] = RetryableAPIError) -> Any:
    return kind(
        platform="buka",
        service="sms",
        code="-18",
        meaning="platform busy",
        disposition=Disposition.RETRY,
        endpoint="sms_send",
    )


class Vendor:
    """A sender whose ledger counts every number it accepted; fails the send of chosen batches."""

    platform = "buka"
    max_batch = SIZE
    number_format = NumberFormat.DIGITS

    def __init__(self, ledger: Counter[str], fail: dict[int, Exception] | None = None) -> None:
        self.ledger = ledger
        self.fail = fail or {}
        self.sends: list[int] = []
        self.lookups: list[int] = []

    def send(self, batch: Batch) -> list[RecipientResult]:
        self.sends.append(batch.index)
        if batch.index in self.fail:
            raise self.fail.pop(batch.index)
        self.ledger.update(batch.numbers)
        return [RecipientResult(n, "accepted", f"id-{n}") for n in batch.numbers]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        self.lookups.append(batch.index)
        return None


def first_try(source: list[str], *, fail_at: int, store: MemoryProgressStore, ledger: Counter[str]) -> None:
    """A try that sends batches ``0 .. fail_at-1`` and fails retryably on batch ``fail_at``."""
    with pytest.raises(RetryableAPIError):
        Campaign(Vendor(ledger, {fail_at: vendor_error()}), store, ResultsWriter(None)).run(batches(source))


def lost_and_duplicated(ledger: Counter[str], source: list[str]) -> tuple[set[str], set[str]]:
    return set(source) - set(ledger), {number for number, times in ledger.items() if times > 1}


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_unchanged_source_resumes_after_the_last_done_batch(concurrency):
    source, store, ledger = numbers(100), MemoryProgressStore(), Counter[str]()
    first_try(source, fail_at=4, store=store, ledger=ledger)

    vendor = Vendor(ledger)
    summary = Campaign(vendor, store, ResultsWriter(None), max_concurrency=concurrency).run(batches(source))

    assert sorted(vendor.sends) == [4, 5, 6, 7, 8, 9]
    assert summary.resumed_batches == 4
    assert lost_and_duplicated(ledger, source) == (set(), set())


@pytest.mark.parametrize(
    ("changed", "named", "first", "last"),
    [
        # marks after batches 0, 1, 3, 7: a change is placed between two of them
        (0, "batch 0 (recipients 1-10 ", 0, 0),
        (1, "batch 1 (recipients 11-20 ", 1, 1),
        (2, "one of batches 2-3 (recipients 21-40 ", 2, 3),
        (4, "one of batches 4-5 (recipients 41-60 ", 4, 5),
    ],
)
def test_a_changed_done_batch_is_refused_before_anything_is_sent(changed, named, first, last):
    source, store, ledger = numbers(100), MemoryProgressStore(), Counter[str]()
    first_try(source, fail_at=6, store=store, ledger=ledger)
    edited = list(source)
    edited[changed * SIZE + 3] = "6599999999"  # one number of that batch replaced

    vendor = Vendor(ledger)
    with pytest.raises(SourceChangedError) as refused:
        Campaign(vendor, store, ResultsWriter(None)).run(batches(edited))

    assert vendor.sends == [] and vendor.lookups == []
    assert (refused.value.first_batch, refused.value.last_batch) == (first, last)
    assert refused.value.parameter == "recipients"
    assert "changed between tries" in str(refused.value) and named in str(refused.value)
    assert sum(ledger.values()) == 60  # only the first try's sends


def test_a_source_in_another_order_is_refused_before_anything_is_sent():
    """What a set does between two worker processes: the same numbers, another order."""
    source, store, ledger = numbers(100), MemoryProgressStore(), Counter[str]()
    first_try(source, fail_at=5, store=store, ledger=ledger)

    vendor = Vendor(ledger)
    with pytest.raises(SourceChangedError, match="batch 0 "):
        Campaign(vendor, store, ResultsWriter(None)).run(batches(source[::-1]))
    assert vendor.sends == []
    assert not {number for number, times in ledger.items() if times > 1}


def test_a_source_that_now_ends_before_the_recorded_batches_is_refused():
    source, store, ledger = numbers(100), MemoryProgressStore(), Counter[str]()
    first_try(source, fail_at=6, store=store, ledger=ledger)

    vendor = Vendor(ledger)
    with pytest.raises(SourceChangedError, match="ends after batch 2") as refused:
        Campaign(vendor, store, ResultsWriter(None)).run(batches(source[:30]))
    assert vendor.sends == []
    assert (refused.value.first_batch, refused.value.last_batch) == (3, 5)


def test_a_batch_done_out_of_order_is_compared_before_the_gap_before_it_is_sent():
    """Under max_concurrency batch 4 can be done while batch 3 was refused by the vendor."""
    source = numbers(100)
    earlier = Progress()
    for batch in batches(source)[:5]:
        earlier.start(batch.index, batch_digest(batch.numbers))
        if batch.index != 3:
            earlier.finish(batch.index, SIZE, 0)
        else:
            earlier.abandon(batch.index)
    store = MemoryProgressStore(earlier)
    edited = list(source)
    edited[4 * SIZE] = "6599999999"

    vendor = Vendor(Counter())
    with pytest.raises(SourceChangedError, match=r"batch 4 .* is not what an earlier try sent"):
        Campaign(vendor, store, ResultsWriter(None), max_concurrency=4).run(batches(edited))
    assert vendor.sends == []

    # the same record with the source unchanged: batch 3 and the rest are sent, batch 4 is not
    vendor = Vendor(Counter())
    Campaign(vendor, MemoryProgressStore(earlier), ResultsWriter(None)).run(batches(source))
    assert vendor.sends == [3, 5, 6, 7, 8, 9]


def test_a_changed_batch_left_in_flight_is_refused_before_it_is_looked_up():
    source, store, ledger = numbers(50), MemoryProgressStore(), Counter[str]()
    lost = vendor_error(AmbiguousSendError)
    with pytest.raises(BatchInDoubtError, match="batch 2"):
        Campaign(Vendor(ledger, {2: lost}), store, ResultsWriter(None)).run(batches(source))
    assert store.load().in_flight == [2]
    edited = list(source)
    edited[25] = "6599999999"

    vendor = Vendor(ledger)
    with pytest.raises(SourceChangedError, match=r"batch 2 .* an earlier try was sending when it stopped"):
        Campaign(vendor, store, ResultsWriter(None)).run(batches(edited))
    assert vendor.sends == [] and vendor.lookups == []


def test_resume_by_position_resumes_a_changed_source_when_asked_and_records_it():
    source, store, ledger = numbers(100), MemoryProgressStore(), Counter[str]()
    first_try(source, fail_at=4, store=store, ledger=ledger)
    edited = list(source)
    edited[5] = "6599999999"

    vendor = Vendor(ledger)
    summary = Campaign(vendor, store, ResultsWriter(None), source_changed="resume_by_position").run(
        batches(edited)
    )
    assert vendor.sends == [4, 5, 6, 7, 8, 9] and summary.resumed_batches == 4
    # the record now describes the source this try read: running it again is no change
    vendor = Vendor(ledger)
    Campaign(vendor, store, ResultsWriter(None)).run(batches(edited))
    assert vendor.sends == []


def test_the_record_stays_small_however_many_batches():
    source, store = numbers(3000), MemoryProgressStore()
    Campaign(Vendor(Counter()), store, ResultsWriter(None)).run(batches(source, size=1))
    assert store.value is not None
    assert store.value["source"]["prefix"] == 3000 and store.value["source"]["batches"] == {}
    assert len(store.value["source"]["marks"]) == 12  # after batches 0, 1, 3 ... 2047
    assert len(json.dumps(store.value)) < 500


def test_a_record_without_a_fingerprint_resumes_and_gains_one():
    """A record an older provider wrote (indexes only): nothing to compare, so it is taken as it reads now."""
    source = numbers(50)
    store = MemoryProgressStore(Progress(done=[[0, 1]]))

    vendor = Vendor(Counter())
    Campaign(vendor, store, ResultsWriter(None)).run(batches(source))
    assert vendor.sends == [2, 3, 4]
    assert store.value is not None and store.value["source"]["prefix"] == 5


@pytest.mark.parametrize("value", ["ignore", None, True])
def test_source_changed_must_be_a_known_policy(value):
    store = MemoryProgressStore()
    with pytest.raises(InvalidInputError, match="source_changed"):
        Campaign(Vendor(Counter()), store, ResultsWriter(None), source_changed=value)
