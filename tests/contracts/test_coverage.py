"""Every endpoint the provider can call has a documented contract, with its source and an example reply."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.platforms import buka, fonedynamics, nxcloud
from airflow_provider_nxcloud.platforms.contract_index import CONTRACTS
from airflow_provider_nxcloud.testing.app import PLATFORMS

TABLES = {"nxcloud": nxcloud.ENDPOINTS, "buka": buka.ENDPOINTS, "fonedynamics": fonedynamics.ENDPOINTS}
ENDPOINTS = sorted((platform, name) for platform, table in TABLES.items() for name in table)


@pytest.mark.parametrize("key", ENDPOINTS, ids="/".join)
def test_every_endpoint_has_a_contract_with_its_source(key: tuple[str, str]) -> None:
    contract = CONTRACTS.get(key)
    assert contract is not None, f"{key}: no documented contract"
    assert contract.source.strip(), key


@pytest.mark.parametrize("key", ENDPOINTS, ids="/".join)
def test_the_simulator_enforces_every_contract(key: tuple[str, str]) -> None:
    (router,) = [sim.router for sim in PLATFORMS if sim.name == key[0]]
    assert router.contracts[key[1]] is CONTRACTS[key]
