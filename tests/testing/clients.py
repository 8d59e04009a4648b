"""Raw HTTP clients for the simulator tests: each builds a correct request by default,
and takes overrides that make it wrong in exactly one way."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests

from airflow_provider_nxcloud.platforms import buka, nxcloud
from airflow_provider_nxcloud.testing import accounts

JSON = "application/json;charset=UTF-8"
FORM = "application/x-www-form-urlencoded;charset=UTF-8"
TIMEOUT = 10


def _apply(headers: dict[str, str], overrides: Mapping[str, str | None] | None) -> dict[str, str]:
    """Overrides replace headers; a None value removes the header."""
    for name, value in (overrides or {}).items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    return headers


def nx_signed(
    url: str,
    endpoint_name: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    signed_body: bytes | None = None,
    algorithm: str = "md5",
    ts_ms: int | None = None,
    access_key: str = accounts.NXCLOUD_ACCESS_KEY,
    access_secret: str = accounts.NXCLOUD_ACCESS_SECRET,
    content_type: str = JSON,
    headers: Mapping[str, str | None] | None = None,
) -> requests.Response:
    """POST to a signed NXCloud endpoint; ``raw`` is sent, ``signed_body`` (default ``raw``) is signed."""
    endpoint = nxcloud.ENDPOINTS[endpoint_name]
    data = raw if raw is not None else nxcloud.serialize_body(body if body is not None else {}).encode()
    ts = ts_ms if ts_ms is not None else int(time.time() * 1000)
    signed = nxcloud.signed_headers(
        access_key, access_secret, endpoint, ts, signed_body if signed_body is not None else data, algorithm
    )
    sent = _apply({**signed, "Content-Type": content_type}, headers)
    return requests.post(url + endpoint.path, data=data, headers=sent, timeout=TIMEOUT)


def nx_legacy(
    url: str,
    endpoint_name: str,
    form: Mapping[str, str] | None = None,
    *,
    appkey: str | None = accounts.NXCLOUD_SMS_APP_KEY,
    secretkey: str | None = accounts.NXCLOUD_SMS_APP_SECRET,
) -> requests.Response:
    endpoint = nxcloud.ENDPOINTS[endpoint_name]
    fields = {"appkey": appkey, "secretkey": secretkey, **(form or {})}
    data = {k: v for k, v in fields.items() if v is not None}
    return requests.post(url + endpoint.path, data=data, headers={"Content-Type": FORM}, timeout=TIMEOUT)


def buka_call(
    url: str,
    endpoint_name: str,
    body: Any = None,
    *,
    params: Mapping[str, str] | None = None,
    path_params: Mapping[str, str] | None = None,
    api_key: str = accounts.BUKA_API_KEY,
    api_secret: str = accounts.BUKA_API_SECRET,
    timestamp: int | None = None,
    headers: Mapping[str, str | None] | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    endpoint = buka.ENDPOINTS[endpoint_name]
    ts = timestamp if timestamp is not None else int(time.time())
    sent = _apply(
        {**buka.signed_headers(api_key, api_secret, ts), "Content-Type": buka.CONTENT_TYPE}, headers
    )
    target = url + buka.BASE_PATH + endpoint.url_path(path_params)
    data = nxcloud.serialize_body(body).encode() if body is not None else None
    return (session or requests).request(
        endpoint.method, target, data=data, params=params, headers=sent, timeout=TIMEOUT
    )


def fd_call(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: tuple[str, str] | None = (accounts.FONEDYNAMICS_ACCOUNT_SID, accounts.FONEDYNAMICS_TOKEN),
    params: Mapping[str, str] | None = None,
) -> requests.Response:
    return requests.request(method, url + path, json=body, auth=auth, params=params, timeout=TIMEOUT)


def buka_sms(url: str, numbers: str, content: str = "hello", **extra: Any) -> requests.Response:
    return buka_call(
        url, "sms_send", {"appId": accounts.BUKA_SMS_APP_ID, "numbers": numbers, "content": content, **extra}
    )


def nx_sms(url: str, phone: str, content: str = "hello", **extra: Any) -> requests.Response:
    body = {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": phone, "content": content, **extra}
    return nx_signed(url, "sms_send_v2", body)


PROPERTY_PATH = f"/v2/Properties/{accounts.FONEDYNAMICS_PROPERTY_SID}"
