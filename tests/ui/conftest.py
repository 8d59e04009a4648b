"""A real ``airflow api-server`` and a headless Chromium for the connection-form test.

The server runs in a private SQLite AIRFLOW_HOME with no connections of ours (nothing
``AIRFLOW_CONN_*`` reaches it), the Test button enabled and every visitor an admin. The
browser is Debian's chromium driven through its own chromedriver, so Selenium never
downloads one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import AIRFLOW, airflow_env, migrate
from tests.ui.pages import WINDOW_HEIGHT, WINDOW_WIDTH

SERVER_START_TIMEOUT_S = 120.0
#: Debian's packages (``make browser``); looked up on PATH first
DEBIAN_CHROMIUM = "/usr/bin/chromium"
DEBIAN_CHROMEDRIVER = "/usr/bin/chromedriver"
#: without these chromium phones home; on a closed network that is a flood of refused connections
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-US",
    f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}",
)


@dataclass
class AirflowUI:
    """The running api-server: its URL, its environment (for the CLI) and its log."""

    url: str
    env: dict[str, str]
    home: Path
    log: Path
    _token: str | None = field(default=None, repr=False)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the REST API as the all-admins user; returns the decoded JSON (None when empty)."""
        if self._token is None:
            # simple auth manager, all admins: GET /auth/token hands out an admin token
            self._token = _get_json(f"{self.url}/auth/token")["access_token"]
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            payload = reply.read()
        return json.loads(payload) if payload else None

    def exported_connections(self, workdir: Path) -> dict[str, dict[str, Any]]:
        """Every stored connection as ``airflow connections export`` writes it (secrets in clear)."""
        target = workdir / "connections.json"
        done = subprocess.run(
            [AIRFLOW, "connections", "export", str(target), "--file-format", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (
            f"airflow connections export failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
        exported: dict[str, dict[str, Any]] = json.loads(target.read_text())
        target.unlink()
        return exported


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(ui: AirflowUI, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"airflow api-server exited with code {server.returncode}; its log:\n{ui.log_tail()}",
                pytrace=False,
            )
        try:
            health = _get_json(f"{ui.url}/api/v2/monitor/health")
            if health.get("metadatabase", {}).get("status") == "healthy":
                return
            last_error = f"health: {health}"
        except (OSError, ValueError) as exc:
            last_error = repr(exc)
        time.sleep(0.25)
    pytest.fail(
        f"airflow api-server did not become healthy on {ui.url} within {SERVER_START_TIMEOUT_S:.0f} s "
        f"({last_error}); its log:\n{ui.log_tail()}",
        pytrace=False,
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and its uvicorn workers: the process group it leads, and only that."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def airflow_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowUI]:
    home = tmp_path_factory.mktemp("airflow-ui")
    dags = home / "dags"
    dags.mkdir()
    env = airflow_env(
        home,
        {},
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
    )
    migrate(env)
    with running_api_server(env, home) as ui:
        yield ui


@contextmanager
def running_api_server(env: dict[str, str], home: Path) -> Iterator[AirflowUI]:
    """A real ``airflow api-server`` on a free port with ``env`` (its log in ``home``), healthy
    when yielded, stopped with its workers on the way out."""
    port = _free_port()
    ui = AirflowUI(url=f"http://127.0.0.1:{port}", env=env, home=home, log=home / "api-server.log")
    with ui.log.open("wb") as log:
        server = subprocess.Popen(
            [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so teardown stops its workers too
        )
    try:
        _wait_until_healthy(ui, server)
        yield ui
    finally:
        _stop(server)


def _debian_binary(name: str, fallback: str) -> str:
    found = shutil.which(name) or (fallback if os.access(fallback, os.X_OK) else None)
    if found is None:
        pytest.fail(
            f"{name} is not installed: the connection-form test drives Debian's chromium through "
            "chromedriver; run `make browser` (apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = _debian_binary("chromium", DEBIAN_CHROMIUM)
    chromedriver = _debian_binary("chromedriver", DEBIAN_CHROMEDRIVER)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as mp:
        # an explicit driver path already keeps Selenium Manager out; this makes sure of it
        mp.setenv("SE_OFFLINE", "true")
        service = Service(executable_path=chromedriver, log_output=str(profile.parent / "chromedriver.log"))
        driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # keep each phase's report on the item, so a fixture can tell that its test failed
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def failure_screenshot(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """On a failed test: a screenshot and the page's visible text, for the report."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "browser" not in request.fixturenames:
        return
    driver = request.getfixturevalue("browser")
    shot = tmp_path / "failure.png"
    driver.save_screenshot(str(shot))
    text = driver.execute_script("return document.body ? document.body.innerText : ''")
    print(f"\nfailure screenshot: {shot}\npage {driver.current_url}, visible text:\n{text}")
    if "airflow_ui" in request.fixturenames:
        print(f"\napi-server log, last lines:\n{request.getfixturevalue('airflow_ui').log_tail(40)}")
