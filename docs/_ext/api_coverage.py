"""Which classes the API reference must document: those of every module ``get_provider_info`` lists.

Plain Python (no Sphinx), so the unit suite can check the reference pages without building
them (tests/docs/test_api_reference.py), and the build itself can check what it documented
(``provider_docs``): a new operator, sensor, hook, trigger or notifier cannot be left out.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

#: the provider-info keys whose modules the reference covers
LAYERS = ("hooks", "operators", "sensors", "triggers", "notifications", "transfers", "extra-links")

_AUTOMODULE = re.compile(r"^\.\. automodule:: *(\S+)\s*$", re.MULTILINE)


def provider_modules() -> list[str]:
    """Every module ``get_provider_info`` names, in its order, each once."""
    from airflow_provider_nxcloud.get_provider_info import get_provider_info

    info = get_provider_info()
    modules: list[str] = []
    for layer in LAYERS:
        for entry in info.get(layer, []):
            # notifications and extra links are listed as class paths, transfers as one module per
            # pair of integrations, the other layers as modules per integration
            if isinstance(entry, str):
                names = [entry.rsplit(".", 1)[0]]
            else:
                names = entry.get("python-modules") or [entry["python-module"]]
            modules.extend(name for name in names if name not in modules)
    return modules


def component_classes(module_name: str) -> Iterator[str]:
    """Dotted names of the operators, sensors, hooks, triggers and notifiers a module defines.

    Imported classes are left to the module that defines them, as autodoc does.
    """
    from airflow.providers.common.compat.notifier import BaseNotifier
    from airflow.providers.common.compat.sdk import BaseHook, BaseOperator, BaseOperatorLink
    from airflow.triggers.base import BaseTrigger

    bases = (BaseOperator, BaseHook, BaseTrigger, BaseNotifier, BaseOperatorLink)
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        if (
            inspect.isclass(value)
            and value.__module__ == module_name
            and not name.startswith("_")
            and issubclass(value, bases)
        ):
            yield f"{module_name}.{name}"


def automodules(docs_dir: Path) -> dict[str, Path]:
    """The modules named by an ``automodule`` directive in the reference pages, with their page."""
    found: dict[str, Path] = {}
    for page in sorted((docs_dir / "reference").glob("*.rst")):
        for name in _AUTOMODULE.findall(page.read_text(encoding="utf-8")):
            found.setdefault(name, page)
    return found
