"""The delivery view as an Airflow plugin: its app in the API server and its entry in the UI's nav.

Registered through the ``airflow.plugins`` entry point (pyproject.toml), which Airflow's plugins
manager always reads. A provider's own ``plugins`` list (provider info) is read only when
``[core] lazy_discover_providers`` is False, and listing the plugin in both places would load it
twice there (the second is refused as a duplicate and shown as a plugin import error).

Importing this module builds the app's routes and nothing else: no DB, no network (the plugins
manager imports it in every Airflow process that loads plugins).
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_nxcloud.delivery_view.app import create_app
from airflow_provider_nxcloud.delivery_view.urls import URL_PREFIX

#: the UI page that shows the view in an iframe: ``/plugin/<URL_ROUTE>``
URL_ROUTE = "nxcloud-campaigns"


class DeliveryViewPlugin(AirflowPlugin):
    """The campaigns list and each campaign's page, in the Airflow UI's Browse menu."""

    name = "nxcloud_delivery_view"
    fastapi_apps = [  # noqa: RUF012 (the plugins manager reads these class attributes as lists)
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "NXCloud delivery view"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Campaigns",
            # relative: the UI resolves it against its <base href>, i.e. Airflow's [api] base_url
            "href": f"{URL_PREFIX.lstrip('/')}/",
            "url_route": URL_ROUTE,
            "destination": "nav",
            "category": "browse",
        }
    ]
