"""Where the delivery view lives in Airflow's API server, and one campaign's address there.

Kept apart from the app and the plugin so that a send task's extra link imports neither
FastAPI nor the plugins manager.
"""

from __future__ import annotations

from urllib.parse import urlencode

#: where the API server mounts the view's app (outside Airflow's reserved /api/v2, /ui, /auth...)
URL_PREFIX = "/nxcloud-delivery"


def campaign_url(base_url: str, dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """The page of the campaign one task instance sent.

    Under ``base_url`` (Airflow's ``[api] base_url``) when there is one; else relative, which
    the Airflow UI resolves against its own ``<base href>`` (the same ``base_url``).
    """
    query = urlencode({"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index})
    path = f"{URL_PREFIX.lstrip('/')}/?{query}"
    return f"{base_url.rstrip('/')}/{path}" if base_url else path
