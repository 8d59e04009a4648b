"""NXCloud privacy numbers (PNS, generation A) in the simulator: binds, DID pool, expiry, unbind, query, list, groups."""

from __future__ import annotations

import pytest

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing.accounts import NXCLOUD_PNS_VIRTUAL_NUMBERS, NXCloudAccount
from airflow_provider_nxcloud.testing.server import run_simulator
from tests.testing.clients import nx_signed

A, B, C, D = "6591000001", "6591000002", "6591000003", "6591000004"
SG_POOL = [n for n in NXCLOUD_PNS_VIRTUAL_NUMBERS if n.startswith("65")]


def pns(url: str, action: str, body: dict) -> dict:
    return nx_signed(url, f"pns_{action}", body).json()


def bind(url: str, a: str = A, b: str = B, **extra) -> dict:
    return pns(url, "bindAXB", {"phoneA": a, "phoneB": b, "expireSecond": 0, **extra})


def listed(url: str, **page) -> dict:
    return pns(url, "getAXBList", {"limit": 1000, "offset": 0, **page})["data"]


def assert_code(reply: dict, code: int) -> None:
    assert reply["code"] == code, reply
    assert reply["msg"].startswith(lookup_code("nxcloud", "pns", code).meaning)
    assert reply["requestId"]


def test_bind_axb_picks_a_virtual_number_and_records_a_binding(nxcloud_simulator):
    reply = bind(nxcloud_simulator.url, customerBindId="order-1", flag=1, expireSecond=3600)
    assert (reply["code"], reply["msg"]) == (0, "success") and reply["requestId"]
    assert set(reply["data"]) == {"bindId", "did"} and reply["data"]["did"] == SG_POOL[0]
    [entry] = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="binding")
    assert (entry.recipient, entry.content, entry.vendor_id, entry.client_reference, entry.endpoint) == (
        f"{A}-{B}",
        "AXB",
        reply["data"]["bindId"],
        "order-1",
        "pns_bindAXB",
    )
    assert entry.details["did"] == SG_POOL[0] and entry.details["flag"] == 1 and entry.status == "active"
    assert nxcloud_simulator.requests.count("nxcloud", "pns_bindAXB") == 1


def test_a_number_gets_a_different_virtual_number_per_binding(nxcloud_simulator):
    url = nxcloud_simulator.url
    first, second = bind(url)["data"]["did"], bind(url, A, C)["data"]["did"]
    other = bind(url, "6591000009", D)["data"]["did"]  # neither uses the first number
    assert first != second and other == first


def test_pool_exhausted_for_a_number_is_10010_until_one_is_unbound(nxcloud_simulator):
    url = nxcloud_simulator.url
    replies = [bind(url, A, f"659100010{i}") for i in range(len(SG_POOL))]
    assert sorted(r["data"]["did"] for r in replies) == sorted(SG_POOL)
    assert_code(bind(url, A, B), 10010)
    assert "buy" in lookup_code("nxcloud", "pns", 10010).meaning
    assert pns(url, "unbindAXB", {"bindId": replies[2]["data"]["bindId"]})["code"] == 0
    assert bind(url, A, B)["data"]["did"] == replies[2]["data"]["did"]
    assert nxcloud_simulator.ledger.count(kind="binding") == len(SG_POOL) + 1


def test_bindings_expire_on_the_progress_clock(nxcloud_simulator):
    url, sim = nxcloud_simulator.url, nxcloud_simulator
    sim.clock.set_time_scale(0)
    reply = bind(url, expireSecond=60)
    row = listed(url)["bindList"][0]
    assert row["expireAt"] >= int(sim.clock.now()) + 59
    assert pns(url, "queryAXB", {"caller": A, "did": reply["data"]["did"]})["code"] == 0
    sim.clock.advance(61)
    assert listed(url) == {"bindList": [], "total": 0}
    assert_code(pns(url, "queryAXB", {"caller": A, "did": reply["data"]["did"]}), 10013)
    assert_code(pns(url, "unbindAXB", {"bindId": reply["data"]["bindId"]}), 10013)
    assert sim.ledger.entries(kind="binding")[0].status == "expired"
    assert bind(url)["data"]["did"] == reply["data"]["did"]  # the number is free again


def test_never_expiring_binding_lists_expire_at_zero(nxcloud_simulator):
    bind(nxcloud_simulator.url)
    assert listed(nxcloud_simulator.url)["bindList"][0]["expireAt"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phoneB": B, "expireSecond": 0}, 10001),
        ({"phoneA": A, "phoneB": " ", "expireSecond": 0}, 10001),
        ({"phoneA": A, "phoneB": A, "expireSecond": 0}, 10002),
        ({"phoneA": A, "phoneB": "85291234567", "expireSecond": 0}, 10004),
        ({"phoneA": "12025550123", "phoneB": "12025550124", "expireSecond": 0}, 10004),
        ({"phoneA": A, "phoneB": B}, 1002),
        ({"phoneA": A, "phoneB": B, "expireSecond": -1}, 1002),
        ({"phoneA": A, "phoneB": B, "expireSecond": 0, "flag": "x"}, 1002),
        ({"phoneA": "+65 9100 0001", "phoneB": B, "expireSecond": 0}, 1002),
        ({"phoneA": A, "phoneB": B, "expireSecond": 0, "customerBindId": 7}, 1002),
    ],
)
def test_bind_axb_codes(nxcloud_simulator, body, code):
    assert_code(pns(nxcloud_simulator.url, "bindAXB", body), code)
    assert nxcloud_simulator.ledger.count() == 0


def test_an_account_without_virtual_numbers_answers_10008():
    with run_simulator(nxcloud=NXCloudAccount(pns_virtual_numbers=())) as sim:
        assert_code(bind(sim.url), 10008)
        assert sim.ledger.count() == 0


def test_customer_bind_id_is_not_deduplicated(nxcloud_simulator):
    url = nxcloud_simulator.url
    first, second = bind(url, customerBindId="same"), bind(url, customerBindId="same")
    assert first["data"]["bindId"] != second["data"]["bindId"]
    assert [e.client_reference for e in nxcloud_simulator.ledger.entries(kind="binding")] == ["same", "same"]
    # unbinding by customerBindId ends every active binding with it
    assert pns(url, "unbindAXB", {"customerBindId": "same"})["code"] == 0
    assert listed(url)["total"] == 0


def test_unbind_codes(nxcloud_simulator):
    url = nxcloud_simulator.url
    bind_id = bind(url)["data"]["bindId"]
    assert_code(pns(url, "unbindAXB", {}), 1002)
    assert_code(pns(url, "unbindAXB", {"bindId": "1" * 19}), 10013)
    assert_code(pns(url, "unbindAXB", {"customerBindId": "nobody"}), 10013)
    reply = pns(url, "unbindAXB", {"bindId": bind_id})
    assert (reply["code"], reply["msg"]) == (0, "success")
    assert_code(pns(url, "unbindAXB", {"bindId": bind_id}), 10013)


def test_query_routes_each_party_to_the_other_in_seed_003_shape(nxcloud_simulator):
    url = nxcloud_simulator.url
    did = bind(url, flag=1)["data"]["did"]
    reply = pns(url, "queryAXB", {"caller": A, "did": did})
    assert reply["code"] == 0
    data = reply["data"]
    assert set(data) == {
        "callee",
        "callId",
        "flag",
        "audioWhenCallFail",
        "bindType",
        "audioWhenDtmfNeed",
        "audioWhenDtmfErr",
    }
    assert (data["callee"], data["flag"], data["bindType"]) == (B, 1, 1)
    # the caller's country code is optional
    assert pns(url, "queryAXB", {"caller": B[2:], "did": did})["data"]["callee"] == A
    assert_code(pns(url, "queryAXB", {"caller": C, "did": did}), 10013)
    assert_code(pns(url, "queryAXB", {"caller": A, "did": SG_POOL[-1]}), 10013)
    assert_code(pns(url, "queryAXB", {"caller": "", "did": did}), 1002)


def test_extension_binding_shares_the_virtual_number(nxcloud_simulator):
    url, x = nxcloud_simulator.url, SG_POOL[0]
    body = {"phoneA": A, "phoneB": B, "phoneX": x, "extension": "123", "expireSecond": 0}
    first = pns(url, "bindAXBExtension", body)
    second = pns(url, "bindAXBExtension", {**body, "phoneA": C, "phoneB": D, "extension": "124"})
    assert first["data"]["did"] == second["data"]["did"] == x
    assert_code(pns(url, "bindAXBExtension", body), 1002)  # X + 123 is taken
    data = pns(url, "queryAXB", {"caller": A, "did": x, "extension": "123"})["data"]
    assert (data["callee"], data["bindType"], data["extension"]) == (B, 4, "123")
    assert pns(url, "queryAXB", {"caller": C, "did": x, "extension": "124"})["data"]["callee"] == D
    assert_code(pns(url, "queryAXB", {"caller": A, "did": x}), 10013)  # no plain binding on X
    assert listed(url)["bindList"][1]["extension"] == "124"
    assert [e.content for e in nxcloud_simulator.ledger.entries(kind="binding")] == ["AXB_EXTENSION"] * 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"phoneA": ""}, 10001),
        ({"phoneX": "6561234567"}, 1002),
        ({"extension": "12"}, 1002),
        ({"extension": None}, 1002),
        ({"phoneA": "85291234567"}, 10004),
    ],
)
def test_extension_codes(nxcloud_simulator, change, code):
    body = {"phoneA": A, "phoneX": SG_POOL[0], "extension": "123", "expireSecond": 0, **change}
    assert_code(
        pns(nxcloud_simulator.url, "bindAXBExtension", {k: v for k, v in body.items() if v is not None}), code
    )


def test_groups_create_list_update_delete(nxcloud_simulator):
    url = nxcloud_simulator.url
    created = pns(url, "createGroup", {"phones": f"{B},{C}", "groupName": "agents", "remark": "day shift"})
    assert created["code"] == 0 and "data" not in created
    group_id = created["groupId"]  # top level, not in data
    [group] = pns(url, "listGroup", {"limit": 0, "offset": 0})["data"]["groups"]
    assert group == {
        "customerId": group["customerId"],
        "groupName": "agents",
        "groupId": group_id,
        "phones": f"{B},{C}",
        "remark": "day shift",
    }

    def phones() -> str:
        return pns(url, "listGroup", {"limit": 10, "offset": 0})["data"]["groups"][0]["phones"]

    assert pns(url, "updateGroup", {"groupId": group_id, "operateType": 0, "phones": f"{C},{D}"})["code"] == 0
    assert phones() == f"{B},{C},{D}"
    pns(url, "updateGroup", {"groupId": group_id, "operateType": 1, "phones": B})
    assert phones() == f"{C},{D}"
    pns(url, "updateGroup", {"groupId": group_id, "operateType": 2, "phones": B})
    assert phones() == B
    assert_code(pns(url, "updateGroup", {"groupId": group_id, "operateType": 3, "phones": B}), 1002)
    assert_code(pns(url, "updateGroup", {"groupId": "404", "operateType": 0, "phones": B}), 1002)
    assert pns(url, "deleteGroup", {"groupId": group_id})["code"] == 0
    assert pns(url, "listGroup", {"limit": 0, "offset": 0})["data"] == {"groups": [], "total": 0}
    assert_code(pns(url, "deleteGroup", {"groupId": group_id}), 1002)
    assert_code(pns(url, "createGroup", {"phones": ""}), 1002)
    assert_code(pns(url, "createGroup", {"phones": "65-9100"}), 1002)


def test_axg_binds_a_to_a_group(nxcloud_simulator):
    url = nxcloud_simulator.url
    group_id = pns(url, "createGroup", {"phones": f"{B},{C}"})["groupId"]
    body = {"phoneA": A, "groupId": group_id, "expireSecond": 0}
    reply = pns(url, "bindAXG", {**body, "phoneB": C})
    did = reply["data"]["did"]
    assert pns(url, "queryAXB", {"caller": B, "did": did})["data"]["callee"] == A
    data = pns(url, "queryAXB", {"caller": A, "did": did})["data"]
    assert (data["callee"], data["bindType"]) == (C, 2)
    # a member's other binding avoids the number the group uses
    assert bind(url, B, D)["data"]["did"] != did
    [entry] = nxcloud_simulator.ledger.entries(kind="binding")[:1]
    assert (entry.recipient, entry.content) == (f"{A}-{C}", "AXG")
    assert_code(pns(url, "bindAXG", {**body, "groupId": "404"}), 1002)
    assert_code(pns(url, "bindAXG", {**body, "phoneB": D}), 1002)
    assert_code(pns(url, "bindAXG", {"phoneA": A, "expireSecond": 0}), 1002)
    assert_code(pns(url, "bindAXG", {**body, "phoneX": did}), 1002)  # already A's with this group
    assert pns(url, "bindAXG", {**body, "phoneX": SG_POOL[-1]})["data"]["did"] == SG_POOL[-1]


def test_list_pages_and_range_codes(nxcloud_simulator):
    url = nxcloud_simulator.url
    ids = [
        bind(url, f"659100020{i}", f"659100030{i}", customerBindId=f"c{i}")["data"]["bindId"]
        for i in range(3)
    ]
    page = listed(url, limit=2, offset=1)
    # total: the bindings returned, this page's count (PNS-API-list), not all of them
    assert page["total"] == 2 and [row["bindId"] for row in page["bindList"]] == ids[1:]
    assert set(page["bindList"][0]) == {
        "customerId",
        "businessId",
        "bindId",
        "customerBindId",
        "phoneA",
        "phoneB",
        "did",
        "flag",
        "expireAt",
        "extension",
    }
    assert [row["customerBindId"] for row in listed(url, limit=0)["bindList"]] == ["c0", "c1", "c2"]
    assert listed(url, offset=5)["bindList"] == []
    assert_code(pns(url, "getAXBList", {"limit": 1001, "offset": 0}), 10011)
    assert_code(pns(url, "getAXBList", {"limit": -1, "offset": 0}), 10011)
    assert_code(pns(url, "getAXBList", {"limit": 10, "offset": -1}), 10012)
    assert_code(pns(url, "listGroup", {"limit": 1001, "offset": 0}), 10011)
    # both are required unsigned integers (PNS-API-list, -list-G): missing or text is a parameter error
    assert_code(pns(url, "getAXBList", {"offset": 0}), 1002)
    assert_code(pns(url, "listGroup", {"limit": 10}), 1002)
    assert_code(pns(url, "listGroup", {"limit": 10, "offset": "1"}), 1002)


def test_vendor_busy_fault_answers_10009_and_binds_nothing(nxcloud_simulator):
    nxcloud_simulator.faults.next("vendor_busy", endpoint="pns_bindAXB", platform="nxcloud")
    assert_code(bind(nxcloud_simulator.url), 10009)
    assert nxcloud_simulator.ledger.count() == 0
    assert bind(nxcloud_simulator.url)["code"] == 0
