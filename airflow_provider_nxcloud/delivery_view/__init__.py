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
    delivery: dict[str, Any] | None  # the delivery wait's summary (delivered, failed, pending...)
    decisions: list[
        dict[str, Any]
    ]  # batches settled by a person: {"batch", "reference", "decision", "recipients"}
    started_at: str  # ISO 8601 UTC
    ended_at: str


class CampaignPage(TypedDict):
    """One campaign's page, as the view's API returns it."""

    campaign: dict[str, Any]  # dag_id, run_id, task_id, map_index + the record's platform, kind, paths, times
    #: recipients -> valid -> accepted -> delivered / failed / pending, with in_doubt, skipped,
    #: suppressed, invalid, duplicates, rejected; delivered/failed/pending are None without delivery data
    funnel: dict[str, int | None]
    #: per minute (ISO 8601 UTC, "2026-12-03T07:01:00Z"): accepted, delivered, failed
    timeline: list[dict[str, Any]]
    #: most frequent first: {"reason", "stage": "send" | "delivery", "count"}
    failures_by_reason: list[dict[str, Any]]
    #: most frequent first: {"country": ISO 3166 alpha-2 or "unknown", "count"}
    failures_by_country: list[dict[str, Any]]
    #: the batches settled by a person, as in the record
    decisions: list[dict[str, Any]]
    #: how the page was read: lines of each file and the seconds it took
    source: dict[str, Any]
