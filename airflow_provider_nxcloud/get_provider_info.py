"""Provider metadata for Airflow's ProvidersManager (the ``apache_airflow_provider`` entry point)."""

from __future__ import annotations

from typing import Any

from airflow_provider_nxcloud.connection_forms import FORMS

INTEGRATIONS = ("NXCloud", "Buka", "Fone Dynamics")


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-nxcloud",
        "name": "NXCloud, Buka and Fone Dynamics",
        "description": "SMS, voice, email, AI voice, privacy numbers and number checks through NXCloud, "
        "the Buka family (onbuka and white-labels) and Fone Dynamics.",
        "versions": ["0.1.0"],
        "integrations": [{"integration-name": name, "tags": ["service"]} for name in INTEGRATIONS],
        "connection-types": [form.provider_entry() for form in FORMS.values()],
        "hooks": [
            {"integration-name": "NXCloud", "python-modules": ["airflow_provider_nxcloud.hooks.nxcloud"]},
            {"integration-name": "Buka", "python-modules": ["airflow_provider_nxcloud.hooks.buka"]},
            {
                "integration-name": "Fone Dynamics",
                "python-modules": ["airflow_provider_nxcloud.hooks.fonedynamics"],
            },
        ],
    }
