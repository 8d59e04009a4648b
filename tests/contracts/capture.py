"""Requests captured at the transport, read back as the vendor would read them.

The hooks send through ``requests``; ``requests_mock`` stands in for the network
(not for any of our code), records every request the hook writes and answers
with a documented example reply. :func:`payload_of` turns a captured request
into the arguments the endpoint carries (JSON, form, multipart or query), so a
test can hold it against the endpoint's documented contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests_mock

from airflow_provider_nxcloud.platforms.contract_index import CONTRACTS
from airflow_provider_nxcloud.platforms.contracts import Contract
from airflow_provider_nxcloud.platforms.endpoints import BodyFormat, Endpoint


@dataclass(frozen=True)
class FilePart:
    """A multipart part sent with a filename (a file upload, not a plain field)."""

    filename: str
    content: bytes


@contextmanager
def vendor_network(reply: Any = None, *, status: int = 200) -> Iterator[requests_mock.Mocker]:
    """Every request to any host is recorded and answered with ``reply`` (JSON)."""
    with requests_mock.Mocker() as network:
        network.register_uri(requests_mock.ANY, requests_mock.ANY, json=reply, status_code=status)
        yield network


def payload_of(request: Any, endpoint: Endpoint) -> Any:
    """The arguments of a captured request, in the form its endpoint documents them."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if endpoint.body is BodyFormat.JSON:
        return json.loads(body)
    if endpoint.body is BodyFormat.FORM:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if endpoint.body is BodyFormat.MULTIPART:
        return multipart_fields(request.headers["Content-Type"], body)
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def multipart_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """Plain fields as text, file parts as :class:`FilePart`."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        content = part.get_payload(decode=True) or b""
        fields[str(name)] = FilePart(filename, content) if filename is not None else content.decode("utf-8")
    return fields


def contract_for(endpoint: Endpoint) -> Contract:
    return CONTRACTS[(endpoint.platform, endpoint.name)]


def assert_holds(request: Any, endpoint: Endpoint) -> Any:
    """Assert the captured request satisfies its endpoint's documented contract; return its payload."""
    contract = contract_for(endpoint)
    payload = payload_of(request, endpoint)
    problems = contract.violations(payload, text_values=endpoint.body is not BodyFormat.JSON)
    assert not problems, f"{endpoint.platform}/{endpoint.name} ({contract.source}): {problems}"
    return payload
