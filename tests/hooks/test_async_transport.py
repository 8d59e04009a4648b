"""The async twin shares signing, parsing and classification, pools one client, and refuses to send."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from airflow_provider_nxcloud.exceptions import PermanentAPIError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import buka, nxcloud
from tests.hooks.conftest import NX_SECRET

pytestmark = pytest.mark.usefixtures("connections")


async def transport_for(hook, handler, sleeps):
    return await hook.get_async_transport(
        sleep=_recorder(sleeps), httpx_transport=httpx.MockTransport(handler)
    )


def _recorder(sleeps):
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep


async def test_async_read_retries_then_succeeds(sleeps, clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(503)
        return httpx.Response(200, json={"status": "0", "array": [{"msgId": "m1", "status": 0}]})

    transport = await transport_for(BukaHook(clock=clock), handler, sleeps)
    reply = await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "a", "msgIds": "m1"})
    assert reply["array"][0]["status"] == 0
    assert len(seen) == 3 and len(sleeps) == 2
    assert seen[-1].url.path == "/v3/getReport" and seen[-1].url.params["msgIds"] == "m1"
    assert seen[-1].headers["Sign"] == buka.sign(
        "buka-key", "buka-api-secret-XYZ", seen[-1].headers["Timestamp"]
    )


async def test_async_signs_the_exact_bytes_and_resigns(sleeps, clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 1004 if len(seen) == 1 else 0, "data": {"result": []}})

    transport = await transport_for(NXCloudHook(clock=clock), handler, sleeps)
    await transport.request(nxcloud.ENDPOINTS["number_check_query"], json_body={"page": 1, "note": "牛"})
    assert len(seen) == 2 and sleeps == []
    last = seen[-1]
    assert last.content == nxcloud.serialize_body({"page": 1, "note": "牛"}).encode()
    assert last.headers["sign"] == nxcloud.sign(
        "nx-access-key", NX_SECRET, "1", "numbercheck", last.headers["ts"], last.content
    )


async def test_async_permanent_error(sleeps, clock):
    transport = await transport_for(
        BukaHook(clock=clock), lambda r: httpx.Response(200, json={"status": "-1", "reason": "auth"}), sleeps
    )
    with pytest.raises(PermanentAPIError) as err:
        await transport.request(buka.ENDPOINTS["sms_report"], params={})
    assert err.value.code == "-1"


async def test_async_transport_never_sends(sleeps):
    transport = await transport_for(BukaHook(), lambda r: httpx.Response(200, json={"status": "0"}), sleeps)
    with pytest.raises(TypeError, match="triggers never send"):
        await transport.request(buka.ENDPOINTS["sms_send"], json_body={})


class ClosingCount(httpx.MockTransport):
    """A mock network that counts the clients closed over it (a client closes its transport)."""

    def __init__(self, handler) -> None:
        super().__init__(handler)
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


def _report(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "0", "array": []})


async def test_an_open_transport_sends_every_request_through_one_client(sleeps):
    network = ClosingCount(_report)
    transport = await BukaHook().get_async_transport(sleep=_recorder(sleeps), httpx_transport=network)

    async with transport:
        for _ in range(3):
            await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "a", "msgIds": "m1"})
        assert network.closed == 0
    assert network.closed == 1  # one client for the three requests, closed with the block

    await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "a", "msgIds": "m1"})
    assert network.closed == 2  # outside the block a request gets a client of its own


async def test_a_cancelled_wait_closes_the_client(sleeps):
    network = ClosingCount(_report)
    transport = await BukaHook().get_async_transport(sleep=_recorder(sleeps), httpx_transport=network)
    asked = asyncio.Event()

    async def wait() -> None:
        async with transport:
            await transport.request(buka.ENDPOINTS["sms_report"], params={"appId": "a", "msgIds": "m1"})
            asked.set()
            await asyncio.Event().wait()  # cancelled here

    running = asyncio.ensure_future(wait())
    await asyncio.wait_for(asked.wait(), timeout=5)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert network.closed == 1
