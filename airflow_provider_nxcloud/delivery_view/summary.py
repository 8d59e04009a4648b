"""One campaign's page, from its record and the two files it names, each streamed once.

:func:`campaign_page` reads the results file (one line per recipient) and the delivery report
(one line per message) a chunk at a time (:mod:`.lines`): memory stays a few chunks whatever
the campaign's size, and a million recipients take about a second (``bench``'s
``delivery_view_page`` case). Counts come from the files when they exist, so a page agrees with
the lines a person can open; what only the send knew (recipients read, invalid, duplicates) comes
from the record.

A file the record names that cannot be read raises :class:`CampaignFileMissingError` (gone)
or :class:`CampaignFileUnreadableError` (there but not readable as JSON Lines); the view's API
then shows the record's own counts with that message, which names the file as it may be shown
(:func:`shown_path`: an object-storage URL without its credentials).
"""

from __future__ import annotations

import json
import operator
import re
import time
from collections import Counter
from collections.abc import Mapping
from typing import IO, Any

from airflow_provider_nxcloud.delivery_view import CampaignPage
from airflow_provider_nxcloud.delivery_view.countries import CountryLookup, international_digits
from airflow_provider_nxcloud.delivery_view.lines import (
    LineShape,
    LineTally,
    RareLines,
    UnreadableLineError,
    minute_of,
    tally,
)
from airflow_provider_nxcloud.exceptions import NXCloudProviderError
from airflow_provider_nxcloud.hooks.network import redact_url

#: failure reasons a page names; the rest are summed in one "other" row
REASONS_SHOWN = 20
#: the reason of that row
OTHER_REASONS = "other"
#: the campaign's identity, as the API gives it (from the task instance that pushed the record)
IDENTITY_KEYS = ("dag_id", "run_id", "task_id", "map_index")
#: what of the record the page's ``campaign`` repeats
RECORD_KEYS = ("platform", "kind", "operator", "started_at", "ended_at")

#: results lines (campaign.results): accepted ones counted per minute of ``recorded_at``
RESULTS_SHAPE = LineShape(
    status_key="status",
    timed_status="accepted",
    time_key="recorded_at",
    parsed_statuses=("rejected",),
    counted_statuses=("skipped", "suppressed"),
    default_status="accepted",
)
#: delivery report lines (campaign.delivery.verdict.write_report): delivered ones per minute of ``seen_at``
REPORT_SHAPE = LineShape(
    status_key="outcome",
    timed_status="delivered",
    time_key="seen_at",
    parsed_statuses=("failed",),
    counted_statuses=("pending",),
    default_status="pending",
)


class CampaignFileError(NXCloudProviderError):
    """A file a campaign record names could not be read; ``path`` is as it may be shown."""

    def __init__(self, what: str, path: str, problem: str) -> None:
        self.what = what
        self.path = path
        super().__init__(f"the campaign's {what} {path} {problem}")


class CampaignFileMissingError(CampaignFileError):
    """The file is not there (moved, deleted, never written)."""


class CampaignFileUnreadableError(CampaignFileError):
    """The file is there but cannot be read as the campaign's JSON Lines."""


def shown_path(path: Any) -> str:
    """A path or URL as a page and an error may show it: an object-storage URL loses its user
    name and password (``s3://key:secret@bucket/x`` -> ``s3://***@bucket/x``)."""
    text = str(path)
    return redact_url(text, with_path=True) if "://" in text else text


def campaign_page(record: Mapping[str, Any], identity: Mapping[str, Any]) -> CampaignPage:
    """The page of the campaign ``record`` (a :class:`~.CampaignRecord`) that ``identity``'s task
    instance pushed; each file the record names is read once, streamed."""
    started = time.perf_counter()
    failures = _Failures()
    results_path = record.get("results_path")
    delivery = record.get("delivery") if isinstance(record.get("delivery"), Mapping) else None
    report_path = record.get("report_path") or (delivery or {}).get("report_path")
    results = _read("results file", results_path, RESULTS_SHAPE, failures.rejected) if results_path else None
    report = _read("delivery report", report_path, REPORT_SHAPE, failures.failed) if report_path else None
    return {
        "campaign": {
            **{key: identity.get(key) for key in IDENTITY_KEYS},
            **{key: record.get(key) for key in RECORD_KEYS},
            "results_path": shown_path(results_path) if results_path else None,
            "report_path": shown_path(report_path) if report_path else None,
        },
        "funnel": _funnel(record, delivery, results, report),
        "timeline": _timeline(results, report, failures),
        "failures_by_reason": failures.by_reason(),
        "failures_by_country": [
            {"country": country, "count": count} for country, count in _ranked(failures.countries)
        ],
        "decisions": [dict(decision) for decision in record.get("decisions") or []],
        "source": {
            "results": _source(results_path, results),
            "report": _source(report_path, report),
            "seconds": round(time.perf_counter() - started, 3),
        },
    }


class _ReadFile:
    def __init__(self, lines: LineTally, seconds: float) -> None:
        self.tally = lines
        self.seconds = seconds


def _read(what: str, path: Any, shape: LineShape, on_rare: RareLines) -> _ReadFile:
    started = time.perf_counter()
    shown = shown_path(path)
    try:
        with _open(str(path)) as handle:
            lines = tally(handle, shape, on_rare)
    except FileNotFoundError:
        raise CampaignFileMissingError(what, shown, "does not exist") from None
    except UnreadableLineError as exc:
        raise CampaignFileUnreadableError(what, shown, f"is not JSON Lines: {exc}") from None
    except ValueError:
        # no filesystem for the URL's scheme (its message may repeat the URL: not shown)
        raise CampaignFileUnreadableError(
            what, shown, "cannot be opened: no filesystem reads its URL"
        ) from None
    except OSError as exc:
        raise CampaignFileUnreadableError(
            what, shown, f"cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    return _ReadFile(lines, time.perf_counter() - started)


def _open(path: str) -> IO[bytes]:
    if "://" not in path:
        return open(path, "rb")  # a local file directly: no filesystem layer between chunks
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    handle: IO[bytes] = ObjectStoragePath(path).open("rb")
    return handle


#: a JSON string's content as our writers write it (escapes kept, decoded when present)
_TEXT = rb'(?:null|"((?:[^"\\\n]|\\.)*)")'
#: a number as the writers write it: its first digits (enough for its country) and the rest
_NUMBER = rb'(?:null|"\+?(\d{0,7})(\d*)")'
_OTHER = rb'(?:null|"[^"\\\n]*")'
#: a results line of a rejected recipient, as campaign.results writes it: (prefix, rest, "", error)
_REJECTED = re.compile(
    rb'^\{"batch": -?\d+, "number": '
    + _NUMBER
    + rb', "status": "rejected", "recorded_at": '
    + _OTHER
    + rb"()"
    + rb', "vendor_id": '
    + _OTHER
    + rb', "reference": '
    + _OTHER
    + rb', "error": '
    + _TEXT
    + rb', "sent_at": '
    + _OTHER
    + rb"\}\r?$",
    re.MULTILINE,
)
#: a delivery report line of a failed message, as write_report writes it: (prefix, rest, minute, reason)
_FAILED = re.compile(
    rb'^\{"message_id": '
    + _OTHER
    + rb', "number": '
    + _NUMBER
    + rb', "outcome": "failed", "seen_at": '
    + rb'(?:null|"(\d{4}-\d\d-\d\dT\d\d:\d\d):\d\dZ")'
    + rb', "vendor_status": '
    + _OTHER
    + rb', "reason": '
    + _TEXT
    + rb"\}\r?$",
    re.MULTILINE,
)


class _Failures:
    """Send rejections and delivery failures, by reason and by country, as the files are read.

    A chunk's rejected (failed) lines come together: when every one is in the writer's own shape,
    one regex pass takes the number's first digits, the minute and the reason of all of them and
    they are counted by those (a few thousand distinct); otherwise each line is parsed.
    """

    def __init__(self) -> None:
        self.reasons: Counter[tuple[str, str]] = Counter()
        self.countries: Counter[str] = Counter()
        self.minutes: Counter[str] = Counter()
        self._lookup = CountryLookup()

    def rejected(self, lines: list[bytes]) -> None:
        self._add(lines, _REJECTED, "error", "rejected", "send")

    def failed(self, lines: list[bytes]) -> None:
        self._add(lines, _FAILED, "reason", "failed", "delivery")

    def _add(self, lines: list[bytes], shape: re.Pattern[bytes], key: str, default: str, stage: str) -> None:
        rows = shape.findall(b"\n".join(lines))
        if len(rows) != len(lines):
            # not all in the writer's shape: each line parsed (ValueError for one that is not JSON)
            rows = [_fields(_json_object(line), key) for line in lines]
        counts = Counter(map(_prefix_minute_reason, rows))
        # the first number of each prefix, as a line-by-line read would meet it (its country stands for them)
        first = dict(zip(map(_prefix, reversed(rows)), map(_number_of, reversed(rows)), strict=True))
        countries = {prefix: self._lookup.country(number) for prefix, number in _in_order(first, rows)}
        for (prefix, minute, reason), count in counts.items():
            self.reasons[(_text(reason) or default, stage)] += count
            self.countries[countries[prefix]] += count
            if minute:
                self.minutes[minute.decode()] += count

    def by_reason(self) -> list[dict[str, Any]]:
        ranked = _ranked(self.reasons)
        rows: list[dict[str, Any]] = [
            {"reason": reason, "stage": stage, "count": count}
            for (reason, stage), count in ranked[:REASONS_SHOWN]
        ]
        rest = ranked[REASONS_SHOWN:]
        if rest:
            stages = {stage for (_, stage), _ in rest}
            rows.append(
                {
                    "reason": OTHER_REASONS,
                    "stage": stages.pop() if len(stages) == 1 else "send, delivery",
                    "count": sum(count for _, count in rest),
                }
            )
        return rows


_prefix = operator.itemgetter(0)
_prefix_minute_reason = operator.itemgetter(0, 2, 3)


def _number_of(row: tuple[bytes, ...]) -> str:
    return (row[0] + row[1]).decode()


def _in_order(first: dict[bytes, str], rows: list[tuple[bytes, ...]]) -> list[tuple[bytes, str]]:
    """``first``'s prefixes in the order the rows first name them."""
    return [(prefix, first[prefix]) for prefix in dict.fromkeys(map(_prefix, rows))]


def _json_object(line: bytes) -> dict[str, Any]:
    row = json.loads(line)
    if not isinstance(row, dict):
        raise ValueError(f"a JSON {type(row).__name__}, not an object")
    return row


def _fields(row: Mapping[str, Any], key: str) -> tuple[bytes, bytes, bytes, bytes]:
    """A parsed line as the shape regexes give it: (number prefix, rest, minute, reason as JSON text)."""
    digits = international_digits(None if row.get("number") is None else str(row["number"])).encode()
    minute = minute_of(row.get("seen_at")) if key == "reason" else None
    reason = row.get(key)
    text = b"" if reason in (None, "") else json.dumps(str(reason), ensure_ascii=False)[1:-1].encode()
    return digits[:7], digits[7:], (minute or "").encode(), text


def _text(raw: bytes) -> str:
    """A JSON string's content (as written between its quotes) as text, stripped."""
    text = json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode()
    return str(text).strip()


def _ranked(counts: Counter[Any]) -> list[tuple[Any, int]]:
    """Most frequent first; ties in the key's order, so a page reads the same every time."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _funnel(
    record: Mapping[str, Any],
    delivery: Mapping[str, Any] | None,
    results: _ReadFile | None,
    report: _ReadFile | None,
) -> dict[str, int | None]:
    funnel: dict[str, int | None] = {
        key: _count(record.get(key))
        for key in ("recipients", "valid", "invalid", "duplicates", "suppressed", "in_doubt")
    }
    send = ("accepted", "rejected", "skipped")
    if results is not None:
        # the file's lines, kept across tries, are what was sent; the record repeats the last try's sums
        statuses = results.tally.statuses
        funnel.update({key: statuses[key] for key in send})
        funnel["suppressed"] = statuses["suppressed"]
    else:
        funnel.update({key: _count(record.get(key)) for key in send})
    outcomes = ("delivered", "failed", "pending")
    if report is not None:
        funnel.update({key: report.tally.statuses[key] for key in outcomes})
    else:
        funnel.update({key: _count(delivery.get(key)) if delivery else None for key in outcomes})
    return funnel


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _timeline(
    results: _ReadFile | None, report: _ReadFile | None, failures: _Failures
) -> list[dict[str, Any]]:
    accepted = results.tally.minutes if results else Counter()
    delivered = report.tally.minutes if report else Counter()
    minutes = sorted(set(accepted) | set(delivered) | set(failures.minutes))
    return [
        {
            "minute": f"{minute}:00Z",
            "accepted": accepted[minute],
            "delivered": delivered[minute],
            "failed": failures.minutes[minute],
        }
        for minute in minutes
    ]


def _source(path: Any, read: _ReadFile | None) -> dict[str, Any] | None:
    if read is None:
        return None
    return {
        "path": shown_path(path),
        "lines": read.tally.lines,
        "parsed_lines": read.tally.parsed,
        "seconds": round(read.seconds, 3),
    }
