"""Every platform's documented request contracts in one index, keyed by ``(platform, endpoint)``."""

from __future__ import annotations

from airflow_provider_nxcloud.platforms import buka_contracts, fonedynamics_contracts, nxcloud_contracts
from airflow_provider_nxcloud.platforms.contracts import Contract, contract_index

CONTRACTS: dict[tuple[str, str], Contract] = contract_index(
    nxcloud_contracts.CONTRACTS, buka_contracts.CONTRACTS, fonedynamics_contracts.CONTRACTS
)
