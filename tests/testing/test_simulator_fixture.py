"""The pytest fixture: a reset simulator and the default connections pointing at it."""

from __future__ import annotations

import json
import os

import pytest
import requests

from airflow_provider_nxcloud.testing import BukaAccount, run_simulator
from tests.testing.clients import buka_call, buka_sms


def test_fixture_sets_the_connections(nxcloud_simulator):
    for var, conn_type in [
        ("AIRFLOW_CONN_NXCLOUD_DEFAULT", "nxcloud"),
        ("AIRFLOW_CONN_BUKA_DEFAULT", "buka"),
        ("AIRFLOW_CONN_FONEDYNAMICS_DEFAULT", "fonedynamics"),
    ]:
        conn = json.loads(os.environ[var])
        assert conn["conn_type"] == conn_type
        assert conn["host"] == nxcloud_simulator.url
    nx = json.loads(os.environ["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    assert set(nx["extra"]) >= {
        "sms_app_key",
        "sms_app_secret",
        "voice_app_key",
        "voice_app_secret",
        "number_check_app_key",
        "whatsapp_app_key",
        "viber_app_key",
        "zalo_app_key",
    }
    buka = json.loads(os.environ["AIRFLOW_CONN_BUKA_DEFAULT"])
    assert set(buka["extra"]) >= {"app_id", "voice_app_id", "email_app_id", "ai_voice_app_id"}
    fd = json.loads(os.environ["AIRFLOW_CONN_FONEDYNAMICS_DEFAULT"])
    assert fd["extra"]["property_sid"]


def test_fixture_dirty_state(nxcloud_simulator):
    buka_sms(nxcloud_simulator.url, "6112345678")
    nxcloud_simulator.faults.next("http_500", 5)
    nxcloud_simulator.clock.advance(100)
    nxcloud_simulator.clock.vendor_skew_ms = 5
    assert nxcloud_simulator.ledger.count() == 1


def test_fixture_is_clean_again(nxcloud_simulator):
    assert nxcloud_simulator.ledger.count() == 0
    assert nxcloud_simulator.requests.total() == 0
    assert nxcloud_simulator.faults.counts() == {}
    assert nxcloud_simulator.clock.advanced == 0 and nxcloud_simulator.clock.vendor_skew_ms == 0
    assert buka_sms(nxcloud_simulator.url, "6112345678").status_code == 200  # no rule left over


def test_fixture_is_one_server_per_session(nxcloud_simulator, nxcloud_simulator_session):
    assert nxcloud_simulator is nxcloud_simulator_session
    assert nxcloud_simulator.running


def test_run_simulator_lifecycle():
    with run_simulator(port=0) as sim:
        assert sim.running
        assert not sim.url.endswith(":0")
        assert requests.get(sim.url + "/_simulator/health", timeout=5).status_code == 200
        env = sim.connection_env()
        assert json.loads(env["AIRFLOW_CONN_BUKA_DEFAULT"])["host"] == sim.url
    assert not sim.running
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sim.url + "/_simulator/health", timeout=2)


def test_custom_accounts():
    with run_simulator(buka=BukaAccount(api_key="k2", api_secret="s2", app_id="app2")) as sim:
        assert buka_call(sim.url, "balance").json()["status"] == "-1"
        assert buka_call(sim.url, "balance", api_key="k2", api_secret="s2").json()["status"] == "0"
        conn = json.loads(sim.connection_env()["AIRFLOW_CONN_BUKA_DEFAULT"])
        assert (conn["login"], conn["password"], conn["extra"]["app_id"]) == ("k2", "s2", "app2")
