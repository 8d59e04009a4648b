"""The connection's way to the vendor: a proxy, TLS verification, and the scheme a bare host gets.

Checked when the connection is read, before any request: a ``proxy`` that is not an
``http://`` or ``https://`` URL, or a ``verify`` path that names no readable CA bundle,
raises :class:`ConnectionConfigError` naming the extra. A proxy URL may carry a user
name and password; they are secrets: masked when read, redacted from every message
(:func:`redact_proxy_url`), never logged.

SOCKS proxies are refused: ``requests`` needs PySocks and httpx needs socksio for them,
and neither is a dependency of this provider.
"""

from __future__ import annotations

import base64
import functools
import os
import ssl
from urllib.parse import SplitResult, unquote, urlsplit

from airflow_provider_nxcloud.exceptions import ConnectionConfigError

PROXY_EXTRA = "proxy"
VERIFY_EXTRA = "verify"
PROXY_SCHEMES = ("http", "https")


def url_parts(url: str) -> SplitResult:
    """``url`` split, surrounding blanks ignored (a pasted connection extra)."""
    return urlsplit(url.strip())


def redact_url(url: str, *, with_path: bool = False) -> str:
    """``url`` as it may be shown: scheme, host and port (and the path, if asked), never a user
    name or password. Serves every URL a connection holds (a proxy, a rate-limit store)."""
    try:
        parts = url_parts(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "an unparsable URL"
    host = f"[{host}]" if ":" in host else host
    credentials = "***@" if parts.username or parts.password else ""
    path = parts.path if with_path else ""
    return f"{parts.scheme}://{credentials}{host}{f':{port}' if port else ''}{path}"


def redact_proxy_url(url: str) -> str:
    """A proxy URL as it may be shown: scheme, host and port."""
    return redact_url(url)


def proxy_secrets(url: str | None) -> tuple[str, ...]:
    """What of ``url`` must never be shown: its password (as written and decoded), the whole URL,
    and the ``Proxy-Authorization`` value the clients send for it."""
    if not url:
        return ()
    parts = url_parts(url)
    if not parts.password:
        return ()
    user, password = unquote(parts.username or ""), unquote(parts.password)
    basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return tuple(dict.fromkeys((parts.password, password, url.strip(), basic)))


def check_proxy_url(conn_id: str, url: str) -> str:
    """``url`` if it is an ``http://`` or ``https://`` proxy; ConnectionConfigError naming the extra otherwise."""
    shown = redact_proxy_url(url)
    try:
        parts = url_parts(url)
        _ = parts.port  # a port that is not a number raises ValueError here
    except ValueError as exc:
        raise ConnectionConfigError(conn_id, PROXY_EXTRA, f"is not a valid URL ({shown}): {exc}") from None
    if parts.scheme.startswith("socks"):
        raise ConnectionConfigError(
            conn_id,
            PROXY_EXTRA,
            f"is a {parts.scheme} proxy; only http:// and https:// proxies are supported",
        )
    if parts.scheme not in PROXY_SCHEMES:
        raise ConnectionConfigError(
            conn_id,
            PROXY_EXTRA,
            f"must be an http:// or https:// URL such as http://proxy.internal:3128, not {shown}",
        )
    if not parts.hostname:
        raise ConnectionConfigError(conn_id, PROXY_EXTRA, f"names no host ({shown})")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConnectionConfigError(
            conn_id, PROXY_EXTRA, f"must be scheme://[user:password@]host[:port] only ({shown})"
        )
    return url.strip()


def resolve_verify(conn_id: str, value: object) -> bool | str:
    """``verify`` as the clients take it: True (the default CA bundle), False, or a CA bundle's path.

    A path must name a file (PEM certificates) or a directory (OpenSSL hashed names) that
    exists; a file is loaded once here, so a bundle that is not PEM fails now, naming the extra,
    rather than as a TLS failure on the first request.
    """
    if value is None or isinstance(value, bool):
        return True if value is None else value
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    path = os.path.expanduser(text)
    if os.path.isdir(path):
        return path
    if not os.path.isfile(path):
        raise ConnectionConfigError(
            conn_id,
            VERIFY_EXTRA,
            f"must be true, false or the path of a CA bundle file; {text!r} does not exist on this worker",
        )
    try:
        ca_bundle_context(path)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionConfigError(
            conn_id, VERIFY_EXTRA, f"{text!r} is not a readable CA bundle in PEM form ({exc})"
        ) from None
    return path


def ca_bundle_context(path: str) -> ssl.SSLContext:
    """A verifying TLS context trusting the CA bundle at ``path`` (a file or a directory).

    Built once per version of the file: loading a bundle costs milliseconds and a trigger
    builds a client on every poll.
    """
    stat = os.stat(path)
    return _ca_bundle_context(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _ca_bundle_context(path: str, mtime_ns: int, size: int) -> ssl.SSLContext:
    if os.path.isdir(path):
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


def scheme_hint(host: str | None, schema: str | None) -> str | None:
    """What to tell a user whose ``host`` has no scheme, if https:// was assumed for it; else None.

    Like the http provider's ``HttpHook`` (providers/http/src/airflow/providers/http/hooks/http.py:
    a host without ``://`` gets ``conn.schema``, else ``http``), a bare host takes its scheme from
    the connection's ``schema`` (http or https); unlike it, the default is https, not http: every
    vendor serves https only, and http would carry the credentials in the clear.
    """
    text = (host or "").strip()
    if not text or "://" in text or schema in ("http", "https"):
        return None
    return (
        f"the connection's host {text!r} has no scheme, so https:// was assumed; if the server "
        f"there speaks plain http (as the simulator does), set host to http://{text} or the "
        "connection's schema to http (http is accepted for loopback addresses, elsewhere only "
        "with allow_insecure_http)"
    )
