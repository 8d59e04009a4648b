"""What the three platform hooks share: reading and checking the connection, masking, transports.

A connection is checked completely before the first request: missing
credentials, a malformed host, ``http://`` to a non-loopback host, broken
JSON in the extras, an extra of the wrong type, a proxy that is not an http(s)
URL or a ``verify`` path that names no CA bundle (``hooks/network.py``) raise
:class:`ConnectionConfigError` naming the field, and nothing is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_nxcloud.connection_forms import FORMS, ConnectionForm
from airflow_provider_nxcloud.exceptions import ConnectionConfigError, VendorAPIError
from airflow_provider_nxcloud.hooks.network import (
    PROXY_EXTRA,
    VERIFY_EXTRA,
    check_proxy_url,
    proxy_secrets,
    resolve_verify,
    scheme_hint,
)
from airflow_provider_nxcloud.hooks.rate_limit import (
    STORE_EXTRA,
    account_key,
    check_store_url,
    store_password,
)
from airflow_provider_nxcloud.hooks.transport import (
    AsyncTransport,
    Authenticator,
    Overrides,
    ReplyParser,
    Transport,
    TransportSettings,
)
from airflow_provider_nxcloud.platforms.endpoints import Endpoint
from airflow_provider_nxcloud.polling import Call

log = logging.getLogger(__name__)

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(hostname: str) -> bool:
    if hostname.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConnectionSettings:
    """A validated connection: credentials, where to send, and transport tuning."""

    conn_id: str
    login: str
    password: str = field(repr=False)
    #: the connection's host override; None sends each endpoint to its vendor's own origin
    origin: str | None
    extras: Mapping[str, Any] = field(repr=False)
    transport: TransportSettings
    #: why a failed connection to ``origin`` may be the scheme's fault (a host without one); None if not
    origin_hint: str | None = None


def parse_extras(conn_id: str, raw: str | None, form: ConnectionForm) -> dict[str, Any]:
    """The extras as a dict, every known field type-checked.

    Airflow's own ``extra_dejson`` logs broken JSON and returns ``{}``, which
    would silently drop settings; here broken JSON is an error.
    """
    if not raw or not raw.strip():
        return {}
    try:
        extras = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The position is safe to show; the text may hold secrets, so it is not echoed.
        raise ConnectionConfigError(
            conn_id, "extra", f"is not valid JSON ({exc.msg} at char {exc.pos})"
        ) from None
    if not isinstance(extras, dict):
        raise ConnectionConfigError(conn_id, "extra", "must be a JSON object")
    checked: dict[str, Any] = dict(extras)
    for spec in form.fields:
        value = extras.get(spec.name)
        if value is None or value == "":
            checked.pop(spec.name, None)
            continue
        if spec.name == VERIFY_EXTRA and isinstance(value, bool):
            continue  # JSON true/false; text is checked by resolve_verify
        checked[spec.name] = _check_extra(conn_id, spec.name, spec.kind, value, spec.enum, spec.minimum)
    return checked


def _check_extra(
    conn_id: str, name: str, kind: str, value: Any, enum: tuple[str, ...], minimum: int | None
) -> Any:
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ConnectionConfigError(conn_id, name, f"must be true or false, not {value!r}")
    if kind == "integer":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConnectionConfigError(conn_id, name, f"must be a number, not {value!r}") from None
        if isinstance(value, bool) or math.isnan(number) or (minimum is not None and number < minimum):
            raise ConnectionConfigError(conn_id, name, f"must be a number >= {minimum}, not {value!r}")
        return number
    if not isinstance(value, str):
        raise ConnectionConfigError(conn_id, name, f"must be text, not {type(value).__name__}")
    if enum and value not in enum:
        raise ConnectionConfigError(conn_id, name, f"must be one of {', '.join(enum)}, not {value!r}")
    return value


def resolve_origin(
    conn_id: str, host: str | None, port: int | None, schema: str | None, allow_insecure: bool
) -> str | None:
    """The connection's override as ``scheme://host[:port][/prefix]``, or None to use the vendor's origins.

    Vendors spread endpoints over several hosts (NXCloud: api2, api and number
    .nxcloud.com), so without an override each endpoint keeps its own origin.
    """
    if not host or not host.strip():
        return None
    text = host.strip()
    if "://" not in text:
        scheme = schema if schema in ("http", "https") else "https"
        text = f"{scheme}://{text}"
    try:
        parts = urlsplit(text)
        parsed_port = parts.port
    except ValueError as exc:
        raise ConnectionConfigError(conn_id, "host", f"is not a valid URL ({exc})") from None
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        raise ConnectionConfigError(
            conn_id, "host", f"scheme must be https (or http to loopback), not {parts.scheme!r}"
        )
    if not hostname or any(ch.isspace() for ch in text):
        raise ConnectionConfigError(conn_id, "host", "has no host name")
    if parts.username or parts.password:
        raise ConnectionConfigError(conn_id, "host", "must not carry credentials; use login and password")
    if parts.query or parts.fragment:
        raise ConnectionConfigError(conn_id, "host", "must not have a query string or fragment")
    if parts.scheme == "http" and not is_loopback(hostname) and not allow_insecure:
        raise ConnectionConfigError(
            conn_id,
            "host",
            f"http:// to {hostname} would send credentials unencrypted; use https, a loopback "
            "address, or set the extra allow_insecure_http=true on a trusted network",
        )
    netloc = parts.netloc
    if parsed_port is None and port:
        netloc = f"{netloc}:{int(port)}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


class CPaaSHook(BaseHook):
    """Base of the platform hooks: one validated connection, one pooled transport."""

    conn_name_attr: ClassVar[str]
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    #: the vendor's console (a platform module's CONSOLE_URL); the ``console_url`` extra overrides it
    default_console_url: ClassVar[str]
    #: extras that hold secrets (masked as soon as they are read)
    secret_extras: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        disposition_overrides: Mapping[str | int, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name
        self.overrides = Overrides.parse(disposition_overrides)
        self.clock = clock
        self._sleep = sleep
        self._transport: Transport | None = None
        # a campaign's send threads may ask for the transport at the same moment: build it once
        self._transport_lock = threading.Lock()

    # ----- connection -------------------------------------------------------------------

    @classmethod
    def form(cls) -> ConnectionForm:
        return FORMS[cls.conn_type]

    @cached_property
    def settings(self) -> ConnectionSettings:
        return self.settings_from_connection(self.get_connection(self.conn_id))

    @property
    def console_url(self) -> str:
        """Where a person checks this account's sends: the ``console_url`` extra, else the vendor's console."""
        return str(self.settings.extras.get("console_url") or self.default_console_url)

    def settings_from_connection(
        self, conn: Any, *, mask: Callable[[str], None] = mask_secret
    ) -> ConnectionSettings:
        conn_id = self.conn_id
        extras = parse_extras(conn_id, conn.extra, self.form())
        login = (conn.login or "").strip()
        password = conn.password or ""
        if not login:
            label = self.form().relabeling.get("login", "login")
            raise ConnectionConfigError(conn_id, "login", f"is empty; set the {label}")
        if not password:
            label = self.form().relabeling.get("password", "password")
            raise ConnectionConfigError(conn_id, "password", f"is empty; set the {label}")
        mask(password)
        for name in self.secret_extras:
            if extras.get(name):
                mask(extras[name])
        origin = resolve_origin(
            conn_id,
            conn.host,
            conn.port,
            conn.schema,
            bool(extras.get("allow_insecure_http", False)),
        )
        defaults = {f.name: f.default for f in self.form().fields}
        concurrency = extras.get("max_concurrency", defaults["max_concurrency"])
        if concurrency != int(concurrency):
            raise ConnectionConfigError(
                conn_id, "max_concurrency", f"must be a whole number, not {concurrency!r}"
            )
        store = extras.get(STORE_EXTRA)
        if store:
            store = check_store_url(conn_id, store)
            if store_secret := store_password(store):
                mask(store_secret)
        _check_rate_pool(conn_id, extras)
        proxy = extras.get(PROXY_EXTRA)
        if proxy:
            for secret in proxy_secrets(proxy):
                mask(secret)
            proxy = check_proxy_url(conn_id, proxy)
        verify = resolve_verify(conn_id, extras.get(VERIFY_EXTRA))
        if verify is False:
            log.warning(
                "connection %r: TLS certificates are not verified (extra verify=false); whoever is "
                "between this worker and the vendor can read and change its requests",
                conn_id,
            )
        transport = TransportSettings(
            connect_timeout=float(extras.get("connect_timeout", defaults["connect_timeout"])),
            read_timeout=float(extras.get("read_timeout", defaults["read_timeout"])),
            max_qps=extras.get("max_qps"),
            max_concurrency=int(concurrency),
            pool_size=max(TransportSettings.pool_size, int(concurrency)),
            rate_limit_store=store or None,
            rate_limit_account=account_key(self.conn_type, origin, login) if store else None,
            proxy=proxy or None,
            verify=verify,
        )
        hint = scheme_hint(conn.host, conn.schema)
        return ConnectionSettings(conn_id, login, password, origin, extras, transport, hint)

    # ----- transports -------------------------------------------------------------------

    def authenticator(self, settings: ConnectionSettings) -> Authenticator:
        raise NotImplementedError

    def reply_parser(self) -> ReplyParser:
        raise NotImplementedError

    def transport_options(self, settings: ConnectionSettings) -> dict[str, Any]:
        """Platform-specific keyword arguments for the transports (base path, basic auth)."""
        return {}

    def _transport_kwargs(self, settings: ConnectionSettings) -> dict[str, Any]:
        return {
            "platform": self.conn_type,
            "origin": settings.origin,
            "authenticator": self.authenticator(settings),
            "parse": self.reply_parser(),
            "settings": settings.transport,
            "overrides": self.overrides,
            "secrets": (
                settings.password,
                *(str(settings.extras.get(name) or "") for name in self.secret_extras),
                *proxy_secrets(settings.transport.proxy),
            ),
            "origin_hint": settings.origin_hint,
            **self.transport_options(settings),
        }

    def get_conn(self) -> Transport:
        """The pooled transport; built once per hook, after the connection checked out."""
        if self._transport is None:
            with self._transport_lock:
                if self._transport is None:
                    extra = {"sleep": self._sleep} if self._sleep is not None else {}
                    self._transport = Transport(**self._transport_kwargs(self.settings), **extra)
        return self._transport

    async def aget_settings(self) -> ConnectionSettings:
        """:attr:`settings`, the connection looked up without blocking the event loop (in triggers).

        They are kept as :attr:`settings`, so what the hook reads from the connection
        later (app ids, app keys) comes from this lookup, never a synchronous one.
        """
        if "settings" not in self.__dict__:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(self.conn_id)
            secrets: list[str] = []
            settings = self.settings_from_connection(conn, mask=secrets.append)
            # masked from a worker thread: mask_secret tells the supervisor synchronously,
            # which from the triggerer's event loop thread can deadlock
            for secret in secrets:
                await asyncio.to_thread(mask_secret, secret)
            self.__dict__["settings"] = settings
        return self.settings

    async def get_async_transport(
        self,
        *,
        sleep: Callable[[float], Any] | None = None,
        max_attempts: int | None = None,
        httpx_transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncTransport:
        """A read-only async transport for triggers, with the connection looked up without blocking.

        Use it as ``async with transport:`` so that every request shares one pooled client.
        ``max_attempts``: requests per read (a trigger polling on an interval makes one).
        ``httpx_transport``: what the client sends through (httpx's own seam; tests hand in an
        ``httpx.MockTransport``); default: the network.
        """
        settings = await self.aget_settings()
        if max_attempts is not None:
            settings = replace(settings, transport=replace(settings.transport, max_attempts=max_attempts))
        return AsyncTransport(
            sleep=sleep or asyncio.sleep,
            httpx_transport=httpx_transport,
            **self._transport_kwargs(settings),
        )

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def request(self, endpoint: Endpoint, **kwargs: Any) -> Any:
        return self.get_conn().request(endpoint, **kwargs)

    def narrow_budget(self, *, max_qps: float | None, max_concurrency: int) -> None:
        """Give this hook a task's share of the account's ``max_qps`` and ``max_concurrency``.

        Called by :func:`airflow_provider_nxcloud.hooks.rate_budget.apply_rate_budget` before
        the task's first request; a transport built earlier is closed, so the next request
        gets one with the share.
        """
        settings = self.settings
        transport = replace(settings.transport, max_qps=max_qps, max_concurrency=max_concurrency)
        self.__dict__["settings"] = replace(settings, transport=transport)
        self.close()

    def make(self, call: Call) -> Any:
        """Make one read a ``*_call`` method built (the sync way; triggers run the same ``Call`` async)."""
        return self.request(call.endpoint, **call.kwargs)

    @property
    def max_concurrency(self) -> int:
        """The connection's ``max_concurrency``: sends a campaign may keep in flight at once."""
        return self.settings.transport.max_concurrency

    def endpoint(self, name: str) -> Endpoint:
        """The vendor endpoint named ``name`` in the platform's table."""
        raise NotImplementedError

    def call(
        self,
        name: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        path_params: Mapping[str, Any] | None = None,
        client_reference: str | None = None,
    ) -> Any:
        """Call one endpoint by its table name with a JSON body and/or query and path parameters."""
        return self.request(
            self.endpoint(name),
            json_body=dict(body) if body is not None else None,
            params=params,
            path_params=path_params,
            client_reference=client_reference,
        )

    # ----- connection test ------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated read, never a send: ``(ok, message)`` for the UI's Test button."""
        try:
            return True, self.probe()
        except (VendorAPIError, ConnectionConfigError) as exc:
            return False, str(exc)

    def probe(self) -> str:
        raise NotImplementedError

    # ----- legacy connection form (Airflow < 3.2) ----------------------------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Legacy form widgets, generated from the same spec as the declarative ``conn-fields``."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, IntegerField, PasswordField, StringField
        from wtforms.validators import Optional, any_of

        widgets: dict[str, Any] = {}
        for spec in cls.form().fields:
            validators: list[Any] = [Optional()]
            if spec.enum:
                validators.append(any_of(list(spec.enum)))
            common = {"description": spec.description, "default": spec.default, "validators": validators}
            if spec.kind == "password":
                widgets[spec.name] = PasswordField(
                    lazy_gettext(spec.label), widget=BS3PasswordFieldWidget(), **common
                )
            elif spec.kind == "integer":
                widgets[spec.name] = IntegerField(
                    lazy_gettext(spec.label), widget=BS3TextFieldWidget(), **common
                )
            elif spec.kind == "boolean":
                widgets[spec.name] = BooleanField(lazy_gettext(spec.label), **common)
            else:
                widgets[spec.name] = StringField(
                    lazy_gettext(spec.label), widget=BS3TextFieldWidget(), **common
                )
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return cls.form().legacy_ui_field_behaviour()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Airflow < 3.2 calls the legacy form methods only when they are in the registered hook
        # class's own __dict__ (ProvidersManager._import_hook), so inherited ones would leave the
        # UI form bare: each platform hook gets them as its own.
        if "conn_type" in cls.__dict__:
            for name in _LEGACY_FORM_METHODS:
                if name not in cls.__dict__:
                    setattr(cls, name, CPaaSHook.__dict__[name])


_LEGACY_FORM_METHODS = ("get_connection_form_widgets", "get_ui_field_behaviour")


def _check_rate_pool(conn_id: str, extras: Mapping[str, Any]) -> None:
    """``rate_pool`` and ``rate_pool_slots`` come together, the slots a whole number (see ``rate_budget``)."""
    pool, slots = extras.get("rate_pool"), extras.get("rate_pool_slots")
    if pool and slots is None:
        raise ConnectionConfigError(
            conn_id, "rate_pool_slots", f"is needed with rate_pool: the size of pool {pool!r}"
        )
    if slots is not None and not pool:
        raise ConnectionConfigError(conn_id, "rate_pool", "is needed with rate_pool_slots: the pool's name")
    if slots is not None and slots != int(slots):
        raise ConnectionConfigError(conn_id, "rate_pool_slots", f"must be a whole number, not {slots!r}")
