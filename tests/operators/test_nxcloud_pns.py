"""NXCloud privacy-number operators against the simulator: exactly-once binds across retries, unbind,
query, list, groups, vendor codes as typed errors, and bad input that sends nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.progress import campaign_key
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import (
    CreateInDoubtError,
    InvalidInputError,
    PermanentAPIError,
    RetryableAPIError,
)
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.nxcloud_pns import (
    RECORD_KEY,
    NXCloudBindNumberOperator,
    NXCloudCreateNumberGroupOperator,
    NXCloudDeleteNumberGroupOperator,
    NXCloudListBindingsOperator,
    NXCloudListNumberGroupsOperator,
    NXCloudQueryBindingOperator,
    NXCloudUnbindNumberOperator,
    NXCloudUpdateNumberGroupOperator,
)
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.testing.accounts import NXCLOUD_PNS_VIRTUAL_NUMBERS, NXCloudAccount
from airflow_provider_nxcloud.testing.server import run_simulator
from tests.operators.conftest import TaskRun

A, B, C, D = "6591000001", "6591000002", "6591000003", "6591000004"
SG_POOL = [n for n in NXCLOUD_PNS_VIRTUAL_NUMBERS if n.startswith("65")]


def binder(**kwargs) -> NXCloudBindNumberOperator:
    kwargs.setdefault("phone_a", A)
    kwargs.setdefault("phone_b", B)
    kwargs.setdefault("expire_seconds", 3600)
    return NXCloudBindNumberOperator(task_id="bind", **kwargs)


def default_reference(run: TaskRun) -> str:
    ti = run.ti
    return f"airflow-{campaign_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)}"


def bindings(sim) -> list:
    return sim.ledger.entries(platform="nxcloud", kind="binding")


def requests_to(sim, action: str) -> int:
    return sim.requests.count("nxcloud", f"pns_{action}")


# ----- binding exactly once ----------------------------------------------------------------------


def test_bind_returns_the_binding_and_records_it_done(nxcloud_simulator, task_run):
    result = binder(record=True).execute(task_run.context())

    [entry] = bindings(nxcloud_simulator)
    reference = default_reference(task_run)
    assert result == {
        "bind_id": entry.vendor_id,
        "did": SG_POOL[0],
        "customer_bind_id": reference,
        "mode": "AXB",
        "expire_seconds": 3600,
        "created": True,
    }
    assert (entry.recipient, entry.content, entry.client_reference) == (f"{A}-{B}", "AXB", reference)
    assert entry.details["flag"] == 1 and entry.details["expire_seconds"] == 3600
    assert task_run.store.values[RECORD_KEY]["state"] == "done"
    assert requests_to(nxcloud_simulator, "getAXBList") == 0  # a first try has nothing to look up
    json.dumps(result)


def test_done_on_retry_returns_it_without_a_request(nxcloud_simulator, task_run):
    first = binder().execute(task_run.context())
    sent = nxcloud_simulator.requests.total()

    again = binder().execute(task_run.retry())
    assert nxcloud_simulator.requests.total() == sent
    assert again == {**first, "created": False}
    assert len(bindings(nxcloud_simulator)) == 1


def test_a_retried_bind_never_creates_a_second_binding(nxcloud_simulator, task_run):
    sim = nxcloud_simulator
    # try 1: the bind is accepted but its reply is lost, and every lookup attempt fails
    sim.faults.next("reset_after", endpoint="pns_bindAXB", platform="nxcloud")
    sim.faults.next("http_503", 4, endpoint="pns_getAXBList", platform="nxcloud")
    with pytest.raises(RetryableAPIError) as first_try:
        binder().execute(task_run.context())
    assert first_try.value.endpoint == "pns_getAXBList"
    assert task_run.store.values[RECORD_KEY]["state"] == "in_flight"
    assert len(bindings(sim)) == 1

    result = binder().execute(task_run.retry())
    reference = default_reference(task_run)
    [entry] = [e for e in bindings(sim) if e.client_reference == reference]
    assert len(bindings(sim)) == 1
    assert (result["bind_id"], result["did"], result["created"]) == (
        entry.vendor_id,
        entry.details["did"],
        False,
    )
    assert requests_to(sim, "bindAXB") == 1
    assert task_run.store.values[RECORD_KEY]["result"]["bind_id"] == entry.vendor_id


def test_a_lost_reply_is_resolved_by_the_lookup_in_the_same_try(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.next("reset_after", endpoint="pns_bindAXB", platform="nxcloud")
    result = binder().execute(task_run.context())

    [entry] = bindings(nxcloud_simulator)
    assert (result["bind_id"], result["created"]) == (entry.vendor_id, False)
    assert (requests_to(nxcloud_simulator, "bindAXB"), requests_to(nxcloud_simulator, "getAXBList")) == (1, 1)


def test_a_lost_request_that_was_not_bound_is_bound_by_the_retry(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.next("reset_before", endpoint="pns_bindAXB", platform="nxcloud")
    with pytest.raises(CreateInDoubtError, match="a retry looks it up again"):
        binder().execute(task_run.context())
    assert bindings(nxcloud_simulator) == []

    result = binder().execute(task_run.retry())
    [entry] = bindings(nxcloud_simulator)
    assert (result["bind_id"], result["created"]) == (entry.vendor_id, True)
    assert requests_to(nxcloud_simulator, "getAXBList") == 2  # after the lost reply, and before binding again


def test_a_vendor_fault_ends_the_try_retryably_and_the_retry_looks_before_binding(
    nxcloud_simulator, task_run
):
    nxcloud_simulator.faults.next("vendor_busy", endpoint="pns_bindAXB", platform="nxcloud")
    with pytest.raises(RetryableAPIError) as busy:
        binder().execute(task_run.context())
    assert (busy.value.code, busy.value.disposition) == ("10009", Disposition.RETRY)

    binder().execute(task_run.retry())
    assert len(bindings(nxcloud_simulator)) == 1
    assert requests_to(nxcloud_simulator, "getAXBList") == 1


def test_the_lookup_ignores_another_a_numbers_binding_with_the_same_key(nxcloud_simulator, task_run):
    binder(phone_a=C, customer_bind_id="shared").execute(TaskRun(task_id="other").context())
    task_run.store.set(RECORD_KEY, {"state": "in_flight", "customer_bind_id": "shared"})
    result = binder(customer_bind_id="shared").execute(task_run.retry())
    assert result["created"] is True
    assert [e.recipient for e in bindings(nxcloud_simulator)] == [f"{C}-{B}", f"{A}-{B}"]


def test_mapped_instances_bind_under_distinct_keys(nxcloud_simulator):
    first = binder(phone_b=B).execute(TaskRun(map_index=0).context())
    second = binder(phone_b=C).execute(TaskRun(map_index=1).context())
    assert first["customer_bind_id"] != second["customer_bind_id"]
    assert first["did"] != second["did"]  # both involve A


def test_exhausted_pool_fails_at_once_with_guidance(nxcloud_simulator):
    for i in range(len(SG_POOL)):
        binder(phone_b=f"659100010{i}").execute(TaskRun(map_index=i).context())
    run = TaskRun(map_index=99)
    with pytest.raises(AirflowFailException) as failed:
        binder().execute(run.context())
    cause = failed.value.__cause__
    assert isinstance(cause, PermanentAPIError) and cause.code == "10010"
    assert "Virtual numbers exhausted" in str(failed.value) and "buy more virtual numbers" in str(
        failed.value
    )
    assert "unbind" in str(failed.value)
    assert RECORD_KEY not in run.store.values  # refused: nothing is in flight


def test_extension_mode_binds_on_the_given_number(nxcloud_simulator, task_run):
    result = binder(mode="AXB_EXTENSION", phone_x=f"+{SG_POOL[1]}", extension="007").execute(
        task_run.context()
    )
    assert (result["did"], result["mode"]) == (SG_POOL[1], "AXB_EXTENSION")
    [entry] = bindings(nxcloud_simulator)
    assert (entry.endpoint, entry.details["extension"]) == ("pns_bindAXBExtension", "007")
    routed = NXCloudQueryBindingOperator(task_id="q", caller=A, did=SG_POOL[1], extension="007").execute({})
    assert (routed["callee"], routed["bindType"]) == (B, 4)


def test_expire_seconds_takes_a_timedelta(nxcloud_simulator, task_run):
    result = binder(expire_seconds=dt.timedelta(hours=2)).execute(task_run.context())
    assert result["expire_seconds"] == 7200
    assert bindings(nxcloud_simulator)[0].details["expire_seconds"] == 7200


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"mode": "AXC"}, "mode"),
        ({"phone_b": None}, "phone_b"),
        ({"phone_a": "12345"}, "phone_a"),
        ({"phone_a": "91000001"}, "phone_a"),  # no country code
        ({"phone_b": "85291234567"}, "phone_b"),
        ({"phone_b": "+65 9100 0001"}, "phone_b"),  # phone_a written otherwise
        ({"extension": "123"}, "extension"),
        ({"group_id": "7"}, "group_id"),
        ({"mode": "AXB_EXTENSION", "extension": "123"}, "phone_x"),
        ({"mode": "AXB_EXTENSION", "phone_x": SG_POOL[0], "extension": "12"}, "extension"),
        ({"mode": "AXB_EXTENSION", "phone_x": "85235753352", "extension": "123"}, "phone_x"),
        ({"mode": "AXB_EXTENSION", "phone_x": "3158 0001", "extension": "123"}, "phone_x"),
        ({"mode": "AXG", "phone_b": None}, "group_id"),
        ({"expire_seconds": -1}, "expire_seconds"),
        ({"expire_seconds": "soon"}, "expire_seconds"),
        ({"expire_seconds": dt.timedelta(seconds=1.5)}, "expire_seconds"),
        ({"record": "yes"}, "record"),
        ({"customer_bind_id": "x" * 65}, "customer_bind_id"),
    ],
)
def test_bad_bind_input_names_the_parameter_and_sends_nothing(nxcloud_simulator, task_run, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        binder(**kwargs).execute(task_run.context())
    assert isinstance(failed.value.__cause__, InvalidInputError)
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0
    assert task_run.store.values == {}


def test_constructor_stores_arguments_unchanged_and_sends_nothing(nxcloud_simulator):
    op = binder(mode="{{ params.mode }}", expire_seconds="{{ params.ttl }}", phone_a="{{ params.a }}")
    assert (op.mode, op.expire_seconds, op.phone_a) == (
        "{{ params.mode }}",
        "{{ params.ttl }}",
        "{{ params.a }}",
    )
    assert set(op.template_fields) >= {"mode", "phone_a", "phone_b", "customer_bind_id", "expire_seconds"}
    assert nxcloud_simulator.requests.total() == 0


def test_bind_can_be_mapped_over_numbers():
    from airflow.sdk import DAG

    with DAG("pns_mapping", schedule=None):
        mapped = NXCloudBindNumberOperator.partial(task_id="bind", phone_a=A, expire_seconds=0).expand(
            phone_b=[B, C]
        )
    assert mapped.task_id == "bind"


# ----- vendor codes as typed errors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "body", "code"),
    [
        ("pns_bindAXB", {"phoneB": B, "expireSecond": 0}, "10001"),
        ("pns_bindAXB", {"phoneA": A, "phoneB": A, "expireSecond": 0}, "10002"),
        ("pns_bindAXB", {"phoneA": "12025550123", "phoneB": "12025550124", "expireSecond": 0}, "10004"),
        ("pns_getAXBList", {"limit": 1001, "offset": 0}, "10011"),
        ("pns_getAXBList", {"limit": 10, "offset": -1}, "10012"),
        ("pns_unbindAXB", {"bindId": "404"}, "10013"),
        ("pns_queryAXB", {"caller": A, "did": SG_POOL[0]}, "10013"),
        ("pns_unbindAXB", {}, "1002"),
    ],
)
def test_pns_codes_fail_without_retry(nxcloud_simulator, endpoint, body, code):
    with pytest.raises(PermanentAPIError) as failed:
        NXCloudHook().call(endpoint, body)
    assert (failed.value.code, failed.value.disposition) == (code, Disposition.FAIL)
    assert failed.value.service == ("common" if len(code) == 4 else "pns")  # 1001-1005 are shared
    assert f"code {code}" in str(failed.value) and failed.value.meaning.split(":")[0] in str(failed.value)
    assert nxcloud_simulator.requests.total() == 1  # a refusal is not repeated in the hook


def test_account_without_virtual_numbers_fails_with_10008(monkeypatch, task_run):
    with run_simulator(nxcloud=NXCloudAccount(pns_virtual_numbers=())) as sim:
        for name, value in sim.connection_env().items():
            monkeypatch.setenv(name, value)
        with pytest.raises(AirflowFailException, match=r"10008.*buy virtual numbers") as failed:
            binder().execute(task_run.context())
    assert failed.value.__cause__.disposition is Disposition.FAIL


def test_a_country_without_virtual_numbers_fails_with_10004(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="10004") as failed:
        binder(phone_a="12025550123", phone_b="12025550124").execute(task_run.context())
    assert failed.value.__cause__.code == "10004"
    assert RECORD_KEY not in task_run.store.values


# ----- unbind, query, list -----------------------------------------------------------------------


def unbinder(**kwargs) -> NXCloudUnbindNumberOperator:
    return NXCloudUnbindNumberOperator(task_id="unbind", **kwargs)


def test_unbind_by_bind_id_then_again_is_missing_ok(nxcloud_simulator, task_run, capsys):
    bind_id = binder().execute(task_run.context())["bind_id"]
    assert unbinder(bind_id=bind_id).execute({}) == {
        "bind_id": bind_id,
        "customer_bind_id": None,
        "unbound": True,
    }
    assert NXCloudListBindingsOperator(task_id="l").execute({})["total"] == 0

    assert unbinder(bind_id=bind_id).execute({})["unbound"] is False
    assert "already unbound or expired" in capsys.readouterr().out
    with pytest.raises(AirflowFailException, match="missing_ok=True") as failed:
        unbinder(bind_id=bind_id, missing_ok=False).execute({})
    assert failed.value.__cause__.code == "10013"


def test_unbind_by_customer_bind_id(nxcloud_simulator, task_run):
    reference = binder().execute(task_run.context())["customer_bind_id"]
    assert unbinder(customer_bind_id=reference).execute({})["unbound"] is True
    assert NXCloudListBindingsOperator(task_id="l").execute({})["total"] == 0


def test_unbind_whose_reply_is_lost_is_repeated_safely(nxcloud_simulator, task_run):
    bind_id = binder().execute(task_run.context())["bind_id"]
    nxcloud_simulator.faults.next("reset_after", endpoint="pns_unbindAXB", platform="nxcloud")
    assert unbinder(bind_id=bind_id, missing_ok=False).execute({})["unbound"] is True
    assert requests_to(nxcloud_simulator, "unbindAXB") == 2
    assert NXCloudListBindingsOperator(task_id="l").execute({})["total"] == 0


def test_unbind_lost_twice_is_left_to_airflow_retries(nxcloud_simulator, task_run):
    bind_id = binder().execute(task_run.context())["bind_id"]
    nxcloud_simulator.faults.next("reset_after", 2, endpoint="pns_unbindAXB", platform="nxcloud")
    with pytest.raises(RetryableAPIError, match="safe to repeat"):
        unbinder(bind_id=bind_id).execute({})
    assert unbinder(bind_id=bind_id).execute({})["unbound"] is False  # the retry: done already


@pytest.mark.parametrize(
    "kwargs", [{}, {"bind_id": "1", "customer_bind_id": "c"}, {"bind_id": " ", "customer_bind_id": None}]
)
def test_unbind_needs_exactly_one_id(nxcloud_simulator, kwargs):
    with pytest.raises(AirflowFailException, match=r"^bind_id: give exactly one"):
        unbinder(**kwargs).execute({})
    assert nxcloud_simulator.requests.total() == 0


def test_query_returns_the_routing_data(nxcloud_simulator, task_run):
    did = binder(record=True).execute(task_run.context())["did"]
    data = NXCloudQueryBindingOperator(task_id="q", caller="+65 9100 0002", did=did).execute({})
    assert (data["callee"], data["flag"], data["bindType"]) == (A, 1, 1) and data["callId"]
    assert NXCloudQueryBindingOperator(task_id="q", caller="91000001", did=did).execute({})["callee"] == B
    with pytest.raises(AirflowFailException, match="No binding exists") as failed:
        NXCloudQueryBindingOperator(task_id="q", caller=C, did=did).execute({})
    assert failed.value.__cause__.code == "10013"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"caller": "12"}, "caller"),
        ({"caller": "65-abc"}, "caller"),
        ({"did": "35753352"}, "did"),
        ({"did": "9993158000"}, "did"),
        ({"extension": "1234"}, "extension"),
    ],
)
def test_bad_query_input_sends_nothing(nxcloud_simulator, kwargs, parameter):
    kwargs = {"caller": A, "did": SG_POOL[0], **kwargs}
    with pytest.raises(AirflowFailException) as failed:
        NXCloudQueryBindingOperator(task_id="q", **kwargs).execute({})
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_list_pages_and_writes_every_binding(nxcloud_simulator, tmp_path):
    for i in range(3):
        binder(phone_b=f"659100020{i}").execute(TaskRun(map_index=i).context())
    results = tmp_path / "out" / "bindings.jsonl"
    summary = NXCloudListBindingsOperator(task_id="l", limit=2, results_path=str(results)).execute({})
    assert requests_to(nxcloud_simulator, "getAXBList") == 2
    lines = list(read_results(results))
    assert [line["bindId"] for line in lines] == [e.vendor_id for e in bindings(nxcloud_simulator)]
    assert summary == {"total": 3, "listed": 3, "bindings": lines, "results_path": str(results)}

    capped = NXCloudListBindingsOperator(task_id="l", limit=2, max_items=1).execute({})
    assert (capped["listed"], len(capped["bindings"]), capped["results_path"]) == (1, 1, None)


def test_list_keeps_a_small_sample_in_xcom(nxcloud_simulator):
    for i in range(12):
        binder(phone_a=f"65910003{i:02d}", phone_b=f"65910004{i:02d}").execute(TaskRun(map_index=i).context())
    summary = NXCloudListBindingsOperator(task_id="l").execute({})
    assert (summary["total"], summary["listed"], len(summary["bindings"])) == (12, 12, 10)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"max_items": 0}, "max_items")],
)
def test_bad_list_input_sends_nothing(nxcloud_simulator, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        NXCloudListBindingsOperator(task_id="l", **kwargs).execute({})
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0


def test_hook_finds_a_binding_by_its_key_and_a_number(nxcloud_simulator):
    binder(customer_bind_id="k1").execute(TaskRun().context())
    hook = NXCloudHook()
    assert hook.find_pns_binding("k1")["phoneA"] == A
    assert hook.find_pns_binding("k1", C) is None
    assert hook.find_pns_binding("k2") is None
    with pytest.raises(InvalidInputError, match="page_size"):
        next(hook.pns_pages("pns_getAXBList", 0))


# ----- number groups -----------------------------------------------------------------------------


def test_group_lifecycle_and_an_axg_binding(nxcloud_simulator, task_run):
    created = NXCloudCreateNumberGroupOperator(
        task_id="g", phones=[B, "+65 9100 0003"], group_name="agents", remark="day"
    ).execute({})
    group_id = created["group_id"]
    assert created == {"group_id": group_id, "group_name": "agents", "phones": 2}

    NXCloudUpdateNumberGroupOperator(task_id="u", group_id=group_id, operation="add", phones=D).execute({})
    NXCloudUpdateNumberGroupOperator(task_id="u", group_id=group_id, operation="delete", phones=[B]).execute(
        {}
    )
    listed = NXCloudListNumberGroupsOperator(task_id="l").execute({})
    assert listed["total"] == 1 and listed["groups"][0]["phones"] == f"{C},{D}"

    result = binder(mode="AXG", phone_b=D, group_id=group_id).execute(task_run.context())
    assert bindings(nxcloud_simulator)[0].content == "AXG"
    routed = NXCloudQueryBindingOperator(task_id="q", caller=C, did=result["did"]).execute({})
    assert routed["callee"] == A

    replaced = NXCloudUpdateNumberGroupOperator(
        task_id="u", group_id=group_id, operation="replace", phones=f"{B},{C}"
    ).execute({})
    assert replaced == {"group_id": group_id, "operation": "replace", "phones": 2}
    assert NXCloudDeleteNumberGroupOperator(task_id="d", group_id=group_id).execute({})["deleted"] is True
    assert NXCloudListNumberGroupsOperator(task_id="l").execute({}) == {"total": 0, "groups": []}


def test_unknown_group_fails_without_retry(nxcloud_simulator):
    with pytest.raises(AirflowFailException, match="code 1002") as failed:
        NXCloudDeleteNumberGroupOperator(task_id="d", group_id="404").execute({})
    assert failed.value.__cause__.disposition is Disposition.FAIL


@pytest.mark.parametrize(
    ("operator", "kwargs", "parameter"),
    [
        (NXCloudCreateNumberGroupOperator, {"phones": [B, "12345"]}, "phones: entry 2"),
        (NXCloudCreateNumberGroupOperator, {"phones": []}, "phones"),
        (NXCloudUpdateNumberGroupOperator, {"group_id": "1", "operation": "merge", "phones": B}, "operation"),
        (NXCloudUpdateNumberGroupOperator, {"group_id": "", "operation": "add", "phones": B}, "group_id"),
        (NXCloudDeleteNumberGroupOperator, {"group_id": None}, "group_id"),
        (NXCloudListNumberGroupsOperator, {"limit": 5000}, "limit"),
    ],
)
def test_bad_group_input_sends_nothing(nxcloud_simulator, operator, kwargs, parameter):
    with pytest.raises(AirflowFailException) as failed:
        operator(task_id="g", **kwargs).execute({})
    assert str(failed.value).startswith(parameter)
    assert nxcloud_simulator.requests.total() == 0
