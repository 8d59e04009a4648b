"""Test-wide set-up: a private AIRFLOW_HOME, so no test touches the user's ~/airflow."""

from __future__ import annotations

import os
import tempfile

# Must happen before anything imports airflow (conftest is imported first).
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-provider-nxcloud-tests-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
