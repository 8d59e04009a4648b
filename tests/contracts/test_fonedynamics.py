"""Fone Dynamics REST v2 held to the vendor's own pages and official SDKs.

(a) every request the provider builds, driven as a user would (the operator's sender, the
hook's typed methods), captured at the transport, satisfies its endpoint's documented
contract; (b) every documented example reply parses to the right result; (c) the simulator
refuses a request that leaves out a documented required field with the vendor's
``PARAMETER_REQUIRED`` reply naming the field.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_nxcloud.campaign.delivery import DELIVERED, FAILED, FoneDynamicsPoller, MessageRef
from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.fonedynamics import FoneDynamicsSmsSender
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.exceptions import InvalidInputError, PermanentAPIError
from airflow_provider_nxcloud.hooks.fonedynamics import FoneDynamicsHook
from airflow_provider_nxcloud.platforms import fonedynamics as fd
from airflow_provider_nxcloud.platforms.contracts import Contract
from airflow_provider_nxcloud.testing import accounts
from tests.contracts.capture import assert_holds, contract_for, vendor_network

ORIGIN = "https://vendor.test"
ACCOUNT, TOKEN, PROPERTY = "AC123", "fd-token", "PR1"
TEXT = "You win again, gravity!"


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {
        "conn_type": "fonedynamics",
        "login": ACCOUNT,
        "password": TOKEN,
        "host": ORIGIN,
        "extra": {"property_sid": PROPERTY},
    }
    monkeypatch.setenv("AIRFLOW_CONN_FONEDYNAMICS_DEFAULT", json.dumps(conn))


def contract(endpoint: str) -> Contract:
    return contract_for(fd.ENDPOINTS[endpoint])


def example(endpoint: str) -> Any:
    return contract(endpoint).example_reply


def captured(network: Any, endpoint: str, path: str) -> Any:
    """The one request to ``endpoint``: its method, path and Basic auth as documented, its
    payload held to the contract."""
    spec = fd.ENDPOINTS[endpoint]
    [request] = [r for r in network.request_history if urlsplit(r.url).path == path]
    assert request.method == spec.method
    expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    if spec.method == "POST":
        assert request.headers["Content-Type"].startswith("application/json")
    return assert_holds(request, spec)


def batch_of(*numbers: str) -> Batch:
    return Batch(0, [Recipient(n, n, i + 1) for i, n in enumerate(numbers)], "c" * 16, 1)


def sender(**kwargs: Any) -> FoneDynamicsSmsSender:
    return FoneDynamicsSmsSender(FoneDynamicsHook(), text=TEXT, property_sid=PROPERTY, **kwargs)


# ----- every endpoint has a sourced contract ----------------------------------------------------


@pytest.mark.parametrize("endpoint", list(fd.ENDPOINTS))
def test_every_endpoint_has_a_sourced_contract(endpoint):
    found = contract(endpoint)
    assert "fonedynamics" in found.source
    assert found.example_reply is not None or "no reply example" in found.notes


# ----- (a) the requests the provider builds -------------------------------------------------------


def test_batch_send_body_is_the_documented_one(connection):
    schedule = int(time.time()) + 3600
    with vendor_network(example("send_batch")) as network:
        sender(sender_id="Shop 1", schedule=schedule).send(batch_of("+61488023555", "+61488023556"))
    body = captured(network, "send_batch", f"/v2/Properties/{PROPERTY}/BatchMessages")
    # each message also holds to the single-message contract (the batch page's per-message table)
    for message in body["Messages"]:
        assert contract("send_message").violations(message) == []
    assert body["Messages"][0] == {
        "To": "+61488023555",
        "Text": TEXT,
        "From": "Shop 1",
        "Schedule": schedule,
        "DeliveryReceipt": True,
        "ExternalId": "cccccccccccccccc-0-0",
    }


def test_batch_send_from_a_leased_number_leaves_from_out(connection):
    with vendor_network(example("send_batch")[:1]) as network:
        sender().send(batch_of("+61488023555"))
    body = captured(network, "send_batch", f"/v2/Properties/{PROPERTY}/BatchMessages")
    assert "From" not in body["Messages"][0] and "Schedule" not in body["Messages"][0]


def test_single_send_body_is_the_documented_one(connection):
    with vendor_network(example("send_message")) as network:
        FoneDynamicsHook().send_message("+61488023555", TEXT, sender="+61499009990", delivery_receipt=False)
    body = captured(network, "send_message", f"/v2/Properties/{PROPERTY}/Messages")
    assert body == {"To": "+61488023555", "Text": TEXT, "From": "+61499009990", "DeliveryReceipt": False}


def test_get_message_asks_by_sid_in_the_path(connection):
    with vendor_network(example("get_message")) as network:
        FoneDynamicsHook().get_message("MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE")
    assert captured(network, "get_message", "/v2/Messages/MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE") == {}


def test_the_lookup_finds_messages_with_the_documented_query(connection):
    now = 1_700_000_000.0
    batch = replace(batch_of("+61488023555"), sent_at=now - 30)
    with vendor_network(example("list_messages")) as network:
        sender(clock=lambda: now).lookup(batch)
    # from the batch's send time (1 s of clock skew), then the skew slice before it: the
    # example lists another message, so both slices are read, one page each
    near, skew = [assert_holds(request, fd.ENDPOINTS["list_messages"]) for request in network.request_history]
    assert (near["Date_From"], near["Date_To"]) == (str(int(now) - 31), str(int(now) + 3600))
    assert (skew["Date_From"], skew["Date_To"]) == (str(int(now) - 330), str(int(now) - 31))
    for query in (near, skew):
        assert (query["Direction"], query["Results_Count"], query["Results_Skip"]) == ("Transmit", "200", "0")


def test_the_lookup_of_a_scheduled_batch_reaches_past_its_schedule(connection):
    now, schedule = 1_700_000_000.0, 1_700_000_000 + 2 * 24 * 3600
    batch = replace(batch_of("+61488023555"), sent_at=now)
    with vendor_network(example("list_messages")) as network:
        sender(clock=lambda: now, schedule=schedule).lookup(batch)
    near = assert_holds(network.request_history[0], fd.ENDPOINTS["list_messages"])
    assert (near["Date_From"], near["Date_To"]) == (str(int(now) - 1), str(schedule + 3600))


def test_the_lookup_without_a_recorded_send_time_reads_the_last_week(connection):
    now = 1_700_000_000.0
    with vendor_network(example("list_messages")) as network:
        sender(clock=lambda: now).lookup(batch_of("+61488023555"))
    query = captured(network, "list_messages", f"/v2/Properties/{PROPERTY}/Messages")
    assert query["Date_From"] == str(int(now) - 7 * 24 * 3600)
    assert query["Date_To"] == str(int(now) + 3600)
    assert (query["Direction"], query["Results_Count"], query["Results_Skip"]) == ("Transmit", "200", "0")


def test_list_messages_filters_are_the_documented_ones(connection):
    with vendor_network(example("list_messages")) as network:
        FoneDynamicsHook().list_messages(
            1506038400, 1506427200, status="Delivered", direction="Transmit", count=10
        )
    query = captured(network, "list_messages", f"/v2/Properties/{PROPERTY}/Messages")
    assert query == {
        "Date_From": "1506038400",
        "Date_To": "1506427200",
        "Status": "Delivered",
        "Direction": "Transmit",
        "Results_Count": "10",
    }


def test_probe_reads_the_property(connection):
    with vendor_network(example("get_property")) as network:
        ok, message = FoneDynamicsHook().test_connection()
    assert ok, message
    assert captured(network, "get_property", f"/v2/Properties/{PROPERTY}") == {}


def test_probe_without_a_property_lists_one_project(connection, monkeypatch):
    conn = {"conn_type": "fonedynamics", "login": ACCOUNT, "password": TOKEN, "host": ORIGIN}
    monkeypatch.setenv("AIRFLOW_CONN_FONEDYNAMICS_DEFAULT", json.dumps(conn))
    with vendor_network(example("list_properties")) as network:
        ok, message = FoneDynamicsHook().test_connection()
    assert ok, message
    assert captured(network, "list_properties", "/v2/Properties") == {"Results_Count": "1"}


def test_calls_are_read_with_the_documented_filters(connection):
    with vendor_network({"Calls": []}) as network:
        FoneDynamicsHook().get_call("CA1")
        FoneDynamicsHook().list_calls(date_from=1506038400, disposition=["Answered", "NoAnswer"], count=5)
    assert captured(network, "get_call", "/v2/Calls/CA1") == {}
    query = captured(network, "list_calls", f"/v2/Properties/{PROPERTY}/Calls")
    assert query == {"Date_From": "1506038400", "Disposition": "Answered,NoAnswer", "Results_Count": "5"}


def test_a_text_no_sms_can_carry_is_refused_before_any_request(connection):
    with vendor_network(example("send_message")) as network:
        with pytest.raises(InvalidInputError, match=r"^text: has 10000000 characters"):
            FoneDynamicsHook().send_message("+61488023555", "x" * 10_000_000)
        with pytest.raises(InvalidInputError, match=r"^text: "):
            FoneDynamicsHook().send_batch([fd.message_body("+61488023555", "x" * (fd.TEXT_MAX_CHARS + 1))])
    assert network.request_history == []


# ----- (b) the documented replies, parsed -------------------------------------------------------


def test_batch_reply_reads_the_error_text_from_message(connection):
    with vendor_network(example("send_batch")):
        results = sender().send(batch_of("+61488023555", "+61488023556"))
    assert [(r.status, r.vendor_id) for r in results] == [
        ("accepted", "MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE"),
        ("rejected", None),
    ]
    assert results[1].error == (
        "INVALID_PHONENUMBER_FORMAT: A provided number is not in the expected format (E.164)."
    )


def test_batch_error_without_message_names_the_code(connection):
    with vendor_network([{"ErrorCode": "NUMBER_ALLOCATION_FAILED"}]):
        [result] = sender().send(batch_of("+61488023555"))
    assert (result.status, result.error) == ("rejected", "NUMBER_ALLOCATION_FAILED")


def test_single_send_reply_is_the_message_resource(connection):
    with vendor_network(example("send_message")):
        message = FoneDynamicsHook().send_message("+61488023555", TEXT)
    assert (message["MessageSid"], message["Status"], message["To"]) == (
        "MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE",
        "Processing",
        "+61488023555",
    )


def test_get_message_reply_is_a_delivered_message(connection):
    with vendor_network(example("get_message")):
        message = FoneDynamicsHook().get_message("MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE")
    assert (message["Status"], message["Delivered"]) == ("Delivered", 1506038405)
    ref = MessageRef("MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE", "+61488023555")
    assert FoneDynamicsPoller().status(ref, example("get_message")).outcome == DELIVERED


def test_a_failed_message_names_its_error_code():
    reply = {"Message": {**example("get_message")["Message"], "Status": "Failed", "ErrorCode": "X1"}}
    status = FoneDynamicsPoller().status(MessageRef("MG1", "+61488023555"), reply)
    assert (status.outcome, status.reason) == (FAILED, "Failed (X1)")


@pytest.mark.parametrize("shape", ["wrapped", "bare"])
def test_list_messages_reply_is_read_wrapped_or_bare(connection, shape):
    reply = example("list_messages")
    with vendor_network(reply if shape == "wrapped" else reply["Messages"]):
        [message] = FoneDynamicsHook().list_messages(0, 1)
    assert (message["MessageSid"], message["Status"]) == ("MGTBUEHNLFOOHNSIOCSAQRRUKLMEZSLE", "Delivered")


def test_projects_replies_parse(connection):
    with vendor_network(example("list_properties")):
        page = FoneDynamicsHook().list_properties()
    assert (page["TotalCount"], page["Projects"][0]["PropertySid"]) == (1, "PRXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    with vendor_network(example("get_property")):
        project = FoneDynamicsHook().get_property()
    assert (project["Name"], project["SmsEnabled"]) == ("My project", True)
    with vendor_network(example("list_properties")):
        assert FoneDynamicsHook().get_property()["PropertySid"] == "PRXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"


def test_error_envelope_gives_code_and_message(connection):
    envelope = {
        "ResponseStatus": {
            "ErrorCode": "PARAMETER_REQUIRED",
            "Message": "To is required.",
            "Errors": [{"FieldName": "To"}],
        }
    }
    with vendor_network(envelope, status=400), pytest.raises(PermanentAPIError) as raised:
        FoneDynamicsHook().send_message("+61488023555", TEXT)
    assert (raised.value.code, raised.value.vendor_message) == ("PARAMETER_REQUIRED", "To is required.")


# ----- (c) the simulator refuses what the vendor refuses ------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "body", "params", "field"),
    [
        ("send_message", {"Text": "hi"}, None, "To"),
        ("send_message", {"To": "+61488023555"}, None, "Text"),
        ("send_batch", {}, None, "Messages"),
        ("list_messages", None, {"Date_To": 1506427200}, "Date_From"),
        ("list_messages", None, {"Date_From": 1506038400}, "Date_To"),
    ],
)
def test_simulator_refuses_a_missing_required_field(nxcloud_simulator, endpoint, body, params, field):
    hook = FoneDynamicsHook()
    with pytest.raises(PermanentAPIError) as raised:
        hook.call(
            endpoint, body, params=params, path_params={"property_sid": accounts.FONEDYNAMICS_PROPERTY_SID}
        )
    assert raised.value.code == "PARAMETER_REQUIRED"
    assert field in str(raised.value)
    assert nxcloud_simulator.ledger.count() == 0


def test_simulator_answers_a_malformed_number_as_the_vendor(nxcloud_simulator):
    with pytest.raises(PermanentAPIError) as raised:
        FoneDynamicsHook().send_message("0412345678", TEXT)
    assert raised.value.code == "INVALID_PHONENUMBER_FORMAT"
    assert nxcloud_simulator.ledger.count() == 0


def test_simulator_batch_refusals_come_per_message_with_message_text(nxcloud_simulator):
    items = FoneDynamicsHook().send_batch(
        [fd.message_body("+61488023555", TEXT), fd.message_body("0412", TEXT)]
    )
    assert items is not None and [item.accepted for item in items] == [True, False]
    assert items[1].error_code == "INVALID_PHONENUMBER_FORMAT" and items[1].error_message
    assert nxcloud_simulator.ledger.count() == 1


def test_simulator_lists_what_the_provider_sent(nxcloud_simulator):
    hook = FoneDynamicsHook()
    sent = hook.send_message("+61488023555", TEXT, external_id="ref-1")
    [listed] = hook.list_messages(0, int(time.time()) + 60, direction="Transmit")
    assert (listed["MessageSid"], listed["ExternalId"], listed["Text"]) == (sent["MessageSid"], "ref-1", TEXT)
    assert hook.list_messages(0, int(time.time()) + 60, direction="Receive") == []
