"""Watching one piece of vendor work until it ends, and creating it exactly once.

A :class:`Watch` knows how to ask a platform about one job (a Buka voice task,
an AI voice task, an NXCloud number-check submission, the delivery reports of a
campaign's messages) and how to read the answer: it writes one poll as a :mod:`~airflow_provider_nxcloud.polling`
conversation that ends in a :class:`JobState`. The sensors run it on a worker
through the hook, :class:`~airflow_provider_nxcloud.triggers.wait.WaitTrigger`
in the triggerer through the read-only async transport.

Watches are named in :data:`WATCHES` so a trigger can carry one as plain JSON:
``(watch name, options)``; :func:`watch_for` builds it again from the hook.

Creating is the other half: :func:`find_or_create` looks for the job under
its stable key first, creates it only when it is not there, and resolves a
lost reply by looking again, so an Airflow retry never creates a second one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    CreateInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    check_one_of,
)
from airflow_provider_nxcloud.polling import Conversation

#: outcomes of one poll
RUNNING = "running"
SUCCESS = "success"
FAILURE = "failure"
OUTCOMES = (RUNNING, SUCCESS, FAILURE)


@dataclass(frozen=True)
class JobState:
    """What one poll found out about a job."""

    #: RUNNING (keep waiting), SUCCESS or FAILURE (the job ended)
    outcome: str
    #: the vendor's own status, as text (e.g. ``"2 completed"``)
    status: str
    #: one line for the task log or the failure message; it names the job ("Buka voice task 17: ...")
    message: str
    #: small plain-JSON facts for XCom: ids, counts, progress
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_one_of("outcome", self.outcome, OUTCOMES)

    @property
    def ended(self) -> bool:
        return self.outcome != RUNNING

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "status": self.status, "message": self.message, **self.details}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> JobState:
        details = {k: v for k, v in value.items() if k not in ("outcome", "status", "message")}
        return cls(
            str(value["outcome"]), str(value.get("status", "")), str(value.get("message", "")), details
        )


class Watch(Protocol):
    """How to ask one platform about one job; pure, no I/O."""

    platform: str
    #: the job, for log lines ("Buka voice task 1234")
    subject: str

    def poll(self) -> Conversation[JobState]:
        """One poll round as a conversation."""
        ...

    def options(self) -> dict[str, Any]:
        """Plain-JSON settings from which :func:`watch_for` builds this watch again (trigger kwargs)."""
        ...

    def conclude(self) -> dict[str, Any]:
        """Called once when the wait ends for any reason (ended, timed out, errored), in the process
        that polled; may write files (a delivery report); returns small plain-JSON details for the
        event or XCom (``{}`` for a job)."""
        ...


class CancellableWatch(Watch, Protocol):
    def cancel(self, hook: Any) -> str:
        """Stop the job at the vendor through ``hook`` (a send: only on a user's kill); returns a log line."""
        ...


#: watch name -> ``module:class``; the class has ``from_options(hook, options) -> Watch``
WATCHES: dict[str, str] = {
    "buka_voice_task": "airflow_provider_nxcloud.jobs.buka_voice:VoiceTaskWatch",
    "buka_ai_voice_task": "airflow_provider_nxcloud.jobs.buka_ai_voice:AiVoiceTaskWatch",
    "nxcloud_number_check": "airflow_provider_nxcloud.jobs.nxcloud_number_check:NumberCheckWatch",
    "delivery": "airflow_provider_nxcloud.campaign.delivery.watch:DeliveryWatch",
}


def watch_for(name: str, hook: Any, options: Mapping[str, Any]) -> Watch:
    """The watch ``name`` for ``options``, its app ids and keys read from ``hook``'s loaded connection."""
    module, _, attribute = WATCHES[check_one_of("watch", name, WATCHES)].partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    watch: Watch = factory.from_options(hook, dict(options))
    return watch


def is_cancellable(watch: Watch) -> bool:
    return callable(getattr(watch, "cancel", None))


# ----- creating exactly once -----------------------------------------------------------------------

T = TypeVar("T")


def stable_name(key: str, prefix: str | None, *, max_length: int, default_prefix: str = "airflow") -> str:
    """A job name that is the same on every try of one task instance and differs between instances.

    ``key`` is the campaign key (dag, run, task, map index; never the try number).
    The user's ``prefix`` is kept as far as the vendor's length limit allows.
    """
    head = (prefix or default_prefix).strip()
    room = max_length - len(key) - 1
    if room < 1:
        raise InvalidInputError("max_length", f"{max_length} leaves no room for a name around key {key!r}")
    return f"{head[:room]}-{key}"


def find_or_create(
    find: Callable[[], T | None],
    create: Callable[[], T],
    *,
    what: str,
    exists_codes: frozenset[str] = frozenset(),
) -> tuple[T, bool]:
    """The job ``find`` returns, or the one ``create`` makes; ``(job, created)``.

    * found first: an earlier try created it; nothing is sent;
    * ``create`` answered: created now;
    * ``create``'s reply was lost (:class:`AmbiguousSendError`) or the vendor says the
      unique key exists (``exists_codes``): look again; found means it exists once.
      Not found after a lost reply raises :class:`CreateInDoubtError`, which Airflow
      retries, and the retry looks before creating.
    """
    existing = find()
    if existing is not None:
        return existing, False
    try:
        return create(), True
    except AmbiguousSendError as exc:
        lost: Exception = exc
    except PermanentAPIError as exc:
        if exc.code is None or exc.code not in exists_codes:
            raise
        lost = exc
    existing = find()
    if existing is not None:
        return existing, False
    raise CreateInDoubtError(what, str(lost)) from lost
