"""The documented request contracts of nxcloud's endpoints (see :mod:`.contracts`), each with its source."""

from __future__ import annotations

from airflow_provider_nxcloud.platforms.contracts import Contract, FieldRule

PLATFORM = "nxcloud"

CONTRACTS: tuple[Contract, ...] = ()

__all__ = ["CONTRACTS", "Contract", "FieldRule"]
