"""The ASGI application: all three vendors on one origin, plus ``/_simulator/`` control routes.

``create_app(state)`` returns a FastAPI app wrapped in :class:`VendorGate`, a
raw ASGI middleware that sits outermost so it can do what a FastAPI
middleware cannot: drop the TCP connection. For every request to a vendor
path it records the request in the log, asks the fault plan, and then
answers normally, late, with an injected error, or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import weakref
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.datastructures import Headers

from airflow_provider_nxcloud.testing.faults import FaultKind, FaultPlan
from airflow_provider_nxcloud.testing.platform_index import PLATFORMS
from airflow_provider_nxcloud.testing.routing import PlatformSim, gateway_status_reply
from airflow_provider_nxcloud.testing.state import SimulatorState

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTROL_PREFIX = "/_simulator"
#: kinds the gate handles itself; the others become a platform's reply
CONNECTION_KINDS = frozenset(
    {FaultKind.LATENCY, FaultKind.RESET_BEFORE, FaultKind.RESET_AFTER, FaultKind.HTTP_503_AFTER}
)
#: headers that carry a signature or a credential: NXCloud ``sign``, Buka ``Sign`` (names are
#: case-insensitive) and Fone Dynamics ``Authorization: Basic``. NXCloud's legacy endpoints send
#: the app secret itself in the form body: it is a credential the tests know already.
AUTH_HEADERS = ("sign", "authorization")


def create_app(state: SimulatorState, platforms: Sequence[PlatformSim] = PLATFORMS) -> VendorGate:
    app = FastAPI(title="NXCloud provider simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = state
    app.include_router(_control_router(state))
    for platform in platforms:
        platform.router.mount(app, state)
    return VendorGate(app, state, platforms)


class VendorGate:
    """Outermost ASGI layer: request log and fault injection for vendor paths."""

    def __init__(self, app: ASGIApp, state: SimulatorState, platforms: Sequence[PlatformSim]) -> None:
        self.app = app
        self.state = state
        self.platforms = tuple(platforms)
        #: the client connections seen so far (their asyncio transports), for the handshake delay
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()

    def _platform(self, path: str) -> PlatformSim | None:
        for platform in self.platforms:
            if path.startswith(platform.prefixes):
                return platform
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        platform = self._platform(path) if scope["type"] == "http" else None
        if platform is None or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.state.rtt_ms and self.state.handshake_rtts and self._new_connection(send):
            # a new connection's TCP and TLS set-up: the request itself arrives this much later
            await asyncio.sleep(self.state.handshake_rtts * self.state.rtt_ms / 1000)
        headers = Headers(scope=scope)
        endpoint = platform.router.resolve(scope["method"], path, headers)
        name = endpoint.name if endpoint is not None else "unknown"
        self.state.requests.record(platform.name, name, auth_material(headers), scope.get("client"))

        def applies(kind: FaultKind) -> bool:
            if kind is FaultKind.VENDOR_CODE:
                return endpoint is not None and platform.code_reply is not None
            return kind in CONNECTION_KINDS or platform.fault_reply(kind, endpoint) is not None

        if self.state.rtt_ms:
            # the network between client and vendor: every reply comes a round trip later
            await asyncio.sleep(self.state.rtt_ms / 1000)
        fault = self.state.faults.draw_fault(platform.name, name, applies)
        kind = None if fault is None else fault.kind
        if kind is None:
            await self.app(scope, receive, send)
        elif kind is FaultKind.LATENCY:
            await asyncio.sleep(self.state.faults.plan.latency_ms / 1000)
            await self.app(scope, receive, send)
        elif kind is FaultKind.RESET_BEFORE:
            await _drain(receive)
            await drop_connection(send)
        elif kind is FaultKind.RESET_AFTER:
            await self.app(scope, receive, _swallow)
            await drop_connection(send)
        elif kind is FaultKind.HTTP_503_AFTER:
            # the gateway forwarded the request, lost the vendor's reply and answers its own page
            await self.app(scope, receive, _swallow)
            await gateway_status_reply(503)(scope, receive, send)
        elif kind is FaultKind.VENDOR_CODE:
            assert fault is not None and fault.code and endpoint is not None and platform.code_reply
            await platform.code_reply(endpoint, fault.code)(scope, receive, send)
        else:
            reply = platform.fault_reply(kind, endpoint)
            assert reply is not None  # applies() said so
            await reply(scope, receive, send)

    def _new_connection(self, send: Send) -> bool:
        """Whether this request is the first on its connection (uvicorn's cycle holds its transport)."""
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None or transport in self._connections:
            return False
        self._connections.add(transport)
        return True


def auth_material(headers: Headers) -> list[str]:
    """The signatures and credentials of one request (an Authorization value without its scheme)."""
    values = []
    for name in AUTH_HEADERS:
        for value in headers.getlist(name):
            _scheme, _, credential = value.strip().partition(" ")
            values.append(credential.strip() if name == "authorization" and credential else value.strip())
    return values


async def _swallow(message: Message) -> None:
    """A ``send`` that loses the reply: the request was processed, the answer never leaves."""


async def _drain(receive: Receive) -> None:
    """Read the whole request first, so the client sees the drop while waiting for the reply."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def drop_connection(send: Send) -> None:
    """Abort the TCP connection under this request with a RST.

    uvicorn passes its RequestResponseCycle's bound ``send``; the cycle holds
    the asyncio transport. SO_LINGER 0 makes the close an RST, so the client
    sees "connection reset" rather than an orderly end of stream.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        # not under uvicorn (e.g. an in-process test client): fail the request instead
        raise ConnectionResetError("simulated connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # if this fails, an orderly close still loses the reply, which is what matters
        with contextlib.suppress(OSError, AttributeError, TypeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # let connection_lost run, so uvicorn knows there is nobody to send a 500 to
    for _ in range(50):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)


# ----- control routes -------------------------------------------------------------------------


def _add_period_seeding(control: Any, state: SimulatorState) -> None:
    """``POST /_simulator/seed/<history>`` (``{"since", "until", "count"}``): a period of Buka
    history: ``voice`` (ended group/OTP calls, :func:`~.seeding.seed_voice_history`),
    ``call_center`` (:func:`~.seeding.seed_call_center_history`) or ``email``
    (:func:`~.seeding.seed_email_history`)."""
    from airflow_provider_nxcloud.testing import seeding

    seeders = {
        "voice": seeding.seed_voice_history,
        "call_center": seeding.seed_call_center_history,
        "email": seeding.seed_email_history,
    }

    @control.post("/seed/{history}")
    async def seed_period(history: str, request: Request) -> dict[str, Any]:
        seeder = seeders.get(history)
        if seeder is None:
            raise HTTPException(404, f"no {history!r} history to seed; one of {sorted(seeders)}")
        body = await _json_body(request)
        try:
            count = seeder(state, float(body["since"]), float(body["until"]), int(body["count"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"expected {{'since', 'until', 'count'}}: {exc}") from None
        return {"seeded": count}


def _control_router(state: SimulatorState) -> Any:
    from fastapi import APIRouter

    control = APIRouter(prefix=CONTROL_PREFIX)

    @control.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "platforms": [platform.name for platform in PLATFORMS],
            "clock": state.clock.to_json(),
        }

    @control.get("/ledger")
    def ledger() -> dict[str, Any]:
        return {
            **state.ledger.to_json(),
            "requests": state.requests.to_json(),
            "faults": state.faults.counts(),
        }

    @control.get("/requests")
    def requests() -> dict[str, Any]:
        """The request log alone: cheap to read whatever the ledger holds."""
        return state.requests.to_json()

    @control.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "ok"}

    @control.post("/seed")
    async def seed(request: Request) -> dict[str, Any]:
        """File a period of SMS history (:func:`~.seeding.seed_sms_history`), or with ``"kind": "voice"``
        NXCloud calls (:func:`~.seeding.seed_call_history`)."""
        from airflow_provider_nxcloud.testing.seeding import seed_call_history, seed_sms_history

        body = await _json_body(request)
        try:
            if body.get("kind") == "voice" and body.get("platform") == "nxcloud":
                count = seed_call_history(
                    state, float(body["since"]), float(body["until"]), int(body["count"])
                )
            else:
                count = seed_sms_history(
                    state,
                    str(body["platform"]),
                    float(body["since"]),
                    float(body["until"]),
                    int(body["count"]),
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"expected {{'platform', 'since', 'until', 'count'}}: {exc}") from None
        return {"seeded": count}

    _add_period_seeding(control, state)

    @control.post("/clock/advance")
    async def advance(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        try:
            seconds = float(body["seconds"])
            state.clock.advance(seconds)
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"expected {{'seconds': <number >= 0>}}: {exc}") from None
        return state.clock.to_json()

    @control.post("/clock/skew")
    async def skew(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        try:
            state.clock.vendor_skew_ms = int(body["vendor_skew_ms"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"expected {{'vendor_skew_ms': <int>}}: {exc}") from None
        return state.clock.to_json()

    @control.post("/clock/scale")
    async def scale(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        try:
            state.clock.set_time_scale(float(body["time_scale"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"expected {{'time_scale': <number >= 0>}}: {exc}") from None
        return state.clock.to_json()

    @control.get("/faults")
    def faults() -> dict[str, Any]:
        return state.faults.to_json()

    @control.post("/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        """Replace the plan (``{"seed", "rate", "weights", "rules", "at", "latency_ms"}``);
        with ``"mode": "append"`` only the ``rules`` are added to the current plan."""
        body = await _json_body(request)
        try:
            if body.get("mode") == "append":
                for rule in FaultPlan.from_json({"rules": body.get("rules") or []}).rules:
                    state.faults.add(rule)
            else:
                state.faults.set(FaultPlan.from_json(body))
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(400, f"invalid fault plan: {exc}") from None
        return state.faults.to_json()

    return control


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise HTTPException(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body
