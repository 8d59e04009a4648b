"""The delivery view's API: who sees what, asked of real auth managers with real tokens.

Tokens are made and read by Airflow's own SimpleAuthManager (a JWT signed with the configured
secret, checked against the revoked-token table of a migrated metadata DB); the per-DAG refusal
comes from :class:`~tests.delivery_view.auth.DenyOneDagAuthManager`. The campaign records come
from an in-memory store (the DB store is exercised by tests/ui/test_delivery_view.py against a
real API server); the campaign page reads a real results file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from airflow_provider_nxcloud.delivery_view.app import StoredCampaign, create_app
from tests.delivery_view.auth import DENIED_DAG, OUTSIDER, DenyOneDagAuthManager

REPO = Path(__file__).resolve().parents[2]
OPEN_DAG = "campaign_for_everyone"


class MemoryStore:
    """Campaign records held in a list, newest last (what the metadata DB store answers, in memory)."""

    def __init__(self, campaigns: list[StoredCampaign]) -> None:
        self.campaigns = campaigns
        self.looked_up: list[tuple[str, ...]] = []
        #: the delivery records of each (dag_id, run_id), as delivery sensors leave them
        self.delivery_records: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def dag_ids(self) -> set[str]:
        return {campaign.dag_id for campaign in self.campaigns}

    def team_name(self, dag_id: str) -> str | None:
        return None

    def page(self, dag_ids: set[str], limit: int, offset: int) -> tuple[list[StoredCampaign], int]:
        found = [campaign for campaign in reversed(self.campaigns) if campaign.dag_id in dag_ids]
        return found[offset : offset + limit], len(found)

    def get(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> StoredCampaign | None:
        self.looked_up.append((dag_id, run_id, task_id, str(map_index)))
        for campaign in self.campaigns:
            if (campaign.dag_id, campaign.run_id, campaign.task_id, campaign.map_index) == (
                dag_id,
                run_id,
                task_id,
                map_index,
            ):
                return campaign
        return None

    def deliveries(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.delivery_records.get((dag_id, run_id), [])


@pytest.fixture(scope="module")
def metadata_db() -> None:
    """The test AIRFLOW_HOME's DB migrated: token checks read its revoked-token table."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture
def auth_manager(metadata_db: None, monkeypatch: pytest.MonkeyPatch) -> DenyOneDagAuthManager:
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "delivery-view-test-secret-" + "x" * 40)
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", f"admin:admin,{OUTSIDER}:viewer")
    return DenyOneDagAuthManager()


def token(auth_manager: DenyOneDagAuthManager, username: str, role: str) -> str:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return auth_manager.generate_jwt(SimpleAuthManagerUser(username=username, role=role))


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.jsonl"
    lines = [
        {"batch": 0, "number": "6591000001", "status": "accepted", "sent_at": "2026-12-03T07:01:12Z"},
        {"batch": 0, "number": "6591000002", "status": "accepted", "sent_at": "2026-12-03T07:01:40Z"},
        {"batch": 0, "number": "6591000003", "status": "accepted", "sent_at": "2026-12-03T07:02:05Z"},
        {"batch": 0, "number": "6591000004", "status": "rejected", "error": "-4 invalid number"},
        {"batch": 1, "number": "61412000005", "status": "rejected", "error": "-4 invalid number"},
        {"batch": 1, "number": "6591000006", "status": "skipped"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def record(results_path: Path | None = None, **counts: Any) -> dict[str, Any]:
    return {
        "platform": "buka",
        "kind": "sms",
        "operator": "BukaSendSmsOperator",
        "results_path": str(results_path) if results_path else None,
        "report_path": None,
        "recipients": 8,
        "valid": 6,
        "invalid": 1,
        "duplicates": 1,
        "suppressed": 0,
        "accepted": 3,
        "rejected": 2,
        "skipped": 1,
        "delivery": {"delivered": 2, "failed": 1, "pending": 0},
        "decisions": [{"batch": 1, "reference": "ref-1", "decision": "skip", "recipients": 1}],
        "started_at": "2026-12-03T07:01:00Z",
        "ended_at": "2026-12-03T07:03:00Z",
        **counts,
    }


@pytest.fixture
def store(results_file: Path) -> MemoryStore:
    return MemoryStore(
        [
            StoredCampaign(OPEN_DAG, "run_1", "send", -1, "2026-12-03T07:03:00+00:00", record(results_file)),
            StoredCampaign(DENIED_DAG, "run_1", "send", 0, "2026-12-03T07:04:00+00:00", record(accepted=900)),
            StoredCampaign(OPEN_DAG, "run_2", "send", -1, "2026-12-03T07:05:00+00:00", record(accepted=7)),
        ]
    )


@pytest.fixture
def client(store: MemoryStore, auth_manager: DenyOneDagAuthManager) -> TestClient:
    return TestClient(create_app(store=store, auth_manager=auth_manager))


ONE = {"dag_id": DENIED_DAG, "run_id": "run_1", "task_id": "send", "map_index": 0}


# ----- who may ask ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/campaigns", "/api/campaign"])
def test_no_token_is_refused_with_401_and_nothing_else(
    client: TestClient, store: MemoryStore, path: str
) -> None:
    reply = client.get(path, params=ONE)
    assert reply.status_code == 401
    assert reply.json() == {"detail": "Not authenticated"}
    assert store.looked_up == []


def test_a_token_the_auth_manager_did_not_sign_is_refused(client: TestClient, auth_manager: Any) -> None:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    forged = JWTGenerator(secret_key="another-secret-" + "y" * 50, audience="apache-airflow", valid_for=60)
    reply = client.get(
        "/api/campaigns",
        headers=bearer(
            forged.generate(
                auth_manager.serialize_user(SimpleAuthManagerUser(username="admin", role="admin"))
            )
        ),
    )
    assert reply.status_code == 403
    assert "campaigns" not in reply.json()


def test_an_expired_token_is_refused_with_401(client: TestClient, auth_manager: Any) -> None:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    expired = auth_manager.generate_jwt(
        SimpleAuthManagerUser(username="admin", role="admin"), expiration_time_in_seconds=-3600
    )
    reply = client.get("/api/campaigns", headers=bearer(expired))
    assert (reply.status_code, reply.json()) == (401, {"detail": "Token Expired"})


def test_the_uis_cookie_signs_the_page_in(client: TestClient, auth_manager: Any) -> None:
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    client.cookies.set(COOKIE_NAME_JWT_TOKEN, token(auth_manager, "admin", "admin"))
    reply = client.get("/api/campaigns")
    assert reply.status_code == 200
    assert reply.json()["total_entries"] == 3


def test_an_explicit_bearer_token_wins_over_the_cookie(client: TestClient, auth_manager: Any) -> None:
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    client.cookies.set(COOKIE_NAME_JWT_TOKEN, token(auth_manager, "admin", "admin"))
    reply = client.get("/api/campaign", params=ONE, headers=bearer(token(auth_manager, OUTSIDER, "viewer")))
    assert reply.status_code == 403


# ----- what each user sees -------------------------------------------------------------------


def test_the_list_is_newest_first_with_the_records_counts(client: TestClient, auth_manager: Any) -> None:
    reply = client.get("/api/campaigns", headers=bearer(token(auth_manager, "admin", "admin")))
    assert reply.status_code == 200
    body = reply.json()
    assert [(c["dag_id"], c["run_id"], c["accepted"]) for c in body["campaigns"]] == [
        (OPEN_DAG, "run_2", 7),
        (DENIED_DAG, "run_1", 900),
        (OPEN_DAG, "run_1", 3),
    ]
    first = body["campaigns"][0]
    assert first["platform"] == "buka" and first["kind"] == "sms" and first["map_index"] == -1
    assert (first["delivered"], first["failed"]) == (2, 1)
    assert body["total_entries"] == 3


def test_the_list_pages_and_filters_by_dag(client: TestClient, auth_manager: Any) -> None:
    headers = bearer(token(auth_manager, "admin", "admin"))
    page = client.get("/api/campaigns", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert [c["dag_id"] for c in page["campaigns"]] == [DENIED_DAG]
    assert (page["total_entries"], page["limit"], page["offset"]) == (3, 1, 1)
    only = client.get("/api/campaigns", params={"dag_id": OPEN_DAG}, headers=headers).json()
    assert [c["run_id"] for c in only["campaigns"]] == ["run_2", "run_1"]
    assert client.get("/api/campaigns", params={"limit": 0}, headers=headers).status_code == 422


def test_a_user_denied_a_dag_sees_none_of_its_campaigns(
    client: TestClient, store: MemoryStore, auth_manager: Any
) -> None:
    headers = bearer(token(auth_manager, OUTSIDER, "viewer"))
    listed = client.get("/api/campaigns", headers=headers).json()
    assert {c["dag_id"] for c in listed["campaigns"]} == {OPEN_DAG}
    assert listed["total_entries"] == 2
    # asking for it by name does not help, and does not say whether it exists
    assert (
        client.get("/api/campaigns", params={"dag_id": DENIED_DAG}, headers=headers).json()["campaigns"] == []
    )
    refused = client.get("/api/campaign", params=ONE, headers=headers)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Forbidden"}
    missing = client.get("/api/campaign", params={**ONE, "run_id": "no_such_run"}, headers=headers)
    assert missing.status_code == 403
    assert store.looked_up == []


def test_a_viewer_of_the_dag_gets_its_campaign_page(
    client: TestClient, auth_manager: Any, results_file: Path
) -> None:
    reply = client.get(
        "/api/campaign",
        params={"dag_id": OPEN_DAG, "run_id": "run_1", "task_id": "send", "map_index": -1},
        headers=bearer(token(auth_manager, OUTSIDER, "viewer")),
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["error"] is None
    assert body["record"]["results_path"] == str(results_file)
    page = body["page"]
    assert page["campaign"]["dag_id"] == OPEN_DAG and page["campaign"]["platform"] == "buka"
    funnel = page["funnel"]
    assert (funnel["recipients"], funnel["valid"], funnel["accepted"], funnel["rejected"]) == (8, 6, 3, 2)
    assert (funnel["delivered"], funnel["failed"], funnel["pending"]) == (2, 1, 0)
    assert page["source"]["results"]["lines"] == 6
    assert page["decisions"] == [{"batch": 1, "reference": "ref-1", "decision": "skip", "recipients": 1}]
    assert page["failures_by_reason"] == [{"reason": "-4 invalid number", "stage": "send", "count": 2}]
    assert {row["country"]: row["count"] for row in page["failures_by_country"]} == {"SG": 1, "AU": 1}


def test_a_send_that_did_not_wait_gets_the_delivery_its_runs_sensor_found_on_its_results_file(
    client: TestClient, auth_manager: Any, store: MemoryStore, results_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.jsonl"
    report.write_text(
        "".join(
            json.dumps(
                {"message_id": f"m{i}", "number": f"659100000{i}", "outcome": outcome, "reason": reason}
            )
            + "\n"
            for i, (outcome, reason) in enumerate(
                [("delivered", None), ("failed", "EXPIRED"), ("delivered", None)], 1
            )
        )
    )
    store.campaigns[0].record["delivery"] = None  # the send did not wait: a sensor did
    counts = {"platform": "buka", "kind": "sms", "total": 3, "delivered": 2, "failed": 1, "pending": 0}
    store.delivery_records[(OPEN_DAG, "run_1")] = [
        # another segment's sensor, on another file: not this campaign's
        {"results_path": str(tmp_path / "other.jsonl"), "delivery": {**counts, "delivered": 0, "failed": 3}},
        {"results_path": str(results_file), "delivery": {**counts, "report_path": str(report)}},
    ]
    reply = client.get(
        "/api/campaign",
        params={"dag_id": OPEN_DAG, "run_id": "run_1", "task_id": "send"},
        headers=bearer(token(auth_manager, "admin", "admin")),
    )
    body = reply.json()
    assert reply.status_code == 200 and body["error"] is None, reply.text
    assert body["record"]["report_path"] == str(report)
    funnel = body["page"]["funnel"]
    assert (funnel["delivered"], funnel["failed"], funnel["pending"]) == (2, 1, 0)
    assert {"reason": "EXPIRED", "stage": "delivery", "count": 1} in body["page"]["failures_by_reason"]


def test_a_campaign_whose_files_are_gone_still_shows_its_record(
    client: TestClient, auth_manager: Any, results_file: Path
) -> None:
    results_file.unlink()
    reply = client.get(
        "/api/campaign",
        params={"dag_id": OPEN_DAG, "run_id": "run_1", "task_id": "send"},
        headers=bearer(token(auth_manager, "admin", "admin")),
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["page"] is None
    assert body["error"] == f"the campaign's results file {results_file} does not exist"
    assert body["record"]["accepted"] == 3


def test_a_task_instance_without_a_record_is_404(client: TestClient, auth_manager: Any) -> None:
    reply = client.get(
        "/api/campaign",
        params={"dag_id": OPEN_DAG, "run_id": "run_1", "task_id": "send", "map_index": 4},
        headers=bearer(token(auth_manager, "admin", "admin")),
    )
    assert reply.status_code == 404


# ----- the page ------------------------------------------------------------------------------


def test_the_page_is_served_whole_and_addresses_everything_relatively(client: TestClient) -> None:
    reply = client.get("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    html = reply.text
    # nothing from another origin, nothing from the host's root: the app lives under a prefix
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        '"http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html
    assert ' src="' not in html and 'fetch("/' not in html and "fetch(`/" not in html
    assert "api/campaigns?" in html and "api/campaign?" in html


# ----- registration and the link ------------------------------------------------------------


def test_the_plugin_is_an_entry_point_outside_airflows_reserved_prefixes() -> None:
    from airflow_provider_nxcloud.delivery_view.plugin import DeliveryViewPlugin

    entry_points = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]
    assert entry_points["airflow.plugins"] == {
        "nxcloud_delivery_view": "airflow_provider_nxcloud.delivery_view.plugin:DeliveryViewPlugin"
    }
    [app] = DeliveryViewPlugin.fastapi_apps
    reserved = ("/api/v2", "/ui", "/execution", "/auth", "/pluginsv2")
    assert app["url_prefix"] == "/nxcloud-delivery" and not app["url_prefix"].startswith(reserved)
    [nav] = DeliveryViewPlugin.external_views
    assert nav["href"] == "nxcloud-delivery/" and nav["destination"] == "nav"


def test_airflows_plugins_manager_loads_the_plugin_through_the_entry_point(tmp_path: Path) -> None:
    """``airflow plugins`` in a fresh process finds the plugin by the entry point pyproject.toml declares.

    The entry point is installed as a distribution of its own on PYTHONPATH: an editable install
    made before it existed would not carry it (the wheel's is checked in tests/packaging).
    """
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][
        "airflow.plugins"
    ]
    dist_info = tmp_path / "site" / "nxcloud_view_entry_point-0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: nxcloud-view-entry-point\nVersion: 0\n")
    (dist_info / "entry_points.txt").write_text(
        "[airflow.plugins]\n" + "".join(f"{name} = {value}\n" for name, value in declared.items())
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(REPO)]),
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "plugins", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [listed] = [line for line in done.stdout.splitlines() if line.startswith("[")]
    [plugin] = [p for p in json.loads(listed) if p["name"] == "nxcloud_delivery_view"]
    assert "EntryPoint(name='nxcloud_delivery_view'" in plugin["source"]
    assert [(app["url_prefix"], app["name"]) for app in plugin["fastapi_apps"]] == [
        ("/nxcloud-delivery", "NXCloud delivery view")
    ]
    assert [(view["url_route"], view["category"]) for view in plugin["external_views"]] == [
        ("nxcloud-campaigns", "browse")
    ]


def test_the_plugin_module_imports_without_touching_the_db(tmp_path: Path) -> None:
    """Imported in every process that loads plugins: a DB that does not exist is never opened."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'never.db'}",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from airflow_provider_nxcloud.delivery_view.plugin import DeliveryViewPlugin as P; "
            "print(len(P.fastapi_apps))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1:] == ["1"], done.stderr[-2000:]
    assert not (home / "never.db").exists() or (home / "never.db").stat().st_size == 0
