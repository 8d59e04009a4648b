"""Which batches of a campaign the vendor already accepted, kept across task retries.

A send task records each batch twice: *in flight* just before its request is
written, *done* once the vendor accepted it. A retry skips done batches and
treats a batch still in flight as in doubt (the previous try may have died
after the vendor accepted it): it is looked up, never silently re-sent.

Indexes only mean the same recipients if the source reads the same on every try:
with the indexes goes a fingerprint of what the recorded batches held
(``fingerprint.py``), which a retry checks before it sends anything.

The record is one small JSON value (done batches as ranges, and the decisions on
batches in doubt), a :class:`~airflow_provider_nxcloud.state.TaskInstanceState`:
Airflow's ``task_state_store`` on 3.3+, written without expiry, which survives the
tries of one task instance; an Airflow Variable named after the campaign key on 3.1
and 3.2, which have no such store. A finished campaign's record is also sealed into
that Variable on 3.3+, because ``[state_store] clear_on_success`` removes the task
state when the task succeeds: a task cleared and run again in the same DAG run then
finds its campaign done and sends nothing. Nothing removes the Variable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_nxcloud.campaign.fingerprint import SourceRecord
from airflow_provider_nxcloud.state import TaskInstanceState

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
    #: when each in-flight batch's request was written (ISO 8601 UTC): the evidence a person
    #: checks, and where a settle delay counts from
    sent_at: dict[int, str] = field(default_factory=dict)
    #: batches left unsent by a "skip" decision (also in ``done``: nothing more is sent of them)
    skipped: list[int] = field(default_factory=list)
    #: decisions on batches in doubt, by batch reference: ``{"decision": "skip"|"resend",
    #: "by": who, "at": when}``; a "resend" is removed once it is used (see ``resent``)
    decisions: dict[str, dict[str, str]] = field(default_factory=dict)
    #: batch references sent again on a "resend" decision: a decision is used once, so a
    #: resend whose answer is lost too is asked about again, never sent a third time
    resent: list[str] = field(default_factory=list)
    #: the last question put to a person: ``{"reference": ..., "ti": the try's task instance
    #: id, "answered": the decision once answered}`` (one question per try: Airflow keeps one
    #: Human-in-the-loop request per try)
    asked: dict[str, str] | None = None

    def is_done(self, index: int) -> bool:
        return any(low <= index <= high for low, high in self.done)

    def is_in_flight(self, index: int) -> bool:
        return index in self.in_flight

    def start(self, index: int, digest: str | None = None, at: str | None = None) -> None:
        """The batch's request is about to be written; ``digest``: its :func:`batch_digest`;
        ``at``: when (ISO 8601 UTC)."""
        if index not in self.in_flight:
            self.in_flight.append(index)
        if at is not None:
            self.sent_at[index] = at
        if digest is not None:
            self.source.note(index, digest)

    def abandon(self, index: int) -> None:
        """The vendor answered with an error: the batch was provably not accepted."""
        if index in self.in_flight:
            self.in_flight.remove(index)
        self.sent_at.pop(index, None)

    def skip(self, index: int) -> None:
        """A decision left the batch unsent: nothing more is sent of it."""
        if index not in self.skipped:
            self.skipped.append(index)
        self.finish(index, 0, 0)

    def decide(self, reference: str, decision: str, *, by: str, at: str) -> None:
        """Record a person's decision on the batch ``reference``; a fresh one may resend it again."""
        self.decisions[reference] = {"decision": decision, "by": by, "at": at}
        if reference in self.resent:
            self.resent.remove(reference)

    def use_resend(self, reference: str) -> None:
        """The batch is being sent again on a "resend" decision: that decision is used up."""
        self.decisions.pop(reference, None)
        if reference not in self.resent:
            self.resent.append(reference)

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
            "sent_at": {str(index): at for index, at in sorted(self.sent_at.items())},
            "skipped": sorted(self.skipped),
            "decisions": self.decisions,
            "resent": self.resent,
            "asked": self.asked,
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
            sent_at={int(index): str(at) for index, at in (value.get("sent_at") or {}).items()},
            skipped=[int(i) for i in value.get("skipped", [])],
            decisions={
                str(reference): {str(k): str(v) for k, v in decision.items()}
                for reference, decision in (value.get("decisions") or {}).items()
                if isinstance(decision, dict)
            },
            resent=[str(reference) for reference in value.get("resent", [])],
            asked=value.get("asked") if isinstance(value.get("asked"), dict) else None,
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

    def seal(self, progress: Progress) -> None:
        """The campaign finished: keep its final record where nothing removes it."""
        ...

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

    def seal(self, progress: Progress) -> None:
        self.save(progress)

    def clear(self) -> None:
        self.value = None


class StateProgressStore:
    """The campaign record as a :class:`~airflow_provider_nxcloud.state.TaskInstanceState`:
    ``task_state_store`` on Airflow 3.3+ (without expiry, sealed into a Variable when the
    campaign finishes, so neither retention nor ``clear_on_success`` lets a cleared task send
    it again), a Variable before."""

    def __init__(self, state: TaskInstanceState) -> None:
        self.state = state

    def load(self) -> Progress:
        return Progress.from_json(self.state.get())

    def save(self, progress: Progress) -> None:
        self.state.set(progress.to_json())

    def seal(self, progress: Progress) -> None:
        self.state.seal(progress.to_json())

    def clear(self) -> None:
        self.state.delete()


def progress_store_for(context: Mapping[str, Any], name: str = "") -> ProgressStore:
    """The store a send task should use: ``task_state_store`` where Airflow has it.

    ``name``: a second campaign of the same task instance (an AI voice task's imports)."""
    key = f"{STORE_KEY}{name}"
    variable = f"{STORE_KEY}_{campaign_key_from_context(context)}{name}"
    return StateProgressStore(TaskInstanceState.for_context(context, key, variable=variable))
