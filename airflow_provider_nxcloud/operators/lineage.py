"""OpenLineage for a send (when the openlineage provider is installed): the recipients file read, the results file written.

Dataset names follow OpenLineage's naming spec: an object store URL is namespace
``scheme://bucket`` and name the key; a local file is namespace ``file`` and name its
absolute path. Numbers given inline are no dataset. Credentials in a URL never reach a name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_nxcloud.campaign.recipients import source_location


def dataset_of(location: str) -> Any:
    """The OpenLineage Dataset of a file path or URL."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    split = urlsplit(location)
    if split.scheme and split.scheme != "file":
        host = split.hostname or ""
        authority = f"{host}:{split.port}" if split.port else host
        return Dataset(namespace=f"{split.scheme}://{authority}", name=split.path.lstrip("/"))
    return Dataset(
        namespace="file", name=split.path if split.scheme == "file" else str(Path(location).absolute())
    )


def send_lineage(recipients: Any, results_path: Any) -> Any:
    """``OperatorLineage`` of a send: its recipients file in, its results file out."""
    from airflow.providers.openlineage.extractors import OperatorLineage

    source = source_location(recipients)
    return OperatorLineage(
        inputs=[dataset_of(source)] if source else [],
        outputs=[dataset_of(str(results_path))] if results_path else [],
    )


__all__ = ["dataset_of", "send_lineage"]
