"""Apache Airflow provider for NXCloud, the Buka family and Fone Dynamics."""

from __future__ import annotations

# before the Airflow import: importing Airflow can discover providers, which reads this version
__version__ = "0.1.0"

#: the lowest Airflow this provider runs on (the floor in pyproject.toml, tested by ``make test-matrix``)
MIN_AIRFLOW_VERSION = "3.1.8"

import packaging.version  # noqa: E402
from airflow import __version__ as airflow_version  # noqa: E402

# as Airflow's own providers do: a clear error at import rather than a strange one at run time
if packaging.version.parse(packaging.version.parse(airflow_version).base_version) < packaging.version.parse(
    MIN_AIRFLOW_VERSION
):
    raise RuntimeError(
        f"The package `airflow-provider-nxcloud:{__version__}` needs Apache Airflow {MIN_AIRFLOW_VERSION}+; "
        f"this is Apache Airflow {airflow_version}"
    )
