"""The campaign record a send task leaves for the delivery view (:data:`~.CAMPAIGN_XCOM_KEY`).

Built from what the send already knows: its summary's counts, the validation's, the decisions
that settled batches in doubt, and (after the wait) the delivery summary's counts. Small plain
JSON whatever the campaign's size: no vendor ids (the results file holds them), no samples of
numbers, nothing from the connection.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_nxcloud.campaign.delivery.messages import send_epoch
from airflow_provider_nxcloud.campaign.results import utc_seconds
from airflow_provider_nxcloud.delivery_view import CampaignRecord

#: what of a delivery summary the record keeps: counts and where every message's status is
DELIVERY_KEYS = (
    "platform",
    "kind",
    "total",
    "delivered",
    "failed",
    "pending",
    "delivered_ratio",
    "min_delivered_ratio",
    "failure_reasons",
    "report_path",
)
#: what of a decision the record keeps
DECISION_KEYS = ("batch", "reference", "decision", "by", "recipients")


def campaign_record(
    *,
    operator: str,
    kind: str,
    send: Mapping[str, Any],
    valid: int,
    decisions: Sequence[Mapping[str, Any]] = (),
    in_doubt: int = 0,
    paused: bool = False,
    started_at: float,
    ended_at: float,
) -> CampaignRecord:
    """The record of a send that ended: ``send`` is the operator's send summary (its return value
    without the delivery); ``valid`` the recipients the validation kept (suppressed ones included);
    ``in_doubt`` the recipients of batches left in doubt when the send ended on them; ``paused``: the
    send has not ended but waits (quiet hours hold batches, a person is asked about one), ``ended_at``
    being when it paused; times are epoch seconds."""
    kept = [{key: decision.get(key) for key in DECISION_KEYS} for decision in decisions]
    invalid, duplicates = _count(send.get("invalid")), _count(send.get("duplicates"))
    results_path = send.get("results_path")
    return {
        "platform": str(send.get("platform", "")),
        "kind": kind,
        "operator": operator,
        "results_path": str(results_path) if results_path else None,
        "report_path": None,
        "recipients": valid + invalid + duplicates,
        "valid": valid,
        "invalid": invalid,
        "duplicates": duplicates,
        "suppressed": _count(send.get("suppressed")),
        "accepted": _count(send.get("accepted")),
        "rejected": _count(send.get("rejected")),
        "skipped": sum(int(d.get("recipients") or 0) for d in kept if d.get("decision") == "skip"),
        "in_doubt": in_doubt,
        "paused": paused,
        "delivery": None,
        "decisions": kept,
        "started_at": utc_seconds(started_at),
        "ended_at": utc_seconds(ended_at),
    }


def earlier_progress(record: Any) -> tuple[float, list[dict[str, Any]]]:
    """When a send started and the decisions it applied, from the record an earlier part of it left
    (a send resumed after quiet hours or a person's answer); a fresh send: now, none."""
    if not isinstance(record, Mapping):
        return time.time(), []
    started = send_epoch(record.get("started_at"))
    decisions = [dict(d) for d in record.get("decisions") or [] if isinstance(d, Mapping)]
    return (time.time() if started is None else started), decisions


def delivery_counts(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """What a record keeps of a delivery summary: its counts and ``report_path`` (the samples of
    numbers stay out: the report names every message)."""
    return {key: delivery[key] for key in DELIVERY_KEYS if key in delivery}


def with_delivery(record: Mapping[str, Any], delivery: Mapping[str, Any], ended_at: float) -> CampaignRecord:
    """``record`` after the delivery wait ended with the summary ``delivery``."""
    kept = delivery_counts(delivery)
    updated: CampaignRecord = {**record, "delivery": kept}  # type: ignore[typeddict-item]
    updated["report_path"] = str(kept["report_path"]) if kept.get("report_path") else None
    updated["ended_at"] = utc_seconds(ended_at)
    updated["paused"] = False
    return updated


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
