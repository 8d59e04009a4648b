"""The baseline: what a PythonOperator built from the vendors' sample code does.

One ``requests.post`` per chunk (1,000 numbers for Buka, 100 for NXCloud and Fone
Dynamics, their per-request limits), one after another, headers signed afresh for
each request, no session (so no connection reuse), no validation, no progress
record, no client references: the cheapest correct-looking loop, against which
the provider has to be at least as fast.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from airflow_provider_nxcloud.platforms import nxcloud as nxcloud_vendor
from airflow_provider_nxcloud.testing import accounts
from bench.data import read_numbers

TEXT = "Your parcel is on its way"
CHUNK = {"buka": 1000, "nxcloud": 100, "fonedynamics": 100}
_NXCLOUD_SEND = nxcloud_vendor.ENDPOINTS["sms_send_v2"]


@dataclass(frozen=True)
class BaselineRun:
    platform: str
    recipients: int
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.recipients / self.seconds if self.seconds else 0.0


def _chunks(numbers: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(numbers)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _buka(url: str, chunk: list[str]) -> int:
    timestamp = str(int(time.time()))
    key, secret = accounts.BUKA_API_KEY, accounts.BUKA_API_SECRET
    headers = {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": key,
        "Timestamp": timestamp,
        "Sign": hashlib.md5(f"{key}{secret}{timestamp}".encode()).hexdigest(),
    }
    body = {"appId": accounts.BUKA_SMS_APP_ID, "numbers": ",".join(chunk), "content": TEXT}
    reply = requests.post(f"{url}/v3/sendSms", json=body, headers=headers, timeout=30).json()
    if reply.get("status") != "0":
        raise RuntimeError(f"Buka refused a chunk: {reply}")
    return int(reply["success"])


def _nxcloud(url: str, chunk: list[str]) -> int:
    body = json.dumps(
        {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": ",".join(chunk), "content": TEXT},
        separators=(",", ":"),
    )
    ts = str(int(time.time() * 1000))
    biz_type, action = str(_NXCLOUD_SEND.biz_type), str(_NXCLOUD_SEND.action)
    headers = {
        "Content-Type": "application/json;charset=UTF-8",
        "accessKey": accounts.NXCLOUD_ACCESS_KEY,
        "ts": ts,
        "bizType": biz_type,
        "action": action,
        "sign": nxcloud_vendor.sign(
            accounts.NXCLOUD_ACCESS_KEY, accounts.NXCLOUD_ACCESS_SECRET, biz_type, action, ts, body
        ),
    }
    reply = requests.post(f"{url}/api/sms/mtsend_v2", data=body.encode(), headers=headers, timeout=30).json()
    if str(reply.get("code")) != "0":
        raise RuntimeError(f"NXCloud refused a chunk: {reply}")
    return len(chunk)


def _fonedynamics(url: str, chunk: list[str]) -> int:
    messages = [{"To": f"+{number}", "Text": TEXT} for number in chunk]
    reply = requests.post(
        f"{url}/v2/Properties/{accounts.FONEDYNAMICS_PROPERTY_SID}/BatchMessages",
        json={"Messages": messages},
        auth=(accounts.FONEDYNAMICS_ACCOUNT_SID, accounts.FONEDYNAMICS_TOKEN),
        timeout=30,
    )
    reply.raise_for_status()
    return sum(1 for item in reply.json() if item.get("MessageSid"))


SENDERS: dict[str, Callable[[str, list[str]], int]] = {
    "buka": _buka,
    "nxcloud": _nxcloud,
    "fonedynamics": _fonedynamics,
}


def run(platform: str, url: str, numbers_file: Path) -> BaselineRun:
    """Send every number of the file the sample-code way; the wall time includes reading the file."""
    send = SENDERS[platform]
    accepted = requests_made = 0
    started = time.perf_counter()
    for chunk in _chunks(read_numbers(numbers_file), CHUNK[platform]):
        accepted += send(url, chunk)
        requests_made += 1
    return BaselineRun(platform, accepted, requests_made, time.perf_counter() - started)


def describe(run: Any) -> str:
    return f"{run.per_second:,.0f} rcpt/s"
