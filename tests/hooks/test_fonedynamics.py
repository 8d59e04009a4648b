"""FoneDynamicsHook.iter_message_pages against the simulator: one find-SMS request per page read,
the first short page the last, bad arguments refused before any request."""

from __future__ import annotations

import time

import pytest

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.platforms import fonedynamics as vendor


def send(hook: FoneDynamicsHook, count: int) -> None:
    for start in range(0, count, vendor.BATCH_MAX_MESSAGES):
        hook.send_batch(
            [
                vendor.message_body(f"+6141{n:07d}", "hi", external_id=f"ref-{n}")
                for n in range(start, min(count, start + vendor.BATCH_MAX_MESSAGES))
            ]
        )


def window() -> tuple[int, int]:
    now = int(time.time())
    return now - 3600, now + 3600


@pytest.mark.parametrize(("messages", "requests"), [(0, 1), (399, 2), (400, 3), (401, 3)])
def test_a_window_read_to_its_end_costs_floor_w_over_p_plus_one_requests(
    nxcloud_simulator, messages, requests
):
    hook = FoneDynamicsHook()
    send(hook, messages)
    before = nxcloud_simulator.requests.count("fonedynamics", "list_messages")
    pages = list(hook.iter_message_pages(*window(), page_size=200))
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") - before == requests
    read = [message["ExternalId"] for page in pages for message in page or []]
    assert sorted(read) == sorted(f"ref-{n}" for n in range(messages))  # each once


def test_a_reader_that_stops_early_requests_no_more_pages(nxcloud_simulator):
    hook = FoneDynamicsHook()
    send(hook, 500)
    before = nxcloud_simulator.requests.count("fonedynamics", "list_messages")
    first = next(iter(hook.iter_message_pages(*window(), page_size=200)))
    assert first is not None and len(first) == 200
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") - before == 1


def test_max_pages_caps_the_requests(nxcloud_simulator):
    hook = FoneDynamicsHook()
    send(hook, 500)
    before = nxcloud_simulator.requests.count("fonedynamics", "list_messages")
    assert len(list(hook.iter_message_pages(*window(), page_size=100, max_pages=2))) == 2
    assert nxcloud_simulator.requests.count("fonedynamics", "list_messages") - before == 2


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"date_from": 100, "date_to": 100}, "date_to"),
        ({"date_from": 100, "date_to": 99}, "date_to"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(nxcloud_simulator, kwargs, parameter):
    date_from, date_to = window()
    arguments = {"date_from": date_from, "date_to": date_to, **kwargs}
    with pytest.raises(InvalidInputError) as refused:
        next(iter(FoneDynamicsHook().iter_message_pages(**arguments)))
    assert str(refused.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0
