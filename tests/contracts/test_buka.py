"""Buka (onbuka and white-labels) held to the vendor's own pages and SDK.

(a) every request the provider builds for every Buka endpoint, driven as a user would
(operators, their senders and pollers, the hook's typed methods), captured at the transport,
satisfies its documented contract; (b) every documented example reply parses to the right
result; (c) the simulator refuses a request that leaves out a documented required field
with the vendor's own code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from airflow_provider_nxcloud.campaign.buka import BukaSmsSender, BukaVoiceSender
from airflow_provider_nxcloud.campaign.delivery import BUKA_REPORTS, BukaCallPoller, BukaPoller, MessageRef
from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.exports.buka_call_center import BukaCallCenterRecords
from airflow_provider_nxcloud.exports.engine import Interval
from airflow_provider_nxcloud.hooks.buka import BukaHook
from airflow_provider_nxcloud.jobs.buka_ai_voice import AiVoiceTaskWatch
from airflow_provider_nxcloud.jobs.buka_ai_voice import task_state as ai_task_state
from airflow_provider_nxcloud.jobs.buka_voice import VoiceTasks, VoiceTaskWatch, task_state
from airflow_provider_nxcloud.jobs.watch import RUNNING, SUCCESS
from airflow_provider_nxcloud.operators.buka import (
    BukaSendEmailOperator,
    BukaSendSmsOperator,
    BukaSendVoiceOperator,
)
from airflow_provider_nxcloud.operators.buka_ai_voice import (
    BukaCreateAiVoiceTaskOperator,
    BukaDeleteAiVoiceTaskOperator,
    BukaPauseAiVoiceTaskOperator,
)
from airflow_provider_nxcloud.operators.buka_voice_tasks import (
    BukaCancelVoiceTaskOperator,
    BukaCreateVoiceTaskOperator,
    BukaResendVoiceTaskOperator,
)
from airflow_provider_nxcloud.platforms import buka
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.testing import accounts
from tests.contracts.capture import assert_holds, contract_for, vendor_network
from tests.operators.conftest import TaskRun
from tests.testing.clients import buka_call

ORIGIN = f"{buka.ORIGIN}{buka.BASE_PATH}"
APPS = {
    "app_id": "sms-app",
    "voice_app_id": "voice-app",
    "email_app_id": "mail-app",
    "ai_voice_app_id": "ai-app",
}
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def buka_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real buka connection without a host override: every request goes to api.onbuka.com/v3."""
    conn = {"conn_type": "buka", "login": "buka-key", "password": "buka-secret", "extra": APPS}
    monkeypatch.setenv("AIRFLOW_CONN_BUKA_DEFAULT", json.dumps(conn))


def example(endpoint: str) -> Any:
    return contract_for(buka.ENDPOINTS[endpoint]).example_reply


def url_of(endpoint: str, **path: Any) -> str:
    return ORIGIN + buka.ENDPOINTS[endpoint].url_path(path)


def answer(network: Any, endpoint: str, reply: Any | None = None, **path: Any) -> None:
    """``endpoint`` answers ``reply`` (default: its documented example)."""
    spec = buka.ENDPOINTS[endpoint]
    network.register_uri(
        spec.method, url_of(endpoint, **path), json=example(endpoint) if reply is None else reply
    )


def captured(network: Any, endpoint: str, count: int = 1) -> Any:
    """The request(s) to ``endpoint``: signed, sent as documented, each payload held to the contract."""
    spec = buka.ENDPOINTS[endpoint]
    where = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(buka.BASE_PATH + spec.path))
    pattern = re.compile(where, re.IGNORECASE)
    sent = [r for r in network.request_history if r.method == spec.method and pattern.fullmatch(r.path)]
    assert len(sent) == count, [(r.method, r.path) for r in network.request_history]
    for request in sent:
        assert {"Api-Key", "Timestamp", "Sign"} <= set(request.headers)
        assert request.headers["Content-Type"] == buka.CONTENT_TYPE
    payloads = [assert_holds(request, spec) for request in sent]
    return payloads[0] if count == 1 else payloads


# ----- every endpoint has a sourced contract with an example -------------------------------------


@pytest.mark.parametrize("endpoint", sorted(buka.ENDPOINTS))
def test_every_endpoint_has_a_sourced_contract_with_an_example(endpoint):
    contract = contract_for(buka.ENDPOINTS[endpoint])
    assert contract.source
    assert contract.example_reply is not None
    spec = buka.ENDPOINTS[endpoint]
    # the example is a documented success in the endpoint's own envelope
    assert buka.parse_reply(spec, 200, contract.example_reply).ok


def batch(*numbers: str) -> Batch:
    """A campaign batch of ``numbers`` as the engine hands it to a sender."""
    return Batch(0, [Recipient(n, n, i + 1) for i, n in enumerate(numbers)], "campaign", 1)


# ----- account and SMS ---------------------------------------------------------------------------


def test_balance_request_and_reply():
    with vendor_network(example("balance")) as network:
        balance = BukaHook().get_balance()
    assert captured(network, "balance") == {}
    assert balance == {"balance": "99.990000", "gift": "50.00000", "credit": "0"}


def test_sms_send_request_and_reply():
    with vendor_network(example("sms_send")) as network:
        BukaSendSmsOperator(
            task_id="send", recipients=["6591000001", "6591000002"], text="hello world", sender_id="123"
        ).execute(TaskRun().context())
    body = captured(network, "sms_send")
    assert (body["appId"], body["numbers"], body["content"], body["senderId"]) == (
        "sms-app",
        "6591000001,6591000002",
        "hello world",
        "123",
    )
    assert len(body["orderId"].split(",")) == 2  # one orderId per number, as documented
    # the documented reply, read by the sender the operator uses
    sender = BukaSmsSender(BukaHook(), text="helloworld", app_id="4luaKsL2")
    with vendor_network(example("sms_send")):
        results = sender.send(batch("91856321412", "91856321413"))
    assert [(r.number, r.status, r.vendor_id) for r in results] == [
        ("91856321412", "accepted", "2108021054011000095"),
        ("91856321413", "accepted", "2108021059531000096"),
    ]


def test_sms_send_batch_request_and_reply():
    recipients = [{"number": "6591000001", "text": "test message"}, {"number": "6591000002", "text": "other"}]
    with vendor_network(example("sms_send_batch")) as network:
        BukaSendSmsOperator(task_id="send", recipients=recipients, text=None).execute(TaskRun().context())
    body = captured(network, "sms_send_batch")
    assert [(m["numbers"], m["content"]) for m in body["array"]] == [
        ("6591000001", "test message"),
        ("6591000002", "other"),
    ]
    sender = BukaSmsSender(BukaHook(), text=None, app_id="4luaKsL2")
    with vendor_network(example("sms_send_batch")):
        results = sender.send(batch("86156584848"))
    assert [(r.status, r.vendor_id) for r in results] == [("accepted", "2207201629421000001")]


def test_sms_report_request_and_reply():
    ids = ["2108021054011000095", "2108021059531000096", "9999"]
    poller = BukaPoller("sms-app", BUKA_REPORTS["sms"])
    with vendor_network(example("sms_report")) as network:
        [(_, exchange)] = poller.exchanges([MessageRef(i) for i in ids])
        statuses = drive(exchange, BukaHook().request, Pacer())
        rows = BukaHook().get_reports("sms-app", ids[:2])
    first, second = captured(network, "sms_report", count=2)
    assert first == {"appId": "sms-app", "msgIds": ",".join(ids)}
    assert second == {"appId": "sms-app", "msgIds": ",".join(ids[:2])}
    assert [(s.message_id, s.outcome, s.number) for s in statuses[:2]] == [
        ("2108021054011000095", "delivered", "91856321412"),
        ("2108021059531000096", "delivered", "91856321413"),
    ]
    assert statuses[2].outcome == "pending"  # not in the reply: nofound
    assert [row["receiveTime"] for row in rows] == ["2021-02-12T09:30:03+08:00"] * 2


def test_sms_sent_records_request_and_reply():
    with vendor_network(example("sms_sent_records")) as network:
        rows = BukaHook().get_sent_records("sms-app", NOW - dt.timedelta(days=1), NOW)
    query = captured(network, "sms_sent_records")
    assert query == {
        "appId": "sms-app",
        "startTime": "2026-12-01T12:00:00+08:00",
        "endTime": "2026-12-02T12:00:00+08:00",
        "startIndex": "0",
    }
    assert [(r["msgId"], r["status"]) for r in rows] == [("2108021054011000095", "0")]


# ----- voice sends and records -------------------------------------------------------------------


def test_voice_send_code_request_and_reply():
    with vendor_network(example("voice_send_code")) as network:
        BukaSendVoiceOperator(
            task_id="call", recipients=["6591000001"], mode="tts", text="Your code is 1234", language="EN"
        ).execute(TaskRun().context())
    body = captured(network, "voice_send_code")
    assert (body["appId"], body["callee"], body["language"], body["text"]) == (
        "voice-app",
        "6591000001",
        "EN",
        "Your code is 1234",
    )
    sender = BukaVoiceSender(BukaHook(), app_id="4luaKsL2", mode="tts", text="1234", language="EN")
    with vendor_network(example("voice_send_code")):
        [result] = sender.send(batch("932111111111"))
    assert (result.status, result.vendor_id) == ("accepted", "2203031134011000001")


def test_voice_send_group_request_and_reply():
    file_id = "12022022570cc2484c59d4f8b9745d34226285b1e.mp3"
    with vendor_network(example("voice_send_group")) as network:
        BukaSendVoiceOperator(
            task_id="call", recipients=["6591000001", "6591000002"], mode="audio", file_id=file_id
        ).execute(TaskRun().context())
    body = captured(network, "voice_send_group")
    assert (body["callee"], body["fileId"]) == ("6591000001,6591000002", file_id)
    sender = BukaVoiceSender(BukaHook(), app_id="4luaKsL2", mode="audio", file_id=file_id)
    with vendor_network(example("voice_send_group")):
        results = sender.send(batch("932111111111", "932111111112"))
    # the reply lists one callee: the other is not accepted
    assert [(r.status, r.vendor_id) for r in results] == [
        ("accepted", "2203031134011000001"),
        ("rejected", None),
    ]


def test_voice_file_upload_request_and_reply():
    with vendor_network(example("voice_file_upload")) as network:
        file_id = BukaHook().upload_voice_file("welcome.mp3", b"ID3audio")
    assert captured(network, "voice_file_upload") == {"fileName": "welcome.mp3", "file": "SUQzYXVkaW8="}
    assert file_id == "12022022570cc2484c59d4f8b9745d34226285b1e.mp3"


def test_voice_record_request_and_reply():
    ref = MessageRef("2203031113381000002")
    with vendor_network(example("voice_record")) as network:
        [(_, exchange)] = BukaCallPoller().exchanges([ref])
        [status] = drive(exchange, BukaHook().request, Pacer())
    assert captured(network, "voice_record") == {}
    assert network.request_history[0].path == "/v3/voice/recordgroup/2203031113381000002"
    assert (status.outcome, status.number, status.vendor_status) == ("delivered", "8613500000000", "200")


def test_voice_records_request_and_reply():
    with vendor_network(example("voice_records")) as network:
        records = BukaHook().find_voice_calls(NOW - dt.timedelta(days=31), NOW)
    body = captured(network, "voice_records")
    assert body["params"] == {"strTime": "2026-11-01T12:00:00+08:00", "endTime": "2026-12-02T12:00:00+08:00"}
    assert [record["voiceId"] for record in records] == ["2203031113381000002"]


def test_voice_records_export_pages_with_the_documented_body_and_reads_the_documented_record(tmp_path):
    """The export's query holds to voice-api12 (ISO 8601 +08:00, size 100, 31 days at most);
    the page's example record maps to the line schema through the SIP table."""
    from airflow_provider_nxcloud.exports.buka_voice import record_line
    from airflow_provider_nxcloud.operators.exports import BukaVoiceRecordsToStorageOperator

    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    start = end - dt.timedelta(days=1)
    run = TaskRun()
    context = {**run.context(), "data_interval_start": start, "data_interval_end": end}
    with vendor_network(example("voice_records")) as network:
        summary = BukaVoiceRecordsToStorageOperator(
            task_id="calls", output_path=str(tmp_path / "calls.jsonl")
        ).execute(context)
    body = captured(network, "voice_records")
    margin = dt.timedelta(seconds=buka.VOICE_RECORD_SETTLE_S)
    zone = dt.timezone(dt.timedelta(hours=8))
    assert body == {
        "current": 1,
        "size": 100,
        "params": {
            "strTime": start.astimezone(zone).isoformat(),
            "endTime": (end + margin).astimezone(zone).isoformat(),
        },
    }
    # the example call was placed in 2022: listed, but not this interval's
    assert (summary["records"], summary["queries"]) == (0, 1)
    [record] = example("voice_records")["data"]["records"]
    assert record_line(record) == {
        "platform": "buka",
        "record_type": "voice_call",
        "voice_id": "2203031113381000002",
        "callee": "8613500000000",
        "display_number": "1008122211",
        "area": "Afghanistan(Kandahar)",
        "submitted_at": "2022-02-18T06:42:40Z",
        "called_at": "2022-02-18T06:42:45Z",
        "ringing_at": "2022-02-18T06:42:47Z",
        "answered_at": "2022-02-18T06:42:50Z",
        "hung_up_at": "2022-02-18T06:42:55Z",
        "status": "answered",
        "termination_code": "200",
        "termination_reason": "success",
        "termination_meaning": "OK: the call was established",
        "call_seconds": 5,
        "charged_seconds": 5,
        "key_pressed": None,
        "cost": "2",
        "cost_currency": "EUR",
        "bill_period": "20+20",
        "rate": "0.1",
        "base_cost": "0",
        "voice_file_id": None,
        "called_info": None,
        "vendor_submit_time": "2022-02-18T14:42:40+08:00",
    }


# ----- voice group-call tasks --------------------------------------------------------------------


def task_creator(**kwargs: Any) -> BukaCreateVoiceTaskOperator:
    kwargs.setdefault("numbers", ["6591000001", "6591000002"])
    kwargs.setdefault("task_name", "spring")
    kwargs.setdefault("text", "Hello")
    kwargs.setdefault("language", "EN")
    return BukaCreateVoiceTaskOperator(task_id="create", **kwargs)


def test_voice_task_create_looks_up_then_creates_with_the_documented_fields():
    with vendor_network() as network:
        answer(network, "voice_task_list", {"code": 0, "msg": "success", "data": {"records": [], "total": 0}})
        answer(network, "voice_task_create")
        result = task_creator(
            hang_up_sms={"content": "Thanks"}, transfer_to_agent={"sip_group_id": "42", "callout_rate": 2}
        ).execute(TaskRun().context())
    query = captured(network, "voice_task_list")
    body = captured(network, "voice_task_create")
    # finding 2: the lookup carries the required window, yyyy-MM-dd HH:mm:ss, 31 days at most
    start = dt.datetime.strptime(query["params"]["strTime"], buka.VOICE_TASK_TIME_FORMAT)
    end = dt.datetime.strptime(query["params"]["endTime"], buka.VOICE_TASK_TIME_FORMAT)
    assert end - start == dt.timedelta(days=buka.VOICE_TASK_QUERY_WINDOW_DAYS)
    assert query["params"]["searchCondition"] == body["taskName"]
    # finding 3: loopCount and maxCalls are required, sent with the documented defaults
    assert (body["loopCount"], body["maxCalls"]) == (1, 120)
    assert body["numberList"] == ["6591000001", "6591000002"]
    # the hang-up SMS carries its four triggers; toSeat its documented companions as Integers
    assert (body["hangUpSms"], body["successPush"], body["failedPush"], body["ringPush"]) == (1, 1, 0, 0)
    assert (body["sipGroupId"], body["outboundControl"], body["calloutRate"]) == (42, 1, 2)
    # the documented reply: data is the jobId
    assert (result["task_id"], result["created"]) == ("5000602", True)


def test_voice_task_list_reply_finds_the_task_by_its_jobid():
    with vendor_network(example("voice_task_list")) as network:
        found = VoiceTasks(BukaHook()).find("2024-06-04 14:49:17111")
    captured(network, "voice_task_list")
    # finding 5: the documented record names (jobId, not id)
    assert found == "5000602"
    [record] = example("voice_task_list")["data"]["records"]
    state = task_state("5000602", record)
    assert (state.outcome, state.details["numbers"], state.details["called"]) == (RUNNING, 1, 0)


def test_a_create_whose_reply_was_lost_is_found_by_its_documented_record():
    """Finding 5: recovery after a lost create reads jobId from the query's records."""
    name = "spring-run"
    listed = {
        "code": 0,
        "msg": "success",
        "data": {"records": [{"jobId": 77, "taskName": name, "status": 1}]},
    }
    with vendor_network() as network:
        answer(network, "voice_task_list", listed)
        answer(network, "voice_task_create", {"code": 0, "msg": "success", "data": None})
        task_id = VoiceTasks(BukaHook()).create({"taskName": name})
    assert task_id == "77"


def test_voice_task_detail_request_and_reply():
    with vendor_network(example("voice_task_detail")) as network:
        state = drive(VoiceTaskWatch("5000602").poll(), BukaHook().request, Pacer())
    assert captured(network, "voice_task_detail") == {}
    assert network.request_history[0].path == "/v3/voice/group/call/detail/5000602"
    assert state.outcome == SUCCESS
    assert (
        state.details["numbers"],
        state.details["called"],
        state.details["answered"],
        state.details["failed"],
    ) == (
        4,
        4,
        3,
        1,
    )


def test_voice_task_resend_sends_the_documented_body():
    """Finding 4: keyId (an Integer), appId, taskName, source with its fields, maxCalls."""
    run = TaskRun(task_id="resend")
    with vendor_network() as network:
        answer(network, "voice_task_detail", task_id=5000602)
        answer(network, "voice_task_resend")
        result = BukaResendVoiceTaskOperator(task_id="resend", voice_task_id="5000602").execute(run.context())
    body = captured(network, "voice_task_resend")
    assert body == {
        "keyId": 5000602,
        "appId": "4luaKsL2",
        "taskName": "welcome-call",
        "source": 3,
        "text": "Hello",
        "lan": "EN",
        "maxCalls": 60,
        "loopCount": 1,
        "resendType": 1,
    }
    assert result["resolution"] == "resent"


def test_a_resend_of_a_task_whose_detail_lacks_a_required_field_sends_nothing():
    detail = {
        **example("voice_task_detail"),
        "data": {**example("voice_task_detail")["data"], "maxCalls": None},
    }
    with vendor_network(detail) as network, pytest.raises(InvalidInputError, match="maxCalls"):
        VoiceTasks(BukaHook()).detail("5000602")
    assert [r.path for r in network.request_history] == ["/v3/voice/group/call/detail/5000602"]


def test_voice_task_cancel_sends_integer_ids():
    with vendor_network(example("voice_task_cancel")) as network:
        result = BukaCancelVoiceTaskOperator(task_id="c", voice_task_ids=["123", 456]).execute({})
    assert captured(network, "voice_task_cancel") == {"taskIdList": [123, 456]}
    assert result == {"cancelled": ["123", "456"]}


# ----- email and call center ---------------------------------------------------------------------


def test_email_send_request_and_reply():
    with vendor_network(example("email_send")) as network:
        summary = BukaSendEmailOperator(
            task_id="mail",
            recipients=["user@example.com"],
            subject="Welcome",
            template_id=7,
            from_address="noreply@mail.example.com",
            template_data={"code": "1234"},
        ).execute(TaskRun().context())
    body = captured(network, "email_send")
    assert (body["appId"], body["toAddress"], body["templateID"], body["templateData"]) == (
        "mail-app",
        "user@example.com",
        "7",
        '{"code":"1234"}',
    )
    assert summary["vendor_ids"] == ["7a1c0e3bd04a4d25a0d5b1a0f0e6b0c1"]


def test_email_records_request_and_reply():
    poller = BukaPoller("mail-app", BUKA_REPORTS["email"])
    with vendor_network(example("email_records")) as network:
        [(_, exchange)] = poller.exchanges([MessageRef("7a1c0e3bd04a4d25a0d5b1a0f0e6b0c1")])
        [status] = drive(exchange, BukaHook().request, Pacer())
    assert captured(network, "email_records") == {
        "appId": "mail-app",
        "emailId": "7a1c0e3bd04a4d25a0d5b1a0f0e6b0c1",
    }
    assert (status.outcome, status.number) == ("delivered", "user@example.com")


def test_cc_record_query_request_and_reply():
    with vendor_network(example("cc_record_query")) as network:
        records = BukaHook().get_call_records(NOW - dt.timedelta(days=1), NOW)
    body = captured(network, "cc_record_query")
    assert body["params"] == {
        "startTime": "2026-12-01T12:00:00+08:00",
        "endTime": "2026-12-02T12:00:00+08:00",
    }
    assert [record["callSessionId"] for record in records] == ["5c2f4e9a0b7d4f3e8a1c6b2d9e0f7a31"]


def test_call_center_export_request_and_reply():
    """The export's query and the documented record as its line (the source driven directly: the
    operator's retention check would tie this fixed example to today's date)."""
    start = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # the example's 10:00 +08:00 is inside
    source = BukaCallCenterRecords(BukaHook(), Interval(start.timestamp(), NOW.timestamp()), 100)
    with vendor_network(example("cc_record_query")) as network:
        [page] = list(source.pages(source.windows()[0], None))
    body = captured(network, "cc_record_query")
    assert body == {
        "current": 1,
        "size": 100,
        "params": {"startTime": "2026-12-01T10:00:00+08:00", "endTime": "2026-12-02T12:00:00+08:00"},
    }
    [line] = page.records
    assert page.last
    assert {key: line[key] for key in ("session_id", "direction", "hangup_reason_meaning", "hung_up_by")} == {
        "session_id": "5c2f4e9a0b7d4f3e8a1c6b2d9e0f7a31",
        "direction": "outbound",
        "hangup_reason_meaning": "outgoing call hung up",
        "hung_up_by": "customer",
    }
    assert (line["started_at"], line["ended_at"]) == ("2026-12-01T02:00:00Z", "2026-12-01T02:00:47Z")


# ----- AI voice ----------------------------------------------------------------------------------


def test_ai_task_add_import_and_start_requests():
    with vendor_network(example("ai_task_start")) as network:
        answer(
            network, "ai_task_list", {"status": "0", "reason": "success", "data": {"records": [], "pages": 0}}
        )
        answer(network, "ai_task_add")
        result = BukaCreateAiVoiceTaskOperator(
            task_id="ai",
            name="collect",
            dialog_flow_id=3,
            robot_count=2,
            line_id=5,
            customers=[{"phone_number": "6591000001", "name": "Ann", "properties": {"debt": 12}}],
            start=True,
        ).execute(TaskRun().context())
    add = captured(network, "ai_task_add")
    assert (add["dialogFlowId"], add["robotCount"], add["jobPhoneNumberId"], add["redial"]) == (
        3,
        2,
        5,
        False,
    )
    assert (add["dailyStartDateTime"], add["dailyEndDateTime"], add["mode"]) == ("09:00", "18:00", "MANUAL")
    imported = captured(network, "ai_import_customer")
    assert imported["jobId"] == 71000  # a Long, as the SDK sends it
    assert imported["customerPersons"] == [
        {"phoneNumber": "6591000001", "name": "Ann", "properties": {"debt": "12"}}
    ]
    assert captured(network, "ai_task_start") == {"appId": "ai-app", "jobId": 71000}
    assert (result["job_id"], result["imported"], result["started"]) == (71000, 1, True)


def test_ai_task_stop_and_delete_requests():
    with vendor_network(example("ai_task_stop")) as network:
        paused = BukaPauseAiVoiceTaskOperator(task_id="p", job_id="71000").execute(TaskRun().context())
        deleted = BukaDeleteAiVoiceTaskOperator(task_id="d", job_id=71000).execute(TaskRun().context())
    assert captured(network, "ai_task_stop") == {"appId": "ai-app", "jobId": 71000}
    assert captured(network, "ai_task_delete") == {"appId": "ai-app", "jobId": 71000}
    assert (paused["result"], deleted["result"]) == ("paused", "deleted")


def test_ai_task_list_request_and_reply():
    watch = AiVoiceTaskWatch(app_id="ai-app", job_id=71000)
    with vendor_network(example("ai_task_list")) as network:
        state = drive(watch.poll(), BukaHook().request, Pacer())
    assert captured(network, "ai_task_list") == {"current": 1, "size": 100, "params": {"appId": "ai-app"}}
    # finding 9: RUNNING with 40 of 100 successful calls keeps waiting
    assert (state.outcome, state.details["task_total"], state.details["task_completed"]) == (RUNNING, 100, 40)


@pytest.mark.parametrize(
    ("status", "completed", "outcome"),
    [
        ("RUNNING", 100, RUNNING),  # taskCompleted counts successful calls: never "done" by counts
        ("FINISHED_SOMEHOW", 100, RUNNING),  # an undocumented status is never read as done
        ("COMPLETED", 3, SUCCESS),  # a finished task may have few successful calls
    ],
)
def test_ai_task_status_alone_decides(status, completed, outcome):
    record = {**example("ai_task_list")["data"]["records"][0], "status": status, "taskCompleted": completed}
    assert ai_task_state("T", record).outcome == outcome


def test_ai_record_query_request_and_reply():
    with vendor_network(example("ai_record_query")) as network:
        records = BukaHook().get_ai_call_records("ai-app", NOW - dt.timedelta(hours=1), NOW)
    body = captured(network, "ai_record_query")
    assert body["params"] == {
        "appId": "ai-app",
        "startTime": "2026-12-02 11:00:00",
        "endTime": "2026-12-02 12:00:00",
    }
    assert records == []


# ----- (c) the simulator refuses what the documentation requires, with the vendor's code ---------


def task_body(**change: Any) -> dict[str, Any]:
    body = {
        "appId": accounts.BUKA_VOICE_APP_ID,
        "taskName": "contract-check",
        "numberList": ["6591000001"],
        "source": 3,
        "text": "Hello",
        "lan": "EN",
        "loopCount": 1,
        "maxCalls": 60,
        **change,
    }
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("endpoint", "body", "code"),
    [
        ("voice_task_create", task_body(maxCalls=None), "-22"),
        ("voice_task_create", task_body(loopCount=None), "-22"),
        ("voice_task_create", task_body(numberList=None), "-35"),
        ("voice_task_create", task_body(text=None), "-38"),
        ("voice_task_list", {"current": 1, "size": 10, "params": {"searchCondition": "x"}}, "-22"),
        ("voice_task_resend", {"keyId": 1, "resendType": 1}, "-22"),
        ("voice_task_cancel", {"taskIdList": ["1"]}, "-22"),
    ],
)
def test_the_simulator_refuses_a_task_request_without_a_documented_field(
    nxcloud_simulator, endpoint, body, code
):
    reply = buka_call(nxcloud_simulator.url, endpoint, body).json()
    assert (reply["code"], reply["data"]) == (int(code), None)
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize(
    ("endpoint", "body", "code"),
    [
        ("sms_send", {"appId": accounts.BUKA_SMS_APP_ID, "numbers": "6591000001"}, "-4"),
        ("sms_send", {"appId": accounts.BUKA_SMS_APP_ID, "content": "hi"}, "-8"),
        (
            "voice_send_code",
            {"appId": accounts.BUKA_VOICE_APP_ID, "callee": "6591000001", "text": "x"},
            "-38",
        ),
        ("email_send", {"appId": accounts.BUKA_EMAIL_APP_ID, "toAddress": "a@b.example"}, "-9"),
        ("ai_import_customer", {"appId": accounts.BUKA_AI_VOICE_APP_ID, "customerPersons": []}, "-27"),
        ("ai_task_start", {"appId": accounts.BUKA_AI_VOICE_APP_ID}, "-27"),
    ],
)
def test_the_simulator_refuses_a_request_without_a_documented_field(nxcloud_simulator, endpoint, body, code):
    reply = buka_call(nxcloud_simulator.url, endpoint, body).json()
    assert reply["status"] == code
    assert nxcloud_simulator.ledger.count() == 0


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        # onbuka.com/sms-api5's code list: -11 a time it cannot read (no offset, not ISO 8601)
        ("2026-12-01 00:00:00", "2026-12-01T23:59:59+08:00", "-11"),
        ("2026-12-01T00:00:00+08:00", "yesterday", "-11"),
        # over 31 days, or ending before it starts: -25 "Out of time range" (ASSUMPTION [BK-51])
        ("2026-10-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00", "-25"),
        ("2026-12-01T00:00:00+08:00", "2026-11-30T00:00:00+08:00", "-25"),
    ],
)
def test_the_simulator_refuses_a_sent_records_window_with_the_documented_code(
    nxcloud_simulator, start, end, code
):
    params = {"appId": accounts.BUKA_SMS_APP_ID, "startTime": start, "endTime": end, "startIndex": "0"}
    reply = buka_call(nxcloud_simulator.url, "sms_sent_records", params=params).json()
    assert reply["status"] == code


def test_the_simulator_answers_email_records_for_200_ids_and_refuses_201_with_28(nxcloud_simulator):
    ids = ",".join(f"{n:032x}" for n in range(buka.EMAIL_QUERY_MAX_IDS))
    body = {"appId": accounts.BUKA_EMAIL_APP_ID, "emailId": ids}
    reply = buka_call(nxcloud_simulator.url, "email_records", body).json()
    assert (reply["status"], reply["nofound"]) == ("0", 200)
    reply = buka_call(nxcloud_simulator.url, "email_records", {**body, "emailId": ids + ",f"}).json()
    assert reply["status"] == "-28"
