"""The account-wide rate budget: ``max_qps`` and ``max_concurrency`` across every task using a connection.

Against the simulator (its request log counts arrivals per one-second window; its ledger
what was accepted) and a real redis-server (``make redis`` installs it). Several OS
processes send through hooks on one connection, as mapped task instances on Celery
workers would.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
from collections import Counter
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.exceptions import ConnectionConfigError, InvalidInputError, RetryableAPIError
from airflow_provider_nxcloud.hooks import rate_budget
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.rate_budget import apply_rate_budget
from airflow_provider_nxcloud.hooks.rate_limit import account_key, redact_store_url
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.platforms.buka import sms_message
from airflow_provider_nxcloud.testing.accounts import CONNECTION_ENV_VARS
from airflow_provider_nxcloud.testing.redis import redis_server
from tests.operators.conftest import TaskRun, numbers

BUKA_ENV = CONNECTION_ENV_VARS["buka"]
STORE_PASSWORD = "store-pw-Zq81vX"
MAX_QPS = 20


@pytest.fixture
def buka_with(nxcloud_simulator, monkeypatch):
    """Point the Buka connection at the simulator with these extras; returns the environment to hand on."""

    def configure(**extra: Any) -> dict[str, str]:
        conn = json.loads(nxcloud_simulator.connection_env()[BUKA_ENV])
        conn["extra"].update(extra)
        monkeypatch.setenv(BUKA_ENV, json.dumps(conn))
        return {BUKA_ENV: json.dumps(conn)}

    return configure


def closed_port_url(password: str | None = None) -> str:
    """A Redis URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    credentials = f":{password}@" if password else ""
    return f"redis://{credentials}127.0.0.1:{port}/0"


# ----- several processes on one connection ------------------------------------------------------


def _send_in_a_process(env: dict[str, str], barrier: Any, first: int, count: int) -> None:
    """One worker process: ``count`` single-number sends through a Buka hook, after every process is ready."""
    os.environ.update(env)
    hook = BukaHook()
    app_id = hook.app_id("sms")
    hook.get_conn()
    barrier.wait(timeout=120)
    for position in range(first, first + count):
        number = f"65{90_000_000 + position}"
        hook.send_sms(app_id, sms_message([number], "Your parcel is on its way", [f"rl-{position}"]))


def run_processes(env: dict[str, str], counts: list[int]) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(counts) + 1)
    processes, first = [], 1
    for count in counts:
        processes.append(context.Process(target=_send_in_a_process, args=(env, barrier, first, count)))
        first += count
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=180)
    finally:
        for process in processes:
            process.join(timeout=180)
    assert [process.exitcode for process in processes] == [0] * len(counts)


def test_three_processes_on_one_connection_never_pass_max_qps_together(
    nxcloud_simulator, buka_with, redis_url
):
    env = buka_with(max_qps=MAX_QPS, rate_limit_store=redis_url)
    run_processes(env, [34, 33, 33])

    assert nxcloud_simulator.requests.count("buka", "sms_send") == 100
    sent = Counter(entry.recipient for entry in nxcloud_simulator.ledger.entries(kind="sms"))
    assert len(sent) == 100 and set(sent.values()) == {1}
    assert nxcloud_simulator.requests.peak_qps() <= MAX_QPS


def test_without_a_store_the_same_processes_pass_the_cap(nxcloud_simulator, buka_with):
    """The check above can fail: each process paces only itself, so together they exceed the account's rate."""
    env = buka_with(max_qps=MAX_QPS)
    run_processes(env, [34, 33, 33])

    assert nxcloud_simulator.requests.count("buka", "sms_send") == 100
    assert nxcloud_simulator.requests.peak_qps() > MAX_QPS


def test_a_process_alone_gets_the_whole_rate(nxcloud_simulator, buka_with, redis_url):
    """Nothing is divided up front: alone, one process sends more a second than a static third could."""
    env = buka_with(max_qps=MAX_QPS, rate_limit_store=redis_url)
    run_processes(env, [40])

    assert nxcloud_simulator.requests.count("buka", "sms_send") == 40
    assert MAX_QPS // 3 < nxcloud_simulator.requests.peak_qps() <= MAX_QPS


# ----- the store fails: fail safe, nothing sent -----------------------------------------------------


def test_an_unreachable_store_sends_nothing_and_raises_a_retryable_error(nxcloud_simulator, buka_with):
    buka_with(max_qps=MAX_QPS, rate_limit_store=closed_port_url())
    sleeps: list[float] = []
    hook = BukaHook(sleep=sleeps.append)

    with pytest.raises(RetryableAPIError) as raised:
        hook.send_sms(hook.app_id("sms"), sms_message(["6591234567"], "hello", ["o-1"]))

    assert raised.value.code == "RATE_LIMIT_STORE_UNAVAILABLE"
    assert "rate_limit_store" in str(raised.value) and "nothing was sent" in str(raised.value)
    assert nxcloud_simulator.requests.total() == 0 and nxcloud_simulator.ledger.count() == 0


def test_a_campaign_whose_store_fails_leaves_no_batch_in_doubt_and_resumes(nxcloud_simulator, buka_with):
    recipients = numbers(2500)
    run = TaskRun()
    buka_with(max_qps=MAX_QPS, rate_limit_store=closed_port_url())
    operator = BukaSendSmsOperator(task_id="send", text="Your parcel is on its way", recipients=recipients)
    with pytest.raises(RetryableAPIError, match="rate_limit_store"):
        operator.execute(run.context())
    assert nxcloud_simulator.requests.total() == 0

    with redis_server() as url:
        buka_with(max_qps=MAX_QPS, rate_limit_store=url)
        retry = BukaSendSmsOperator(task_id="send", text="Your parcel is on its way", recipients=recipients)
        summary = retry.execute(run.retry())

    # no lookup was needed: the failed try had left no batch in flight
    assert nxcloud_simulator.requests.by_endpoint() == {("buka", "sms_send"): 3}
    assert Counter(entry.recipient for entry in nxcloud_simulator.ledger.entries(kind="sms")) == Counter(
        recipients
    )
    assert summary["accepted"] == 2500 and summary["resumed_batches"] == 0


def test_a_store_that_refuses_the_password_sends_nothing(nxcloud_simulator, buka_with):
    with redis_server(password=STORE_PASSWORD) as url:
        buka_with(max_qps=MAX_QPS, rate_limit_store=url.replace(STORE_PASSWORD, "not-the-password"))
        hook = BukaHook(sleep=lambda seconds: None)
        with pytest.raises(RetryableAPIError, match="rate_limit_store"):
            hook.send_sms(hook.app_id("sms"), sms_message(["6591234567"], "hello", ["o-1"]))
    assert nxcloud_simulator.requests.total() == 0


# ----- the store's password stays secret --------------------------------------------------------------


def test_the_store_password_never_reaches_a_log_or_an_error(nxcloud_simulator, buka_with, caplog):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with redis_server(password=STORE_PASSWORD) as url:
        buka_with(max_qps=MAX_QPS, rate_limit_store=url)
        masked: list[str] = []
        hook = BukaHook()
        conn = hook.get_connection(hook.conn_id)
        settings = hook.settings_from_connection(conn, mask=masked.append)
        assert STORE_PASSWORD in masked
        texts += [repr(settings), repr(settings.transport)]
        operator = BukaSendSmsOperator(task_id="send", text="hello", recipients=numbers(3))
        texts.append(json.dumps(operator.execute(TaskRun().context())))
        for wrong in (url.replace(STORE_PASSWORD, STORE_PASSWORD[::-1]), closed_port_url(STORE_PASSWORD)):
            buka_with(max_qps=MAX_QPS, rate_limit_store=wrong)
            failing = BukaHook(sleep=lambda seconds: None)
            with pytest.raises(RetryableAPIError) as raised:
                failing.send_sms(failing.app_id("sms"), sms_message(["6591234567"], "hello", ["o-2"]))
            texts.append(str(raised.value))
        buka_with(max_qps=MAX_QPS, rate_limit_store=url.replace("redis://", "http://"))
        with pytest.raises(ConnectionConfigError, match="rate_limit_store") as refused:
            BukaHook().settings  # noqa: B018 - reading the connection is what raises
        texts.append(str(refused.value))

    assert nxcloud_simulator.ledger.count() == 3
    assert any("rate_limit_store" in text for text in texts)
    for text in [*texts, caplog.text]:
        assert STORE_PASSWORD not in text
        assert STORE_PASSWORD[::-1] not in text


def test_a_store_url_is_shown_without_its_credentials():
    assert (
        redact_store_url("rediss://user:pw-123@cache.example:6380/2") == "rediss://***@cache.example:6380/2"
    )
    assert redact_store_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"


# ----- the connection's extras ----------------------------------------------------------------------


class Conn:
    def __init__(self, login: str = "key", host: str | None = None, **extra: Any) -> None:
        self.login, self.password, self.host, self.port, self.schema = login, "secret", host, None, None
        self.extra = json.dumps(extra)


def settings(conn: Conn) -> Any:
    return BukaHook().settings_from_connection(conn, mask=lambda secret: None)


@pytest.mark.parametrize(
    ("store", "problem"),
    [
        ("http://:pw-9876@cache:6379/0", "redis:// or rediss://"),
        ("redis://:pw-9876@/0", "names no host"),
        ("redis://:pw-9876@cache:port/0", "not a valid URL"),
        ("redis://:pw-9876@cache:6379/cache", "database number"),
    ],
)
def test_a_bad_store_url_is_refused_naming_the_extra_without_its_password(store, problem):
    with pytest.raises(ConnectionConfigError, match="rate_limit_store") as refused:
        settings(Conn(rate_limit_store=store, max_qps=10))
    assert problem in str(refused.value) and "pw-9876" not in str(refused.value)


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"rate_pool": "buka_rate"}, "rate_pool_slots"), ({"rate_pool_slots": 8}, "rate_pool")],
)
def test_rate_pool_and_its_size_come_together(extra, field):
    with pytest.raises(ConnectionConfigError, match=field):
        settings(Conn(**extra))


def test_the_store_key_names_the_account_and_no_secret():
    transport = settings(Conn(login="buka-api-key-1", rate_limit_store="redis://127.0.0.1:6379/0")).transport
    assert transport.rate_limit_account == account_key("buka", None, "buka-api-key-1")
    assert (
        "buka-api-key-1" not in transport.rate_limit_account and "secret" not in transport.rate_limit_account
    )
    other = settings(Conn(login="buka-api-key-2", rate_limit_store="redis://127.0.0.1:6379/0")).transport
    white_label = settings(
        Conn(login="buka-api-key-1", host="https://sms.example", rate_limit_store="redis://127.0.0.1:6379/0")
    ).transport
    assert len({transport.rate_limit_account, other.rate_limit_account, white_label.rate_limit_account}) == 3


def test_every_form_offers_the_budget_extras():
    for form in FORMS.values():
        kinds = {field.name: field.kind for field in form.fields}
        assert kinds["rate_limit_store"] == "password"
        assert (kinds["rate_pool"], kinds["rate_pool_slots"]) == ("string", "integer")
        assert form.conn_fields()["rate_limit_store"]["schema"]["format"] == "password"


def test_without_a_store_the_transport_has_no_shared_limit(buka_with):
    buka_with(max_qps=MAX_QPS)
    assert BukaHook().get_conn().shared_limit is None


# ----- shares: pool, mapped instances -----------------------------------------------------------------


def send_operator(**kwargs: Any) -> BukaSendSmsOperator:
    return BukaSendSmsOperator(task_id="send", text="hello", recipients=numbers(5), **kwargs)


def test_a_task_outside_the_rate_pool_is_refused_naming_pool_before_sending(nxcloud_simulator, buka_with):
    buka_with(max_qps=40, max_concurrency=8, rate_pool="buka_rate", rate_pool_slots=8)
    with pytest.raises(AirflowFailException, match="pool") as failed:
        send_operator(pool="default_pool").execute(TaskRun().context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == "pool"
    assert nxcloud_simulator.requests.total() == 0


def test_a_task_in_the_rate_pool_gets_its_slots_share(nxcloud_simulator, buka_with):
    buka_with(max_qps=40, max_concurrency=8, rate_pool="buka_rate", rate_pool_slots=8)
    operator = send_operator(pool="buka_rate", pool_slots=2)
    share = apply_rate_budget(operator, TaskRun().context())

    transport = operator.hook.get_conn().settings
    assert (share.max_qps, share.max_concurrency) == (10.0, 2)
    assert (transport.max_qps, transport.max_concurrency) == (10.0, 2)
    assert operator.hook.max_concurrency == 2

    summary = send_operator(pool="buka_rate", pool_slots=2).execute(TaskRun().context())
    assert summary["accepted"] == 5 and nxcloud_simulator.ledger.count() == 5


def test_a_pool_share_below_one_send_is_refused_naming_pool_slots(nxcloud_simulator, buka_with):
    buka_with(max_qps=40, max_concurrency=2, rate_pool="buka_rate", rate_pool_slots=8)
    with pytest.raises(AirflowFailException, match="pool_slots") as failed:
        send_operator(pool="buka_rate", pool_slots=1).execute(TaskRun().context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert failed.value.__cause__.parameter == "pool_slots"
    assert nxcloud_simulator.requests.total() == 0


def test_more_pool_slots_than_the_rate_pool_has_are_refused(buka_with):
    buka_with(max_qps=40, max_concurrency=8, rate_pool="buka_rate", rate_pool_slots=4)
    with pytest.raises(InvalidInputError, match="pool_slots"):
        apply_rate_budget(send_operator(pool="buka_rate", pool_slots=5), TaskRun().context())


def test_with_a_store_and_a_pool_the_rate_is_shared_in_the_store_and_sends_by_the_pool(buka_with, redis_url):
    buka_with(
        max_qps=40, max_concurrency=8, rate_pool="buka_rate", rate_pool_slots=8, rate_limit_store=redis_url
    )
    operator = send_operator(pool="buka_rate", pool_slots=2)
    share = apply_rate_budget(operator, TaskRun().context())
    assert (share.max_qps, share.max_concurrency) == (40, 2)
    assert operator.hook.get_conn().shared_limit is not None


def test_mapped_instances_divide_the_budget_without_a_store_or_pool(buka_with, caplog, monkeypatch):
    monkeypatch.setattr(rate_budget, "_WARNED", set())
    buka_with(max_qps=20, max_concurrency=6)
    caplog.set_level(logging.WARNING, logger=rate_budget.__name__)
    operator = send_operator()
    share = apply_rate_budget(operator, {**TaskRun(map_index=2).context(), "expanded_ti_count": 4})

    assert (share.max_qps, share.max_concurrency) == (5.0, 1)
    assert (operator.hook.get_conn().settings.max_qps, operator.hook.max_concurrency) == (5.0, 1)
    [warning] = [record.getMessage() for record in caplog.records]
    assert "rate_limit_store" in warning and "rate_pool" in warning
    apply_rate_budget(send_operator(), {**TaskRun(map_index=3).context(), "expanded_ti_count": 4})
    assert len(caplog.records) == 1  # once per process


def test_an_unmapped_task_keeps_the_whole_budget(buka_with):
    buka_with(max_qps=20, max_concurrency=6)
    operator = send_operator()
    share = apply_rate_budget(operator, TaskRun().context())
    assert (share.max_qps, share.max_concurrency) == (20, 6)
    assert operator.hook.max_concurrency == 6


def test_with_a_store_mapped_instances_keep_the_rate_and_divide_the_sends(buka_with, redis_url):
    buka_with(max_qps=20, max_concurrency=6, rate_limit_store=redis_url)
    operator = send_operator()
    share = apply_rate_budget(operator, {**TaskRun(map_index=0).context(), "expanded_ti_count": 4})
    assert (share.max_qps, share.max_concurrency) == (20, 1)


# ----- the async transport (triggers' reads) takes its slot too ---------------------------------------


def _no_sleep_recorder(sleeps: list[float]) -> Any:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep


async def test_an_async_read_takes_a_slot_in_the_shared_window(nxcloud_simulator, buka_with, redis_url):
    import redis

    buka_with(max_qps=MAX_QPS, rate_limit_store=redis_url)
    transport = await BukaHook().get_async_transport(sleep=_no_sleep_recorder([]))
    assert transport.shared_limit is not None
    reply = await transport.request(
        buka.ENDPOINTS["sms_report"], params={"appId": nxcloud_simulator.accounts.buka.app_id, "msgIds": "m1"}
    )

    assert reply is not None and nxcloud_simulator.requests.total() == 1
    assert redis.Redis.from_url(redis_url).llen(transport.shared_limit.key) == 1


async def test_an_async_read_with_an_unreachable_store_sends_nothing(nxcloud_simulator, buka_with):
    buka_with(max_qps=MAX_QPS, rate_limit_store=closed_port_url(STORE_PASSWORD))
    transport = await BukaHook().get_async_transport(sleep=_no_sleep_recorder([]), max_attempts=1)
    with pytest.raises(RetryableAPIError, match="rate_limit_store") as raised:
        await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "a", "msgIds": "m1"})

    assert STORE_PASSWORD not in str(raised.value)
    assert nxcloud_simulator.requests.total() == 0
