from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest


class FakeTaskStateStore:
    """Airflow 3.3's task_state_store surface (get/set/delete), shared by the tries of one task instance."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sets = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        assert value is not None
        self.values[key] = value
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
