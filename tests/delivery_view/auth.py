"""An auth manager that denies one DAG to one user, as per-DAG permissions do (FAB, Keycloak).

Airflow's SimpleAuthManager knows roles only: a viewer reads every DAG. This subclass keeps
everything it does (its users, tokens and login) and refuses :data:`OUTSIDER` the DAG
:data:`DENIED_DAG` on every entity (Airflow's list filters ask ``is_authorized_dag`` per DAG), which is how a DAG-level permission missing in FAB looks to
the code asking. The browser test's API server runs with it (``[core] auth_manager``).
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

#: the user refused DENIED_DAG (a viewer otherwise)
OUTSIDER = "outsider"
DENIED_DAG = "campaign_not_for_outsiders"


class DenyOneDagAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        if user.get_name() == OUTSIDER and details is not None and details.id == DENIED_DAG:
            return False
        return super().is_authorized_dag(
            method=method, user=user, access_entity=access_entity, details=details
        )
