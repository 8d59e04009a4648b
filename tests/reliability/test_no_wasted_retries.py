"""No wasted retries: every catalog code of every platform and service, met by a real Airflow task.

For each (platform, service) code catalog one task a DAG would run calls an endpoint of that
service against the simulator, which answers the code under test once
(``sim.faults.next_code``), in the platform's own envelope for that service. The task runs as
the tries of one task instance would (:class:`TaskRun`: same key, try number going up):

* ``fail`` codes end the first try with :class:`AirflowFailException` (Airflow burns no retry),
  naming the platform, the service, the code and the vendor's meaning, after exactly one
  request for that code (no in-hook retry) and with nothing accepted;
* ``retry`` codes either end the first try with an error Airflow retries, after which the next
  try succeeds, or are absorbed by the hook's own retry when repeating is provably safe (a
  read, or a send the vendor refused: rate limits, concurrency, HTTP 429). A send whose
  answer is lost with any 5xx (503 included: a gateway may answer it after forwarding) is never
  repeated blindly: the task looks it up first. Either way the work is accepted exactly once;
* ``resign`` codes (timestamp outside the vendor's window) are signed again once by the hook,
  and the same try succeeds.

Backoff waits are recorded, not slept (the hook's ``sleep``), so HTTP 429/503's
``Retry-After: 1`` costs nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    CreateInDoubtError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.buka_ai_voice import NAME_EXISTS_CODES
from airflow_provider_nxcloud.operators.buka import (
    BukaSendEmailOperator,
    BukaSendSmsOperator,
    BukaSendVoiceOperator,
)
from airflow_provider_nxcloud.operators.buka_ai_voice import BukaCreateAiVoiceTaskOperator
from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaCreateVoiceTaskOperator
from airflow_provider_nxcloud.operators.fonedynamics import FoneDynamicsSendSmsOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator, NXCloudSendVoiceOperator
from airflow_provider_nxcloud.operators.nxcloud_chat import (
    NXCloudSendViberOperator,
    NXCloudSendWhatsAppOperator,
    NXCloudSendZaloOperator,
)
from airflow_provider_nxcloud.operators.nxcloud_number_check import NXCloudNumberCheckOperator
from airflow_provider_nxcloud.operators.nxcloud_pns import NXCloudBindNumberOperator
from airflow_provider_nxcloud.outcome import airflow_outcome
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.platforms.catalogs import catalog, services
from airflow_provider_nxcloud.platforms.codes import CodeInfo, Disposition, Reason
from airflow_provider_nxcloud.platforms.endpoints import Endpoint, Kind
from airflow_provider_nxcloud.sensors.delivery import NXCloudSmsDeliverySensor, NXCloudVoiceCallSensor
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.buka import DEFAULT_EMAIL_SENDER
from tests.operators.conftest import TaskRun

# request counts below assume one record day: see tests/conftest.py
pytestmark = pytest.mark.usefixtures("one_record_day")

NUMBER = "6591234567"
OTHER_NUMBER = "6591234568"
ENDPOINTS: dict[str, dict[str, Endpoint]] = {
    "buka": buka.ENDPOINTS,
    "nxcloud": nxcloud.ENDPOINTS,
    "fonedynamics": fonedynamics.ENDPOINTS,
}

#: one try of a task: ``context`` -> its XCom value (or an exception)
Try = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Task:
    """The task that meets the codes of one (platform, service) catalog."""

    #: the endpoint of that service the task calls, where the code is answered
    endpoint: str
    #: ``(simulator, tmp_path)`` -> one try of the task; may send what a read waits for first
    build: Callable[[Any, Path], Try]
    #: what the vendor accepts when the task succeeds (ledger kind); None: a read, nothing accepted
    ledger_kind: str | None
    #: fail codes that say the task's unique key exists: the task looks again rather than fail
    looks_again: frozenset[str] = field(default_factory=frozenset)
    #: a lost answer no lookup can settle fails the task naming the batch, and a person's
    #: "resend" decision on that batch (this builder, given its reference) sends it once;
    #: None: not such a task
    person_resends: Callable[[str], Callable[[Any, Path], Try]] | None = None


def _execute(make: Callable[[], Any]) -> Callable[[Any, Path], Try]:
    """A task that is one operator; each try builds it again, as Airflow does."""

    def build(sim: Any, tmp_path: Path) -> Try:
        return lambda context: make().execute(context)

    return build


def _call_center_records(sim: Any, tmp_path: Path) -> Try:
    """No shipped operator uses Buka's call center: a user's TaskFlow ``@task`` calls the hook
    inside the provider's :func:`airflow_outcome`, so vendor errors end the task the same way."""

    def records(context: dict[str, Any]) -> dict[str, Any]:
        with airflow_outcome():
            now = dt.datetime.now(dt.UTC)
            records = BukaHook().get_call_records(now - dt.timedelta(days=1), now)
        return {"records": len(records)}

    return records


def _nxcloud_sms_reports(sim: Any, tmp_path: Path) -> Try:
    """Two numbers sent in one request share its messageid: the sensor reads the day's records."""
    results = tmp_path / "sms.jsonl"
    sent = NXCloudSendSmsOperator(
        task_id="send", text="Your code is 4711", recipients=[NUMBER, OTHER_NUMBER], results_path=str(results)
    ).execute(TaskRun(task_id="send").context())
    assert sent["accepted"] == 2
    sim.clock.advance(5)  # the reports are final: the sensor's first poke is its last
    return lambda context: NXCloudSmsDeliverySensor(
        task_id="wait", results_path=str(results), poke_interval=0.01, timeout=10
    ).execute(context)


def _nxcloud_call_records(sim: Any, tmp_path: Path) -> Try:
    results = tmp_path / "calls.jsonl"
    NXCloudSendVoiceOperator(
        task_id="call",
        text="Your code is 4711",
        language="en",
        display_number="6561234567",
        recipients=[NUMBER],
        results_path=str(results),
    ).execute(TaskRun(task_id="call").context())
    sim.clock.advance(5)
    return lambda context: NXCloudVoiceCallSensor(
        task_id="wait", results_path=str(results), poke_interval=0.01, timeout=10
    ).execute(context)


NXCLOUD_SMS = Task(
    "sms_send_v2",
    _execute(lambda: NXCloudSendSmsOperator(task_id="send", text="Your code is 4711", recipients=[NUMBER])),
    "sms",
)
NXCLOUD_BIND = Task(
    "pns_bindAXB",
    _execute(
        lambda: NXCloudBindNumberOperator(
            task_id="bind", phone_a=NUMBER, phone_b=OTHER_NUMBER, expire_seconds=3600
        )
    ),
    "binding",
)

#: (platform, service) -> the task that meets its codes
TASKS: dict[tuple[str, str], Task] = {
    ("buka", "sms"): Task(
        "sms_send",
        _execute(lambda: BukaSendSmsOperator(task_id="send", text="Your code is 4711", recipients=[NUMBER])),
        "sms",
    ),
    ("buka", "voice"): Task(
        "voice_send_code",
        _execute(
            lambda: BukaSendVoiceOperator(
                task_id="call", text="Your code is 4711", language="EN", recipients=[NUMBER]
            )
        ),
        "voice",
    ),
    ("buka", "ai_voice"): Task(
        "ai_task_add",
        _execute(
            lambda: BukaCreateAiVoiceTaskOperator(
                task_id="create", name="renewals", dialog_flow_id=7, robot_count=2, line_id=3
            )
        ),
        "ai_voice_task",
        # "task name already exists": the name is the task instance's key, so an earlier try's
        # create whose reply was lost may have made it; the task looks it up instead of failing
        looks_again=NAME_EXISTS_CODES,
    ),
    ("buka", "call_center"): Task("cc_record_query", _call_center_records, None),
    ("buka", "email"): Task(
        "email_send",
        _execute(
            lambda: BukaSendEmailOperator(
                task_id="email",
                recipients=["customer@example.com"],
                subject="Your parcel",
                template_id=1001,
                from_address=DEFAULT_EMAIL_SENDER,
            )
        ),
        "email",
    ),
    # HTTP statuses come from the gateway in front of any endpoint; a create with a unique
    # name shows all three outcomes: refused (in-hook retry), failed, answer lost (looked up)
    ("buka", "http"): Task(
        "voice_task_create",
        _execute(
            lambda: BukaCreateVoiceTaskOperator(
                task_id="create_voice_task", numbers=[NUMBER], task_name="spring", text="Hello", language="EN"
            )
        ),
        "voice_task",
    ),
    ("fonedynamics", "rest"): Task(
        "send_batch",
        _execute(
            lambda: FoneDynamicsSendSmsOperator(
                task_id="send", text="Your code is 4711", recipients=[f"+{NUMBER}"], settle_delay=0
            )
        ),
        "sms",
        # the message list can prove a batch present, never absent (it may lag): a batch the
        # vendor did not take is in doubt until a person decides "resend" for that batch
        person_resends=lambda reference: _execute(
            lambda: FoneDynamicsSendSmsOperator(
                task_id="send",
                text="Your code is 4711",
                recipients=[f"+{NUMBER}"],
                settle_delay=0,
                in_doubt_decisions={reference: "resend"},
            )
        ),
    ),
    # 1001-1005 come before any product code on every signed endpoint
    ("nxcloud", "common"): NXCLOUD_SMS,
    ("nxcloud", "sms"): NXCLOUD_SMS,
    ("nxcloud", "http"): NXCLOUD_BIND,
    ("nxcloud", "pns"): NXCLOUD_BIND,
    ("nxcloud", "number_check"): Task(
        "number_check_submit",
        _execute(lambda: NXCloudNumberCheckOperator(task_id="check", numbers=[NUMBER])),
        "number_check",
    ),
    ("nxcloud", "sms_report"): Task("sms_records", _nxcloud_sms_reports, None),
    ("nxcloud", "voice"): Task(
        "voice_notify",
        _execute(
            lambda: NXCloudSendVoiceOperator(
                task_id="call",
                text="Your code is 4711",
                language="en",
                display_number="6561234567",
                recipients=[NUMBER],
            )
        ),
        "voice",
    ),
    ("nxcloud", "voice_report"): Task("voice_records", _nxcloud_call_records, None),
    ("nxcloud", "whatsapp"): Task(
        "whatsapp_send",
        _execute(
            lambda: NXCloudSendWhatsAppOperator(
                task_id="send",
                business_phone=accounts.NXCLOUD_WHATSAPP_BUSINESS_PHONE,
                text="Your order shipped",
                recipients=[NUMBER],
            )
        ),
        "whatsapp",
    ),
    ("nxcloud", "viber"): Task(
        "viber_send",
        _execute(
            lambda: NXCloudSendViberOperator(
                task_id="send",
                function_type="text",
                rate_type="Transactional",
                text="Your code is 4711",
                recipients=[NUMBER],
            )
        ),
        "viber",
    ),
    ("nxcloud", "zalo"): Task(
        "zalo_send",
        _execute(
            lambda: NXCloudSendZaloOperator(
                task_id="send",
                template_id="231235",
                template_data={"customer_name": "Lan", "order_code": "A1"},
                recipients=["84910000001"],
            )
        ),
        "zalo",
    ),
}


# ----- what each code must do ------------------------------------------------------------------

FAIL, LOOKS_AGAIN, RESIGN, IN_HOOK, TASK_RETRY, LOST_ANSWER = (
    "fail",
    "looks_again",
    "resign",
    "in_hook",
    "task_retry",
    "lost_answer",
)


def expected_path(task: Task, info: CodeInfo) -> str:
    """What the task must do with ``info``, from the catalog row and whether the endpoint sends."""
    endpoint = ENDPOINTS[info.platform][task.endpoint]
    if info.disposition is Disposition.FAIL:
        return LOOKS_AGAIN if info.code in task.looks_again else FAIL
    if info.disposition is Disposition.RESIGN:
        return RESIGN
    if endpoint.kind is Kind.READ or info.refused:
        return IN_HOOK
    return LOST_ANSWER if info.maybe_processed else TASK_RETRY


@dataclass(frozen=True)
class Case:
    info: CodeInfo
    task: Task

    @property
    def path(self) -> str:
        return expected_path(self.task, self.info)

    @property
    def id(self) -> str:
        return f"{self.info.platform}-{self.info.service}-{self.info.code}"


def all_cases() -> Iterator[Case]:
    for platform, service in services():
        task = TASKS[(platform, service)]
        for info in catalog(platform, service).codes.values():
            yield Case(info, task)


CASES = list(all_cases())


def cases(*dispositions: Disposition) -> Any:
    chosen = [case for case in CASES if case.info.disposition in dispositions]
    return pytest.mark.parametrize("case", chosen, ids=[case.id for case in chosen])


# ----- the running task ------------------------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The hooks' backoff waits, recorded instead of slept."""
    waits: list[float] = []
    original = CPaaSHook.__init__

    def init(self: CPaaSHook, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", waits.append)
        original(self, *args, **kwargs)

    monkeypatch.setattr(CPaaSHook, "__init__", init)
    return waits


@pytest.fixture
def sim(nxcloud_simulator: Any) -> Any:
    nxcloud_simulator.clock.set_time_scale(0)  # only advance() moves delivery on
    return nxcloud_simulator


class Run:
    """One task instance meeting one code: its tries, and what the simulator saw."""

    def __init__(self, sim: Any, case: Case, tmp_path: Path) -> None:
        self.sim = sim
        self.case = case
        self.info = case.info
        self.tmp_path = tmp_path
        self.try_once = case.task.build(sim, tmp_path)
        self.task_run = TaskRun(dag_id="no_wasted_retries", task_id=case.task.endpoint)
        self.ledger_before = sim.ledger.count()
        self.tries = 0
        sim.faults.next_code(self.info.code, endpoint=case.task.endpoint, platform=self.info.platform)

    def attempt(self, build: Callable[[Any, Path], Try] | None = None) -> Any:
        """One try; ``build``: a person's re-run with other arguments instead of the task's own."""
        self.tries += 1
        context = self.task_run.context() if self.tries == 1 else self.task_run.retry()
        try_once = build(self.sim, self.tmp_path) if build is not None else self.try_once
        return try_once(context)

    def fails(self, expected: type[BaseException]) -> BaseException:
        with pytest.raises(expected) as raised:
            self.attempt()
        return raised.value

    @property
    def requests(self) -> int:
        """Requests to the endpoint that answered the code."""
        return self.sim.requests.count(self.info.platform, self.case.task.endpoint)

    def accepted(self) -> int:
        kind = self.case.task.ledger_kind
        if kind is None:
            return self.sim.ledger.count() - self.ledger_before
        return len(self.sim.ledger.entries(platform=self.info.platform, kind=kind))

    def assert_done_once(self, result: Any) -> None:
        json.dumps(result)  # a plain JSON XCom
        assert self.sim.faults.counts() == {"vendor_code": 1}
        assert self.sim.ledger.duplicates() == {}
        if self.case.task.ledger_kind is None:
            assert self.accepted() == 0  # a read accepts nothing
            if "delivered" in result:
                assert result["delivered"] == result["total"] > 0
        else:
            assert self.accepted() == 1


def assert_names_the_code(error: BaseException, info: CodeInfo) -> None:
    text = str(error)
    assert f"{info.platform}/{info.service}" in text
    assert f"code {info.code}" in text
    assert info.meaning in text


@pytest.fixture
def run(sim: Any, sleeps: list[float], tmp_path: Path) -> Callable[[Case], Run]:
    return lambda case: Run(sim, case, tmp_path)


# ----- the tests ---------------------------------------------------------------------------------


def test_every_catalog_has_a_task_that_meets_its_codes():
    assert set(TASKS) == set(services())
    for (platform, service), task in TASKS.items():
        endpoint = ENDPOINTS[platform][task.endpoint]
        # the task's endpoint answers the service's codes (NXCloud "common": every signed endpoint)
        assert endpoint.service == service or (service, platform) in {
            ("common", "nxcloud"),
            ("http", platform),
        }
    assert len(CASES) == sum(len(catalog(p, s).codes) for p, s in services())


@cases(Disposition.FAIL)
def test_a_fail_code_fails_the_first_try_with_one_request(run, sleeps, case):
    attempt = run(case)
    info = attempt.info
    if case.path == LOOKS_AGAIN:
        # the key may exist from an earlier try: a retry looks it up and creates it only if absent
        error = attempt.fails(CreateInDoubtError)
        assert isinstance(error.__cause__, PermanentAPIError) and error.__cause__.code == info.code
        assert (attempt.requests, attempt.accepted()) == (1, 0)
        attempt.assert_done_once(attempt.attempt())
        assert attempt.requests == 2
        return

    failed = attempt.fails(AirflowFailException)

    cause = failed.__cause__
    assert isinstance(cause, PermanentAPIError), failed
    assert (cause.platform, cause.service, cause.code) == (info.platform, info.service, info.code)
    assert cause.disposition is Disposition.FAIL and cause.in_catalog
    assert_names_the_code(failed, info)
    assert attempt.requests == 1  # no in-hook retry
    assert sleeps == []
    assert attempt.accepted() == 0
    assert attempt.sim.faults.counts() == {"vendor_code": 1}


@cases(Disposition.RETRY)
def test_a_retry_code_is_retried_and_the_work_is_accepted_once(run, sleeps, case):
    attempt = run(case)
    info = attempt.info
    path = case.path

    if path == IN_HOOK:
        # a read, or a send the vendor provably refused: the hook repeats it after a backoff
        result = attempt.attempt()
        assert attempt.requests == 2
        assert len(sleeps) == 1 and sleeps[0] > 0
        if info.code in ("429", "503"):
            assert sleeps[0] >= 1  # the vendor's Retry-After
    elif path == LOST_ANSWER and case.task.person_resends is not None:
        # nothing proves the batch absent: the task fails naming it, nothing is sent again,
        # no retry is burned; the person's "resend" decision on that batch sends it once
        failed = attempt.fails(AirflowFailException)
        assert isinstance(failed.__cause__, BatchInDoubtError), failed
        assert (attempt.requests, attempt.accepted(), sleeps) == (1, 0, [])
        result = attempt.attempt(case.task.person_resends(failed.__cause__.reference))
        assert attempt.requests == 2
    else:
        expected: type[BaseException] = CreateInDoubtError if path == LOST_ANSWER else RetryableAPIError
        error = attempt.fails(expected)
        assert not isinstance(error, AirflowFailException)
        vendor_error = error if isinstance(error, VendorAPIError) else error.__cause__
        assert isinstance(vendor_error, VendorAPIError) and vendor_error.code == info.code
        if path == LOST_ANSWER:
            assert isinstance(vendor_error, AmbiguousSendError)  # never re-sent blindly
        else:
            assert not vendor_error.retry_in_hook  # a send that may be repeated only by the task
            assert_names_the_code(error, info)
        assert (attempt.requests, attempt.accepted(), sleeps) == (1, 0, [])
        result = attempt.attempt()  # Airflow's retry, the fault cleared
        assert attempt.requests == 2

    attempt.assert_done_once(result)


@cases(Disposition.RESIGN)
def test_a_resign_code_is_signed_again_once_and_succeeds(run, sleeps, case):
    attempt = run(case)

    result = attempt.attempt()

    assert attempt.requests == 2  # the rejected request and the re-signed one
    assert sleeps == []
    attempt.assert_done_once(result)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            Case(CodeInfo("buka", "sms", "-99", "", Reason.INVALID_INPUT), TASKS[("buka", "sms")]), id="buka"
        ),
        pytest.param(
            Case(CodeInfo("nxcloud", "sms", "777", "", Reason.INVALID_INPUT), TASKS[("nxcloud", "sms")]),
            id="nxcloud",
        ),
    ],
)
def test_a_code_no_catalog_knows_fails_at_once_saying_so(run, sleeps, case):
    """Retrying a code nobody classified could burn retries or repeat a send: it fails, named."""
    attempt = run(case)

    failed = attempt.fails(AirflowFailException)

    assert f"code {case.info.code}" in str(failed)
    assert f"not in the provider's {case.info.platform}/sms code catalog" in str(failed)
    assert (attempt.requests, attempt.accepted(), sleeps) == (1, 0, [])
