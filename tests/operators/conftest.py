from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest


class FakeTaskStateStore:
    """Airflow 3.3's task_state_store surface (get/set/delete), shared by the tries of one task instance."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sets = 0
        #: the retention each key was last set with
        self.retentions: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        assert value is not None
        self.values[key] = value
        self.retentions[key] = retention
        self.sets += 1

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@dataclass
class FakeTI:
    dag_id: str = "campaign_dag"
    run_id: str = "scheduled__2026-11-23T00:00:00+00:00"
    task_id: str = "send"
    map_index: int = -1
    try_number: int = 1
    xcoms: dict[str, Any] = field(default_factory=dict)
    #: the try's id (Airflow gives every try its own); None: no Human-in-the-loop request can be made
    id: Any = None

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **kwargs: Any) -> Any:
        return self.xcoms.get(key)


class TaskRun:
    """The context of successive tries of one task instance."""

    def __init__(self, **ti: Any) -> None:
        self.store = FakeTaskStateStore()
        self.ti = FakeTI(**ti)

    def context(self) -> dict[str, Any]:
        return {"ti": self.ti, "task_state_store": self.store}

    def retry(self) -> dict[str, Any]:
        self.ti.try_number += 1
        return self.context()


@pytest.fixture
def task_run() -> TaskRun:
    return TaskRun()


def numbers(count: int) -> list[str]:
    """Distinct valid Singapore mobile numbers (65 9xxxxxxx)."""
    return [f"65{9 * 10_000_000 + i}" for i in range(1, count + 1)]


# ----- exactly once across tries: the checks every send operator's tests make -----------------


def sent_to(sim: Any, kind: str) -> Counter[str]:
    """How often each recipient was sent to (SMS, voice or email)."""
    return Counter(entry.recipient for entry in sim.ledger.entries(kind=kind))


def assert_retry_resumes(
    sim: Any,
    run: TaskRun,
    op: Any,
    recipients: list[str],
    results: Any,
    *,
    kind: str,
    accepted: int,
    resumed: int,
) -> None:
    """A try that fails retryably after ``accepted`` recipients; the retry sends each of the rest once."""
    from airflow_provider_nxcloud.campaign.results import read_results
    from airflow_provider_nxcloud.exceptions import RetryableAPIError

    with pytest.raises(RetryableAPIError):
        op.execute(run.context())
    assert sim.ledger.count() == accepted

    summary = op.execute(run.retry())
    assert sent_to(sim, kind) == Counter(recipients)
    assert sim.ledger.duplicates() == {}
    assert summary["resumed_batches"] == resumed and summary["accepted"] == len(recipients)
    assert [line["number"] for line in read_results(results)] == recipients


def assert_lost_answer_is_never_resent(
    sim: Any, run: TaskRun, make: Any, recipients: list[str], *, kind: str, batch: str, accepted: int
) -> dict[str, Any]:
    """Batch 1's answer is lost: the task fails naming ``batch``, a retry too, until a decision on
    that batch (its reference, from the error) says skip."""
    from airflow.providers.common.compat.sdk import AirflowFailException

    from airflow_provider_nxcloud.exceptions import BatchInDoubtError

    op = make(recipients=recipients)
    with pytest.raises(AirflowFailException) as failed:
        op.execute(run.context())
    in_doubt = failed.value.__cause__
    assert isinstance(in_doubt, BatchInDoubtError)
    assert batch in str(failed.value)
    assert sim.ledger.count() == accepted

    # A plain retry still refuses to guess...
    with pytest.raises(AirflowFailException, match="batch 1"):
        op.execute(run.retry())
    assert sim.ledger.count() == accepted
    # ...until a person says the batch went out.
    decisions = {in_doubt.reference: "skip"}
    summary = make(recipients=recipients, in_doubt_decisions=decisions).execute(run.retry())
    assert sent_to(sim, kind) == Counter(recipients)
    assert sim.ledger.duplicates() == {}
    assert summary["skipped_batches"] == [1]
    return summary
