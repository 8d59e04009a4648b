"""pytest plugin (entry point ``nxcloud_simulator``): the ``nxcloud_simulator`` fixture.

One simulator serves the whole test session; every test that takes the
fixture gets it reset (empty ledger and request log, no faults, real time)
and the ``AIRFLOW_CONN_NXCLOUD_DEFAULT``, ``AIRFLOW_CONN_BUKA_DEFAULT`` and
``AIRFLOW_CONN_FONEDYNAMICS_DEFAULT`` variables pointing at it, so hooks and
DAG code using the ``*_default`` connections talk to the simulator.

To start the session's simulator with other options, override
``nxcloud_simulator_options`` in a ``conftest.py``::

    @pytest.fixture(scope="session")
    def nxcloud_simulator_options():
        return {"delivery_delay": 5, "undeliverable": ["61400000001"]}

Nothing is imported from the simulator (or FastAPI/uvicorn) until a test
asks for the fixture, so installing the provider costs other test suites nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_nxcloud.testing.server import Simulator


@pytest.fixture(scope="session")
def nxcloud_simulator_options() -> dict[str, Any]:
    """Keyword arguments of the session's :class:`Simulator`; override to configure it."""
    return {}


@pytest.fixture(scope="session")
def nxcloud_simulator_session(nxcloud_simulator_options: dict[str, Any]) -> Iterator[Simulator]:
    """The session's running simulator, not reset between tests (use ``nxcloud_simulator``)."""
    from airflow_provider_nxcloud.testing.server import run_simulator

    with run_simulator(**nxcloud_simulator_options) as simulator:
        yield simulator


@pytest.fixture
def nxcloud_simulator(
    nxcloud_simulator_session: Simulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Simulator]:
    """The simulator, reset, with the three default Airflow connections pointing at it."""
    nxcloud_simulator_session.reset()
    for name, value in nxcloud_simulator_session.connection_env().items():
        monkeypatch.setenv(name, value)
    yield nxcloud_simulator_session
