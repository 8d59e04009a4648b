"""The "Add connection" forms of the three connection types, declared once.

Airflow 3.2+ reads the declarative ``conn-fields`` / ``ui-field-behaviour``
from the provider info without importing the hooks; older 3.x versions call
the hooks' legacy ``get_connection_form_widgets`` / ``get_ui_field_behaviour``.
Both are generated from the specs below so they cannot drift apart. No
Airflow imports: ``get_provider_info`` must stay cheap.

Text fields carry no ``default``: the UI saves a default into the extras, and Airflow passes
every extra value to its secrets masker when it reads the connection, which logs "Skipping
masking ... too short" for any text under five characters (``/v3``, ``md5``). The hooks
apply those defaults themselves when the extra is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FieldKind = Literal["string", "password", "integer", "boolean"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind
    description: str
    enum: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None

    def conn_field(self) -> dict[str, Any]:
        """The ``conn-fields`` entry (JSON-Schema) for this field."""
        json_type = "string" if self.kind == "password" else self.kind
        schema: dict[str, Any] = {"type": [json_type, "null"]}
        if self.kind == "password":
            schema["format"] = "password"
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.default is not None:
            schema["default"] = self.default
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        return {"label": self.label, "description": self.description, "schema": schema}


@dataclass(frozen=True)
class ConnectionForm:
    conn_type: str
    hook_class_name: str
    hook_name: str
    fields: tuple[FormField, ...]
    hidden_fields: tuple[str, ...]
    relabeling: dict[str, str]
    placeholders: dict[str, str] = field(default_factory=dict)

    def conn_fields(self) -> dict[str, dict[str, Any]]:
        return {f.name: f.conn_field() for f in self.fields}

    def ui_field_behaviour(self) -> dict[str, Any]:
        return {
            "hidden-fields": list(self.hidden_fields),
            "relabeling": dict(self.relabeling),
            "placeholders": dict(self.placeholders),
        }

    def legacy_ui_field_behaviour(self) -> dict[str, Any]:
        """The same behaviour in the legacy hook-method spelling (snake_case keys)."""
        return {
            "hidden_fields": list(self.hidden_fields),
            "relabeling": dict(self.relabeling),
            "placeholders": dict(self.placeholders),
        }

    def provider_entry(self) -> dict[str, Any]:
        return {
            "connection-type": self.conn_type,
            "hook-class-name": self.hook_class_name,
            "hook-name": self.hook_name,
            "conn-fields": self.conn_fields(),
            "ui-field-behaviour": self.ui_field_behaviour(),
        }


def _transport_fields(default_connect: int, default_read: int) -> tuple[FormField, ...]:
    return (
        FormField(
            "connect_timeout",
            "Connect timeout (s)",
            "integer",
            "Seconds to wait for a TCP/TLS connection.",
            default=default_connect,
            minimum=1,
        ),
        FormField(
            "read_timeout",
            "Read timeout (s)",
            "integer",
            "Seconds to wait for a reply once the request is sent.",
            default=default_read,
            minimum=1,
        ),
        FormField(
            "max_qps",
            "Max requests per second",
            "integer",
            "Client-side cap on requests per second for this connection; empty means no cap.",
            minimum=1,
        ),
        FormField(
            "max_concurrency",
            "Max concurrent sends",
            "integer",
            "Batches a send task keeps in flight at once, all under the requests-per-second cap; "
            "1 sends one batch after another.",
            default=1,
            minimum=1,
        ),
        FormField(
            "rate_limit_store",
            "Shared rate-limit store (Redis URL)",
            "password",
            "redis:// or rediss:// URL of a Redis every worker reaches: max_qps then caps the account "
            "across all tasks using it. Unreachable store: nothing is sent and the task retries.",
        ),
        FormField(
            "rate_pool",
            "Rate pool",
            "string",
            "Airflow pool every task using this connection must run in: each gets its pool_slots' share "
            "of max_concurrency, and of max_qps when there is no store.",
        ),
        FormField(
            "rate_pool_slots",
            "Rate pool size",
            "integer",
            "The slots of the rate pool (its size in Airflow), needed with it.",
            minimum=1,
        ),
        FormField(
            "allow_insecure_http",
            "Allow http:// to non-loopback hosts",
            "boolean",
            "Only for trusted test networks: credentials then travel unencrypted.",
            default=False,
        ),
        FormField(
            "proxy",
            "Proxy URL",
            "password",
            "http:// or https:// proxy every vendor request goes through, e.g. "
            "http://user:password@proxy.internal:3128 (SOCKS is not supported). "
            "Empty: HTTPS_PROXY / NO_PROXY of the worker's environment.",
        ),
        FormField(
            "verify",
            "Verify TLS certificates",
            "string",
            "true (empty), false (tests only: the credentials are then open to whoever is in between), "
            "or the path of a CA bundle file on the workers and the triggerer.",
        ),
        FormField(
            "console_url",
            "Console URL",
            "string",
            "The console the send tasks' \"Vendor console\" link opens (a white-label's own); "
            "empty: the vendor's.",
        ),
    )


NXCLOUD = ConnectionForm(
    conn_type="nxcloud",
    hook_class_name="airflow_provider_nxcloud.hooks.nxcloud.NXCloudHook",
    hook_name="NXCloud",
    fields=(
        FormField(
            "sign_algorithm",
            "Signature algorithm",
            "string",
            "Digest for the request signature (the algorithm header); empty means md5.",
            enum=("md5", "sha256"),
        ),
        FormField(
            "sms_app_key", "SMS app key", "string", "appkey of the SMS application (console: SMS > Apps)."
        ),
        FormField(
            "sms_app_secret",
            "SMS app secret (legacy API)",
            "password",
            "secretkey of the SMS application; needed only for the legacy form API and SMS record queries.",
        ),
        FormField("voice_app_key", "Voice app key", "string", "appkey of the voice application."),
        FormField("voice_app_secret", "Voice app secret", "password", "secretkey of the voice application."),
        FormField(
            "number_check_app_key", "Number check app key", "string", "appkey of the number-check app."
        ),
        FormField("whatsapp_app_key", "WhatsApp app key", "string", "appkey of the WhatsApp application."),
        FormField("viber_app_key", "Viber app key", "string", "appkey of the Viber application."),
        FormField("zalo_app_key", "Zalo app key", "string", "appkey of the Zalo application."),
        *_transport_fields(10, 30),
    ),
    hidden_fields=("schema", "port"),
    relabeling={"login": "Access key", "password": "Access secret", "host": "API origin override"},
    placeholders={
        "login": "accessKey from the NXCloud console",
        "password": "accessSecret",
        "host": "empty = https://api2.nxcloud.com (and api., number.nxcloud.com per endpoint)",
    },
)

BUKA = ConnectionForm(
    conn_type="buka",
    hook_class_name="airflow_provider_nxcloud.hooks.buka.BukaHook",
    hook_name="Buka (onbuka)",
    fields=(
        FormField(
            "app_id", "Default app ID", "string", "appId used when an operator names none (e.g. the SMS app)."
        ),
        FormField(
            "voice_app_id", "Voice app ID", "string", "appId for voice calls and tasks; defaults to app ID."
        ),
        FormField("email_app_id", "Email app ID", "string", "appId for email; defaults to app ID."),
        FormField(
            "ai_voice_app_id", "AI voice app ID", "string", "appId for AI voice tasks; defaults to app ID."
        ),
        FormField(
            "base_path",
            "API base path",
            "string",
            "Path prefix of the API on the host; empty means /v3 (onbuka); / for white-label hosts that "
            "serve without it.",
        ),
        *_transport_fields(15, 15),
    ),
    hidden_fields=("schema", "port"),
    relabeling={"login": "API key", "password": "API secret", "host": "API origin override"},
    placeholders={
        "login": "API key (Settings > Account > API Management)",
        "password": "API secret",
        "host": "empty = https://api.onbuka.com; or a white-label host",
    },
)

FONEDYNAMICS = ConnectionForm(
    conn_type="fonedynamics",
    hook_class_name="airflow_provider_nxcloud.hooks.fonedynamics.FoneDynamicsHook",
    hook_name="Fone Dynamics",
    fields=(
        FormField(
            "property_sid", "Default property SID", "string", "PropertySid used when an operator names none."
        ),
        *_transport_fields(10, 30),
    ),
    hidden_fields=("schema", "port"),
    relabeling={"login": "Account SID", "password": "Token", "host": "API origin override"},
    placeholders={
        "login": "AccountSid",
        "password": "API token",
        "host": "empty = https://api.fonedynamics.com",
    },
)

FORMS: dict[str, ConnectionForm] = {form.conn_type: form for form in (NXCLOUD, BUKA, FONEDYNAMICS)}
