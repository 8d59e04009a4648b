"""NXCloud's Test button checks what the connection is configured for, against the simulator.

An SMS-only account (the simulator's account without the number-check product) used to fail
the Test with 1005, because the test always asked the number-check product.
"""

from __future__ import annotations

from collections.abc import Iterator

import pendulum
import pytest

from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.hooks.nxcloud import PROBE_BATCH_NO, NXCloudHook
from airflow_provider_nxcloud.testing import NXCloudAccount, Simulator
from airflow_provider_nxcloud.testing.server import run_simulator
from tests.hooks.conftest import set_conn

SMS_ONLY = NXCloudAccount(products=("sms",))


@pytest.fixture(scope="module")
def sms_only_session() -> Iterator[Simulator]:
    with run_simulator(nxcloud=SMS_ONLY) as simulator:
        yield simulator


@pytest.fixture
def sms_only(sms_only_session: Simulator) -> Simulator:
    sms_only_session.reset()
    return sms_only_session


def nx_hook(monkeypatch: pytest.MonkeyPatch, sim: Simulator, **extra: str) -> NXCloudHook:
    account = sim.accounts.nxcloud
    set_conn(
        monkeypatch,
        "nx_test",
        conn_type="nxcloud",
        login=account.access_key,
        password=account.access_secret,
        host=sim.url,
        extra=extra,
    )
    return NXCloudHook("nx_test", sleep=lambda s: None)


def reads(sim: Simulator) -> dict[str, int]:
    return {name: sim.requests.count("nxcloud", name) for name in ("balance", "number_check_query")}


def test_an_sms_only_account_passes_on_its_balance_and_is_not_asked_about_number_check(sms_only, monkeypatch):
    account = sms_only.accounts.nxcloud
    hook = nx_hook(
        monkeypatch,
        sms_only,
        sms_app_key=account.sms_app_key,
        sms_app_secret=account.sms_app_secret,
        whatsapp_app_key=account.whatsapp_app_key,
    )

    ok, message = hook.test_connection()

    assert ok, message
    assert message == (
        f"NXCloud accepted SMS app {account.sms_app_key} (balance query): balance {account.balance}. "
        "Not checked (NXCloud documents no read for them): whatsapp_app_key"
    )
    assert reads(sms_only) == {"balance": 1, "number_check_query": 0}
    assert sms_only.ledger.count() == 0
    assert account.access_secret not in message and account.sms_app_secret not in message


def test_the_simulator_refuses_number_check_to_an_sms_only_account_with_1005(sms_only, monkeypatch):
    # what the old Test met: the documented "lacks this business permission" code
    hook = nx_hook(monkeypatch, sms_only)
    date = pendulum.now("UTC").format("YYYY-MM-DD")
    with pytest.raises(PermanentAPIError) as err:
        hook.query_number_check(PROBE_BATCH_NO, date, page_size=1)
    assert err.value.code == "1005"


def test_a_number_check_connection_is_checked_with_a_signed_query(nxcloud_simulator, monkeypatch):
    account = nxcloud_simulator.accounts.nxcloud
    hook = nx_hook(monkeypatch, nxcloud_simulator, number_check_app_key=account.number_check_app_key)

    ok, message = hook.test_connection()

    assert ok, message
    assert message == (
        f"NXCloud accepted accessKey {account.access_key} with number-check app "
        f"{account.number_check_app_key} (signed number-check query): answered"
    )
    assert reads(nxcloud_simulator) == {"balance": 0, "number_check_query": 1}


def test_a_number_check_connection_on_an_sms_only_account_fails_saying_what_was_checked(
    sms_only, monkeypatch
):
    account = sms_only.accounts.nxcloud
    hook = nx_hook(
        monkeypatch,
        sms_only,
        sms_app_key=account.sms_app_key,
        sms_app_secret=account.sms_app_secret,
        number_check_app_key=account.number_check_app_key,
    )

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith(
        f"OK SMS app {account.sms_app_key} (balance query): balance {account.balance}; "
        f"FAILED accessKey {account.access_key} with number-check app {account.number_check_app_key} "
        "(signed number-check query): nxcloud/common code 1005"
    ), message
    assert reads(sms_only) == {"balance": 1, "number_check_query": 1}


def test_wrong_sms_app_keys_fail_naming_the_check(nxcloud_simulator, monkeypatch):
    account = nxcloud_simulator.accounts.nxcloud
    hook = nx_hook(
        monkeypatch, nxcloud_simulator, sms_app_key=account.sms_app_key, sms_app_secret="wrong-secret-1"
    )

    ok, message = hook.test_connection()

    assert not ok
    assert message.startswith(
        f"FAILED SMS app {account.sms_app_key} (balance query): nxcloud/sms_report code 2"
    )
    assert "wrong-secret-1" not in message


@pytest.mark.parametrize(
    "extra",
    [{}, {"sms_app_key": "app-without-secret"}, {"voice_app_key": "v", "voice_app_secret": "vs-secret"}],
    ids=["no-app", "sms-key-only", "voice-only"],
)
def test_with_nothing_a_read_can_check_the_test_fails_and_sends_nothing(
    nxcloud_simulator, monkeypatch, extra
):
    ok, message = nx_hook(monkeypatch, nxcloud_simulator, **extra).test_connection()

    assert not ok
    assert message.startswith("NXCloud: nothing could be checked without sending: set sms_app_key and")
    assert nxcloud_simulator.requests.total() == 0
