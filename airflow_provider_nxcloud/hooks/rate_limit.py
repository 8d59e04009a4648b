"""The account's requests per second, shared by every process that uses it: a moving window on Redis.

A connection's ``max_qps`` is the vendor account's limit. Within one process the
transport's pacer spaces request starts; across processes (mapped task instances,
concurrent DAG runs, workers on other hosts) every request start also takes a slot
from one moving window in the store the connection names in ``rate_limit_store``
(a ``redis://`` or ``rediss://`` URL). The window is wider than the pacer's: at most
``floor(max_qps)`` starts in any 1.3 s (for a cap below 1: one start per 1.3 s / cap),
so arrivals that bunch by up to 300 ms (a task process descheduled between its slot
and its request) still keep every one-second window at the vendor within the cap
(ASSUMPTION [X-1]).

The moving window is the `limits` library's (its Redis storage and Lua scripts).
Two things are changed, both in :class:`_TenthsRedisStorage`: limits counts windows
in whole seconds, so the store's clock counts tenths of a second (a window of 13
tenths is 1.3 s); and every entry is stamped with the Redis server's own clock
(``TIME``, read inside the acquiring script), so workers whose clocks differ still
share one timeline and a descheduled process cannot stamp its entry late.

Key layout (one Redis list per account)::

    LIMITS:nxcloud-rate/<platform>/<account>/<limit>/<tenths>/second

``<account>`` is the first 32 hex digits of SHA-256 over the platform, the API origin
and the account's public id (the connection's login: NXCloud access key, Buka API
key, Fone Dynamics AccountSid); no secret is part of it. ``<limit>`` and
``<tenths>`` are the window's size, so a connection that gives the same account
another ``max_qps`` counts against a window of its own: every connection of one
account must give the same cap. The list holds at most ``<limit>`` timestamps and
expires when unused.

Failure mode: a store that cannot be reached, refuses the password or answers with
an error never lets a request through. :meth:`SharedRateLimit.admit` raises
:class:`RateLimitStoreError`, the transport turns it into a retryable error before
anything is written (nothing was sent, so no batch is in doubt), and Airflow's
retries try again later. The store's password never appears in a message.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from typing import TYPE_CHECKING, Any

from airflow_provider_nxcloud.exceptions import ConnectionConfigError
from airflow_provider_nxcloud.hooks.network import redact_url, url_parts

if TYPE_CHECKING:
    from limits.storage import RedisStorage

#: the connection extra that names the store
STORE_EXTRA = "rate_limit_store"
STORE_SCHEMES = ("redis", "rediss")
#: the store's clock ticks per second: limits counts windows in whole ticks
TICKS_PER_SECOND = 10
#: seconds to wait for the store to connect or answer before giving up (nothing is sent then)
STORE_TIMEOUT_S = 5.0
#: never sleep less than this for a slot, so waiting senders do not spin on the store
MIN_WAIT_S = 0.005
KEY_NAMESPACE = "nxcloud-rate"


class RateLimitStoreError(Exception):
    """The rate-limit store could not be used; ``what`` says why, without the store's password."""

    def __init__(self, where: str, what: str) -> None:
        self.where = where
        self.what = what
        super().__init__(
            f"the connection's {STORE_EXTRA} ({where}) could not be used ({what}); nothing was sent, "
            "so the account's max_qps still holds: a later try sends once the store answers"
        )


def redact_store_url(url: str) -> str:
    """A store URL as it may be shown: scheme, host, port and database, never a user name or password."""
    return redact_url(url, with_path=True)


def store_password(url: str) -> str | None:
    """The password in ``url``, to mask; None without one."""
    try:
        return url_parts(url).password or None
    except ValueError:
        return None


def check_store_url(conn_id: str, url: str) -> str:
    """``url`` if it names a Redis server limits can reach; ConnectionConfigError naming the extra otherwise.

    Messages show the URL redacted: it may carry the store's password.
    """
    shown = redact_store_url(url)
    try:
        parts = url_parts(url)
        _ = parts.port  # a port that is not a number raises ValueError here
    except ValueError as exc:
        raise ConnectionConfigError(conn_id, STORE_EXTRA, f"is not a valid URL ({shown}): {exc}") from None
    if parts.scheme not in STORE_SCHEMES:
        raise ConnectionConfigError(
            conn_id, STORE_EXTRA, f"must be a redis:// or rediss:// URL, not {parts.scheme or 'no'} scheme"
        )
    if not parts.hostname:
        raise ConnectionConfigError(conn_id, STORE_EXTRA, f"names no host ({shown})")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ConnectionConfigError(
            conn_id, STORE_EXTRA, f"path must be a database number such as /0, not /{database}"
        )
    return url.strip()


def account_key(platform: str, origin: str | None, public_id: str) -> str:
    """The store's name for one vendor account: ``<platform>/<hash of platform, origin, public id>``.

    ASSUMPTION [X-3]: a vendor's rate limit counts one credential's requests at one host.
    """
    digest = hashlib.sha256(f"{platform}\n{origin or 'vendor-default'}\n{public_id}".encode()).hexdigest()
    return f"{platform}/{digest[:32]}"


def _server_ticks(storage: RedisStorage) -> float:
    """The Redis server's clock (``TIME``), in the store's ticks."""
    client: Any = storage.get_connection()  # redis-py types TIME's reply as sync-or-async
    seconds, micros = client.time()
    return (seconds + micros / 1_000_000) * TICKS_PER_SECOND


#: limits' acquire_moving_window.lua with its one change: the entry's stamp is the Redis server's
#: clock at the moment the script runs (``TIME``; Redis 7 replicates a script's effects, so a
#: script may read the clock), in the store's ticks
_ACQUIRE_AT_SERVER_TIME = """
local now = redis.call('time')
local timestamp = (tonumber(now[1]) + tonumber(now[2]) / 1000000) * tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
if amount > limit then
    return false
end
local entry = redis.call('lindex', KEYS[1], limit - amount)
if entry and tonumber(entry) >= timestamp - expiry then
    return false
end
for i = 1, amount do
    redis.call('lpush', KEYS[1], tostring(timestamp))
end
redis.call('ltrim', KEYS[1], 0, limit - 1)
redis.call('expire', KEYS[1], expiry)
return true
"""


@functools.cache
def _storage_class() -> type[RedisStorage]:
    """The storage class, defined on first use: limits is imported only where a store is set."""
    from limits.storage import RedisStorage

    class _TenthsRedisStorage(RedisStorage):
        """limits' Redis storage on the Redis server's clock, counted in tenths of a second.

        limits' windows are whole numbers of its clock's unit; a clock that counts tenths lets
        the window be 1.3 s. The server's ``TIME`` stamps every entry, so workers on
        hosts whose clocks differ share one timeline. Not registered as a storage scheme (no
        ``STORAGE_SCHEME`` of its own).
        """

        def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
            # The stamp is read inside the script: one stamped by the client before the call is stale
            # by however long the process was descheduled in between (hundreds of ms with eight task
            # processes on two cores), so its entry left the window that much early.
            script = self.__dict__.get("_acquire_now")
            if script is None:
                script = self.__dict__["_acquire_now"] = self.get_connection().register_script(
                    _ACQUIRE_AT_SERVER_TIME.encode()
                )
            return bool(script([self.prefixed_key(key)], [TICKS_PER_SECOND, limit, expiry, amount]))

        def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
            stamp = _server_ticks(self)
            window = self.lua_moving_window([self.prefixed_key(key)], [stamp - expiry, limit])
            if window:
                return float(window[0]), int(window[1])
            return stamp, 0

    return _TenthsRedisStorage


class SharedRateLimit:
    """One account's moving window of request starts in the store; thread-safe, one per process and account.

    Get it with :func:`shared_rate_limit`. Building it touches no network: the store is
    first asked when a request starts.
    """

    def __init__(self, url: str, account: str, limit: int, window: float) -> None:
        """``limit`` starts in any ``window`` seconds (``transport.pacer_window`` with the shared headroom)."""
        from limits import RateLimitItemPerSecond
        from limits.strategies import MovingWindowRateLimiter

        tenths = math.ceil(round(window * TICKS_PER_SECOND, 6))
        self.where = redact_store_url(url)
        self._password = store_password(url)
        self._item = RateLimitItemPerSecond(limit, multiples=tenths, namespace=KEY_NAMESPACE)
        self._account = account
        self._storage = _storage_class()(
            url, socket_connect_timeout=STORE_TIMEOUT_S, socket_timeout=STORE_TIMEOUT_S
        )
        self._limiter = MovingWindowRateLimiter(self._storage)

    @property
    def key(self) -> str:
        """The Redis key of this account's window."""
        return self._storage.prefixed_key(self._item.key_for(self._account))

    def admit(self) -> float:
        """0.0 when a request may start now (its slot is taken), else the seconds until a slot frees.

        Raises :class:`RateLimitStoreError` when the store cannot be used: the caller then sends nothing.
        """
        try:
            if self._limiter.hit(self._item, self._account):
                return 0.0
            reset, remaining = self._limiter.get_window_stats(self._item, self._account)
            if remaining > 0:  # a slot freed between the two questions
                return MIN_WAIT_S
            wait = (reset - _server_ticks(self._storage)) / TICKS_PER_SECOND
        except Exception as exc:  # anything the store does wrong: fail safe, send nothing
            raise RateLimitStoreError(self.where, self._describe(exc)) from None
        return max(MIN_WAIT_S, wait)

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        if self._password:
            text = text.replace(self._password, "***")
        return text


_LIMITS: dict[tuple[str, str, int, float], SharedRateLimit] = {}
_LIMITS_LOCK = threading.Lock()


def shared_rate_limit(url: str, account: str, limit: int, window: float) -> SharedRateLimit:
    """The process's window for ``account`` in the store at ``url``: one Redis connection pool per
    store and account, shared by every transport of the process (a campaign's send threads, a
    sensor's pokes, a triggerer's triggers)."""
    key = (url, account, limit, window)
    with _LIMITS_LOCK:
        shared = _LIMITS.get(key)
        if shared is None:
            shared = _LIMITS[key] = SharedRateLimit(url, account, limit, window)
        return shared
