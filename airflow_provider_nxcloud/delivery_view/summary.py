"""One campaign's page from its record, its results file and its delivery report.

STAND-IN (view-ui branch): a deliberately simple reading written so the UI half can be built
and tested before the data half lands; the data half's module replaces this file at merge.
It follows only the contract in :mod:`airflow_provider_nxcloud.delivery_view`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_nxcloud.delivery_view import CampaignPage, CampaignRecord

#: result statuses that say what became of a recipient; any other status is in doubt
SETTLED_STATUSES = frozenset({"accepted", "rejected", "skipped", "suppressed"})
RECORD_FIELDS = ("platform", "kind", "operator", "results_path", "report_path", "started_at", "ended_at")


def campaign_page(record: CampaignRecord, identity: Mapping[str, Any]) -> CampaignPage:
    """The page of the campaign ``record`` (pushed by the task instance ``identity`` names)."""
    started = time.monotonic()
    source: dict[str, Any] = {}
    in_doubt = 0
    accepted_by_minute: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    countries: Counter[str] = Counter()
    results_path = record.get("results_path")
    if results_path:
        lines = 0
        for line in _lines(str(results_path)):
            lines += 1
            status = line.get("status")
            if status not in SETTLED_STATUSES:
                in_doubt += 1
            if status == "accepted" and line.get("sent_at"):
                accepted_by_minute[str(line["sent_at"])[:16] + ":00Z"] += 1
            if status == "rejected":
                reasons[(str(line.get("error") or "unknown"), "send")] += 1
                countries[_country(line.get("number"))] += 1
        source["results_lines"] = lines
    delivery: Mapping[str, Any] = record.get("delivery") or {}
    report_path = record.get("report_path")
    outcomes: Counter[str] = Counter()
    if report_path:
        lines = 0
        for line in _lines(str(report_path)):
            lines += 1
            outcome = str(line.get("outcome"))
            outcomes[outcome] += 1
            if outcome == "failed":
                reasons[(str(line.get("reason") or "unknown"), "delivery")] += 1
                countries[_country(line.get("number"))] += 1
        source["report_lines"] = lines
    source["seconds"] = round(time.monotonic() - started, 3)

    def delivered(outcome: str) -> int | None:
        if report_path:
            return outcomes[outcome]
        return int(delivery[outcome]) if outcome in delivery else None

    return CampaignPage(
        campaign={**identity, **{name: record.get(name) for name in RECORD_FIELDS}},
        funnel={
            "recipients": record.get("recipients", 0),
            "valid": record.get("valid", 0),
            "accepted": record.get("accepted", 0),
            "delivered": delivered("delivered"),
            "failed": delivered("failed"),
            "pending": delivered("pending"),
            "in_doubt": in_doubt,
            "skipped": record.get("skipped", 0),
            "suppressed": record.get("suppressed", 0),
            "invalid": record.get("invalid", 0),
            "duplicates": record.get("duplicates", 0),
            "rejected": record.get("rejected", 0),
        },
        timeline=[
            {"minute": minute, "accepted": count, "delivered": 0, "failed": 0}
            for minute, count in sorted(accepted_by_minute.items())
        ],
        failures_by_reason=[
            {"reason": reason, "stage": stage, "count": count}
            for (reason, stage), count in reasons.most_common()
        ],
        failures_by_country=[
            {"country": country, "count": count} for country, count in countries.most_common()
        ],
        decisions=list(record.get("decisions") or []),
        source=source,
    )


def _lines(path: str) -> Iterator[dict[str, Any]]:
    """The JSON lines of a local file or object storage URL, one at a time."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    with ObjectStoragePath(path).open("r") as lines:
        for text in lines:
            if text.strip():
                yield json.loads(text)


def _country(number: Any) -> str:
    import phonenumbers

    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+{str(number).lstrip('+')}"))
    except phonenumbers.NumberParseException:
        return "unknown"
    return region or "unknown"
