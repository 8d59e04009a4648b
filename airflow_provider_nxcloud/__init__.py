"""Apache Airflow provider for NXCloud, the Buka family and Fone Dynamics."""

from __future__ import annotations

__version__ = "0.1.0"
