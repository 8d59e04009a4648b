"""NXCloud privacy numbers (PNS) and chat channels held to the vendor's own pages.

(a) every request the provider builds for these endpoints, driven as a user would (operators,
their senders, the hook), captured at the transport, satisfies its documented contract;
(b) every documented example reply parses to the right result; (c) the simulator refuses a
request that leaves out a documented required field with the vendor's parameter-error code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.operators.nxcloud_chat import (
    NXCloudSendViberOperator,
    NXCloudSendWhatsAppOperator,
    NXCloudSendZaloOperator,
)
from airflow_provider_nxcloud.operators.nxcloud_pns import (
    NXCloudBindNumberOperator,
    NXCloudCreateNumberGroupOperator,
    NXCloudDeleteNumberGroupOperator,
    NXCloudListBindingsOperator,
    NXCloudListNumberGroupsOperator,
    NXCloudQueryBindingOperator,
    NXCloudUnbindNumberOperator,
    NXCloudUpdateNumberGroupOperator,
)
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.testing import accounts
from tests.contracts.capture import assert_holds, contract_for, vendor_network
from tests.operators.conftest import TaskRun
from tests.testing.clients import nx_signed

A, B, C = "6591000001", "6591000002", "6591000003"
X = "6580000001"
PNS_URL = "https://number.nxcloud.com/api/pns/"
APP_KEYS = {"whatsapp_app_key": "wa-app", "viber_app_key": "viber-app", "zalo_app_key": "zalo-app"}
#: ASSUMPTION (the Zalo send page's reply was not readable): the sibling channels' shape
ZALO_ASSUMED_REPLY = {"code": 0, "message": "Success", "data": {"requestId": "zalomid.a941ccf8dd374daf"}}

PNS_ENDPOINTS = [name for name in nxcloud.ENDPOINTS if name.startswith("pns_")]
CHAT_ENDPOINTS = ["whatsapp_send", "viber_send", "zalo_send"]


@pytest.fixture
def nxcloud_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real nxcloud connection without a host override: every endpoint goes to its vendor origin."""
    conn = {"conn_type": "nxcloud", "login": "nx-access-key", "password": "nx-secret", "extra": APP_KEYS}
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))


def example(endpoint: str) -> Any:
    return contract_for(nxcloud.ENDPOINTS[endpoint]).example_reply


def captured(network: Any, endpoint: str) -> dict[str, Any]:
    """The one request to ``endpoint``: sent where and as the vendor documents, its payload held to the contract."""
    spec = nxcloud.ENDPOINTS[endpoint]
    requests = [r for r in network.request_history if r.headers.get("action") == spec.action]
    assert len(requests) == 1, [r.headers.get("action") for r in network.request_history]
    [request] = requests
    assert request.method == "POST" and request.headers["bizType"] == spec.biz_type
    assert request.headers["Content-Type"].startswith("application/json")
    return assert_holds(request, spec)


# ----- every endpoint of the scope has a contract with a source ----------------------------------


@pytest.mark.parametrize("endpoint", PNS_ENDPOINTS + CHAT_ENDPOINTS)
def test_every_endpoint_has_a_sourced_contract(endpoint):
    contract = contract_for(nxcloud.ENDPOINTS[endpoint])
    assert contract.source and contract.fields
    assert contract.example_reply is not None or "ASSUMPTION" in contract.notes


@pytest.mark.parametrize("endpoint", PNS_ENDPOINTS)
def test_pns_examples_are_documented_successes(endpoint):
    reply = example(endpoint)
    assert (reply["code"], reply["msg"]) == (0, "success") and reply["requestId"]


# ----- (a) + (b): PNS requests as the operators build them, documented replies parsed ------------


def test_bind_axb_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_bindAXB")) as network:
        result = NXCloudBindNumberOperator(
            task_id="bind", phone_a=A, phone_b=f"+65 {B[2:]}", expire_seconds=3600, record=True
        ).execute(TaskRun().context())
    body = captured(network, "pns_bindAXB")
    assert network.request_history[0].url == PNS_URL
    assert body["phoneA"] == A and body["phoneB"] == B
    assert (body["flag"], body["expireSecond"]) == (1, 3600)  # integers, as documented
    assert body["customerBindId"] == result["customer_bind_id"]
    assert (result["bind_id"], result["did"]) == ("f6e24ebdaf64ef91adb0b60e3b582db0", "85235753351")


def test_bind_extension_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_bindAXBExtension")) as network:
        result = NXCloudBindNumberOperator(
            task_id="bind",
            mode="AXB_EXTENSION",
            phone_a=A,
            phone_b=None,
            phone_x=X,
            extension="101",
            expire_seconds=0,
        ).execute(TaskRun().context())
    body = captured(network, "pns_bindAXBExtension")
    assert (body["phoneX"], body["extension"], body["expireSecond"], body["flag"]) == (X, "101", 0, 0)
    assert "phoneB" not in body
    assert result["bind_id"] == "f6e24ebdaf64ef91adb0b60e3b582db0"


def test_bind_axg_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_bindAXG")) as network:
        result = NXCloudBindNumberOperator(
            task_id="bind",
            mode="AXG",
            phone_a=A,
            phone_b=B,
            group_id=" 1602484f91adb0b60e ",
            expire_seconds=60,
        ).execute(TaskRun().context())
    body = captured(network, "pns_bindAXG")
    assert body["groupId"] == "1602484f91adb0b60e" and isinstance(body["expireSecond"], int)
    assert result["did"] == "85235753351"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"bind_id": "f6e24ebd"}, "bindId"), ({"customer_bind_id": "order-1"}, "customerBindId")],
)
def test_unbind_request_and_reply(nxcloud_connection, kwargs, field):
    with vendor_network(example("pns_unbindAXB")) as network:
        result = NXCloudUnbindNumberOperator(task_id="unbind", **kwargs).execute({})
    assert captured(network, "pns_unbindAXB") == {field: next(iter(kwargs.values()))}
    assert result["unbound"] is True


def test_query_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_queryAXB")) as network:
        data = NXCloudQueryBindingOperator(
            task_id="q", caller="+852 2222 2222", did=X, extension="111"
        ).execute({})
    assert captured(network, "pns_queryAXB") == {"caller": "85222222222", "did": X, "extension": "111"}
    assert (data["callee"], data["callId"], data["bindType"], data["flag"]) == (
        "85211111114",
        "1602233475636793344",
        4,
        0,
    )


def test_list_bindings_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_getAXBList")) as network:
        summary = NXCloudListBindingsOperator(task_id="l", limit=10).execute({})
    assert captured(network, "pns_getAXBList") == {"limit": 10, "offset": 0}
    assert (summary["total"], summary["listed"]) == (1, 1)
    row = summary["bindings"][0]
    assert (row["bindId"], row["customerBindId"], row["did"], row["expireAt"], row["extension"]) == (
        "b8c2aaf940d534d3c9ed8b780757f94e",
        "1",
        "85235753352",
        1670845212,
        "101",
    )


def test_create_group_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_createGroup")) as network:
        result = NXCloudCreateNumberGroupOperator(task_id="g", phones=[A, B, C]).execute({})
    # no name or remark given: none is sent (an empty one is not "no value" to every server)
    assert captured(network, "pns_createGroup") == {"phones": f"{A},{B},{C}"}
    assert result == {"group_id": "6a7sd3402px21429s04", "group_name": "6a7sd3402px21429s04", "phones": 3}


def test_update_and_delete_group_requests(nxcloud_connection):
    with vendor_network(example("pns_updateGroup")) as network:
        NXCloudUpdateNumberGroupOperator(task_id="u", group_id="g1", operation="delete", phones=[A]).execute(
            {}
        )
        NXCloudDeleteNumberGroupOperator(task_id="d", group_id="g1").execute({})
    assert captured(network, "pns_updateGroup") == {"groupId": "g1", "operateType": 1, "phones": A}
    assert captured(network, "pns_deleteGroup") == {"groupId": "g1"}


def test_list_groups_request_and_reply(nxcloud_connection):
    with vendor_network(example("pns_listGroup")) as network:
        result = NXCloudListNumberGroupsOperator(task_id="l", limit=5).execute({})
    assert captured(network, "pns_listGroup") == {"limit": 5, "offset": 0}
    [group] = result["groups"]
    assert (result["total"], group["groupId"], group["phones"]) == (
        1,
        "b8c2aaf940d534d3c9ed8b780757f94e",
        "85211111114,85235753351,85235753311",
    )


def test_list_rows_are_read_from_data_and_from_the_older_top_level_shape():
    reply = example("pns_getAXBList")
    assert [r["bindId"] for r in nxcloud.pns_list_rows("pns_getAXBList", reply)] == [
        "b8c2aaf940d534d3c9ed8b780757f94e"
    ]
    older = {"code": 0, "msg": "success", "bindList": reply["data"]["bindList"], "total": 1}  # Dec 2022 page
    assert nxcloud.pns_list_rows("pns_getAXBList", older) == reply["data"]["bindList"]
    assert nxcloud.pns_group_id(example("pns_createGroup")) == "6a7sd3402px21429s04"
    assert nxcloud.pns_binding(example("pns_bindAXB")) == nxcloud.PnsBinding(
        "f6e24ebdaf64ef91adb0b60e3b582db0", "85235753351"
    )


# ----- finding 10: total is the page's count, so only a short page ends a list -----------------


def page_reply(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": 0, "msg": "success", "requestId": "1", "data": {"bindList": rows, "total": len(rows)}}


def test_a_list_longer_than_a_page_is_read_to_its_short_page(nxcloud_connection):
    rows = [{"bindId": f"b{i}", "customerBindId": f"k{i}", "phoneA": A, "did": X} for i in range(5)]
    with vendor_network() as network:
        network.register_uri(
            "POST",
            PNS_URL,
            [
                {"json": page_reply(rows[0:2])},
                {"json": page_reply(rows[2:4])},
                {"json": page_reply(rows[4:])},
            ],
        )
        hook = NXCloudHook()
        pages = list(hook.pns_pages("pns_getAXBList", 2))
        found = hook.find_pns_binding("k4", A)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [json.loads(r.body)["offset"] for r in network.request_history[:3]] == [0, 2, 4]
    assert found is not None and found["bindId"] == "b4"


def test_the_simulator_answers_the_page_count_and_the_hook_reads_every_page(nxcloud_simulator):
    url = nxcloud_simulator.url
    for i in range(5):
        body = {"phoneA": A, "phoneB": f"659100010{i}", "customerBindId": f"k{i}", "expireSecond": 0}
        assert nx_signed(url, "pns_bindAXB", body).json()["code"] == 0
    first = nx_signed(url, "pns_getAXBList", {"limit": 2, "offset": 0}).json()["data"]
    assert first["total"] == 2 == len(first["bindList"])  # as documented: the bindings returned
    hook = NXCloudHook()
    assert sum(len(page) for page in hook.pns_pages("pns_getAXBList", 2)) == 5
    assert hook.find_pns_binding("k4", A) is not None  # on the third page


def test_a_server_that_ignores_offset_is_not_paged_for_ever(nxcloud_connection):
    rows = [{"bindId": "b0"}, {"bindId": "b1"}]
    with vendor_network(page_reply(rows)), pytest.raises(RuntimeError, match="previous page"):
        list(NXCloudHook().pns_pages("pns_getAXBList", 2))


# ----- (a) + (b): chat requests as the operators' senders build them ------------------------------


def send_through(operator: Any, number: str, reply: Any, endpoint: str) -> tuple[dict[str, Any], str | None]:
    operator.check_content()
    with vendor_network(reply) as network:
        vendor_id = operator.build_sender().send_one(number, "ref-1")
    body = captured(network, endpoint)
    assert (
        network.request_history[0].url
        == nxcloud.ENDPOINTS[endpoint].origin + nxcloud.ENDPOINTS[endpoint].path
    )
    return body, vendor_id


WA = accounts.NXCLOUD_WHATSAPP_BUSINESS_PHONE


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ({"text": "Your order shipped"}, "text"),
        (
            {"media": {"type": "document", "link": "https://cdn.example.com/a.pdf", "filename": "a.pdf"}},
            "document",
        ),
        (
            {
                "template": {
                    "name": "otp_test_02",
                    "language": "zh_CN",
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": 123456}]},
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": 0,
                            "parameters": [{"type": "text", "text": "1"}],
                        },
                    ],
                }
            },
            "template",
        ),
    ],
)
def test_whatsapp_request_and_reply(nxcloud_connection, content, kind):
    operator = NXCloudSendWhatsAppOperator(task_id="wa", business_phone=WA, recipients=[A], **content)
    body, wamid = send_through(operator, A, example("whatsapp_send"), "whatsapp_send")
    assert (body["appkey"], body["business_phone"], body["to"], body["type"]) == ("wa-app", WA, A, kind)
    assert kind in body
    if kind == "template":
        button = body["template"]["components"][1]
        assert button["index"] == "0"  # a string, as the page types it
        assert body["template"]["components"][0]["parameters"][0]["text"] == "123456"
        assert body["template"]["language"] == {"code": "zh_CN", "policy": "deterministic"}
    assert wamid == "gBGHhhdgYFCBnwIJ6QRYvhwQk7Nc"


@pytest.mark.parametrize(
    ("function_type", "data"),
    [
        ("text", {"rateType": "Transactional", "text": "Your code is 989724."}),
        (
            "file",
            {
                "rateType": "Transactional",
                "fileType": "pdf",
                "fileName": "a.pdf",
                "fileLink": "https://x.io/a",
            },
        ),
        (
            "video_text_button",
            {
                "rateType": "Promotional",
                "thumbnail": "https://x.io/t.jpeg",
                "videoSize": "882472",
                "duration": 15,
                "videoLink": "https://x.io/v.mp4",
                "text": "Watch",
                "buttonText": "Open",
            },
        ),
        (
            "text",
            {
                "rateType": "OtpTemplate",
                "templateId": "t1",
                "templateParams": {"code": "1"},
                "templateLang": "en",
            },
        ),
    ],
)
def test_viber_request_and_reply(nxcloud_connection, function_type, data):
    operator = NXCloudSendViberOperator(
        task_id="v", function_type=function_type, message_data=data, recipients=[A]
    )
    body, request_id = send_through(operator, A, example("viber_send"), "viber_send")
    assert (body["appkey"], body["phone"], body["functionType"]) == ("viber-app", A, function_type)
    if "videoSize" in data:
        assert body["messageData"]["videoSize"] == 882472  # a Number, not text
    assert request_id == "b81e8e9fcbbb422a813863e903de94bd"


def test_zalo_request_and_assumed_reply(nxcloud_connection):
    operator = NXCloudSendZaloOperator(
        task_id="z",
        template_id=231235,
        template_data={"customer_name": "Lan", "order_code": "A1"},
        dr_webhook="https://example.com/dr",
        ext="batch-7",
        recipients=["84912345678"],
    )
    body, request_id = send_through(operator, "84912345678", ZALO_ASSUMED_REPLY, "zalo_send")
    assert body == {
        "appkey": "zalo-app",
        "phone": "84912345678",
        "functionType": "template",
        "messageData": {"templateId": "231235", "templateData": {"customer_name": "Lan", "order_code": "A1"}},
        "drWebhook": "https://example.com/dr",
        "ext": "batch-7",
    }
    assert request_id == "zalomid.a941ccf8dd374daf"


def test_a_chat_reply_without_an_id_is_still_an_accepted_send():
    assert nxcloud.chat_request_id({"code": 0, "message": "Success"}) is None
    assert nxcloud.whatsapp_message_id({"code": 0, "data": {"messages": []}}) is None


# ----- (c) the simulator refuses what the pages require, with the vendor's parameter error -------

BIND = {"phoneA": A, "phoneB": B, "expireSecond": 60}


@pytest.mark.parametrize(
    ("endpoint", "body", "problem"),
    [
        ("pns_bindAXB", {k: v for k, v in BIND.items() if k != "expireSecond"}, "expireSecond"),
        ("pns_bindAXB", {**BIND, "expireSecond": "60"}, "expireSecond"),
        ("pns_bindAXB", {**BIND, "phoneA": 6591000001}, "phoneA"),
        ("pns_bindAXBExtension", {"phoneA": A, "phoneX": X, "expireSecond": 0}, "extension"),
        ("pns_bindAXG", {"phoneA": A, "expireSecond": 0}, "groupId"),
        ("pns_getAXBList", {"limit": 10}, "offset"),
        ("pns_listGroup", {"offset": 0}, "limit"),
        ("pns_updateGroup", {"groupId": "g", "phones": A}, "operateType"),
        ("pns_createGroup", {"groupName": "g"}, "phones"),
        ("pns_queryAXB", {"did": X}, "caller"),
    ],
)
def test_pns_simulator_refuses_a_missing_or_mistyped_field_with_1002(
    nxcloud_simulator, endpoint, body, problem
):
    reply = nx_signed(nxcloud_simulator.url, endpoint, body).json()
    assert reply["code"] == 1002 and problem in reply["msg"] and reply["requestId"], reply
    assert nxcloud_simulator.ledger.count(kind="binding") == 0


WHATSAPP = {
    "appkey": accounts.NXCLOUD_WHATSAPP_APP_KEY,
    "business_phone": WA,
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": A,
    "type": "text",
    "text": {"body": "hi"},
}
VIBER = {
    "appkey": accounts.NXCLOUD_VIBER_APP_KEY,
    "phone": A,
    "functionType": "text",
    "messageData": {"rateType": "Transactional", "text": "hi"},
}
ZALO = {
    "appkey": accounts.NXCLOUD_ZALO_APP_KEY,
    "phone": "84912345678",
    "functionType": "template",
    "messageData": {"templateId": "1", "templateData": {"a": "b"}},
}


@pytest.mark.parametrize(
    ("endpoint", "body", "problem"),
    [
        ("whatsapp_send", {k: v for k, v in WHATSAPP.items() if k != "to"}, "to"),
        ("whatsapp_send", {**WHATSAPP, "text": {"preview_url": True}}, "text.body"),
        ("viber_send", {**VIBER, "messageData": {"text": "hi"}}, "rateType"),
        ("viber_send", {**VIBER, "functionType": "text_button"}, "buttonText"),
        ("zalo_send", {**ZALO, "messageData": {"templateId": "1"}}, "templateData"),
        ("zalo_send", {**ZALO, "drWebhook": "https://x.io/" + "a" * 256}, "drWebhook"),
    ],
)
def test_chat_simulator_refuses_a_missing_field_with_9000(nxcloud_simulator, endpoint, body, problem):
    reply = nx_signed(nxcloud_simulator.url, endpoint, body).json()
    assert reply["code"] == 9000 and problem in reply["message"], reply
    assert nxcloud_simulator.ledger.count() == 0


def test_the_documented_example_bodies_pass_their_contracts():
    """The pages' own request examples hold (the contracts are no stricter than the vendor)."""
    examples = {
        "pns_bindAXB": {
            "phoneA": "85211111114",
            "phoneB": "85222222222",
            "customerBindId": "1",
            "expireSecond": 1011,
        },
        "pns_bindAXBExtension": {
            "phoneA": "446075363777",
            "phoneB": "448646607772",
            "phoneX": "447401264117",
            "extension": "101",
            "expireSecond": 86400,
            "customerBindId": "66666666",
            "flag": 1,
        },
        "pns_queryAXB": {"caller": "85222222222", "did": "85235753352", "extension": "111"},
        "pns_getAXBList": {"limit": 10, "offset": 0},
        "pns_updateGroup": {
            "groupId": "6a7sd3402px21429s04",
            "operateType": 1,
            "phones": "85211111114,85235753351",
        },
        "viber_send": {
            "appkey": "TexxxP6",
            "phone": "791000000730",
            "functionType": "video",
            "messageData": {
                "rateType": "Promotional",
                "thumbnail": "https://x.jpeg",
                "videoSize": 882472,
                "duration": 15,
                "videoLink": "https://x.mp4",
            },
        },
    }
    for endpoint, body in examples.items():
        assert contract_for(nxcloud.ENDPOINTS[endpoint]).violations(body) == [], endpoint
