"""What Airflow users expect of a provider, as Airflow's own providers (http, slack, dbt-cloud) do it.

Each test is a row of the conventions table in docs/guides/conventions.rst.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_nxcloud.get_provider_info import get_provider_info
from airflow_provider_nxcloud.hooks.mixin import PlatformHookMixin
from airflow_provider_nxcloud.notifications.sms import SmsNotifier
from airflow_provider_nxcloud.operators.buka import BukaSendEmailOperator, BukaSendSmsOperator
from airflow_provider_nxcloud.operators.buka_ai_voice import BukaCreateAiVoiceTaskOperator
from airflow_provider_nxcloud.operators.buka_voice_tasks import BukaCreateVoiceTaskOperator
from airflow_provider_nxcloud.sensors.delivery import BukaSmsDeliverySensor, DeliverySensor
from airflow_provider_nxcloud.sensors.wait import WaitSensor
from tests.e2e.harness import REPO
from tests.operators.conftest import TaskRun, numbers, sent_to


def _provider_classes() -> list[type]:
    """Every public operator and sensor class of the modules the provider info lists."""
    info = get_provider_info()
    modules = {
        m for layer in ("operators", "sensors") for entry in info[layer] for m in entry["python-modules"]
    }
    found = []
    for module_name in sorted(modules):
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and value.__module__ == module_name
                and not value.__name__.startswith("_")
                and issubclass(value, PlatformHookMixin)
            ):
                found.append(value)
    return found


def _conn_attribute(cls: type) -> str | None:
    """The attribute the class's hook reads its connection id from (None for an abstract base)."""
    if issubclass(cls, WaitSensor):
        platform = getattr(cls, "platform", None)
        if platform is None:
            return None
        from airflow_provider_nxcloud.hooks.mixin import hook_class_for

        return hook_class_for(platform).conn_name_attr
    hook_class = inspect.getattr_static(cls, "hook_class", None)
    return hook_class.conn_name_attr if isinstance(hook_class, type) else None


#: the classes a DAG names a connection on (a base such as DeliverySensor leaves it to its platforms)
CONNECTED_CLASSES = [cls for cls in _provider_classes() if _conn_attribute(cls)]


def test_every_platform_class_is_checked():
    assert len(CONNECTED_CLASSES) >= 34


@pytest.mark.parametrize("cls", CONNECTED_CLASSES, ids=lambda c: c.__name__)
def test_the_connection_id_is_templated(cls):
    assert _conn_attribute(cls) in cls.template_fields


def test_a_templated_connection_id_is_the_one_the_hook_and_the_trigger_use():
    with DAG("conventions_conn"):
        operator = BukaSendSmsOperator(
            task_id="send", buka_conn_id="{{ params.conn }}", text="x", recipients="1"
        )
        sensor = BukaSmsDeliverySensor(task_id="wait", buka_conn_id="{{ params.conn }}", message_ids=["m1"])
    for task in (operator, sensor):
        task.render_template_fields({"params": {"conn": "buka_marketing"}})
        assert task.hook_conn_id == "buka_marketing"
        assert task.hook.conn_id == "buka_marketing"
    assert issubclass(BukaSmsDeliverySensor, DeliverySensor)


# ----- template_ext for the message text ---------------------------------------------------------


@pytest.fixture
def dag_folder(tmp_path):
    (tmp_path / "reminder.txt").write_text("Hi {{ params.name }}, your order ships on {{ params.day }}.")
    (tmp_path / "reminder.j2").write_text("{{ params.name | upper }}")
    # a recipients file in the same folder: data, never read as a template
    (tmp_path / "audience.txt").write_text("{{ this is not jinja }}\n6591000001\n")
    return tmp_path


def _rendered(task: Any, **params: Any) -> Any:
    task.render_template_fields({"params": params})
    return task


@pytest.mark.parametrize(
    "name, expected", [("reminder.txt", "Hi Ann, your order ships on Monday."), ("reminder.j2", "ANN")]
)
def test_a_message_text_file_renders_as_the_message(dag_folder, name, expected):
    with DAG("conventions_text", template_searchpath=[str(dag_folder)]):
        operator = BukaSendSmsOperator(task_id="send", text=name, recipients="audience.txt")
    rendered = _rendered(operator, name="Ann", day="Monday")
    assert rendered.text == expected
    assert rendered.recipients == "audience.txt"  # a path, even in the template folder


def test_at_parse_only_the_message_text_file_is_read(dag_folder):
    with DAG("conventions_parse", template_searchpath=[str(dag_folder)]) as dag:
        operator = BukaSendSmsOperator(task_id="send", text="reminder.txt", recipients="audience.txt")
    dag.resolve_template_files()
    assert operator.text.startswith("Hi {{ params.name }}")
    assert operator.recipients == "audience.txt"


def test_a_field_other_than_the_text_ending_in_txt_still_renders_jinja(dag_folder):
    with DAG("conventions_path", template_searchpath=[str(dag_folder)]):
        operator = BukaSendSmsOperator(task_id="send", text="Hi", recipients="{{ params.day }}/audience.txt")
    assert _rendered(operator, day="2026-12-03").recipients == "2026-12-03/audience.txt"


def test_an_email_operator_without_text_keeps_every_path(dag_folder):
    with DAG("conventions_email", template_searchpath=[str(dag_folder)]):
        operator = BukaSendEmailOperator(
            task_id="mail",
            recipients="audience.txt",
            subject="reminder.txt",
            template_id="1",
            from_address="a@b.c",
        )
    rendered = _rendered(operator)
    assert (rendered.recipients, rendered.subject) == ("audience.txt", "reminder.txt")


def test_the_notifier_reads_its_text_file_too(dag_folder):
    with DAG("conventions_notifier", template_searchpath=[str(dag_folder)]) as dag:
        pass
    notifier = SmsNotifier(conn_id="buka_default", recipients=["6591000001"], text="reminder.j2")
    notifier.render_template_fields({"params": {"name": "ops"}, "dag": dag})
    assert notifier.text == "OPS"


def test_a_text_file_is_what_the_vendor_receives(dag_folder, nxcloud_simulator):
    recipients = numbers(3)
    with DAG("conventions_send", template_searchpath=[str(dag_folder)]):
        operator = BukaSendSmsOperator(task_id="send", text="reminder.txt", recipients=recipients)
    _rendered(operator, name="Ann", day="Monday").execute(TaskRun().context())
    entries = list(nxcloud_simulator.ledger.entries(kind="sms"))
    assert sent_to(nxcloud_simulator, "sms") == dict.fromkeys(recipients, 1)
    assert {entry.content for entry in entries} == {"Hi Ann, your order ships on Monday."}


# ----- a minimum-version guard -------------------------------------------------------------------


def test_the_floor_is_the_one_pyproject_declares():
    import tomllib

    from airflow_provider_nxcloud import MIN_AIRFLOW_VERSION

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert f"apache-airflow>={MIN_AIRFLOW_VERSION}" in pyproject["project"]["dependencies"]


@pytest.mark.parametrize(
    "version, refused", [("3.0.6", True), ("3.1.7", True), ("3.1.8rc1", False), ("3.3.2", False)]
)
def test_an_older_airflow_is_refused_at_import(tmp_path, version, refused):
    # a distribution's metadata first on the path: what importlib.metadata reads as the installed Airflow
    dist = tmp_path / f"apache_airflow-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: apache-airflow\nVersion: {version}\n")
    result = subprocess.run(
        [sys.executable, "-c", "import airflow_provider_nxcloud"],
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode != 0) is refused, result.stderr[-2000:]
    if refused:
        assert f"needs Apache Airflow 3.1.8+; this is Apache Airflow {version}" in result.stderr


def test_importing_the_package_does_not_start_airflow():
    """The simulator's command line and get_provider_info import the package: no Airflow, no log lines."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys, airflow_provider_nxcloud; print('airflow' in sys.modules)"],
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "False\n", result.stdout + result.stderr


# ----- deferrable=True without a wait warns ------------------------------------------------------

WAITING_OPERATORS = [
    (BukaSendSmsOperator, {"text": "x", "recipients": "1"}, "wait_for_delivery=True or quiet_hours"),
    (BukaCreateVoiceTaskOperator, {"numbers": "1", "task_name": "t"}, "wait_for_completion=True"),
    (
        BukaCreateAiVoiceTaskOperator,
        {"name": "n", "dialog_flow_id": 1, "robot_count": 1, "line_id": 1},
        "wait_for_completion=True",
    ),
]


@pytest.mark.parametrize("cls, args, wait", WAITING_OPERATORS, ids=lambda v: getattr(v, "__name__", ""))
def test_deferrable_without_a_wait_warns_naming_the_wait(cls, args, wait):
    with pytest.warns(UserWarning, match=f"deferrable=True has no effect without {re.escape(wait)}"):
        cls(task_id="t", deferrable=True, **args)


@pytest.mark.parametrize("cls, args, wait", WAITING_OPERATORS, ids=lambda v: getattr(v, "__name__", ""))
def test_no_warning_with_the_wait_or_by_deployment_default(cls, args, wait, monkeypatch, recwarn):
    cls(task_id="waits", deferrable=True, **{wait.split("=")[0]: True}, **args)
    if cls is BukaSendSmsOperator:  # quiet hours are waited for too
        cls(task_id="quiet", deferrable=True, quiet_hours=("21:00", "08:00"), **args)
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    cls(task_id="policy", deferrable=True, **args)
    assert not [w for w in recwarn if "deferrable=True" in str(w.message)]


# ----- Assets: the results file -----------------------------------------------------------------


def test_an_alias_outlet_gets_an_event_of_the_results_files_own_asset(nxcloud_simulator, tmp_path):
    from airflow.sdk import Asset, AssetAlias
    from airflow.sdk.execution_time.context import OutletEventAccessors

    alias, named = AssetAlias("campaign-results"), Asset("campaign_totals")
    results = tmp_path / "results.jsonl"
    operator = BukaSendSmsOperator(
        task_id="send", text="Hi", recipients=numbers(3), results_path=str(results), outlets=[alias, named]
    )
    events = OutletEventAccessors()
    context = {**TaskRun().context(), "outlet_events": events}
    operator.execute(context)
    (event,) = events[alias].asset_alias_events
    assert event.dest_asset_key.uri == results.as_uri()
    assert event.extra["accepted"] == 3 and event.extra["results_path"] == str(results)
    assert events[named].extra["accepted"] == 3 and events[named].extra["platform"] == "buka"


def test_an_alias_outlet_without_a_results_file_fails_before_sending(nxcloud_simulator):
    from airflow.sdk import AssetAlias
    from airflow.sdk.exceptions import AirflowFailException

    operator = BukaSendSmsOperator(
        task_id="send", text="Hi", recipients=numbers(3), outlets=[AssetAlias("campaign-results")]
    )
    with pytest.raises(AirflowFailException, match="results_path: is needed with an AssetAlias outlet"):
        operator.execute(TaskRun().context())
    assert nxcloud_simulator.ledger.entries() == []


def test_an_object_storage_results_path_is_the_assets_uri():
    from airflow_provider_nxcloud.operators.links import results_asset_uri

    assert (
        results_asset_uri("s3://audiences/2026-12-03/results.jsonl")
        == "s3://audiences/2026-12-03/results.jsonl"
    )
    assert results_asset_uri("/data/results.jsonl") == "file:///data/results.jsonl"


# ----- extra links ------------------------------------------------------------------------------


def test_the_console_link_follows_the_connection(monkeypatch):
    from airflow_provider_nxcloud.operators.links import VendorConsoleLink
    from tests.hooks.conftest import set_conn

    set_conn(
        monkeypatch,
        "buka_white_label",
        conn_type="buka",
        login="k",
        password="s",
        extra={"console_url": "https://console.example-sms.com/"},
    )
    set_conn(monkeypatch, "buka_plain", conn_type="buka", login="k", password="s")
    link = VendorConsoleLink()
    for conn_id, expected in [
        ("buka_white_label", "https://console.example-sms.com/"),
        ("buka_plain", "https://www.onbuka.com/"),
    ]:
        operator = BukaSendSmsOperator(task_id=conn_id, text="x", recipients="1", buka_conn_id=conn_id)
        assert link.get_link(operator, ti_key=None) == expected
    broken = BukaSendSmsOperator(
        task_id="broken", text="x", recipients="1", buka_conn_id="buka_plain_missing"
    )
    monkeypatch.setenv("AIRFLOW_CONN_BUKA_PLAIN_MISSING", '{"conn_type": "buka"}')
    assert link.get_link(broken, ti_key=None) == ""
    assert link in BukaSendSmsOperator.operator_extra_links


# ----- OpenLineage ------------------------------------------------------------------------------


def test_openlineage_sees_the_recipients_file_in_and_the_results_file_out(nxcloud_simulator, tmp_path):
    pytest.importorskip("airflow.providers.openlineage")
    from airflow.providers.openlineage.extractors.base import DefaultExtractor

    audience, results = tmp_path / "audience.txt", tmp_path / "results.jsonl"
    audience.write_text("\n".join(numbers(3)) + "\n")
    operator = BukaSendSmsOperator(
        task_id="send", text="Hi", recipients=str(audience), results_path=str(results)
    )
    operator.execute(TaskRun().context())
    lineage = DefaultExtractor(operator).extract_on_complete(task_instance=None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", str(audience))]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [("file", str(results))]


@pytest.mark.parametrize(
    "recipients, results, inputs, outputs",
    [
        (["6591000001"], None, [], []),  # numbers inline: no dataset
        (
            "s3://audiences/2026-12-03/sg.txt",
            "gs://campaigns/results.jsonl",
            [("s3://audiences", "2026-12-03/sg.txt")],
            [("gs://campaigns", "results.jsonl")],
        ),
        (
            "sftp://user:pw-123@files.example:2222/out/sg.txt",
            None,
            [("sftp://files.example:2222", "out/sg.txt")],  # the credentials never reach a name
            [],
        ),
    ],
)
def test_openlineage_dataset_names_follow_the_naming_spec(recipients, results, inputs, outputs):
    pytest.importorskip("airflow.providers.openlineage")
    operator = BukaSendSmsOperator(task_id="send", text="Hi", recipients=recipients, results_path=results)
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == inputs
    assert [(d.namespace, d.name) for d in lineage.outputs] == outputs


def test_a_sql_transfer_reads_its_query_file_and_its_text_file(dag_folder):
    from airflow_provider_nxcloud.transfers.sql_to_sms import SqlToBukaSmsOperator

    (dag_folder / "audience.sql").write_text("SELECT phone FROM customers WHERE day = '{{ ds }}' ORDER BY id")
    with DAG("conventions_sql", template_searchpath=[str(dag_folder)]):
        operator = SqlToBukaSmsOperator(
            task_id="send", sql="audience.sql", sql_conn_id="db", number_column="phone", text="reminder.j2"
        )
    operator.render_template_fields({"params": {"name": "ann"}, "ds": "2026-12-03"})
    assert operator.sql == "SELECT phone FROM customers WHERE day = '2026-12-03' ORDER BY id"
    assert operator.text == "ANN"


# ----- only public Airflow APIs ------------------------------------------------------------------

PRIVATE_AIRFLOW_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+airflow[\w.]*\._\w+|^\s*from\s+airflow[\w.]*\s+import\s+\(?\s*_(?!_)\w+",
    re.MULTILINE,
)


def test_the_package_imports_no_private_airflow_module_or_name():
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0).strip()}"
        for path in sorted((REPO / "airflow_provider_nxcloud").rglob("*.py"))
        for match in PRIVATE_AIRFLOW_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_private_import_pattern_catches_what_it_should():
    for line in (
        "from airflow.sdk.log import _secrets_masker",
        "from airflow.sdk._shared.x import y",
        "import airflow._vendor.a",
    ):
        assert PRIVATE_AIRFLOW_IMPORT.search(line), line
    assert not PRIVATE_AIRFLOW_IMPORT.search("from airflow.providers.common.compat.sdk import mask_secret")
