"""The export engine keeps a source's queries as far apart as its vendor documents (QueryPacing)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_nxcloud.exports.engine import Interval, Page, QueryPacing, run_export
from airflow_provider_nxcloud.exports.files import IntervalFile, read_records
from airflow_provider_nxcloud.state import TaskInstanceState


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class PagedSource:
    """Two windows of three pages; each query takes ``latency`` seconds on the fake clock."""

    platform = "test"
    record_type = "rows"
    columns = (("window", "string"), ("page", "int64"))
    settle_s = 0.0

    def __init__(self, clock: FakeClock, min_query_interval_s: float, latency: float) -> None:
        self.clock = clock
        self.min_query_interval_s = min_query_interval_s
        self.latency = latency
        self.queried: list[tuple[float, float]] = []

    def check(self, now: float) -> None:
        pass

    def settings(self) -> dict[str, Any]:
        return {}

    def windows(self) -> list[str]:
        return ["a", "b"]

    def pages(self, window: str, cursor: Any) -> Iterator[Page]:
        for number in range(int(cursor or 1), 4):
            sent = self.clock.now
            self.clock.now += self.latency
            self.queried.append((sent, self.clock.now))
            yield Page([{"window": window, "page": number}], number + 1, number == 3)


class MemoryRecord(TaskInstanceState):
    def __init__(self) -> None:
        self.value: Any = None

    def get(self) -> Any:
        return self.value

    def set(self, value: Any) -> None:
        self.value = value

    def delete(self) -> None:
        self.value = None


@pytest.mark.parametrize("latency", [0.0, 0.3, 2.5])
def test_each_query_starts_a_whole_interval_after_the_previous_answer(tmp_path, latency):
    clock = FakeClock()
    source = PagedSource(clock, 1.0, latency)
    started = clock.now

    summary = run_export(
        source,
        Interval(0, 50),
        IntervalFile(str(tmp_path / "rows.jsonl")),
        MemoryRecord(),
        60.0,
        clock=clock,
        sleep=clock.sleep,
    )

    assert summary.queries == len(source.queried) == 6
    assert source.queried[0][0] >= started + 1.0  # the account's previous export may just have asked
    for (_, answered), (sent, _) in itertools.pairwise(source.queried):
        assert sent - answered >= 1.0
    # no wait is spent where no query follows: after each window's last page, and at the end
    assert len(clock.slept) == 6 and all(wait <= 1.0 for wait in clock.slept)
    assert len(list(read_records(tmp_path / "rows.jsonl"))) == 6


def test_a_source_without_a_documented_rate_is_not_slowed(tmp_path):
    clock = FakeClock()
    source = PagedSource(clock, 0.0, 0.1)
    run_export(
        source,
        Interval(0, 50),
        IntervalFile(str(tmp_path / "rows.jsonl")),
        MemoryRecord(),
        60.0,
        clock=clock,
        sleep=clock.sleep,
    )
    assert clock.slept == [] and len(source.queried) == 6


def test_pacing_stops_after_the_last_page_without_another_query():
    clock = FakeClock()
    pacing = QueryPacing(1.0, clock, clock.sleep)
    asked: list[int] = []

    def pages() -> Iterator[Page]:
        asked.append(1)
        yield Page([], 2, True)
        asked.append(2)  # never reached: the last page ends the window
        yield Page([], 3, True)

    assert [page.cursor for page in pacing.paced(pages())] == [2] and asked == [1]
