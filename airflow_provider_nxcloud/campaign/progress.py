"""Which batches of a campaign the vendor already accepted, kept across task retries.

A send task records each batch twice: *in flight* just before its request is
written, *done* once the vendor accepted it. A retry skips done batches and
treats a batch still in flight as in doubt (the previous try may have died
after the vendor accepted it): it is looked up, never silently re-sent.

Indexes only mean the same recipients if the source reads the same on every try:
with the indexes goes a fingerprint of what the recorded batches held
(``fingerprint.py``), which a retry checks before it sends anything.

The record is one small JSON value (done batches as ranges), stored in
Airflow's ``task_state_store`` on 3.3+, which survives the tries of one task
instance. Airflow 3.1 and 3.2 have no such store; there the record is an Airflow
Variable named after the campaign key (``version_compat.task_state_store``). The
Variable is kept when the campaign ends (a task cleared and run again in the same
DAG run resumes instead of sending twice); nothing removes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_nxcloud.campaign.fingerprint import SourceRecord
from airflow_provider_nxcloud.version_compat import task_state_store

#: the key (and Variable name prefix) the record is stored under
STORE_KEY = "nxcloud_campaign_progress"


def campaign_key(dag_id: str, run_id: str, task_id: str, map_index: int | None) -> str:
    """A short stable id of one logical send: the same on every try, different per mapped instance.

    Never includes the try number: a retry must find the record of the try before it.
    """
    identity = f"{dag_id}\x1f{run_id}\x1f{task_id}\x1f{-1 if map_index is None else map_index}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


def campaign_key_from_context(context: Mapping[str, Any]) -> str:
    ti = context["ti"]
    return campaign_key(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))


@dataclass
class Progress:
    """What a campaign has done so far; small enough to store after every batch."""

    #: accepted batches as sorted, disjoint, inclusive ranges
    done: list[list[int]] = field(default_factory=list)
    #: batches whose request was written but whose outcome is not recorded
    in_flight: list[int] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    #: what the recorded batches held, so a retry can tell a changed source (fingerprint.py)
    source: SourceRecord = field(default_factory=SourceRecord)

    def is_done(self, index: int) -> bool:
        return any(low <= index <= high for low, high in self.done)

    def is_in_flight(self, index: int) -> bool:
        return index in self.in_flight

    def start(self, index: int, digest: str | None = None) -> None:
        """The batch's request is about to be written; ``digest``: its :func:`batch_digest`."""
        if index not in self.in_flight:
            self.in_flight.append(index)
        if digest is not None:
            self.source.note(index, digest)

    def abandon(self, index: int) -> None:
        """The vendor answered with an error: the batch was provably not accepted."""
        if index in self.in_flight:
            self.in_flight.remove(index)

    def finish(self, index: int, accepted: int, rejected: int) -> None:
        self.abandon(index)
        if self.is_done(index):
            return
        self.done = _add_to_ranges(self.done, index)
        self.accepted += accepted
        self.rejected += rejected
        self.source.fold(self.is_done)

    def last_recorded(self) -> int:
        """The highest batch recorded done or in flight; -1 for none."""
        return max([*(high for _, high in self.done), *self.in_flight], default=-1)

    def batches_done(self) -> int:
        return sum(high - low + 1 for low, high in self.done)

    def to_json(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "in_flight": sorted(self.in_flight),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "source": self.source.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> Progress:
        if not isinstance(value, dict):
            return cls()
        return cls(
            done=[[int(low), int(high)] for low, high in value.get("done", [])],
            in_flight=[int(i) for i in value.get("in_flight", [])],
            accepted=int(value.get("accepted", 0)),
            rejected=int(value.get("rejected", 0)),
            source=SourceRecord.from_json(value.get("source")),
        )


def _add_to_ranges(ranges: Iterable[list[int]], index: int) -> list[list[int]]:
    merged: list[list[int]] = []
    for low, high in sorted([*([r[0], r[1]] for r in ranges), [index, index]]):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


class ProgressStore(Protocol):
    def load(self) -> Progress: ...

    def save(self, progress: Progress) -> None: ...

    def clear(self) -> None: ...


class MemoryProgressStore:
    """For tests and for running outside a task."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.value: dict[str, Any] | None = progress.to_json() if progress else None
        self.saves = 0

    def load(self) -> Progress:
        return Progress.from_json(self.value)

    def save(self, progress: Progress) -> None:
        self.value = progress.to_json()
        self.saves += 1

    def clear(self) -> None:
        self.value = None


class TaskStateProgressStore:
    """Airflow 3.3+: the task instance's ``task_state_store``, which every try of it sees."""

    def __init__(self, accessor: Any, key: str = STORE_KEY) -> None:
        self._accessor = accessor
        self._key = key

    def load(self) -> Progress:
        return Progress.from_json(self._accessor.get(self._key))

    def save(self, progress: Progress) -> None:
        self._accessor.set(self._key, progress.to_json())

    def clear(self) -> None:
        self._accessor.delete(self._key)


class VariableProgressStore:
    """Airflow 3.1-3.2 fallback: a Variable named after the campaign key, kept when the campaign ends."""

    def __init__(self, campaign: str) -> None:
        self.name = f"{STORE_KEY}_{campaign}"

    def load(self) -> Progress:
        from airflow.sdk import Variable

        return Progress.from_json(Variable.get(self.name, default=None, deserialize_json=True))

    def save(self, progress: Progress) -> None:
        from airflow.sdk import Variable

        Variable.set(self.name, progress.to_json(), serialize_json=True)

    def clear(self) -> None:
        from airflow.sdk import Variable

        Variable.delete(self.name)


def progress_store_for(context: Mapping[str, Any]) -> ProgressStore:
    """The store a send task should use: ``task_state_store`` where Airflow has it."""
    accessor = task_state_store(context)
    if accessor is not None:
        return TaskStateProgressStore(accessor)
    return VariableProgressStore(campaign_key_from_context(context))
