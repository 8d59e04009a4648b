"""Provider metadata for Airflow's ProvidersManager (the ``apache_airflow_provider`` entry point)."""

from __future__ import annotations

from typing import Any

from airflow_provider_nxcloud.connection_forms import FORMS

PACKAGE = "airflow_provider_nxcloud"
#: integration name -> the module name each layer uses for it
PLATFORMS = {"NXCloud": "nxcloud", "Buka": "buka", "Fone Dynamics": "fonedynamics"}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-nxcloud",
        "name": "NXCloud, Buka and Fone Dynamics",
        "description": "SMS, voice, email, AI voice, privacy numbers and number checks through NXCloud, "
        "the Buka family (onbuka and white-labels) and Fone Dynamics.",
        "versions": ["0.1.0"],
        "integrations": [{"integration-name": name, "tags": ["service"]} for name in PLATFORMS],
        "connection-types": [form.provider_entry() for form in FORMS.values()],
        "hooks": _per_platform("hooks"),
        "operators": _per_platform("operators"),
        # one module serves the three platforms' delivery sensors and their trigger
        "sensors": [
            {"integration-name": name, "python-modules": [f"{PACKAGE}.sensors.delivery"]}
            for name in PLATFORMS
        ],
        "triggers": [
            {"integration-name": name, "python-modules": [f"{PACKAGE}.triggers.delivery"]}
            for name in PLATFORMS
        ],
        "notifications": ["airflow_provider_nxcloud.notifications.sms.SmsNotifier"],
    }


def _per_platform(layer: str) -> list[dict[str, Any]]:
    return [
        {"integration-name": name, "python-modules": [f"{PACKAGE}.{layer}.{module}"]}
        for name, module in PLATFORMS.items()
    ]
