"""The person who answers the send task's Human-in-the-loop question, over Airflow's public REST API.

A person sees only what a person would see: the question (subject and body of the HITL
detail: the batch reference, how many recipients, the first and last number, when it was
sent), the campaign's own recipient list and text, and the vendor's console (the simulator's
record list, which lags). They never read the provider's progress record, never run part of
the list again, and answer through the same REST route the UI uses:

    PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails
    {"chosen_options": ["skip"], "params_input": {}}

"skip" when every recipient of the batch is in the vendor's record list with the campaign's
text since the send time (the vendor has it: do not send again), "resend" when none is
(the vendor does not have it: send once more), "fail" when only some are (nothing a person
can safely decide from the console).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.reliability.runtime.stack import Stack

REFERENCE = re.compile(r"Batch reference: `([^`]+)`")
#: "first `6590000001`, last `6590001000`" (the send task's body), or the bare numbers
FIRST_LAST = re.compile(r"first\W*(\+?\d{6,15})\W+last\W*(\+?\d{6,15})", re.IGNORECASE)
#: "Recipients: 1000 (positions ...)" or "1000 recipients"
COUNT = re.compile(r"Recipients:\s*(\d[\d,]*)|\b(\d[\d,]*)\s+recipients?\b", re.IGNORECASE)
SENT_AT = re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")
#: seconds of slack before the send time (the task notes the time just before its request)
SINCE_SLACK_S = 5.0
#: a person reads the question before answering. Also needed on Airflow 3.3.2: the executor's
#: "success" event of the workload that paused in awaiting_input reaches the scheduler up to ~6 s
#: after the pause; an answer before it lets the scheduler re-queue the task instance first, and
#: the late event then makes it say "executor reported success, but the state is queued" and mark
#: the try failed (up_for_retry): the answer is lost and a retry spent (seen on this runtime, with
#: HITLOperator and with the send task alike)
READING_S = 10.0
#: how long after the send a person looks at the console: longer than a request the vendor still
#: processes after its client timed out (the late_processing window holds one 6 s)
CONSOLE_SETTLE_S = 10.0


@dataclass
class Question:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    #: each try puts its own question (the same subject): the person reads each one
    try_number: int
    subject: str
    body: str
    options: list[str]

    @property
    def reference(self) -> str | None:
        found = REFERENCE.search(self.body) or REFERENCE.search(self.subject)
        return found.group(1) if found else None


@dataclass
class Decision:
    dag_id: str
    reference: str | None
    chosen: str
    why: str
    at: float = field(default_factory=time.time)


def parse_sent_at(text: str) -> float | None:
    found = SENT_AT.search(text)
    if not found:
        return None
    value = found.group(1).replace(" ", "T").replace("Z", "+00:00")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the body says UTC
    return parsed.timestamp()


class Person:
    """Polls for pending questions and answers them from the vendor's console."""

    def __init__(
        self,
        stack: Stack,
        *,
        recipients_of: Callable[[str], Path | None],
        platform_of: Callable[[str], str | None],
        text: str,
        lag_s: Callable[[], float],
        poll_s: float = 1.0,
    ) -> None:
        self.stack = stack
        self.recipients_of = recipients_of
        self.platform_of = platform_of
        self.text = text
        self.lag_s = lag_s
        self.poll_s = poll_s
        self.decisions: list[Decision] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []
        #: (dag_id, run_id, task_id, map_index, subject) -> when this person first saw the question
        self._seen: dict[tuple[str, str, str, int, int, str], float] = {}

    def start(self) -> Person:
        self._thread = threading.Thread(target=self._loop, name="person", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def decisions_for(self, dag_id: str) -> Counter[str]:
        return Counter(d.chosen for d in self.decisions if d.dag_id == dag_id)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                for question in self.pending():
                    key = (
                        question.dag_id,
                        question.run_id,
                        question.task_id,
                        question.map_index,
                        question.try_number,
                        question.subject,
                    )
                    first_seen = self._seen.setdefault(key, time.monotonic())
                    if time.monotonic() - first_seen >= READING_S:
                        self.answer(question)
            except Exception as exc:  # keep polling: a transient API error is not the end of the person
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def pending(self) -> list[Question]:
        found = self.stack.api("GET", "/dags/~/dagRuns/~/hitlDetails?response_received=false&limit=100")
        questions = []
        for detail in found.get("hitl_details") or []:
            ti = detail["task_instance"]
            questions.append(
                Question(
                    ti["dag_id"],
                    ti["dag_run_id"],
                    ti["task_id"],
                    int(ti.get("map_index", -1)),
                    int(ti.get("try_number") or 0),
                    detail.get("subject") or "",
                    detail.get("body") or "",
                    list(detail.get("options") or []),
                )
            )
        return questions

    def decide(self, question: Question) -> tuple[str, str]:
        """(option, why), from the question and the vendor's console only."""
        text = f"{question.subject}\n{question.body}"
        platform = self.platform_of(question.dag_id)
        recipients_file = self.recipients_of(question.dag_id)
        if platform is None or recipients_file is None:
            return "fail", "not a campaign this person knows"
        first_last = FIRST_LAST.search(question.body)
        count_match = COUNT.search(question.body)
        sent_at = parse_sent_at(question.body)
        if first_last is None or count_match is None or sent_at is None:
            return "fail", f"the question lacks the count, first/last number or send time: {text!r}"
        count = int((count_match.group(1) or count_match.group(2)).replace(",", ""))
        first, last = first_last.group(1).lstrip("+"), first_last.group(2).lstrip("+")
        # the campaign's list as the person has it: the batch is first..last in it
        listed = [line.strip() for line in recipients_file.read_text(encoding="utf-8").splitlines()]
        try:
            start, end = listed.index(first), listed.index(last)
        except ValueError:
            return "fail", f"{first} or {last} is not in the campaign's list"
        segment = listed[start : end + 1]
        if len(segment) != count:
            return "fail", f"{first}..{last} is {len(segment)} recipients in the list, not {count}"
        # the console shows a message only lag seconds after it was accepted, and a vendor may
        # still be processing a request its client gave up on: look once both have passed
        wait = sent_at + self.lag_s() + CONSOLE_SETTLE_S - time.time()
        if wait > 0:
            time.sleep(wait)
        console = self.stack.console(
            "POST",
            "/records",
            {"platform": platform, "numbers": segment, "text": self.text, "since": sent_at - SINCE_SLACK_S},
        )
        found = {record["recipient"].lstrip("+") for record in console["records"]}
        present = sum(1 for number in segment if number in found)
        if present == len(segment):
            return "skip", f"all {count} listed at the vendor since {sent_at:.0f}"
        if present == 0:
            return "resend", f"none of {count} listed at the vendor since {sent_at:.0f}"
        return "fail", f"{present} of {count} listed: a person cannot settle that"

    def answer(self, question: Question) -> None:
        chosen, why = self.decide(question)
        if chosen not in question.options:
            chosen, why = "fail", f"{why} (and {chosen!r} is not offered)"
        path = (
            f"/dags/{question.dag_id}/dagRuns/{question.run_id}/taskInstances/"
            f"{question.task_id}/{question.map_index}/hitlDetails"
        )
        self.stack.api("PATCH", path, {"chosen_options": [chosen], "params_input": {}})
        self.decisions.append(Decision(question.dag_id, question.reference, chosen, why))


def answered(stack: Stack, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    """The HITL detail of a task instance, as the REST API shows it."""
    return stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails")
