"""Layering rules that a source scan can hold (STYLE items 1 and 8).

* Callers never name endpoints: outside ``hooks/``, ``platforms/`` and ``testing/`` no
  module indexes an ``ENDPOINTS`` table or calls ``<hook>.call("<endpoint>", ...)``; a
  poll conversation asks the hook for its read (``BukaHook.report_call(...)``).
* One way to get a hook: operators, sensors and notifiers never construct a platform
  hook themselves; they get it from :class:`~airflow_provider_nxcloud.hooks.mixin.PlatformHookMixin`.

The source is read with :mod:`ast`, so docstrings and comments never count.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import airflow_provider_nxcloud
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.mixin import PLATFORM_HOOKS, PlatformHookMixin

PACKAGE_DIR = Path(airflow_provider_nxcloud.__file__).parent
#: the layers allowed to know endpoints by name
ENDPOINT_LAYERS = ("hooks", "platforms", "testing")
#: the layers whose tasks get their hook only through the mixin
TASK_LAYERS = ("operators", "transfers", "sensors", "notifications")
HOOK_NAMES = frozenset({"CPaaSHook", *(hook.__name__ for hook in PLATFORM_HOOKS.values())})


def _modules(*, inside: tuple[str, ...] = (), outside: tuple[str, ...] = ()) -> list[Path]:
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        layer = path.relative_to(PACKAGE_DIR).parts[0]
        if (inside and layer not in inside) or layer in outside:
            continue
        found.append(path)
    return found


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _where(path: Path, node: ast.AST) -> str:
    shown = path.relative_to(PACKAGE_DIR.parent) if path.is_relative_to(PACKAGE_DIR.parent) else path
    return f"{shown}:{getattr(node, 'lineno', '?')}"


def endpoint_namings(path: Path) -> list[str]:
    """Where ``path`` indexes an ``ENDPOINTS`` table or calls ``.call("<name>", ...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Subscript) and _name(node.value) == "ENDPOINTS":
            found.append(f"{_where(path, node)} indexes ENDPOINTS")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "call"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(f"{_where(path, node)} calls .call({node.args[0].value!r})")
    return found


def hook_constructions(path: Path) -> list[str]:
    """Where ``path`` builds a platform hook itself: ``BukaHook(...)``, ``hook_class_for(p)(...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        if _name(node.func) in HOOK_NAMES:
            found.append(f"{_where(path, node)} constructs {_name(node.func)}")
        elif isinstance(node.func, ast.Call) and _name(node.func.func) in ("hook_class_for", "hook_class"):
            found.append(f"{_where(path, node)} constructs the hook of a platform")
    return found


def test_no_caller_names_an_endpoint():
    found = [hit for path in _modules(outside=ENDPOINT_LAYERS) for hit in endpoint_namings(path)]
    assert found == [], "ask the hook for the request instead:\n" + "\n".join(found)


def test_no_operator_sensor_or_notifier_constructs_a_hook():
    found = [hit for path in _modules(inside=TASK_LAYERS) for hit in hook_constructions(path)]
    assert found == [], "use PlatformHookMixin's cached hook instead:\n" + "\n".join(found)


def test_the_scans_see_what_they_look_for(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "x = vendor.ENDPOINTS['sms_report']\n"
        "hook.call('sms_send', {})\n"
        "BukaHook('buka_default')\n"
        "hook_class_for(platform)(conn_id)\n"
        '"""BukaHook(conn_id) in a docstring does not count; nor does hook.call("x")"""\n'
    )
    assert len(endpoint_namings(source)) == 2
    assert len(hook_constructions(source)) == 2


def _task_classes() -> list[type]:
    """Every public operator, sensor and notifier class the task layers define."""
    classes = []
    for path in _modules(inside=TASK_LAYERS):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            continue
        module = importlib.import_module(".".join(parts))
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and hasattr(value, "execute" if parts[1] != "notifications" else "notify")
                and not inspect.isabstract(value)
                and name not in _NOT_TASKS
            ):
                classes.append(value)
    return classes


#: classes in the task layers that are not tasks talking to one platform
_NOT_TASKS = frozenset({"Waiter", "BatchRecords"})


TASK_CLASSES = _task_classes()
#: the shared bases (CampaignSendOperator, DeliverySensor, ...): their subclasses name the hook
BASES = {base for task_class in TASK_CLASSES for base in task_class.__mro__[1:]}


@pytest.mark.parametrize("task_class", TASK_CLASSES, ids=lambda cls: cls.__name__)
def test_every_task_gets_its_hook_through_the_mixin(task_class):
    assert issubclass(task_class, PlatformHookMixin), f"{task_class.__name__} does not use PlatformHookMixin"
    if task_class in BASES:
        return
    # a platform class names its hook class; a platform-generic one resolves it (a property of its own)
    owner = next(base for base in task_class.__mro__ if "hook_class" in base.__dict__)
    assert owner is not PlatformHookMixin, f"{task_class.__name__} names no hook_class"


def test_generic_sensors_resolve_the_hook_of_their_platform():
    from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor, NXCloudVoiceCallSensor
    from airflow_provider_nxcloud.sensors.nxcloud_number_check import NXCloudNumberCheckSensor

    sensor = BukaSmsDeliverySensor(task_id="wait", message_ids=["1"], buka_conn_id="buka_x")
    assert "hook" not in vars(sensor), "the hook is built on first use, never in __init__"
    assert isinstance(sensor.hook, PLATFORM_HOOKS["buka"]) and sensor.hook.conn_id == "buka_x"
    assert sensor.hook is sensor.hook
    voice = NXCloudVoiceCallSensor(
        task_id="calls", results_path="r.jsonl", disposition_overrides={"1": "fail"}
    )
    assert isinstance(voice.hook, PLATFORM_HOOKS["nxcloud"]) and voice.hook.conn_id == "nxcloud_default"
    check = NXCloudNumberCheckSensor(
        task_id="check", results_path="r.jsonl", batches="b1", nxcloud_conn_id="nx"
    )
    assert isinstance(check.hook, CPaaSHook) and check.hook.conn_id == "nx"
