"""A real ``airflow dags test`` run whose recipients file reads differently on the retry.

The first try sends batch 0, meets "vendor busy" on batch 1 and is retried by Airflow; the
retry reads a file in which one number near the top was taken out (every later number moved
up one place). Resumed by position, it would skip 1,000 recipients' worth of batch 0 and send
batch 1's first number twice; bound to content, it fails before sending anything, naming the
batch. The file each try reads is chosen by ``{{ ti.try_number }}`` in the templated path, so
the edit happens between the two tries, as when someone rewrites the file.
"""

from __future__ import annotations

import sqlite3
import textwrap

import pytest

from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import airflow_env, migrate, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.long]

DAG_ID = "changed_source_between_tries"
NUMBERS = [f"6591{i:06d}" for i in range(1_500)]


def dag_source(folder: str) -> str:
    return textwrap.dedent(
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
                recipients="{folder}/recipients-{{{{ ti.try_number }}}}.txt",
                text="Changed source check",
                retries=1,
                retry_delay=timedelta(seconds=1),
            )
        """
    )


def test_a_file_edited_between_tries_fails_the_retry_before_it_sends(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "recipients-1.txt").write_text("".join(f"{n}\n" for n in NUMBERS))
    (data / "recipients-2.txt").write_text("".join(f"{n}\n" for n in NUMBERS[:10] + NUMBERS[11:]))
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "changed_source.py").write_text(dag_source(str(data)))
    home = tmp_path / "airflow-home"

    with run_simulator() as sim:
        env = airflow_env(home, sim.connection_env(), AIRFLOW__CORE__DAGS_FOLDER=str(dags))
        migrate(env)
        sim.faults.set(at={2: "vendor_busy"})
        result = run_dag(DAG_ID, env, timeout=300)

        assert result.state == "failed", result.output[-4000:]
        assert "recipients: changed between tries: batch 0" in result.output
        assert sim.requests.count("buka", "sms_send") == 2  # batch 0, and batch 1 refused: no more
        assert sim.ledger.count() == 1000 and sim.ledger.duplicates() == {}

    with sqlite3.connect(home / "airflow.db") as db:
        (tries,) = db.execute("SELECT try_number FROM task_instance WHERE dag_id = ?", (DAG_ID,)).fetchone()
    assert tries == 2
