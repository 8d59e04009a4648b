"""Provider metadata for Airflow's ProvidersManager (the ``apache_airflow_provider`` entry point)."""

from __future__ import annotations

from typing import Any

from airflow_provider_nxcloud import __version__
from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud

PACKAGE = "airflow_provider_nxcloud"
#: integration name -> the module name each layer uses for it
PLATFORMS = {"NXCloud": "nxcloud", "Buka": "buka", "Fone Dynamics": "fonedynamics"}
#: integration name -> this provider's how-to guides (docs/, built by `make docs`)
HOW_TO_GUIDES = {
    "NXCloud": [
        "campaigns",
        "conventions",
        "delivery-sensors",
        "chat",
        "nxcloud-pns",
        "nxcloud-number-check",
        "exports",
    ],
    "Buka": ["campaigns", "conventions", "delivery-sensors", "buka-voice-tasks", "buka-ai-voice"],
    "Fone Dynamics": ["campaigns", "conventions", "delivery-sensors", "exports"],
}
#: integration name -> the vendor's API documentation
DOC_URLS = {"NXCloud": nxcloud.DOC_URL, "Buka": buka.DOC_URL, "Fone Dynamics": fonedynamics.DOC_URL}
#: modules beyond the platform's own, per layer and integration (task-style APIs and chat channels)
MORE_MODULES: dict[str, dict[str, list[str]]] = {
    "operators": {
        "NXCloud": ["nxcloud_pns", "nxcloud_number_check", "nxcloud_chat", "exports"],
        "Buka": ["buka_voice_tasks", "buka_ai_voice"],
        "Fone Dynamics": ["exports"],
    },
    "sensors": {
        "NXCloud": ["nxcloud_number_check"],
        "Buka": ["buka_voice_tasks", "buka_ai_voice"],
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-nxcloud",
        "name": "NXCloud, Buka and Fone Dynamics",
        "description": "SMS, voice, email, AI voice, privacy numbers and number checks through NXCloud, "
        "the Buka family (onbuka and white-labels) and Fone Dynamics.",
        # __version__ is the one source (pyproject reads it for the wheel); cheaper than importlib.metadata
        # in every Airflow process that discovers providers
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": name,
                "external-doc-url": DOC_URLS[name],
                "how-to-guide": [f"/docs/guides/{guide}.rst" for guide in HOW_TO_GUIDES[name]],
                "tags": ["service"],
            }
            for name in PLATFORMS
        ],
        "connection-types": [form.provider_entry() for form in FORMS.values()],
        "hooks": _per_platform("hooks"),
        "operators": _per_platform("operators"),
        # one module serves the three platforms' delivery sensors; one trigger serves every wait
        "sensors": _per_platform("sensors", shared="delivery"),
        "triggers": _per_platform("triggers", shared="wait"),
        "notifications": ["airflow_provider_nxcloud.notifications.sms.SmsNotifier"],
        "extra-links": [
            "airflow_provider_nxcloud.operators.links.VendorConsoleLink",
            "airflow_provider_nxcloud.operators.links.CampaignLink",
        ],
        # rows of any common.sql connection into an SMS campaign (the [sql] extra)
        "transfers": [
            {
                "source-integration-name": "Common SQL",
                "target-integration-name": name,
                "python-module": f"{PACKAGE}.transfers.sql_to_sms",
            }
            for name in PLATFORMS
        ],
    }


def _per_platform(layer: str, shared: str | None = None) -> list[dict[str, Any]]:
    """Each integration's modules of one layer: its own (or the ``shared`` one), then its extra ones."""
    more = MORE_MODULES.get(layer, {})
    return [
        {
            "integration-name": name,
            "python-modules": [f"{PACKAGE}.{layer}.{m}" for m in [shared or module, *more.get(name, [])]],
        }
        for name, module in PLATFORMS.items()
    ]
