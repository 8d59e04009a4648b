"""NXCloud hook: signed open-platform calls and the legacy appkey/secretkey form API."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import pendulum

from airflow_provider_nxcloud.exceptions import ConnectionConfigError, InvalidInputError
from airflow_provider_nxcloud.hooks.base import ConnectionSettings, CPaaSHook
from airflow_provider_nxcloud.hooks.transport import ReplyParser
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.platforms.endpoints import Auth, Endpoint

#: which extras hold the appkey/secretkey of the application a legacy endpoint belongs to
_LEGACY_APP_EXTRAS: dict[str, tuple[str, str]] = {
    "sms": ("sms_app_key", "sms_app_secret"),
    "sms_report": ("sms_app_key", "sms_app_secret"),
    "voice": ("voice_app_key", "voice_app_secret"),
    "voice_report": ("voice_app_key", "voice_app_secret"),
}

#: the batch number the connection test queries; it never exists, so the answer is an empty page
PROBE_BATCH_NO = "airflow-connection-test"


class _NXCloudAuthenticator:
    def __init__(
        self, settings: ConnectionSettings, clock: Callable[[], float], mask: Callable[[str], None]
    ) -> None:
        self._key = settings.login
        self._secret = settings.password
        self._algorithm = str(settings.extras.get("sign_algorithm", "md5"))
        self._clock = clock
        self._mask = mask

    def headers(self, endpoint: Endpoint, body: bytes | None) -> dict[str, str]:
        if endpoint.auth is not Auth.NXCLOUD_SIGNED:
            return {}  # legacy endpoints carry appkey/secretkey in the form body
        ts_ms = int(self._clock() * 1000)
        # The signature is not registered with the secrets masker: it covers this one body and
        # timestamp (60 s window) and nothing logs headers, while Airflow's masker recompiles one
        # regex over every mask so far on each new one (and a task sends each to its supervisor):
        # per request, that made a 1,000-request campaign spend most of its time masking.
        return nxcloud.signed_headers(self._key, self._secret, endpoint, ts_ms, body, self._algorithm)


class NXCloudHook(CPaaSHook):
    """Calls NXCloud's open platform (accessKey/accessSecret signature) and its legacy app APIs.

    :param nxcloud_conn_id: connection of type ``nxcloud``: login = accessKey,
        password = accessSecret, extras for app keys, the signature algorithm,
        timeouts and a requests-per-second cap.
    :param disposition_overrides: ``{code or "service:code": "retry"|"resign"|"fail"}``
        to override the catalog for this hook's calls.
    """

    conn_name_attr = "nxcloud_conn_id"
    default_conn_name = "nxcloud_default"
    conn_type = "nxcloud"
    hook_name = "NXCloud"
    secret_extras: ClassVar[tuple[str, ...]] = ("sms_app_secret", "voice_app_secret")

    def __init__(self, nxcloud_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(nxcloud_conn_id, **kwargs)
        self.nxcloud_conn_id = nxcloud_conn_id

    def authenticator(
        self, settings: ConnectionSettings, *, mask: Callable[[str], None]
    ) -> _NXCloudAuthenticator:
        return _NXCloudAuthenticator(settings, self.clock, mask)

    def reply_parser(self) -> ReplyParser:
        return nxcloud.parse_reply

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        return {"serialize": nxcloud.serialize_body}

    def endpoint(self, name: str) -> Endpoint:
        return nxcloud.ENDPOINTS[name]

    def app_key(self, extra: str, override: str | None = None) -> str:
        """An application's appkey: the caller's, else the connection's extra, else a clear error."""
        value = override or self.settings.extras.get(extra)
        if not value:
            raise ConnectionConfigError(
                self.conn_id, extra, "is empty; set it or pass app_key to the operator"
            )
        return str(value)

    def call(
        self,
        name: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        path_params: Mapping[str, Any] | None = None,
        client_reference: str | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call one NXCloud endpoint by its table name; legacy endpoints get their app's keys added.

        NXCloud posts everything: the body is JSON, a form (legacy appkey endpoints), or
        multipart fields with ``files`` (uploads).
        """
        endpoint = self.endpoint(name)
        extra = {"params": params, "path_params": path_params, "client_reference": client_reference}
        if endpoint.auth is Auth.NXCLOUD_APPKEY:
            key_extra, secret_extra = _LEGACY_APP_EXTRAS[endpoint.service]
            form = {
                "appkey": self.app_key(key_extra),
                "secretkey": self.app_key(secret_extra),
                **(body or {}),
            }
            return self.request(endpoint, form=form, **extra)
        if files is not None:
            return self.request(endpoint, files={**(body or {}), **files}, **extra)
        return self.request(endpoint, json_body=dict(body or {}), **extra)

    def pns_pages(
        self, name: str, page_size: int = nxcloud.PNS_LIST_MAX_LIMIT
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """``(rows, total)`` per page of a privacy-number list (``pns_getAXBList``, ``pns_listGroup``).

        Pages by offset until a short page or ``total``. The vendor has no cursor: a list
        that changes while it is paged may show a row twice or skip one.
        """
        if not 1 <= page_size <= nxcloud.PNS_LIST_MAX_LIMIT:
            raise InvalidInputError("page_size", f"must be 1-{nxcloud.PNS_LIST_MAX_LIMIT}, not {page_size!r}")
        key = nxcloud.PNS_LIST_KEYS[name]
        offset = 0
        while True:
            data = (self.call(name, {"limit": page_size, "offset": offset}) or {}).get("data") or {}
            rows = list(data.get(key) or [])
            total = int(data.get("total") or 0)
            yield rows, total
            offset += len(rows)
            if len(rows) < page_size or offset >= total:
                return

    def find_pns_binding(self, customer_bind_id: str, phone_a: str | None = None) -> dict[str, Any] | None:
        """The active binding with this customerBindId (and A number), by paging getAXBList; None if none."""
        for rows, _ in self.pns_pages("pns_getAXBList"):
            for row in rows:
                if row.get("customerBindId") == customer_bind_id and phone_a in (None, row.get("phoneA")):
                    return dict(row)
        return None

    def probe(self) -> str:
        # The cheapest signed read: a number-check result query for a batch that
        # does not exist answers an empty page, sends nothing and costs nothing.
        # It proves accessKey, accessSecret and the clock; a 1005 means the key is
        # wrong or the account lacks the number-check product.
        body: dict[str, Any] = {
            "page": 1,
            "pageSize": 1,
            "date": pendulum.now("UTC").format("YYYY-MM-DD"),
            "batchNo": PROBE_BATCH_NO,
        }
        if self.settings.extras.get("number_check_app_key"):
            body["appkey"] = self.settings.extras["number_check_app_key"]
        self.call("number_check_query", body)
        message = f"NXCloud accepted the signed request from accessKey {self.settings.login}"
        if self.settings.extras.get("sms_app_key") and self.settings.extras.get("sms_app_secret"):
            balance = self.call("balance")
            message += f"; SMS app balance {balance.get('balance')}"
        return message
