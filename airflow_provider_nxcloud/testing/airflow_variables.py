"""Airflow's Variable store for code run outside a task runner.

A send operator's ``execute()`` reads and writes Airflow Variables (a finished campaign's
sealed record, the progress record before Airflow 3.3). Inside a task, ``airflow.sdk.Variable``
talks to the task supervisor; outside one (unit tests, the benchmarks' task processes) there
is none. :func:`memory_variables` puts an in-memory store in its place, keeping values as
Airflow keeps them (text; JSON when serialized).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["MemoryVariables", "memory_variables"]


class MemoryVariables:
    """``Variable.get`` / ``set`` / ``delete`` over a dict of name to stored text."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str, default: Any = None, deserialize_json: bool = False) -> Any:
        if key not in self.values:
            return default
        return json.loads(self.values[key]) if deserialize_json else self.values[key]

    def set(self, key: str, value: Any, description: str | None = None, serialize_json: bool = False) -> None:
        self.values[key] = json.dumps(value) if serialize_json else str(value)

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@contextmanager
def memory_variables() -> Iterator[MemoryVariables]:
    """``airflow.sdk.Variable`` backed by a :class:`MemoryVariables` while the block runs."""
    from airflow.sdk import Variable

    store = MemoryVariables()
    saved = {name: Variable.__dict__[name] for name in ("get", "set", "delete")}
    try:
        for name in saved:
            setattr(Variable, name, getattr(store, name))
        yield store
    finally:
        for name, method in saved.items():
            setattr(Variable, name, method)
