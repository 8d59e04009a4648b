"""SmsNotifier: the platform follows the connection type; templates render from the callback context."""

from __future__ import annotations

import json

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.notifications.sms import SmsNotifier, _notification_key, send_sms_notification
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


def deadline_context() -> dict:
    """What the scheduler hands a Deadline Alert's callback (``Deadline.handle_miss``)."""
    return {
        "dag_run": {"dag_id": "nightly_load", "dag_run_id": "scheduled__2026-11-23", "state": "running"},
        "deadline": {"id": "0193f2a0-0000-7000-8000-000000000001", "deadline_time": "2026-11-23T01:00:00Z"},
    }


async def run_callback_trigger(kwargs: dict) -> list:
    """The triggerer's own CallbackTrigger, as it runs an ``AsyncCallback(SmsNotifier, kwargs=...)``."""
    from airflow.triggers.callback import CallbackTrigger

    trigger = CallbackTrigger(
        callback_path="airflow_provider_nxcloud.notifications.sms.SmsNotifier",
        callback_kwargs={**kwargs, "context": deadline_context()},
    )
    return [event.payload async for event in trigger.run()]


@pytest.mark.asyncio
async def test_a_deadline_alert_texts_from_the_triggerer(nxcloud_simulator):
    events = await run_callback_trigger(
        {"conn_id": "buka_default", "recipients": ["6591234567"], "text": "{{ dag_run.dag_id }} is late"}
    )
    assert [event["state"] for event in events] == ["running", "success"]
    [entry] = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
    assert (entry.recipient, entry.content) == ("6591234567", "nightly_load is late")
    # the client reference is the deadline's own: another alert of the same run gets another
    assert entry.client_reference.startswith(_notification_key(deadline_context()))
    other = deadline_context()
    other["deadline"]["id"] = "0193f2a0-0000-7000-8000-000000000002"
    assert _notification_key(other) != _notification_key(deadline_context())


@pytest.mark.asyncio
async def test_a_deadline_alert_with_an_invalid_number_fails_and_sends_nothing(nxcloud_simulator):
    events = await run_callback_trigger({"conn_id": "buka_default", "recipients": ["123"], "text": "late"})
    assert [event["state"] for event in events] == ["running", "failed"]
    assert "recipients: entry 1" in events[-1]["body"]
    assert nxcloud_simulator.requests.total() == 0


def test_the_notifier_takes_base_notifier_kwargs():
    notifier = SmsNotifier(conn_id="buka_default", recipients=["6591234567"], text="x", context={"a": 1})
    assert notifier.context == {"a": 1}


@pytest.mark.asyncio
async def test_the_example_dags_deadline_alert_texts_the_on_call_number(nxcloud_simulator):
    """example_deadline_sms (which `airflow dags test` cannot run: tests/e2e/harness.py) as the
    triggerer would run its alert: the DAG's own callback path and kwargs, through CallbackTrigger."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.triggers.callback import CallbackTrigger

    from tests.e2e.harness import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "example_deadline_sms.py"))
    assert not bag.import_errors
    [alert] = bag.dags["example_deadline_sms"].deadline
    callback = alert.callback
    assert callback.path == "airflow_provider_nxcloud.notifications.sms.SmsNotifier"
    trigger = CallbackTrigger(
        callback_path=callback.path, callback_kwargs={**callback.kwargs, "context": deadline_context()}
    )
    events = [event.payload async for event in trigger.run()]
    assert [event["state"] for event in events] == ["running", "success"]
    [entry] = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
    assert (entry.recipient, entry.content) == (
        "6591234500",
        "nightly_load run scheduled__2026-11-23 is an hour late",
    )
