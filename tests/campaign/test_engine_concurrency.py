"""The campaign engine with several batches in flight: still exactly once, still recorded in order of events."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.engine import Batch, Campaign, make_batches
from airflow_provider_nxcloud.campaign.progress import MemoryProgressStore, Progress
from airflow_provider_nxcloud.campaign.recipients import NumberFormat, Recipient
from airflow_provider_nxcloud.campaign.results import RecipientResult, ResultsWriter, read_results
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.platforms.codes import Disposition


def recipients(count: int) -> list[Recipient]:
    return [Recipient(f"6591{i:06d}", f"6591{i:06d}", i + 1) for i in range(count)]


def batches(count: int, size: int = 10) -> list[Batch]:
    return list(make_batches(recipients(count * size), size, "campaign"))


def vendor_error(kind: type[Exception] = RetryableAPIError, **fields: Any) -> Any:
    base = {
        "platform": "buka",
        "service": "sms",
        "code": "-18",
        "meaning": "platform busy",
        "disposition": Disposition.RETRY,
        "endpoint": "sms_send",
    }
    return kind(**{**base, **fields})


class CheckedStore(MemoryProgressStore):
    """Fails the test if two threads save at once; remembers every saved record."""

    def __init__(self, progress: Progress | None = None) -> None:
        super().__init__(progress)
        self._busy = threading.Lock()
        self.history: list[dict[str, Any]] = []

    def save(self, progress: Progress) -> None:
        assert self._busy.acquire(blocking=False), "progress saved from two threads at once"
        try:
            time.sleep(0.001)
            super().save(progress)
            assert self.value is not None
            self.history.append(self.value)
        finally:
            self._busy.release()


class Sender:
    """Sends by sleeping; checks each batch was saved in flight before its request; counts overlap."""

    platform = "buka"
    max_batch = 10
    number_format = NumberFormat.DIGITS

    def __init__(
        self,
        store: CheckedStore,
        *,
        delay: float = 0.02,
        fail: dict[int, Exception] | None = None,
        delays: dict[int, float] | None = None,
        absent: bool = False,
    ):
        self.store = store
        self.delay = delay
        self.delays = delays or {}
        self.fail = fail or {}
        #: lookups find the batch provably not accepted (else: cannot tell); "none found" counts
        #: as absence only once a settle delay has passed, so such a sender has one
        self.absent = absent
        self.settle_delay = 0.001 if absent else 0.0
        self.sent: Counter[int] = Counter()
        self.lookups: list[int] = []
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def send(self, batch: Batch) -> list[RecipientResult]:
        saved = Progress.from_json(self.store.value)
        assert batch.index in saved.in_flight, f"batch {batch.index} sent before it was recorded in flight"
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.sent[batch.index] += 1
        try:
            time.sleep(self.delays.get(batch.index, self.delay))
            if batch.index in self.fail:
                raise self.fail[batch.index]
            return [RecipientResult(n, "accepted", f"id-{n}") for n in batch.numbers]
        finally:
            with self._lock:
                self.running -= 1

    def lookup(self, batch: Batch) -> list[RecipientResult] | None:
        self.lookups.append(batch.index)
        return [] if self.absent else None


def test_every_batch_is_sent_once_and_recorded(tmp_path):
    store = CheckedStore()
    sender = Sender(store)
    results = tmp_path / "results.jsonl"
    writer = ResultsWriter(str(results))
    summary = Campaign(sender, store, writer, max_concurrency=4).run(batches(20))
    writer.finish()

    assert sender.sent == Counter(range(20))
    assert sender.most == 4  # bounded, and actually concurrent
    assert summary.batches == 20 and summary.accepted == 200
    final = Progress.from_json(store.value)
    assert final.done == [[0, 19]] and final.in_flight == []
    # results come out in batch order whatever order the batches finished in
    assert [line["number"] for line in read_results(results)] == [r.number for r in recipients(200)]


def test_never_more_batches_in_flight_than_allowed():
    store = CheckedStore()
    sender = Sender(store, delay=0.005)
    Campaign(sender, store, ResultsWriter(None), max_concurrency=3).run(batches(30))
    assert sender.most <= 3
    assert max(len(record["in_flight"]) for record in store.history) <= 3


def test_a_vendor_error_lets_the_batches_in_flight_finish_and_be_recorded_first():
    store = CheckedStore()
    busy = vendor_error()
    sender = Sender(store, fail={5: busy})
    with pytest.raises(RetryableAPIError) as raised:
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(20))
    assert raised.value is busy

    final = Progress.from_json(store.value)
    sent = set(sender.sent)
    # nothing after the failing batch's window was started once the error was seen
    assert max(sent) <= 5 + 4
    assert all(count == 1 for count in sender.sent.values())
    # every batch that was sent and did not fail is recorded done; the failed one is not in flight
    done = {i for low, high in final.done for i in range(low, high + 1)}
    assert done == sent - {5}
    assert final.in_flight == []


def test_a_retry_after_a_concurrent_failure_sends_each_remaining_batch_once():
    store = CheckedStore()
    first = Sender(store, fail={7: vendor_error()})
    with pytest.raises(RetryableAPIError):
        Campaign(first, store, ResultsWriter(None), max_concurrency=4).run(batches(20))

    second = Sender(store)
    summary = Campaign(second, store, ResultsWriter(None), max_concurrency=4).run(batches(20))
    assert summary.accepted == 200
    assert (first.sent + second.sent) - Counter({7: 1}) == Counter(range(20))
    assert summary.resumed_batches == len(set(first.sent) - {7})


def test_a_permanent_error_goes_up_after_the_others_finish():
    store = CheckedStore()
    refused = vendor_error(
        PermanentAPIError, code="-7", meaning="too many numbers", disposition=Disposition.FAIL
    )
    sender = Sender(store, fail={2: refused})
    with pytest.raises(PermanentAPIError):
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(10))
    final = Progress.from_json(store.value)
    assert final.in_flight == []
    assert {i for low, high in final.done for i in range(low, high + 1)} == set(sender.sent) - {2}


def test_a_lost_answer_is_settled_as_before_and_stays_in_flight_when_it_cannot_be():
    store = CheckedStore()
    lost = vendor_error(
        AmbiguousSendError, code="CONNECTION_LOST", meaning="reset", client_reference="campaign-3"
    )
    sender = Sender(store, fail={3: lost})
    with pytest.raises(BatchInDoubtError, match="batch 3"):
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(10))
    assert sender.lookups == [3]
    final = Progress.from_json(store.value)
    assert final.in_flight == [3]  # the next try must settle it, never send it blindly
    assert sender.sent[3] == 1
    done = {i for low, high in final.done for i in range(low, high + 1)}
    assert done == set(sender.sent) - {3}


def test_a_lost_answer_settled_after_another_batch_failed_is_left_for_the_next_try():
    store = CheckedStore()
    lost = vendor_error(AmbiguousSendError, code="CONNECTION_LOST", meaning="reset", client_reference="c-3")
    # batch 2 fails at once; batch 3's answer is lost later, and the lookup proves it was not accepted
    sender = Sender(store, fail={2: vendor_error(), 3: lost}, delays={2: 0.0, 3: 0.1}, absent=True)
    with pytest.raises(RetryableAPIError):
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(10))
    assert sender.lookups == [3]  # the settle delay had passed since the send: one look is enough
    assert sender.sent[3] == 1  # not sent again once the error was seen
    final = Progress.from_json(store.value)
    assert final.in_flight == []
    done = {i for low, high in final.done for i in range(low, high + 1)}
    assert done == set(sender.sent) - {2, 3}


def test_a_lost_answer_proved_unaccepted_is_sent_again_while_all_is_well():
    store = CheckedStore()
    lost = vendor_error(AmbiguousSendError, code="CONNECTION_LOST", meaning="reset", client_reference="c-3")

    class OnceLost(Sender):
        def send(self, batch: Batch) -> list[RecipientResult]:
            if batch.index == 3:
                if self.sent[3] == 0:
                    self.fail[3] = lost
                else:
                    self.fail.pop(3)
            return super().send(batch)

    sender = OnceLost(store, absent=True)
    summary = Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(10))
    assert sender.sent == Counter({**{i: 1 for i in range(10)}, 3: 2})
    assert summary.accepted == 100 and summary.resolved_batches == 1
    assert Progress.from_json(store.value).done == [[0, 9]]


def test_a_skip_decision_on_a_batch_goes_on_with_the_other_batches():
    store = CheckedStore()
    lost = vendor_error(
        AmbiguousSendError, code="CONNECTION_LOST", meaning="reset", client_reference="campaign-3"
    )
    sender = Sender(store, fail={3: lost})
    decisions = {"campaign-3": "skip"}
    summary = Campaign(sender, store, ResultsWriter(None), decisions=decisions, max_concurrency=4).run(
        batches(10)
    )
    assert summary.skipped_batches == [3]
    assert sender.sent == Counter(range(10))
    assert Progress.from_json(store.value).done == [[0, 9]]


def test_an_error_while_reading_the_recipients_still_records_what_is_in_flight():
    store = CheckedStore()
    sender = Sender(store)

    def broken() -> Any:
        yield from batches(6)
        raise InvalidInputError("recipients", "cannot read the file after line 60")

    with pytest.raises(InvalidInputError):
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(broken())
    assert Progress.from_json(store.value).done == [[0, 5]]
    assert Progress.from_json(store.value).in_flight == []


def test_batches_left_in_flight_by_an_earlier_try_are_settled_before_any_send():
    earlier = Progress()
    earlier.finish(0, 10, 0)
    earlier.start(1)
    store = CheckedStore(earlier)
    sender = Sender(store)
    with pytest.raises(BatchInDoubtError, match="batch 1"):
        Campaign(sender, store, ResultsWriter(None), max_concurrency=4).run(batches(5))
    assert sender.lookups == [1]
    assert sender.sent == Counter()


@pytest.mark.parametrize("value", [0, -1, 1.5, "4", True, None])
def test_max_concurrency_must_be_a_whole_number_of_at_least_one(value):
    store = CheckedStore()
    with pytest.raises(InvalidInputError, match="max_concurrency"):
        Campaign(Sender(store), store, ResultsWriter(None), max_concurrency=value)
