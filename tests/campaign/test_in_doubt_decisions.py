"""Batches in doubt: decided one batch at a time, never by a blanket policy; absence only after a settle delay."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.engine import Batch, Campaign, check_decisions, make_batches
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore, Progress
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, Recipient
from airflow_provider_nxcloud.campaign.results import RecipientResult, ResultsWriter, read_results
from airflow_provider_nxcloud.exceptions import AmbiguousSendError, BatchInDoubtError, InvalidInputError
from airflow_provider_nxcloud.platforms.codes import Disposition

SIZE = 10


def batches(count: int) -> list[Batch]:
    numbers = [Recipient(f"6591{i:06d}", f"6591{i:06d}", i + 1) for i in range(count * SIZE)]
    return list(make_batches(numbers, SIZE, "camp"))


def lost(reference: str) -> AmbiguousSendError:
    return AmbiguousSendError(
        platform="buka",
        service="sms",
        code="CONNECTION_LOST",
        meaning="the connection dropped after the request was written",
        disposition=Disposition.RETRY,
        endpoint="sms_send",
        client_reference=reference,
    )


class Vendor:
    """A vendor whose answers to some sends are lost; it keeps what it accepted, as a ledger does.

    ``accepts_lost``: the vendor processed the sends whose answers were lost (the dangerous case).
    ``listing``: what a lookup sees: None (it cannot tell), "ledger" (the truth), or a list of
    answers given one lookup after another (a record list that lags).
    """

    platform = "buka"
    max_batch = SIZE
    number_format = NumberFormat.DIGITS

    def __init__(
        self, *, lose: set[int] | None = None, lose_always: bool = False, delay: float = 0.0
    ) -> None:
        self.lose = set(lose or ())
        self.lose_always = lose_always
        self.delay = delay
        self.accepted: Counter[str] = Counter()
        self.sends: Counter[int] = Counter()
        self.lookups: list[int] = []
        self.listing: Any = None
        self._lock = threading.Lock()

    def send(self, batch: Batch) -> list[RecipientResult]:
        time.sleep(self.delay)
        with self._lock:
            self.sends[batch.index] += 1
            for number in batch.numbers:
                self.accepted[number] += 1
            answer_lost = batch.index in self.lose
            if answer_lost and not self.lose_always:
                self.lose.discard(batch.index)
        if answer_lost:
            raise lost(batch.reference)
        return [RecipientResult(n, "accepted", f"id-{n}") for n in batch.numbers]

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        self.lookups.append(batch.index)
        listing = self.listing
        if isinstance(listing, list):
            listing = listing.pop(0)
        if listing == "ledger":
            return [RecipientResult(n, "accepted") for n in batch.numbers] if self.sends[batch.index] else []
        return listing


def test_every_batch_in_flight_when_answers_are_lost_is_named_and_none_is_sent_again():
    vendor = Vendor(lose={2, 3}, delay=0.02)
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError) as raised:
        Campaign(vendor, store, ResultsWriter(None), max_concurrency=4).run(batches(10))
    named = [batch.reference for batch in raised.value.batches]
    assert {"camp-2", "camp-3"} <= set(named)
    for reference in named:
        assert reference in str(raised.value)
    record = Progress.from_json(store.value)
    assert set(record.in_flight) == {int(reference.split("-")[1]) for reference in named}
    assert max(vendor.sends.values()) == 1  # nothing sent twice
    # nothing new was sent once a batch was in doubt: at most the batches already in flight
    assert max(vendor.sends) <= 3 + 4


def test_sequential_run_stops_at_the_first_batch_in_doubt():
    vendor = Vendor(lose={1})
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError, match="camp-1"):
        Campaign(vendor, store, ResultsWriter(None)).run(batches(5))
    assert vendor.sends == Counter({0: 1, 1: 1})


def test_a_decision_applies_to_its_batch_only():
    vendor = Vendor(lose={2, 3}, delay=0.02)
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError):
        Campaign(vendor, store, ResultsWriter(None), max_concurrency=4).run(batches(6))
    # a person checked batch 2 only: the vendor does not have it (say) -> resend; 3 stays undecided
    with pytest.raises(BatchInDoubtError) as raised:
        Campaign(vendor, store, ResultsWriter(None), decisions={"camp-2": "resend"}).run(batches(6))
    assert [batch.reference for batch in raised.value.batches] == ["camp-3"]
    assert vendor.sends[2] == 2 and vendor.sends[3] == 1
    record = Progress.from_json(store.value)
    assert record.is_done(2) and record.in_flight == [3]
    assert record.resent == ["camp-2"]


def test_skip_writes_the_batch_to_the_results_file_as_skipped(tmp_path):
    vendor = Vendor(lose={1})
    store = MemoryProgressStore()
    path = tmp_path / "results.jsonl"
    writer = ResultsWriter(str(path))
    with pytest.raises(BatchInDoubtError):
        Campaign(vendor, store, writer).run(batches(3))
    writer.finish()
    writer = ResultsWriter(str(path), try_number=2)
    summary = Campaign(vendor, store, writer, decisions={"camp-1": "skip"}).run(batches(3))
    writer.finish(keep_earlier=True)
    lines = list(read_results(str(path)))
    skipped = [line for line in lines if line["status"] == "skipped"]
    assert [line["number"] for line in skipped] == batches(3)[1].numbers
    assert all("in_doubt_decisions" in line["error"] for line in skipped)
    assert [line["reference"] for line in skipped] == [f"camp-1-{i}" for i in range(SIZE)]
    assert Counter(line["status"] for line in lines) == {"accepted": 20, "skipped": 10}
    assert summary.skipped_batches == [1]
    assert vendor.sends == Counter({0: 1, 1: 1, 2: 1})
    assert Progress.from_json(store.value).skipped == [1]


def test_a_resend_decision_is_used_once():
    vendor = Vendor(lose={1}, lose_always=True)
    store = MemoryProgressStore()
    decisions = {"camp-1": "resend"}
    with pytest.raises(BatchInDoubtError):
        Campaign(vendor, store, ResultsWriter(None), decisions=decisions).run(batches(3))
    # the first try already sent it again on the DAG's decision, and that answer was lost too
    assert vendor.sends[1] == 2
    for _ in range(2):
        with pytest.raises(BatchInDoubtError, match="camp-1"):
            Campaign(vendor, store, ResultsWriter(None), decisions=decisions).run(batches(3))
    assert vendor.sends[1] == 2  # never a third time on the same decision


def test_a_persons_fresh_decision_may_resend_again_and_wins_over_the_dag():
    vendor = Vendor(lose={1}, lose_always=True)
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError):
        Campaign(vendor, store, ResultsWriter(None), decisions={"camp-1": "resend"}).run(batches(3))
    record = Progress.from_json(store.value)
    record.decide("camp-1", "skip", by="ops (Required Actions)", at="2026-12-02T08:00:00+00:00")
    store.save(record)
    summary = Campaign(vendor, store, ResultsWriter(None), decisions={"camp-1": "resend"}).run(batches(3))
    assert summary.skipped_batches == [1]
    assert vendor.sends[1] == 2


def test_a_fail_decision_fails_naming_who_decided():
    vendor = Vendor(lose={0})
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError) as raised:
        Campaign(vendor, store, ResultsWriter(None), decisions={"camp-0": "fail"}).run(batches(2))
    assert raised.value.decided_by == "in_doubt_decisions"
    assert vendor.sends == Counter({0: 1})


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_none_found_is_absence_only_when_seen_again_after_the_settle_delay():
    clock = Clock()
    vendor = Vendor(lose={1})
    # the vendor did not process the lost send? It did (Vendor records every send): the list lags,
    # so the first look shows nothing and the second, after the delay, shows the batch
    vendor.listing = [[], "ledger"]
    store = MemoryProgressStore()
    summary = Campaign(
        vendor, store, ResultsWriter(None), settle_delay=60, sleep=clock.sleep, clock=clock
    ).run(batches(3))
    assert clock.slept == [60]
    assert vendor.lookups == [1, 1]
    assert vendor.sends == Counter({0: 1, 1: 1, 2: 1})
    assert summary.resolved_batches == 1


def test_absent_after_the_settle_delay_is_sent_once():
    clock = Clock()

    class Refused(Vendor):
        def send(self, batch: Batch) -> list[RecipientResult]:
            if batch.index in self.lose:
                self.lose.discard(batch.index)
                self.sends[batch.index] += 1  # written, then lost before the vendor processed it
                raise lost(batch.reference)
            return super().send(batch)

    vendor = Refused(lose={1})
    vendor.listing = [[], []]
    store = MemoryProgressStore()
    Campaign(vendor, store, ResultsWriter(None), settle_delay=30, sleep=clock.sleep, clock=clock).run(
        batches(3)
    )
    assert clock.slept == [30]
    assert vendor.accepted == Counter({n: 1 for batch in batches(3) for n in batch.numbers})


def test_without_a_settle_delay_none_found_leaves_the_batch_in_doubt():
    vendor = Vendor(lose={1})
    vendor.listing = [[]]
    with pytest.raises(BatchInDoubtError, match="camp-1"):
        Campaign(vendor, MemoryProgressStore(), ResultsWriter(None)).run(batches(3))
    assert vendor.sends[1] == 1


def test_a_batch_sent_long_before_is_looked_up_once():
    clock = Clock()
    earlier = Progress()
    earlier.finish(0, SIZE, 0)
    earlier.start(1, at="2026-12-01T00:00:00+00:00")
    vendor = Vendor()
    vendor.listing = [[], "unused"]
    store = MemoryProgressStore(earlier)
    Campaign(vendor, store, ResultsWriter(None), settle_delay=60, sleep=clock.sleep, clock=clock).run(
        batches(3)
    )
    assert vendor.lookups == [1] and clock.slept == []
    assert vendor.sends == Counter({1: 1, 2: 1})


def test_the_send_time_is_recorded_for_the_person_and_the_delay():
    clock = Clock()
    vendor = Vendor(lose={0})
    store = MemoryProgressStore()
    with pytest.raises(BatchInDoubtError) as raised:
        Campaign(vendor, store, ResultsWriter(None), clock=clock).run(batches(2))
    batch = raised.value.batches[0]
    assert batch.sent_at == "2027-01-15T08:00:00+00:00"
    assert (batch.first_number, batch.last_number, batch.count) == ("6591000000", "6591000009", SIZE)
    assert json.loads(json.dumps(store.value))["sent_at"] == {"0": batch.sent_at}


@pytest.mark.parametrize(
    "decisions",
    [["camp-1"], {"camp-1": "maybe"}, {1: "skip"}, {"": "skip"}, "camp-1=skip"],
)
def test_bad_decisions_are_refused_naming_the_parameter(decisions):
    with pytest.raises(InvalidInputError, match="in_doubt_decisions"):
        check_decisions(decisions)
