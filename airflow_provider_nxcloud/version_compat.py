"""Airflow version flags, and every place where the provider behaves differently by Airflow version.

The ``AIRFLOW_V_*`` flags are copied into this package as the community providers do. The
provider supports Airflow 3.1.8 (the floor in pyproject.toml) to 3.3; ``make test-matrix``
runs the whole test suite on the floor and on the newest release, and
tests/test_version_compat.py checks on each that the branch below matching it is the one taken.

What differs:

* ``task_state_store`` (Airflow 3.3+, AIP-103): where a send task keeps what must survive
  its retries. Before 3.3 the record is an Airflow Variable named after the task instance's
  key instead (see :func:`task_state_store`).
* retry policies (Airflow 3.3+, AIP-105): :mod:`airflow_provider_nxcloud.retry_policy`
  imports only there (:data:`HAS_RETRY_POLICY`).
* the connection form (Airflow 3.2+ reads the declarative ``conn-fields`` and
  ``ui-field-behaviour`` from the provider info; before, the hooks' legacy
  ``get_connection_form_widgets`` / ``get_ui_field_behaviour``, generated from the same
  spec; :data:`READS_DECLARATIVE_CONN_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def get_base_airflow_version_tuple() -> tuple[int, int, int]:
    from airflow import __version__
    from packaging.version import Version

    version = Version(__version__)
    return version.major, version.minor, version.micro


AIRFLOW_V_3_1_PLUS: bool = get_base_airflow_version_tuple() >= (3, 1, 0)
AIRFLOW_V_3_2_PLUS: bool = get_base_airflow_version_tuple() >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS: bool = get_base_airflow_version_tuple() >= (3, 3, 0)

#: Airflow 3.3+ gives every task a ``task_state_store`` that all tries of the task instance share.
HAS_TASK_STATE_STORE: bool = AIRFLOW_V_3_3_PLUS
#: Airflow 3.3+ takes ``retry_policy=`` on any operator; ``retry_policy`` refuses to import before.
HAS_RETRY_POLICY: bool = AIRFLOW_V_3_3_PLUS
#: Airflow 3.2+ builds the connection form from the provider info's ``conn-fields`` without
#: importing the hooks; 3.1 calls the hooks' legacy form methods (its API server stands in for
#: wtforms and Flask-AppBuilder when they are not installed).
READS_DECLARATIVE_CONN_FIELDS: bool = AIRFLOW_V_3_2_PLUS


def task_state_store(context: Mapping[str, Any]) -> Any | None:
    """The task instance's ``task_state_store`` (get/set/delete), or None where there is none.

    Airflow 3.3+: the store, which every try of the task instance sees. Before 3.3: None, and
    the record is an Airflow Variable named after the task instance's key instead (both kept
    through :class:`~airflow_provider_nxcloud.state.TaskInstanceState`).

    Read from the context rather than decided by :data:`HAS_TASK_STATE_STORE`: Airflow 3.3 puts
    it in every task's context and earlier versions never do, while a context built by hand
    (tests, the reliability harness, the benchmarks) says for itself whether it has one.
    """
    return context.get("task_state_store")


__all__ = [
    "AIRFLOW_V_3_1_PLUS",
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "HAS_RETRY_POLICY",
    "HAS_TASK_STATE_STORE",
    "READS_DECLARATIVE_CONN_FIELDS",
    "task_state_store",
]
