"""When a delivery wait is over, and how its end is told.

The wait succeeds when every message is final and ``delivered / total >=
min_delivered_ratio``; it fails as soon as so many have failed that the ratio
can no longer be reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_nxcloud.campaign.delivery.messages import PENDING, MessageStatus
from airflow_provider_nxcloud.exceptions import InvalidInputError

#: verdicts of a wait (the trigger's event statuses add "timeout" and "error")
SUCCESS = "success"
FAILURE = "failure"
#: how many failed and pending messages :func:`describe` names (the summary's samples hold more)
NAMES_TOLD = 5


def check_ratio(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInputError("min_delivered_ratio", f"must be a number from 0 to 1, not {value!r}")
    return float(value)


def verdict(total: int, delivered: int, failed: int, min_delivered_ratio: float) -> str:
    """``success`` (every message final, ratio met), ``failure`` (the ratio can no longer be met,
    even before every message is final) or ``pending``."""
    if total == 0:
        return SUCCESS
    if (total - failed) / total < min_delivered_ratio:
        return FAILURE
    if delivered + failed < total:
        return PENDING
    return SUCCESS if delivered / total >= min_delivered_ratio else FAILURE


def describe(summary: Mapping[str, Any]) -> str:
    """One readable sentence from a summary: counts, then the failed numbers and why."""
    total = summary.get("total", 0)
    reached = "answered" if summary.get("kind") == "voice" else "delivered"
    text = (
        f"{summary.get('platform')}: {summary.get('delivered', 0)} of {total} {reached} "
        f"({float(summary.get('delivered_ratio', 0)):.1%}, at least "
        f"{float(summary.get('min_delivered_ratio', 1)):.1%} required), {summary.get('failed', 0)} failed, "
        f"{summary.get('pending', 0)} pending"
    )
    failed = (summary.get("failed_sample") or [])[:NAMES_TOLD]
    if failed:
        names = ", ".join(f"{s.get('number') or s.get('message_id')} ({s.get('reason')})" for s in failed)
        more = int(summary.get("failed", 0)) - len(failed)
        text += f". Failed: {names}" + (f" and {more} more" if more > 0 else "")
    pending = (summary.get("pending_sample") or [])[:NAMES_TOLD]
    if pending:
        names = ", ".join(
            str(s.get("number") or s.get("message_id")) + (f" ({s['reason']})" if s.get("reason") else "")
            for s in pending
        )
        more = int(summary.get("pending", 0)) - len(pending)
        text += f". Pending: {names}" + (f" and {more} more" if more > 0 else "")
    if summary.get("report_path"):
        text += f". Every message: {summary['report_path']}"
    return text


def write_report(path: Any, statuses: Iterable[MessageStatus]) -> int:
    """One JSON line per message at ``path`` (any ``ObjectStoragePath``); returns the line count."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    target = path if isinstance(path, ObjectStoragePath) else ObjectStoragePath(str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    # streamed: a report of a million messages is never held in memory
    with target.open("w") as out:
        for status in statuses:
            out.write(json.dumps(status.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count
