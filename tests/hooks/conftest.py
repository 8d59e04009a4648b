from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from airflow_provider_nxcloud.testing.redis import redis_server

ORIGIN = "https://vendor.test"
NX_SECRET = "nx-access-secret-XYZ"
BUKA_SECRET = "buka-api-secret-XYZ"
FD_TOKEN = "fd-token-XYZ"
SMS_APP_SECRET = "nx-sms-app-secret-XYZ"
SECRETS = (NX_SECRET, BUKA_SECRET, FD_TOKEN, SMS_APP_SECRET)


def set_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The three default connections, pointed at a fake origin that requests_mock answers."""
    set_conn(
        monkeypatch,
        "nxcloud_default",
        conn_type="nxcloud",
        login="nx-access-key",
        password=NX_SECRET,
        host=ORIGIN,
        extra={"sms_app_key": "sms-app", "sms_app_secret": SMS_APP_SECRET, "number_check_app_key": "nc-app"},
    )
    set_conn(
        monkeypatch,
        "buka_default",
        conn_type="buka",
        login="buka-key",
        password=BUKA_SECRET,
        host=ORIGIN,
        extra={"app_id": "sms-app"},
    )
    set_conn(
        monkeypatch,
        "fonedynamics_default",
        conn_type="fonedynamics",
        login="AC123",
        password=FD_TOKEN,
        host=ORIGIN,
        extra={"property_sid": "PR1"},
    )


class FakeClock:
    """A clock the test controls; every reading ticks one second, as time passes between attempts."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private redis-server on a free loopback port (no persistence), stopped after the test."""
    with redis_server() as url:
        yield url
