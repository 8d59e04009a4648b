"""The one place HTTP happens: a pooled sync transport and its async twin.

Both share request preparation (the body is serialised once and that exact
text is signed and sent), reply parsing (per platform, from ``platforms/``)
and classification (through the code catalogs). They differ only in the
client library: requests for workers, httpx for triggers.

Retry rules, in one place:

* a read is retried in-hook with exponential backoff on every ``retry``
  disposition (any 5xx included, waiting at least a 429's or 503's
  Retry-After), on connection failures and on timeouts;
* a send is retried in-hook only when the vendor provably did not accept it:
  the connection was never made (refused, DNS, TLS), or the vendor throttled
  it (HTTP 429, a rate-limit or concurrency code in its body). Other ``retry``
  codes are raised as :class:`RetryableAPIError` for Airflow's task retries,
  where the operator knows which batches were already accepted;
* a proxy that cannot be reached or refuses the tunnel (the connection's ``proxy``) wrote
  nothing to the vendor: it is retried like a connection that was never made;
* a send whose request was written but whose answer was lost (read timeout,
  reset, any HTTP 5xx: a gateway may answer 503 after it forwarded the
  request) raises :class:`AmbiguousSendError`, never a resend;
* with a ``rate_limit_store``, every request first takes a slot in the account's window
  shared across processes (``hooks/rate_limit.py``); a store that cannot give one means the
  request is not written, and it is retried like a connection that was never made;
* a ``resign`` code (timestamp outside the vendor's window) is signed again
  with a fresh clock and tried once more;
* a redirect is never followed: the request's signature or credentials would
  go to the redirect's host. It fails, naming that host;
* no exception text carries a credential or a signature, even where a vendor
  (or a gateway) echoes the request's headers back in its reply.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import email.utils
import functools
import json
import logging
import math
import os
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx
import requests
import tenacity
import urllib3
from requests.adapters import HTTPAdapter

from airflow_provider_nxcloud import metrics
from airflow_provider_nxcloud.exceptions import (
    AmbiguousSendError,
    PermanentAPIError,
    RetryableAPIError,
    VendorAPIError,
)
from airflow_provider_nxcloud.hooks.network import ca_bundle_context
from airflow_provider_nxcloud.hooks.rate_limit import (
    RateLimitStoreError,
    SharedRateLimit,
    shared_rate_limit,
)
from airflow_provider_nxcloud.overrides import override_for, parse_overrides
from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.platforms.codes import CodeInfo, Disposition, Reason
from airflow_provider_nxcloud.platforms.endpoints import BodyFormat, Endpoint, Kind, Reply

log = logging.getLogger(__name__)

USER_AGENT = "airflow-provider-nxcloud"

ReplyParser = Callable[[Endpoint, int, Any], Reply]


class Authenticator(Protocol):
    """Produces the auth headers of one attempt; called again for every attempt (fresh clock)."""

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]: ...


@dataclass(frozen=True)
class TransportSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: attempts in-hook for retryable failures (1 = no in-hook retry)
    max_attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 16.0
    #: requests per second across this transport; None = no cap
    max_qps: float | None = None
    #: sends a campaign keeps in flight at once (each in its own thread, all under ``max_qps``)
    max_concurrency: int = 1
    pool_size: int = 16
    #: never wait longer than this for a vendor's Retry-After
    retry_after_cap: float = 60.0
    #: the connection's ``rate_limit_store`` (a Redis URL, maybe with a password): ``max_qps`` is
    #: then shared by every process using the account (``hooks/rate_limit.py``); None = this transport's
    rate_limit_store: str | None = field(default=None, repr=False)
    #: the account's name in the store (``rate_limit.account_key``; no secret in it)
    rate_limit_account: str | None = None
    #: the connection's ``proxy`` (http(s) URL, maybe with credentials); None = the environment's
    proxy: str | None = field(default=None, repr=False)
    #: the connection's ``verify``: True (the environment's or the default CA bundle), False, or
    #: a CA bundle's path (``hooks/network.py`` checked it)
    verify: bool | str = True


@dataclass(frozen=True)
class PreparedCall:
    endpoint: Endpoint
    url: str
    #: the exact bytes sent; for JSON endpoints also the bytes signed
    body: bytes | None
    content_type: str | None
    params: Mapping[str, Any] | None
    files: Mapping[str, Any] | None
    client_reference: str | None


@dataclass
class Overrides:
    """A caller's disposition overrides, parsed (grammar: :mod:`airflow_provider_nxcloud.overrides`)."""

    by_key: Mapping[str, Disposition] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str | int, str | Disposition] | None) -> Overrides:
        return cls(parse_overrides(raw))

    def apply(self, info: CodeInfo) -> Disposition:
        return override_for(self.by_key, info.platform, info.service, info.code) or info.disposition


#: ASSUMPTION [X-1]: a vendor counts requests when they arrive, and arrivals bunch: the network, the
#: vendor's own queueing and, in a busy worker, threads waiting for the GIL between the pacer and
#: the socket move each by a few to tens of milliseconds. Allowing ``max_qps`` starts per
#: (1 + this) seconds keeps every one-second window at the vendor within the cap while arrivals
#: shift by up to 100 ms. (On the 2-core bench, with 8 to 12 sends in flight the simulator saw at
#: most 87 to 98 a second at a cap of 100; with 16 its own scheduling bunched them to 101.)
PACER_HEADROOM_S = 0.1


#: ASSUMPTION [X-1], across processes: between taking a slot in the shared store and writing the
#: request, a task process can be descheduled far longer than a thread waits for the GIL (eight
#: campaign tasks, the scheduler and Celery workers on two cores: tests/distributed saw arrivals
#: bunch by over 100 ms), so the account's shared window keeps a wider margin than one process needs.
SHARED_HEADROOM_S = 0.3


def pacer_window(max_qps: float, headroom: float = PACER_HEADROOM_S) -> tuple[int, float]:
    """(starts allowed, window in seconds) for a cap of ``max_qps`` (> 0): the pacer's by default;
    the shared store's with :data:`SHARED_HEADROOM_S`."""
    if max_qps >= 1:
        return math.floor(max_qps), 1.0 + headroom
    return 1, (1.0 + headroom) / max_qps


class _Pacer:
    """Spaces request starts evenly so that no more than ``max_qps`` start in any second.

    Thread-safe. Each caller reserves the next free slot under a lock and waits for it
    outside the lock, so concurrent senders share one evenly spaced schedule. A thread
    can wake late (other threads held the GIL), so right before the request a second
    check, under the lock, counts the starts that really happened: never more than
    ``max_qps`` (rounded down; for a cap below 1, one) in any window of a second plus
    :data:`PACER_HEADROOM_S` (for a cap below 1: that divided by the cap). A late start
    does not push the schedule back: it goes as soon as the window has room.

    A vendor's ``Retry-After`` is the account's, not one request's: :meth:`hold` makes every
    other thread wait it out before its next start (the thread that was told waits in its own
    retry), whatever ``max_qps`` is.
    """

    def __init__(
        self,
        max_qps: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limit, self._window = pacer_window(max_qps) if max_qps else (0, 0.0)
        self._interval = self._window / self._limit if self._limit else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        #: the last ``limit`` starts that really happened
        self._starts: deque[float] = deque(maxlen=max(1, self._limit))
        self._lock = threading.Lock()
        #: no start before this (clock time), except for the thread that was told to wait
        self._hold_until = 0.0
        self._hold_owner: int | None = None

    def hold(self, seconds: float) -> None:
        """The vendor asked this caller to wait ``seconds``: hold every other thread as long."""
        with self._lock:
            until = self._clock() + seconds
            if until > self._hold_until:
                self._hold_until, self._hold_owner = until, threading.get_ident()

    def _held(self) -> float:
        with self._lock:
            if self._hold_owner == threading.get_ident():
                return 0.0
            return max(0.0, self._hold_until - self._clock())

    def _reserve(self) -> float:
        """Take the next slot; seconds to wait until it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
            return start - now

    def _admit(self) -> float:
        """Start now (0.0) if the window has room for one more start, else seconds to wait."""
        with self._lock:
            now = self._clock()
            if len(self._starts) == self._limit:
                earliest = self._starts[0] + self._window
                if now < earliest:
                    return earliest - now
            self._starts.append(now)
            return 0.0

    def wait(self) -> None:
        held = self._held()
        if held > 0:
            self._sleep(held)
        if not self._interval:
            return
        delay = self._reserve()
        while True:
            if delay > 0:
                self._sleep(delay)
            delay = self._admit()
            if not delay:
                return

    async def await_turn(self) -> None:
        held = self._held()
        if held > 0:
            await asyncio.sleep(held)
        if not self._interval:
            return
        delay = self._reserve()
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            delay = self._admit()
            if not delay:
                return


def _retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The seconds a ``Retry-After`` asks for, in either of its forms (RFC 9110 10.2.3)."""
    value = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is always GMT
            return None
        seconds = when.timestamp() - now()
    return max(0.0, seconds) if math.isfinite(seconds) else None


#: headers whose values prove who sent a request: NXCloud ``sign``, Buka ``Sign`` and
#: ``Api-Key``, Basic ``Authorization``, NXCloud's ``accessKey`` (names compare case-insensitively)
_AUTH_HEADERS = frozenset({"sign", "api-key", "authorization", "accesskey"})

REDACTED = "[redacted]"


def redact(text: str, secrets: Collection[str]) -> str:
    """``text`` with every secret in it replaced, longest first (one may contain another)."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _auth_values(headers: Mapping[str, str]) -> set[str]:
    values = set()
    for name, value in headers.items():
        if name.lower() in _AUTH_HEADERS and value:
            values.add(value)
            _scheme, _, credential = value.partition(" ")
            if credential:
                values.add(credential.strip())
    return values


class _Classifier:
    """Turns a reply (or a lost one) into a result or the right exception. Shared by both transports."""

    def __init__(self, platform: str, parse: ReplyParser, overrides: Overrides) -> None:
        self.platform = platform
        self.parse = parse
        self.overrides = overrides

    def outcome(
        self,
        call: PreparedCall,
        status: int,
        content: bytes,
        *,
        resigned: bool,
        secrets: Collection[str] = (),
        location: str | None = None,
    ) -> Any:
        """The parsed payload on success, else the exception (or :class:`_Resign`) to raise.

        ``secrets`` never appear in an exception's text; ``location`` is a redirect's target.
        """
        if 300 <= status < 400:
            return self.redirected(call, status, location)
        try:
            payload: Any = json.loads(content) if content else None
        except ValueError:
            payload = None
        reply = self.parse(call.endpoint, status, payload)
        if secrets and reply.message:
            reply = dataclasses.replace(reply, message=redact(reply.message, secrets))
        if reply.ok and (payload is not None or call.endpoint.kind is Kind.READ):
            return payload
        if reply.ok or reply.code is None or reply.service is None:
            unreadable = CodeInfo(
                self.platform,
                call.endpoint.service,
                "MALFORMED_REPLY",
                "unreadable reply",
                Reason.SERVER_ERROR,
            )
            return self.error(call, unreadable, reply=reply, status=status)
        info = lookup_code(self.platform, reply.service, reply.code)
        bare_status = reply.code == str(status)
        if info is None and (status >= 500 or (bare_status and call.endpoint.kind is Kind.SEND)):
            # a gateway's page for a status no catalog lists (501, 520, ...; on a send also a bare
            # 4xx such as 408 or 499): it may come after the request was forwarded, so a send is in
            # doubt, never taken as refused and sent again; a read meeting a 5xx repeats
            info = CodeInfo(
                self.platform,
                reply.service,
                reply.code,
                f"HTTP {status} from the server or a gateway in front of it, with no vendor code",
                Reason.SERVER_ERROR,
            )
            return self.error(call, info, reply=reply, status=status, in_catalog=False)
        if info is None:
            # Unknown codes fail: retrying a code nobody has classified may burn
            # retries or repeat a send, and the error says it was not in the catalog.
            unknown = CodeInfo(
                self.platform, reply.service, reply.code, "code not documented", Reason.INVALID_INPUT
            )
            return self.error(call, unknown, reply=reply, status=status, in_catalog=False)
        disposition = self.overrides.apply(info)
        if disposition is Disposition.RESIGN and not resigned:
            return _Resign()
        return self.error(call, info, reply=reply, status=status, disposition=disposition, resigned=resigned)

    def redirected(self, call: PreparedCall, status: int, location: str | None) -> VendorAPIError:
        """A 3xx: never followed, so nothing of the request's credentials went to its target."""
        target = urlsplit(location or "")
        host = target.hostname or (location or "an unnamed location")
        where = f"{target.scheme}://{host}" if target.scheme and target.hostname else host
        info = CodeInfo(
            self.platform,
            call.endpoint.service,
            "REDIRECT",
            f"the server answered HTTP {status}, a redirect to {where}; redirects are never "
            "followed, so no credential or signature was sent there: point the connection's host "
            "at the vendor's API",
            Reason.CONFIGURATION,
        )
        return self.error(call, info, status=status)

    def lost(self, call: PreparedCall, what: str, *, written: bool) -> VendorAPIError:
        """A request whose answer never arrived; ``written`` says whether the vendor may have seen it."""
        code, reason = (
            ("CONNECTION_LOST", Reason.SERVER_ERROR)
            if written
            else ("CONNECTION_FAILED", Reason.NOT_CONNECTED)
        )
        info = CodeInfo(self.platform, call.endpoint.service, code, what, reason)
        return self.error(call, info)

    def error(
        self,
        call: PreparedCall,
        info: CodeInfo,
        *,
        reply: Reply | None = None,
        status: int | None = None,
        disposition: Disposition | None = None,
        in_catalog: bool = True,
        resigned: bool = False,
    ) -> VendorAPIError:
        is_send = call.endpoint.kind is Kind.SEND
        disposition = disposition or info.disposition
        fields: dict[str, Any] = {
            "platform": info.platform,
            "service": info.service,
            "code": info.code,
            "meaning": info.meaning,
            "endpoint": call.endpoint.name,
            "vendor_message": reply.message if reply else "",
            "request_id": reply.request_id if reply else None,
            "http_status": status,
            "in_catalog": in_catalog,
        }
        if is_send and info.maybe_processed:
            # whatever an override says, the vendor may have taken it: in doubt, so the campaign
            # looks it up; never "not sent" (a failed batch is sent again by a later try)
            return AmbiguousSendError(
                client_reference=call.client_reference, disposition=Disposition.FAIL, **fields
            )
        if disposition is Disposition.RESIGN:
            detail = "still outside the vendor's time window after signing again: check the worker's clock"
            return PermanentAPIError(disposition=disposition, detail=detail if resigned else "", **fields)
        if disposition is Disposition.FAIL:
            return PermanentAPIError(disposition=disposition, **fields)
        error = RetryableAPIError(disposition=disposition, **fields)
        # An override that turns a failure into a retry is honoured by Airflow's
        # task retries, not in-hook: only vendor-proven refusals repeat a send here.
        error.retry_in_hook = not is_send or (info.refused and disposition is info.disposition)
        return error


class _Resign:
    """Internal marker: the vendor rejected the timestamp; sign again once."""


def _should_retry(exc: BaseException | None) -> bool:
    return isinstance(exc, RetryableAPIError) and exc.retry_in_hook


class _Wait(tenacity.wait.wait_base):
    """Exponential backoff, but never shorter than the vendor's Retry-After (capped)."""

    def __init__(self, settings: TransportSettings) -> None:
        self._exp = tenacity.wait_exponential(multiplier=settings.backoff_initial, max=settings.backoff_max)
        self._cap = settings.retry_after_cap

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = self._exp(retry_state)
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RetryableAPIError) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, self._cap))
        return float(wait)


class _BaseTransport:
    def __init__(
        self,
        *,
        platform: str,
        origin: str | None,
        authenticator: Authenticator,
        parse: ReplyParser,
        settings: TransportSettings | None = None,
        overrides: Overrides | None = None,
        basic_auth: tuple[str, str] | None = None,
        base_path: str = "",
        serialize: Callable[[Any], str] = lambda body: json.dumps(
            body, ensure_ascii=False, separators=(",", ":")
        ),
        secrets: Collection[str] = (),
        origin_hint: str | None = None,
    ) -> None:
        self.platform = platform
        #: added to the error of a connection to ``origin`` that failed (its scheme was assumed)
        self.origin_hint = origin_hint
        #: the connection's override; None = each endpoint's own vendor origin
        self.origin = origin.rstrip("/") if origin else None
        self.base_path = base_path.rstrip("/")
        self.authenticator = authenticator
        self.settings = settings or TransportSettings()
        self.classifier = _Classifier(platform, parse, overrides or Overrides())
        self.basic_auth = basic_auth
        self.serialize = serialize
        self.pacer = _Pacer(self.settings.max_qps)
        #: the account's window shared with other processes; None: the pacer alone (a None check per request)
        self.shared_limit: SharedRateLimit | None = None
        if self.settings.rate_limit_store and self.settings.rate_limit_account and self.settings.max_qps:
            self.shared_limit = shared_rate_limit(
                self.settings.rate_limit_store,
                self.settings.rate_limit_account,
                *pacer_window(self.settings.max_qps, SHARED_HEADROOM_S),
            )
        #: the connection's secrets: never in an exception's text (each attempt's signature is added)
        self.secrets = frozenset(secret for secret in secrets if secret)
        if basic_auth:
            # the token, and the Authorization value it travels as (base64 of "sid:token")
            encoded = base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode("ascii")
            self.secrets |= {basic_auth[1], encoded}

    def prepare(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        client_reference: str | None = None,
    ) -> PreparedCall:
        origin = self.origin or endpoint.origin.rstrip("/")
        url = f"{origin}{self.base_path}{endpoint.url_path(path_params)}"
        body: bytes | None = None
        content_type: str | None = None
        if endpoint.body is BodyFormat.JSON:
            body = self.serialize(json_body if json_body is not None else {}).encode("utf-8")
            content_type = "application/json;charset=UTF-8"
        elif endpoint.body is BodyFormat.FORM:
            body = urlencode({k: v for k, v in (form or {}).items() if v is not None}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded;charset=UTF-8"
        # multipart: the client library builds the body and its boundary
        return PreparedCall(endpoint, url, body, content_type, params, files, client_reference)

    def _headers(self, call: PreparedCall) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if call.content_type:
            headers["Content-Type"] = call.content_type
        headers.update(self.authenticator.headers(call.endpoint, call.body))
        return headers

    def _lost(self, call: PreparedCall, what: str, *, written: bool, tls_to_plain: bool = False) -> Any:
        """:meth:`_Classifier.lost`, saying so when the connection's host had no scheme and https was
        assumed; a TLS handshake answered in plain text then fails at once: retries change nothing."""
        hint = self.origin_hint if self.origin and call.url.startswith(self.origin) else None
        if hint is None:
            return self.classifier.lost(call, what, written=written)
        if tls_to_plain and not written:
            info = CodeInfo(
                self.platform,
                call.endpoint.service,
                "SCHEME_ASSUMED",
                f"{what}; {hint}",
                Reason.CONFIGURATION,
            )
            return self.classifier.error(call, info)
        return self.classifier.lost(call, f"{what}; {hint}", written=written)

    def _retrying_kwargs(self) -> dict[str, Any]:
        return {
            "retry": tenacity.retry_if_exception(_should_retry),
            "stop": tenacity.stop_after_attempt(max(1, self.settings.max_attempts)),
            "wait": _Wait(self.settings),
            "reraise": True,
            "before_sleep": self._log_retry,
        }

    def _store_refused(self, call: PreparedCall, exc: RateLimitStoreError) -> VendorAPIError:
        """The request was not written because the shared store could not give it a slot: retryable."""
        info = CodeInfo(
            self.platform,
            call.endpoint.service,
            "RATE_LIMIT_STORE_UNAVAILABLE",
            str(exc),
            Reason.NOT_CONNECTED,
        )
        return self.classifier.error(call, info)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        metrics.retried(self.platform)
        log.warning("%s: attempt %d failed, retrying: %s", self.platform, state.attempt_number, exc)


class Transport(_BaseTransport):
    """Synchronous transport over one pooled ``requests.Session``."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sleep = sleep
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        #: origin -> (proxies, verify) from the environment (:meth:`_environment`)
        self._environments: dict[str, tuple[dict[str, str], bool | str]] = {}

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._session_lock:
                if self._session is None:
                    session = requests.Session()
                    # the environment's proxies and CA bundle are read once per origin
                    # (:meth:`_environment`), not on every request (its cost was ~30% of a send)
                    session.trust_env = False
                    # a connection for every send a campaign keeps in flight, so none is thrown away
                    size = max(self.settings.pool_size, self.settings.max_concurrency)
                    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=size, max_retries=0)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    if self.basic_auth:
                        session.auth = self.basic_auth
                    self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _environment(self, url: str) -> tuple[dict[str, str], bool | str]:
        """The proxies and the CA bundle for requests to ``url``'s origin: the connection's
        ``proxy`` and ``verify`` where set, else what the environment gives, as ``requests``
        would read it on each request (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``,
        ``CURL_CA_BUNDLE``), read once per origin; ``.netrc`` is not read (every vendor
        request carries its own signature or Basic credential)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._environments.get(origin)
        if found is None:
            proxy = self.settings.proxy
            # the connection's proxy serves every vendor request, whatever NO_PROXY says
            proxies = {"http": proxy, "https": proxy} if proxy else requests.utils.get_environ_proxies(origin)
            verify: bool | str = self.settings.verify
            if verify is True:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            found = self._environments[origin] = (dict(proxies), verify)
        return found

    def request(self, endpoint: Endpoint, **kwargs: Any) -> Any:
        call = self.prepare(endpoint, **kwargs)
        retrying = tenacity.Retrying(sleep=self._sleep, **self._retrying_kwargs())
        return retrying(self._attempt, call)

    def _attempt(self, call: PreparedCall) -> Any:
        result = self._send_once(call, resigned=False)
        if isinstance(result, _Resign):
            log.info("%s: %s rejected the timestamp; signing again", self.platform, call.endpoint.name)
            result = self._send_once(call, resigned=True)
        if isinstance(result, BaseException):
            raise result
        return result

    def _send_once(self, call: PreparedCall, *, resigned: bool) -> Any:
        self.pacer.wait()
        if self.shared_limit is not None and (refused := self._take_shared_slot(self.shared_limit, call)):
            return refused
        # signed after the wait for a slot, so the timestamp is fresh when the request leaves
        headers = self._headers(call)
        proxies, verify = self._environment(call.url)
        started = time.perf_counter()
        try:
            response = self.session.request(
                call.endpoint.method,
                call.url,
                data=call.body,
                params=call.params,
                files=call.files,
                headers=headers,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
                proxies=proxies,
                verify=verify,
                stream=True,
            )
            content = _read_body(response)
        except requests.exceptions.ProxyError as exc:
            # raised only before the proxy forwarded anything (urllib3 wraps errors that come
            # before it has connected through the proxy): nothing reached the vendor
            return self._lost(call, _proxy_failure(exc), written=False)
        except requests.exceptions.ConnectTimeout:
            return self._lost(call, "connect timed out", written=False)
        except requests.exceptions.ConnectionError as exc:
            what, written = _describe_connection_error(exc)
            return self._lost(call, what, written=written, tls_to_plain=_tls_to_plain(exc))
        except requests.exceptions.Timeout:
            return self.classifier.lost(call, "read timed out after the request was sent", written=True)
        except requests.exceptions.RequestException as exc:
            return self.classifier.lost(call, f"transport error {type(exc).__name__}", written=True)
        metrics.latency(self.platform, call.endpoint.name, time.perf_counter() - started)
        result = self.classifier.outcome(
            call,
            response.status_code,
            content,
            resigned=resigned,
            secrets=self.secrets | _auth_values(headers),
            location=response.headers.get("Location"),
        )
        if isinstance(result, RetryableAPIError):
            result.retry_after = _retry_after_seconds(response.headers)
            if result.retry_after:
                self.pacer.hold(min(result.retry_after, self.settings.retry_after_cap))
        return result

    def _take_shared_slot(self, shared: SharedRateLimit, call: PreparedCall) -> VendorAPIError | None:
        """Wait for a slot in the account's shared window; the error to return if the store failed."""
        try:
            while delay := shared.admit():
                self._sleep(delay)
        except RateLimitStoreError as exc:
            return self._store_refused(call, exc)
        return None


def _read_body(response: requests.Response) -> bytes:
    """The whole body of a streamed response in one read, its connection back in the pool.

    ``response.content`` reads it in 10 KB pieces, each through several layers: for the
    ~76 KB reply to a 1,000-number send that cost more CPU than the rest of the request.
    urllib3's errors while reading are raised as the ``requests`` errors ``content`` raises,
    so a lost answer is classified the same way.
    """
    raw = response.raw
    try:
        content: bytes = raw.read(decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as exc:
        response.close()
        raise requests.exceptions.ReadTimeout(exc, response=response) from exc
    except urllib3.exceptions.DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc, response=response) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # a reset, a truncated body, a TLS error after the request was written: it was written
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc, response=response) from exc
    raw.release_conn()
    return content


def _describe_connection_error(exc: requests.exceptions.ConnectionError) -> tuple[str, bool]:
    """(what happened, whether the request may have reached the server).

    Only a failure to open the connection proves the request was never
    written; a reset or an abort on an open connection may come after the
    server processed it.
    """
    if isinstance(exc, requests.exceptions.SSLError):
        # the TLS handshake comes before the request: nothing was written
        return _connect_failure(exc), False
    text = repr(exc)
    never_written = (
        "NewConnectionError",
        "ConnectionRefusedError",
        "Failed to establish a new connection",
        "NameResolutionError",
        "Name or service not known",
    )
    if any(marker in text for marker in never_written):
        return "connection could not be established", False
    return "connection dropped before the reply arrived", True


_TLS_CAUSE = re.compile(r"\[SSL(?:: [A-Z0-9_]+)?\][^'\")]*")
#: what OpenSSL says when a TLS handshake is answered in plain HTTP (https:// to an http port)
_PLAIN_ANSWER = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
#: a proxy's refusal of a CONNECT: urllib3 says "Tunnel connection failed: 407 Proxy Authentication
#: Required", httpx (httpcore) the status line alone
_PROXY_STATUS = re.compile(r"(?:Tunnel connection failed: |^)([1-5]\d\d [A-Za-z][A-Za-z -]*)")


def _tls_to_plain(exc: BaseException) -> bool:
    """Whether ``exc`` is a TLS handshake that got a plain-HTTP answer."""
    text = repr(exc)
    return "[SSL" in text and any(marker in text for marker in _PLAIN_ANSWER)


def _proxy_failure(exc: BaseException) -> str:
    """What went wrong at the proxy, without its URL (it may carry the proxy's password)."""
    status = _PROXY_STATUS.search(str(exc))
    if status is not None:
        return f"the proxy refused to connect to the vendor ({status.group(1).strip()}), so nothing was sent"
    return "the proxy could not be reached, so nothing was sent"


def _connect_failure(exc: BaseException) -> str:
    """What stopped the connection, keeping a TLS failure's real cause (certificate, protocol)."""
    cause = _TLS_CAUSE.search(repr(exc))
    if cause is not None or isinstance(exc, requests.exceptions.SSLError):
        what = cause.group(0).strip() if cause is not None else type(exc).__name__
        return f"TLS handshake failed, so nothing was sent: {what}"
    return "connection could not be established"


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every async client of the process.

    Building one reads the CA bundle: ~20 ms of CPU and a megabyte or more each time.
    A triggerer running a thousand delivery waits, each poll with its own client, paid
    that on every poll; httpx's own default (certifi, or SSL_CERT_FILE/SSL_CERT_DIR) is
    built once here instead.
    """
    return httpx.create_ssl_context()


class AsyncTransport(_BaseTransport):
    """Asynchronous twin for triggers. Reads only: a trigger may run twice, so it must never send.

    One ``httpx.AsyncClient`` (one connection pool) serves every request made while the
    transport is open: ``async with transport:`` opens it, leaving the block (or
    :meth:`aclose`) closes it. A request made while it is not open gets a client of its own.
    """

    def __init__(
        self,
        *,
        sleep: Callable[[float], Any] = asyncio.sleep,
        httpx_transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._sleep = sleep
        # httpx's own seam: tests hand in an httpx.MockTransport (through the hook's get_async_transport)
        self._httpx_transport = httpx_transport
        self._client: httpx.AsyncClient | None = None

    def _new_client(self) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = self.settings.verify is not False
        if isinstance(self.settings.verify, str):
            verify = ca_bundle_context(self.settings.verify)
        elif verify:
            verify = shared_ssl_context()
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout),
            auth=httpx.BasicAuth(*self.basic_auth) if self.basic_auth else None,
            transport=self._httpx_transport,
            # the connection's proxy for every request; without one httpx reads HTTPS_PROXY/NO_PROXY
            proxy=self.settings.proxy,
            verify=verify,
            follow_redirects=False,
        )

    async def __aenter__(self) -> AsyncTransport:
        if self._client is None:
            self._client = self._new_client()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled client and its connections; a later ``async with`` opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def request(self, endpoint: Endpoint, **kwargs: Any) -> Any:
        if endpoint.kind is not Kind.READ:
            raise TypeError(
                f"{endpoint.name} is a send; the async transport only reads (triggers never send)"
            )
        call = self.prepare(endpoint, **kwargs)
        if self._client is not None:
            return await self._retrying(self._client, call)
        async with self._new_client() as client:
            return await self._retrying(client, call)

    async def _retrying(self, client: httpx.AsyncClient, call: PreparedCall) -> Any:
        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **self._retrying_kwargs())
        return await retrying(self._attempt, client, call)

    async def _attempt(self, client: httpx.AsyncClient, call: PreparedCall) -> Any:
        result = await self._send_once(client, call, resigned=False)
        if isinstance(result, _Resign):
            result = await self._send_once(client, call, resigned=True)
        if isinstance(result, BaseException):
            raise result
        return result

    async def _take_shared_slot(self, shared: SharedRateLimit, call: PreparedCall) -> VendorAPIError | None:
        """The sync transport's ``_take_shared_slot``; the store is asked from a worker thread."""
        try:
            while delay := await asyncio.to_thread(shared.admit):
                await self._sleep(delay)
        except RateLimitStoreError as exc:
            return self._store_refused(call, exc)
        return None

    async def _send_once(self, client: httpx.AsyncClient, call: PreparedCall, *, resigned: bool) -> Any:
        await self.pacer.await_turn()
        if self.shared_limit is not None and (
            refused := await self._take_shared_slot(self.shared_limit, call)
        ):
            return refused
        headers = self._headers(call)
        started = time.perf_counter()
        try:
            response = await client.request(
                call.endpoint.method,
                call.url,
                content=call.body,
                params=dict(call.params) if call.params else None,
                files=call.files,
                headers=headers,
            )
        except httpx.ProxyError as exc:
            # the proxy refused the tunnel: nothing reached the vendor
            return self._lost(call, _proxy_failure(exc), written=False)
        except httpx.ConnectTimeout:
            return self._lost(call, "connect timed out", written=False)
        except httpx.ConnectError as exc:
            # TLS failures surface here too: the handshake failed, so no request was written
            return self._lost(call, _connect_failure(exc), written=False, tls_to_plain=_tls_to_plain(exc))
        except httpx.TransportError as exc:
            return self.classifier.lost(call, f"transport error {type(exc).__name__}", written=True)
        metrics.latency(self.platform, call.endpoint.name, time.perf_counter() - started)
        result = self.classifier.outcome(
            call,
            response.status_code,
            response.content,
            resigned=resigned,
            secrets=self.secrets | _auth_values(headers),
            location=response.headers.get("Location"),
        )
        if isinstance(result, RetryableAPIError):
            result.retry_after = _retry_after_seconds(response.headers)
        return result
