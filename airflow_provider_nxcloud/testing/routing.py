"""Shared plumbing of the per-platform routers: one small function per simulated endpoint.

A simulator module writes one plain function per endpoint and exports them in a
table keyed by endpoint name; it imports nothing that imports it back::

    def balance(call: Call) -> Reply:
        return {"status": "0", "reason": "success", "balance": "1000.00"}

    HANDLERS: dict[str, Handler] = {"balance": balance, ...}

:mod:`~airflow_provider_nxcloud.testing.platform_index` builds each platform's
:class:`VendorRouter` from its endpoint table in ``platforms/`` and the handler
tables of its modules::

    VendorRouter("buka", buka.ENDPOINTS, handlers=(buka.HANDLERS, ...), prefix="/v3", ...)

Method and path come from the table, never from the simulator, so the
simulator serves exactly what the hooks call. Endpoints that share a path
(NXCloud PNS: one URL, the operation named by the ``action`` header) are
served by one route; the platform's ``authenticate`` picks the endpoint.
"""

from __future__ import annotations

import hmac
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_nxcloud.platforms.contracts import Contract
from airflow_provider_nxcloud.platforms.endpoints import BodyFormat, Endpoint
from airflow_provider_nxcloud.testing.faults import HTTP_STATUS_OF, FaultKind
from airflow_provider_nxcloud.testing.state import SimulatorState

Reply = Response | Mapping[str, Any] | list[Any]


class Reject(Exception):
    """Raised by auth checks and handlers: answer with ``response`` instead of going on."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class BadBody(ValueError):
    """The body is not what the endpoint's format promises (not JSON, not an object, ...)."""


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (which ``hmac`` refuses as str)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def json_reply(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(payload, status_code=status, headers=dict(headers or {}))


@dataclass
class Call:
    """One request to a vendor endpoint, as the handler sees it."""

    state: SimulatorState
    request: Request
    body: bytes
    #: the endpoints served at this method and path (one, except NXCloud PNS)
    candidates: Sequence[Endpoint]
    endpoint: Endpoint
    path_params: Mapping[str, str]
    #: whom the credentials belong to, set by the platform's authenticate
    account: Any = None
    #: a multipart body's parts (plain fields as text, file parts as uploads), read before dispatch
    multipart: Mapping[str, Any] | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    @cached_property
    def _json(self) -> Any:
        if not self.body.strip():
            raise BadBody("the body is empty")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BadBody(f"the body is not JSON: {exc}") from None

    def json(self) -> Any:
        """The body parsed as JSON (raises :class:`BadBody`)."""
        return self._json

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise BadBody("the body is not a JSON object")
        return data

    @cached_property
    def form(self) -> dict[str, str]:
        """A urlencoded form body (last value wins); empty when the body is not a form."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        return dict(parse_qsl(text, keep_blank_values=True))

    def payload(self) -> Any:
        """The request's arguments as its endpoint carries them: JSON, form, multipart or query."""
        body = self.endpoint.body
        if body is BodyFormat.JSON:
            return self.json()
        if body is BodyFormat.FORM:
            return self.form
        if body is BodyFormat.MULTIPART:
            return dict(self.multipart or {})
        return dict(self.query)

    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def now(self) -> float:
        """The progress clock."""
        return self.state.clock.now()


Handler = Callable[[Call], Reply]
#: checks credentials, sets ``call.account`` and returns the endpoint chosen among the candidates
Authenticate = Callable[[Call], Endpoint]
BadBodyReply = Callable[[Call, BadBody], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    endpoints: tuple[Endpoint, ...]


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


class VendorRouter:
    """The simulated endpoints of one platform, built from its ``platforms`` endpoint table."""

    def __init__(
        self,
        platform: str,
        table: Mapping[str, Endpoint],
        *,
        handlers: Sequence[Mapping[str, Handler]],
        authenticate: Authenticate,
        bad_body: BadBodyReply,
        service_bad_body: Mapping[str, BadBodyReply] | None = None,
        prefix: str = "",
        select: Callable[[Headers, Sequence[Endpoint]], Endpoint | None] | None = None,
        contracts: Sequence[Contract] = (),
    ) -> None:
        self.platform = platform
        self.table = table
        self.prefix = prefix.rstrip("/")
        self.authenticate = authenticate
        self.bad_body = bad_body
        #: a service's own reply to a bad body, where it is not the platform's ``bad_body``
        self.service_bad_body = dict(service_bad_body or {})
        self._select = select or (lambda headers, endpoints: endpoints[0] if len(endpoints) == 1 else None)
        #: the function that simulates each endpoint, merged from the modules' tables
        self.handlers: dict[str, Handler] = {}
        for handler_table in handlers:
            for name, func in handler_table.items():
                if name not in table:
                    raise KeyError(f"{platform} has no endpoint {name!r} in its table")
                if name in self.handlers:
                    raise ValueError(f"{platform}/{name} is simulated twice")
                self.handlers[name] = func
        #: the documented contract of each endpoint that has one: a request breaking it is refused
        self.contracts = {contract.endpoint: contract for contract in contracts}
        unknown = set(self.contracts) - set(table)
        if unknown:
            raise KeyError(f"{platform} has contracts for endpoints not in its table: {sorted(unknown)}")
        grouped: dict[tuple[str, str], list[Endpoint]] = {}
        for endpoint in table.values():
            grouped.setdefault((endpoint.method, self.prefix + endpoint.path), []).append(endpoint)
        self._routes = [
            _Route(method, path, _compile(path), tuple(endpoints))
            for (method, path), endpoints in grouped.items()
        ]

    # ----- serving ----------------------------------------------------------------------

    def mount(self, app: Any, state: SimulatorState) -> None:
        """Add one route per (method, path) of the table.

        Endpoints without a handler still check auth, then answer 404 naming the
        endpoint, so a test sees "not simulated" rather than a bare "not found".
        """
        for route in self._routes:
            app.add_route(route.path, self._serve(route, state), methods=[route.method])

    def _serve(self, route: _Route, state: SimulatorState) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            body = await request.body()
            multipart = None
            if any(endpoint.body is BodyFormat.MULTIPART for endpoint in route.endpoints):
                form = await request.form()
                multipart = {key: value for key, value in form.multi_items()}
            call = Call(
                state=state,
                request=request,
                body=body,
                candidates=route.endpoints,
                endpoint=route.endpoints[0],
                path_params=dict(request.path_params),
                multipart=multipart,
            )
            return self.dispatch(call)

        return serve

    def dispatch(self, call: Call) -> Response:
        try:
            call.endpoint = self.authenticate(call)
            self.check_contract(call)
            handler = self.handlers.get(call.endpoint.name)
            if handler is None:
                return json_reply({"detail": f"{call.endpoint.name} is not simulated"}, 404)
            return _as_response(handler(call))
        except Reject as reject:
            return reject.response
        except BadBody as exc:
            return self.service_bad_body.get(call.endpoint.service, self.bad_body)(call, exc)

    def check_contract(self, call: Call) -> None:
        """Refuse (as the vendor's parameter error) a request that breaks its documented contract."""
        contract = self.contracts.get(call.endpoint.name)
        if contract is None:
            return
        text_values = call.endpoint.body is not BodyFormat.JSON
        problems = contract.violations(call.payload(), text_values=text_values)
        if problems:
            raise BadBody(f"breaks the documented contract ({contract.source}): " + "; ".join(problems))

    # ----- resolution (for the request log and faults) ------------------------------------

    def resolve(self, method: str, path: str, headers: Headers) -> Endpoint | None:
        """The table endpoint a request is for, or None for paths the vendor does not have."""
        for route in self._routes:
            if route.method == method and route.pattern.match(path):
                return self._select(headers, route.endpoints)
        return None


def _as_response(reply: Reply) -> Response:
    if isinstance(reply, Response):
        return reply
    return json_reply(reply)


FaultReply = Callable[[FaultKind, Endpoint | None], Response | None]
#: the reply that answers a vendor code on an endpoint (the ``vendor_code`` fault)
CodeReply = Callable[[Endpoint, str], Response]


@dataclass(frozen=True)
class PlatformSim:
    """What the app needs from each simulated platform (assembled in ``platform_index``)."""

    name: str
    #: path prefixes this platform answers (``/api/``, ``/v1/`` for NXCloud, ...)
    prefixes: tuple[str, ...]
    router: VendorRouter
    #: the reply that injects a fault kind on an endpoint, or None when the kind does not apply there
    fault_reply: FaultReply
    #: the reply that answers a given vendor code on an endpoint; None: ``vendor_code`` does not apply
    code_reply: CodeReply | None = None


#: statuses whose gateway page asks the client to come back later
RETRY_AFTER_STATUSES = frozenset({429, 503})


def gateway_reply(kind: FaultKind) -> Response:
    """An HTTP error from a gateway in front of the vendor (an HTML page, as nginx writes it)."""
    return gateway_status_reply(HTTP_STATUS_OF[kind])


def gateway_status_reply(status: int) -> Response:
    """The HTML error page a gateway answers ``status`` with (``Retry-After: 1`` on 429 and 503)."""
    text = f"{status} {HTTPStatus(status).phrase}"
    headers = {"Retry-After": "1"} if status in RETRY_AFTER_STATUSES else {}
    html = f"<html><head><title>{text}</title></head><body><center><h1>{text}</h1></center></body></html>"
    return Response(html, status_code=status, media_type="text/html", headers=headers)
