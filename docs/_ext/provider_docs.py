"""Sphinx extension of the provider's docs: connection tables from the form spec, an API coverage check.

``.. connection-fields:: <conn_type>`` renders the connection form's standard fields and its
extras from ``airflow_provider_nxcloud.connection_forms.FORMS``, the spec the UI form and the
hooks are generated from, so the page cannot drift from what the UI shows.
``.. code-catalogs::`` renders every vendor code the provider knows, with its disposition, from
the catalogs the hooks decide by (``platforms/catalogs.py``).

After reading every page, each operator, sensor, hook, trigger and notifier class of the
modules ``get_provider_info`` lists must have been documented; one that is not is a warning,
which ``make docs`` (``-W``) turns into a failed build.
"""

from __future__ import annotations

import json
from typing import Any

import api_coverage
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from airflow_provider_nxcloud.connection_forms import FORMS, ConnectionForm, FormField
from airflow_provider_nxcloud.platforms import catalogs

logger = logging.getLogger(__name__)

#: Airflow's standard connection fields: the credentials, the host, then what the forms hide
_STANDARD_FIELDS = ("login", "password", "host", "schema", "port")


def _text(text: str) -> str:
    """Plain text from the spec or a catalog, with reStructuredText's markup characters escaped."""
    return "".join("\\" + ch if ch in "\\*`|_[]<>:" else ch for ch in text)


def _cell(text: str) -> str:
    """One list-table cell: a single line, so the table's indentation stays intact."""
    return " ".join(text.split()) or " "


def _literal(value: Any) -> str:
    return f"``{json.dumps(value)}``"


def _extra_row(spec: FormField) -> list[str]:
    kind = "secret (masked) text" if spec.kind == "password" else spec.kind
    notes = [_text(spec.description)]
    if spec.enum:
        notes.append("One of " + ", ".join(_literal(v) for v in spec.enum) + ".")
    if spec.minimum is not None:
        notes.append(f"At least {spec.minimum}.")
    default = _literal(spec.default) if spec.default is not None else "(none)"
    return [f"``{spec.name}``", _text(spec.label), kind, default, " ".join(notes)]


def _standard_row(form: ConnectionForm, name: str) -> list[str]:
    if name in form.hidden_fields:
        return [f"``{name}``", "(hidden)", "Not used; the form hides it."]
    label = form.relabeling.get(name, name.capitalize())
    return [f"``{name}``", _text(label), _text(form.placeholders.get(name, ""))]


def _list_table(title: str, header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        first, *rest = row
        lines.append(f"   * - {_cell(first)}")
        lines.extend(f"     - {_cell(cell)}" for cell in rest)
    lines.append("")
    return lines


def connection_tables(form: ConnectionForm) -> list[str]:
    """reStructuredText of the form's standard fields and its extras."""
    standard = [_standard_row(form, name) for name in _STANDARD_FIELDS]
    extras = [_extra_row(spec) for spec in form.fields]
    return [
        *_list_table(
            f"Standard fields of ``{form.conn_type}``",
            ["field", "label in the form", "what to enter"],
            standard,
            "15 25 60",
        ),
        *_list_table(
            f"Extras of ``{form.conn_type}`` (the form's *Extra Fields*, saved under these names)",
            ["extra", "label in the form", "type", "default", "meaning"],
            extras,
            "18 18 10 8 46",
        ),
    ]


class ConnectionFieldsDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        conn_type = self.arguments[0]
        form = FORMS.get(conn_type)
        if form is None:
            raise self.error(f"no connection form {conn_type!r}; known: {', '.join(sorted(FORMS))}")
        container = nodes.container()
        self.state.nested_parse(
            StringList(connection_tables(form), source=f"connection_forms.FORMS[{conn_type!r}]"),
            self.content_offset,
            container,
        )
        return container.children


#: the catalogs' platform names as the docs write them
_PLATFORM_TITLES = {"nxcloud": "NXCloud", "buka": "Buka", "fonedynamics": "Fone Dynamics"}


def catalog_tables() -> list[str]:
    """reStructuredText of every (platform, service) catalog: a section and a table each."""
    lines: list[str] = []
    for platform, service in catalogs.services():
        table = catalogs.catalog(platform, service)
        title = f"{_PLATFORM_TITLES.get(platform, platform)}: ``{service}``"
        lines += [title, "-" * len(title), ""]
        if table.falls_back_to:
            others = ", ".join(f"``{name}``" for name in table.falls_back_to)
            lines += [f"A code not listed here is looked up in {others}.", ""]
        rows = [
            [f"``{info.code}``", _text(info.meaning), f"``{info.disposition.value}``", _text(info.reason.why)]
            for info in table.codes.values()
        ]
        lines += _list_table(
            f"{len(rows)} codes", ["code", "vendor's meaning", "disposition", "why"], rows, "10 40 10 40"
        )
    return lines


class CodeCatalogsDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        nested_parse_with_titles(
            self.state, StringList(catalog_tables(), source="platforms.catalogs"), container
        )
        return container.children


def check_api_coverage(app: Sphinx, env: BuildEnvironment) -> None:
    documented = set(env.get_domain("py").objects)  # type: ignore[attr-defined]
    for module in api_coverage.provider_modules():
        for name in api_coverage.component_classes(module):
            if name not in documented:
                logger.warning(
                    "%s is listed in get_provider_info but missing from the API reference "
                    "(add `.. automodule:: %s` to a page under docs/reference/)",
                    name,
                    module,
                )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("connection-fields", ConnectionFieldsDirective)
    app.add_directive("code-catalogs", CodeCatalogsDirective)
    app.connect("env-check-consistency", check_api_coverage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
