"""A small HTTP/1.1 proxy in front of the simulator, for faults the simulator cannot make itself.

The Airflow task processes reach the vendors through it (the connections' host is the proxy),
so it sees which client socket carries which send. It can, for the next matching request:

* ``hold_reply``: forward the request (the vendor processes and records it), then hold the
  reply until released: the window "vendor accepted, task not yet recorded";
* ``hold_request``: read the request line and headers, then hold before reading the body or
  forwarding anything; released with the client gone, nothing is forwarded: the window
  "killed while the request was being written, before the vendor processed it";
* ``redirect``: answer ``307`` to another host (:attr:`FaultProxy.other_url`) without forwarding;
* ``tls_plain``: on the TLS listener, answer the next connection in plain HTTP instead of a TLS
  handshake ("https to a plain port"), so the client's handshake fails.

An arm may ``skip`` its first matching requests: ``hold_reply`` with ``skip=7`` holds the eighth
(a record export's eighth page query, armed before the export starts). And the proxy can log,
in order, named form fields of the requests to one path (:meth:`FaultProxy.log_fields`: which
day and page each record query asked for, and over which client socket); only the named fields
are kept, never a signature or credential.

A connection the simulator drops without a reply (``reset_before``/``reset_after``) is dropped
towards the client too, with a RST, so the client sees what it would see without the proxy.
Every upstream request uses a connection of its own (``Connection: close``): a dropped one
never poisons another.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

HOLD_TIMEOUT_S = 120.0


@dataclass
class Arm:
    action: str
    count: int = 1
    #: only requests whose path contains this (e.g. the send endpoint's path)
    path_contains: str = ""
    #: matching requests let through before the action applies
    skip: int = 0


@dataclass
class Event:
    action: str
    path: str
    #: the client's (host, port): the socket the task process owns
    peer: tuple[str, int]
    at: float
    released: bool = False
    client_gone: bool = False
    forwarded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "path": self.path,
            "peer": list(self.peer),
            "at": self.at,
            "released": self.released,
            "client_gone": self.client_gone,
            "forwarded": self.forwarded,
        }


@dataclass
class ProxyState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    arms: list[Arm] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    #: requests that reached the redirect's other host (must stay 0)
    other_host_requests: int = 0
    tls_plain_answers: int = 0
    #: requests whose path contains ``log_path`` are logged with ``log_names`` of their form (none when empty)
    log_path: str = ""
    log_names: tuple[str, ...] = ()
    logged: list[dict[str, Any]] = field(default_factory=list)

    def take(self, action: str, path: str) -> bool:
        with self.lock:
            for arm in self.arms:
                if arm.action == action and arm.count > 0 and arm.path_contains in path:
                    if arm.skip > 0:
                        arm.skip -= 1
                        continue
                    arm.count -= 1
                    return True
        return False

    def log(self, path: str, body: bytes, peer: tuple[str, int]) -> None:
        with self.lock:
            if not self.log_path or self.log_path not in path:
                return
            form = parse_qs(body.decode("latin-1"))
            fields = {name: form.get(name, [""])[0] for name in self.log_names}
            self.logged.append({"path": path, "peer": list(peer), "at": time.time(), "fields": fields})

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "arms": [arm.__dict__ for arm in self.arms if arm.count > 0],
                "events": [event.to_json() for event in self.events],
                "requests": self.requests,
                "other_host_requests": self.other_host_requests,
                "tls_plain_answers": self.tls_plain_answers,
                "logged": list(self.logged),
            }


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    return head


def _headers(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = ([*lines[0].split(" ", 2), "", ""])[:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _with_close(head: bytes) -> bytes:
    """The request head with ``Connection: close`` (one upstream connection per request)."""
    lines = [
        line
        for line in head.decode("latin-1").split("\r\n")
        if line and not line.lower().startswith("connection:")
    ]
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


def _abort(writer: asyncio.StreamWriter) -> None:
    """Drop the client connection with a RST, as the simulator dropped ours."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """The proxy's listeners, run on an asyncio loop in a thread of the simulator's process."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int | None = None,
        other_port: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.upstream = upstream
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.other_port = other_port
        self.tls_context = tls_context
        self.state = ProxyState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        #: the connection handlers: asyncio keeps only weak references to tasks, and a handler whose
        #: client left (a timeout, a kill) while it waits on the upstream is otherwise garbage
        #: collected mid-request ("Task was destroyed but it is pending"), closing the upstream
        #: connection: the simulator would then never process the request it was holding
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def other_url(self) -> str:
        return f"http://{self.host}:{self.other_port}"

    # ----- control (called from other threads) -----------------------------------------------

    def arm(self, action: str, count: int = 1, path_contains: str = "", skip: int = 0) -> None:
        if action not in ("hold_reply", "hold_request", "redirect", "tls_plain"):
            raise ValueError(f"unknown proxy action {action!r}")
        with self.state.lock:
            self.state.release.clear()
            self.state.arms.append(Arm(action, count, path_contains, skip))

    def log_fields(self, path_contains: str, names: list[str]) -> None:
        """From now on, log ``names`` of the form of each request to a path containing ``path_contains``."""
        with self.state.lock:
            self.state.log_path, self.state.log_names = path_contains, tuple(names)
            self.state.logged.clear()

    def release(self) -> None:
        self.state.release.set()

    def disarm(self) -> None:
        with self.state.lock:
            self.state.arms.clear()
        self.state.release.set()

    # ----- serving ----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        main = await asyncio.start_server(self._client, self.host, self.port)
        self.port = main.sockets[0].getsockname()[1]
        other = await asyncio.start_server(self._other_host, self.host, self.other_port)
        self.other_port = other.sockets[0].getsockname()[1]
        servers = [main, other]
        if self.tls_port is not None and self.tls_context is not None:
            tls = await asyncio.start_server(self._tls_client, self.host, self.tls_port)
            self.tls_port = tls.sockets[0].getsockname()[1]
            servers.append(tls)
        self._started.set()
        await asyncio.gather(*(server.serve_forever() for server in servers))

    async def _other_host(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The redirect's target: anything arriving here is a credential sent where it must not go."""
        head = await _read_head(reader)
        if head:
            with self.state.lock:
                self.state.other_host_requests += 1
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def _tls_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state.take("tls_plain", ""):
            # what a plain HTTP server says to a ClientHello: the client's handshake fails
            with self.state.lock:
                self.state.tls_plain_answers += 1
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        assert self.tls_context is not None
        try:
            await writer.start_tls(self.tls_context)
        except (ssl.SSLError, ConnectionError, OSError):
            writer.close()
            return
        await self._client(reader, writer, tls=True)

    def _tls_fault_waiting(self) -> bool:
        with self.state.lock:
            return any(arm.action == "tls_plain" and arm.count > 0 for arm in self.state.arms)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, tls: bool = False
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        peer = writer.get_extra_info("peername")
        peer = (str(peer[0]), int(peer[1])) if peer else ("?", 0)
        try:
            while True:
                head = await _read_head(reader)
                if not head:
                    break
                keep = await self._one(
                    reader, writer, head, peer, close_after=tls and self._tls_fault_waiting()
                )
                if not keep:
                    return
        except ConnectionError:
            pass
        with contextlib.suppress(Exception):
            writer.close()

    async def _wait_release(self, event: Event, reader: asyncio.StreamReader) -> None:
        """Hold until released (or timeout); note whether the client went away meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + HOLD_TIMEOUT_S
        while time.monotonic() < deadline:
            released = await loop.run_in_executor(None, self.state.release.wait, 0.2)
            if released:
                break
        event.released = True
        # the peer's FIN or RST shows as EOF on the reader
        # (the buffer may still hold body bytes, so at_eof() would say no)
        event.client_gone = bool(getattr(reader, "_eof", False)) or reader.exception() is not None

    async def _one(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        head: bytes,
        peer: tuple[str, int],
        *,
        close_after: bool = False,
    ) -> bool:
        """Serve one request; False when the connection ends after it.

        ``close_after``: answer with ``Connection: close`` so the client opens a new connection
        (and so meets an armed TLS fault: a kept-alive connection never handshakes again)."""
        _method, path, headers = _headers(head)
        with self.state.lock:
            self.state.requests += 1
        vendor = not path.startswith("/_simulator")
        if vendor and self.state.take("hold_request", path):
            event = Event("hold_request", path, peer, time.time())
            with self.state.lock:
                self.state.events.append(event)
            await self._wait_release(event, reader)
            if event.client_gone:
                return False
        length = int(headers.get("content-length") or 0)
        try:
            body = await reader.readexactly(length) if length else b""
        except (asyncio.IncompleteReadError, ConnectionError):
            return False
        if vendor:
            self.state.log(path, body, peer)
        if vendor and self.state.take("redirect", path):
            with self.state.lock:
                self.state.events.append(Event("redirect", path, peer, time.time(), released=True))
            location = f"{self.other_url}{path}"
            writer.write(
                f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
            )
            await writer.drain()
            return True
        reply = await self._forward(_with_close(head) + body)
        if vendor and reply is not None and self.state.take("hold_reply", path):
            event = Event("hold_reply", path, peer, time.time(), forwarded=True)
            with self.state.lock:
                self.state.events.append(event)
            await self._wait_release(event, reader)
        if reply is None:
            # the simulator dropped the connection without a reply: so do we
            _abort(writer)
            return False
        writer.write(_as_keep_alive(reply, close=close_after))
        await writer.drain()
        if close_after:
            writer.close()
            return False
        return headers.get("connection", "").lower() != "close"

    async def _forward(self, request: bytes) -> bytes | None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            return None
        try:
            up_writer.write(request)
            await up_writer.drain()
            reply = await up_reader.read()
        except ConnectionError:
            return None
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()
        return reply or None


def _as_keep_alive(reply: bytes, *, close: bool = False) -> bytes:
    """The upstream's reply (sent with ``Connection: close``) for a client that keeps its connection."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    if close or not any(line.lower().startswith(b"content-length:") for line in lines[1:]):
        # no length (chunked or read to EOF): the client must read to EOF, so close after it
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + sep + body


def self_signed(directory: Any, host: str = "127.0.0.1") -> tuple[str, str]:
    """A certificate for ``host`` (IP SAN) and its key, as files; the clients trust it as their CA bundle."""
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    directory = Path(directory)
    cert_path, key_path = directory / "proxy-cert.pem", directory / "proxy-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


def server_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def describe(mapping: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items())
