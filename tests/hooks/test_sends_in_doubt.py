"""A send is repeated in-hook only when the vendor provably refused it (DESIGN.md, error semantics).

Against the simulator, whose ledger says what the vendor really accepted: a gateway that
answers 503 after it forwarded the send (``http_503_after``) leaves one copy and an
:class:`AmbiguousSendError`, never a second copy; a 429 (the vendor throttled, nothing was
taken) is repeated in-hook; a read meeting a 503 is repeated in-hook, sync and async.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_nxcloud.exceptions import AmbiguousSendError
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.platforms import buka, fonedynamics
from airflow_provider_nxcloud.polling import Call
from airflow_provider_nxcloud.testing import accounts

NUMBER = "6112345678"
REFERENCE = "batch-0007"


def no_wait(seconds: float) -> None:
    """Backoff waits are skipped, not slept."""


def buka_send() -> Any:
    message = buka.sms_message([NUMBER], "flash sale at noon", order_ids=[REFERENCE])
    return BukaHook(sleep=no_wait).send_sms(accounts.BUKA_SMS_APP_ID, message, client_reference=REFERENCE)


def nxcloud_send() -> Any:
    return NXCloudHook(sleep=no_wait).send_sms(
        [NUMBER],
        "flash sale at noon",
        app_key=accounts.NXCLOUD_SMS_APP_KEY,
        sys_message_id=REFERENCE,
        client_reference=REFERENCE,
    )


def fonedynamics_send() -> Any:
    return FoneDynamicsHook(sleep=no_wait).send_message(
        "+61412345678", "flash sale at noon", external_id=REFERENCE, client_reference=REFERENCE
    )


def fonedynamics_send_batch() -> Any:
    message = {"To": "+61412345678", "Text": "flash sale at noon", "ExternalId": REFERENCE}
    return FoneDynamicsHook(sleep=no_wait).send_batch([message], client_reference=REFERENCE)


#: (platform, the endpoint's name, the send through the hook's typed method)
SENDS: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "buka": ("buka", "sms_send", buka_send),
    "nxcloud": ("nxcloud", "sms_send_v2", nxcloud_send),
    "fonedynamics": ("fonedynamics", "send_message", fonedynamics_send),
    "fonedynamics-batch": ("fonedynamics", "send_batch", fonedynamics_send_batch),
}

#: (platform, a read through the hook's typed method, its endpoint's name)
READS: dict[str, tuple[str, Callable[[], Any], str]] = {
    "buka": ("buka", lambda: BukaHook(sleep=no_wait).get_balance(), "balance"),
    "nxcloud": ("nxcloud", lambda: NXCloudHook(sleep=no_wait).get_balance(), "balance"),
    "fonedynamics": ("fonedynamics", lambda: FoneDynamicsHook(sleep=no_wait).get_property(), "get_property"),
}


@pytest.mark.parametrize("name", SENDS)
def test_send_answered_503_after_the_vendor_took_it_is_in_doubt_never_resent(nxcloud_simulator, name):
    platform, endpoint, send = SENDS[name]
    nxcloud_simulator.faults.next("http_503_after", endpoint=endpoint, platform=platform)

    with pytest.raises(AmbiguousSendError) as raised:
        send()

    assert nxcloud_simulator.requests.count(platform, endpoint) == 1
    assert [(e.recipient[-8:], e.client_reference) for e in nxcloud_simulator.ledger.entries()] == [
        (NUMBER[-8:], REFERENCE)
    ]
    assert nxcloud_simulator.ledger.duplicates() == {}
    error = raised.value
    assert (error.http_status, error.code, error.client_reference) == (503, "503", REFERENCE)
    assert REFERENCE in str(error)
    for secret in (accounts.BUKA_API_SECRET, accounts.NXCLOUD_ACCESS_SECRET, accounts.FONEDYNAMICS_TOKEN):
        assert secret not in str(error)


@pytest.mark.parametrize("name", SENDS)
def test_send_answered_429_is_repeated_in_hook_once_accepted(nxcloud_simulator, name):
    platform, endpoint, send = SENDS[name]
    nxcloud_simulator.faults.next("http_429", endpoint=endpoint, platform=platform)

    send()

    assert nxcloud_simulator.requests.count(platform, endpoint) == 2
    assert nxcloud_simulator.ledger.count() == 1
    assert nxcloud_simulator.ledger.duplicates() == {}


@pytest.mark.parametrize("kind", ["http_503", "http_503_after"])
@pytest.mark.parametrize("name", READS)
def test_read_meeting_503_is_repeated_in_hook(nxcloud_simulator, name, kind):
    platform, read, endpoint = READS[name]
    nxcloud_simulator.faults.next(kind, endpoint=endpoint, platform=platform)

    assert read()

    assert nxcloud_simulator.requests.count(platform, endpoint) == 2
    assert nxcloud_simulator.faults.counts() == {kind: 1}


#: platform -> (the hook, a poll read as a trigger makes it: the hook's ``Call``)
POLLS: dict[str, tuple[type[Any], Callable[[], Call]]] = {
    "buka": (BukaHook, lambda: BukaHook.report_call(accounts.BUKA_SMS_APP_ID, ["m-unknown"])),
    "nxcloud": (
        NXCloudHook,
        lambda: NXCloudHook.number_check_query_call(
            "batch-unknown", "2026-12-01", app_key=accounts.NXCLOUD_NUMBER_CHECK_APP_KEY
        ),
    ),
    "fonedynamics": (
        FoneDynamicsHook,
        lambda: Call(
            fonedynamics.ENDPOINTS["get_property"],
            {"path_params": {"property_sid": accounts.FONEDYNAMICS_PROPERTY_SID}},
        ),
    ),
}


@pytest.mark.parametrize("platform", POLLS)
async def test_async_read_meeting_503_after_is_repeated_in_hook(nxcloud_simulator, platform):
    hook_class, poll = POLLS[platform]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = await hook_class().get_async_transport(sleep=sleep)
    call = poll()
    nxcloud_simulator.faults.next("http_503_after", endpoint=call.endpoint.name, platform=platform)

    await transport.request(call.endpoint, **call.kwargs)

    assert nxcloud_simulator.requests.count(platform, call.endpoint.name) == 2
    assert waits and waits[0] >= 1.0  # the gateway's Retry-After: 1
