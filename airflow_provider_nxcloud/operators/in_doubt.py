"""A person settles a batch in doubt, through Airflow's Human-in-the-loop Required Actions.

When no lookup can tell whether the vendor accepted a batch (its answer was lost, or
the try that sent it died), the send task does not guess. It asks: a Required Action on
its own task instance, with the evidence a person needs to check the vendor's console
(the batch reference, how many recipients, the first and last number, when it was
sent) and three options:

- ``skip``: the vendor has the batch (or it must not go out): it is not sent again,
  its recipients are written to the results file as ``skipped``;
- ``resend``: the vendor does not have it: it is sent once more (once: if that answer
  is lost too, the task asks again);
- ``fail``: the task fails; nothing is sent. No answer within
  ``in_doubt_response_timeout`` counts as ``fail``.

The answer is recorded against that batch's reference in the campaign's progress
record and the task goes on in the same try. Airflow keeps one Human-in-the-loop
request per try (a second request in the same try would show the first one's text),
so one question is put per try: another batch still in doubt after the answer fails
the try with a retryable error naming it, and the next try asks about it.

On Airflow 3.3+ the task waits in ``awaiting_input`` (no triggerer needed); on 3.1 and
3.2 it defers to the standard provider's ``HITLTrigger``. Where neither is possible (a
task run outside the task runner) or ``in_doubt="fail"``, the task fails naming every
batch in doubt; ``in_doubt_decisions={reference: "skip"|"resend"}`` then decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_nxcloud.campaign.engine import Batch, Campaign, CampaignSummary, Sender, check_decisions
from airflow_provider_nxcloud.campaign.progress import ProgressStore, progress_store_for
from airflow_provider_nxcloud.campaign.results import ResultsWriter
from airflow_provider_nxcloud.exceptions import (
    BatchInDoubtError,
    InDoubtBatch,
    InvalidInputError,
    check_one_of,
    check_seconds,
)
from airflow_provider_nxcloud.version_compat import AIRFLOW_V_3_1_PLUS, AIRFLOW_V_3_3_PLUS

#: what a send does with a batch in doubt that nothing has decided
IN_DOUBT_MODES = ("ask", "fail")
#: the Required Action's options, in the order the UI shows them
OPTIONS = ["skip", "resend", "fail"]
#: what a question left unanswered comes to
DEFAULT_OPTION = "fail"
DEFAULT_RESPONSE_TIMEOUT = dt.timedelta(hours=24)
#: the method a task resumes in once the person answered
RESUME_METHOD = "resume_after_decision"


def check_in_doubt(mode: Any) -> str:
    if mode in ("skip", "resend"):
        raise InvalidInputError(
            "in_doubt",
            f"{mode!r} would apply to every batch in doubt, which can drop or duplicate messages; "
            "decide per batch: answer the task's Human-in-the-loop question (in_doubt='ask'), or give "
            "in_doubt_decisions={batch reference: 'skip'|'resend'}",
        )
    return check_one_of("in_doubt", mode, IN_DOUBT_MODES)


def check_response_timeout(value: Any) -> dt.timedelta:
    """``in_doubt_response_timeout`` as a timedelta (seconds or a timedelta, more than 0)."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise InvalidInputError(
            "in_doubt_response_timeout", f"must be a timedelta or seconds, not {type(value).__name__}"
        )
    if not seconds > 0 or seconds == float("inf"):
        raise InvalidInputError("in_doubt_response_timeout", f"must be a finite time above 0, not {value!r}")
    return dt.timedelta(seconds=seconds)


def can_ask(context: Any) -> bool:
    """True inside Airflow's task runner (3.1+), where a Human-in-the-loop request can be written."""
    if not AIRFLOW_V_3_1_PLUS or getattr(_task_instance(context), "id", None) is None:
        return False
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:  # pragma: no cover - Airflow 3.1+ always has it
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def question(platform: str, error: BatchInDoubtError, timeout: dt.timedelta) -> tuple[str, str]:
    """The Required Action's subject and body (Markdown) for the first batch ``error`` names."""
    batch = error.batches[0]
    console = (
        f"the {platform} console's sent-message records for these numbers around that time "
        f"(where it shows client references: this batch's recipients carry `{batch.reference}-<n>`, "
        "n counting from 0)"
    )
    others = [other.reference for other in error.batches[1:]]
    subject = f"{platform}: was batch {batch.reference} sent? skip, resend or fail"
    # a list: Markdown joins single lines into one paragraph
    lines = [
        f"**The {platform} send may or may not have reached the vendor:** {batch.why}.",
        "",
        f"- Batch reference: `{batch.reference}`",
        f"- Recipients: {batch.count} (positions {batch.first}-{batch.last}), "
        f"first `{batch.first_number}`, last `{batch.last_number}`",
        f"- Sent at: {batch.sent_at or 'not recorded'}",
        f"- Where to check: {console}",
    ]
    if others:
        lines += ["", f"Also in doubt, asked about on the next try: {', '.join(others)}"]
    lines += [
        "",
        "- **skip**: the vendor has this batch (or it must not go out): it is not sent again; "
        "its recipients are written to the results file as `skipped`.",
        "- **resend**: the vendor does not have it: it is sent once more.",
        f"- **fail**: fail the task; nothing is sent. No answer within {_duration(timeout)} counts as fail.",
    ]
    return subject, "\n".join(lines)


def ask(
    operator: Any,
    context: Any,
    error: BatchInDoubtError,
    store: ProgressStore,
    *,
    timeout: dt.timedelta,
) -> NoReturn:
    """Put the question about the first batch in ``error`` and wait for the answer.

    Raises what parks the task (3.3+: awaiting input; 3.1/3.2: deferred), or, when this
    try already asked, a retryable error naming the batches: the next try asks.
    """
    ti = _task_instance(context)
    ti_id = ti.id
    progress = store.load()
    if progress.asked and progress.asked.get("ti") == str(ti_id):
        raise AirflowException(
            f"{error} This try already put its one question; the next try asks about "
            f"{error.reference} (Airflow keeps one Human-in-the-loop request per try)."
        ) from error
    batch: InDoubtBatch = error.batches[0]
    progress.asked = {"reference": batch.reference, "ti": str(ti_id)}
    store.save(progress)
    subject, body = question(error.platform, error, timeout)
    from airflow.sdk.execution_time.hitl import upsert_hitl_detail

    upsert_hitl_detail(
        ti_id=ti_id,
        options=list(OPTIONS),
        subject=subject,
        body=body,
        defaults=[DEFAULT_OPTION],
        multiple=False,
        params={},
    )
    operator.log.warning(
        "Asked a person about %s batch %s through Required Actions (answer within %s, else fail)",
        error.platform,
        batch.reference,
        _duration(timeout),
    )
    if AIRFLOW_V_3_3_PLUS:
        from airflow.sdk.exceptions import TaskAwaitingInput

        raise TaskAwaitingInput(method_name=RESUME_METHOD, timeout=timeout)
    from airflow.providers.standard.triggers.hitl import HITLTrigger
    from airflow.sdk.timezone import utcnow

    operator.defer(
        trigger=HITLTrigger(
            ti_id=ti_id,
            options=list(OPTIONS),
            defaults=[DEFAULT_OPTION],
            params={},
            multiple=False,
            timeout_datetime=utcnow() + timeout,
        ),
        method_name=RESUME_METHOD,
    )
    raise AssertionError("defer() returned")  # pragma: no cover - defer always raises


def record_answer(store: ProgressStore, event: Any) -> tuple[str, str, str]:
    """Record the person's answer against the batch asked about: ``(reference, decision, by)``.

    ``fail`` (chosen, or the timeout's default) fails the task at once and is not
    recorded, so a later try asks again.
    """
    progress = store.load()
    asked = progress.asked or {}
    reference = asked.get("reference")
    if not reference or asked.get("answered"):
        raise AirflowFailException("resumed after a Human-in-the-loop answer, but no question is on record")
    event = event if isinstance(event, dict) else {}
    if "error" in event:
        raise AirflowFailException(f"batch {reference} stays in doubt: {event.get('error')}")
    chosen = list(event.get("chosen_options") or [DEFAULT_OPTION])
    decision = chosen[0] if len(chosen) == 1 and chosen[0] in OPTIONS else DEFAULT_OPTION
    by = _responder(event)
    # kept, marked answered: the try that asked must not put a second question (see ask)
    progress.asked = {**asked, "answered": decision}
    if decision == "fail":
        store.save(progress)
        raise AirflowFailException(f"batch {reference} is in doubt and {by} chose fail: nothing was re-sent.")
    at = event.get("responded_at")
    progress.decide(reference, decision, by=by, at=at.isoformat() if hasattr(at, "isoformat") else str(at))
    store.save(progress)
    return reference, decision, by


def _duration(timeout: dt.timedelta) -> str:
    seconds = int(timeout.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _responder(event: dict[str, Any]) -> str:
    if event.get("timedout"):
        return "the response timeout"
    user = event.get("responded_by_user") or {}
    name = user.get("name") if isinstance(user, dict) else None
    return f"{name} (Required Actions)" if name else "a person (Required Actions)"


def _task_instance(context: Any) -> Any:
    return context.get("task_instance") or context.get("ti")


class InDoubtQuestions:
    """What an operator that sends campaign batches mixes in: the one wiring of a campaign.

    The operator stores ``in_doubt``, ``in_doubt_decisions``, ``in_doubt_response_timeout``
    and ``settle_delay`` (its constructor arguments, unchanged) and calls
    :meth:`run_campaign`; a person's answer resumes it in :meth:`resume_after_decision`.
    """

    in_doubt: str
    in_doubt_decisions: Any
    in_doubt_response_timeout: Any
    settle_delay: Any
    source_changed: str = "fail"

    def check_in_doubt_settings(self) -> dt.timedelta:
        """Everything about batches in doubt checked before the first request; the response timeout."""
        check_in_doubt(self.in_doubt)
        check_decisions(self.in_doubt_decisions)
        if self.settle_delay is not None:
            check_seconds("settle_delay", self.settle_delay)
        return check_response_timeout(self.in_doubt_response_timeout)

    def run_campaign(
        self,
        context: Any,
        sender: Sender,
        batches: Iterable[Batch],
        *,
        store: ProgressStore | None = None,
        writer: ResultsWriter | None = None,
        source_parameter: str = "recipients",
        total: int | None = None,
        hold: Callable[[Batch], bool] | None = None,
    ) -> tuple[CampaignSummary, int]:
        """Run the batches exactly once across tries: ``(summary, results lines written)``;
        ``total``: the recipients they hold, for the progress lines in the log; ``hold``: see
        :class:`.Campaign` (a run that held batches is not finished, so its record is not sealed).

        A batch in doubt with no decision becomes a question to a person (``in_doubt="ask"``,
        inside Airflow's task runner) or fails the task naming every such batch. A finished
        campaign's record is sealed, so clearing the task never sends it again.
        """
        timeout = self.check_in_doubt_settings()
        store = store if store is not None else progress_store_for(context)
        writer = writer if writer is not None else ResultsWriter(None)
        campaign = Campaign(
            sender,
            store,
            writer,
            decisions=self.in_doubt_decisions,
            settle_delay=self.settle_delay,
            max_concurrency=int(getattr(getattr(sender, "hook", None), "max_concurrency", 1)),
            source_changed=self.source_changed,
            source_parameter=source_parameter,
            total=total,
            hold=hold,
        )
        # done batches before this try: the results file is an earlier try's, never to be truncated
        resumed = campaign.progress.batches_done() > 0
        try:
            summary = campaign.run(batches)
        except BatchInDoubtError as exc:
            # what the batches done so far wrote stays in the file, whatever comes next
            writer.finish(keep_earlier=resumed)
            if exc.decided_by is None and self.in_doubt == "ask" and can_ask(context):
                ask(self, context, exc, store, timeout=timeout)
            raise
        lines = writer.finish(keep_earlier=resumed)
        if not summary.held_batches:
            store.seal(campaign.progress)
        return summary, lines

    def resume_after_decision(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Resume after a person answered the question about a batch in doubt: record it, go on."""
        reference, decision, by = record_answer(self.progress_store(context), event)
        log = getattr(self, "log", None)
        if log is not None:
            log.warning("Batch %s: %s decided %r; going on", reference, by, decision)
        return self.execute(context)  # type: ignore[attr-defined]

    def progress_store(self, context: Any) -> ProgressStore:
        """Where this operator's campaign progress is kept (an operator with several keeps its own)."""
        return progress_store_for(context)
