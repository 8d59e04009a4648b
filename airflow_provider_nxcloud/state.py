"""What one task instance already did, kept where every one of its tries finds it.

A send is exactly once per task instance, not per try: a retry (or the try after a worker
died) must learn what an earlier try bound, submitted or deleted before it acts, so the
try number is never part of where that is kept. A :class:`TaskInstanceState` is one such
record, a small JSON value under one name.

Airflow 3.3+ gives every task a ``task_state_store`` (AIP-103) that all tries of the task
instance share; the record is a key in it (only
:func:`~airflow_provider_nxcloud.version_compat.task_state_store` reads it from the
context). Airflow 3.1 and 3.2 have no such store, and XCom does not serve: Airflow clears
a task instance's XComs when a try starts (unless it resumes from a deferral). There the
record is an Airflow Variable named after the task instance's key
(``campaign.progress.campaign_key_from_context``: DAG, run, task and map index, never the
try number), which every try can read and write.

Nothing removes the Variable but the task itself (a bind the vendor refused deletes its
record): a task cleared and run again in the same DAG run must still find what the first
run did, or it would send twice. In the ``task_state_store`` a record is written without
expiry (``NEVER_EXPIRE``): a record the store's ``default_retention_days`` removed would let
a task cleared later act again. ``[state_store] clear_on_success`` still removes it when the
task succeeds, so a record that must outlive success (a finished campaign) is also
:meth:`~TaskInstanceState.seal`-ed into its Variable, which :meth:`~TaskInstanceState.get`
reads when the store has nothing.

Each record keeps the key and the Variable name it has always had, so a retry after an
upgrade of this package still finds what the try before it wrote: the caller passes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from airflow_provider_nxcloud.version_compat import task_state_store

__all__ = ["MemoryStateStore", "StateStore", "TaskInstanceState", "VariableStateStore"]


class StateStore(Protocol):
    """Airflow 3.3's ``task_state_store`` surface: JSON values by key."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class VariableStateStore:
    """Airflow 3.1-3.2: each key is the name of a Variable, its value stored as JSON."""

    def get(self, key: str) -> Any:
        from airflow.sdk import Variable

        return Variable.get(key, default=None, deserialize_json=True)

    def set(self, key: str, value: Any) -> None:
        from airflow.sdk import Variable

        Variable.set(key, value, serialize_json=True)

    def delete(self, key: str) -> None:
        from airflow.sdk import Variable

        Variable.delete(key)


class _NeverExpiring:
    """A ``task_state_store`` whose keys are written without expiry (``NEVER_EXPIRE``, 3.3+)."""

    def __init__(self, accessor: Any) -> None:
        self.accessor = accessor

    def get(self, key: str) -> Any:
        return self.accessor.get(key)

    def set(self, key: str, value: Any) -> None:
        try:
            from airflow.sdk.execution_time.context import NEVER_EXPIRE
        except ImportError:
            # before 3.3 no task has a store: one here was built by hand (a test, a harness), and
            # its keys do not expire
            self.accessor.set(key, value)
            return
        self.accessor.set(key, value, retention=NEVER_EXPIRE)

    def delete(self, key: str) -> None:
        self.accessor.delete(key)


class MemoryStateStore:
    """For tests and for code run outside a task: lives as long as the object."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class TaskInstanceState:
    """One record of a task instance, shared by all its tries: ``get()``, ``set(value)``,
    ``seal(value)``, ``delete()``.

    ``value`` is plain JSON (dicts, lists, text, numbers, booleans) and never None: the
    ``task_state_store`` refuses None, and None is what :meth:`get` answers for no record.
    ``sealed``: the Variable a finished record is also kept in (see the module docstring).
    """

    def __init__(self, store: StateStore, key: str, *, sealed: str | None = None) -> None:
        self.store = store
        self.key = key
        self.sealed = sealed

    @classmethod
    def for_context(cls, context: Mapping[str, Any], key: str, *, variable: str) -> TaskInstanceState:
        """The record ``key`` in the context's ``task_state_store`` (sealed into the Variable
        ``variable``), else the Variable ``variable``."""
        accessor = task_state_store(context)
        if accessor is not None:
            return cls(_NeverExpiring(accessor), key, sealed=variable)
        return cls(VariableStateStore(), variable)

    @classmethod
    def in_task_state_store(cls, context: Mapping[str, Any], key: str) -> TaskInstanceState | None:
        """The record ``key`` where the context has a ``task_state_store``; None where it has none.

        For a record kept only where Airflow has the store, never in a Variable: before 3.3 the
        caller does without it.
        """
        accessor = task_state_store(context)
        return None if accessor is None else cls(_NeverExpiring(accessor), key)

    @classmethod
    def in_memory(cls, value: Any = None) -> TaskInstanceState:
        """A record no other try sees, optionally holding ``value`` already."""
        record = cls(MemoryStateStore(), "record")
        if value is not None:
            record.set(value)
        return record

    def get(self) -> Any:
        """The stored value (else the sealed one), or None when there is no record."""
        value = self.store.get(self.key)
        if value is None and self.sealed is not None:
            return VariableStateStore().get(self.sealed)
        return value

    def set(self, value: Any) -> None:
        if value is None:
            raise ValueError(f"{self.key}: a record cannot be None; delete() it instead")
        self.store.set(self.key, value)

    def seal(self, value: Any) -> None:
        """Set ``value`` as the final record: kept where clearing the task state on success leaves it."""
        self.set(value)
        if self.sealed is not None:
            VariableStateStore().set(self.sealed, value)

    def delete(self) -> None:
        """Remove the record (and its sealed copy); nothing happens when there is none."""
        self.store.delete(self.key)
        if self.sealed is not None:
            VariableStateStore().delete(self.sealed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.store).__name__}, {self.key!r})"
