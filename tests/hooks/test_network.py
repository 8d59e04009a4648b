"""The connection's way to the vendor, over real sockets: the ``proxy`` and ``verify`` extras, a bare host.

A real forwarding proxy and a real TLS listener (``tests/hooks/netservers.py``) stand between
the hooks and the simulator; the simulator's request log and ledger and the proxy's own record
prove where each request went.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.testing import Simulator
from tests.hooks.conftest import set_conn
from tests.hooks.netservers import ForwardingProxy, Seen, TlsFront, self_signed

PROXY_USER, PROXY_PASSWORD = "squid-user", "proxy-pass-Q7w!"
#: the password as it must be written in a URL
PROXY_PASSWORD_IN_URL = "proxy-pass-Q7w%21"


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy(credentials=(PROXY_USER, PROXY_PASSWORD)) as server:
        yield server


@pytest.fixture
def ca(tmp_path: Path) -> tuple[str, str]:
    return self_signed(tmp_path)


@pytest.fixture
def tls_front(nxcloud_simulator: Simulator, ca: tuple[str, str]) -> Iterator[TlsFront]:
    with TlsFront(nxcloud_simulator.port, *ca) as server:
        yield server


def proxy_url(proxy: ForwardingProxy, password: str = PROXY_PASSWORD_IN_URL) -> str:
    return f"http://{PROXY_USER}:{password}@127.0.0.1:{proxy.port}"


def buka_conn(monkeypatch: pytest.MonkeyPatch, sim: Simulator, conn_id: str, **fields: object) -> BukaHook:
    account = sim.accounts.buka
    conn = {"conn_type": "buka", "login": account.api_key, "password": account.api_secret, **fields}
    conn["extra"] = {"app_id": account.app_id, **conn.get("extra", {})}
    set_conn(monkeypatch, conn_id, **conn)
    return BukaHook(conn_id, sleep=lambda s: None)


def send_one(hook: BukaHook, reference: str) -> dict:
    body = {"appId": hook.app_id("sms"), "numbers": "6591234567", "content": "hi", "orderId": reference}
    return hook.call("sms_send", body, client_reference=reference)


async def _no_sleep(seconds: float) -> None:
    return None


async def async_balance(hook: BukaHook) -> dict:
    transport = await hook.get_async_transport(sleep=_no_sleep)
    async with transport:
        return await transport.request(buka.ENDPOINTS["balance"])


# ----- proxy ----------------------------------------------------------------------------------


def test_sync_reads_and_sends_go_through_the_connections_proxy(nxcloud_simulator, proxy, monkeypatch):
    # the connection's proxy is explicit: it applies even where the environment says not to proxy
    monkeypatch.setenv("NO_PROXY", "*")
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "via_proxy",
        host=nxcloud_simulator.url,
        extra={"proxy": proxy_url(proxy)},
    )

    assert hook.get_balance()["balance"] == nxcloud_simulator.accounts.buka.balance
    send_one(hook, "proxied-1")

    origin = nxcloud_simulator.url
    assert proxy.seen == [
        Seen("GET", f"{origin}/v3/getBalance", authorized=True),
        Seen("POST", f"{origin}/v3/sendSms", authorized=True),
    ]
    assert nxcloud_simulator.requests.count("buka", "balance") == 1
    assert [e.client_reference for e in nxcloud_simulator.ledger.entries("buka")] == ["proxied-1"]


async def test_async_reads_go_through_the_connections_proxy(nxcloud_simulator, proxy, monkeypatch):
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "via_proxy_async",
        host=nxcloud_simulator.url,
        extra={"proxy": proxy_url(proxy)},
    )

    reply = await async_balance(hook)

    assert reply["balance"] == nxcloud_simulator.accounts.buka.balance
    assert proxy.seen == [Seen("GET", f"{nxcloud_simulator.url}/v3/getBalance", authorized=True)]
    assert nxcloud_simulator.requests.count("buka", "balance") == 1


def test_https_through_the_proxy_is_tunnelled_and_verified_with_the_ca_bundle(
    nxcloud_simulator, proxy, tls_front, ca, monkeypatch
):
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "tunnel",
        host=tls_front.url,
        extra={"proxy": proxy_url(proxy), "verify": ca[0]},
    )

    send_one(hook, "tunnelled-1")

    assert proxy.seen == [Seen("CONNECT", f"127.0.0.1:{tls_front.port}", authorized=True)]
    assert [e.client_reference for e in nxcloud_simulator.ledger.entries("buka")] == ["tunnelled-1"]


async def test_async_https_through_the_proxy_is_tunnelled(
    nxcloud_simulator, proxy, tls_front, ca, monkeypatch
):
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "tunnel_async",
        host=tls_front.url,
        extra={"proxy": proxy_url(proxy), "verify": ca[0]},
    )

    assert (await async_balance(hook))["balance"] == nxcloud_simulator.accounts.buka.balance
    assert proxy.seen == [Seen("CONNECT", f"127.0.0.1:{tls_front.port}", authorized=True)]


def test_a_proxy_refusing_the_credentials_is_not_a_send_in_doubt_and_never_shows_them(
    nxcloud_simulator, proxy, tls_front, ca, monkeypatch, caplog
):
    wrong = "wrong-proxy-pass-Z9"
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "proxy_refuses",
        host=tls_front.url,
        extra={"proxy": proxy_url(proxy, wrong), "verify": ca[0]},
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(VendorAPIError) as err:
        send_one(hook, "refused-1")

    assert isinstance(err.value, RetryableAPIError) and not isinstance(err.value, AmbiguousSendError)
    assert "the proxy refused to connect to the vendor (407 Proxy Authentication Required)" in str(err.value)
    assert nxcloud_simulator.requests.total() == 0
    assert [s.method for s in proxy.seen] == [
        "CONNECT"
    ] * 4  # refused, so retried in-hook like a refused connection
    shown = str(err.value) + repr(err.value) + caplog.text
    assert wrong not in shown and proxy_url(proxy, wrong) not in shown


async def test_the_async_client_reports_a_refused_tunnel_without_the_credentials(
    nxcloud_simulator, proxy, tls_front, ca, monkeypatch
):
    wrong = "wrong-proxy-pass-A1"
    hook = buka_conn(
        monkeypatch,
        nxcloud_simulator,
        "proxy_refuses_async",
        host=tls_front.url,
        extra={"proxy": proxy_url(proxy, wrong), "verify": ca[0]},
    )

    with pytest.raises(RetryableAPIError) as err:
        await async_balance(hook)

    assert "the proxy refused to connect to the vendor (407 Proxy Authentication Required)" in str(err.value)
    assert wrong not in str(err.value) + repr(err.value)
    assert nxcloud_simulator.requests.total() == 0


def test_an_unreachable_proxy_means_nothing_was_sent(nxcloud_simulator, monkeypatch):
    with ForwardingProxy() as gone:
        url = f"http://{PROXY_USER}:{PROXY_PASSWORD_IN_URL}@127.0.0.1:{gone.port}"
    hook = buka_conn(
        monkeypatch, nxcloud_simulator, "proxy_gone", host=nxcloud_simulator.url, extra={"proxy": url}
    )

    with pytest.raises(RetryableAPIError) as err:
        send_one(hook, "never-1")

    assert not isinstance(err.value, AmbiguousSendError)
    assert "the proxy could not be reached, so nothing was sent" in str(err.value)
    assert PROXY_PASSWORD_IN_URL not in str(err.value) and PROXY_PASSWORD not in str(err.value)
    assert nxcloud_simulator.requests.total() == 0


# ----- verify -----------------------------------------------------------------------------------


def test_a_ca_bundle_lets_the_hook_trust_a_private_ca(nxcloud_simulator, tls_front, ca, monkeypatch):
    hook = buka_conn(
        monkeypatch, nxcloud_simulator, "private_ca", host=tls_front.url, extra={"verify": ca[0]}
    )

    assert hook.get_balance()["balance"] == nxcloud_simulator.accounts.buka.balance
    assert nxcloud_simulator.requests.count("buka", "balance") == 1


async def test_the_async_client_trusts_the_ca_bundle_too(nxcloud_simulator, tls_front, ca, monkeypatch):
    hook = buka_conn(
        monkeypatch, nxcloud_simulator, "private_ca_async", host=tls_front.url, extra={"verify": ca[0]}
    )

    assert (await async_balance(hook))["balance"] == nxcloud_simulator.accounts.buka.balance


def test_without_the_ca_bundle_the_handshake_fails_and_nothing_is_sent(
    nxcloud_simulator, tls_front, monkeypatch
):
    hook = buka_conn(monkeypatch, nxcloud_simulator, "unknown_ca", host=tls_front.url)

    with pytest.raises(RetryableAPIError) as err:
        send_one(hook, "untrusted-1")

    assert not isinstance(err.value, AmbiguousSendError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("verify", [False, "false", "FALSE"])
def test_verify_false_skips_the_check_and_says_so(nxcloud_simulator, tls_front, monkeypatch, caplog, verify):
    hook = buka_conn(
        monkeypatch, nxcloud_simulator, "no_verify", host=tls_front.url, extra={"verify": verify}
    )

    with caplog.at_level(logging.WARNING):
        assert hook.get_balance()["balance"] == nxcloud_simulator.accounts.buka.balance
    assert "TLS certificates are not verified (extra verify=false)" in caplog.text


async def test_verify_false_reaches_the_async_client(nxcloud_simulator, tls_front, monkeypatch):
    hook = buka_conn(
        monkeypatch, nxcloud_simulator, "no_verify_async", host=tls_front.url, extra={"verify": "false"}
    )

    assert (await async_balance(hook))["balance"] == nxcloud_simulator.accounts.buka.balance


# ----- a host without a scheme ------------------------------------------------------------------


def test_a_bare_host_gets_https_and_fails_at_once_naming_the_host_when_the_server_speaks_http(
    nxcloud_simulator, monkeypatch
):
    port = nxcloud_simulator.port
    # the URI form people write first: host and port, no scheme
    monkeypatch.setenv("AIRFLOW_CONN_BARE_HOST", f"buka://key:secret-value-123@127.0.0.1:{port}/?app_id=a")
    sleeps: list[float] = []
    hook = BukaHook("bare_host", sleep=sleeps.append)
    assert hook.settings.origin == f"https://127.0.0.1:{port}"

    with pytest.raises(PermanentAPIError) as err:
        send_one(hook, "bare-1")

    message = str(err.value)
    assert err.value.code == "SCHEME_ASSUMED" and not isinstance(err.value, AmbiguousSendError)
    assert "the connection's host '127.0.0.1' has no scheme, so https:// was assumed" in message
    assert "set host to http://127.0.0.1 or the connection's schema to http" in message
    assert "secret-value-123" not in message
    assert sleeps == []  # failed on the first attempt: a retry would meet the same plain-http server
    assert nxcloud_simulator.requests.total() == 0


async def test_the_async_transport_explains_an_assumed_scheme_too(nxcloud_simulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_BARE_HOST_ASYNC", f"buka://key:secret-value-123@127.0.0.1:{nxcloud_simulator.port}"
    )
    with pytest.raises(PermanentAPIError, match="has no scheme, so https:// was assumed"):
        await async_balance(BukaHook("bare_host_async"))


@pytest.mark.parametrize(
    "uri",
    [
        # the path of a connection URI is the connection's schema: the scheme of a bare host
        "buka://{key}:{secret}@127.0.0.1:{port}/http?app_id={app}",
        # a host with its own scheme, written after the connection type's
        "buka://http://{key}:{secret}@127.0.0.1:{port}/?app_id={app}",
    ],
    ids=["schema-as-uri-path", "scheme-in-the-host"],
)
def test_the_uri_forms_that_name_the_scheme_reach_the_simulator(nxcloud_simulator, monkeypatch, uri):
    account = nxcloud_simulator.accounts.buka
    port = nxcloud_simulator.port
    filled = uri.format(key=account.api_key, secret=account.api_secret, port=port, app=account.app_id)
    monkeypatch.setenv("AIRFLOW_CONN_URI_FORM", filled)
    hook = BukaHook("uri_form")

    assert hook.settings.origin == f"http://127.0.0.1:{port}"
    assert hook.get_balance()["balance"] == account.balance
