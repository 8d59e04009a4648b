"""The shape every vendor endpoint is described in, and what a parsed reply looks like.

Adding an endpoint means one :class:`Endpoint` row in a platform module, one
hook method that calls it, and one thin operator.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class Kind(str, enum.Enum):
    """Whether calling an endpoint has an effect the vendor bills or the recipient sees."""

    #: creates messages, calls, tasks or bindings: never repeated blindly
    SEND = "send"
    #: reads state: safe to repeat
    READ = "read"


class BodyFormat(str, enum.Enum):
    JSON = "json"
    FORM = "form"
    MULTIPART = "multipart"
    #: no body; arguments travel in the query string
    NONE = "none"


class Auth(str, enum.Enum):
    """How a request proves who sends it."""

    #: NXCloud open platform: accessKey/ts/bizType/action/sign headers
    NXCLOUD_SIGNED = "nxcloud_signed"
    #: NXCloud legacy: appkey/secretkey of one application inside the form body
    NXCLOUD_APPKEY = "nxcloud_appkey"
    #: Buka: Api-Key/Timestamp/Sign headers
    BUKA_SIGNED = "buka_signed"
    #: Fone Dynamics: HTTP Basic with AccountSid and Token
    BASIC = "basic"


@dataclass(frozen=True)
class Endpoint:
    """One vendor operation, as the vendor documents it."""

    name: str
    platform: str
    #: which code catalog explains this endpoint's result codes
    service: str
    method: str
    #: path below the platform's origin (and base path); ``{name}`` marks path parameters
    path: str
    kind: Kind
    auth: Auth
    body: BodyFormat = BodyFormat.JSON
    #: the vendor's own origin for this endpoint; a connection's host replaces it
    origin: str = ""
    #: NXCloud signed endpoints: the bizType and action headers
    biz_type: str | None = None
    action: str | None = None
    #: codes (as text) that mean success in this endpoint's envelope
    success_codes: frozenset[str] = frozenset({"0"})

    def url_path(self, path_params: Mapping[str, Any] | None = None) -> str:
        from urllib.parse import quote

        if not path_params:
            return self.path
        return self.path.format(**{k: quote(str(v), safe="") for k, v in path_params.items()})


@dataclass(frozen=True)
class Reply:
    """A vendor response reduced to what error handling needs."""

    ok: bool
    #: the vendor's code as text (HTTP status for gateway errors), None on success
    code: str | None = None
    #: the catalog service that explains ``code`` (the endpoint's, or "http")
    service: str | None = None
    message: str = ""
    request_id: str | None = None


def endpoint_table(rows: Iterable[Endpoint]) -> dict[str, Endpoint]:
    table: dict[str, Endpoint] = {}
    for row in rows:
        if row.name in table:
            raise ValueError(f"endpoint {row.name} is defined twice")
        table[row.name] = row
    return table


def first_text(payload: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    """The first of ``keys`` that holds a non-empty scalar, as text."""
    for key in keys:
        value = payload.get(key)
        if value is not None and value != "" and not isinstance(value, dict | list):
            return str(value)
    return None
