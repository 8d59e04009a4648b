"""Apache Airflow provider for NXCloud, the Buka family and Fone Dynamics."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import packaging.version

__version__ = "0.1.0"

#: the lowest Airflow this provider runs on (the floor in pyproject.toml, tested by ``make test-matrix``)
MIN_AIRFLOW_VERSION = "3.1.8"


def _check_airflow_version() -> None:
    """Refuse an older Airflow at import, as Airflow's own providers do: one clear error, not odd ones later.

    Read from the installed distribution, not by importing Airflow: importing the package (the
    simulator's command line, ``get_provider_info``) must not start Airflow's configuration.
    """
    try:
        installed = version("apache-airflow")
    except PackageNotFoundError:  # not installed as a distribution (a source tree): nothing to compare
        return
    if packaging.version.parse(packaging.version.parse(installed).base_version) < packaging.version.parse(
        MIN_AIRFLOW_VERSION
    ):
        raise RuntimeError(
            f"The package `airflow-provider-nxcloud:{__version__}` needs Apache Airflow "
            f"{MIN_AIRFLOW_VERSION}+; this is Apache Airflow {installed}"
        )


_check_airflow_version()
