"""Sphinx configuration of the provider's documentation (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# this checkout's package first (not an installed copy), and the docs' own extension
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

from airflow_provider_nxcloud import __version__  # noqa: E402

project = "airflow-provider-nxcloud"
author = "airflow-provider-nxcloud maintainers"
copyright = "airflow-provider-nxcloud maintainers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "provider_docs",
]

# vendor-assumptions.md is Markdown read on GitHub; the docs link to it instead of parsing it
exclude_patterns = ["_build", "img", "vendor-assumptions.md"]

html_theme = "furo"
html_title = f"airflow-provider-nxcloud {release}"
html_static_path: list[str] = []

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
# the page and the module index already say which module a class is in
add_module_names = False
# signatures stay readable; the types are listed under each parameter
autodoc_typehints = "description"
