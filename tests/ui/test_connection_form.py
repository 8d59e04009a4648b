"""The three connection forms, proved in a real browser against a real ``airflow api-server``.

For each connection type a person's path through the UI: Connections, Add Connection, pick
the type; the relabelled standard fields, their placeholders and our extra fields are shown
and the hidden ones are not, secrets are masked; fill it in for the simulator, save it, and
check that what was stored is what the hook reads; Test it (the simulator receives the
hook's probe and the UI reports success); then a wrong password fails the Test with a
message that does not carry the secret.

The expected labels, placeholders and hidden fields come from
``airflow_provider_nxcloud.connection_forms`` (the single source); each case also names a
few labels literally, so a broken spec cannot make the checks vacuous.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_nxcloud.connection_forms import FORMS, ConnectionForm
from airflow_provider_nxcloud.hooks.base import CPaaSHook
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.testing import Simulator
from airflow_provider_nxcloud.version_compat import AIRFLOW_V_3_3_PLUS
from tests.e2e.harness import REPO
from tests.ui.conftest import AirflowUI
from tests.ui.pages import ConnectionsPage, Toast

#: `make screenshots` (UPDATE_SCREENSHOTS=1) writes the README's images here; otherwise they go to the
#: test's tmp dir, as every run differs (the simulator's port) and should not dirty the checkout
SCREENSHOTS = REPO / "docs" / "img"

# ----- what differs between the Airflow 3 UIs, named ----------------------------------------------

#: Airflow < 3.3 renders an extra field marked ``format: password`` as a plain text input
#: (the metadata it receives still marks it; that is checked instead).
UI_MASKS_SECRET_EXTRAS = AIRFLOW_V_3_3_PLUS
#: Airflow 3.3's POST /connections/test reuses the stored secrets only when the tested port
#: equals the stored one, and the row's Test button sends ``Number(port)``: 0 for a connection
#: saved without a port (ours hide it), so the button answers "Bad Request". Storing port 0,
#: which the hooks ignore, lets the button run the hook's test.
ROW_TEST_SENDS_PORT_ZERO = AIRFLOW_V_3_3_PLUS


@dataclass(frozen=True)
class FormCase:
    hook: type[CPaaSHook]
    login: str
    password: str
    #: extra fields to fill in, by plain name, as the saved extras must hold them
    extras: dict[str, Any]
    #: DOM field name -> label, typed out here on purpose (not read from the spec)
    literal_labels: dict[str, str]
    #: (platform, endpoint) of the cheap read the hook's test_connection makes
    probe: tuple[str, str]
    #: what the success message must say: it proves the filled-in extras reached the hook
    success_text: str
    secret_extras: tuple[str, ...] = field(default=())


def nxcloud_case(sim: Simulator) -> FormCase:
    account = sim.accounts.nxcloud
    return FormCase(
        hook=NXCloudHook,
        login=account.access_key,
        password=account.access_secret,
        extras={
            "sms_app_key": account.sms_app_key,
            "sms_app_secret": account.sms_app_secret,
            "number_check_app_key": account.number_check_app_key,
            "connect_timeout": 7,
        },
        literal_labels={
            "login": "Access key",
            "password": "Access secret",
            "host": "API origin override",
            "element_sms_app_secret": "SMS app secret (legacy API)",
        },
        probe=("nxcloud", "number_check_query"),
        # the balance is read only with the SMS app key and its secret, the number check only with
        # its app key: all three came through
        success_text=(
            f"SMS app {account.sms_app_key} (balance query): balance {account.balance}; accessKey "
            f"{account.access_key} with number-check app {account.number_check_app_key}"
        ),
        secret_extras=("sms_app_secret", "voice_app_secret", "rate_limit_store", "proxy"),
    )


def buka_case(sim: Simulator) -> FormCase:
    account = sim.accounts.buka
    return FormCase(
        hook=BukaHook,
        login=account.api_key,
        password=account.api_secret,
        extras={"app_id": account.app_id, "voice_app_id": account.voice_app_id, "read_timeout": 20},
        literal_labels={"login": "API key", "password": "API secret", "element_app_id": "Default app ID"},
        probe=("buka", "balance"),
        success_text=f"Buka accepted API key {account.api_key}; balance {account.balance}",
        secret_extras=("rate_limit_store", "proxy"),
    )


def fonedynamics_case(sim: Simulator) -> FormCase:
    account = sim.accounts.fonedynamics
    return FormCase(
        hook=FoneDynamicsHook,
        login=account.account_sid,
        password=account.token,
        extras={"property_sid": account.property_sid, "max_qps": 5},
        literal_labels={
            "login": "Account SID",
            "password": "Token",
            "element_property_sid": "Default property SID",
        },
        probe=("fonedynamics", "get_property"),
        # the property is read only when the property SID extra came through
        success_text=f"property {account.property_sid} is readable",
        secret_extras=("rate_limit_store", "proxy"),
    )


CASES: dict[str, Callable[[Simulator], FormCase]] = {
    "nxcloud": nxcloud_case,
    "buka": buka_case,
    "fonedynamics": fonedynamics_case,
}


def test_every_connection_type_has_a_case():
    assert set(CASES) == set(FORMS)


@pytest.mark.parametrize("hook", [NXCloudHook, BukaHook, FoneDynamicsHook], ids=lambda hook: hook.conn_type)
def test_legacy_form_methods_are_each_hooks_own(hook: type[CPaaSHook]) -> None:
    # Airflow < 3.2 builds the form from these only when they are in the registered class's own
    # __dict__ (ProvidersManager._import_hook); inherited from CPaaSHook they were never called
    for name in ("get_connection_form_widgets", "get_ui_field_behaviour"):
        assert name in hook.__dict__, name
    assert hook.get_ui_field_behaviour()["relabeling"] == FORMS[hook.conn_type].relabeling


#: the form `make test` drives in the browser; the other two are in `make test-long` (their fields
#: reach the UI through the same code, checked for every type by test_version_compat's form test)
IN_MAKE_TEST = "buka"


@pytest.mark.parametrize(
    "conn_type",
    [name if name == IN_MAKE_TEST else pytest.param(name, marks=pytest.mark.long) for name in sorted(CASES)],
)
def test_connection_form_in_the_browser(
    conn_type: str,
    airflow_ui: AirflowUI,
    browser: Any,
    nxcloud_simulator: Simulator,
    tmp_path: Path,
) -> None:
    sim = nxcloud_simulator
    form = FORMS[conn_type]
    case = CASES[conn_type](sim)
    conn_id = f"ui_{conn_type}"
    page = ConnectionsPage(browser, airflow_ui.url, tmp_path / "pages")

    page.open()
    page.open_add_dialog()
    page.type_into(page.field("connection_id"), conn_id)
    page.choose_type(form.hook_name)
    check_standard_fields(page, form, case)
    page.type_into(page.field("host"), sim.url)
    page.type_into(page.field("login"), case.login)
    page.type_into(page.field("password"), case.password)
    page.expand("Extra Fields")
    check_extra_fields(page, form, case, airflow_ui)
    for name, value in case.extras.items():
        page.type_into(page.field(f"element_{name}"), str(value))
    # the dialog opens one section at a time: the screenshot stacks the two, taken at one window size
    extra = page.capture(page.section("Extra Fields"), page.dialog())
    page.expand("Standard Fields")
    standard = page.capture(None, page.section("Standard Fields"))
    # secrets show as dots only where the UI masks secret extras; elsewhere keep it out of docs/
    update_docs = UI_MASKS_SECRET_EXTRAS and os.environ.get("UPDATE_SCREENSHOTS") == "1"
    screenshot_dir = SCREENSHOTS if update_docs else tmp_path
    page.save_stitched([standard, extra], screenshot_dir / f"connection-{conn_type}.png")
    page.save_dialog()
    page.row(conn_id)

    saved = check_saved_connection_is_what_the_hook_reads(airflow_ui, conn_id, conn_type, case, sim, tmp_path)

    calls = sim.requests.count(*case.probe)
    toast = press_test(page, airflow_ui, conn_id, conn_type)
    assert (toast.type, toast.title) == ("success", "Test Connection Successful"), toast
    assert case.success_text in toast.description, toast
    assert sim.requests.count(*case.probe) == calls + 1, "the Test did not reach the simulator"

    wrong_password = f"wrong-{secrets.token_hex(8)}"
    page.open_edit_dialog(conn_id)
    password = page.field("password")
    assert page.label_of(password) == form.relabeling["password"]
    assert password.get_attribute("type") == "password"
    assert not _same(password.get_attribute("value"), case.password), "the Edit dialog shows the secret"
    page.type_into(password, wrong_password)
    page.save_dialog()
    edited = airflow_ui.exported_connections(tmp_path)[conn_id]
    # only the password changed: the secret extras the dialog showed masked were kept, not "***"
    assert _same(edited["password"], wrong_password), "the edited password was not stored"
    assert json.loads(edited["extra"]) == json.loads(saved["extra"])
    calls = sim.requests.count(*case.probe)
    toast = press_test(page, airflow_ui, conn_id, conn_type)
    secret_values = [
        wrong_password,
        case.password,
        *(case.extras[n] for n in case.secret_extras if n in case.extras),
    ]
    # checked first and without quoting them: a failure must not print the secrets it is about
    assert not any(s in toast.description for s in secret_values), "the failed Test's message has a secret"
    server_log = airflow_ui.log.read_text(errors="replace")
    assert not any(s in server_log for s in secret_values), "the api-server logged a secret"
    assert (toast.type, toast.title) == ("error", "Test Connection Failed"), toast
    # the vendor (the simulator) refused it, not Airflow: the hook's probe was sent and answered
    assert sim.requests.count(*case.probe) == calls + 1, toast
    assert conn_type in toast.description, toast


def check_standard_fields(page: ConnectionsPage, form: ConnectionForm, case: FormCase) -> None:
    assert form.relabeling and form.placeholders and form.hidden_fields, "the spec lost its form behaviour"
    for name, label in form.relabeling.items():
        assert page.label_of(page.field(name)) == label, f"the standard field {name!r}"
    for name, placeholder in form.placeholders.items():
        assert page.field(name).get_attribute("placeholder") == placeholder, f"the placeholder of {name!r}"
    for name in (*form.hidden_fields, "port", "schema"):
        assert page.fields(name) == [], f"the hidden standard field {name!r} is shown"
    assert page.field("password").get_attribute("type") == "password", "the password is not masked"
    for name, label in case.literal_labels.items():
        if not name.startswith("element_"):
            assert page.label_of(page.field(name)) == label, f"the standard field {name!r}"


def check_extra_fields(page: ConnectionsPage, form: ConnectionForm, case: FormCase, ui: AirflowUI) -> None:
    for spec in form.fields:
        element = page.extra_field(spec.name)
        assert page.label_of(element) == spec.label, f"the label of the extra field {spec.name!r}"
        assert page.helper_text_of(element) == spec.description, f"the help of the extra field {spec.name!r}"
    for name, label in case.literal_labels.items():
        if name.startswith("element_"):
            assert page.label_of(page.extra_field(name.removeprefix("element_"))) == label
    secret_fields = tuple(spec.name for spec in form.fields if spec.kind == "password")
    assert secret_fields == case.secret_extras, "the spec's secret extras changed"
    if UI_MASKS_SECRET_EXTRAS:
        for name in secret_fields:
            assert page.field(f"element_{name}").get_attribute("type") == "password", (
                f"{name!r} is not masked"
            )
    else:
        [meta] = [
            hook
            for hook in ui.api("GET", "/ui/connections/hook_meta")
            if hook["connection_type"] == form.conn_type
        ]
        for name in secret_fields:
            assert meta["extra_fields"][name]["schema"].get("format") == "password", (
                f"{name!r} is not marked secret"
            )


def check_saved_connection_is_what_the_hook_reads(
    ui: AirflowUI, conn_id: str, conn_type: str, case: FormCase, sim: Simulator, workdir: Path
) -> dict[str, Any]:
    """The stored connection (read back with the CLI) holds the form's values, and the hook parses them."""
    from airflow.models.connection import Connection

    saved = ui.exported_connections(workdir)[conn_id]
    extras = json.loads(saved["extra"])
    # stored by plain name, numbers as numbers: what HookMetaService's form promises the hook
    assert {name: extras.get(name) for name in case.extras} == case.extras
    assert not [name for name in extras if name.startswith("extra__")], extras
    assert set(extras) <= {spec.name for spec in FORMS[conn_type].fields}, extras
    assert (saved["conn_type"], saved["host"], saved["login"]) == (conn_type, sim.url, case.login)
    assert _same(saved["password"], case.password), "the stored password is not the one typed"
    connection = Connection(
        conn_id=conn_id,
        conn_type=saved["conn_type"],
        host=saved["host"],
        login=saved["login"],
        password=saved["password"],
        port=saved["port"],
        schema=saved["schema"],
        extra=saved["extra"],
    )
    settings = case.hook(conn_id).settings_from_connection(connection, mask=lambda _: None)
    assert dict(settings.extras) == {name: value for name, value in extras.items() if value is not None}
    assert (settings.login, settings.origin) == (case.login, sim.url)
    assert _same(settings.password, case.password), "the hook reads another password"
    return saved


def press_test(page: ConnectionsPage, ui: AirflowUI, conn_id: str, conn_type: str) -> Toast:
    """What the UI answers to Test for a saved connection."""
    if ROW_TEST_SENDS_PORT_ZERO:
        ui.api(
            "PATCH",
            f"/api/v2/connections/{conn_id}?update_mask=port",
            {"connection_id": conn_id, "conn_type": conn_type, "port": 0},
        )
        page.open()  # the row's button sends the port the list last loaded
    return page.test_connection(conn_id)


def _same(secret: str | None, expected: str) -> bool:
    """Compare secrets outside an assert, so that pytest never prints them."""
    return secret == expected
