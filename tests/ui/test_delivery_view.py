"""The delivery view in the Airflow UI, as people with different permissions see it.

The demo's main job (``example_sms_campaign``: three mapped sends, each awaited by a delivery
sensor) and two more campaigns run with ``airflow dags test`` against the simulator: one sends
an SMS text to 2,000 entries through Buka (20 of them invalid, 20 duplicates, 20 numbers the
simulator will not deliver) and waits for delivery; the other, in a DAG one user may not read,
sends to 50 numbers. A real ``airflow api-server`` on the same metadata DB then runs with the
provider's plugin and an auth manager that denies that DAG to ``outsider`` (per-DAG permissions,
as FAB or Keycloak give them). In a headless Chromium, an admin signs in through the login form,
opens Browse > Campaigns, sees every campaign and opens them: the demo's pages add up to the
simulator's ledger of its run, and the 2,000-entry campaign's funnel is the ledger of its own.
The outsider, signed in the same way, sees all but the denied DAG's; the view's API refuses them
the other (403) and anyone without a token (401). The send task's "Campaign" extra link leads to
the same page.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import textwrap
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from airflow_provider_nxcloud.testing import run_simulator
from tests.delivery_view.auth import DENIED_DAG, OUTSIDER
from tests.e2e.harness import REPO, airflow_env, migrate, run_dag
from tests.ui.conftest import AirflowUI, running_api_server
from tests.ui.pages import MARGIN_PX, Page, save_cropped_screenshot

#: `make screenshots` (UPDATE_SCREENSHOTS=1) writes the README's picture here
SCREENSHOT = REPO / "docs" / "img" / "delivery-view.png"
OPEN_DAG = "spring_sale"
TASK_ID = "send"
#: the demo's main job, copied from dags_examples/
DEMO_DAG = "example_sms_campaign"
VALID = [f"659{i:07d}" for i in range(1, 1_961)]
INVALID = [f"12{i:02d}" for i in range(20)]
#: every 98th number: 20 the simulator accepts and then reports undelivered
UNDELIVERABLE = VALID[::98]
ENTRIES = VALID + INVALID + VALID[:20]
DENIED_NUMBERS = [f"659{i:07d}" for i in range(5_001, 5_051)]
PASSWORDS = {"admin": secrets.token_urlsafe(12), OUTSIDER: secrets.token_urlsafe(12)}
PLUGIN_ENTRY_POINT = "nxcloud_delivery_view"


def dag_source(dag_id: str, recipients: Path, results: Path, *, wait: bool) -> str:
    # the send operator pushes its campaign record itself; the wait writes the delivery report
    return textwrap.dedent(
        f"""
        import pendulum
        from airflow.sdk import DAG

        from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator

        with DAG(
            dag_id="{dag_id}",
            schedule=None,
            start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
            catchup=False,
        ):
            BukaSendSmsOperator(
                task_id="{TASK_ID}",
                recipients="{recipients}",
                text="Spring sale: 20% off until Sunday",
                on_invalid="skip",
                results_path="{results}",
                report_path={str(results.with_suffix(".delivery.jsonl")) if wait else None!r},
                wait_for_delivery={wait},
                delivery_poll_interval=1,
                min_delivered_ratio=0.9,
            )
        """
    )


@dataclass
class Ledger:
    accepted: int
    delivered: int
    undelivered: int


@dataclass
class ViewServer:
    ui: AirflowUI
    ledger: Ledger
    run_id: str
    #: the demo's main job (dags_examples/example_sms_campaign.py), run before the others
    demo_ledger: Ledger


@pytest.fixture(scope="module")
def view_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewServer]:
    home = tmp_path_factory.mktemp("delivery-view")
    dags, plugins = home / "dags", home / "plugins"
    dags.mkdir()
    plugins.mkdir()
    for dag_id, numbers, wait in ((OPEN_DAG, ENTRIES, True), (DENIED_DAG, DENIED_NUMBERS, False)):
        recipients = home / f"{dag_id}.txt"
        recipients.write_text("".join(f"{number}\n" for number in numbers))
        (dags / f"{dag_id}.py").write_text(
            dag_source(dag_id, recipients, home / f"{dag_id}.jsonl", wait=wait)
        )
    # the demo's main job, as `make demo` runs it: three mapped sends, each awaited by a delivery sensor
    shutil.copy(REPO / "dags_examples" / f"{DEMO_DAG}.py", dags / f"{DEMO_DAG}.py")
    if not any(ep.name == PLUGIN_ENTRY_POINT for ep in entry_points(group="airflow.plugins")):
        # an editable install made before the entry point existed: the plugins folder stands in
        # for it (once installed from this pyproject, the entry point alone loads the plugin)
        (plugins / "nxcloud_delivery_view.py").write_text(
            "from airflow_provider_nxcloud.delivery_view.plugin import DeliveryViewPlugin  # noqa: F401\n"
        )
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    env = airflow_env(
        home,
        {},
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(plugins),
        AIRFLOW__CORE__AUTH_MANAGER="tests.delivery_view.auth.DenyOneDagAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"admin:admin,{OUTSIDER}:viewer",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
    )
    migrate(env)
    with run_simulator(undeliverable=UNDELIVERABLE, delivery_delay=1) as sim:
        demo = run_dag(DEMO_DAG, {**env, **sim.connection_env()}, timeout=300)
        assert (demo.returncode, demo.state) == (0, "success"), demo.output[-4000:]
        demo_ledger = ledger_of(sim)
        sim.reset()
        sent = run_dag(OPEN_DAG, {**env, **sim.connection_env()}, timeout=300)
        assert (sent.returncode, sent.state) == (0, "success"), sent.output[-4000:]
        ledger = ledger_of(sim)
        sim.reset()
        other = run_dag(DENIED_DAG, {**env, **sim.connection_env()}, timeout=300)
        assert (other.returncode, other.state) == (0, "success"), other.output[-4000:]
    with running_api_server(env, home) as ui:
        [run] = api(ui, "GET", f"/api/v2/dags/{OPEN_DAG}/dagRuns", token=login(ui, "admin"))["dag_runs"]
        yield ViewServer(ui, ledger, run["dag_run_id"], demo_ledger)


def ledger_of(sim: Any) -> Ledger:
    """What the simulator accepted of Buka SMS since its last reset, and what it says became of it."""
    entries = sim.ledger.entries(platform="buka", kind="sms")
    statuses = Counter(entry.status for entry in entries)
    return Ledger(len(entries), statuses["delivered"], statuses["undelivered"])


def login(ui: AirflowUI, username: str) -> str:
    reply = api(ui, "POST", "/auth/token", body={"username": username, "password": PASSWORDS[username]})
    return str(reply["access_token"])


def api(ui: AirflowUI, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    status, payload = call(ui, method, path, token, body)
    assert status < 300, f"{method} {path}: {status} {payload}"
    return payload


def call(
    ui: AirflowUI, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{ui.url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class DeliveryViewPage(Page):
    """The Airflow UI with the delivery view in its iframe (Browse > Campaigns)."""

    def sign_in(self, username: str) -> None:
        """Through the simple auth manager's login form, as a person signs in."""
        self.driver.delete_all_cookies()
        self.driver.get(f"{self.base_url}/auth/login")
        field = self.wait_for(lambda d: d.find_elements(By.NAME, "username"), "the login form")[0]
        field.send_keys(username)
        password = self.driver.find_element(By.NAME, "password")
        password.send_keys(PASSWORDS[username], Keys.ENTER)
        self.wait_for(lambda d: d.get_cookie("_token"), f"{username} to be signed in")

    def open_view(self) -> None:
        """Browse > Campaigns: the Airflow UI's page with the view in its iframe; the driver is left in it."""
        self.driver.switch_to.default_content()
        self.driver.get(f"{self.base_url}/plugin/nxcloud-campaigns")
        [frame] = self.wait_for(
            lambda d: d.find_elements(By.CSS_SELECTOR, "iframe[title=Campaigns]"), "the view's iframe"
        )
        self.driver.switch_to.frame(frame)

    def listed(self) -> list[str]:
        def rows(driver: Any) -> list[str] | bool:
            if driver.find_elements(By.CSS_SELECTOR, "[data-error]"):
                raise AssertionError(driver.find_element(By.CSS_SELECTOR, "[data-error]").text)
            found = driver.find_elements(By.CSS_SELECTOR, "tr[data-campaign]")
            return [row.get_attribute("data-campaign") for row in found] if found else False

        listed: list[str] = self.wait_for(rows, "the campaigns list")
        return listed

    def open_campaign(self, listed: str) -> None:
        """The page of the campaign listed as ``dag_id/run_id/task_id/map_index``, from its row's link."""
        link = self.driver.find_element(By.CSS_SELECTOR, f"tr[data-campaign='{listed}'] a")
        link.click()
        self.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-funnel]"), "the campaign's funnel")

    def funnel(self) -> dict[str, str]:
        return {
            cell.get_attribute("data-funnel"): cell.text
            for cell in self.driver.find_elements(By.CSS_SELECTOR, "[data-funnel]")
        }

    def save_screenshot(self, target: Path) -> None:
        """The Airflow UI with the view in it, from the top to a margin below the view's content."""
        driver = self.driver
        content_bottom = driver.execute_script(
            "return document.getElementById('view').getBoundingClientRect().bottom"
        )
        driver.switch_to.default_content()
        frame = driver.find_element(By.CSS_SELECTOR, "iframe[title=Campaigns]")
        frame_top = driver.execute_script("return arguments[0].getBoundingClientRect().top", frame)
        save_cropped_screenshot(driver, int(frame_top + content_bottom) + MARGIN_PX, target)

    def fetch_status(self, path: str) -> int:
        """What the view's API answers the page's own fetch (the browser's cookie, nothing else)."""
        status: int = self.driver.execute_async_script(
            "const [path, done] = arguments; fetch(path).then((r) => done(r.status), () => done(-1));", path
        )
        return status


def pages_added_up(page: DeliveryViewPage, listed: list[str]) -> Counter[str]:
    """The accepted, delivered and failed figures of the campaigns' pages, each opened from the list."""
    total = Counter[str]()
    for key in listed:
        page.open_view()
        page.listed()
        page.open_campaign(key)
        shown = page.funnel()
        total.update(
            {name: int(shown[name].replace(",", "")) for name in ("accepted", "delivered", "failed")}
        )
    return total


def figure(value: int) -> str:
    return f"{value:,}"


def test_the_view_shows_each_user_the_campaigns_they_may_read_with_the_ledgers_counts(
    view_server: ViewServer, browser: Any, tmp_path: Path
) -> None:
    ui, ledger = view_server.ui, view_server.ledger
    # the run sent what it was given: 1,960 valid numbers once each, 20 of them undelivered
    assert (ledger.accepted, ledger.delivered, ledger.undelivered) == (1_960, 1_940, 20)
    page = DeliveryViewPage(browser, ui.url, tmp_path / "pages")

    page.sign_in("admin")
    page.open_view()
    listed = page.listed()
    open_campaign = f"{OPEN_DAG}/{view_server.run_id}/{TASK_ID}/-1"
    # newest first: the denied DAG's campaign, this one, then the demo's three segments
    assert listed[0].startswith(f"{DENIED_DAG}/") and listed[1] == open_campaign, listed
    segments = listed[2:]
    assert sorted(key.split("/")[3] for key in segments) == ["0", "1", "2"], listed
    assert all(key.startswith(f"{DEMO_DAG}/") and key.split("/")[2] == "send_sms" for key in segments), listed

    # the demo's campaigns: their pages add up to what the simulator accepted, delivered and not
    expected = view_server.demo_ledger
    assert expected.accepted == 3_600 and expected.undelivered >= 1  # 6590000000 is never delivered
    assert pages_added_up(page, segments) == {
        "accepted": expected.accepted,
        "delivered": expected.delivered,
        "failed": expected.undelivered,
    }

    page.open_view()
    page.listed()
    page.open_campaign(open_campaign)
    shown = browser.execute_script("return document.body.innerText")
    assert "[object " not in shown and "null" not in shown.split() and "Delivery over time" in shown, shown
    funnel = page.funnel()
    assert funnel["accepted"] == figure(ledger.accepted), funnel
    assert funnel["delivered"] == figure(ledger.delivered), funnel
    assert funnel["failed"] == figure(ledger.undelivered), funnel
    assert (funnel["recipients"], funnel["valid"], funnel["invalid"]) == ("2,000", "1,960", "20"), funnel
    assert (funnel["rejected"], funnel["pending"]) == ("0", "0"), funnel
    page.save_screenshot(
        SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / SCREENSHOT.name
    )

    # the send task's extra link leads to the same page
    admin = login(ui, "admin")
    ti = f"/api/v2/dags/{OPEN_DAG}/dagRuns/{view_server.run_id}/taskInstances/{TASK_ID}"
    links = api(ui, "GET", f"{ti}/links", token=admin)["extra_links"]
    query = urlencode({"dag_id": OPEN_DAG, "run_id": view_server.run_id, "task_id": TASK_ID, "map_index": -1})
    assert links["Campaign"] == f"nxcloud-delivery/?{query}", links
    browser.get(f"{ui.url}/{links['Campaign']}")
    page.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-funnel]"), "the linked campaign page")
    assert page.funnel() == funnel

    outsider_sees_none_of_the_denied_dag(view_server, page, browser, listed[0], [open_campaign, *segments])


def outsider_sees_none_of_the_denied_dag(
    view_server: ViewServer, page: DeliveryViewPage, browser: Any, denied_key: str, allowed: list[str]
) -> None:
    """The outsider lists every campaign but the denied DAG's and gets nothing of it; no token, nothing."""
    ui = view_server.ui
    page.sign_in(OUTSIDER)
    page.open_view()
    assert page.listed() == allowed
    denied = urlencode(
        {"dag_id": DENIED_DAG, "run_id": denied_key.split("/")[1], "task_id": TASK_ID, "map_index": -1}
    )
    assert page.fetch_status(f"api/campaign?{denied}") == 403
    assert page.fetch_status(f"api/campaigns?dag_id={DENIED_DAG}") == 200  # an empty list
    outsider = login(ui, OUTSIDER)
    status, body = call(ui, "GET", f"/nxcloud-delivery/api/campaign?{denied}", token=outsider)
    assert (status, body) == (403, {"detail": "Forbidden"})
    status, body = call(ui, "GET", f"/nxcloud-delivery/api/campaigns?dag_id={DENIED_DAG}", token=outsider)
    assert (status, body["campaigns"], body["total_entries"]) == (200, [], 0)
    # an Airflow UI that kept its token in localStorage rather than a cookie: the page falls back to it
    view_url = f"{ui.url}/nxcloud-delivery/"
    browser.switch_to.default_content()
    browser.get(view_url)
    browser.delete_all_cookies()
    browser.execute_script("window.localStorage.setItem('token', arguments[0])", outsider)
    browser.get(view_url)
    assert page.listed() == allowed
    browser.execute_script("window.localStorage.removeItem('token')")
    browser.get(view_url)
    [message] = page.wait_for(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-error]"), "the sign-in message"
    )
    assert message.text.startswith("You are not signed in to Airflow"), message.text
    # no token at all: nothing, whatever is asked
    for path in (f"/nxcloud-delivery/api/campaign?{denied}", "/nxcloud-delivery/api/campaigns"):
        assert call(ui, "GET", path) == (401, {"detail": "Not authenticated"})
