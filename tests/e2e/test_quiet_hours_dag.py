"""Quiet hours on Airflow's own runtime: a real ``airflow dags test`` run defers to a DateTimeTrigger.

Singapore's numbers are inside quiet hours that end at the next full minute (or the one after),
New York's never are: the task sends New York, defers until Singapore's window opens, resumes in
``resume_after_quiet_hours`` and sends Singapore. Checked on the simulator's ledger: every number
once, Singapore's only after its window opened.
"""

from __future__ import annotations

import sqlite3
import textwrap

import pendulum
import pytest

from airflow_provider_nxcloud.testing import run_simulator
from tests.e2e.harness import airflow_env, migrate, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.long]

DAG_ID = "quiet_hours_on_the_runtime"
SINGAPORE = ["6591000001", "6591000002", "6591000003"]
NEW_YORK = ["12125550101", "12125550102"]


def window_ending_soon(now: pendulum.DateTime) -> tuple[str, str, pendulum.DateTime]:
    """Singapore quiet hours from two hours ago to the next full minute at least 20 s away."""
    local = now.in_timezone("Asia/Singapore")
    end = local.start_of("minute").add(minutes=1)
    if (end - local).total_seconds() < 20:
        end = end.add(minutes=1)
    return local.subtract(hours=2).format("HH:mm"), end.format("HH:mm"), end


def dag_source(start: str, end: str, results: str) -> str:
    return textwrap.dedent(
        f"""
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
                recipients={SINGAPORE + NEW_YORK!r},
                text="Your parcel is on its way.",
                quiet_hours={{"SG": ("{start}", "{end}"), "*": None}},
                deferrable=True,
                results_path="{results}",
            )
        """
    )


def test_held_recipients_wait_in_the_triggerer_and_go_once_their_window_opens(tmp_path):
    start, end, opens = window_ending_soon(pendulum.now("UTC"))
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "quiet_hours.py").write_text(dag_source(start, end, str(tmp_path / "results.jsonl")))
    home = tmp_path / "airflow-home"

    with run_simulator() as sim:
        env = airflow_env(home, sim.connection_env(), AIRFLOW__CORE__DAGS_FOLDER=str(dags))
        migrate(env)
        result = run_dag(DAG_ID, env, timeout=400)
        assert result.state == "success", result.output[-4000:]
        entries = sim.ledger.entries(platform="buka", kind="sms")

    sent = {entry.recipient: entry.time for entry in entries}
    assert len(entries) == len(sent) == 5  # each number once
    assert set(sent) == set(SINGAPORE + NEW_YORK)
    assert max(sent[n] for n in NEW_YORK) < opens.timestamp()  # New York went at once
    assert min(sent[n] for n in SINGAPORE) >= opens.timestamp()  # Singapore after its window opened
    with sqlite3.connect(home / "airflow.db") as db:
        (tries,) = db.execute("SELECT try_number FROM task_instance WHERE dag_id = ?", (DAG_ID,)).fetchone()
    assert tries == 1  # deferred and resumed in the same try, not retried
