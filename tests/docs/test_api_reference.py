"""The documentation site cannot forget a component, without building it.

``make docs`` checks what Sphinx actually documented (``docs/_ext/provider_docs.py``); this runs
in ``make test`` without Sphinx: every module ``get_provider_info()`` lists must be named by an
``automodule`` directive under ``docs/reference/`` that documents all of its operators, sensors,
hooks, triggers and notifiers, and every connection type must have its generated field table.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from airflow_provider_nxcloud.connection_forms import FORMS

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
api_coverage = importlib.import_module("api_coverage")

MODULES = api_coverage.provider_modules()


def directive_options(page: Path, module: str) -> dict[str, str]:
    """The options (``:members: A, B``) of the ``automodule`` directive naming ``module`` on ``page``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = lines.index(f".. automodule:: {module}")
    options: dict[str, str] = {}
    for line in lines[start + 1 :]:
        match = re.match(r"^\s+:([\w-]+):\s*(.*)$", line)
        if not match:
            break
        options[match.group(1)] = match.group(2).strip()
    return options


def test_every_layer_has_modules():
    # a renamed key in get_provider_info would otherwise make every test below pass vacuously
    layers = {name.split(".")[1] for name in MODULES}
    assert layers == {"hooks", "operators", "sensors", "triggers", "notifications", "transfers"}


@pytest.mark.parametrize("module", MODULES)
def test_module_is_in_the_api_reference(module):
    pages = api_coverage.automodules(DOCS)
    assert module in pages, f"add `.. automodule:: {module}` to a page under docs/reference/"
    options = directive_options(pages[module], module)
    classes = list(api_coverage.component_classes(module))
    assert classes, f"{module} defines no operator, sensor, hook, trigger or notifier"
    short = [name.rsplit(".", 1)[1] for name in classes]
    if options.get("members"):
        listed = {name.strip() for name in options["members"].split(",")}
        assert set(short) <= listed, f"{pages[module].name}: :members: leaves out {set(short) - listed}"
    excluded = {name.strip() for name in options.get("exclude-members", "").split(",") if name.strip()}
    assert not excluded & set(short), f"{pages[module].name}: :exclude-members: hides {excluded & set(short)}"
    # autodoc documents only the names in a module's __all__, when it has one
    public = getattr(importlib.import_module(module), "__all__", None)
    if public is not None:
        assert set(short) <= set(public), f"{module}.__all__ leaves out {set(short) - set(public)}"


@pytest.mark.parametrize("conn_type", sorted(FORMS))
def test_connection_type_has_its_page(conn_type):
    page = DOCS / "connections" / f"{conn_type}.rst"
    assert page.is_file(), f"docs/connections/{conn_type}.rst is missing"
    assert f".. connection-fields:: {conn_type}" in page.read_text(encoding="utf-8")
