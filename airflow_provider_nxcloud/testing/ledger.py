"""What the simulator accepted (the ledger) and what it was asked (the request log).

The ledger holds one entry per accepted unit of work: one per recipient of a
message, later one per call, task or binding. It is how a test proves
"nothing lost, nothing duplicated": :meth:`Ledger.duplicates` counts entries
with the same recipient, content and client reference.

With ``keep="counts"`` (the CLI's ``--ledger counts``) the ledger keeps only how
many entries were accepted per (platform, kind): a lean mode for throughput
benchmarks of millions of messages, where a million entries would cost the
simulator gigabytes and much of its time. In that mode nothing can be looked up:
delivery reports, lookups and list endpoints find nothing, and duplicates cannot
be detected. Tests use the default, ``keep="entries"``.

The request log counts every request that reached a vendor path, accepted or
rejected, per (platform, endpoint), and the peak requests per second. It also keeps
the auth material the requests carried (signatures, Basic credentials), so a test
can prove none of it leaked into logs, XCom or errors; that is never in its JSON.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from airflow_provider_nxcloud.testing.progress import Timeline, reached_at, status_at

DuplicateKey = tuple[str, str, str | None]

#: what a ledger keeps: every entry (the default), or only counts per (platform, kind)
LEDGER_MODES = ("entries", "counts")


@dataclass(frozen=True)
class LedgerEntry:
    """One accepted unit of work, with its status as of the moment it was read."""

    platform: str
    #: "sms" (later "voice", "email", "task", "binding", ...)
    kind: str
    #: the credential that sent it: NXCloud accessKey or appkey, Buka API key, Fone Dynamics AccountSid
    account: str
    recipient: str
    content: str
    #: the id the vendor answered with (msgId, messageid, MessageSid, ...)
    vendor_id: str
    #: the caller's own id: Buka orderId, NXCloud sysMessageId, Fone Dynamics ExternalId
    client_reference: str | None
    #: the endpoint's name in the ``platforms`` tables
    endpoint: str
    #: progress-clock time of acceptance (epoch seconds)
    time: float
    #: generic status: pending, submitted, delivered, undelivered (see ``progress``)
    status: str
    #: the application inside the account: NXCloud appKey, Buka appId, Fone Dynamics PropertySid
    app: str | None = None
    sender: str | None = None
    #: the id of the request that carried several recipients, if any (NXCloud messageid)
    batch_id: str | None = None
    timeline: Timeline = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def status_at(self, when: float) -> str:
        return status_at(self.timeline, when) if self.timeline else self.status

    def reached_at(self, status: str, when: float) -> float | None:
        return reached_at(self.timeline, status, when) if self.timeline else None

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "kind": self.kind,
            "account": self.account,
            "app": self.app,
            "recipient": self.recipient,
            "content": self.content,
            "vendor_id": self.vendor_id,
            "client_reference": self.client_reference,
            "endpoint": self.endpoint,
            "time": self.time,
            "status": self.status,
            "sender": self.sender,
            "batch_id": self.batch_id,
            "details": dict(self.details),
        }


@dataclass
class _Series:
    """The entries of one (platform, kind, app) in acceptance order, with their times."""

    entries: list[LedgerEntry] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    #: times never went back (the usual case): a window is found by bisection
    ordered: bool = True

    def add(self, entry: LedgerEntry) -> None:
        if self.times and entry.time < self.times[-1]:
            self.ordered = False
        self.entries.append(entry)
        self.times.append(entry.time)

    def bounds(self, since: float, until: float) -> tuple[int, int] | None:
        """The window's first and past-last positions, found by bisection (None when unordered)."""
        if not self.ordered:
            return None
        return bisect.bisect_left(self.times, since), bisect.bisect_right(self.times, until)

    def window(self, since: float, until: float) -> list[LedgerEntry]:
        if not self.ordered:
            return [e for e in self.entries if since <= e.time <= until]
        low, high = bisect.bisect_left(self.times, since), bisect.bisect_right(self.times, until)
        if (low, high) == (0, len(self.entries)):
            return self.entries  # the caller only slices it, under the lock
        return self.entries[low:high]


_ID_SHARDS = 64


class Ledger:
    """Thread-safe store of accepted work; statuses are evaluated against the progress clock."""

    def __init__(self, now: Callable[[], float], *, keep: str = "entries") -> None:
        if keep not in LEDGER_MODES:
            raise ValueError(f"keep must be one of {', '.join(LEDGER_MODES)}, not {keep!r}")
        self._now = now
        self._lock = threading.Lock()
        #: "counts": only :attr:`_counts` is kept (see the module's docstring)
        self.keep = keep
        self._counts: Counter[tuple[str, str]] = Counter()
        self._entries: list[LedgerEntry] = []
        # shards, not one dict: one dict of a 2,000,000-message run doubles its table in one step
        # (1,398,102 entries to 2^22 slots) while holding the GIL, a pause that bunches the
        # request log's arrivals; a shard's step is 1/64 of that
        self._by_id: list[dict[tuple[str, str], LedgerEntry]] = [{} for _ in range(_ID_SHARDS)]
        # (platform, kind, app) -> entries and their times, so a list endpoint reads one page of
        # a large campaign without a pass over the whole ledger
        self._series: dict[tuple[str, str, str | None], _Series] = {}

    def add(self, entry: LedgerEntry) -> LedgerEntry:
        with self._lock:
            self._counts[(entry.platform, entry.kind)] += 1
            if self.keep == "counts":
                return entry
            self._entries.append(entry)
            key = (entry.platform, entry.vendor_id)
            self._by_id[hash(key) % _ID_SHARDS][key] = entry
            self._series.setdefault((entry.platform, entry.kind, entry.app), _Series()).add(entry)
        return entry

    def tally(self, platform: str, kind: str, count: int) -> None:
        """Count ``count`` accepted entries without keeping them (``keep="counts"`` only)."""
        if self.keep != "counts":
            raise RuntimeError("tally() is for a ledger that keeps counts; add() the entries instead")
        with self._lock:
            self._counts[(platform, kind)] += count

    def _current(self, entry: LedgerEntry, when: float) -> LedgerEntry:
        return replace(entry, status=entry.status_at(when)) if entry.timeline else entry

    def get(self, platform: str, vendor_id: str) -> LedgerEntry | None:
        """The entry with this vendor id, status as of now."""
        with self._lock:
            key = (platform, vendor_id)
            entry = self._by_id[hash(key) % _ID_SHARDS].get(key)
        return None if entry is None else self._current(entry, self._now())

    def entries(self, platform: str | None = None, kind: str | None = None) -> list[LedgerEntry]:
        """Entries in acceptance order, statuses as of now."""
        when = self._now()
        with self._lock:
            chosen = [
                e
                for e in self._entries
                if (platform is None or e.platform == platform) and (kind is None or e.kind == kind)
            ]
        return [self._current(e, when) for e in chosen]

    def page(
        self, platform: str, kind: str, app: str | None, since: float, until: float, skip: int, count: int
    ) -> tuple[list[LedgerEntry], int]:
        """One page of an app's entries accepted between ``since`` and ``until`` (inclusive), in
        acceptance order, statuses as of now; and how many entries the whole window holds."""
        with self._lock:
            series = self._series.get((platform, kind, app)) or _Series()
            bounds = series.bounds(since, until)
            if bounds is None:
                window = series.window(since, until)
                chosen, total = window[skip : skip + count], len(window)
            else:  # a page of a large window, without copying the window
                low, high = bounds
                chosen, total = series.entries[low + skip : min(high, low + skip + count)], high - low
        when = self._now()
        return [self._current(e, when) for e in chosen], total

    def window(self, platform: str, kind: str, since: float, until: float) -> list[LedgerEntry]:
        """Every app's entries accepted between ``since`` and ``until`` (inclusive), app by app in
        acceptance order, statuses as of now: found by the time index, not a pass over the ledger."""
        with self._lock:
            chosen = [
                entry
                for (p, k, _), series in self._series.items()
                if p == platform and k == kind
                for entry in series.window(since, until)
            ]
        when = self._now()
        return [self._current(e, when) for e in chosen]

    def count(self, platform: str | None = None, kind: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (p, k), n in self._counts.items()
                if (platform is None or p == platform) and (kind is None or k == kind)
            )

    def duplicates(self, platform: str | None = None) -> dict[DuplicateKey, int]:
        """``{(recipient, content, client_reference): count}`` for every key accepted more than once."""
        with self._lock:
            counts = Counter(
                (e.recipient, e.content, e.client_reference)
                for e in self._entries
                if platform is None or e.platform == platform
            )
        return {key: n for key, n in counts.items() if n > 1}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._entries.clear()
            for shard in self._by_id:
                shard.clear()
            self._series.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "keep": self.keep,
            "counts": {f"{p}/{k}": n for (p, k), n in sorted(self._counts.items())},
            "entries": [e.to_json() for e in self.entries()],
            "duplicates": [
                {"recipient": r, "content": c, "client_reference": ref, "count": n}
                for (r, c, ref), n in self.duplicates().items()
            ],
        }


#: request arrival times kept per endpoint
_ARRIVALS_KEPT = 10_000


class RequestLog:
    """Requests received on vendor paths, accepted or not."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._window: deque[float] = deque()
        self._peak = 0
        self._auth: set[str] = set()
        self._connections: set[tuple[str, Any]] = set()
        self._arrivals: dict[tuple[str, str], deque[float]] = {}
        self._windows: Counter[tuple[str, str, str]] = Counter()

    def record(self, platform: str, endpoint: str, auth: Iterable[str] = (), connection: Any = None) -> None:
        """Count one request; ``auth`` is the signature or credential it carried, if any;
        ``connection`` the client's address (host, port): one per TCP connection."""
        now = self._monotonic()
        with self._lock:
            self._counts[(platform, endpoint)] += 1
            self._arrivals.setdefault((platform, endpoint), deque(maxlen=_ARRIVALS_KEPT)).append(now)
            self._auth.update(value for value in auth if value)
            if connection is not None:
                self._connections.add((platform, tuple(connection)))
            self._window.append(now)
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            self._peak = max(self._peak, len(self._window))

    def note_window(self, platform: str, endpoint: str, window: str) -> None:
        """Note the record window (e.g. the day) a record query asked for, refused or not: a
        backfill's queries can then be told apart by interval, not only counted."""
        with self._lock:
            self._windows[(platform, endpoint, window)] += 1

    def by_window(self) -> dict[tuple[str, str, str], int]:
        """``{(platform, endpoint name, window): queries}`` of the record queries noted."""
        with self._lock:
            return dict(self._windows)

    def total(self, platform: str | None = None) -> int:
        with self._lock:
            return sum(n for (p, _), n in self._counts.items() if platform is None or p == platform)

    def count(self, platform: str, endpoint: str) -> int:
        with self._lock:
            return self._counts[(platform, endpoint)]

    def arrivals(self, platform: str, endpoint: str) -> list[float]:
        """When the last requests to one endpoint arrived (monotonic seconds, oldest first; the
        last :data:`_ARRIVALS_KEPT`): how far apart a client keeps them."""
        with self._lock:
            return list(self._arrivals.get((platform, endpoint), ()))

    def by_endpoint(self) -> dict[tuple[str, str], int]:
        """``{(platform, endpoint name): requests}``; unknown vendor paths count as ``"unknown"``."""
        with self._lock:
            return dict(self._counts)

    def peak_qps(self) -> int:
        """Most requests seen within any one-second window."""
        with self._lock:
            return self._peak

    def connections(self, platform: str | None = None) -> int:
        """Client connections the requests came over (a pooled client reuses one)."""
        with self._lock:
            return sum(1 for p, _ in self._connections if platform is None or p == platform)

    def auth_values(self) -> frozenset[str]:
        """Every signature and credential the requests carried: NXCloud ``sign``, Buka ``Sign``,
        the Fone Dynamics Basic credential. For leak checks only; :meth:`to_json` never shows them."""
        with self._lock:
            return frozenset(self._auth)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._arrivals.clear()
            self._window.clear()
            self._peak = 0
            self._auth.clear()
            self._connections.clear()
            self._windows.clear()

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            by_endpoint = {f"{p}/{e}": n for (p, e), n in sorted(self._counts.items())}
            by_window = {f"{p}/{e}/{w}": n for (p, e, w), n in sorted(self._windows.items())}
            return {
                "total": sum(self._counts.values()),
                "by_endpoint": by_endpoint,
                "by_window": by_window,
                "peak_qps": self._peak,
            }
