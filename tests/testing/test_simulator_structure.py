"""How the simulator is put together: plain handler tables, merged by one index.

Each vendor module exports ``HANDLERS`` (endpoint name -> function) and registers
nothing anywhere; :mod:`~airflow_provider_nxcloud.testing.platform_index` builds every
platform's router from them. These tests pin which endpoints each platform serves.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_nxcloud.platforms import buka as buka_vendor
from airflow_provider_nxcloud.platforms import fonedynamics as fonedynamics_vendor
from airflow_provider_nxcloud.platforms import nxcloud as nxcloud_vendor
from airflow_provider_nxcloud.testing import (
    buka,
    buka_ai_voice,
    buka_voice_tasks,
    fonedynamics,
    nxcloud,
    nxcloud_chat,
    nxcloud_number_check,
    nxcloud_pns,
    platform_index,
)
from airflow_provider_nxcloud.testing.app import PLATFORMS
from airflow_provider_nxcloud.testing.routing import Call, Reply, VendorRouter
from tests.test_import_graph import PACKAGE, import_graph

#: the modules that simulate each platform's endpoints
MODULES = {
    "nxcloud": (nxcloud, nxcloud_chat, nxcloud_number_check, nxcloud_pns),
    "buka": (buka, buka_voice_tasks, buka_ai_voice),
    "fonedynamics": (fonedynamics,),
}
TABLES = {
    "nxcloud": nxcloud_vendor.ENDPOINTS,
    "buka": buka_vendor.ENDPOINTS,
    "fonedynamics": fonedynamics_vendor.ENDPOINTS,
}
#: the endpoints of each platform's table that the simulator answers (the others answer 404 "not simulated")
SERVED = {
    "nxcloud": {
        "balance",
        "number_check_query",
        "number_check_submit",
        "pns_bindAXB",
        "pns_bindAXBExtension",
        "pns_bindAXG",
        "pns_createGroup",
        "pns_deleteGroup",
        "pns_getAXBList",
        "pns_listGroup",
        "pns_queryAXB",
        "pns_unbindAXB",
        "pns_updateGroup",
        "sms_record",
        "sms_records",
        "sms_send_legacy",
        "sms_send_v1",
        "sms_send_v2",
        "viber_send",
        "voice_broadcast",
        "voice_notify",
        "voice_records",
        "voice_upload",
        "voice_verify",
        "whatsapp_send",
        "zalo_send",
    },
    "buka": {
        "ai_import_customer",
        "ai_task_add",
        "ai_task_delete",
        "ai_task_list",
        "ai_task_start",
        "ai_task_stop",
        "balance",
        "cc_record_query",
        "email_records",
        "email_send",
        "sms_report",
        "sms_sent_records",
        "sms_send",
        "sms_send_batch",
        "voice_record",
        "voice_records",
        "voice_send_code",
        "voice_send_group",
        "voice_task_cancel",
        "voice_task_create",
        "voice_task_detail",
        "voice_task_list",
        "voice_task_resend",
    },
    "fonedynamics": {
        "get_call",
        "get_message",
        "get_property",
        "list_calls",
        "list_messages",
        "list_properties",
        "send_batch",
        "send_message",
    },
}
NOT_SIMULATED = {"buka": {"ai_record_query", "voice_file_upload"}}


def _sim(name: str) -> Any:
    (sim,) = [sim for sim in PLATFORMS if sim.name == name]
    return sim


def test_the_app_serves_the_index_platforms() -> None:
    assert PLATFORMS is platform_index.PLATFORMS
    assert [sim.name for sim in PLATFORMS] == ["nxcloud", "buka", "fonedynamics"]


@pytest.mark.parametrize("platform", sorted(SERVED))
def test_each_platform_serves_the_same_endpoints(platform: str) -> None:
    handlers = _sim(platform).router.handlers
    assert set(handlers) == SERVED[platform]
    assert set(TABLES[platform]) - set(handlers) == NOT_SIMULATED.get(platform, set())


@pytest.mark.parametrize("platform", sorted(MODULES))
def test_a_platforms_handlers_are_its_modules_tables(platform: str) -> None:
    """The router's handlers are exactly the union of its modules' disjoint ``HANDLERS`` tables."""
    merged: dict[str, Any] = {}
    for module in MODULES[platform]:
        assert platform == module.PLATFORM
        assert module.HANDLERS, module.__name__
        assert not set(merged) & set(module.HANDLERS), module.__name__
        merged.update(module.HANDLERS)
        assert all(func.__module__ == module.__name__ for func in module.HANDLERS.values()), module.__name__
    assert _sim(platform).router.handlers == merged


def test_every_module_with_a_handler_table_is_in_the_index() -> None:
    """A module that exports ``HANDLERS`` but is not wired into the index would serve nothing."""
    indexed = {module.__name__ for modules in MODULES.values() for module in modules}
    simulator = f"{PACKAGE}.testing."
    graph = import_graph()
    assert graph[f"{PACKAGE}.testing.platform_index"] >= indexed
    with_tables = set()
    for name in graph:
        if name.startswith(simulator):
            module = __import__(name, fromlist=["_"])
            if isinstance(getattr(module, "HANDLERS", None), dict):
                with_tables.add(name)
    assert with_tables == indexed


def test_only_the_index_imports_the_handler_modules() -> None:
    """The handler modules import shared helpers, never one another's router: no module fills another's."""
    graph = import_graph()
    submodules = {
        module.__name__
        for module in (nxcloud_chat, nxcloud_number_check, nxcloud_pns, buka_voice_tasks, buka_ai_voice)
    }
    importers = {name for name, edges in graph.items() if edges & submodules}
    assert importers == {platform_index.__name__}


@pytest.mark.parametrize("platform", sorted(SERVED))
def test_every_served_endpoint_is_mounted(platform: str) -> None:
    """Mounting adds one route per method and path; each served endpoint's is among them."""
    router = _sim(platform).router
    app = _Recorder()
    router.mount(app, state=None)  # type: ignore[arg-type]
    for name in router.handlers:
        endpoint = router.table[name]
        assert (router.prefix + endpoint.path, endpoint.method) in app.routes, name


class _Recorder:
    def __init__(self) -> None:
        self.routes: set[tuple[str, str]] = set()

    def add_route(self, path: str, endpoint: Any, methods: list[str]) -> None:
        self.routes.update((path, method) for method in methods)


def _reply(call: Call) -> Reply:
    return {}


def _router(*tables: dict[str, Any]) -> VendorRouter:
    return VendorRouter(
        "buka",
        buka_vendor.ENDPOINTS,
        handlers=tables,
        authenticate=buka.authenticate,
        bad_body=buka.bad_body,
    )


def test_a_router_refuses_a_handler_for_an_endpoint_not_in_its_table() -> None:
    with pytest.raises(KeyError, match="no endpoint 'nope'"):
        _router({"balance": _reply}, {"nope": _reply})


def test_a_router_refuses_an_endpoint_simulated_twice() -> None:
    with pytest.raises(ValueError, match="buka/balance is simulated twice"):
        _router({"balance": _reply}, {"balance": _reply})
