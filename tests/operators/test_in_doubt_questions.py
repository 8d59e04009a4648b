"""A batch in doubt goes to a person as a Human-in-the-loop Required Action, one batch per try;
a finished send is never sent again by a clear, even once its task state is gone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, TaskDeferred

from airflow_provider_nxcloud.campaign.progress import STORE_KEY, Progress
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import BatchInDoubtError, InvalidInputError
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.version_compat import AIRFLOW_V_3_3_PLUS, HAS_TASK_STATE_STORE
from tests.operators.conftest import TaskRun, numbers

if AIRFLOW_V_3_3_PLUS:
    from airflow.sdk.exceptions import TaskAwaitingInput

    PARKED: tuple[type[BaseException], ...] = (TaskAwaitingInput,)
else:
    PARKED = (TaskDeferred,)

RECIPIENTS = numbers(2500)  # Buka SMS: batches of 1,000, 1,000 and 500


def operator(**kwargs: Any) -> BukaSendSmsOperator:
    kwargs.setdefault("text", "Flash sale starts at noon")
    kwargs.setdefault("settle_delay", 0.2)
    return BukaSendSmsOperator(task_id="send", recipients=RECIPIENTS, **kwargs)


def sent(sim: Any) -> Counter[str]:
    return Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))


@pytest.fixture(autouse=True)
def records_lag(nxcloud_simulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the question to a person: Buka's sent-SMS list lags an hour, so
    the lookup that would settle a lost answer by itself cannot see the batch yet."""
    accounts = nxcloud_simulator.state.accounts
    lagging = dataclasses.replace(accounts, buka=dataclasses.replace(accounts.buka, sent_records_lag_s=3600))
    monkeypatch.setattr(nxcloud_simulator.state, "accounts", lagging)


class Supervisor:
    """Airflow's task-supervisor channel, as the task runner gives a task: keeps what the task sends."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def send(self, msg: Any) -> None:
        self.messages.append(msg)

    @property
    def questions(self) -> list[Any]:
        return [m for m in self.messages if type(m).__name__ == "CreateHITLDetailPayload"]


@pytest.fixture
def supervisor(monkeypatch: pytest.MonkeyPatch) -> Supervisor:
    from airflow.sdk.execution_time import task_runner

    channel = Supervisor()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", channel, raising=False)
    return channel


def in_task_runner(run: TaskRun, *, retry: bool = False) -> dict[str, Any]:
    """The next try's context: a try of its own id, as Airflow gives every try."""
    context = run.retry() if retry else run.context()
    run.ti.id = uuid.uuid4()
    return {**context, "task_instance": run.ti}


def answer(option: str, name: str = "Mei (ops)") -> dict[str, Any]:
    """The event Airflow resumes the task with once a person answered in Required Actions."""
    return {
        "chosen_options": [option],
        "params_input": {},
        "responded_at": dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC),
        "responded_by_user": {"id": "7", "name": name},
        "timedout": False,
    }


def progress(run: TaskRun) -> Progress:
    return Progress.from_json(run.store.values[STORE_KEY])


@pytest.mark.parametrize("mode", ["skip", "resend"])
def test_blanket_in_doubt_policies_are_refused_before_any_request(nxcloud_simulator, task_run, mode):
    with pytest.raises(AirflowFailException, match=r"in_doubt: '(skip|resend)'") as failed:
        operator(in_doubt=mode).execute(task_run.context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert "decide per batch" in str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


def test_a_batch_in_doubt_is_asked_about_with_its_evidence_and_a_skip_settles_it(
    nxcloud_simulator, supervisor, tmp_path
):
    run = TaskRun()
    results = tmp_path / "results.jsonl"
    # the vendor processes batch 1 and the connection drops before its answer
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    op = operator(results_path=str(results), in_doubt_response_timeout=600)
    context = in_task_runner(run)
    with pytest.raises(PARKED) as parked:
        op.execute(context)
    assert getattr(parked.value, "method_name", "resume_after_decision") == "resume_after_decision"
    assert sent(nxcloud_simulator) == Counter(RECIPIENTS[:2000])  # batch 2 not sent while 1 is in doubt

    (question,) = supervisor.questions
    reference = progress(run).asked["reference"]
    assert progress(run).asked["ti"] == str(run.ti.id)
    assert reference in question.subject
    assert question.options == ["skip", "resend", "fail"] and question.defaults == ["fail"]
    assert question.multiple is False
    assert f"Batch reference: `{reference}`" in question.body
    assert f"first `{RECIPIENTS[1000]}`, last `{RECIPIENTS[1999]}`" in question.body
    assert "Recipients: 1000 (positions 1001-2000)" in question.body
    assert "Sent at: 20" in question.body  # the time its request was written
    assert progress(run).in_flight == [1]

    # the person finds batch 1 in the vendor's console and answers "skip"
    summary = op.resume_after_decision(context, answer("skip"))

    assert sent(nxcloud_simulator) == Counter(RECIPIENTS)
    assert nxcloud_simulator.ledger.duplicates() == {}
    assert summary["skipped_batches"] == [1]
    record = progress(run)
    assert record.decisions[reference]["decision"] == "skip"
    assert record.decisions[reference]["by"] == "Mei (ops) (Required Actions)"
    assert record.asked == {"reference": reference, "ti": str(run.ti.id), "answered": "skip"}
    statuses = Counter(line["status"] for line in read_results(str(results)))
    assert statuses == {"accepted": 1500, "skipped": 1000}


def test_a_resend_whose_answer_is_lost_again_is_asked_about_on_the_next_try(nxcloud_simulator, supervisor):
    run = TaskRun()
    # batch 1's first send was never processed; neither is its resend
    nxcloud_simulator.faults.set(at={2: "reset_before"})
    op = operator()
    context = in_task_runner(run)
    with pytest.raises(PARKED):
        op.execute(context)
    nxcloud_simulator.faults.next("reset_before", endpoint="sms_send", platform="buka")
    # a try puts one question: a second batch in doubt in the same try fails it, retryably
    with pytest.raises(AirflowException) as again:
        op.resume_after_decision(context, answer("resend"))
    assert not isinstance(again.value, AirflowFailException)
    assert isinstance(again.value.__cause__, BatchInDoubtError)
    assert "the next try asks" in str(again.value)
    assert len(supervisor.questions) == 1
    assert progress(run).resent == [progress(run).asked["reference"]]

    # the next try (a new try id) asks about it; the person says resend once more
    context = in_task_runner(run, retry=True)
    with pytest.raises(PARKED):
        op.execute(context)
    assert len(supervisor.questions) == 2
    summary = op.resume_after_decision(context, answer("resend"))
    assert summary["accepted"] == 2500
    assert sent(nxcloud_simulator) == Counter(RECIPIENTS)
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 5  # 0, 1 three times, 2


@pytest.mark.parametrize(
    "event", [answer("fail"), {**answer("fail"), "timedout": True, "responded_by_user": None}]
)
def test_fail_or_no_answer_fails_the_task_and_is_not_remembered(nxcloud_simulator, supervisor, event):
    run = TaskRun()
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    op = operator()
    context = in_task_runner(run)
    with pytest.raises(PARKED):
        op.execute(context)
    with pytest.raises(AirflowFailException, match="chose fail: nothing was re-sent"):
        op.resume_after_decision(context, event)
    assert progress(run).decisions == {}
    assert sent(nxcloud_simulator) == Counter(RECIPIENTS[:2000])
    # cleared later, the task asks again rather than replaying the "fail"
    with pytest.raises(PARKED):
        op.execute(in_task_runner(run, retry=True))


def test_in_doubt_fail_fails_naming_the_batch_without_asking(nxcloud_simulator, supervisor, task_run):
    nxcloud_simulator.faults.set(at={2: "reset_after"})
    with pytest.raises(AirflowFailException, match="batch 1") as failed:
        operator(in_doubt="fail").execute({**task_run.context(), "task_instance": task_run.ti})
    assert isinstance(failed.value.__cause__, BatchInDoubtError)
    assert supervisor.questions == []


def test_a_finished_send_is_not_sent_again_after_its_task_state_is_cleared_on_success(
    nxcloud_simulator, task_run, tmp_path
):
    results = tmp_path / "results.jsonl"
    first = operator(results_path=str(results)).execute(task_run.context())
    written = results.read_bytes()
    assert first["accepted"] == 2500
    # [state_store] clear_on_success=True: Airflow drops the task's state when it succeeds
    task_run.store.values.clear()

    again = operator(results_path=str(results)).execute(task_run.retry())

    assert nxcloud_simulator.requests.count("buka", "sms_send") == 3  # nothing sent again
    assert sent(nxcloud_simulator) == Counter(RECIPIENTS)
    assert again["resumed_batches"] == 3 and again["accepted"] == 2500
    assert results.read_bytes() == written  # the evidence is neither truncated nor rewritten


@pytest.mark.skipif(not HAS_TASK_STATE_STORE, reason="retention is Airflow 3.3's task_state_store's")
def test_progress_is_kept_without_expiry(nxcloud_simulator, task_run):
    from airflow.sdk.execution_time.context import NEVER_EXPIRE

    operator().execute(task_run.context())
    assert task_run.store.retentions[STORE_KEY] is NEVER_EXPIRE
