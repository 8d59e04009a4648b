"""The delivery wait as a :class:`~airflow_provider_nxcloud.jobs.watch.Watch` (name ``"delivery"``),
its memory bounded whatever the number of messages.

Its options (:func:`delivery_options`) name the messages by reference: a send task's
``results_path`` (any size), or at most :data:`INLINE_MESSAGE_LIMIT` ids inline. So
trigger kwargs and events stay a few hundred bytes for a million messages.

What each message's latest status is lives in a SQLite database in a temporary
directory of the watch's own (deleted by :meth:`DeliveryWatch.conclude`, or when the
watch is garbage), not in memory. A poll round walks the messages not final yet in
windows of the poller's request size (Buka: 200 ids; NXCloud and Fone Dynamics: one),
asks about one window, writes what the vendor said, and moves on; so no step of the
conversation (what a trigger runs between two awaits) handles more than a window.
The source is read the same way: the first round imports it a window at a time, just
ahead of the questions. Three steps are longer, each once: the end of a round ranks the
failure reasons (a pass over the failed messages), an NXCloud round notes the shared-id
messages its day records did not show, and :meth:`DeliveryWatch.conclude` writes the
report of every message (a trigger should run it off its event loop).

Why a database rather than a state file rewritten each round in step with the source:

* a message may be named twice (a results file written by hand or by several send
  tasks, inline ids repeated). The results writer never writes a batch twice, but the
  wait must not count on that: the table's key ``(message id, number)`` drops a repeat
  when it arrives, whatever the distance between the two lines, on disk;
* an NXCloud id shared by several numbers (one request's ``messageid``) is known to be
  shared only when its second line is seen; the table knows it at once;
* a round that stops half-way (a transient error) keeps what its windows found: each
  window's answers are written as they come, and the next round asks only what is still
  open. Later rounds touch only the messages still pending, not all N.

Each message's ``seen_at`` (its report line's) is when a round first found it final: the
update from pending is the only one that sets it. A wait that starts over (its state is
scratch: a trigger moved to another triggerer reads the source again) sees final messages
again, and their ``seen_at`` is then that later round's.

NXCloud ids shared by several numbers are looked for in the day's records
(``getSmsCdr``) once per round for all of them together (the days any of them may be
on, each read at most once), so windows never multiply the list requests.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from airflow_provider_nxcloud.campaign.delivery.messages import (
    DELIVERED,
    FAILED,
    NOT_FOUND,
    PENDING,
    SAMPLE_SIZE,
    MessageRef,
    MessageStatus,
    ref_from_result_line,
    refs_from_ids,
)
from airflow_provider_nxcloud.campaign.delivery.pollers import (
    PLATFORMS,
    POLLERS,
    NXCloudPoller,
    Poller,
    poller_for,
)
from airflow_provider_nxcloud.campaign.delivery.verdict import check_ratio, describe, verdict, write_report
from airflow_provider_nxcloud.campaign.results import utc_seconds
from airflow_provider_nxcloud.exceptions import InvalidInputError, check_one_of
from airflow_provider_nxcloud.jobs.watch import FAILURE, RUNNING, SUCCESS, JobState
from airflow_provider_nxcloud.polling import Conversation

#: at most this many messages travel inline in a watch's options; more need a results_path
INLINE_MESSAGE_LIMIT = 100
#: how many failure reasons a summary names (most frequent first)
REASONS_SHOWN = 20
#: results lines read ahead at a time (at least; a window of a larger request size reads that many)
IMPORT_CHUNK = 200
#: a poll's details (the event's and XCom's summary) stay under this many bytes as JSON
DETAILS_LIMIT = 6 * 1024
#: a chunk is read on to the end of its last message id (one NXCloud request's numbers share it), up to this
GROUP_LIMIT = 10_000

PLATFORM_NAMES = {"buka": "Buka", "nxcloud": "NXCloud", "fonedynamics": "Fone Dynamics"}
KIND_NAMES = {"sms": "SMS", "email": "email", "voice": "call"}
#: a delivery verdict as the outcome of a poll
OUTCOMES = {SUCCESS: SUCCESS, FAILURE: FAILURE, PENDING: RUNNING}


def delivery_options(
    platform: str,
    kind: str = "sms",
    *,
    results_path: Any = None,
    message_ids: Any = None,
    min_delivered_ratio: float = 1.0,
    app_id: str | None = None,
    poller_options: Mapping[str, Any] | None = None,
    report_path: Any = None,
) -> dict[str, Any]:
    """The plain-JSON options of a delivery wait, checked; nothing is read or sent.

    Exactly one of ``results_path`` (a send task's results file, any size; a path or an
    ``ObjectStoragePath``) and ``message_ids`` (what :func:`refs_from_ids` reads, or
    :class:`MessageRef` objects or their JSON rows; at most :data:`INLINE_MESSAGE_LIMIT`
    messages) names the messages.
    """
    check_one_of("platform", platform, PLATFORMS)
    if (platform, kind) not in POLLERS:
        kinds = ", ".join(k for p, k in POLLERS if p == platform)
        raise InvalidInputError("kind", f"{platform} reports on {kinds}, not {kind!r}")
    has_path = results_path not in (None, "")
    if has_path == (message_ids is not None):
        raise InvalidInputError("message_ids", "give exactly one of message_ids or results_path")
    source: dict[str, Any]
    if has_path:
        source = {"results_path": str(results_path)}
    else:
        # an empty list is a send that had nothing accepted: nothing to wait for
        refs = inline_refs(message_ids)
        if len(refs) > INLINE_MESSAGE_LIMIT:
            raise InvalidInputError(
                "message_ids",
                f"{len(refs)} messages are more than the {INLINE_MESSAGE_LIMIT} a wait carries inline; "
                "give the send task's results_path instead",
            )
        source = {"message_ids": [ref.to_json() for ref in refs]}
    if poller_options is not None and not isinstance(poller_options, Mapping):
        raise InvalidInputError("poller_options", f"must be a mapping, not {type(poller_options).__name__}")
    return {
        "platform": platform,
        "kind": kind,
        "source": source,
        "min_delivered_ratio": check_ratio(min_delivered_ratio),
        "app_id": app_id,
        "poller_options": dict(poller_options) if poller_options else None,
        "report_path": None if report_path in (None, "") else str(report_path),
    }


def inline_refs(value: Any) -> list[MessageRef]:
    """Messages given inline, each once: ids, ``{"message_id", ...}`` objects, :class:`MessageRef`
    objects or their JSON rows ``[id, number, day, sent_at]``."""
    if isinstance(value, list | tuple) and any(isinstance(v, MessageRef | list | tuple) for v in value):
        refs: dict[tuple[str, str | None], MessageRef] = {}
        for item in value:
            try:
                ref = item if isinstance(item, MessageRef) else MessageRef.from_json(item)
            except InvalidInputError as exc:
                raise InvalidInputError("message_ids", exc.problem) from None
            refs.setdefault((ref.message_id, ref.number), ref)
        return list(refs.values())
    return refs_from_ids(value)


# ----- the messages' state, on disk ------------------------------------------------------------

_SCHEMA = """
CREATE TABLE message (
    seq INTEGER PRIMARY KEY,          -- the order the source names them in
    message_id TEXT NOT NULL,
    number_key TEXT NOT NULL,         -- the number as the source gives it, '' when none
    digits TEXT NOT NULL,             -- its digits (NXCloud record rows are matched on them)
    date TEXT,
    sent_at REAL,
    number TEXT,                      -- as last reported (the vendor may name it when the source did not)
    outcome TEXT NOT NULL,
    vendor_status TEXT,
    reason TEXT,
    found_on TEXT,                    -- NXCloud: the record day that answered
    shared INTEGER NOT NULL DEFAULT 0,  -- NXCloud: its id names several numbers
    asked INTEGER NOT NULL DEFAULT 0,   -- the last round that took it into a window
    listed INTEGER NOT NULL DEFAULT 0,  -- NXCloud: the last round whose day records showed it
    seen_at REAL,                     -- when a round first found it final (epoch seconds)
    UNIQUE (message_id, number_key)
);
CREATE INDEX message_by_outcome ON message (outcome, seq);
CREATE INDEX message_by_id ON message (message_id, digits);
"""

_COLUMNS = "seq, message_id, number_key, date, sent_at, found_on, shared"


@dataclass(frozen=True)
class _Row:
    seq: int
    ref: MessageRef
    found_on: str | None
    shared: bool

    @classmethod
    def read(cls, row: Sequence[Any]) -> _Row:
        seq, message_id, number_key, date, sent_at, found_on, shared = row
        return cls(seq, MessageRef(message_id, number_key or None, date, sent_at), found_on, bool(shared))


def _digits(number: str | None) -> str:
    return "".join(filter(str.isdigit, number)) if number else ""


class _Store:
    """One row per message; counts kept as rows change, so a summary never scans the table."""

    def __init__(self, *, on_disk: bool, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        # On disk only for a results file (any size); inline ids are at most INLINE_MESSAGE_LIMIT, and a
        # triggerer holding a thousand small waits should not pay a directory and a file for each.
        self.directory = tempfile.mkdtemp(prefix="delivery-wait-") if on_disk else None
        where = Path(self.directory) / "state.sqlite3" if self.directory else ":memory:"
        self.db = sqlite3.connect(where, check_same_thread=False)
        # a scratch table: losing it loses only this wait's progress, so no journal, no fsync
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self.counts = {DELIVERED: 0, FAILED: 0, PENDING: 0}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, refs: Sequence[MessageRef]) -> None:
        """Messages from the source; one already there (same id and number) is not added again."""
        if not refs:
            return
        with self.db:
            added = self.db.executemany(
                "INSERT OR IGNORE INTO message (message_id, number_key, digits, date, sent_at, number, outcome)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.message_id, r.number or "", _digits(r.number), r.date, r.sent_at, r.number, PENDING)
                    for r in refs
                ],
            ).rowcount
            ids = sorted({r.message_id for r in refs})
            marks = ",".join("?" * len(ids))
            self.db.execute(
                f"UPDATE message SET shared = 1 WHERE shared = 0 AND message_id IN ("
                f"SELECT message_id FROM message WHERE message_id IN ({marks})"
                " GROUP BY message_id HAVING count(*) > 1)",
                ids,
            )
        self.counts[PENDING] += added

    def open_after(self, seq: int, limit: int, round_number: int) -> tuple[list[_Row], int]:
        """The next window: up to ``limit`` pending messages after ``seq`` not in a window this round
        yet, then the other pending messages of the last one's id (asked about together); and the
        ``seq`` the next window starts after."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM message WHERE outcome = ? AND seq > ? AND asked < ?"
            " ORDER BY seq LIMIT ?",
            (PENDING, seq, round_number, limit),
        ).fetchall()
        if not rows:
            return [], seq
        last = rows[-1][0]
        more = self.db.execute(
            # by id: the planner would otherwise walk every pending message after seq
            f"SELECT {_COLUMNS} FROM message INDEXED BY message_by_id WHERE message_id = ? AND outcome = ?"
            " AND seq > ? AND asked < ? ORDER BY seq LIMIT ?",
            (rows[-1][1], PENDING, last, round_number, GROUP_LIMIT),
        ).fetchall()
        if more:
            # the next window starts after ``last``; these lie further on, so they are marked as taken
            with self.db:
                self.db.executemany(
                    "UPDATE message SET asked = ? WHERE seq = ?", [(round_number, r[0]) for r in more]
                )
        return [_Row.read(row) for row in rows + more], last

    def open_count_after(self, seq: int, limit: int, round_number: int) -> int:
        """How many (up to ``limit``) pending messages after ``seq`` are not in a window this round yet."""
        count: int = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM message WHERE outcome = ? AND seq > ? AND asked < ? LIMIT ?)",
            (PENDING, seq, round_number, limit),
        ).fetchone()[0]
        return count

    def record(self, found: Sequence[tuple[int, MessageStatus]]) -> None:
        """What the vendor said about pending messages (by ``seq``)."""
        now = self.clock()
        with self.db:
            # only pending messages are asked about, so a final one is seen final here for the first time
            self.db.executemany(
                "UPDATE message SET outcome = ?, number = coalesce(?, number), vendor_status = ?, reason = ?,"
                " seen_at = ? WHERE seq = ?",
                [
                    (
                        s.outcome,
                        s.number,
                        s.vendor_status,
                        s.reason,
                        None if s.outcome == PENDING else now,
                        seq,
                    )
                    for seq, s in found
                ],
            )
        for _, status in found:
            self.counts[PENDING] -= 1
            self.counts[status.outcome] += 1

    def remember_days(self, found_on: Mapping[str, str]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE message SET found_on = ? WHERE message_id = ?", [(d, m) for m, d in found_on.items()]
            )

    def claim(self, message_id: str, digits: str, round_number: int) -> _Row | None:
        """The shared-id message ``(message_id, digits)`` if it is pending and not yet found this round;
        it counts as asked from now on."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM message INDEXED BY message_by_id WHERE message_id = ? AND digits = ?"
            " AND shared = 1"
            " AND outcome = ? AND listed < ? LIMIT 1",
            (message_id, digits, PENDING, round_number),
        ).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE message SET listed = ? WHERE seq = ?", (round_number, row[0]))
        return _Row.read(row)

    def not_found(self, round_number: int) -> None:
        """Shared-id messages the day records did not show this round are noted as not found."""
        with self.db:
            self.db.execute(
                "UPDATE message SET vendor_status = NULL, reason = ? WHERE outcome = ? AND shared = 1"
                " AND listed < ?",
                (NOT_FOUND, PENDING, round_number),
            )

    def sample(self, outcome: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT message_id, number, reason FROM message WHERE outcome = ? ORDER BY seq LIMIT ?",
            (outcome, SAMPLE_SIZE),
        ).fetchall()
        return [
            {"number": number, "message_id": message_id, "reason": reason}
            for message_id, number, reason in rows
        ]

    def failure_reasons(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT coalesce(reason, 'failed'), count(*) AS n FROM message WHERE outcome = ?"
            " GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
            (FAILED, REASONS_SHOWN),
        ).fetchall()
        return {reason: count for reason, count in rows}

    def statuses(self) -> Iterator[MessageStatus]:
        """Every message's latest status, in source order (streamed)."""
        rows = self.db.execute(
            "SELECT message_id, outcome, number, vendor_status, reason, seen_at FROM message ORDER BY seq"
        )
        for message_id, outcome, number, vendor_status, reason, seen_at in rows:
            seen = None if seen_at is None else utc_seconds(seen_at)
            yield MessageStatus(message_id, outcome, number, vendor_status, reason, seen)

    def close(self) -> None:
        _discard(self.db, self.directory)


def _discard(db: sqlite3.Connection, directory: str | None) -> None:
    db.close()
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


class _Source:
    """The messages a wait's options name, read a chunk at a time; where it stopped is kept between rounds."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        self.results_path: str | None = source.get("results_path")
        self.inline = [MessageRef.from_json(row) for row in source.get("message_ids") or []]
        self.done = False
        self._offset = 0
        self._line = 0
        self._file: IO[bytes] | None = None

    def read(self, at_least: int) -> list[MessageRef]:
        """The next ``at_least`` messages (fewer at the end), and the rest of the last one's id."""
        if self.done:
            return []
        if self.results_path is None:
            self.done = True
            return self.inline
        refs: list[MessageRef] = []
        handle = self._open()
        # a read that failed part-way (a bad line) starts again where the last whole read ended
        handle.seek(self._offset)
        readline = handle.readline
        line = self._line
        while True:
            full = len(refs) >= at_least
            before, counted = (handle.tell(), line) if full else (0, 0)
            ref, line = self._next(readline, line)
            if ref is None:
                break
            # a full chunk reads on while the next line is of the same message id (one NXCloud request's)
            if full and (ref.message_id != refs[-1].message_id or len(refs) >= GROUP_LIMIT):
                handle.seek(before)
                line = counted
                break
            refs.append(ref)
        self._offset, self._line = handle.tell(), line
        if self.done:
            self.close()
        return refs

    def _next(self, readline: Callable[[], bytes], line: int) -> tuple[MessageRef | None, int]:
        """The next accepted message in the file (None at its end), and the number of its line."""
        while raw := readline():
            line += 1
            if not raw.strip():
                continue
            try:
                ref = ref_from_result_line(json.loads(raw))
            except (ValueError, AttributeError) as exc:
                raise InvalidInputError(
                    "results_path", f"{self.results_path} line {line} is not a results line ({exc})"
                ) from None
            if ref is not None:
                return ref, line
        self.done = True
        return None, line

    def _open(self) -> IO[bytes]:
        if self._file is None:
            from airflow.providers.common.compat.sdk import ObjectStoragePath

            try:
                self._file = ObjectStoragePath(str(self.results_path)).open("rb")
            except FileNotFoundError:
                raise InvalidInputError("results_path", f"{self.results_path} does not exist") from None
        return self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# ----- the watch -------------------------------------------------------------------------------


class DeliveryWatch:
    """Delivery reports of the messages a source names, one poll round at a time (see the module doc).

    Each :meth:`poll` continues from what the rounds before it found; a round that
    stopped part-way (an error) keeps what its windows found.
    """

    def __init__(
        self, poller: Poller, options: Mapping[str, Any], clock: Callable[[], float] = time.time
    ) -> None:
        self.poller = poller
        #: when a message is seen final (its report line's ``seen_at``)
        self.clock = clock
        self.platform = poller.platform
        self._options = dict(options)
        self.min_delivered_ratio = float(options.get("min_delivered_ratio", 1.0))
        self.report_path: str | None = options.get("report_path")
        self._source = _Source(options["source"])
        self._what = (
            f"{PLATFORM_NAMES.get(self.platform, self.platform)} {KIND_NAMES.get(poller.kind, poller.kind)}"
        )
        where = self._source.results_path
        self.subject = (
            f"{self._what} delivery of the messages in {where}"
            if where
            else self._subject(len(self._source.inline))
        )
        self._store: _Store | None = None
        self._rounds = 0

    def _subject(self, total: int) -> str:
        return f"{self._what} delivery of {total:,} message{'' if total == 1 else 's'}"

    @classmethod
    def from_options(
        cls, hook: Any, options: Mapping[str, Any], clock: Callable[[], float] = time.time
    ) -> DeliveryWatch:
        """The watch of :func:`delivery_options`' ``options``, its app credentials read from ``hook``'s
        loaded connection."""
        source = options.get("source")
        if not isinstance(source, Mapping):
            raise InvalidInputError("source", f"must name results_path or message_ids, not {source!r}")
        checked = delivery_options(
            options.get("platform", ""),
            options.get("kind", "sms"),
            results_path=source.get("results_path"),
            message_ids=source.get("message_ids"),
            min_delivered_ratio=options.get("min_delivered_ratio", 1.0),
            app_id=options.get("app_id"),
            poller_options=options.get("poller_options"),
            report_path=options.get("report_path"),
        )
        poller = poller_for(
            checked["platform"],
            hook,
            kind=checked["kind"],
            app_id=checked["app_id"],
            clock=clock,
            options=checked["poller_options"],
        )
        return cls(poller, checked, clock)

    def options(self) -> dict[str, Any]:
        return dict(self._options)

    @staticmethod
    def check_credentials(
        hook: Any,
        platform: str,
        kind: str = "sms",
        *,
        app_id: str | None = None,
        poller_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Fail now (nothing is read or sent) if ``hook``'s loaded connection lacks what the report
        queries of (platform, kind) need: a send operator's check before its first send."""
        poller_for(platform, hook, kind=kind, app_id=app_id, options=poller_options)

    def _open_store(self) -> _Store:
        if self._store is None:
            # a fresh state reads the source from its start (a poll after conclude() starts over)
            self._source = _Source(self._options["source"])
            self._store = _Store(on_disk=self._source.results_path is not None, clock=self.clock)
            # removed with the watch if conclude() is never called
            self._finalizer = weakref.finalize(self, _discard, self._store.db, self._store.directory)
        return self._store

    def poll(self) -> Conversation[JobState]:
        """One round: every message not final yet is asked about once, a window at a time."""
        store = self._open_store()
        self._rounds += 1
        round_number = self._rounds
        window = max(1, self.poller.request_size)
        nxcloud_sms = self.poller if isinstance(self.poller, NXCloudPoller) else None
        days: set[str] = set()
        shared_open = 0
        seq = 0
        while True:
            if not self._source.done and store.open_count_after(seq, window, round_number) < window:
                store.add(self._source.read(max(window, IMPORT_CHUNK)))
                continue
            rows, seq = store.open_after(seq, window, round_number)
            if not rows:
                break
            ask = rows
            if nxcloud_sms is not None:
                nxcloud_sms.shared.clear()
                nxcloud_sms.found_on = {r.ref.message_id: r.found_on for r in rows if r.found_on}
                for row in rows:
                    if row.shared:
                        shared_open += 1
                        days.update(nxcloud_sms.days_to_try(row.ref))
                ask = [row for row in rows if not row.shared]
            yield from self._ask(store, ask)
            if nxcloud_sms is not None and nxcloud_sms.found_on:
                store.remember_days(nxcloud_sms.found_on)
                nxcloud_sms.found_on = {}
        if nxcloud_sms is not None and shared_open:
            awaited = _StoredRecords(store, round_number, shared_open)
            yield from nxcloud_sms.list_records(sorted(days, reverse=True), awaited)
            store.not_found(round_number)
        self._source.close()
        self.subject = self._subject(store.total)
        return self._state(store)

    def _ask(self, store: _Store, rows: Sequence[_Row]) -> Conversation[None]:
        if not rows:
            return
        seqs = {row.ref: row.seq for row in rows}
        refs = list(seqs)
        self.poller.expect(refs)
        for asked, exchange in self.poller.exchanges(refs):
            found = yield from exchange
            store.record([(seqs[ref], status) for ref, status in zip(asked, found, strict=True)])

    def _state(self, store: _Store) -> JobState:
        counts = store.counts
        total, delivered, failed, pending = store.total, counts[DELIVERED], counts[FAILED], counts[PENDING]
        ratio = delivered / total if total else 1.0
        summary = {
            "platform": self.platform,
            "kind": self.poller.kind,
            "total": total,
            "delivered": delivered,
            "failed": failed,
            "pending": pending,
            "delivered_ratio": round(ratio, 6),
            "min_delivered_ratio": self.min_delivered_ratio,
            "failure_reasons": store.failure_reasons(),
            "failed_sample": store.sample(FAILED),
            "pending_sample": store.sample(PENDING),
        }
        outcome = OUTCOMES[verdict(total, delivered, failed, self.min_delivered_ratio)]
        status = f"{delivered} delivered, {failed} failed, {pending} pending"
        return JobState(outcome, status, f"{self.subject}: {describe(summary)}", _bounded(summary))

    def statuses(self) -> Iterator[MessageStatus]:
        """Every message's latest status, in the order the source names them (streamed; none before
        the first poll, only the messages read so far during it)."""
        return iter(()) if self._store is None else self._store.statuses()

    def conclude(self) -> dict[str, Any]:
        """Write ``report_path`` (one JSON line per message, every message the source names) if a
        poll ran; remove the watch's state. ``{"report_path": the report written, or None}``."""
        written = None
        store = self._store
        try:
            if store is not None and self.report_path:
                while not self._source.done:
                    store.add(self._source.read(IMPORT_CHUNK))
                write_report(self.report_path, store.statuses())
                written = self.report_path
        finally:
            self._source.close()
            if store is not None:
                self._finalizer()
                self._store = None
        return {"report_path": written}


def _bounded(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` within :data:`DETAILS_LIMIT` bytes as JSON: long addresses and reasons could
    otherwise take the samples past what an event may carry; the rarest reasons and the last
    samples go first."""
    lists = [summary["failure_reasons"], summary["failed_sample"], summary["pending_sample"]]
    while len(json.dumps(summary, ensure_ascii=False)) > DETAILS_LIMIT and any(lists):
        longest = max(lists, key=lambda items: len(json.dumps(items, ensure_ascii=False)))
        if isinstance(longest, dict):
            longest.pop(next(reversed(longest)))
        else:
            longest.pop()
    return summary


class _StoredRecords:
    """The shared-id messages still open this round, as NXCloud's day-record read looks for them."""

    def __init__(self, store: _Store, round_number: int, open_count: int) -> None:
        self.store = store
        self.round_number = round_number
        self.open_count = open_count
        self._claimed: dict[MessageRef, int] = {}

    def waiting(self) -> bool:
        return self.open_count > 0

    def claim(self, keys: Sequence[tuple[tuple[str, str], ...]]) -> list[MessageRef | None]:
        claimed: list[MessageRef | None] = []
        self._claimed.clear()
        for candidates in keys:
            row = next(
                (r for k in candidates if (r := self.store.claim(k[0], k[1], self.round_number))), None
            )
            if row is not None:
                self.open_count -= 1
                self._claimed[row.ref] = row.seq
            claimed.append(None if row is None else row.ref)
        return claimed

    def record(self, ref: MessageRef, status: MessageStatus, day: str) -> None:
        self.store.record([(self._claimed[ref], status)])
        self.store.remember_days({ref.message_id: day})
