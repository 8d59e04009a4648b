"""Real network middlemen for the transport tests, on loopback: a forwarding proxy and a TLS front.

* :class:`ForwardingProxy`: an HTTP/1.1 proxy as corporate networks run them. A request for an
  ``http://`` URL (absolute form) is forwarded to its origin with ``Connection: close``; a
  ``CONNECT host:port`` opens a tunnel (how clients reach an ``https://`` origin). With
  ``credentials`` it answers 407 to a request without the matching ``Proxy-Authorization``.
  It records what it was asked (:attr:`ForwardingProxy.seen`), so a test proves a request
  went through it.
* :class:`TlsFront`: a TLS listener with a self-signed certificate for 127.0.0.1, passing the
  decrypted bytes to a plain-HTTP upstream (the simulator): an https:// vendor whose CA only
  the test's bundle holds.

Both run an asyncio loop in a daemon thread; use them as context managers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    #: the request carried the proxy's credentials
    authorized: bool


class _LoopServer:
    """An asyncio server in a thread of its own."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        #: every stream opened, closed on exit so no relay outlives the server
        self._writers: set[asyncio.StreamWriter] = set()

    async def _start(self) -> asyncio.AbstractServer:
        raise NotImplementedError

    async def _relay(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self._writers |= {client[1], upstream[1]}
        await asyncio.gather(_pipe(client[0], upstream[1]), _pipe(upstream[0], client[1]))

    def __enter__(self) -> Any:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in self._writers:
                writer.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class ForwardingProxy(_LoopServer):
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.seen: list[Seen] = []
        self._expected = (
            "Basic " + base64.b64encode(":".join(credentials).encode()).decode() if credentials else None
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> asyncio.AbstractServer:
        return await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = [line for line in lines[1:] if line]
        auth = next(
            (
                line.split(":", 1)[1].strip()
                for line in headers
                if line.lower().startswith("proxy-authorization:")
            ),
            None,
        )
        authorized = self._expected is None or auth == self._expected
        self.seen.append(Seen(method, target, authorized and auth is not None))
        if not authorized:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            writer.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._relay((reader, writer), upstream)
            return
        url = urlsplit(target)
        upstream = await asyncio.open_connection(url.hostname, url.port or 80)
        path = url.path + (f"?{url.query}" if url.query else "")
        kept = [
            line for line in headers if not line.lower().startswith(("proxy-", "connection:", "keep-alive:"))
        ]
        forwarded = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        upstream[1].write(forwarded.encode("latin-1"))
        await self._relay((reader, writer), upstream)


class TlsFront(_LoopServer):
    def __init__(self, upstream_port: int, cert: str, key: str) -> None:
        super().__init__()
        self._upstream_port = upstream_port
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _start(self) -> asyncio.AbstractServer:
        return await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._context)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        await self._relay((reader, writer), upstream)


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[str, str]:
    """A CA certificate for ``host`` (IP SAN) and its key, as PEM files: the test's CA bundle."""
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
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "ca.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)
