"""The provider's version decisions (``version_compat``), checked on whichever Airflow runs the tests.

``make test-matrix`` runs this file on the lowest supported Airflow and on the newest: each test
asserts the branch that belongs to the running version, so the same test fails if a flag names
the wrong release or a branch stops working there.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from airflow_provider_nxcloud import version_compat
from airflow_provider_nxcloud.campaign.buka import open_addresses
from airflow_provider_nxcloud.campaign.progress import STORE_KEY, campaign_key
from airflow_provider_nxcloud.connection_forms import FORMS
from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import REPO, airflow_env, migrate, run_dag


def airflow_version() -> Version:
    from airflow import __version__

    return Version(Version(__version__).base_version)


# ----- the flags -----------------------------------------------------------------------------------


def test_the_flags_follow_the_running_airflow():
    version = airflow_version()
    assert version_compat.AIRFLOW_V_3_1_PLUS is (version >= Version("3.1"))
    assert version_compat.AIRFLOW_V_3_2_PLUS is (version >= Version("3.2"))
    assert version_compat.AIRFLOW_V_3_3_PLUS is (version >= Version("3.3"))
    # the feature flags, checked against the features themselves rather than a release number
    import airflow.sdk
    from airflow.providers_manager import ProvidersManager

    assert version_compat.HAS_RETRY_POLICY is hasattr(airflow.sdk, "ExceptionRetryPolicy")
    assert version_compat.HAS_TASK_STATE_STORE is hasattr(
        importlib.import_module("airflow.sdk.execution_time.context"), "TaskStateStoreAccessor"
    )
    # 3.2 converts conn-fields to the UI's format (ProvidersManager._to_api_format); 3.1 cannot
    assert version_compat.READS_DECLARATIVE_CONN_FIELDS is hasattr(ProvidersManager, "_to_api_format")


def test_the_supported_range_starts_at_the_release_the_matrix_tests():
    """pyproject's floor is LOWEST_AIRFLOW_VERSION in the Makefile, and the flags cover it."""
    makefile = (REPO / "Makefile").read_text()
    [lowest] = [
        line.split("?=")[1].strip()
        for line in makefile.splitlines()
        if line.startswith("LOWEST_AIRFLOW_VERSION")
    ]
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"apache-airflow>={lowest}"' in pyproject
    assert Version(lowest) >= Version("3.1"), "below 3.1 version_compat has no branch for it"
    assert airflow_version() >= Version(lowest), "this Airflow is older than the declared floor"


def test_task_state_store_is_whatever_the_context_holds():
    store = object()
    assert version_compat.task_state_store({"task_state_store": store}) is store
    assert version_compat.task_state_store({"ti": object()}) is None


# ----- retry policies (Airflow 3.3+) ----------------------------------------------------------------


def test_the_retry_policy_module_imports_exactly_where_airflow_has_retry_policies(monkeypatch):
    monkeypatch.delitem(sys.modules, "airflow_provider_nxcloud.retry_policy", raising=False)
    if version_compat.HAS_RETRY_POLICY:
        from airflow.sdk import RetryPolicy

        module = importlib.import_module("airflow_provider_nxcloud.retry_policy")
        assert isinstance(module.RETRY_POLICY, RetryPolicy)
    else:
        with pytest.raises(
            ImportError, match=rf"needs Apache Airflow 3\.3 or later .* Airflow {airflow_version()}"
        ):
            importlib.import_module("airflow_provider_nxcloud.retry_policy")


# ----- the connection form ---------------------------------------------------------------------------

#: what the API server serves for the "Add connection" form, in a process of its own (as the API
#: server is): Airflow caches the hooks' form data per process, so an in-process call would see
#: whatever an earlier test initialised. The legacy widget method is spied on where the hook has it
#: as its own attribute, which is the only place Airflow 3.1 looks for it.
UI_METADATA_SCRIPT = textwrap.dedent(
    """
    import json
    from airflow_provider_nxcloud.hooks.buka import BukaHook
    from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
    from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook

    calls = []
    for hook in (NXCloudHook, BukaHook, FoneDynamicsHook):
        if "get_connection_form_widgets" in hook.__dict__:
            legacy = hook.__dict__["get_connection_form_widgets"].__func__

            def spy(cls, legacy=legacy):
                calls.append(cls.conn_type)
                return legacy(cls)

            hook.get_connection_form_widgets = classmethod(spy)

    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    served = {
        meta.connection_type: meta.model_dump(mode="json")
        for meta in HookMetaService.hook_meta_data()
        if meta.connection_type in ("nxcloud", "buka", "fonedynamics")
    }
    print("UI-METADATA " + json.dumps({"served": served, "legacy_calls": sorted(set(calls))}))
    """
)


@pytest.fixture(scope="module")
def ui_metadata() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", UI_METADATA_SCRIPT], capture_output=True, text=True, timeout=180, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("UI-METADATA ")]
    assert done.returncode == 0 and lines, (
        f"the UI metadata script failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return json.loads(lines[-1].removeprefix("UI-METADATA "))


def test_the_form_comes_from_conn_fields_from_3_2_and_from_the_legacy_hook_methods_before(ui_metadata):
    if version_compat.READS_DECLARATIVE_CONN_FIELDS:
        assert ui_metadata["legacy_calls"] == []
    else:
        assert ui_metadata["legacy_calls"] == ["buka", "fonedynamics", "nxcloud"]


@pytest.mark.parametrize("conn_type", sorted(FORMS))
def test_the_ui_gets_every_form_field_on_this_airflow(ui_metadata, conn_type):
    form = FORMS[conn_type]
    served = ui_metadata["served"][conn_type]
    fields = served["extra_fields"]
    assert sorted(fields) == sorted(spec.name for spec in form.fields)
    for spec in form.fields:
        declared = spec.conn_field()
        field = fields[spec.name]
        assert field["description"] == declared["description"]
        assert field["value"] == spec.default, spec.name
        schema = field["schema"]
        assert schema["title"] == spec.label
        assert schema["type"] == declared["schema"]["type"], spec.name
        # "password" makes the UI mask the field
        assert schema.get("format") == declared["schema"].get("format"), spec.name
        assert schema.get("enum") == declared["schema"].get("enum"), spec.name
    standard = served["standard_fields"]
    assert standard["login"]["title"] == form.relabeling["login"]
    assert standard["password"]["title"] == form.relabeling["password"]
    assert standard["port"]["hidden"] is True
    assert standard["url_schema"]["hidden"] is True  # the "schema" field
    assert standard["host"]["hidden"] is False


# ----- file handles of ObjectStoragePath ---------------------------------------------------------------


def test_an_object_storage_path_of_addresses_is_read_through_itself(tmp_path):
    """Under universal-pathlib < 0.3 (what Airflow 3.1 pins) an ObjectStoragePath is also an
    os.PathLike whose os.fspath() is the file:// URL: it must be opened as storage, not as a path."""
    from airflow.sdk import ObjectStoragePath

    path = tmp_path / "addresses.txt"
    path.write_text("email\nann@example.com\nbob@example.com\n")
    assert list(open_addresses(ObjectStoragePath(f"file://{path}"))) == ["ann@example.com", "bob@example.com"]


# ----- where a send task's progress lives: task_state_store (3.3+) or a Variable -----------------------

DAG_ID = "compat_campaign_progress"
#: two Buka SMS batches: 1,000 numbers and 1
NUMBERS = [f"6591{i:06d}" for i in range(1_001)]
DAG_SOURCE = textwrap.dedent(
    f"""
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG

    from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

    with DAG(
        dag_id="{DAG_ID}",
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
    ):
        BukaSendSmsOperator(
            task_id="send",
            recipients=[f"6591{{i:06d}}" for i in range({len(NUMBERS)})],
            text="Compat check",
            retries=1,
            retry_delay=timedelta(seconds=1),
        )
    """
)


def stored_progress(home: Path, run_id: str, fernet_key: str) -> dict[str, Any]:
    """The campaign record as Airflow stored it: ``{"variable": ..., "task_state_store": ...}``."""
    from cryptography.fernet import Fernet

    name = f"{STORE_KEY}_{campaign_key(DAG_ID, run_id, 'send', -1)}"
    found: dict[str, Any] = {"variable": None, "task_state_store": None}
    with sqlite3.connect(home / "airflow.db") as db:
        variables = db.execute("SELECT key, val, is_encrypted FROM variable").fetchall()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "task_state_store" in tables:
            found["task_state_store"] = {
                key: value
                for key, value in db.execute(
                    "SELECT key, value FROM task_state_store WHERE dag_id = ? AND run_id = ? AND task_id = ?",
                    (DAG_ID, run_id, "send"),
                )
            }
    fernet = Fernet(fernet_key)
    values = {
        key: fernet.decrypt(val.encode()).decode() if encrypted else val for key, val, encrypted in variables
    }
    assert set(values) <= {name}, f"unexpected Variables: {sorted(values)}"
    if name in values:
        found["variable"] = json.loads(values[name])
    return found


@pytest.mark.e2e
@pytest.mark.long
def test_a_retried_campaign_resumes_from_the_store_this_airflow_has(tmp_path):
    """A real ``airflow dags test`` run: the second batch meets "vendor busy", Airflow retries the
    task, and the retry sends only that batch. The record that carried the first batch across the
    retry is then read back from the metadata database: on 3.3+ a task_state_store row and no
    Variable; before 3.3 a Variable named after the task instance's key (no task_state_store)."""
    from cryptography.fernet import Fernet

    # a key of our own, so the test can read the Variable back whether Airflow encrypts it or not
    fernet_key = Fernet.generate_key().decode()
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "compat_campaign_progress.py").write_text(DAG_SOURCE)
    home = tmp_path / "airflow-home"
    with run_simulator() as sim:
        env = airflow_env(
            home,
            sim.connection_env(),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__FERNET_KEY=fernet_key,
        )
        migrate(env)
        sim.faults.set(at={2: "vendor_busy"})
        result = run_dag(DAG_ID, env, timeout=300)

        assert result.state == "success", result.output[-4000:]
        assert sim.faults.counts() == {"vendor_busy": 1}
        # batch 0 once, batch 1 refused in try 1 and accepted in try 2: batch 0 was not sent again
        assert sim.requests.count("buka", "sms_send") == 3
        sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))
        assert sent == Counter(NUMBERS)

    with sqlite3.connect(home / "airflow.db") as db:
        run_id, try_number = db.execute(
            "SELECT run_id, try_number FROM task_instance WHERE dag_id = ? AND task_id = 'send'", (DAG_ID,)
        ).fetchone()
    assert try_number == 2
    stored = stored_progress(home, run_id, fernet_key)
    if version_compat.HAS_TASK_STATE_STORE:
        record = json.loads(stored["task_state_store"][STORE_KEY])  # stored as JSON text
        # the finished campaign's record is sealed into the Variable too: clear_on_success or the
        # store's retention may drop the task state, and a cleared task must not send it again
        assert stored["variable"] == record
    else:
        assert stored["task_state_store"] is None  # the table does not exist before 3.3
        record = stored["variable"]
    source = record.pop("source")  # what the two done batches held (campaign/fingerprint.py)
    assert record == {
        "done": [[0, 1]],
        "in_flight": [],
        "accepted": len(NUMBERS),
        "rejected": 0,
        "sent_at": {},
        "skipped": [],
        "decisions": {},
        "resent": [],
        "asked": None,
    }
    assert source["prefix"] == 2 and source["batches"] == {} and len(source["marks"]) == 2
