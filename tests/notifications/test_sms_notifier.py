"""SmsNotifier: the platform follows the connection type; templates render from the callback context."""

from __future__ import annotations

import json

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.notifications.sms import SmsNotifier, send_sms_notification
from tests.operators.conftest import FakeTI


def context() -> dict:
    dag = DAG("nightly_load", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"))
    return {"dag": dag, "ti": FakeTI(dag_id="nightly_load", task_id="load", try_number=3), "ds": "2026-11-23"}


def test_buka_notification_renders_and_sends_once(nxcloud_simulator):
    notifier = send_sms_notification(
        conn_id="buka_default",
        recipients=["+65 9123 4567", "6591234568"],
        text="{{ dag.dag_id }}.{{ ti.task_id }} failed on {{ ds }}",
    )
    notifier(context())
    entries = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
    assert sorted(entry.recipient for entry in entries) == ["6591234567", "6591234568"]
    assert {entry.content for entry in entries} == {"nightly_load.load failed on 2026-11-23"}
    assert len({entry.client_reference for entry in entries}) == 2


@pytest.mark.parametrize(
    ("conn_id", "platform", "recipient"),
    [("nxcloud_default", "nxcloud", "6591234567"), ("fonedynamics_default", "fonedynamics", "+6591234567")],
)
def test_the_platform_follows_the_connection_type(nxcloud_simulator, conn_id, platform, recipient):
    SmsNotifier(conn_id=conn_id, recipients="+65 9123 4567", text="{{ ti.task_id }} ok")(context())
    [entry] = nxcloud_simulator.ledger.entries(kind="sms")
    assert (entry.platform, entry.recipient, entry.content) == (platform, recipient, "load ok")


def test_invalid_recipient_is_refused_before_anything_is_sent(nxcloud_simulator):
    notifier = SmsNotifier(conn_id="buka_default", recipients="6591234567,123", text="x")
    with pytest.raises(InvalidInputError, match="recipients: entry 2"):
        notifier(context())
    assert nxcloud_simulator.requests.total() == 0


def test_a_connection_of_another_type_is_refused(nxcloud_simulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "slack", "password": "x"}))
    with pytest.raises(InvalidInputError, match="'slack' connection"):
        SmsNotifier(conn_id="slack_alerts", recipients=["6591234567"], text="x")(context())
    assert nxcloud_simulator.requests.total() == 0


def test_templated_fields():
    assert set(SmsNotifier.template_fields) == {"conn_id", "recipients", "text", "sender_id"}
