"""Registration with Airflow: entry point, schema, ProvidersManager, and both connection-form copies."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from unittest import mock
from unittest.mock import MagicMock

import jsonschema
import pytest

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.get_provider_info import get_provider_info
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook

HOOKS = {"nxcloud": NXCloudHook, "buka": BukaHook, "fonedynamics": FoneDynamicsHook}

# Before 3.2 Airflow has no declarative form: only its API server renders the hooks' legacy widgets
# (standing in for wtforms and Flask-AppBuilder); tests/test_version_compat.py checks what it serves.
declarative_form_only = pytest.mark.skipif(
    not version_compat.READS_DECLARATIVE_CONN_FIELDS, reason="Airflow < 3.2 does not read conn-fields"
)


def test_entry_point_is_registered():
    points = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_nxcloud")
    ]
    assert len(points) == 1
    assert points[0].load() is get_provider_info


def test_provider_info_matches_airflows_schema():
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)
    assert get_provider_info()["package-name"] == "airflow-provider-nxcloud"


def test_every_listed_module_and_class_imports():
    import importlib

    info = get_provider_info()
    modules = [
        m
        for key in ("hooks", "operators", "sensors", "triggers")
        for e in info.get(key, [])
        for m in e["python-modules"]
    ]
    assert len(modules) >= 6
    modules += [entry["python-module"] for entry in info["transfers"]]
    for module in modules:
        importlib.import_module(module)
    for path in info["notifications"] + [c["hook-class-name"] for c in info["connection-types"]]:
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name)


@pytest.fixture(scope="module")
def providers_manager():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    manager.initialize_providers_hooks()
    return manager


def test_providers_manager_lists_the_provider(providers_manager):
    assert "airflow-provider-nxcloud" in providers_manager.providers


@pytest.mark.parametrize("conn_type", sorted(HOOKS))
def test_connection_types_are_registered_with_their_hooks(providers_manager, conn_type):
    hook_cls = HOOKS[conn_type]
    info = providers_manager.hooks[conn_type]
    assert info.hook_class_name == f"{hook_cls.__module__}.{hook_cls.__name__}"
    assert info.connection_id_attribute_name == f"{conn_type}_conn_id"
    assert info.connection_testable is True
    assert hook_cls.default_conn_name == f"{conn_type}_default"


@declarative_form_only
@pytest.mark.parametrize("conn_type", sorted(HOOKS))
def test_form_fields_reach_the_ui_metadata(providers_manager, conn_type):
    form = FORMS[conn_type]
    widgets = providers_manager.connection_form_widgets
    for spec in form.fields:
        widget = widgets[f"extra__{conn_type}__{spec.name}"]
        assert widget.field_name == spec.name
        assert widget.is_sensitive is (spec.kind == "password")
        assert widget.field["schema"]["title"] == spec.label
    behaviour = providers_manager.field_behaviours[conn_type]
    assert behaviour["relabeling"]["login"] == form.relabeling["login"]
    assert behaviour["relabeling"]["password"] == form.relabeling["password"]
    assert set(behaviour["hidden_fields"]) == {"schema", "port"}


def test_secret_fields_are_password_format():
    sensitive = {
        (conn_type, name)
        for conn_type, form in FORMS.items()
        for name, field in form.conn_fields().items()
        if field["schema"].get("format") == "password"
    }
    # the rate-limit store's URL may carry the Redis password, the proxy's URL the proxy's
    urls = {(conn_type, name) for conn_type in FORMS for name in ("rate_limit_store", "proxy")}
    assert sensitive == {("nxcloud", "sms_app_secret"), ("nxcloud", "voice_app_secret"), *urls}


def test_nxcloud_form_has_an_app_key_per_chat_channel():
    fields = FORMS["nxcloud"].conn_fields()
    for channel in ("whatsapp", "viber", "zalo"):
        assert fields[f"{channel}_app_key"]["schema"] == {"type": ["string", "null"]}
        assert fields[f"{channel}_app_key"]["label"].endswith("app key")


def _legacy_widgets(hook_cls) -> dict:
    """Render the legacy hook widgets the way Airflow 3's API server does when FAB is absent."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService as Meta

    wtforms = MagicMock(
        StringField=Meta.MockStringField,
        IntegerField=Meta.MockIntegerField,
        PasswordField=Meta.MockPasswordField,
        BooleanField=Meta.MockBooleanField,
    )
    validators = MagicMock(Optional=Meta.MockOptional, any_of=Meta.MockEnum)
    widgets = MagicMock(BS3TextFieldWidget=Meta.MockAnyWidget, BS3PasswordFieldWidget=Meta.MockAnyWidget)
    modules = {
        "wtforms": wtforms,
        "wtforms.validators": validators,
        "flask_babel": MagicMock(lazy_gettext=lambda text: text),
        "flask_appbuilder": MagicMock(),
        "flask_appbuilder.fieldwidgets": widgets,
    }
    with mock.patch.dict(sys.modules, modules):
        return {name: field.param.dump() for name, field in hook_cls.get_connection_form_widgets().items()}


@declarative_form_only
@pytest.mark.parametrize("conn_type", sorted(HOOKS))
def test_legacy_hook_form_agrees_with_the_declarative_one(conn_type):
    from airflow.providers_manager import ProvidersManager

    declarative = {}
    for name, field in FORMS[conn_type].conn_fields().items():
        api = ProvidersManager._to_api_format(ProvidersManager.__new__(ProvidersManager), name, field)
        # wtforms cannot express JSON-Schema bounds or defaults inside the schema; the
        # default still travels as "value", which is compared.
        api["schema"] = {k: v for k, v in api["schema"].items() if k not in ("default", "minimum")}
        declarative[name] = api
    assert _legacy_widgets(HOOKS[conn_type]) == declarative
    behaviour = HOOKS[conn_type].get_ui_field_behaviour()
    declared = FORMS[conn_type].ui_field_behaviour()
    assert behaviour == {
        "hidden_fields": declared["hidden-fields"],
        "relabeling": declared["relabeling"],
        "placeholders": declared["placeholders"],
    }


def test_every_integration_links_its_vendor_docs_and_existing_how_to_guides():
    repo = Path(__file__).resolve().parents[1]
    for integration in get_provider_info()["integrations"]:
        assert integration["external-doc-url"].startswith("https://"), integration
        guides = integration["how-to-guide"]
        assert guides, integration
        missing = [guide for guide in guides if not (repo / guide.lstrip("/")).is_file()]
        assert missing == [], integration["integration-name"]
