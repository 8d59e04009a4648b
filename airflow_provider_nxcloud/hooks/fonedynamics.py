"""Fone Dynamics hook (REST v2, HTTP Basic with AccountSid and Token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_nxcloud.exceptions import ConnectionConfigError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import fonedynamics
from airflow_provider_nxcloud.platforms.endpoints import Endpoint


class _NoHeaders:
    """Basic auth is set once on the session; no per-request signature."""

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        return {}


class FoneDynamicsHook(CPaaSHook):
    """Calls the Fone Dynamics REST API v2.

    :param fonedynamics_conn_id: connection of type ``fonedynamics``: login =
        Account SID, password = Token, extra ``property_sid`` for the default
        property, timeouts and a requests-per-second cap.
    """

    conn_name_attr = "fonedynamics_conn_id"
    default_conn_name = "fonedynamics_default"
    conn_type = "fonedynamics"
    hook_name = "Fone Dynamics"

    def __init__(self, fonedynamics_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(fonedynamics_conn_id, **kwargs)
        self.fonedynamics_conn_id = fonedynamics_conn_id

    def authenticator(self, settings: ConnectionSettings, *, mask: Callable[[str], None]) -> _NoHeaders:
        return _NoHeaders()

    def reply_parser(self) -> ReplyParser:
        return fonedynamics.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        return {"basic_auth": (settings.login, settings.password)}

    def endpoint(self, name: str) -> Endpoint:
        return fonedynamics.ENDPOINTS[name]

    def property_sid(self, override: str | None = None) -> str:
        value = override or self.settings.extras.get("property_sid")
        if not value:
            raise ConnectionConfigError(self.conn_id, "property_sid", "is empty; set it or pass property_sid")
        return str(value)

    def probe(self) -> str:
        sid = self.settings.extras.get("property_sid")
        if sid:
            self.call("get_property", path_params={"property_sid": sid})
            return f"Fone Dynamics accepted Account SID {self.settings.login}; property {sid} is readable"
        self.call("list_properties", params={"Results_Count": 1})
        return f"Fone Dynamics accepted Account SID {self.settings.login}"
