"""A batch in doubt, asked about in Airflow's Required Actions and answered by a person.

A real ``airflow dags test`` run sends one SMS text to 2,500 numbers through Buka (batches 0,
1 and 2 of 1,000) against the simulator, which drops the connection of batch 1 after the request
was written and before it processed it. Buka's sent-records list cannot show a batch absent, so
after the settle delay the task puts the question to a person and waits in ``awaiting_input``.
A real ``airflow api-server`` sharing the run's metadata DB shows it: the question is read
through the REST API and opened in the task instance's Required Action tab of the UI in a
headless Chromium, where "resend" is clicked (the person found the batch missing from the
vendor's records). The run then finishes in the same try: batch 1 is sent once more, batch 2
once, and the vendor received every number exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.testing import run_simulator
from airflow_provider_nxcloud.version_compat import AIRFLOW_V_3_3_PLUS
from tests.e2e.harness import AIRFLOW, REPO
from tests.ui.conftest import AirflowUI
from tests.ui.pages import RequiredActionsPage

#: `make screenshots` (UPDATE_SCREENSHOTS=1) writes the README's picture here
SCREENSHOT = REPO / "docs" / "img" / "in-doubt-required-action.png"
DAG_ID = "in_doubt_question"
TASK_ID = "send"
TEXT = "Flash sale starts at noon"
NUMBERS = [f"65{9 * 10_000_000 + i}" for i in range(1, 2_501)]
#: batch 1: the 1,001st to the 2,000th number
BATCH_1 = NUMBERS[1_000:2_000]
#: where the asking task waits: 3.3 parks it without a trigger, 3.1/3.2 defer it to HITLTrigger
PARKED_STATE = "awaiting_input" if AIRFLOW_V_3_3_PLUS else "deferred"
QUESTION_TIMEOUT_S = 90.0
RUN_TIMEOUT_S = 90.0


def dag_source(recipients: Path, results: Path) -> str:
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
                task_id="{TASK_ID}",
                recipients="{recipients}",
                text="{TEXT}",
                results_path="{results}",
                in_doubt_response_timeout=600,
                settle_delay=1,
            )
        """
    )


def test_a_batch_in_doubt_is_asked_about_and_resent_in_the_ui(
    airflow_ui: AirflowUI, browser: Any, tmp_path: Path
) -> None:
    recipients = tmp_path / "recipients.txt"
    recipients.write_text("".join(f"{number}\n" for number in NUMBERS))
    results = tmp_path / "results.jsonl"
    (airflow_ui.home / "dags" / "in_doubt_question.py").write_text(dag_source(recipients, results))
    output = tmp_path / "dags-test.log"

    with run_simulator() as sim:
        sim.faults.set(at={2: "reset_before"})  # batch 1 written, dropped before the vendor took it
        env = {**airflow_ui.env, **sim.connection_env()}
        with output.open("wb") as log:
            run = subprocess.Popen(
                [AIRFLOW, "dags", "test", DAG_ID],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            detail = wait_for_question(airflow_ui, run, output)
            check_question(detail)
            # it stopped sending when the answer was lost: batch 2 waits for the decision
            assert sim.requests.count("buka", "sms_send") == 2
            assert sim.ledger.count(platform="buka", kind="sms") == 1_000
            ti = detail["task_instance"]
            page = RequiredActionsPage(browser, airflow_ui.url, tmp_path / "pages")
            page.open_task_instance(ti["dag_id"], ti["dag_run_id"], ti["task_id"])
            page.wait_for_text(detail["subject"])
            update_docs = os.environ.get("UPDATE_SCREENSHOTS") == "1"
            page.save_screenshot(detail["options"], SCREENSHOT if update_docs else tmp_path / SCREENSHOT.name)
            page.answer("resend")
            answered = wait_for_answer(airflow_ui, ti["dag_run_id"])
            assert answered["chosen_options"] == ["resend"], answered
            wait_for_exit(run, output)
        finally:
            stop(run)
        # batch 1 sent once more, as the person decided; batch 2 once
        assert sim.requests.count("buka", "sms_send") == 4
        assert sim.ledger.duplicates() == {}
        sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))
        assert sent == Counter(NUMBERS)

    run_path = f"/api/v2/dags/{DAG_ID}/dagRuns/{ti['dag_run_id']}"
    assert airflow_ui.api("GET", run_path)["state"] == "success", tail(output)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert Counter(line["status"] for line in lines) == Counter({"accepted": 2_500})
    assert [line["number"] for line in lines if line["batch"] == 1] == BATCH_1
    assert sorted(line["number"] for line in lines) == sorted(NUMBERS)
    # the answer resumed the try that asked: the task succeeded in its first try
    task = airflow_ui.api("GET", f"{run_path}/taskInstances/{TASK_ID}")
    assert (task["state"], task["try_number"]) == ("success", 1), task


def wait_for_question(ui: AirflowUI, run: subprocess.Popen[bytes], output: Path) -> dict[str, Any]:
    deadline = time.monotonic() + QUESTION_TIMEOUT_S
    while time.monotonic() < deadline:
        if run.poll() is not None:
            pytest.fail(f"dags test exited ({run.returncode}) before asking:\n{tail(output)}", pytrace=False)
        # every run of every DAG ("~"), filtered: the run does not exist before dags test makes it
        pending = ui.api("GET", f"/api/v2/dags/~/dagRuns/~/hitlDetails?dag_id_pattern={DAG_ID}")
        if pending["total_entries"]:
            [detail] = pending["hitl_details"]
            if detail["task_instance"]["state"] == PARKED_STATE:
                return dict(detail)
        time.sleep(0.5)
    pytest.fail(
        f"no question within {QUESTION_TIMEOUT_S:.0f} s; dags test said:\n{tail(output)}", pytrace=False
    )


def check_question(detail: dict[str, Any]) -> None:
    body = detail["body"]
    [reference] = [line for line in body.splitlines() if line.startswith("- Batch reference: ")]
    reference = reference.removeprefix("- Batch reference: ").strip("`")
    assert reference and reference in detail["subject"], detail
    assert detail["subject"].startswith("buka: was batch "), detail["subject"]
    assert detail["options"] == ["skip", "resend", "fail"]
    assert detail["defaults"] == ["fail"]
    assert detail["multiple"] is False
    assert "Recipients: 1000 (positions 1001-2000)" in body, body
    assert f"first `{BATCH_1[0]}`, last `{BATCH_1[-1]}`" in body, body
    assert "Sent at: " in body and "Sent at: not recorded" not in body, body
    assert detail["task_instance"]["task_id"] == TASK_ID


def wait_for_answer(ui: AirflowUI, run_id: str) -> dict[str, Any]:
    """The question's detail once the UI recorded the answer."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{TASK_ID}/-1/hitlDetails"
    deadline = time.monotonic() + 30
    detail: dict[str, Any] = {}
    while time.monotonic() < deadline:
        detail = ui.api("GET", path)
        if detail.get("response_received"):
            return detail
        time.sleep(0.25)
    raise AssertionError(f"no answer recorded 30 s after clicking it: {detail}")


def wait_for_exit(run: subprocess.Popen[bytes], output: Path) -> None:
    try:
        run.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"dags test still running {RUN_TIMEOUT_S:.0f} s after the answer:\n{tail(output)}")


def stop(run: subprocess.Popen[bytes]) -> None:
    """Stop ``dags test`` (and its task process) if it still runs: its own process group, only that."""
    if run.poll() is not None:
        return
    os.killpg(run.pid, signal.SIGTERM)
    try:
        run.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=10)


def tail(path: Path, lines: int = 80) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
