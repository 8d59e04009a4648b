"""STAND-IN until the delivery view's data half is merged: a Buka SMS send that pushes its campaign record.

The data half makes every send operator push a :class:`CampaignRecord` under
:data:`CAMPAIGN_XCOM_KEY` itself; until then the browser test's DAGs send through this subclass,
which builds the record from the send summary the operator returns. Delete it (and use
``BukaSendSmsOperator`` in tests/ui/test_delivery_view.py) once the operators push the record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow_provider_nxcloud.delivery_view import CAMPAIGN_XCOM_KEY, CampaignRecord
from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator


class RecordingBukaSendSmsOperator(BukaSendSmsOperator):
    def execute(self, context: Any) -> dict[str, Any]:
        started_at = datetime.now(UTC).isoformat()
        result = super().execute(context)
        context["ti"].xcom_push(key=CAMPAIGN_XCOM_KEY, value=campaign_record(result, started_at))
        return result


def campaign_record(result: dict[str, Any], started_at: str) -> CampaignRecord:
    valid = result["accepted"] + result["rejected"]
    return CampaignRecord(
        platform=result["platform"],
        kind="sms",
        operator="BukaSendSmsOperator",
        results_path=result.get("results_path"),
        report_path=None,
        recipients=valid + result["invalid"] + result["duplicates"] + result.get("suppressed", 0),
        valid=valid,
        invalid=result["invalid"],
        duplicates=result["duplicates"],
        suppressed=result.get("suppressed", 0),
        accepted=result["accepted"],
        rejected=result["rejected"],
        skipped=0,
        delivery=result.get("delivery"),
        decisions=[],
        started_at=started_at,
        ended_at=datetime.now(UTC).isoformat(),
    )
