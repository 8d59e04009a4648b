"""Every example DAG parses, runs with ``airflow dags test`` against the simulator, and leaves the
ledger it should: asserted on what the simulator accepted, never on log text."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.delivery_view import CAMPAIGN_XCOM_KEY, DELIVERY_XCOM_KEY
from airflow_provider_nxcloud.delivery_view.app import with_sensor_delivery
from airflow_provider_nxcloud.delivery_view.summary import campaign_page
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.testing import Simulator, run_simulator
from airflow_provider_nxcloud.testing.nxcloud_pns import BINDINGS
from tests.e2e.harness import (
    NOT_DAGS_TESTABLE,
    airflow_env,
    example_dag_ids,
    migrate,
    return_values,
    run_dag,
    run_records,
)

pytestmark = pytest.mark.e2e


def expect_quickstart(sim: Simulator, home: Path) -> None:
    entries = sim.ledger.entries(kind="sms")
    assert Counter(entry.platform for entry in entries) == {"nxcloud": 1, "buka": 1, "fonedynamics": 1}
    assert {entry.recipient for entry in entries} == {"6591234567", "6591234568", "+61491570156"}
    assert sim.ledger.duplicates() == {}


CAMPAIGN_AUDIENCE = {f"65{90_000_000 + i}" for i in range(3 * 1_200)}


def expect_sms_campaign(sim: Simulator, home: Path) -> None:
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="buka", kind="sms"))
    assert set(sent) == CAMPAIGN_AUDIENCE
    assert set(sent.values()) == {1}
    results = sorted((home / "data" / "example_sms_campaign").glob("results-*.jsonl"))
    assert len(results) == 3
    lines = [line for path in results for line in read_results(path)]
    assert {line["number"] for line in lines} == CAMPAIGN_AUDIENCE
    assert {line["status"] for line in lines} == {"accepted"}
    assert {line["vendor_id"] for line in lines} == {entry.vendor_id for entry in sim.ledger.entries()}
    # the deferrable sensors waited for every report to be final: 6590000000 ends in 0000,
    # which the simulator never delivers, and is named in segment 0's summary
    waited = return_values(home, "example_sms_campaign", "wait_for_delivery")
    assert sorted(waited) == [0, 1, 2]
    assert all(summary["pending"] == 0 and summary["total"] == 1200 for summary in waited.values())
    assert [summary["failed"] for _, summary in sorted(waited.items())] == [1, 0, 0]
    assert waited[0]["failed_sample"][0]["number"] == "6590000000"
    # each mapped send left its campaign record; its page counts what the simulator accepted
    records = return_values(home, "example_sms_campaign", "send_sms", key=CAMPAIGN_XCOM_KEY)
    assert sorted(records) == [0, 1, 2]
    pages = [campaign_page(record, {"map_index": index}) for index, record in records.items()]
    assert sum(page["funnel"]["accepted"] for page in pages) == sim.ledger.count() == len(CAMPAIGN_AUDIENCE)
    # each segment file holds one entry that is not a number: read, counted invalid, not sent
    funnels = [
        (page["funnel"]["recipients"], page["funnel"]["invalid"], page["funnel"]["accepted"])
        for page in pages
    ]
    assert funnels == [(1201, 1, 1200)] * 3
    # the delivery sensors read the segments' results files: the view joins what each found to its
    # campaign, and the pages then count the messages the simulator reports delivered and not
    deliveries = list(
        return_values(home, "example_sms_campaign", "wait_for_delivery", key=DELIVERY_XCOM_KEY).values()
    )
    assert len(deliveries) == 3
    joined = [campaign_page(with_sensor_delivery(record, deliveries), {}) for record in records.values()]
    statuses = Counter(entry.status for entry in sim.ledger.entries(platform="buka", kind="sms"))
    assert sum(page["funnel"]["delivered"] or 0 for page in joined) == statuses["delivered"] == 3599
    assert sum(page["funnel"]["failed"] or 0 for page in joined) == len(CAMPAIGN_AUDIENCE) - 3599
    assert sim.requests.count("buka", "sms_report") >= 3 * 6  # 200 ids per getReport, 1,200 per segment


def expect_fonedynamics_sms(sim: Simulator, home: Path) -> None:
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="fonedynamics", kind="sms"))
    assert sent == Counter(["+61491570156", "+61491570157", "+61491570158"])
    [summary] = return_values(home, "example_fonedynamics_sms", "send_reminders").values()
    # the deferred wait resumed with the send summary kept across the deferral
    assert summary["accepted"] == 3 and summary["delivery"]["delivered"] == 3
    assert sim.requests.count("fonedynamics", "get_message") >= 3


def expect_nxcloud_sms(sim: Simulator, home: Path) -> None:
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="nxcloud", kind="sms"))
    assert sent == Counter(f"6591{i:06d}" for i in range(1, 251))
    assert sim.requests.count("nxcloud", "sms_send_v2") == 3  # 100 numbers per request
    [waited] = return_values(home, "example_nxcloud_sms", "wait_for_delivery").values()
    assert (waited["total"], waited["delivered"], waited["pending"]) == (250, 250, 0)


def expect_buka_voice_email(sim: Simulator, home: Path) -> None:
    calls = sim.ledger.entries(platform="buka", kind="voice")
    assert Counter(entry.recipient for entry in calls) == Counter(["6591000001", "6591000002", "6590000000"])
    assert {entry.endpoint for entry in calls} == {"voice_send_code"}  # TTS: one callee per request
    emails = sim.ledger.entries(platform="buka", kind="email")
    assert sorted(entry.recipient for entry in emails) == [
        "ann@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    [variables] = {entry.details["templateData"] for entry in emails}
    assert "{{" not in variables and json.loads(variables)["slot"] == "09:00-12:00"  # rendered per run
    assert sim.ledger.duplicates() == {}
    # each deferrable sensor waited until every call record and email status was final
    [answered] = return_values(home, "example_buka_voice_email", "wait_for_calls").values()
    assert (answered["kind"], answered["total"], answered["delivered"], answered["pending"]) == (
        "voice",
        3,
        2,
        0,
    )
    assert answered["failed_sample"][0]["number"] == "6590000000"
    [sent] = return_values(home, "example_buka_voice_email", "wait_for_email").values()
    assert (sent["kind"], sent["total"], sent["delivered"], sent["pending"]) == ("email", 3, 3, 0)
    assert sim.requests.count("buka", "voice_record") >= 3
    assert sim.requests.count("buka", "email_records") >= 1


def expect_nxcloud_voice(sim: Simulator, home: Path) -> None:
    calls = sim.ledger.entries(platform="nxcloud", kind="voice")
    assert Counter(entry.recipient for entry in calls) == Counter(
        ["6591000001", "6591000002", "6591000003", "6590000000", "60123456789"]
    )
    # one request per country, each number national with its country code apart
    assert sim.requests.count("nxcloud", "voice_notify") == 2
    assert {(entry.details["country_code"], entry.details["phone"]) for entry in calls} >= {
        ("60", "123456789")
    }
    [summary] = return_values(home, "example_nxcloud_voice", "call_customers").values()
    assert summary["accepted"] == 5 and summary["batches"] == 2
    delivery = summary["delivery"]
    assert (delivery["kind"], delivery["total"], delivery["delivered"], delivery["failed"]) == (
        "voice",
        5,
        4,
        1,
    )
    assert delivery["failed_sample"][0]["number"] == "6590000000"
    assert sim.requests.count("nxcloud", "voice_records") >= 2


def expect_privacy_number(sim: Simulator, home: Path) -> None:
    [binding] = sim.ledger.entries(platform="nxcloud", kind="binding")
    assert (binding.recipient, binding.client_reference) == (
        "6591234501-6591234502",
        "order-SO-20261123-0042",
    )
    assert sim.requests.count("nxcloud", "pns_bindAXB") == 1
    [bound] = return_values(home, "example_privacy_number", "bind_order").values()
    assert bound["bind_id"] == binding.vendor_id and bound["created"] is True
    [answer] = return_values(home, "example_privacy_number", "who_answers").values()
    assert answer["callee"] == "6591234502"  # the customer calling X reaches the courier
    assert sim.requests.count("nxcloud", "pns_unbindAXB") == 1
    with sim.state.store.lock:
        [stored] = sim.state.store.table("nxcloud", BINDINGS).values()
    assert stored["unbound"] is True  # released when the order was delivered


CONTACTS = {f"6592{i:06d}" for i in range(1, 98)} | {"6590000000", "6591000000", "6593000000"}
DEAD = {"6590000000", "6591000000", "6593000000"}


def expect_clean_then_send(sim: Simulator, home: Path) -> None:
    checked = Counter(
        entry.recipient for entry in sim.ledger.entries(platform="nxcloud", kind="number_check")
    )
    assert checked == Counter(CONTACTS)
    assert sim.requests.count("nxcloud", "number_check_submit") == 1  # 100 numbers: one request
    sent = Counter(entry.recipient for entry in sim.ledger.entries(platform="nxcloud", kind="sms"))
    assert sent == Counter(CONTACTS - DEAD)  # the dead numbers cost no SMS
    [waited] = return_values(home, "example_clean_then_send", "wait_for_results").values()
    assert (waited["numbers"], waited["valid"], waited["not_valid"]) == (100, 97, 3)


def expect_voice_campaign(sim: Simulator, home: Path) -> None:
    [created] = sim.ledger.entries(platform="buka", kind="voice_task")  # one task, created once
    assert created.details["numbers"] == 50 and created.client_reference.startswith("renewal-reminder-")
    [resend] = sim.ledger.entries(platform="buka", kind="voice_task_resend")
    assert resend.recipient == created.vendor_id
    [summary] = return_values(home, "example_voice_campaign", "report").values()
    assert summary == {
        "task_id": created.vendor_id,
        "numbers": 50,
        "answered_first_round": 49,
        "called_again": True,
        "still_not_answered": 1,  # +65 9000 0000 never answers
    }
    assert sim.requests.count("buka", "voice_task_create") == 1


def expect_sql_to_sms(sim: Simulator, home: Path, *, requests: int = 3) -> None:
    # customers 1..2,500 less the opted out (25, 75, ...) and those with no number (1,000, 2,000)
    audience = [i for i in range(1, 2_501) if i % 50 != 25 and i % 1_000 != 0]
    sent = Counter(
        (entry.recipient, entry.content) for entry in sim.ledger.entries(platform="buka", kind="sms")
    )
    [day] = {re.sub(r".* for (\S+) is ready.*", r"\1", content) for _, content in sent}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)  # {{ ds }}, rendered into the bind parameter
    assert sent == Counter(
        (f"6592{i:06d}", f"Hi Customer {i}, your voucher for {day} is ready. Reply STOP to opt out.")
        for i in audience
    )
    assert sim.requests.count("buka", "sms_send_batch") == requests  # a text per number, 1,000 per request
    [summary] = return_values(home, "example_sql_to_sms", "send_greetings").values()
    assert (summary["accepted"], summary["invalid"]) == (len(audience), 2)
    [results] = (home / "data" / "example_sql_to_sms").glob("results-*.jsonl")
    assert [line["number"] for line in read_results(results)] == [f"6592{i:06d}" for i in audience]


#: what each example DAG must leave on the simulator's ledger
SHIPPING_CUSTOMERS = {f"65{91_000_000 + i}" for i in range(25)}


def asset_event_extras(home: Path, asset_name: str) -> list[dict]:
    """The ``extra`` of every event of an Asset, newest first, read from the metadata DB."""
    import sqlite3

    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ? ORDER BY e.id DESC",
            (asset_name,),
        ).fetchall()
    return [json.loads(extra) for (extra,) in rows]


def link_values(home: Path, dag_id: str, task_id: str, link: str) -> dict[int, str]:
    """The extra link Airflow stored for each map index of a task in the newest run."""
    import sqlite3

    with sqlite3.connect(home / "airflow.db") as db:
        (run_id,) = db.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        rows = db.execute(
            "SELECT map_index, value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = ?",
            (dag_id, run_id, task_id, f"_link_{link}"),
        ).fetchall()
    return {map_index: json.loads(value) for map_index, value in rows}


def expect_results_asset(sim: Simulator, home: Path) -> None:
    entries = sim.ledger.entries(platform="buka", kind="sms")
    assert Counter(entry.recipient for entry in entries) == dict.fromkeys(SHIPPING_CUSTOMERS, 1)
    # the text came from templates/order_shipped.txt, rendered: params and ds_nodash filled in
    (text,) = {entry.content for entry in entries}
    assert text.startswith("Your order SG-2") and text.endswith("Reply STOP to opt out.") and "{{" not in text
    newest = asset_event_extras(home, "campaign_results")[0]
    assert (newest["platform"], newest["accepted"], newest["rejected"]) == ("buka", 25, 0)
    assert {line["number"] for line in read_results(Path(newest["results_path"]))} == SHIPPING_CUSTOMERS
    links = link_values(home, "example_results_asset", "send_shipping_notices", "VendorConsoleLink")
    assert links == {-1: BukaHook.default_console_url}


def expect_results_asset_report(sim: Simulator, home: Path) -> None:
    (report,) = return_values(home, "example_results_asset_report", "count_by_status").values()
    assert report == {"accepted_by_event": 25, "accepted": 25}


#: a DAG scheduled on another's Asset runs after that DAG, as the scheduler would start it
PRODUCERS = {"example_results_asset_report": "example_results_asset"}


#: what example_records_export finds of its day, by (platform, record type): a day of each, and
#: some records of the day before that are not the day's
RECORDS_PER_DAY = {
    "nxcloud/sms": 3_000,
    "nxcloud/voice": 200,
    "fonedynamics/sms": 2_000,
    "buka/sms": 1_000,
    "buka/voice_call": 500,
    "buka/call_center": 500,
    "buka/email": 400,
}
#: the ledger kind of each record type, and the line key that is the ledger entry's vendor id
LEDGER = {
    "nxcloud/sms": ("nxcloud", "sms", "message_id"),
    "nxcloud/voice": ("nxcloud", "voice", "message_id"),
    "fonedynamics/sms": ("fonedynamics", "sms", "message_id"),
    "buka/sms": ("buka", "sms", "message_id"),
    "buka/voice_call": ("buka", "voice", "voice_id"),
    "buka/call_center": ("buka", "call_center", "session_id"),
    "buka/email": ("buka", "email", "email_id"),
}


def _records_day() -> tuple[float, float]:
    """The day example_records_export runs for: the day before its logical date (an hour ago, so the
    day has settled for every record type: Buka's call records are read 30 minutes after it)."""
    anchor = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    end = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
    return (end - dt.timedelta(days=1)).timestamp(), end.timestamp()


def seed_records_export(sim: Simulator, home: Path) -> None:
    from airflow_provider_nxcloud.testing.seeding import email_results_lines

    start, end = _records_day()
    seeders = {
        "nxcloud/sms": lambda since, until, n: sim.seed_sms_history("nxcloud", since, until, n),
        "nxcloud/voice": sim.seed_call_history,
        "fonedynamics/sms": lambda since, until, n: sim.seed_sms_history("fonedynamics", since, until, n),
        "buka/sms": lambda since, until, n: sim.seed_sms_history("buka", since, until, n),
        "buka/voice_call": sim.seed_voice_history,
        "buka/call_center": sim.seed_call_center_history,
        "buka/email": sim.seed_email_history,
    }
    for name, count in RECORDS_PER_DAY.items():
        seeders[name](start - 6 * 3600, start, 50)  # the day before: not the day's
        seeders[name](start, end, count)
    # the day's email sends, as a BukaSendEmailOperator's results file (the day before's too)
    day = dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y-%m-%d")
    results = home / "data" / "results" / "buka_email" / f"{day}.jsonl"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("".join(email_results_lines(sim.ledger.entries("buka", "email"))))


def expect_records_export(sim: Simulator, home: Path) -> None:
    from airflow_provider_nxcloud.exports.files import read_records

    start, end = _records_day()
    day = dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y-%m-%d")
    [summaries] = return_values(home, "example_records_export", "load").values()
    assert summaries == RECORDS_PER_DAY
    exported = {
        f"{summary['platform']}/{summary['record_type']}": summary
        for summary in return_values_of_exports(home)
    }
    assert set(exported) == set(RECORDS_PER_DAY)
    for name, (platform, kind, id_key) in LEDGER.items():
        days = [e.vendor_id for e in sim.ledger.entries(platform, kind) if start <= e.time < end]
        path = exported[name]["path"]
        assert day in path
        if path.endswith(".parquet"):
            import pyarrow.parquet as pq

            ids = pq.read_table(path.removeprefix("file://"), columns=[id_key]).column(id_key).to_pylist()
        else:
            ids = [line[id_key] for line in read_records(path)]
        assert sorted(ids) == sorted(days) and len(days) == RECORDS_PER_DAY[name], name
    with sqlite3.connect(home / "warehouse.db") as connection:
        loaded = dict(
            connection.execute(
                "SELECT platform || '/' || record_type, count(*) FROM records WHERE day = ?"
                " GROUP BY platform, record_type",
                (day,),
            ).fetchall()
        )
    assert loaded == RECORDS_PER_DAY


def return_values_of_exports(home: Path) -> list[dict[str, Any]]:
    tasks = [
        "export_nxcloud_sms",
        "export_nxcloud_calls",
        "export_fonedynamics_messages",
        "export_buka_sms",
        "export_buka_calls",
        "export_buka_call_center",
        "export_buka_email",
    ]
    return [value for task in tasks for value in return_values(home, "example_records_export", task).values()]


#: what the simulator (and the Airflow home) must hold before an example DAG runs
SEEDS: dict[str, Callable[[Simulator, Path], None]] = {"example_records_export": seed_records_export}
#: example DAGs run for a logical date other than now: example_records_export's day must have settled
LOGICAL_DATES: dict[str, Callable[[], dt.datetime]] = {
    "example_records_export": lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
}


EXPECTATIONS: dict[str, Callable[[Simulator, Path], None]] = {
    "example_results_asset": expect_results_asset,
    "example_results_asset_report": expect_results_asset_report,
    "example_hooks_quickstart": expect_quickstart,
    "example_sms_campaign": expect_sms_campaign,
    "example_fonedynamics_sms": expect_fonedynamics_sms,
    "example_nxcloud_sms": expect_nxcloud_sms,
    "example_buka_voice_email": expect_buka_voice_email,
    "example_nxcloud_voice": expect_nxcloud_voice,
    "example_privacy_number": expect_privacy_number,
    "example_clean_then_send": expect_clean_then_send,
    "example_voice_campaign": expect_voice_campaign,
    "example_sql_to_sms": expect_sql_to_sms,
    "example_records_export": expect_records_export,
}


@pytest.fixture(scope="module")
def simulator():
    with run_simulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory, simulator):
    home = tmp_path_factory.mktemp("airflow-home")
    migrate(airflow_env(home, simulator.connection_env()))
    return home


def test_every_example_dag_parses_and_has_ledger_expectations():
    assert set(example_dag_ids()) == set(EXPECTATIONS) | set(NOT_DAGS_TESTABLE)
    assert not set(EXPECTATIONS) & set(NOT_DAGS_TESTABLE)


#: the example DAGs `make test` runs end to end (the main job, an Asset producer, SQL to SMS, the records
#: export: 25 s with the home's migration; `make demo`'s test runs the quickstart and NXCloud SMS): each
#: of the others is a long proof, in `make test-long`
IN_MAKE_TEST = {
    "example_sms_campaign",
    "example_results_asset",
    "example_sql_to_sms",
    "example_records_export",
}


@pytest.mark.parametrize(
    "dag_id",
    [
        dag_id if dag_id in IN_MAKE_TEST else pytest.param(dag_id, marks=pytest.mark.long)
        for dag_id in sorted(EXPECTATIONS)
    ],
)
def test_example_dag_runs_against_the_simulator(dag_id, simulator, airflow_home):
    simulator.reset()
    if dag_id in SEEDS:
        SEEDS[dag_id](simulator, airflow_home)
    if dag_id in PRODUCERS:
        produced = run_dag(PRODUCERS[dag_id], airflow_env(airflow_home, simulator.connection_env()))
        assert produced.state == "success", produced.output[-4000:]
    logical_date = LOGICAL_DATES[dag_id]() if dag_id in LOGICAL_DATES else None
    result = run_dag(dag_id, airflow_env(airflow_home, simulator.connection_env()), logical_date=logical_date)
    assert result.state == "success", result.output[-4000:]
    EXPECTATIONS[dag_id](simulator, airflow_home)
    assert_no_secret_in(result.output, *run_records(airflow_home, dag_id), sim=simulator)


def assert_no_secret_in(*texts: str, sim: Simulator) -> None:
    """No credential (in clear or as the Basic credential) and no signature or Authorization value
    the simulator received since its last reset, in task output, XCom or rendered fields."""
    accounts = sim.accounts
    fd = accounts.fonedynamics
    secrets = {
        accounts.nxcloud.access_secret,
        accounts.nxcloud.sms_app_secret,
        accounts.nxcloud.voice_app_secret,
        accounts.buka.api_secret,
        fd.token,
        base64.b64encode(f"{fd.account_sid}:{fd.token}".encode()).decode(),
        *sim.requests.auth_values(),
    }
    joined = "\n".join(texts)
    assert joined  # the run produced output to check
    # named by their first characters only: the failure message must not repeat the leak
    leaked = sorted(f"{secret[:4]}... ({len(secret)} chars)" for secret in secrets if secret in joined)
    assert not leaked, f"secrets in the run's output, XCom or rendered fields: {leaked}"


def test_campaign_retry_after_a_failure_mid_campaign_sends_each_recipient_once(simulator, airflow_home):
    """The second segment's first batch hits a vendor fault: that mapped send task fails after the
    first segment went out, Airflow retries it, and the retry resumes where it stopped."""
    simulator.reset()
    simulator.faults.set(at={3: "vendor_busy"})
    result = run_dag("example_sms_campaign", airflow_env(airflow_home, simulator.connection_env()))
    assert result.state == "success", result.output[-4000:]
    assert simulator.faults.counts() == {"vendor_busy": 1}
    # 6 batches of the 3 segments, plus the one the vendor refused
    assert simulator.requests.count("buka", "sms_send") == 7
    expect_sms_campaign(simulator, airflow_home)


@pytest.mark.long
def test_sql_to_sms_retry_reads_the_rows_again_and_sends_each_once(simulator, airflow_home):
    """The second batch meets "vendor busy"; Airflow retries the send task, which runs the query
    again, finds batch 0 what it recorded and sends the rest once."""
    simulator.reset()
    simulator.faults.set(at={2: "vendor_busy"})
    result = run_dag("example_sql_to_sms", airflow_env(airflow_home, simulator.connection_env()))
    assert result.state == "success", result.output[-4000:]
    assert simulator.faults.counts() == {"vendor_busy": 1}
    expect_sql_to_sms(simulator, airflow_home, requests=4)  # 3 batches, plus the one refused
    assert simulator.ledger.duplicates() == {}


def test_a_failing_dag_is_reported_and_sends_nothing(simulator, airflow_home):
    simulator.reset()
    connections = simulator.connection_env()
    buka = json.loads(connections["AIRFLOW_CONN_BUKA_DEFAULT"])
    connections["AIRFLOW_CONN_BUKA_DEFAULT"] = json.dumps({**buka, "password": "wrong-secret"})
    result = run_dag("example_hooks_quickstart", airflow_env(airflow_home, connections))
    assert result.state == "failed"
    assert simulator.ledger.count() == 0
    assert "wrong-secret" not in result.output


def test_the_leak_check_catches_a_leaked_credential(simulator, monkeypatch):
    simulator.reset()
    fd = simulator.accounts.fonedynamics
    header = "Authorization: Basic " + base64.b64encode(f"{fd.account_sid}:{fd.token}".encode()).decode()
    for leak in (header, f"secretkey={simulator.accounts.nxcloud.sms_app_secret}"):
        with pytest.raises(AssertionError, match="secrets in the run"):
            assert_no_secret_in("task log line", leak, sim=simulator)
    assert_no_secret_in("task log line with *** masked", sim=simulator)

    # signatures change with every timestamp: the check takes the ones the simulator received
    for name, value in simulator.connection_env().items():
        monkeypatch.setenv(name, value)
    for hook in (NXCloudHook(), BukaHook(), FoneDynamicsHook()):
        assert hook.test_connection()[0]  # one signed (or Basic) read each
    received = simulator.requests.auth_values()
    assert len(received) == 3  # NXCloud sign, Buka Sign, the Fone Dynamics Basic credential
    for value in received:
        with pytest.raises(AssertionError, match="secrets in the run") as caught:
            assert_no_secret_in("task log line", f"request headers: {{'sign': '{value}'}}", sim=simulator)
        assert value not in str(caught.value)  # the failure names it without repeating it
    assert_no_secret_in("task log line with *** masked", sim=simulator)
    simulator.reset()
    assert simulator.requests.auth_values() == frozenset()
