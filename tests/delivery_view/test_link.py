"""The send tasks' "Campaign" extra link: the campaign's page for the task instance, behind base_url."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from airflow.models.taskinstancekey import TaskInstanceKey

from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator
from airflow_provider_nxcloud.operators.links import CampaignLink
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendSmsOperator

KEY = TaskInstanceKey(
    dag_id="spring_sale",
    task_id="send",
    run_id="manual__2026-12-03T07:00:00+00:00",
    try_number=1,
    map_index=3,
)


def link(monkeypatch: pytest.MonkeyPatch, base_url: str | None) -> str:
    if base_url is None:
        monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW__API__BASE_URL", base_url)
    operator = BukaSendSmsOperator(task_id="send", text="Hi", recipients="6591234567")
    return CampaignLink().get_link(operator, ti_key=KEY)


def test_the_link_names_the_task_instance_under_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    url = urlsplit(link(monkeypatch, "https://airflow.example/team-a/"))
    assert (url.scheme, url.netloc, url.path) == ("https", "airflow.example", "/team-a/nxcloud-delivery/")
    # the run id's "+" and ":" survive: the page reads back exactly the run that sent
    assert parse_qs(url.query) == {
        "dag_id": ["spring_sale"],
        "run_id": ["manual__2026-12-03T07:00:00+00:00"],
        "task_id": ["send"],
        "map_index": ["3"],
    }


def test_without_base_url_the_link_is_relative_to_the_uis_base(monkeypatch: pytest.MonkeyPatch) -> None:
    url = link(monkeypatch, None)
    assert url.startswith(
        "nxcloud-delivery/?dag_id=spring_sale&run_id=manual__2026-12-03T07%3A00%3A00%2B00%3A00"
    )


@pytest.mark.parametrize("operator", [BukaSendSmsOperator, NXCloudSendSmsOperator])
def test_every_send_operator_carries_the_link(operator: type) -> None:
    assert [type(link).__name__ for link in operator.operator_extra_links] == [
        "VendorConsoleLink",
        "CampaignLink",
    ]
