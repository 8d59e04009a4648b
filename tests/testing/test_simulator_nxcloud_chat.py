"""NXCloud WhatsApp, Viber and Zalo ZNS sends in the simulator: envelopes, codes, ledger, faults."""

from __future__ import annotations

import re

import pytest

from airflow_provider_nxcloud.platforms.catalogs import lookup_code
from airflow_provider_nxcloud.testing import accounts
from tests.testing.clients import nx_signed

BUSINESS = accounts.NXCLOUD_WHATSAPP_BUSINESS_PHONE


def whatsapp(url: str, **change) -> dict:
    body = {
        "appkey": accounts.NXCLOUD_WHATSAPP_APP_KEY,
        "business_phone": BUSINESS,
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6591000001",
        "type": "text",
        "text": {"body": "hello", "preview_url": False},
    }
    body.update(change)
    return nx_signed(url, "whatsapp_send", {k: v for k, v in body.items() if v is not None}).json()


def template(name: str = "order_update", **language) -> dict:
    return {"name": name, "language": {"code": "en_US", "policy": "deterministic", **language}}


def viber(url: str, function_type: str = "text", **data) -> dict:
    message = data or {"rateType": "Transactional", "text": "hello"}
    body = {
        "appkey": accounts.NXCLOUD_VIBER_APP_KEY,
        "phone": "6591000001",
        "functionType": function_type,
        "messageData": message,
    }
    return nx_signed(url, "viber_send", body).json()


def zalo(url: str, **change) -> dict:
    body = {
        "appkey": accounts.NXCLOUD_ZALO_APP_KEY,
        "phone": "84912345678",
        "functionType": "template",
        "messageData": {"templateId": "231235", "templateData": {"name": "Lan", "order": "A1"}},
    }
    body.update(change)
    return nx_signed(url, "zalo_send", {k: v for k, v in body.items() if v is not None}).json()


def assert_code(reply: dict, code: int, service: str) -> None:
    assert reply["code"] == code, reply
    assert reply["message"].startswith(lookup_code("nxcloud", service, code).meaning)


# ----- WhatsApp ---------------------------------------------------------------------------------


def test_whatsapp_text_is_accepted_with_a_wamid(nxcloud_simulator):
    reply = whatsapp(nxcloud_simulator.url)
    assert reply["code"] == 0 and reply["message"] == "Request successful"
    assert reply["data"]["messaging_product"] == "whatsapp"
    [message] = reply["data"]["messages"]
    assert re.fullmatch(r"wamid\.[0-9a-f]{32}", message["id"])
    [entry] = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="whatsapp")
    assert (entry.recipient, entry.content, entry.vendor_id, entry.client_reference) == (
        "6591000001",
        "hello",
        message["id"],
        None,
    )
    assert (entry.app, entry.sender, entry.endpoint) == (
        accounts.NXCLOUD_WHATSAPP_APP_KEY,
        BUSINESS,
        "whatsapp_send",
    )
    assert entry.details["type"] == "text"


def test_whatsapp_approved_template_is_recorded_by_name(nxcloud_simulator):
    assert whatsapp(nxcloud_simulator.url, type="template", text=None, template=template())["code"] == 0
    [entry] = nxcloud_simulator.ledger.entries(kind="whatsapp")
    assert entry.content == "order_update"
    assert entry.details["template"]["language"] == {"code": "en_US", "policy": "deterministic"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appkey": "someone-elses-app"}, 9003),
        ({"business_phone": None}, 9000),
        ({"business_phone": "12ab"}, 9002),
        ({"business_phone": "6567654321"}, 9006),  # a WhatsApp number, not bound to this app
        ({"messaging_product": "sms"}, 9000),
        ({"recipient_type": "group"}, 9000),
        ({"to": None}, 9000),
        ({"type": None}, 9000),
        # what the mt page requires or lists is NXCloud's own check: 9000, "missing parameters"
        ({"type": "carousel"}, 9000),
        ({"type": "image"}, 9000),  # no image object
        ({"type": "template", "template": {"name": "order_update"}}, 9000),
        ({"type": "template", "template": template(policy="fallback")}, 9000),
    ],
)
def test_whatsapp_nxcloud_codes(nxcloud_simulator, change, code):
    assert_code(whatsapp(nxcloud_simulator.url, **change), code, "whatsapp")
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize(
    ("change", "meta_code"),
    [
        ({"to": "+65 9100"}, 100),
        ({"type": "image", "image": {"caption": "no link"}}, 100),
        ({"text": {"body": "  "}}, 100),
        ({"type": "template", "template": template("no_such_template")}, 132001),
    ],
)
def test_whatsapp_meta_errors_are_9099_with_the_meta_error(nxcloud_simulator, change, meta_code):
    reply = whatsapp(nxcloud_simulator.url, **change)
    assert (reply["code"], reply["message"]) == (9099, "WhatsApp error")
    error = reply["data"]["error"]
    assert error["code"] == meta_code
    assert error["message"].startswith(f"(#{meta_code})")
    assert error["error_data"]["messaging_product"] == "whatsapp" and error["error_data"]["details"]
    assert error["type"] and error["fbtrace_id"]
    assert nxcloud_simulator.ledger.count() == 0


def test_whatsapp_checks_the_signature_like_every_signed_endpoint(nxcloud_simulator):
    body = {"appkey": accounts.NXCLOUD_WHATSAPP_APP_KEY}
    assert (
        nx_signed(nxcloud_simulator.url, "whatsapp_send", body, headers={"bizType": "7"}).json()["code"]
        == 1002
    )
    assert (
        nx_signed(nxcloud_simulator.url, "whatsapp_send", body, access_secret="wrong").json()["code"] == 1003
    )
    assert nxcloud_simulator.ledger.count() == 0


# ----- Viber ------------------------------------------------------------------------------------


def test_viber_text_is_accepted_with_a_request_id(nxcloud_simulator):
    reply = viber(nxcloud_simulator.url)
    assert (reply["code"], reply["message"]) == (0, "Success")
    assert re.fullmatch(r"[0-9a-f]{32}", reply["data"]["requestId"])
    [entry] = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="viber")
    assert (entry.recipient, entry.content, entry.vendor_id, entry.client_reference, entry.app) == (
        "6591000001",
        "hello",
        reply["data"]["requestId"],
        None,
        accounts.NXCLOUD_VIBER_APP_KEY,
    )
    assert entry.details == {
        "functionType": "text",
        "messageData": {"rateType": "Transactional", "text": "hello"},
    }


def test_viber_video_and_otp_template_are_accepted(nxcloud_simulator):
    video = {
        "rateType": "Promotional",
        "thumbnail": "https://cdn.example.com/t.jpg",
        "videoLink": "https://cdn.example.com/v.mp4",
        "videoSize": 200 * 1024 * 1024,
        "duration": 600,
    }
    assert viber(nxcloud_simulator.url, "video", **video)["code"] == 0
    otp = {
        "rateType": "OtpTemplate",
        "templateId": "tpl-1",
        "templateParams": {"pin": "1234"},
        "templateLang": "en",
    }
    assert viber(nxcloud_simulator.url, "text", **otp)["code"] == 0
    assert [e.content for e in nxcloud_simulator.ledger.entries(kind="viber")] == ["video", "tpl-1"]


VIDEO = {
    "rateType": "Promotional",
    "thumbnail": "https://cdn.example.com/t.jpg",
    "videoLink": "https://cdn.example.com/v.mp4",
    "videoSize": 1024,
    "duration": 10,
}


@pytest.mark.parametrize(
    ("function_type", "data", "code"),
    [
        ("fax", {"rateType": "Transactional", "text": "x"}, 9000),
        ("text", {"rateType": "Promotional", "text": "x"}, 9000),  # text is Transactional/Session/OTP
        ("text", {"rateType": "Transactional"}, 9000),
        ("text", {"rateType": "OtpTemplate", "text": "x"}, 9000),  # OTP needs the template fields
        ("text_button", {"rateType": "Promotional", "text": "x", "buttonText": "Go"}, 9000),
        ("video", {**VIDEO, "videoSize": 200 * 1024 * 1024 + 1}, 9000),
        ("video", {**VIDEO, "duration": 601}, 9000),
        (
            "file",
            {"rateType": "Transactional", "fileName": "a.exe", "fileLink": "https://x/a", "fileType": "exe"},
            9000,
        ),
    ],
)
def test_viber_message_data_codes(nxcloud_simulator, function_type, data, code):
    assert_code(viber(nxcloud_simulator.url, function_type, **data), code, "viber")
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appkey": "someone-elses-app"}, 9003),
        ({"phone": ""}, 9000),
        ({"phone": "12"}, 9002),
        ({"phone": "9991234567"}, 9002),  # no country has code 999
        ({"messageData": "text"}, 9000),
    ],
)
def test_viber_request_codes(nxcloud_simulator, change, code):
    body = {
        "appkey": accounts.NXCLOUD_VIBER_APP_KEY,
        "phone": "6591000001",
        "functionType": "text",
        "messageData": {"rateType": "Transactional", "text": "hello"},
        **change,
    }
    assert_code(nx_signed(nxcloud_simulator.url, "viber_send", body).json(), code, "viber")


# ----- Zalo -------------------------------------------------------------------------------------


def test_zalo_template_is_accepted_with_a_zalomid(nxcloud_simulator):
    reply = zalo(nxcloud_simulator.url, ext="order-A1", drWebhook="https://hooks.example.com/zalo")
    assert (reply["code"], reply["message"]) == (0, "Success")
    assert re.fullmatch(r"zalomid\.[0-9a-f]{32}", reply["data"]["requestId"])
    [entry] = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="zalo")
    assert (entry.recipient, entry.content, entry.vendor_id, entry.client_reference, entry.app) == (
        "84912345678",
        "231235",
        reply["data"]["requestId"],
        "order-A1",
        accounts.NXCLOUD_ZALO_APP_KEY,
    )
    assert entry.details["messageData"]["templateData"] == {"name": "Lan", "order": "A1"}
    assert entry.details["drWebhook"] == "https://hooks.example.com/zalo"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appkey": "someone-elses-app"}, 9003),
        ({"phone": None}, 9000),
        ({"phone": "6591000001"}, 9002),  # not Vietnamese
        ({"functionType": "text"}, 9000),
        ({"messageData": {"templateData": {"a": "b"}}}, 9000),
        ({"messageData": {"templateId": "1", "templateData": {"a": ""}}}, 9000),
        ({"messageData": {"templateId": "1", "templateData": "a=b"}}, 9000),
        ({"drWebhook": "https://x.example/" + "a" * 240}, 9000),
        ({"ext": "x" * 65_536}, 9000),
    ],
)
def test_zalo_codes(nxcloud_simulator, change, code):
    assert_code(zalo(nxcloud_simulator.url, **change), code, "zalo")
    assert nxcloud_simulator.ledger.count() == 0


# ----- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "service"), [("whatsapp_send", "whatsapp"), ("viber_send", "viber")])
def test_vendor_busy_is_the_channels_system_error(nxcloud_simulator, endpoint, service):
    nxcloud_simulator.faults.next("vendor_busy", endpoint=endpoint, platform="nxcloud")
    reply = whatsapp(nxcloud_simulator.url) if service == "whatsapp" else viber(nxcloud_simulator.url)
    assert reply["code"] == 9001
    assert nxcloud_simulator.ledger.count() == 0


def test_zalo_documents_no_busy_or_rate_limit_code_so_none_is_injected(nxcloud_simulator):
    for kind in ("vendor_busy", "vendor_rate_limit"):
        nxcloud_simulator.faults.next(kind, endpoint="zalo_send", platform="nxcloud")
        assert zalo(nxcloud_simulator.url)["code"] == 0
    assert nxcloud_simulator.faults.counts() == {}
    assert nxcloud_simulator.ledger.count(kind="zalo") == 2
