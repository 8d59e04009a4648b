"""Waiting for delivery reports.

* :mod:`.messages`: which messages a wait is about (from ids, a results file, a send
  task's XCom) and what a vendor says about each;
* :mod:`.pollers`: how each platform is asked, one poller per (platform, kind);
* :mod:`.verdict`: when the wait is over, and the report it leaves;
* :mod:`.watch`: the wait itself, :class:`DeliveryWatch` (watch name ``"delivery"``).
"""

from airflow_provider_nxcloud.campaign.delivery.messages import (
    DELIVERED,
    FAILED,
    NOT_FOUND,
    PENDING,
    SAMPLE_SIZE,
    MessageRef,
    MessageStatus,
    compact_date,
    ref_from_result_line,
    refs_from_ids,
    refs_from_results,
    refs_from_send_result,
    send_epoch,
)
from airflow_provider_nxcloud.campaign.delivery.pollers import (
    BUKA_REPORT_MAX_IDS,
    BUKA_REPORTS,
    PLATFORMS,
    POLLERS,
    BukaCallPoller,
    BukaPoller,
    BukaReport,
    Exchange,
    FoneDynamicsPoller,
    NXCloudPoller,
    NXCloudVoicePoller,
    Planned,
    Poller,
    poller_for,
)
from airflow_provider_nxcloud.campaign.delivery.verdict import (
    FAILURE,
    SUCCESS,
    check_ratio,
    describe,
    verdict,
    write_report,
)
from airflow_provider_nxcloud.campaign.delivery.watch import (
    INLINE_MESSAGE_LIMIT,
    DeliveryWatch,
    delivery_options,
)

__all__ = [
    "BUKA_REPORTS",
    "BUKA_REPORT_MAX_IDS",
    "DELIVERED",
    "FAILED",
    "FAILURE",
    "INLINE_MESSAGE_LIMIT",
    "NOT_FOUND",
    "PENDING",
    "PLATFORMS",
    "POLLERS",
    "SAMPLE_SIZE",
    "SUCCESS",
    "BukaCallPoller",
    "BukaPoller",
    "BukaReport",
    "DeliveryWatch",
    "Exchange",
    "FoneDynamicsPoller",
    "MessageRef",
    "MessageStatus",
    "NXCloudPoller",
    "NXCloudVoicePoller",
    "Planned",
    "Poller",
    "check_ratio",
    "compact_date",
    "delivery_options",
    "describe",
    "poller_for",
    "ref_from_result_line",
    "refs_from_ids",
    "refs_from_results",
    "refs_from_send_result",
    "send_epoch",
    "verdict",
    "write_report",
]
