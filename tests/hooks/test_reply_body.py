"""The reply's body is read in one piece, and a body lost on the way still makes a send in doubt.

A raw socket server plays the vendor: it takes the request whole, then answers with a body cut
short, or stalls in the middle of it. The request was written either way: a send must end in
:class:`AmbiguousSendError` (never repeated in-hook), a read is repeated in-hook.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_nxcloud.exceptions import AmbiguousSendError, RetryableAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.testing import accounts
from airflow_provider_nxcloud.testing.accounts import Accounts

REFERENCE = "batch-0001"
FULL_BODY = json.dumps(
    {"status": "0", "reason": "success", "success": "1", "fail": "0", "array": []}
).encode()


class RawVendor:
    """Answers every request on a loopback port with ``answer(connection)``; counts the requests."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += connection.recv(65536)
                length = (
                    int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                    if b"Content-Length" in head
                    else 0
                )
                body = head.split(b"\r\n\r\n", 1)[1]
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests += 1
                self.answer(connection)

    def close(self) -> None:
        self._server.close()


def reply_head(length: int) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()


def cut_short(connection: socket.socket) -> None:
    connection.sendall(reply_head(len(FULL_BODY)) + FULL_BODY[:10])


def stall(connection: socket.socket) -> None:
    connection.sendall(reply_head(len(FULL_BODY)) + FULL_BODY[:10])
    time.sleep(2.5)


def whole(connection: socket.socket) -> None:
    connection.sendall(reply_head(len(FULL_BODY)) + FULL_BODY)


@pytest.fixture
def vendor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RawVendor]:
    server = RawVendor(request.param)
    for name, value in Accounts().connection_env(server.url).items():
        conn = json.loads(value)
        conn["extra"] = {**conn["extra"], "read_timeout": 1}
        monkeypatch.setenv(name, json.dumps(conn))
    yield server
    server.close()


def send() -> Any:
    message = buka.sms_message(["6591234567"], "hello", order_ids=[REFERENCE])
    return BukaHook(sleep=lambda seconds: None).send_sms(
        accounts.BUKA_SMS_APP_ID, message, client_reference=REFERENCE
    )


@pytest.mark.parametrize("vendor", [whole], indirect=True)
def test_a_whole_body_is_read(vendor):
    assert send()["status"] == "0"
    assert send()["status"] == "0"
    assert vendor.requests == 2


@pytest.mark.parametrize(
    ("vendor", "why"),
    [(cut_short, "transport error"), (stall, "read timed out after the request was sent")],
    indirect=["vendor"],
)
def test_a_send_whose_body_was_lost_is_in_doubt_and_not_repeated(vendor, why):
    with pytest.raises(AmbiguousSendError) as raised:
        send()
    assert vendor.requests == 1
    assert raised.value.client_reference == REFERENCE
    assert why in str(raised.value)


@pytest.mark.parametrize("vendor", [cut_short], indirect=True)
def test_a_read_whose_body_was_lost_is_repeated_in_hook(vendor):
    with pytest.raises(RetryableAPIError):
        BukaHook(sleep=lambda seconds: None).get_balance()
    assert vendor.requests > 1


def test_proxies_from_the_environment_are_read_once_per_origin(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "vendor-b.test")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", os.devnull)
    for name, value in Accounts().connection_env("https://vendor-a.test").items():
        monkeypatch.setenv(name, value)
    transport = BukaHook().get_conn()
    proxies, verify = transport._environment("https://vendor-a.test/v3/sendSms")
    assert (proxies["https"], verify) == ("http://proxy.internal:3128", os.devnull)
    assert transport._environment("https://vendor-b.test/v3/sendSms")[0] == {}
    assert transport.session.trust_env is False
