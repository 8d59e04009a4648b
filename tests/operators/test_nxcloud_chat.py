"""NXCloud WhatsApp, Viber and Zalo ZNS send operators: payloads, exactly once, codes, bad input."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.nxcloud_chat import NXCloudViberSender
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.campaign.results import read_results
from airflow_provider_nxcloud.exceptions import PermanentAPIError, RetryableAPIError
from airflow_provider_nxcloud.operators.nxcloud_chat import (
    NXCloudSendViberOperator,
    NXCloudSendWhatsAppOperator,
    NXCloudSendZaloOperator,
)
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.platforms.codes import Disposition
from airflow_provider_nxcloud.platforms.nxcloud_codes import VIBER_ROWS, WHATSAPP_ROWS, ZALO_ROWS
from airflow_provider_nxcloud.testing import accounts
from tests.operators.conftest import (
    TaskRun,
    assert_lost_answer_is_never_resent,
    assert_retry_resumes,
    numbers,
)

BUSINESS = accounts.NXCLOUD_WHATSAPP_BUSINESS_PHONE
ORDER_TEMPLATE = {
    "name": "order_update",
    "language": "en_US",
    "components": [
        {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/a.png"}}],
        },
        {"type": "body", "parameters": [{"type": "text", "text": "David"}, {"type": "text", "text": 520}]},
        {"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": "B520"}]},
    ],
}


def whatsapp(**kwargs: Any) -> NXCloudSendWhatsAppOperator:
    kwargs.setdefault("business_phone", BUSINESS)
    if not {"text", "template", "media"} & set(kwargs):
        kwargs["text"] = "Your order shipped"
    return NXCloudSendWhatsAppOperator(task_id="send", **kwargs)


def viber(**kwargs: Any) -> NXCloudSendViberOperator:
    kwargs.setdefault("function_type", "text")
    if kwargs["function_type"] == "text" and "message_data" not in kwargs:
        kwargs.setdefault("rate_type", "Transactional")
        kwargs.setdefault("text", "Your code is 989724.")
    return NXCloudSendViberOperator(task_id="send", **kwargs)


def zalo(**kwargs: Any) -> NXCloudSendZaloOperator:
    kwargs.setdefault("template_id", "231235")
    kwargs.setdefault("template_data", {"customer_name": "Lan", "order_code": "A1"})
    return NXCloudSendZaloOperator(task_id="send", **kwargs)


def vietnamese(count: int) -> list[str]:
    return [f"8491{i:07d}" for i in range(1, count + 1)]


#: channel -> (operator factory, ledger kind, endpoint, recipients of n)
CHANNELS = {
    "whatsapp": (whatsapp, "whatsapp", "whatsapp_send", numbers),
    "viber": (viber, "viber", "viber_send", numbers),
    "zalo": (zalo, "zalo", "zalo_send", vietnamese),
}


# ----- what the vendor receives -------------------------------------------------------------


def test_whatsapp_text_goes_one_request_per_number_in_meta_shape(nxcloud_simulator, task_run, tmp_path):
    recipients = numbers(3)
    results = tmp_path / "out" / "wa.jsonl"
    summary = whatsapp(recipients=recipients, results_path=str(results)).execute(task_run.context())

    assert nxcloud_simulator.requests.count("nxcloud", "whatsapp_send") == 3
    entries = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="whatsapp")
    assert [e.recipient for e in entries] == recipients
    assert {(e.content, e.sender, e.app, e.client_reference) for e in entries} == {
        ("Your order shipped", BUSINESS, accounts.NXCLOUD_WHATSAPP_APP_KEY, None)
    }
    assert entries[0].details == {
        "type": "text",
        "text": {"body": "Your order shipped", "preview_url": False},
    }
    lines = list(read_results(results))
    assert [(line["batch"], line["number"], line["status"]) for line in lines] == [
        (i, number, "accepted") for i, number in enumerate(recipients)
    ]
    assert [line["vendor_id"] for line in lines] == [e.vendor_id for e in entries]
    assert all(line["vendor_id"].startswith("wamid.") and line["reference"] is None for line in lines)
    assert summary["vendor_ids"] == [e.vendor_id for e in entries]
    assert (summary["accepted"], summary["rejected"], summary["batches"], summary["platform"]) == (
        3,
        0,
        3,
        "nxcloud",
    )
    assert summary["results_path"] == str(results) and summary["results_lines"] == 3
    json.dumps(summary)  # the XCom value is plain JSON


def test_whatsapp_template_is_sent_in_the_documented_shape(nxcloud_simulator, task_run):
    whatsapp(recipients=numbers(1), template=ORDER_TEMPLATE).execute(task_run.context())
    [entry] = nxcloud_simulator.ledger.entries(kind="whatsapp")
    assert entry.content == "order_update"
    assert entry.details["template"] == {
        "name": "order_update",
        "language": {"code": "en_US", "policy": "deterministic"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/a.png"}}],
            },
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "David"}, {"type": "text", "text": "520"}],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "B520"}],
            },
        ],
    }


def test_whatsapp_media_and_text_object(nxcloud_simulator, task_run):
    media = {"type": "document", "link": "https://cdn.example.com/invoice.pdf", "filename": "invoice.pdf"}
    whatsapp(recipients=numbers(1), media=media).execute(task_run.context())
    whatsapp(recipients=numbers(1), text={"body": "see https://x.example", "preview_url": True}).execute(
        TaskRun(task_id="other").context()
    )
    first, second = nxcloud_simulator.ledger.entries(kind="whatsapp")
    assert first.details == {
        "type": "document",
        "document": {"link": "https://cdn.example.com/invoice.pdf", "filename": "invoice.pdf"},
    }
    assert second.details["text"] == {"body": "see https://x.example", "preview_url": True}


def test_viber_named_arguments_fill_message_data(nxcloud_simulator, task_run, tmp_path):
    results = tmp_path / "viber.jsonl"
    op = viber(
        recipients=numbers(2),
        function_type="text_image_button",
        message_data={"rateType": "Promotional", "image": "https://cdn.example.com/a.jpg"},
        text="Sale today",
        button_text="Shop",
        button_link="https://shop.example.com",
        results_path=str(results),
    )
    op.execute(task_run.context())
    entries = nxcloud_simulator.ledger.entries(kind="viber")
    assert [e.recipient for e in entries] == numbers(2)
    assert entries[0].details == {
        "functionType": "text_image_button",
        "messageData": {
            "rateType": "Promotional",
            "image": "https://cdn.example.com/a.jpg",
            "text": "Sale today",
            "buttonText": "Shop",
            "buttonLink": "https://shop.example.com",
        },
    }
    assert [line["vendor_id"] for line in read_results(results)] == [e.vendor_id for e in entries]


def test_viber_video_and_otp_template(nxcloud_simulator, task_run):
    video = {
        "rateType": "Promotional",
        "thumbnail": "https://cdn.example.com/t.jpg",
        "videoLink": "https://cdn.example.com/v.mp4",
        "videoSize": "882472",  # a templated number renders to text
        "duration": 15,
    }
    viber(recipients=numbers(1), function_type="video", message_data=video).execute(task_run.context())
    otp = {"templateId": "tpl-1", "templateParams": {"pin": "1234"}, "templateLang": "en"}
    viber(recipients=numbers(1), function_type="text", rate_type="OtpTemplate", message_data=otp).execute(
        TaskRun(task_id="otp").context()
    )
    first, second = nxcloud_simulator.ledger.entries(kind="viber")
    assert first.details["messageData"] == {**video, "videoSize": 882472}
    assert second.details["messageData"] == {"rateType": "OtpTemplate", **otp}


def test_zalo_template_is_sent_to_vietnamese_numbers(nxcloud_simulator, task_run, tmp_path):
    results = tmp_path / "zalo.jsonl"
    op = zalo(
        recipients=["0912345678", "+84 91 000 0001"],
        journey_token="jt-1",
        dr_webhook="https://hooks.example.com/zalo",
        ext="campaign-7",
        results_path=str(results),
    )
    summary = op.execute(task_run.context())
    entries = nxcloud_simulator.ledger.entries(platform="nxcloud", kind="zalo")
    assert [e.recipient for e in entries] == ["84912345678", "84910000001"]
    assert {(e.content, e.client_reference, e.app) for e in entries} == {
        ("231235", "campaign-7", accounts.NXCLOUD_ZALO_APP_KEY)
    }
    assert entries[0].details == {
        "messageData": {
            "templateId": "231235",
            "templateData": {"customer_name": "Lan", "order_code": "A1"},
            "journeyToken": "jt-1",
        },
        "drWebhook": "https://hooks.example.com/zalo",
    }
    assert [line["vendor_id"] for line in read_results(results)] == [e.vendor_id for e in entries]
    assert all(vendor_id.startswith("zalomid.") for vendor_id in summary["vendor_ids"])


def test_zalo_refuses_numbers_outside_vietnam_before_sending(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException, match="recipients: entry 2"):
        zalo(recipients=[*vietnamese(1), "6591000001"]).execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0


# ----- exactly once across tries --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["whatsapp", "viber"])
def test_retry_resumes_after_the_last_accepted_recipient(nxcloud_simulator, task_run, tmp_path, channel):
    make, kind, endpoint, recipients_of = CHANNELS[channel]
    recipients = recipients_of(5)
    results = tmp_path / "results.jsonl"
    nxcloud_simulator.faults.set(at={3: "vendor_busy"})  # the third recipient: code 9001
    op = make(recipients=recipients, results_path=str(results))
    assert_retry_resumes(
        nxcloud_simulator, task_run, op, recipients, results, kind=kind, accepted=2, resumed=2
    )
    assert nxcloud_simulator.requests.count("nxcloud", endpoint) == 6  # 3 + the 3 left, none twice


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_lost_answer_fails_naming_the_recipient_and_is_never_resent(nxcloud_simulator, task_run, channel):
    make, kind, _, recipients_of = CHANNELS[channel]
    nxcloud_simulator.faults.set(at={2: "reset_after"})  # the second recipient accepted, its answer lost
    summary = assert_lost_answer_is_never_resent(
        nxcloud_simulator,
        task_run,
        make,
        recipients_of(4),
        kind=kind,
        batch="batch 1 (recipients 2-2",
        accepted=2,
    )
    assert summary["resumed_batches"] == 1 and summary["accepted"] == 3


def test_a_resend_decision_sends_the_lost_recipient_again(nxcloud_simulator, task_run):
    nxcloud_simulator.faults.set(at={1: "reset_after"})
    with pytest.raises(AirflowFailException, match="batch 0") as failed:
        viber(recipients=numbers(2)).execute(task_run.context())
    decisions = {failed.value.__cause__.reference: "resend"}
    summary = viber(recipients=numbers(2), in_doubt_decisions=decisions).execute(task_run.retry())
    assert summary["accepted"] == 2
    # the person who chose "resend" said the first send did not go out; the vendor had it
    assert Counter(e.recipient for e in nxcloud_simulator.ledger.entries(kind="viber")) == Counter(
        {numbers(2)[0]: 2, numbers(2)[1]: 1}
    )


def test_senders_cannot_look_a_message_up():
    batch = Batch(0, [Recipient("6591000001", "6591000001", 1)], "c" * 16, 1)
    sender = NXCloudViberSender(None, app_key="k", function_type="text", message_data={})  # type: ignore[arg-type]
    assert sender.lookup(batch) is None
    assert sender.max_batch == 1


# ----- vendor codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kwargs", "code", "endpoint"),
    [
        (whatsapp, {"app_key": "someone-elses-app"}, "9003", "whatsapp_send"),
        (whatsapp, {"business_phone": "6567654321"}, "9006", "whatsapp_send"),
        (whatsapp, {"template": {"name": "not_approved", "language": "en"}}, "9099", "whatsapp_send"),
        (viber, {"app_key": "someone-elses-app"}, "9003", "viber_send"),
        (zalo, {"app_key": "someone-elses-app", "recipients": vietnamese(3)}, "9003", "zalo_send"),
    ],
)
def test_permanent_codes_fail_at_once(nxcloud_simulator, task_run, make, kwargs, code, endpoint):
    kwargs = {"recipients": numbers(3), **kwargs}
    with pytest.raises(AirflowFailException, match=f"code {code}") as failed:
        make(**kwargs).execute(task_run.context())
    assert isinstance(failed.value.__cause__, PermanentAPIError)
    assert nxcloud_simulator.requests.count("nxcloud", endpoint) == 1
    assert nxcloud_simulator.ledger.count() == 0


def test_meta_error_says_what_meta_said(nxcloud_simulator, task_run):
    with pytest.raises(AirflowFailException) as failed:
        whatsapp(recipients=numbers(1), template={"name": "not_approved", "language": "en"}).execute(
            task_run.context()
        )
    assert "Meta error 132001" in str(failed.value)
    assert "Template name does not exist" in str(failed.value)


ORIGIN = "https://vendor.test"
ALL_CODES = [
    (channel, code, reason.disposition)
    for channel, rows in (("whatsapp", WHATSAPP_ROWS), ("viber", VIBER_ROWS), ("zalo", ZALO_ROWS))
    for code, _, reason in rows
]


@pytest.mark.parametrize(("channel", "code", "disposition"), ALL_CODES, ids=str)
def test_every_documented_code_has_its_disposition(
    requests_mock, monkeypatch, task_run, channel, code, disposition
):
    """Each catalog code as the vendor's reply: permanent ones fail at once, the rest go to Airflow's retries."""
    conn = {
        "conn_type": "nxcloud",
        "login": "key",
        "password": "secret",
        "host": ORIGIN,
        "extra": {f"{c}_app_key": f"{c}-app" for c in CHANNELS},
    }
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    make, _, endpoint, recipients_of = CHANNELS[channel]
    send = requests_mock.post(
        ORIGIN + nxcloud.ENDPOINTS[endpoint].path, json={"code": code, "message": "vendor text", "data": None}
    )
    op = make(recipients=recipients_of(2))
    if disposition is Disposition.FAIL:
        with pytest.raises(AirflowFailException, match=f"code {code} "):
            op.execute(task_run.context())
    else:
        with pytest.raises(RetryableAPIError, match=f"code {code} "):
            op.execute(task_run.context())
    assert send.call_count == 1  # a send that may have been processed is never repeated in the hook


# ----- bad input --------------------------------------------------------------------------------

BUTTON = {"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": "x"}]}


def _template(**change: Any) -> dict[str, Any]:
    return {"name": "order_update", "language": "en_US", **change}


@pytest.mark.parametrize(
    ("make", "kwargs", "parameter"),
    [
        (whatsapp, {"business_phone": ""}, "business_phone"),
        (whatsapp, {"business_phone": "12345"}, "business_phone"),
        (whatsapp, {"text": None}, "text"),
        (whatsapp, {"text": "hi", "template": _template()}, "template"),
        (whatsapp, {"text": ""}, "text"),
        (whatsapp, {"text": "x" * 4097}, "text"),
        (whatsapp, {"text": {"body": "hi", "preview": True}}, "text"),
        (whatsapp, {"text": {"body": "hi", "preview_url": "yes"}}, "text"),
        (whatsapp, {"template": _template(name="Order Update")}, "template"),
        (whatsapp, {"template": {"name": "order_update"}}, "template"),
        (whatsapp, {"template": _template(language="english")}, "template"),
        (whatsapp, {"template": _template(language={"code": "en", "policy": "fallback"})}, "template"),
        (whatsapp, {"template": _template(components={"type": "body"})}, "template"),
        (whatsapp, {"template": _template(components=[{"type": "footer"}])}, "template"),
        (whatsapp, {"template": _template(components=[{**BUTTON, "index": 3}])}, "template"),
        (whatsapp, {"template": _template(components=[{**BUTTON, "sub_type": "call"}])}, "template"),
        (
            whatsapp,
            {"template": _template(components=[{k: v for k, v in BUTTON.items() if k != "index"}])},
            "template",
        ),
        (whatsapp, {"template": _template(components=[{"type": "body", "index": "0"}])}, "template"),
        (
            whatsapp,
            {
                "template": _template(
                    components=[{"type": "body", "parameters": [{"type": "image", "image": {}}]}]
                )
            },
            "template",
        ),
        (
            whatsapp,
            {
                "template": _template(
                    components=[{"type": "body", "parameters": [{"type": "text", "text": " "}]}]
                )
            },
            "template",
        ),
        (whatsapp, {"template": _template(extra=1)}, "template"),
        (whatsapp, {"media": {"type": "gif", "link": "https://x.example/a.gif"}}, "media"),
        (whatsapp, {"media": {"type": "image", "link": "https://x.example/a.png", "id": "1"}}, "media"),
        (whatsapp, {"media": {"type": "image", "link": "ftp://x.example/a.png"}}, "media"),
        (whatsapp, {"media": {"type": "audio", "id": "1", "caption": "no"}}, "media"),
        (viber, {"function_type": "fax"}, "function_type"),
        (viber, {"rate_type": None}, "rate_type"),
        (viber, {"rate_type": "Promotional"}, "rate_type"),
        (
            viber,
            {"function_type": "text_button", "rate_type": "Promotional", "text": "x", "button_text": "Go"},
            "button_link",
        ),
        (
            viber,
            {
                "function_type": "text_button",
                "rate_type": "Promotional",
                "text": "x",
                "button_text": "Go",
                "button_link": "x",
            },
            "button_link",
        ),
        (
            viber,
            {"message_data": {"rateType": "Transactional", "text": "a", "buttonUrl": "x"}},
            "message_data",
        ),
        (viber, {"message_data": {"rateType": "Transactional", "text": "a"}, "text": "b"}, "text"),
        (viber, {"image": "https://x.example/a.png"}, "image"),
        (viber, {"text": ""}, "text"),
        (
            viber,
            {"rate_type": "OtpTemplate", "message_data": {"templateId": "t", "templateParams": {}}},
            "message_data",
        ),
        (viber, {"function_type": "video", "message_data": {"rateType": "Promotional"}}, "message_data"),
        (
            viber,
            {
                "function_type": "video",
                "message_data": {
                    "rateType": "Promotional",
                    "thumbnail": "https://x.example/t.jpg",
                    "videoLink": "https://x.example/v.mp4",
                    "videoSize": 200 * 1024 * 1024 + 1,
                    "duration": 10,
                },
            },
            "message_data",
        ),
        (
            viber,
            {
                "function_type": "video",
                "message_data": {
                    "rateType": "Promotional",
                    "thumbnail": "https://x.example/t.jpg",
                    "videoLink": "https://x.example/v.mp4",
                    "videoSize": 1024,
                    "duration": 601,
                },
            },
            "message_data",
        ),
        (
            viber,
            {
                "function_type": "file",
                "message_data": {
                    "rateType": "Transactional",
                    "fileName": "a.exe",
                    "fileLink": "https://x.example/a.exe",
                    "fileType": "exe",
                },
            },
            "message_data",
        ),
        (viber, {"message_data": "not json"}, "message_data"),
        (zalo, {"template_id": ""}, "template_id"),
        (zalo, {"template_data": None}, "template_data"),
        (zalo, {"template_data": {"customer_name": ""}}, "template_data"),
        (zalo, {"template_data": {"customer_name": None}}, "template_data"),
        (zalo, {"template_data": {"customer_name": {"first": "Lan"}}}, "template_data"),
        (zalo, {"template_data": ["Lan"]}, "template_data"),
        (zalo, {"journey_token": "  "}, "journey_token"),
        (zalo, {"dr_webhook": "https://hooks.example.com/" + "a" * 240}, "dr_webhook"),
        (zalo, {"dr_webhook": "hooks.example.com/zalo"}, "dr_webhook"),
        (zalo, {"ext": "x" * 65_536}, "ext"),
        (zalo, {"ext": 5}, "ext"),
        (zalo, {"allowed_regions": ["VN", "SG"]}, "allowed_regions"),
        (zalo, {"allowed_regions": None}, "allowed_regions"),
        (whatsapp, {"wait_for_delivery": True}, "wait_for_delivery"),
        (viber, {"wait_for_delivery": True}, "wait_for_delivery"),
        (zalo, {"wait_for_delivery": True}, "wait_for_delivery"),
        (whatsapp, {"recipients": []}, "recipients"),
        (viber, {"in_doubt": "maybe"}, "in_doubt"),
    ],
)
def test_bad_input_names_the_parameter_and_sends_nothing(
    nxcloud_simulator, task_run, make, kwargs, parameter
):
    recipients = vietnamese(2) if make is zalo else numbers(2)
    with pytest.raises(AirflowFailException) as failed:
        make(**{"recipients": recipients, **kwargs}).execute(task_run.context())
    assert str(failed.value).startswith(parameter), str(failed.value)
    assert nxcloud_simulator.requests.total() == 0


@pytest.mark.parametrize(
    ("make", "extra"), [(whatsapp, "whatsapp_app_key"), (viber, "viber_app_key"), (zalo, "zalo_app_key")]
)
def test_missing_app_key_fails_before_anything_is_sent(nxcloud_simulator, task_run, monkeypatch, make, extra):
    conn = json.loads(nxcloud_simulator.connection_env()["AIRFLOW_CONN_NXCLOUD_DEFAULT"])
    conn["extra"].pop(extra)
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    recipients = vietnamese(1) if make is zalo else numbers(1)
    with pytest.raises(AirflowFailException, match=extra):
        make(recipients=recipients).execute(task_run.context())
    assert nxcloud_simulator.requests.total() == 0
    # an explicit app_key needs no connection extra
    app_key = getattr(accounts.NXCloudAccount(), extra)
    assert make(recipients=recipients, app_key=app_key).execute(task_run.context())["accepted"] == 1


# ----- Airflow shape ----------------------------------------------------------------------------


def test_constructors_store_arguments_unchanged_and_send_nothing(nxcloud_simulator):
    op = NXCloudSendWhatsAppOperator(
        task_id="t", recipients="{{ params.file }}", business_phone="{{ params.phone }}", template={"name": 1}
    )
    assert (op.recipients, op.business_phone, op.template, op.text) == (
        "{{ params.file }}",
        "{{ params.phone }}",
        {"name": 1},
        None,
    )
    assert set(op.template_fields) >= {
        "recipients",
        "results_path",
        "business_phone",
        "text",
        "template",
        "media",
        "app_key",
    }
    op = NXCloudSendViberOperator(
        task_id="t", recipients=[], function_type="nonsense", message_data="{{ x }}"
    )
    assert (op.function_type, op.message_data) == ("nonsense", "{{ x }}")
    assert set(op.template_fields) >= {
        "message_data",
        "rate_type",
        "text",
        "image",
        "button_text",
        "button_link",
    }
    op = NXCloudSendZaloOperator(task_id="t", recipients=[], template_id=1, template_data="{{ d }}")
    assert (op.template_id, op.template_data, op.allowed_regions, op.default_region) == (
        1,
        "{{ d }}",
        ("VN",),
        "VN",
    )
    assert set(op.template_fields) >= {"template_id", "template_data", "journey_token", "dr_webhook", "ext"}
    for cls in (NXCloudSendWhatsAppOperator, NXCloudSendViberOperator, NXCloudSendZaloOperator):
        assert cls.delivery_kind is None
        assert "webhook" in (cls.__doc__ or "") and "wait_for_delivery" in (cls.__doc__ or "")
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_over_recipient_lists(nxcloud_simulator):
    from airflow.sdk import DAG

    with DAG("chat_mapped", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        NXCloudSendZaloOperator.partial(
            task_id="zns", template_id="231235", template_data={"name": "Lan"}
        ).expand(recipients=[vietnamese(2), vietnamese(1)])
        NXCloudSendWhatsAppOperator.partial(task_id="wa", business_phone=BUSINESS).expand_kwargs(
            [{"recipients": numbers(1), "text": "a"}, {"recipients": numbers(2), "template": ORDER_TEMPLATE}]
        )
    assert set(dag.task_dict) == {"zns", "wa"}
    assert nxcloud_simulator.requests.total() == 0


def test_mapped_instances_send_each_their_own(nxcloud_simulator):
    first, second = TaskRun(map_index=0), TaskRun(map_index=1)
    zalo(recipients=vietnamese(1)).execute(first.context())
    zalo(recipients=vietnamese(1)).execute(second.context())
    # distinct campaigns: both tries of the map send, neither is taken for the other's retry
    assert nxcloud_simulator.ledger.count(kind="zalo") == 2
