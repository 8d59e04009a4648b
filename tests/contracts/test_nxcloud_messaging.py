"""NXCloud messaging held to the vendor's documents: SMS, voice, uploads, balance, records, number check.

(a) every request the provider builds, captured at the transport, satisfies its endpoint's
documented contract; (b) every documented example reply parses to the right result; (c) the
simulator refuses a request missing a documented required field with the vendor's own code.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
import requests

from airflow_provider_nxcloud.campaign.delivery import (
    DELIVERED,
    MessageRef,
    NXCloudPoller,
    NXCloudVoicePoller,
)
from airflow_provider_nxcloud.campaign.engine import Batch
from airflow_provider_nxcloud.campaign.nxcloud import NXCloudSmsSender, NXCloudVoiceSender
from airflow_provider_nxcloud.campaign.recipients import Recipient
from airflow_provider_nxcloud.exceptions import InvalidInputError, UnreadableRecordError
from airflow_provider_nxcloud.exports.engine import Interval
from airflow_provider_nxcloud.exports.nxcloud_voice import LINE_KEYS as VOICE_LINE_KEYS
from airflow_provider_nxcloud.exports.nxcloud_voice import NXCloudVoiceRecords
from airflow_provider_nxcloud.exports.nxcloud_voice import record_line as voice_record_line
from airflow_provider_nxcloud.hooks.nxcloud import NXCloudHook
from airflow_provider_nxcloud.jobs.nxcloud_number_check import (
    CheckedBatch,
    NumberCheckWatch,
    batches_from,
    page_of,
    result_line,
)
from airflow_provider_nxcloud.operators.nxcloud_number_check import BatchRecords, NumberCheckSubmitter
from airflow_provider_nxcloud.platforms import nxcloud
from airflow_provider_nxcloud.polling import Pacer, drive
from airflow_provider_nxcloud.state import TaskInstanceState
from airflow_provider_nxcloud.testing import accounts
from tests.campaign.test_delivery_watch import watch_over
from tests.contracts.capture import FilePart, assert_holds, contract_for, payload_of, vendor_network
from tests.testing.clients import nx_legacy, nx_signed

SCOPE = (
    "sms_send_v2",
    "sms_send_v1",
    "sms_send_legacy",
    "sms_record",
    "sms_records",
    "balance",
    "voice_notify",
    "voice_verify",
    "voice_broadcast",
    "voice_records",
    "voice_upload",
    "number_check_submit",
    "number_check_query",
)
SG = ["6591000001", "6591000002"]
SHOWN = "6561234567"
AUDIO = "https://nxcloudhk.oss-cn-hongkong.aliyuncs.com/voice_group/1699931848093.m4a"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> NXCloudHook:
    """A real NXCloud connection (every legacy app's keys), pointed at a host requests_mock answers."""
    extra = {
        "sms_app_key": "sms-app",
        "sms_app_secret": "sms-secret",
        "voice_app_key": "voice-app",
        "voice_app_secret": "voice-secret",
        "number_check_app_key": "nc-app",
    }
    conn = {
        "conn_type": "nxcloud",
        "login": "ak",
        "password": "as",
        "host": "https://vendor.test",
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_NXCLOUD_DEFAULT", json.dumps(conn))
    return NXCloudHook()


def example(endpoint: str) -> Any:
    return contract_for(nxcloud.ENDPOINTS[endpoint]).example_reply


def batch(numbers: list[str]) -> Batch:
    return Batch(0, [Recipient(n, n, i + 1) for i, n in enumerate(numbers)], "campaign-key-0001", 1)


def only_request(network) -> Any:
    [request] = network.request_history
    return request


def test_every_endpoint_of_the_scope_has_a_sourced_contract_with_an_example_reply():
    for name in SCOPE:
        contract = contract_for(nxcloud.ENDPOINTS[name])
        assert contract.source and contract.fields and contract.example_reply is not None, name
        assert any(rule.required for rule in contract.fields), name


# ----- SMS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["v2", "v1", "legacy"])
def test_sms_send_requests_hold_and_the_example_reply_gives_the_messageid(hook, api):
    endpoint_name, _ = nxcloud.SMS_APIS[api]
    sender = NXCloudSmsSender(hook, text="Your code is 4711", app_key="sms-app", sender_id="Shop", api=api)
    with vendor_network(example(endpoint_name)) as network:
        results = sender.send(batch(SG))
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS[endpoint_name])
    assert payload["phone"] == "6591000001,6591000002" and payload["content"] == "Your code is 4711"
    expected = "20d6c660bd664c65bef20026564b0b79" if api == "legacy" else "333444555666"
    assert [(r.number, r.vendor_id) for r in results] == [(n, expected) for n in SG]
    assert all(r.sent_at for r in results)  # the record queries ask by the send day


def test_a_single_number_carries_sys_message_id(hook):
    sender = NXCloudSmsSender(hook, text="hi", app_key="sms-app")
    with vendor_network(example("sms_send_v2")) as network:
        [result] = sender.send(batch(SG[:1]))
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["sms_send_v2"])
    assert payload["sysMessageId"] == result.reference


def test_a_verification_code_app_takes_5_numbers_a_request(hook):
    # SMS Downstream Sending.md: a verification-code channel app takes at most 5 numbers (code 104)
    sender = NXCloudSmsSender(hook, text="hi", app_key="sms-app", verification_app=True)
    assert sender.max_batch == nxcloud.SMS_VERIFICATION_APP_MAX_NUMBERS == 5
    with pytest.raises(InvalidInputError):
        sender.send(batch([f"659100000{i}" for i in range(6)]))


def test_balance_request_holds_and_the_example_reply_is_read(hook):
    with vendor_network(example("balance")) as network:
        assert hook.get_balance() == {"balance": "3788.32", "credit_balance": "500"}
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["balance"])
    assert (payload["appkey"], payload["secretkey"]) == ("sms-app", "sms-secret")


def drive_poller(hook: NXCloudHook, poller: Any, refs: list[MessageRef]) -> list[Any]:
    found = watch_over(poller, refs)
    drive(found.poll(), hook.request, Pacer(lambda: 0.0), lambda s: None)
    return list(found.statuses())


def test_sms_record_request_holds_and_the_example_row_is_delivered(hook):
    poller = NXCloudPoller("sms-app", "sms-secret")
    ref = MessageRef("xxxxxxxxxxxxxxxxxxxxxxxx", "6288888888888", sent_at=time.time())
    with vendor_network(example("sms_record")) as network:
        [status] = drive_poller(hook, poller, [ref])
    payload = assert_holds(network.request_history[0], nxcloud.ENDPOINTS["sms_record"])
    assert payload["messageid"] == "xxxxxxxxxxxxxxxxxxxxxxxx"
    assert (status.outcome, status.number, status.vendor_status) == (DELIVERED, "6288888888888", "DELIVRD")
    with vendor_network(example("sms_record")):
        assert (
            hook.get_sms_record("xxxxxxxxxxxxxxxxxxxxxxxx", "20210628")["network"]
            == "PT TELEKOMUNIKASI SELULAR"
        )


def test_sms_records_request_holds_and_the_example_rows_are_matched(hook):
    poller = NXCloudPoller("sms-app", "sms-secret")
    # two numbers of one request share its messageid: the day's records are read
    refs = [
        MessageRef("f76bc33281124f8aa8bca33ce54b01ad", "62844049494", sent_at=time.time()),
        MessageRef("f76bc33281124f8aa8bca33ce54b01ad", "62844049495", sent_at=time.time()),
    ]
    poller.expect(refs)
    with vendor_network(example("sms_records")) as network:
        found, missing = drive_poller(hook, poller, refs)
    for request in network.request_history:
        assert_holds(request, nxcloud.ENDPOINTS["sms_records"])
    assert (found.outcome, found.vendor_status) == (DELIVERED, "DELIVRD")
    assert missing.reason == "not found at the vendor (yet)"
    with vendor_network(example("sms_records")):
        total, rows = hook.list_sms_records("20190615", page=112, page_size=2)
    assert (total, rows[0]["msgid"], rows[0]["dr"]) == (1119, "f76bc33281124f8aa8bca33ce54b01ad", "DELIVRD")


# ----- finding 11: the record day's zone is not documented: both readings are asked ----------------


def test_record_days_cover_utc_and_utc_plus_8_when_they_differ():
    evening = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC).timestamp()
    morning = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp()
    assert nxcloud.record_days(evening) == ("20261123", "20261124")
    assert nxcloud.record_days(morning) == ("20261123",)
    assert nxcloud.record_days(evening, nxcloud.NUMBER_CHECK_DATE_FORMAT) == ("2026-11-23", "2026-11-24")


def test_an_sms_sent_in_the_utc_evening_is_asked_on_both_days(hook):
    sent = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC).timestamp()
    poller = NXCloudPoller("sms-app", "sms-secret", clock=lambda: sent + 3600)
    failed = {"code": "1", "result": "params invalid"}  # also the answer for another day's id
    with vendor_network(failed) as network:
        drive_poller(hook, poller, [MessageRef("m-1", "6591000001", sent_at=sent)])
    asked = [payload_of(r, nxcloud.ENDPOINTS["sms_record"])["date"] for r in network.request_history]
    assert sorted(asked) == ["20261123", "20261124"]


def test_a_shared_messageid_is_read_from_both_days_and_counted_once(hook):
    sent = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC).timestamp()
    poller = NXCloudPoller("sms-app", "sms-secret", clock=lambda: sent + 3600)
    refs = [MessageRef("m1", n, sent_at=sent) for n in SG]
    poller.expect(refs)
    # both days list the first number (a vendor ignoring the zone): it is counted once
    row = {"msgid": "m1-0000000001", "phone": SG[0], "dr": "DELIVRD"}
    reply = {"code": "0", "info": {"total": 1, "rows": [row]}}
    with vendor_network(reply) as network:
        first, second = drive_poller(hook, poller, refs)
    asked = [payload_of(r, nxcloud.ENDPOINTS["sms_records"])["date"] for r in network.request_history]
    assert sorted(asked) == ["20261123", "20261124"]
    assert (first.outcome, second.reason) == (DELIVERED, "not found at the vendor (yet)")


@pytest.mark.parametrize("zone_hours", [8, 0])
def test_the_sms_wait_finds_records_in_either_reading_of_the_day(
    nxcloud_simulator, monkeypatch, zone_hours, tmp_path
):
    from airflow_provider_nxcloud.testing import nxcloud as simulated
    from tests.sensors.senders import send_campaign

    monkeypatch.setattr(simulated, "RECORD_DAY_UTC_OFFSET_HOURS", zone_hours)
    results = tmp_path / "results.jsonl"
    send_campaign("nxcloud", [*SG, "6591000003"], results)
    nxcloud_simulator.clock.advance(30)
    hook = NXCloudHook()
    from airflow_provider_nxcloud.campaign.delivery import refs_from_results

    refs = refs_from_results(str(results))
    poller = NXCloudPoller(accounts.NXCLOUD_SMS_APP_KEY, accounts.NXCLOUD_SMS_APP_SECRET)
    poller.expect(refs)
    statuses = drive_poller(hook, poller, refs)
    assert {s.outcome for s in statuses} == {DELIVERED}


@pytest.fixture
def other_day_now(monkeypatch: pytest.MonkeyPatch) -> int:
    """A second reading of the vendor's day that differs from the UTC day right now, for the
    simulator and the provider alike (as UTC+8 does from 16:00 to 24:00 UTC)."""
    from airflow_provider_nxcloud.testing import nxcloud as simulated

    hour = dt.datetime.now(dt.UTC).hour
    shift = 24 - hour if hour else -1
    if hour >= 23:  # too near midnight for a test that spans a few seconds
        pytest.skip("too near midnight UTC")
    monkeypatch.setattr(nxcloud, "RECORD_DAY_OFFSETS_HOURS", (0, shift))
    monkeypatch.setattr(simulated, "RECORD_DAY_UTC_OFFSET_HOURS", shift)
    return shift


def test_the_sms_wait_finds_records_filed_under_the_other_reading(nxcloud_simulator, other_day_now, tmp_path):
    from airflow_provider_nxcloud.campaign.delivery import refs_from_results
    from tests.sensors.senders import send_campaign

    results = tmp_path / "results.jsonl"
    send_campaign("nxcloud", [*SG, "6591000003"], results)  # one request: its numbers share a messageid
    send_campaign("nxcloud", ["6591000004"], tmp_path / "one.jsonl")  # a messageid of its own
    nxcloud_simulator.clock.advance(30)
    refs = [*refs_from_results(str(results)), *refs_from_results(str(tmp_path / "one.jsonl"))]
    poller = NXCloudPoller(accounts.NXCLOUD_SMS_APP_KEY, accounts.NXCLOUD_SMS_APP_SECRET)
    poller.expect(refs)
    statuses = drive_poller(NXCloudHook(), poller, refs)
    assert [s.outcome for s in statuses] == [DELIVERED] * 4


def test_the_number_check_wait_finds_results_filed_under_the_other_reading(nxcloud_simulator, other_day_now):
    records = BatchRecords(TaskInstanceState.in_memory())
    submitter = NumberCheckSubmitter(
        NXCloudHook(),
        app_key=accounts.NXCLOUD_NUMBER_CHECK_APP_KEY,
        check_level=1,
        records=records,
        campaign="c",
    )
    submitter.pacer = Pacer(lambda: 0.0)
    submitter.send(batch(SG))
    nxcloud_simulator.clock.advance(600)
    [batch_record] = records.xcom(1)
    assert len(batch_record["dates"]) == 2
    watch = NumberCheckWatch(batches_from({"batches": [batch_record]}, today=dt.date.today()))
    state = drive(watch.poll(), NXCloudHook().request, Pacer(lambda: 0.0), lambda s: None)
    assert state.outcome == "success" and watch.seen == {batch_record["batch_no"]: 2}


def test_number_check_waits_ask_every_reading_and_take_the_most_rows(hook):
    watch = NumberCheckWatch([CheckedBatch("b-1", "2026-11-23", 2, ("2026-11-24",))], app_key="nc-app")
    with vendor_network(example("number_check_query")) as network:
        state = drive(watch.poll(), hook.request, Pacer(lambda: 0.0), lambda s: None)
    dates = [
        assert_holds(r, nxcloud.ENDPOINTS["number_check_query"])["date"] for r in network.request_history
    ]
    assert dates == ["2026-11-23", "2026-11-24"]
    assert state.outcome == "success" and watch.seen == {"b-1": 2}  # the most one date holds, not 4


# ----- voice ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "endpoint_name", "parameters"),
    [
        ("notification", "voice_notify", {"text": "Your parcel is here", "language": "en"}),
        ("verification", "voice_verify", {"text": "1-2-3-4", "language": "zh-yue"}),
        ("broadcast", "voice_broadcast", {"audio_url": AUDIO}),
    ],
)
def test_voice_send_requests_hold_with_international_numbers_and_show_phone(
    hook, mode, endpoint_name, parameters
):
    sender = NXCloudVoiceSender(hook, mode=mode, display_number=SHOWN, **parameters)
    numbers = SG[: sender.max_batch]
    with vendor_network(example(endpoint_name)) as network:
        results = sender.send(batch(numbers))
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS[endpoint_name])
    # finding 6: phone is the full international number (the pages' 6212345678 with country_code 62)
    assert (payload["phone"], payload["country_code"]) == (",".join(numbers), "65")
    # finding 1: show_phone is always sent (required, no documented default)
    assert payload["show_phone"] == SHOWN
    assert (payload["appkey"], payload["secretkey"]) == ("voice-app", "voice-secret")
    assert [r.vendor_id for r in results] == ["20d6c660bd664c65bef20026564b0b79"] * len(numbers)


def test_a_voice_send_without_show_phone_breaks_the_contract():
    form = {
        "appkey": "a",
        "secretkey": "s",
        "phone": "6591000001",
        "country_code": "65",
        "content": "hi",
        "lang": "en",
    }
    assert contract_for(nxcloud.ENDPOINTS["voice_notify"]).violations(form, text_values=True) == [
        "show_phone: required and missing"
    ]


def test_versend_takes_one_number_in_the_chunking_and_before_sending(hook):
    # finding 12: Send Voice Verification Code.md allows a single number per request
    sender = NXCloudVoiceSender(hook, mode="verification", text="1-2", language="en", display_number=SHOWN)
    assert sender.max_batch == nxcloud.VOICE_VERIFY_MAX_NUMBERS == 1
    with vendor_network(example("voice_verify")) as network, pytest.raises(InvalidInputError):
        sender.send(batch(SG))
    with pytest.raises(ValueError, match="1 to 1 numbers"):
        nxcloud.voice_send_form(
            "voice_verify", numbers=SG, country_code="65", show_phone=SHOWN, content="1", lang="en"
        )
    assert network.request_history == []


def test_voice_records_request_holds_and_the_example_row_is_answered(hook):
    poller = NXCloudVoicePoller("voice-app", "voice-secret", 1)
    # the example row: phone 85987053821 (national) with countryCode 55, messageid 35618
    ref = MessageRef("35618", "5585987053821", sent_at=time.time() - 60)
    with vendor_network(example("voice_records")) as network:
        [status] = drive_poller(hook, poller, [ref])
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["voice_records"])
    assert (payload["voiceType"], payload["messageid"]) == ("1", "35618")
    assert (status.outcome, status.vendor_status) == (DELIVERED, "Successful connection")
    with vendor_network(example("voice_records")):
        total, rows = hook.list_voice_records(
            1, start_time="2019-09-09 09:00:00", end_time="2019-09-09 10:00:00"
        )
    assert (total, rows[0]["second"]) == (1, 3)


def test_the_call_export_requests_hold_and_the_example_row_is_a_line(hook):
    """The export asks a whole window (no messageid), and the page's example row becomes a schema line."""
    day = dt.datetime(2019, 9, 9, tzinfo=dt.UTC)
    interval = Interval(day.timestamp(), (day + dt.timedelta(days=1)).timestamp())
    source = NXCloudVoiceRecords(hook, interval, nxcloud.VOICE_CDR_MAX_PAGE_SIZE, (1,))
    [window] = source.windows()
    with vendor_network(example("voice_records")) as network:
        [page] = list(source.pages(window, None))
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["voice_records"])
    assert payload == {
        "appkey": "voice-app",
        "secretkey": "voice-secret",
        "voiceType": "1",
        "start_time": "2019-09-09 00:00:00",
        "end_time": "2019-09-10 00:00:00",
        "page_size": "1000",
        "page": "1",
    }
    [line] = page.records
    assert tuple(line) == VOICE_LINE_KEYS and page.last
    assert {
        key: line[key] for key in ("call_id", "message_id", "service", "number", "status", "duration_s")
    } == {
        "call_id": "1821556",
        "message_id": "35618",
        "service": "notification",
        "number": "5585987053821",
        "status": "answered",
        "duration_s": 3,
    }
    assert (line["started_at"], line["connected_at"]) == ("2019-09-09T09:00:01Z", "2019-08-09T00:01:00Z")


def test_a_call_row_outside_the_window_asked_fails_the_export(hook):
    """ASSUMPTION [NX-25]: a row the window should not hold means the vendor selects otherwise: fail, never drop."""
    day = dt.datetime(2019, 9, 10, tzinfo=dt.UTC)
    source = NXCloudVoiceRecords(
        hook, Interval(day.timestamp(), day.timestamp() + 3600), nxcloud.VOICE_CDR_MAX_PAGE_SIZE, (1,)
    )
    with vendor_network(example("voice_records")), pytest.raises(UnreadableRecordError, match="NX-25"):
        list(source.pages(source.windows()[0], None))


def test_a_call_page_shorter_than_asked_before_the_total_fails_the_export(hook):
    """ASSUMPTION [NX-23]: a vendor that caps page_size below the one asked is caught, not skipped past."""
    day = dt.datetime(2019, 9, 9, tzinfo=dt.UTC)
    source = NXCloudVoiceRecords(hook, Interval(day.timestamp(), day.timestamp() + 86400), 2, (1,))
    capped = json.loads(json.dumps(example("voice_records")))
    capped["info"]["total"] = 5
    with vendor_network(capped), pytest.raises(UnreadableRecordError, match="page_size"):
        list(source.pages(source.windows()[0], None))


@pytest.mark.parametrize(
    ("result", "status", "meaning"),
    [
        ("Successful connection", "answered", "the call was answered"),
        ("成功接通", "answered", "the call was answered"),
        ("Unsuccessful connection", "unanswered", "the call was not answered"),
        ("未接通", "unanswered", "the call was not answered"),
        ("Ringing", None, None),
    ],
)
def test_call_results_and_hangups_are_mapped_through_the_catalog(result, status, meaning):
    row = {"result": result, "hangup_disposition": "recv_refuse", "start_time": "2019-09-09 09:00:01"}
    line = voice_record_line(row, 0)
    assert (line["status"], line["result"], line["result_meaning"]) == (status, result, meaning)
    assert (line["hangup"], line["hangup_meaning"]) == ("recv_refuse", "the callee refused the call")
    assert (
        line["service"] == "group_call"
        and voice_record_line({}, 1)["service"] == "verification_or_notification"
    )


# ----- finding 7: the upload's appkey is a plain multipart field -----------------------------------


def test_voice_upload_sends_appkey_as_a_plain_field_and_reads_the_url(hook):
    with vendor_network(example("voice_upload")) as network:
        url = hook.upload_voice_file("reminder.mp3", b"ID3-audio-bytes")
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["voice_upload"])
    assert payload["appkey"] == "voice-app"  # text, not a FilePart
    assert payload["file"] == FilePart("reminder.mp3", b"ID3-audio-bytes")
    assert url == AUDIO


def test_an_appkey_sent_as_a_file_part_breaks_the_upload_contract():
    payload = {"appkey": FilePart("appkey", b"voice-app"), "file": FilePart("a.mp3", b"x")}
    [problem] = contract_for(nxcloud.ENDPOINTS["voice_upload"]).violations(payload, text_values=True)
    assert problem.startswith("appkey: must be a plain string field")


def test_an_upload_above_2_mb_is_refused_before_sending(hook):
    with vendor_network(example("voice_upload")) as network, pytest.raises(InvalidInputError):
        hook.upload_voice_file("big.mp3", b"0" * (nxcloud.VOICE_UPLOAD_MAX_BYTES + 1))
    assert network.request_history == []


# ----- number check --------------------------------------------------------------------------------


def test_number_check_submit_holds_and_the_example_reply_names_the_batch(hook):
    records = BatchRecords(TaskInstanceState.in_memory())
    submitter = NumberCheckSubmitter(hook, app_key="nc-app", check_level=5, records=records, campaign="c-1")
    submitter.pacer = Pacer(lambda: 0.0)
    with vendor_network(example("number_check_submit")) as network:
        results = submitter.send(batch(SG))
    payload = assert_holds(only_request(network), nxcloud.ENDPOINTS["number_check_submit"])
    assert (payload["phone"], payload["checkLevel"], payload["appkey"]) == (",".join(SG), 5, "nc-app")
    # the 2023 reply names the task messageId (2024: requestId)
    assert {r.vendor_id for r in results} == {"301ef45b8de54d8aad95c5264c3756be"}
    record = records.get(0)
    assert record is not None and record["dates"] and record["date"] in record["dates"]


def test_number_check_query_example_reply_is_read():
    total, rows = page_of(example("number_check_query"))
    line = result_line(rows[0], "101713775788")
    assert (total, line["batch_no"], line["number"]) == (2, "101713775788", "8498")


# ----- (c) the simulator refuses what the documents require, with the vendor's codes ---------------


VOICE_KEYS = {"appkey": accounts.NXCLOUD_VOICE_APP_KEY, "secretkey": accounts.NXCLOUD_VOICE_APP_SECRET}


@pytest.mark.parametrize(
    ("endpoint", "missing", "code"),
    [
        ("voice_notify", "show_phone", "2"),  # "Parameter error or empty"
        ("voice_broadcast", "show_phone", "2"),
        ("voice_verify", "phone", "24"),  # the Java SDK's "no callee"
        ("voice_notify", "country_code", "23"),
        ("voice_notify", "content", "4"),
        ("voice_notify", "lang", "2"),
    ],
)
def test_the_simulator_refuses_a_voice_send_missing_a_required_field(
    nxcloud_simulator, endpoint, missing, code
):
    form = {"phone": "6591000001", "country_code": "65", "show_phone": SHOWN}
    form.update({"url": AUDIO} if endpoint == "voice_broadcast" else {"content": "hi", "lang": "en"})
    form.pop(missing)
    reply = nx_legacy(nxcloud_simulator.url, endpoint, form, **VOICE_KEYS).json()
    assert reply["code"] == code and "breaks the documented contract" in reply["result"]
    assert nxcloud_simulator.ledger.count() == 0


def test_the_simulator_refuses_an_sms_without_content(nxcloud_simulator):
    reply = nx_signed(
        nxcloud_simulator.url, "sms_send_v2", {"appKey": accounts.NXCLOUD_SMS_APP_KEY, "phone": SG[0]}
    )
    assert reply.json()["code"] == "4"
    assert nxcloud_simulator.ledger.count() == 0


def test_the_simulator_refuses_a_number_check_without_appkey(nxcloud_simulator):
    reply = nx_signed(nxcloud_simulator.url, "number_check_submit", {"phone": ",".join(SG)})
    assert reply.json()["code"] == 201


def test_the_simulator_refuses_an_upload_whose_appkey_is_a_file_part(nxcloud_simulator):
    endpoint = nxcloud.ENDPOINTS["voice_upload"]
    headers = nxcloud.signed_headers(
        accounts.NXCLOUD_ACCESS_KEY, accounts.NXCLOUD_ACCESS_SECRET, endpoint, int(time.time() * 1000), None
    )
    files = {"appkey": ("appkey", accounts.NXCLOUD_VOICE_APP_KEY.encode()), "file": ("a.mp3", b"audio")}
    reply = requests.post(
        nxcloud_simulator.url + endpoint.path, headers=headers, files=files, timeout=10
    ).json()
    assert reply["code"] == 9000 and "appkey" in reply["msg"]


def test_the_hook_uploads_to_the_simulator(nxcloud_simulator):
    url = NXCloudHook().upload_voice_file("reminder.mp3", b"ID3-audio-bytes")
    assert url.startswith("https://") and url.endswith(".mp3")


def test_the_connection_test_requests_hold(hook):
    import re

    with vendor_network(example("number_check_query")) as network:
        network.register_uri("POST", re.compile("getBalance"), json=example("balance"))
        ok, message = hook.test_connection()
    assert ok, message
    balance, query = network.request_history
    assert (
        assert_holds(query, nxcloud.ENDPOINTS["number_check_query"])["batchNo"] == "airflow-connection-test"
    )
    assert_holds(balance, nxcloud.ENDPOINTS["balance"])
    assert "(balance query): balance 3788.32;" in message


def test_a_broken_limit_reaches_the_caller_as_invalid_input(hook):
    with (
        vendor_network(example("voice_notify")) as network,
        pytest.raises(InvalidInputError, match="show_phone"),
    ):
        hook.send_voice_notification(SG, country_code="65", text="hi", language="en", display_number="")
    with pytest.raises(InvalidInputError, match="country code 60"):
        hook.send_voice_notification(SG, country_code="60", text="hi", language="en", display_number=SHOWN)
    assert network.request_history == []
