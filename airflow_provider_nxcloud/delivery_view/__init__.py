"""The delivery view: how a campaign went, in the Airflow UI.

A send task leaves a small *campaign record* as an XCom under :data:`CAMPAIGN_XCOM_KEY`
(its identity comes from the task instance that pushed it). The view's API lists those
records for the DAGs the signed-in user may read and builds one campaign's page
(:class:`CampaignPage`) by streaming the results file and the delivery report the
campaign wrote. Nothing here sends anything.
"""

from __future__ import annotations

from typing import Any, TypedDict

#: the XCom key a send task leaves its campaign record under
CAMPAIGN_XCOM_KEY = "nxcloud_campaign"
#: the XCom key a delivery sensor that read a results file leaves its delivery record under:
#: ``{"results_path", "delivery"}`` (the delivery summary's counts, as in a campaign record); the
#: view joins it to the campaign of the same run whose results file it read
DELIVERY_XCOM_KEY = "nxcloud_delivery"


class CampaignRecord(TypedDict, total=False):
    """What a send task pushes under :data:`CAMPAIGN_XCOM_KEY`: small, plain JSON, no secret."""

    platform: str  # "buka", "nxcloud", "fonedynamics"
    kind: str  # "sms", "voice", "email", ...
    operator: str  # the operator's class name
    results_path: str | None  # the results file (JSON Lines), when the task wrote one
    report_path: str | None  # the delivery report (JSON Lines), when the wait wrote one
    recipients: int  # every recipient read from the source
    valid: int
    invalid: int
    duplicates: int
    suppressed: int
    accepted: int
    rejected: int
    skipped: int  # recipients of batches a person (or in_doubt_decisions) chose to skip
    #: recipients of batches left in doubt when the send ended on them (the task failed naming them)
    in_doubt: int
    #: the send has not ended: it waits (quiet hours hold batches, or a person is asked about a batch
    #: in doubt); ended_at is when it paused, the counts are those so far
    paused: bool
    #: the delivery wait's summary, counts only: platform, kind, total, delivered, failed, pending,
    #: delivered_ratio, min_delivered_ratio, failure_reasons, report_path (no samples of numbers)
    delivery: dict[str, Any] | None
    #: batches in doubt a decision settled: {"batch", "reference", "decision": "skip" | "resend",
    #: "by": a person or "in_doubt_decisions", "recipients"}
    decisions: list[dict[str, Any]]
    started_at: str  # ISO 8601 UTC to the second, "2026-12-03T07:01:02Z"
    ended_at: str  # the send's end; after the delivery wait, the wait's


class CampaignPage(TypedDict):
    """One campaign's page, as the view's API returns it."""

    #: dag_id, run_id, task_id, map_index + the record's platform, kind, operator, started_at,
    #: ended_at, results_path, report_path (object-storage URLs without credentials)
    campaign: dict[str, Any]
    #: recipients -> valid -> accepted -> delivered / failed / pending, with in_doubt, skipped,
    #: suppressed, invalid, duplicates, rejected; delivered/failed/pending are None without delivery
    #: data. accepted, rejected, skipped, suppressed count the results file's lines when there is one;
    #: delivered, failed, pending the report's (else the record's delivery summary)
    funnel: dict[str, int | None]
    #: per minute, oldest first: {"minute": "2026-12-03T07:01:00Z", "accepted", "delivered",
    #: "failed"}; accepted by the results lines' recorded_at (when the vendor's answer to the batch
    #: was written), delivered and failed by the report lines' seen_at (when the wait saw them final)
    timeline: list[dict[str, Any]]
    #: most frequent first: {"reason", "stage": "send" | "delivery", "count"}; at most 20, then
    #: one {"reason": "other", "stage": "send" | "delivery" | "send, delivery", "count"} for the rest
    failures_by_reason: list[dict[str, Any]]
    #: most frequent first: {"country": ISO 3166 alpha-2 or "unknown", "count"}
    failures_by_country: list[dict[str, Any]]
    #: the batches settled by a person, as in the record
    decisions: list[dict[str, Any]]
    #: how the page was read: {"results": {"path", "lines", "parsed_lines", "seconds"} or None,
    #: "report": the same or None, "seconds": the whole page}
    source: dict[str, Any]
