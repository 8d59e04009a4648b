"""``make demo`` says what each DAG did: state, what the simulator accepted, results files, where its output is."""

from __future__ import annotations

import re

import pytest

from tests.e2e import demo

pytestmark = pytest.mark.e2e


def test_the_demo_reports_each_dag_and_keeps_its_output(tmp_path, capsys):
    home = tmp_path / "airflow"
    assert demo.main(["example_hooks_quickstart", "example_nxcloud_sms"], home=home) == 0
    out = capsys.readouterr().out
    assert "[1/2] airflow dags test example_hooks_quickstart ..." in out
    assert "[2/2] airflow dags test example_nxcloud_sms ..." in out
    # one SMS per platform from the quickstart, as the simulator's ledger counted them
    for platform in ("buka", "fonedynamics", "nxcloud"):
        assert f"simulator accepted {platform} sms: 1 (1 " in out
    assert re.search(r"simulator accepted nxcloud sms: 250 \(", out)
    assert re.search(r"results file \S+example_nxcloud_sms/results-\S+\.jsonl: 250 accepted", out)
    assert "==> 2 of 2 DAGs succeeded" in out
    log = home / "demo-logs" / "example_nxcloud_sms.log"
    assert f"full output: {log}" in out and "NXCloudSendSmsOperator" in log.read_text()
    assert "Filling up the DagBag" not in out
