"""Buka hook (onbuka and its white-label hosts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_nxcloud.exceptions import ConnectionConfigError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.platforms.endpoints import Endpoint

#: which extra holds the appId of each service; each falls back to ``app_id``
APP_ID_EXTRAS = {
    "sms": "app_id",
    "voice": "voice_app_id",
    "email": "email_app_id",
    "ai_voice": "ai_voice_app_id",
}


class _BukaAuthenticator:
    def __init__(
        self, settings: ConnectionSettings, clock: Callable[[], float], mask: Callable[[str], None]
    ) -> None:
        self._key = settings.login
        self._secret = settings.password
        self._clock = clock
        self._mask = mask
        self._last_sign = ""

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        headers = buka.signed_headers(self._key, self._secret, int(self._clock()))
        if headers["Sign"] != self._last_sign:  # changes once a second at most
            self._mask(headers["Sign"])
            self._last_sign = headers["Sign"]
        # The vendor's samples send the JSON content type on GETs too.
        headers["Content-Type"] = buka.CONTENT_TYPE
        return headers


class BukaHook(CPaaSHook):
    """Calls the Buka API (``Api-Key``/``Timestamp``/``Sign`` headers).

    :param buka_conn_id: connection of type ``buka``: login = API key,
        password = API secret, extras for default appIds, the API base path,
        timeouts and a requests-per-second cap.
    """

    conn_name_attr = "buka_conn_id"
    default_conn_name = "buka_default"
    conn_type = "buka"
    hook_name = "Buka (onbuka)"

    def __init__(self, buka_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(buka_conn_id, **kwargs)
        self.buka_conn_id = buka_conn_id

    def authenticator(
        self, settings: ConnectionSettings, *, mask: Callable[[str], None]
    ) -> _BukaAuthenticator:
        return _BukaAuthenticator(settings, self.clock, mask)

    def reply_parser(self) -> ReplyParser:
        return buka.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        base_path = settings.extras.get("base_path", buka.BASE_PATH)
        if base_path and not str(base_path).startswith("/"):
            raise ConnectionConfigError(self.conn_id, "base_path", f"must start with '/', not {base_path!r}")
        return {"base_path": str(base_path)}

    def endpoint(self, name: str) -> Endpoint:
        return buka.ENDPOINTS[name]

    def app_id(self, service: str, override: str | None = None) -> str:
        """The appId for a service: the caller's, else the service's extra, else ``app_id``."""
        extras = self.settings.extras
        value = override or extras.get(APP_ID_EXTRAS.get(service, "app_id")) or extras.get("app_id")
        if not value:
            field = APP_ID_EXTRAS.get(service, "app_id")
            raise ConnectionConfigError(self.conn_id, field, "is empty; set it (or app_id) or pass app_id")
        return str(value)

    def get_balance(self) -> dict[str, Any]:
        """``{"balance", "gift", "credit"}`` of the account, as the vendor reports them."""
        reply = self.call("balance")
        return {key: reply.get(key) for key in ("balance", "gift", "credit")}

    def probe(self) -> str:
        balance = self.get_balance()
        return f"Buka accepted API key {self.settings.login}; balance {balance['balance']}"
