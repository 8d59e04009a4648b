"""What a send task shows beyond its logs: links to the vendor's console and to the campaign's page
in the delivery view, its results file as an Asset.

Airflow 3 evaluates an operator's extra links in the worker when the task ends (whatever its
state) and stores each as an XCom: the link is computed from the rendered task there, and
works per map index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import Asset, AssetAlias, BaseOperatorLink, conf

from airflow_provider_nxcloud.delivery_view.urls import campaign_url
from airflow_provider_nxcloud.exceptions import InvalidInputError, NXCloudProviderError

#: the send summary's counts an asset event carries (with the results file and the platform)
ASSET_EVENT_KEYS = (
    "platform",
    "accepted",
    "rejected",
    "invalid",
    "duplicates",
    "results_path",
    "results_lines",
)


class VendorConsoleLink(BaseOperatorLink):
    """The vendor's console for the task's connection (its ``console_url`` extra, else the vendor's own)."""

    name = "Vendor console"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        try:
            return str(operator.hook.console_url)
        except NXCloudProviderError:  # a connection too broken to say: no link rather than an error
            return ""


class CampaignLink(BaseOperatorLink):
    """The campaign's page in the delivery view (the provider's Airflow UI plugin) for this task instance."""

    name = "Campaign"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        # evaluated in the worker: [api] base_url is the deployment's public address of the UI, when set
        base_url = conf.get("api", "base_url", fallback="") or ""
        return campaign_url(base_url, ti_key.dag_id, ti_key.run_id, ti_key.task_id, ti_key.map_index)


def results_asset_uri(results_path: Any) -> str:
    """The results file as an Asset URI: an object storage URL as it is, a local path as ``file://``."""
    text = str(results_path)
    return text if "://" in text else Path(text).absolute().as_uri()


def check_asset_outlets(outlets: Any, results_path: Any) -> None:
    """An ``AssetAlias`` outlet names the results file's Asset at run time: it needs ``results_path``."""
    if not results_path and any(isinstance(outlet, AssetAlias) for outlet in outlets or ()):
        raise InvalidInputError(
            "results_path", "is needed with an AssetAlias outlet: the alias names the results file's Asset"
        )


def announce_results(outlets: Any, context: Any, result: dict[str, Any]) -> None:
    """Put the campaign's counts on its asset events: the Assets in ``outlets`` carry them as ``extra``,
    and each ``AssetAlias`` gets an event of the results file's own Asset (``file://`` or the
    object storage URL), so a DAG scheduled on that file starts when the campaign wrote it."""
    events = context.get("outlet_events")
    if events is None or not outlets:
        return
    extra = {key: result[key] for key in ASSET_EVENT_KEYS if result.get(key) is not None}
    for outlet in outlets:
        if isinstance(outlet, AssetAlias):
            events[outlet].add(Asset(uri=results_asset_uri(result["results_path"])), extra=extra)
        elif isinstance(outlet, Asset):
            events[outlet].extra.update(extra)


__all__ = [
    "CampaignLink",
    "VendorConsoleLink",
    "announce_results",
    "check_asset_outlets",
    "results_asset_uri",
]
