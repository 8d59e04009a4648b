"""NXCloudRetryPolicy decides from the provider's real errors: raised by the hooks against the
simulator (or, for codes the simulator never answers, against requests_mock), never built by hand
where the provider can produce them."""

from __future__ import annotations

import importlib
import json
import socket
import sys
from datetime import datetime, timedelta

import httpx
import pytest
import requests

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    BatchInDoubtError,
    ConnectionConfigError,
    CreateInDoubtError,
    DeliveryWaitError,
    InDoubtBatch,
    InvalidInputError,
    NXCloudProviderError,
    PermanentAPIError,
    RetryableAPIError,
    check_one_of,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.jobs.watch import find_or_create
from airflow_provider_nxcloud.platforms.catalogs import catalog
from airflow_provider_nxcloud.platforms.codes import Disposition, Reason

if not version_compat.HAS_RETRY_POLICY:  # pragma: no cover - the guard itself is tested below
    pytest.skip("retry policies need Airflow 3.3+", allow_module_level=True)

from airflow.providers.common.compat.sdk import AirflowException, RetryAction, RetryPolicy

from airflow_provider_nxcloud.retry_policy import (
    BACKOFF_BY_REASON,
    FALLBACK_BACKOFF,
    RETRY_AFTER_CAP,
    RETRY_POLICY,
    SHORT_BACKOFF,
    NXCloudRetryPolicy,
    causes,
)

NUMBER = "6591234567"


def no_sleep(seconds: float) -> None:
    """In-hook backoff without waiting: the hook's retries still happen, only faster."""


def send_sms(hook: BukaHook, *, app_id: str | None = None, order_id: str = "rp-1") -> dict:
    body = {
        "appId": app_id or hook.app_id("sms"),
        "numbers": NUMBER,
        "content": "Build done",
        "orderId": order_id,
    }
    return hook.call("sms_send", body, client_reference=order_id)


def raised(action) -> BaseException:
    with pytest.raises(NXCloudProviderError) as info:
        action()
    return info.value


def decide(error: BaseException, try_number: int = 1, policy: NXCloudRetryPolicy = RETRY_POLICY):
    return policy.evaluate(error, try_number=try_number, max_tries=3, context=None)


def delay_of(decision) -> float:
    assert decision.action is RetryAction.RETRY, decision
    return decision.retry_delay.total_seconds()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- vendor errors, through the hooks against the simulator ------------------------------------


@pytest.fixture
def buka(nxcloud_simulator) -> BukaHook:
    nxcloud_simulator.clock.set_time_scale(0)
    return BukaHook(sleep=no_sleep)


def test_a_permanent_vendor_error_fails_after_one_try(nxcloud_simulator, buka):
    error = raised(lambda: send_sms(buka, app_id="another-accounts-app"))

    assert isinstance(error, PermanentAPIError) and error.code == "-32"
    decision = decide(error)
    assert decision.action is RetryAction.FAIL
    assert decision.reason.startswith("buka/sms code -32 (API Key does not have permission")
    assert "lacks the permission" in decision.reason  # the catalog's why
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 1
    assert nxcloud_simulator.ledger.count() == 0


def test_a_platform_fault_on_a_send_is_retried_by_airflow_soon(nxcloud_simulator, buka):
    nxcloud_simulator.faults.next("vendor_busy", endpoint="sms_send", platform="buka")
    error = raised(lambda: send_sms(buka))

    assert isinstance(error, RetryableAPIError) and error.code == "-18"
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 1  # the hook did not re-send
    decision = decide(error)
    assert delay_of(decision) == BACKOFF_BY_REASON[Reason.PLATFORM_FAULT].seconds(1) == 15
    assert decision.reason.startswith("buka/sms code -18 (Port program unusual")
    assert "temporary fault" in decision.reason and "wait 15s" in decision.reason

    send_sms(buka)  # what the retry does: the vendor takes it now, once
    assert nxcloud_simulator.ledger.count() == 1


def test_a_rate_limit_backs_off_longer_than_a_platform_fault(nxcloud_simulator, buka):
    nxcloud_simulator.faults.next("vendor_rate_limit", count=4, endpoint="sms_send", platform="buka")
    error = raised(lambda: send_sms(buka))

    assert isinstance(error, RetryableAPIError) and error.code == "-15"
    assert nxcloud_simulator.requests.count("buka", "sms_send") == 4  # refused: the hook retried it
    decision = decide(error)
    assert delay_of(decision) == 60
    assert "throttled" in decision.reason
    assert delay_of(decision) > BACKOFF_BY_REASON[Reason.PLATFORM_FAULT].seconds(1)


def test_nxcloud_rate_limit_is_judged_by_its_own_catalog(nxcloud_simulator):
    nxcloud_simulator.faults.next("vendor_rate_limit", count=4, endpoint="sms_send_v2", platform="nxcloud")
    hook = NXCloudHook(sleep=no_sleep)
    app = hook.settings.extras["sms_app_key"]
    error = raised(lambda: hook.call("sms_send_v2", {"appKey": app, "phone": NUMBER, "content": "hi"}))

    assert isinstance(error, RetryableAPIError) and (error.platform, error.code) == ("nxcloud", "28")
    assert delay_of(decide(error)) == BACKOFF_BY_REASON[Reason.RATE_LIMITED].seconds(1)


@pytest.mark.parametrize("reason", [Reason.RATE_LIMITED, Reason.CONCURRENCY, Reason.PLATFORM_FAULT])
def test_the_delay_grows_with_the_try_number_up_to_a_cap(reason):
    backoff = BACKOFF_BY_REASON[reason]
    delays = [backoff.seconds(n) for n in range(1, 30)]

    assert delays == sorted(delays)
    assert delays[0] < delays[1] < delays[2]
    assert delays[-1] == backoff.cap
    assert backoff.seconds(10_000) == backoff.cap  # a task cleared many times does not overflow


def test_decisions_grow_with_the_try_number_and_rate_limits_stay_longest(nxcloud_simulator, buka):
    nxcloud_simulator.faults.next("vendor_rate_limit", count=4, endpoint="sms_send", platform="buka")
    throttled = raised(lambda: send_sms(buka))
    nxcloud_simulator.faults.next("vendor_busy", endpoint="sms_send", platform="buka")
    busy = raised(lambda: send_sms(buka))

    throttled_delays = [delay_of(decide(throttled, n)) for n in range(1, 9)]
    busy_delays = [delay_of(decide(busy, n)) for n in range(1, 9)]
    assert throttled_delays == [60, 120, 240, 480, 900, 900, 900, 900]
    assert busy_delays == [15, 30, 60, 120, 240, 300, 300, 300]
    assert all(t > b for t, b in zip(throttled_delays, busy_delays, strict=True))


def test_retry_after_from_the_vendor_is_a_floor(nxcloud_simulator, buka):
    # the simulator's HTTP 429 carries Retry-After: 1; a read is retried in-hook, then raised
    nxcloud_simulator.faults.next("http_429", count=4, endpoint="balance", platform="buka")
    error = raised(buka.get_balance)

    assert isinstance(error, RetryableAPIError) and (error.service, error.code) == ("http", "429")
    assert error.retry_after == 1.0
    assert delay_of(decide(error)) == 60  # the backoff is already longer than the vendor asked
    fast = NXCloudRetryPolicy(max_delay=timedelta(milliseconds=200))
    decision = decide(error, policy=fast)
    assert delay_of(decision) == 1.0  # max_delay never undercuts Retry-After
    assert "Retry-After" in decision.reason


def test_a_lost_send_reply_fails_and_is_never_overridden_into_a_resend(nxcloud_simulator, buka):
    nxcloud_simulator.faults.next("reset_after", endpoint="sms_send", platform="buka")
    error = raised(lambda: send_sms(buka, order_id="lost-1"))

    assert isinstance(error, AmbiguousSendError)
    assert nxcloud_simulator.ledger.count() == 1  # the vendor took it; the reply was lost
    for policy in (RETRY_POLICY, NXCloudRetryPolicy(overrides={f"buka:sms:{error.code}": "retry"})):
        decision = decide(error, policy=policy)
        assert decision.action is RetryAction.FAIL
        assert "lost-1" in decision.reason and "look it up before sending again" in decision.reason


def test_a_create_whose_reply_was_lost_is_retried_soon(nxcloud_simulator, buka):
    nxcloud_simulator.faults.next("reset_after", endpoint="sms_send", platform="buka")
    error = raised(lambda: find_or_create(lambda: None, lambda: send_sms(buka), what="Buka task rp-1"))

    assert isinstance(error, CreateInDoubtError)
    assert isinstance(error.__cause__, AmbiguousSendError)  # the nearer error decides, not its cause
    decision = decide(error)
    assert delay_of(decision) == SHORT_BACKOFF.seconds(1) == 5
    assert decision.reason.startswith("CreateInDoubtError: Buka task rp-1")


def test_bad_input_and_broken_connections_fail_before_any_request(nxcloud_simulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_BUKA_BROKEN", json.dumps({"conn_type": "buka", "login": "key"}))
    broken = raised(lambda: BukaHook("buka_broken").call("balance"))
    monkeypatch.setenv(
        "AIRFLOW_CONN_BUKA_NO_APP",
        json.dumps(
            {"conn_type": "buka", "login": "key", "password": "secret", "host": nxcloud_simulator.url}
        ),
    )
    no_app = raised(lambda: BukaHook("buka_no_app").app_id("sms"))
    bad_choice = raised(lambda: check_one_of("mode", "loud", ["tts", "audio"]))

    assert isinstance(broken, ConnectionConfigError) and isinstance(no_app, ConnectionConfigError)
    for error in (broken, no_app, bad_choice):
        assert isinstance(error, InvalidInputError)
        decision = decide(error)
        assert decision.action is RetryAction.FAIL
        assert decision.reason.startswith(f"{type(error).__name__}: ")
    assert "password" in decide(broken).reason
    assert nxcloud_simulator.requests.total() == 0


def test_a_failed_connection_is_retried(nxcloud_simulator, monkeypatch):
    port = closed_port()
    monkeypatch.setenv(
        "AIRFLOW_CONN_BUKA_DOWN",
        json.dumps(
            {"conn_type": "buka", "login": "key", "password": "secret", "host": f"http://127.0.0.1:{port}"}
        ),
    )
    through_hook = raised(lambda: BukaHook("buka_down", sleep=no_sleep).call("balance"))
    with pytest.raises(requests.exceptions.ConnectionError) as raw_requests:
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    with pytest.raises(httpx.ConnectError) as raw_httpx:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)

    # the transport's own code is in no catalog: it backs off like a vendor fault
    assert isinstance(through_hook, RetryableAPIError) and through_hook.code == "CONNECTION_FAILED"
    assert delay_of(decide(through_hook)) == FALLBACK_BACKOFF.seconds(1)
    for error in (raw_requests.value, raw_httpx.value):
        decision = decide(error)
        assert delay_of(decision) == SHORT_BACKOFF.seconds(1)
        assert "the connection failed" in decision.reason


def test_provider_errors_without_a_vendor_reply():
    in_doubt = BatchInDoubtError(
        "buka",
        [InDoubtBatch(2, "run-1:b2", 1001, 2000, "6591001001", "6591002000", None, "reply lost")],
    )
    wait = DeliveryWaitError("buka delivery of 3 messages: 5 consecutive errors reading reports")

    assert decide(in_doubt).action is RetryAction.FAIL
    assert "a person decides" in decide(in_doubt).reason
    assert delay_of(decide(wait)) == 5
    assert delay_of(decide(wait, try_number=3)) == 20


# ----- wrapped exceptions ----------------------------------------------------------------------


@pytest.fixture
def permanent(nxcloud_simulator, buka) -> PermanentAPIError:
    error = raised(lambda: send_sms(buka, app_id="another-accounts-app"))
    assert isinstance(error, PermanentAPIError)
    return error


@pytest.fixture
def retryable(nxcloud_simulator, buka) -> RetryableAPIError:
    nxcloud_simulator.faults.next("vendor_busy", endpoint="sms_send", platform="buka")
    error = raised(lambda: send_sms(buka))
    assert isinstance(error, RetryableAPIError)
    return error


def wrapped(error: BaseException, wrapper: BaseException, *, explicit: bool) -> BaseException:
    try:
        try:
            raise error
        except BaseException:
            if explicit:
                raise wrapper from error
            raise wrapper  # noqa: B904 - implicit chaining is what is tested
    except BaseException as outer:
        return outer


def test_a_provider_error_is_found_behind_wrappers(permanent, retryable):
    explicit = wrapped(permanent, RuntimeError("step 2 failed"), explicit=True)
    implicit = wrapped(retryable, KeyError("msgId"), explicit=False)
    airflow_wrapped = wrapped(retryable, AirflowException("send failed"), explicit=True)
    twice = wrapped(explicit, ValueError("outer"), explicit=False)

    assert decide(explicit).action is RetryAction.FAIL
    assert decide(twice).action is RetryAction.FAIL
    assert delay_of(decide(implicit)) == 15
    assert delay_of(decide(airflow_wrapped)) == 15
    assert list(causes(twice)) == [twice, explicit, permanent]


def test_the_nearest_provider_error_decides(permanent, retryable):
    # a retryable error raised while handling a permanent one: the retryable one is nearer
    nearer = wrapped(permanent, retryable, explicit=False)
    assert nearer is retryable and retryable.__context__ is permanent
    assert decide(RuntimeError("x")).action is RetryAction.DEFAULT
    assert delay_of(decide(wrapped(nearer, RuntimeError("outer"), explicit=True))) == 15


def test_a_context_suppressed_with_from_none_is_not_searched(permanent):
    try:
        try:
            raise permanent
        except PermanentAPIError:
            raise LookupError("not found") from None
    except LookupError as suppressed:
        assert decide(suppressed).action is RetryAction.DEFAULT


def test_a_cyclic_chain_ends():
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert decide(first).action is RetryAction.DEFAULT
    assert list(causes(first)) == [first, second]


@pytest.mark.parametrize(
    "error",
    [ValueError("bad row"), KeyError("x"), AirflowException("generic"), TimeoutError("slow"), SystemExit(1)],
)
def test_anything_else_keeps_airflows_default(error):
    decision = decide(error)
    assert decision.action is RetryAction.DEFAULT
    assert decision.retry_delay is None


# ----- overrides -------------------------------------------------------------------------------


def test_overrides_change_the_decision_for_a_code(permanent, retryable):
    to_retry = NXCloudRetryPolicy(overrides={"buka:sms:-32": "retry"})
    decision = decide(permanent, policy=to_retry)
    assert delay_of(decision) == FALLBACK_BACKOFF.seconds(1)  # no backoff row for PERMISSION
    assert "overridden to retry" in decision.reason

    for key in ("sms:-18", "-18", "buka:sms:-18", -18):
        decision = decide(retryable, policy=NXCloudRetryPolicy(overrides={key: Disposition.FAIL}))
        assert decision.action is RetryAction.FAIL and "overridden to fail" in decision.reason

    most_specific = NXCloudRetryPolicy(overrides={"-18": "fail", "buka:sms:-18": "retry"})
    assert delay_of(decide(retryable, policy=most_specific)) == 15
    other_platform = NXCloudRetryPolicy(overrides={"nxcloud:sms:-18": "fail"})
    assert delay_of(decide(retryable, policy=other_platform)) == 15


@pytest.mark.parametrize(
    ("kwargs", "parameter", "problem"),
    [
        ({"overrides": {"sms:-18": "resign"}}, "overrides", "must be retry or fail"),
        ({"overrides": {"sms:-18": "later"}}, "overrides", "must be retry or fail"),
        ({"overrides": {"smss:-18": "fail"}}, "overrides", "no platform has a service 'smss'"),
        ({"overrides": {"buka:smss:-18": "fail"}}, "overrides", "no code catalog for buka/smss"),
        ({"overrides": {"a:b:c:d": "fail"}}, "overrides", "must be 'platform:service:code'"),
        ({"overrides": {"sms:": "fail"}}, "overrides", "must be 'platform:service:code'"),
        ({"max_delay": -1}, "max_delay", "seconds >= 0"),
        ({"max_delay": "soon"}, "max_delay", "seconds >= 0"),
        ({"max_delay": True}, "max_delay", "seconds >= 0"),
    ],
)
def test_bad_settings_are_rejected_when_the_policy_is_built(kwargs, parameter, problem):
    with pytest.raises(InvalidInputError) as info:
        NXCloudRetryPolicy(**kwargs)
    assert info.value.parameter == parameter
    assert problem in info.value.problem


# ----- every reason in the catalogs, as the transport raises it ----------------------------------

ORIGIN = "https://vendor.test"
#: a read endpoint per Buka service, so a retryable code is not an ambiguous send
READ_ENDPOINT = {
    "sms": ("sms_report", "/v3/getReport", "GET"),
    "voice": ("voice_records", "/v3/voice/recordGroupQuery", "POST"),
    "email": ("email_records", "/v3/email/getSendEmailRcd", "POST"),
    "ai_voice": ("ai_task_list", "/v3/AiVoice/taskList", "POST"),
    "http": ("balance", "/v3/getBalance", "GET"),
}


def buka_row(reason: Reason) -> tuple[str, str, str]:
    """(service, code, meaning) of the first Buka catalog row with this reason that an endpoint can answer."""
    for service in READ_ENDPOINT:
        for code, info in catalog("buka", service).codes.items():
            if info.reason is reason:
                return service, code, info.meaning
    raise AssertionError(f"no Buka row for {reason}")


@pytest.fixture
def mocked_buka(monkeypatch, requests_mock):
    monkeypatch.setenv(
        "AIRFLOW_CONN_BUKA_MOCKED",
        json.dumps({"conn_type": "buka", "login": "key", "password": "secret", "host": ORIGIN}),
    )

    def answer(service: str, code: str, *, headers: dict[str, str] | None = None) -> BaseException:
        name, path, method = READ_ENDPOINT[service]
        if service == "http":
            requests_mock.register_uri(
                method, ORIGIN + path, status_code=int(code), json={}, headers=headers or {}
            )
        else:
            requests_mock.register_uri(
                method, ORIGIN + path, json={"status": code, "reason": "as the vendor says"}
            )
        hook = BukaHook("buka_mocked", sleep=no_sleep)
        return raised(lambda: hook.call(name, {}, params={}))

    return answer


#: the reasons a vendor can answer; NOT_CONNECTED is the transport's own (a connection never
#: made, code CONNECTION_FAILED, no catalog row), decided by FALLBACK_BACKOFF
VENDOR_REASONS = [reason for reason in Reason if reason is not Reason.NOT_CONNECTED]


def test_every_retry_reason_has_a_backoff_row():
    assert set(BACKOFF_BY_REASON) == {
        reason for reason in VENDOR_REASONS if reason.disposition is Disposition.RETRY
    }


@pytest.mark.parametrize("reason", VENDOR_REASONS, ids=lambda reason: reason.name)
def test_every_reason_gets_its_decision(reason, mocked_buka):
    service, code, meaning = buka_row(reason)
    error = mocked_buka(service, code)
    decision = decide(error)

    assert decision.reason.startswith(f"buka/{service} code {code} ({meaning})")
    if reason.disposition is Disposition.RETRY:
        assert isinstance(error, RetryableAPIError)
        assert delay_of(decision) == BACKOFF_BY_REASON[reason].seconds(1)
        assert reason.why in decision.reason
    elif reason.disposition is Disposition.RESIGN:
        # signed again once and still refused: the worker's clock is wrong, a retry cannot help
        assert isinstance(error, PermanentAPIError)
        assert decision.action is RetryAction.FAIL and "check the worker's clock" in decision.reason
    else:
        assert isinstance(error, PermanentAPIError)
        assert decision.action is RetryAction.FAIL and reason.why in decision.reason


def test_a_code_not_in_the_catalog_fails(mocked_buka):
    error = mocked_buka("sms", "-999")
    assert isinstance(error, PermanentAPIError) and not error.in_catalog
    assert decide(error).action is RetryAction.FAIL


@pytest.mark.parametrize(("retry_after", "expected"), [("120", 120.0), ("7200", RETRY_AFTER_CAP)])
def test_a_long_retry_after_is_waited_for_up_to_a_cap(mocked_buka, retry_after, expected):
    error = mocked_buka("http", "503", headers={"Retry-After": retry_after})
    assert isinstance(error, RetryableAPIError) and error.retry_after == float(retry_after)
    decision = decide(error)
    assert delay_of(decision) == expected > BACKOFF_BY_REASON[Reason.UNAVAILABLE].seconds(1)
    assert "Retry-After" in decision.reason


# ----- Airflow's contract: serialisable, usable on any task ----------------------------------------


def test_it_is_an_airflow_retry_policy_that_round_trips():
    configured = NXCloudRetryPolicy(
        overrides={"buka:sms:-26": "retry", -15: "fail"}, max_delay=timedelta(seconds=90)
    )

    for policy in (RETRY_POLICY, configured):
        assert isinstance(policy, RetryPolicy)
        data = json.loads(json.dumps(policy.serialize()))
        assert data["__type"] == "NXCloudRetryPolicy"
        assert data["classpath"] == "airflow_provider_nxcloud.retry_policy.NXCloudRetryPolicy"
        restored = NXCloudRetryPolicy.deserialize(data)
        assert restored == policy and hash(restored) == hash(policy)
    assert configured.serialize()["overrides"] == {"-15": "fail", "buka:sms:-26": "retry"}
    assert configured.serialize()["max_delay"] == 90.0
    assert configured != RETRY_POLICY
    with pytest.raises(ValueError, match="not a serialised NXCloudRetryPolicy"):
        NXCloudRetryPolicy.deserialize({"__type": "ExceptionRetryPolicy", "rules": []})


def test_it_goes_on_tasks_default_args_and_mapped_tasks():
    from airflow.sdk import DAG, task
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG(
        "retry_policy_unit",
        schedule=None,
        start_date=datetime(2026, 1, 1),
        default_args={"retries": 3, "retry_policy": RETRY_POLICY},
    ) as dag:

        @task
        def plain() -> None: ...

        @task(retry_policy=NXCloudRetryPolicy(max_delay=1))
        def mapped(number: str) -> None: ...

        plain()
        mapped.partial().expand(number=["1", "2"])

    assert dag.task_dict["plain"].retry_policy is RETRY_POLICY
    assert dag.task_dict["mapped"].retry_policy == NXCloudRetryPolicy(max_delay=1)
    restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert restored.task_dict["plain"].has_retry_policy
    assert restored.task_dict["mapped"].has_retry_policy


def test_importing_it_before_airflow_3_3_says_why(monkeypatch):
    monkeypatch.setattr(version_compat, "HAS_RETRY_POLICY", False)
    monkeypatch.delitem(sys.modules, "airflow_provider_nxcloud.retry_policy")
    with pytest.raises(ImportError, match=r"needs Apache Airflow 3\.3 or later"):
        importlib.import_module("airflow_provider_nxcloud.retry_policy")
